//! Issuing: from a pharmacist's input to a signed pass, through a [`Signer`] the platform
//! implements; (feature `authority`) the certificates of a signing authority.

#[cfg(feature = "authority")]
pub mod authority;
pub mod issuer;
pub mod test_certificate;
pub mod transliteration;

// The UVCI is a DCC concept (dcc::uvci); issuing generates them.
pub use crate::dcc::uvci;

pub use issuer::{IssueError, IssuedPass, Issuer};
// The signing key is a COSE concept (codec::cose); issuing is where apps meet it.
pub use crate::codec::cose::{Signer, SignerError, SoftwareSigner, normalize_es256, p256_public_key};
pub use test_certificate::{InputError, IssuingPolicy, TestCertificateRequest, TestResult, TestType};
