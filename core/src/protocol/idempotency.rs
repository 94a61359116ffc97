//! Idempotency keys (IETF httpapi-idempotency-key-header): one per request the pharmacist
//! enters, written to the outbox with the request before the first send.

use std::fmt;

/// Why a header is not an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    /// Outside the alphabet or the length.
    #[error("Idempotency-Key must be 16 to 128 characters of A-Z, a-z, 0-9, '-', '_', '.' or ':'")]
    Malformed,
}

/// A well-formed idempotency key: 16–128 characters of a URL-safe alphabet (a UUID, or 128
/// random bits in base64url, fit; anything shorter is too guessable to scope by device alone).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Reads a header value.
    pub fn parse(text: &str) -> Result<Self, IdempotencyKeyError> {
        // A quoted sf-string, as the draft writes it, is accepted too.
        let text = text.trim();
        let text = text.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')).unwrap_or(text);
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if (16..=128).contains(&text.len()) && text.chars().all(allowed) {
            Ok(Self(text.to_owned()))
        } else {
            Err(IdempotencyKeyError::Malformed)
        }
    }

    /// A new key from 128 random bits (base64url, 22 characters).
    pub fn random(bytes: [u8; 16]) -> Self {
        use base64::Engine as _;
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_uuids_and_random_keys_and_refuses_the_rest() {
        assert!(IdempotencyKey::parse("8e03978e-40d5-43e8-bc93-6894a57f9324").is_ok());
        assert!(IdempotencyKey::parse("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"").is_ok());
        assert_eq!(IdempotencyKey::random([7; 16]).as_str().len(), 22);
        assert!(IdempotencyKey::parse(IdempotencyKey::random([7; 16]).as_str()).is_ok());
        for bad in ["", "short", "has space in it 123", "ключ-ключ-ключ-ключ", &"x".repeat(129), "semi;colon;1234567"]
        {
            assert_eq!(IdempotencyKey::parse(bad), Err(IdempotencyKeyError::Malformed), "{bad}");
        }
    }
}
