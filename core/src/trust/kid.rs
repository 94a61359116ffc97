//! Key identifiers: the first 8 bytes of the SHA-256 of a signer certificate's DER
//! (hcert spec §3.3.1).

use std::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A kid's length in bytes.
pub const KID_LENGTH: usize = 8;

/// A well-formed key identifier. A pass may carry a kid of any length; only one of exactly
/// eight bytes becomes a `Kid` (dgc-testdata BasicDgcTestsList CO25, CO26).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid([u8; KID_LENGTH]);

impl Kid {
    /// The kid of a certificate: the first 8 bytes of the SHA-256 of its DER.
    pub fn of_certificate(der: &[u8]) -> Self {
        let digest = Sha256::digest(der);
        let mut kid = [0u8; KID_LENGTH];
        kid.iter_mut().zip(digest.iter()).for_each(|(slot, byte)| *slot = *byte);
        Self(kid)
    }

    /// The kid in `bytes`, if they are exactly eight.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; KID_LENGTH]>::try_from(bytes).ok().map(Self)
    }

    /// A kid of these bytes.
    pub const fn from_bytes(bytes: [u8; KID_LENGTH]) -> Self {
        Self(bytes)
    }

    /// The 8 bytes.
    pub fn as_bytes(&self) -> &[u8; KID_LENGTH] {
        &self.0
    }

    /// Standard base64, the form trust lists use.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// A kid from standard base64, if it decodes to 8 bytes.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()?;
        Self::from_slice(&bytes)
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kid({self})")
    }
}
