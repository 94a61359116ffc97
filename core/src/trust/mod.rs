//! Trust: which signer certificates (DSCs) may sign passes, for which certificate types.

pub mod dsc;
pub mod key_usage;
pub mod kid;
pub mod store;
pub mod trust_list;

pub use dsc::{DocumentSignerCertificate, DscError, SignerKey};
pub use key_usage::KeyUsage;
pub use kid::Kid;
pub use store::TrustStore;
pub use trust_list::{TrustListError, TrustListImport, import_trust_list};
