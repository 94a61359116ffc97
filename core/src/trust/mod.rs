//! Trust: which signer certificates (DSCs) may sign passes, for which certificate types; the
//! signed trust bundle that carries them offline with rules, value sets and revocations.

pub mod anchor;
pub mod bundle;
pub mod bundle_file;
pub mod bundle_store;
pub mod delegation;
pub mod dsc;
pub mod key_usage;
pub mod kid;
pub mod revocation;
pub mod store;
pub mod trust_list;
pub mod two_d_doc_signers;

pub use crate::codec::cose::SignerKey;
pub use anchor::{AnchorError, TrustAnchor};
pub use bundle::{BundleError, BundleSigner, DeviceRevocation, FallbackRoot, TrustBundle, TrustBundleContents};
pub use bundle_file::{BundleFile, BundleFileError, StoredBundle};
pub use bundle_store::{BundleStore, InstalledBundleMark};
pub use delegation::{CredentialError, DelegationClaims, DelegationScope, VerifiedCredential, verify_credential};
pub use dsc::{DocumentSignerCertificate, DscError};
pub use key_usage::KeyUsage;
pub use kid::Kid;
pub use revocation::{HashList, RevocationKind, RevocationLists};
pub use store::TrustStore;
pub use trust_list::{TrustListError, TrustListImport, import_trust_list};
pub use two_d_doc_signers::{TwoDDocSigner, TwoDDocTrust, TwoDDocTrustError};
