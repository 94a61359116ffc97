//! Checking a COSE signature with a signer's key (hcert spec §3.3.2: ES256 and PS256).

use p256::ecdsa::signature::Verifier as _;
use sha2::Sha256;

use super::verdict::Reason;
use crate::codec::SignatureAlgorithm;
use crate::trust::SignerKey;

/// ES256 signatures in COSE are the raw concatenation r||s (RFC 9053 §2.1), never DER.
const ES256_SIGNATURE_LENGTH: usize = 64;

/// Verifies `signature` over `signed_data`; the error is the reason it does not verify.
pub fn check_signature(
    algorithm: SignatureAlgorithm,
    key: &SignerKey,
    signed_data: &[u8],
    signature: &[u8],
) -> Result<(), Reason> {
    match (algorithm, key) {
        (SignatureAlgorithm::Es256, SignerKey::P256(key)) => {
            if signature.len() != ES256_SIGNATURE_LENGTH {
                return Err(Reason::SignatureMalformed { length: signature.len() });
            }
            let signature = p256::ecdsa::Signature::from_slice(signature).map_err(|_| Reason::SignatureInvalid)?;
            key.verify(signed_data, &signature).map_err(|_| Reason::SignatureInvalid)
        }
        (SignatureAlgorithm::Ps256, SignerKey::Rsa(key)) => {
            // RFC 8230 §2: PS256 uses a salt as long as the hash (32 bytes).
            let verifier = rsa::pss::VerifyingKey::<Sha256>::new(key.clone());
            let signature = rsa::pss::Signature::try_from(signature).map_err(|_| Reason::SignatureInvalid)?;
            verifier.verify(signed_data, &signature).map_err(|_| Reason::SignatureInvalid)
        }
        (algorithm, key) => Err(Reason::AlgorithmKeyMismatch { algorithm, key: key.describe() }),
    }
}
