//! Issuing: signing passes with a [`Signer`], and (feature `authority`) creating the
//! certificates of a signing authority.

#[cfg(feature = "authority")]
pub mod authority;
pub mod cose_sign;
pub mod signer;

pub use cose_sign::{sign_cose, sign_cose_with_headers};
pub use signer::{Signer, SignerError, SoftwareSigner, normalize_es256};
