//! The public key of a signer, and the check of a COSE signature with it (hcert spec §3.3.2:
//! ES256 and PS256).

use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;

use super::header::SignatureAlgorithm;

/// ES256 signatures in COSE are the raw concatenation r||s (RFC 9053 §2.1), never DER.
const ES256_SIGNATURE_LENGTH: usize = 64;

/// The public key of a signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerKey {
    /// An EC P-256 key (ES256).
    P256(p256::ecdsa::VerifyingKey),
    /// An RSA key of 2048 to 4096 bits (PS256).
    Rsa(rsa::PublicKey),
}

/// Why a signature does not verify.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// BasicDgcTestsList CO24: an ES256 signature must be 64 bytes r||s.
    #[error("an ES256 signature is {length} bytes; it must be 64 bytes (r||s)")]
    Malformed { length: usize },
    #[error("the signature does not verify")]
    Invalid,
    /// BasicDgcTestsList CO27: the algorithm does not fit the key.
    #[error("algorithm {} does not match the {key} key", algorithm.name())]
    AlgorithmKeyMismatch { algorithm: SignatureAlgorithm, key: String },
}

impl SignerKey {
    /// "EC P-256" or "RSA 2048": for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::P256(_) => "EC P-256".into(),
            Self::Rsa(key) => format!("RSA {}", key.size() * 8),
        }
    }

    /// Checks `signature` over `signed_data` (a Sig_structure).
    pub fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        signed_data: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        match (algorithm, self) {
            (SignatureAlgorithm::Es256, Self::P256(key)) => {
                key.verify(signed_data, &es256_signature(signature)?).map_err(|_| SignatureError::Invalid)
            }
            (SignatureAlgorithm::Ps256, Self::Rsa(key)) => {
                // RFC 8230 §2: PS256 uses a salt as long as the hash (32 bytes).
                let verifier = rsa::pss::VerifyingKey::<Sha256>::new(key.clone());
                let signature = rsa::pss::Signature::try_from(signature).map_err(|_| SignatureError::Invalid)?;
                verifier.verify(signed_data, &signature).map_err(|_| SignatureError::Invalid)
            }
            (algorithm, key) => Err(SignatureError::AlgorithmKeyMismatch { algorithm, key: key.describe() }),
        }
    }

    /// Checks an ES256 signature over data given as its SHA-256 digest (a streamed
    /// Sig_structure, see [`super::sig_structure_digest`]).
    pub fn verify_es256_digest(&self, digest: &[u8; 32], signature: &[u8]) -> Result<(), SignatureError> {
        match self {
            Self::P256(key) => {
                key.verify_prehash(digest, &es256_signature(signature)?).map_err(|_| SignatureError::Invalid)
            }
            other => Err(SignatureError::AlgorithmKeyMismatch {
                algorithm: SignatureAlgorithm::Es256,
                key: other.describe(),
            }),
        }
    }
}

fn es256_signature(signature: &[u8]) -> Result<p256::ecdsa::Signature, SignatureError> {
    if signature.len() != ES256_SIGNATURE_LENGTH {
        return Err(SignatureError::Malformed { length: signature.len() });
    }
    p256::ecdsa::Signature::from_slice(signature).map_err(|_| SignatureError::Invalid)
}
