//! The private key behind a trait: Android Keystore, the Secure Enclave, an HSM or a software
//! key implement it; the core never needs the private key itself.

use p256::pkcs8::DecodePrivateKey;

use super::header::SignatureAlgorithm;
use super::key::SignerKey;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The platform's key store refused or failed; the message comes from the platform.
    #[error("the signing key failed: {message}")]
    Platform { message: String },
    #[error("the signer returned {length} bytes, neither a 64-byte r||s nor a DER ECDSA signature")]
    MalformedSignature { length: usize },
    #[error("the private key is not a P-256 key in PKCS#8 (PEM or DER)")]
    UnreadableKey,
    #[error("the platform's public key is not a P-256 key (SEC1 point or SubjectPublicKeyInfo)")]
    UnreadablePublicKey,
}

/// A key that signs (passes, credentials, bundles, requests). The private key never leaves
/// it; the public key is what an issuer compares with its certificate and what a pharmacy
/// device enrols with.
pub trait Signer: Send + Sync {
    /// The public key, SEC1 or SPKI on the platform side, parsed.
    fn public_key(&self) -> Result<SignerKey, SignerError>;
    /// The algorithm the key signs with; ES256 unless the key says otherwise.
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Es256
    }
    /// Signs `data` (the COSE Sig_structure). For ES256 the result may be DER, as Android
    /// Keystore and the Secure Enclave return, or raw r||s; [`normalize_es256`] accepts both.
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError>;
}

/// Converts an ECDSA P-256 signature to the raw 64-byte r||s COSE needs (RFC 9053 §2.1),
/// accepting raw or ASN.1 DER input.
pub fn normalize_es256(signature: &[u8]) -> Result<[u8; 64], SignerError> {
    let parsed = if signature.len() == 64 {
        p256::ecdsa::Signature::from_slice(signature)
    } else {
        p256::ecdsa::DerSignature::try_from(signature).and_then(p256::ecdsa::Signature::try_from)
    };
    let parsed = parsed.map_err(|_| SignerError::MalformedSignature { length: signature.len() })?;
    let mut raw = [0u8; 64];
    raw.copy_from_slice(&parsed.to_bytes());
    Ok(raw)
}

/// Reads a P-256 public key as platforms export it: a SEC1 point (iOS
/// `SecKeyCopyExternalRepresentation`) or a SubjectPublicKeyInfo DER (Android `PublicKey.encoded`).
pub fn p256_public_key(bytes: &[u8]) -> Result<p256::ecdsa::VerifyingKey, SignerError> {
    use p256::pkcs8::DecodePublicKey;
    p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
        .or_else(|_| p256::ecdsa::VerifyingKey::from_public_key_der(bytes))
        .map_err(|_| SignerError::UnreadablePublicKey)
}

/// A P-256 key held in memory, for the CLI, the reference issuer and tests.
pub struct SoftwareSigner {
    key: p256::ecdsa::SigningKey,
}

impl SoftwareSigner {
    /// A signer over a key in memory.
    pub fn new(key: p256::ecdsa::SigningKey) -> Self {
        Self { key }
    }

    /// Reads a PKCS#8 private key, PEM or DER.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, SignerError> {
        let key = match std::str::from_utf8(bytes) {
            Ok(pem) if pem.contains("-----BEGIN") => p256::ecdsa::SigningKey::from_pkcs8_pem(pem),
            _ => p256::ecdsa::SigningKey::from_pkcs8_der(bytes),
        }
        .map_err(|_| SignerError::UnreadableKey)?;
        Ok(Self { key })
    }

    /// The key (for the CLI and tests that also need its public half).
    pub fn signing_key(&self) -> &p256::ecdsa::SigningKey {
        &self.key
    }
}

/// A P-256 key in memory signs as it is (bundle anchors and test keys are plain keys).
impl Signer for p256::ecdsa::SigningKey {
    fn public_key(&self) -> Result<SignerKey, SignerError> {
        Ok(SignerKey::P256(*self.verifying_key()))
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        let signature: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(self, data);
        Ok(signature.to_bytes().to_vec())
    }
}

impl Signer for SoftwareSigner {
    fn public_key(&self) -> Result<SignerKey, SignerError> {
        Ok(SignerKey::P256(*self.key.verifying_key()))
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        Signer::sign(&self.key, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_raw_signatures_normalize_to_the_same_bytes() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let signature: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&key, b"sig structure");
        let raw = normalize_es256(&signature.to_bytes()).unwrap();
        let der = normalize_es256(signature.to_der().as_bytes()).unwrap();
        assert_eq!(raw, der);
        assert_eq!(normalize_es256(&[0u8; 70]), Err(SignerError::MalformedSignature { length: 70 }));
        assert_eq!(normalize_es256(&[]), Err(SignerError::MalformedSignature { length: 0 }));
    }
}
