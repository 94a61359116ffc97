//! The transport encoding of a pass, one typed stage at a time:
//! `HC1:` prefix -> base45 -> zlib -> COSE_Sign1 -> CWT claims.
//!
//! Each stage has its own error type, and [`DecodeError`] says which stage failed. Every stage is
//! bounded: text length, inflated size, CBOR depth and item count (see [`PassLimits`]).

// The transport stages are private: other layers go through the decode functions below.
mod base45;
mod prefix;
mod zlib;
// The concepts other layers build on.
pub mod cbor;
pub mod cose;
pub mod cwt;
pub mod hex;

pub use base45::{Base45Error, decode as decode_base45, encode as encode_base45};
pub use cbor::{CborError, CborLimits};
pub use cose::{AlgorithmHeader, CoseError, Envelope, HeaderPlacement, SignatureAlgorithm, SignedMessage};
pub use cwt::{CwtClaims, CwtError};
pub use prefix::{HC1_PREFIX, PrefixError, strip_prefix};
pub use zlib::{InflateError, deflate, deflate_with_level, inflate};

/// Bounds on the work a single pass may cost.
#[derive(Debug, Clone, Copy)]
pub struct PassLimits {
    /// Characters of base45 after the prefix. The largest QR code (version 40-L) holds 4,296
    /// alphanumeric characters; the cap leaves room for Aztec and for text pasted by hand.
    pub max_base45_chars: usize,
    /// Inflated COSE bytes. Real passes inflate to about 1.1 kB; provisional passes carry a
    /// delegation credential and stay under 2 kB.
    pub max_inflated_bytes: usize,
    /// Structural limits of the COSE and CWT CBOR.
    pub cbor: CborLimits,
}

impl Default for PassLimits {
    fn default() -> Self {
        Self { max_base45_chars: 16 * 1024, max_inflated_bytes: 64 * 1024, cbor: CborLimits::default() }
    }
}

/// Which stage of the decode chain refused the input.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("prefix: {0}")]
    Prefix(#[from] PrefixError),
    #[error("base45: {0}")]
    Base45(#[from] Base45Error),
    #[error("zlib: {0}")]
    Inflate(#[from] InflateError),
    #[error("COSE: {0}")]
    Cose(#[from] CoseError),
    #[error("CWT: {0}")]
    Cwt(#[from] CwtError),
}

impl DecodeError {
    /// A stable, machine-readable name of the failing stage.
    pub fn stage(&self) -> &'static str {
        match self {
            Self::Prefix(_) => "prefix",
            Self::Base45(_) => "base45",
            Self::Inflate(_) => "zlib",
            Self::Cose(_) => "cose",
            Self::Cwt(_) => "cwt",
        }
    }
}

/// A pass decoded down to its signed message and its claims; nothing is verified yet.
#[derive(Debug, Clone)]
pub struct DecodedPass {
    /// The COSE_Sign1, headers and signature as received.
    pub message: SignedMessage,
    /// The CWT claims of its payload.
    pub claims: CwtClaims,
}

/// Decodes `HC1:` text into the signed message and its claims.
pub fn decode_pass_text(text: &str, limits: &PassLimits) -> Result<DecodedPass, DecodeError> {
    let cose = unwrap_text(text, limits)?;
    decode_cose(&cose, limits)
}

/// `HC1:` text -> the COSE bytes inside (prefix, base45 and zlib stages).
pub fn unwrap_text(text: &str, limits: &PassLimits) -> Result<Vec<u8>, DecodeError> {
    let base45_text = prefix::strip_prefix(text)?;
    let compressed = base45::decode(base45_text, limits.max_base45_chars)?;
    Ok(zlib::inflate(&compressed, limits.max_inflated_bytes)?)
}

/// COSE bytes -> the signed message and its claims.
pub fn decode_cose(cose: &[u8], limits: &PassLimits) -> Result<DecodedPass, DecodeError> {
    let message = SignedMessage::from_bytes(cose, limits.cbor)?;
    let claims = CwtClaims::from_bytes(message.payload(), limits.cbor)?;
    Ok(DecodedPass { message, claims })
}

/// COSE bytes -> `HC1:` text (the inverse of [`unwrap_text`]).
pub fn wrap_cose(cose: &[u8]) -> String {
    let mut text = String::from(HC1_PREFIX);
    text.push_str(&base45::encode(&zlib::deflate(cose)));
    text
}
