//! Signing bundle contents into a bundle file.

use super::BundleError;
use super::format::TrustBundleContents;
use crate::codec::cbor;
use crate::codec::cose::{CoseSign1Builder, Signer, SignerKey};
use crate::trust::anchor::key_kid;

impl TrustBundleContents {
    /// Signs the contents with an anchor key (ES256) and returns the bundle file. The kid is
    /// the anchor's ([`crate::trust::TrustAnchor::kid`]).
    pub fn sign(&self, anchor: &dyn Signer) -> Result<Vec<u8>, BundleError> {
        let SignerKey::P256(key) =
            anchor.public_key().map_err(|error| BundleError::Encode { detail: error.to_string() })?
        else {
            return Err(BundleError::Encode { detail: "a bundle anchor is a P-256 key".into() });
        };
        let payload = cbor::encode(&self.to_value()?);
        CoseSign1Builder::new(key_kid(&key).as_bytes())
            .sign(&payload, anchor)
            .map_err(|error| BundleError::Encode { detail: format!("signing failed: {error}") })
    }
}
