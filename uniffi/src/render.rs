//! Rendering a pass for people: the QR code and the printable attestation page.

use healthpass_core::codec::{self, PassLimits};
use healthpass_core::dcc::{Dcc, Strictness, hcert};
use healthpass_core::render::{QrMatrix, attestation_svg, provisional_attestation_svg};
use healthpass_core::time::UnixTime;

use crate::error::{HealthpassError, guard};

/// The QR code of a pass text (error correction Q, quiet zone) as a PNG.
#[uniffi::export]
pub fn qr_png(text: String, module_pixels: u32) -> Result<Vec<u8>, HealthpassError> {
    guard(|| Ok(QrMatrix::for_text(&text)?.to_png(module_pixels.clamp(1, 32))))
}

/// The QR code of a pass text as SVG, `size_mm` wide.
#[uniffi::export]
pub fn qr_svg(text: String, size_mm: f64) -> Result<String, HealthpassError> {
    guard(|| Ok(QrMatrix::for_text(&text)?.to_svg(size_mm)))
}

/// The printable A4 attestation (SVG) for a pass text.
#[uniffi::export]
pub fn attestation_page_svg(text: String) -> Result<String, HealthpassError> {
    guard(|| {
        let pass = codec::decode_pass_text(&text, &PassLimits::default())?;
        let dcc = Dcc::read(hcert::dcc_value(&pass.claims)?, Strictness::Tolerant)?.dcc;
        let qr = QrMatrix::for_text(&text)?;
        Ok(attestation_svg(&dcc, pass.claims.expires_at.unwrap_or(UnixTime::from_seconds(0)), &qr))
    })
}

/// The printable A4 page of a provisional pass: marked provisional, naming `pharmacy`, and
/// printing the traveller's `transfer_code` (the final pass is delivered to that wallet).
#[uniffi::export]
pub fn provisional_attestation_page_svg(
    text: String,
    pharmacy: String,
    transfer_code: Option<String>,
) -> Result<String, HealthpassError> {
    guard(|| {
        let code = transfer_code
            .map(|code| {
                healthpass_core::protocol::TransferCode::parse(&code)
                    .map_err(|error| HealthpassError::InvalidInput { reason: format!("the transfer code: {error}") })
            })
            .transpose()?;
        let pass = codec::decode_pass_text(&text, &PassLimits::default())?;
        let dcc = Dcc::read(hcert::dcc_value(&pass.claims)?, Strictness::Tolerant)?.dcc;
        let qr = QrMatrix::for_text(&text)?;
        let expires_at = pass.claims.expires_at.unwrap_or(UnixTime::from_seconds(0));
        Ok(provisional_attestation_svg(&dcc, expires_at, &qr, &pharmacy, code.as_ref()))
    })
}
