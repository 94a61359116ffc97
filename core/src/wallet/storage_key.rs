//! Encryption at rest: the wallet seals every pass and every transfer key with a key the
//! platform keeps (an AES key in the Android Keystore, a Keychain item or Secure Enclave key on
//! iOS), through [`StorageKey`]. The core never sees that key; a copied wallet file is
//! unreadable elsewhere.
//!
//! Each sealed value is bound to its place (`context`: `pass:<row id>`, `transfer:<code>`), so
//! rows swapped inside the file do not open as each other.

/// Why a value cannot be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the wallet's storage key: {0}")]
pub struct StorageKeyError(pub String);

/// The platform's key for the wallet file.
pub trait StorageKey: Send + Sync {
    /// Seals `plaintext`, binding `context` (authenticated, not stored by the wallet inside the
    /// sealed bytes).
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, StorageKeyError>;
    /// Opens what [`StorageKey::seal`] returned for the same `context`; altered bytes, another
    /// context or another key are an error.
    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, StorageKeyError>;
}

/// AES-256-GCM with a key held in memory, a random 96-bit nonce per value (stored before the
/// ciphertext). What the platforms do inside their key stores; here for the CLI (a key file
/// beside the wallet) and the tests.
pub struct SoftwareStorageKey {
    cipher: aes_gcm::Aes256Gcm,
}

const NONCE_LEN: usize = 12;

impl SoftwareStorageKey {
    /// A key from 32 bytes.
    pub fn new(key: &[u8; 32]) -> Self {
        use aes_gcm::KeyInit;
        Self { cipher: aes_gcm::Aes256Gcm::new(&(*key).into()) }
    }

    /// A fresh random key's bytes.
    pub fn generate() -> Result<[u8; 32], StorageKeyError> {
        let mut key = [0_u8; 32];
        getrandom::fill(&mut key).map_err(|error| StorageKeyError(format!("no randomness: {error}")))?;
        Ok(key)
    }
}

impl StorageKey for SoftwareStorageKey {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, StorageKeyError> {
        use aes_gcm::aead::{Aead, Payload};
        let mut nonce = [0_u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|error| StorageKeyError(format!("no randomness: {error}")))?;
        let sealed = self
            .cipher
            .encrypt(&aes_gcm::Nonce::from(nonce), Payload { msg: plaintext, aad: context })
            .map_err(|_| StorageKeyError("sealing failed".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, StorageKeyError> {
        use aes_gcm::aead::{Aead, Payload};
        let (nonce, ciphertext) = sealed
            .split_first_chunk::<NONCE_LEN>()
            .ok_or_else(|| StorageKeyError("the sealed value is too short".into()))?;
        self.cipher
            .decrypt(&aes_gcm::Nonce::from(*nonce), Payload { msg: ciphertext, aad: context })
            .map_err(|_| StorageKeyError("the sealed value does not open: altered, moved, or another key".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_its_context() {
        let key = SoftwareStorageKey::new(&[1; 32]);
        let sealed = key.seal(b"HC1:pass", b"pass:1").unwrap();
        assert!(!sealed.windows(8).any(|window| window == b"HC1:pass"));
        assert_eq!(key.open(&sealed, b"pass:1").unwrap(), b"HC1:pass");
        assert!(key.open(&sealed, b"pass:2").is_err());
        assert!(SoftwareStorageKey::new(&[2; 32]).open(&sealed, b"pass:1").is_err());
        assert!(key.open(&sealed[..5], b"pass:1").is_err());
        assert_ne!(key.seal(b"HC1:pass", b"pass:1").unwrap(), sealed, "a fresh nonce each time");
    }
}
