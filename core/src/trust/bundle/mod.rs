//! The signed trust bundle: one file that gives a verifier everything it needs offline.
//!
//! A COSE_Sign1 (tag 18, ES256) by a trust anchor pinned in the app, whose payload is a CBOR
//! map: format version, a monotonic sequence number, issue / not-before / expiry times, signer
//! certificates with the certificate types each may sign, fallback roots and device revocations
//! (for provisional passes), business rules and value sets (JSON text), and the revocation hash
//! lists.
//!
//! - [`format`](mod@format): the records and their CBOR encoding, each decoding itself.
//! - [`TrustBundle`] (`load.rs`): the signature checked against pinned anchors over a streamed
//!   digest (a bundle of a million revocation hashes is never copied into a Sig_structure),
//!   then the contents decoded in place.
//! - `build.rs`: signing contents into a bundle file.

mod build;
pub mod format;
mod load;

pub use format::{BUNDLE_FORMAT, BundleSigner, DeviceRevocation, FallbackRoot, TrustBundleContents};
pub use load::TrustBundle;

use super::dsc::DscError;
use super::revocation::RevocationListError;
use crate::codec::cbor::{CborError, FieldError};
use crate::codec::cose::CoseError;
use crate::time::UnixTime;

/// A bundle with every EU signer and a few million revocation hashes stays far below this.
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the trust bundle is {size} bytes; at most {limit} are accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("the trust bundle is not a signed bundle: {0}")]
    Cbor(#[from] CborError),
    #[error("the trust bundle is not a COSE_Sign1 structure ({detail})")]
    NotSigned { detail: String },
    #[error("the trust bundle is signed by key {kid}, which is not a pinned trust anchor")]
    UnknownAnchor { kid: String },
    #[error("the trust bundle's signature does not verify with the pinned anchor {kid}")]
    BadSignature { kid: String },
    #[error("the trust bundle uses format {found}; this app reads format {BUNDLE_FORMAT}")]
    UnsupportedFormat { found: u64 },
    #[error("the trust bundle's field {0}")]
    Malformed(#[from] FieldError),
    #[error("signer certificate {index} in the trust bundle: {error}")]
    Certificate { index: usize, error: DscError },
    #[error("the trust bundle's {list} revocation list: {error}")]
    Revocations { list: &'static str, error: RevocationListError },
    #[error("trust bundle {offered} is older than the installed bundle {installed}; refusing to roll back")]
    Rollback { offered: u64, installed: u64 },
    #[error("trust bundle {sequence} differs from the installed bundle with the same sequence number")]
    ConflictingSequence { sequence: u64 },
    #[error("trust bundle {sequence} expired at {expired_at}; install a current one")]
    Expired { sequence: u64, expired_at: UnixTime },
    #[error("the trust bundle could not be written: {detail}")]
    Encode { detail: String },
    #[error("the trust bundle's 2D-DOC trust set: {0}")]
    TwoDDoc(#[from] crate::trust::two_d_doc_signers::TwoDDocTrustError),
}

impl From<CoseError> for BundleError {
    fn from(error: CoseError) -> Self {
        match error {
            CoseError::Cbor(error) => Self::Cbor(error),
            other => Self::NotSigned { detail: other.to_string() },
        }
    }
}
