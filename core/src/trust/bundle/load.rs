//! A bundle file checked against the pinned anchors and decoded.

use super::BundleError;
use super::format::TrustBundleContents;
use crate::codec::cbor::{self, CborLimits};
use crate::codec::cose::{AlgorithmHeader, Envelope, SignatureAlgorithm, SignedMessage, SignerKey};
use crate::dcc::CertificateType;
use crate::time::UnixTime;
use crate::trust::anchor::TrustAnchor;
use crate::trust::dsc::DocumentSignerCertificate;
use crate::trust::key_usage::KeyUsage;
use crate::trust::kid::Kid;
use crate::trust::revocation::RevocationLists;
use crate::trust::store::TrustStore;

/// CBOR limits for bundles: many items (thousands of signers, rules), shallow nesting.
fn bundle_limits() -> CborLimits {
    CborLimits { max_depth: 16, max_items: 2_000_000 }
}

/// A verified, decoded bundle.
#[derive(Debug, Clone)]
pub struct TrustBundle {
    contents: TrustBundleContents,
    anchor_kid: Kid,
    digest: [u8; 32],
    trust: TrustStore,
}

impl TrustBundle {
    /// Checks the signature against the pinned anchors and decodes the contents.
    pub fn load(bytes: &[u8], anchors: &[TrustAnchor]) -> Result<Self, BundleError> {
        Self::load_with_limit(bytes, anchors, super::MAX_BUNDLE_BYTES)
    }

    /// As [`TrustBundle::load`], refusing files larger than `max_bytes`.
    pub fn load_with_limit(bytes: &[u8], anchors: &[TrustAnchor], max_bytes: usize) -> Result<Self, BundleError> {
        if bytes.len() > max_bytes {
            return Err(BundleError::TooLarge { size: bytes.len(), limit: max_bytes });
        }
        let message = SignedMessage::from_value(cbor::decode(bytes, bundle_limits())?)?;
        if message.envelope() != Envelope::CoseSign1Tag {
            return Err(BundleError::NotSigned { detail: "a bundle is a COSE_Sign1 under tag 18".into() });
        }
        if message.protected_algorithm() != AlgorithmHeader::Supported(SignatureAlgorithm::Es256) {
            return Err(BundleError::NotSigned { detail: "bundles are signed with ES256 (-7), protected".into() });
        }
        let kid = match message.key_id() {
            Some((kid, crate::codec::cose::HeaderPlacement::Protected)) => Kid::from_slice(kid),
            _ => None,
        }
        .ok_or_else(|| BundleError::NotSigned { detail: "the protected header needs an 8-byte kid".into() })?;
        let anchor = anchors
            .iter()
            .find(|anchor| anchor.kid() == kid)
            .ok_or(BundleError::UnknownAnchor { kid: kid.to_base64() })?;
        let digest = message.signed_data_digest();
        SignerKey::P256(*anchor.key())
            .verify_es256_digest(&digest, message.signature())
            .map_err(|_| BundleError::BadSignature { kid: kid.to_base64() })?;
        let payload = message.into_payload();
        let contents = TrustBundleContents::from_value(cbor::decode(&payload, bundle_limits())?)?;
        drop(payload);
        let trust = trust_store_of(&contents)?;
        Ok(Self { contents, anchor_kid: kid, digest, trust })
    }

    /// What the bundle holds.
    pub fn contents(&self) -> &TrustBundleContents {
        &self.contents
    }

    /// Its sequence number.
    pub fn sequence(&self) -> u64 {
        self.contents.sequence
    }

    /// The kid of the anchor that signed it.
    pub fn anchor_kid(&self) -> Kid {
        self.anchor_kid
    }

    /// SHA-256 of the signed data: identifies the exact bundle.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The signers, each narrowed to the types the bundle allows.
    pub fn trust_store(&self) -> &TrustStore {
        &self.trust
    }

    /// Its revocation lists.
    pub fn revocations(&self) -> &RevocationLists {
        &self.contents.revocations
    }

    /// Whether the bundle is in force at `now`.
    pub fn is_current(&self, now: UnixTime) -> bool {
        self.contents.not_before <= now && now <= self.contents.expires_at
    }
}

fn trust_store_of(contents: &TrustBundleContents) -> Result<TrustStore, BundleError> {
    let mut store = TrustStore::new();
    for (index, signer) in contents.signers.iter().enumerate() {
        let mut certificate = DocumentSignerCertificate::from_der(&signer.certificate_der)
            .map_err(|error| BundleError::Certificate { index, error })?;
        if let Some(kid) = signer.kid {
            certificate = certificate.with_kid(kid);
        }
        if let Some(types) = &signer.allowed_types {
            // The bundle can only narrow what the certificate itself allows.
            let own = certificate.key_usage();
            let allowed: Vec<CertificateType> = types.iter().copied().filter(|kind| own.allows(*kind)).collect();
            certificate = certificate.with_key_usage(KeyUsage::only(&allowed));
        }
        store.add(certificate);
    }
    Ok(store)
}
