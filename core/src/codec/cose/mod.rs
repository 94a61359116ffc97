//! COSE_Sign1 (RFC 9052 §4.2), the one home of everything signed in the project: passes,
//! provisional passes and their delegation credentials, trust bundles, issuance requests.
//!
//! - [`header`]: the header labels and tags by name, and the signature algorithms.
//! - [`SignedMessage`]: a message parsed as received (the protected header's original bytes
//!   are kept, since the signature covers them and not any re-encoding).
//! - [`sig_structure`]: the bytes a signature covers, built or streamed into a digest.
//! - [`SignerKey`]: a public key and the signature check for ES256 and PS256.
//! - [`Signer`]: the private key behind a trait (Android Keystore, Secure Enclave, a file).
//! - [`CoseSign1Builder`]: headers and payload to a signed, tagged COSE_Sign1.

mod builder;
pub mod header;
mod key;
mod message;
mod sig_structure;
mod signer;

pub use builder::CoseSign1Builder;
pub use header::{AlgorithmHeader, SignatureAlgorithm};
pub use key::{SignatureError, SignerKey};
pub use message::{CoseError, Envelope, HeaderPlacement, SignedMessage};
pub use sig_structure::{sig_structure, sig_structure_digest};
pub use signer::{Signer, SignerError, SoftwareSigner, normalize_es256, p256_public_key};
