//! Issuing: from a pharmacist's input to a signed pass, through a [`Signer`] the platform
//! implements; (feature `authority`) the certificates of a signing authority.

#[cfg(feature = "authority")]
pub mod authority;
pub mod cose_sign;
pub mod issuer;
pub mod signer;
pub mod test_certificate;
pub mod transliteration;
pub mod uvci;

pub use cose_sign::{sign_cose, sign_cose_with_headers};
pub use issuer::{IssueError, IssuedPass, Issuer};
pub use signer::{Signer, SignerError, SoftwareSigner, normalize_es256, p256_public_key};
pub use test_certificate::{InputError, IssuingPolicy, TestCertificateRequest, TestResult, TestType};
