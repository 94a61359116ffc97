//! `Content-Digest` (RFC 9530): `sha-256=:<base64 of the SHA-256 of the body>:`.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Why a `Content-Digest` does not match a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentDigestError {
    /// Not `sha-256=:<base64>:`.
    #[error("Content-Digest must be sha-256=:<base64>: (RFC 9530)")]
    Malformed,
    /// The body has another digest.
    #[error("Content-Digest does not match the body")]
    Mismatch,
}

/// The `Content-Digest` header value of `body`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body)))
}

/// Checks a `Content-Digest` header against `body`; returns the digest.
pub fn verify_content_digest(header: &str, body: &[u8]) -> Result<[u8; 32], ContentDigestError> {
    let encoded = header
        .trim()
        .strip_prefix("sha-256=:")
        .and_then(|rest| rest.strip_suffix(':'))
        .ok_or(ContentDigestError::Malformed)?;
    let claimed =
        base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| ContentDigestError::Malformed)?;
    let actual: [u8; 32] = Sha256::digest(body).into();
    if claimed.as_slice() == actual { Ok(actual) } else { Err(ContentDigestError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_bodies_and_forms() {
        let header = content_digest(b"{\"hello\": \"world\"}");
        // RFC 9530 appendix D.1 example body and digest.
        assert_eq!(header, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
        assert!(verify_content_digest(&header, b"{\"hello\": \"world\"}").is_ok());
        assert_eq!(verify_content_digest(&header, b"{}"), Err(ContentDigestError::Mismatch));
        assert_eq!(verify_content_digest("sha-512=:AAAA:", b""), Err(ContentDigestError::Malformed));
        assert_eq!(verify_content_digest("sha-256=:!!!:", b""), Err(ContentDigestError::Malformed));
    }
}
