//! The service's ECDSA P-256: `ring`, for the two signatures of every issuance (the device's
//! request signature to verify, the pass to sign). Measured on this machine (2-core AMD EPYC,
//! `bench/`): ring signs in 26 µs and verifies in 67 µs where the pure-Rust `p256` crate takes
//! 119 µs and 424 µs, so ring is what lets two cores reach the issuance rate the outage asks for.
//! The mobile library keeps `p256` (it signs with the platform's key store and verifies a pass at
//! a time); only this server crate links ring.

use healthpass_core::codec::cose::{Signer, SignerError, SignerKey, SoftwareSigner};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, UnparsedPublicKey};

/// The document signer's key in memory, signing with ring (raw r‖s, as COSE wants).
pub struct RingSigner {
    pair: EcdsaKeyPair,
    public: p256::ecdsa::VerifyingKey,
    random: SystemRandom,
}

impl RingSigner {
    /// Reads a PKCS#8 P-256 private key, PEM or DER (the same files as the rest of healthpass).
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, SignerError> {
        let software = SoftwareSigner::from_pkcs8(bytes)?;
        let key = software.signing_key();
        let public = *key.verifying_key();
        let random = SystemRandom::new();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &key.to_bytes(),
            public.to_sec1_point(false).as_bytes(),
            &random,
        )
        .map_err(|_| SignerError::UnreadableKey)?;
        Ok(Self { pair, public, random })
    }
}

impl Signer for RingSigner {
    fn public_key(&self) -> Result<SignerKey, SignerError> {
        Ok(SignerKey::P256(self.public))
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        self.pair
            .sign(&self.random, data)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| SignerError::Platform { message: "ring could not sign".into() })
    }
}

/// Whether `signature` (64 bytes r‖s) over `message` verifies with `public_key` (a SEC1 point).
pub fn verify_p256(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key).verify(message, signature).is_ok()
}

/// HPKE's ephemeral Diffie-Hellman on P-256 with ring (the service seals passes for wallets):
/// the ephemeral public point, uncompressed, and the shared x-coordinate.
pub fn ring_ephemeral_agreement(
    recipient: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), healthpass_core::protocol::hpke::HpkeError> {
    use healthpass_core::protocol::hpke::HpkeError;
    use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, agree_ephemeral};
    let random = ring::rand::SystemRandom::new();
    let ephemeral = EphemeralPrivateKey::generate(&ECDH_P256, &random).map_err(|_| HpkeError::Randomness)?;
    let public = ephemeral.compute_public_key().map_err(|_| HpkeError::Randomness)?.as_ref().to_vec();
    let shared = agree_ephemeral(ephemeral, &UnparsedPublicKey::new(&ECDH_P256, recipient), |secret| secret.to_vec())
        .map_err(|_| HpkeError::RecipientKey)?;
    Ok((public, shared))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::EncodePrivateKey;

    #[test]
    fn ring_and_p256_agree_both_ways() {
        let key = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let pem = key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap();
        let signer = RingSigner::from_pkcs8(pem.as_bytes()).unwrap();
        let signature = signer.sign(b"the message").unwrap();
        let verified = SignerKey::P256(*key.verifying_key()).verify(
            healthpass_core::codec::cose::SignatureAlgorithm::Es256,
            b"the message",
            &signature,
        );
        assert!(verified.is_ok());
        let point = key.verifying_key().to_sec1_point(false);
        let theirs: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&key, b"other");
        assert!(verify_p256(point.as_bytes(), b"other", &theirs.to_bytes()));
        assert!(!verify_p256(point.as_bytes(), b"changed", &theirs.to_bytes()));
        assert!(!verify_p256(b"not a key", b"other", &theirs.to_bytes()));
    }
}
