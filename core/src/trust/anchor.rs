//! The trust anchor: the P-256 key, pinned in the app, that signs trust bundles.

use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use sha2::{Digest, Sha256};

use super::kid::Kid;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("not a P-256 public key in SubjectPublicKeyInfo (PEM or DER), nor a certificate holding one")]
    Unreadable,
}

/// A pinned bundle-signing key; its kid is the first 8 bytes of the SHA-256 of its
/// SubjectPublicKeyInfo DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    kid: Kid,
    key: p256::ecdsa::VerifyingKey,
}

impl TrustAnchor {
    /// An anchor for `key`; its kid is computed from it.
    pub fn new(key: p256::ecdsa::VerifyingKey) -> Self {
        let der = key.to_public_key_der().map(|document| document.as_bytes().to_vec()).unwrap_or_default();
        Self { kid: Kid::of_certificate(&der), key }
    }

    /// Reads a public key (SPKI PEM/DER) or an X.509 certificate holding one.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnchorError> {
        if let Ok(text) = std::str::from_utf8(bytes)
            && text.contains("BEGIN PUBLIC KEY")
        {
            return p256::ecdsa::VerifyingKey::from_public_key_pem(text)
                .map(Self::new)
                .map_err(|_| AnchorError::Unreadable);
        }
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(bytes) {
            return Ok(Self::new(key));
        }
        let certificates =
            super::DocumentSignerCertificate::from_file_bytes(bytes).map_err(|_| AnchorError::Unreadable)?;
        match certificates.first().map(|certificate| certificate.key()) {
            Some(super::SignerKey::P256(key)) => Ok(Self::new(*key)),
            _ => Err(AnchorError::Unreadable),
        }
    }

    /// The kid the anchor signs bundles under.
    pub fn kid(&self) -> Kid {
        self.kid
    }

    /// The public key.
    pub fn key(&self) -> &p256::ecdsa::VerifyingKey {
        &self.key
    }

    /// The SubjectPublicKeyInfo as PEM.
    pub fn to_pem(&self) -> String {
        self.key.to_public_key_pem(p256::pkcs8::LineEnding::LF).unwrap_or_default()
    }
}

/// The kid of a P-256 public key: SHA-256 of its SPKI DER, first 8 bytes.
pub fn key_kid(key: &p256::ecdsa::VerifyingKey) -> Kid {
    let der = key.to_public_key_der().map(|document| document.as_bytes().to_vec()).unwrap_or_default();
    let digest = Sha256::digest(&der);
    let mut kid = [0u8; 8];
    kid.iter_mut().zip(digest.iter()).for_each(|(slot, byte)| *slot = *byte);
    Kid::from_bytes(kid)
}
