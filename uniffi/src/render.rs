//! Rendering a pass for people: the QR code and the printable attestation page.

use healthpass_core::codec::{self, PassLimits};
use healthpass_core::dcc::{Dcc, Strictness, hcert};
use healthpass_core::render::{QrMatrix, attestation_svg};
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
