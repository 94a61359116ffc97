//! The bytes a COSE_Sign1 signature covers (RFC 9052 §4.4):
//! `Sig_structure = ["Signature1", protected, external_aad = h'', payload]`.

use ciborium::Value;
use sha2::{Digest, Sha256};

use crate::codec::cbor;

/// `Sig_structure` with empty external AAD.
pub fn sig_structure(protected_bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    cbor::encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected_bytes.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

/// SHA-256 of [`sig_structure`], streamed: a bundle of a million revocation hashes is never
/// copied into a Sig_structure.
pub fn sig_structure_digest(protected_bytes: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0x84]);
    hasher.update(cbor::head(3, 10));
    hasher.update(b"Signature1");
    hasher.update(cbor::head(2, protected_bytes.len() as u64));
    hasher.update(protected_bytes);
    hasher.update([0x40]);
    hasher.update(cbor::head(2, payload.len() as u64));
    hasher.update(payload);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streamed_digest_equals_the_digest_of_the_sig_structure() {
        for length in [0usize, 23, 24, 255, 256, 70_000] {
            let payload = vec![7u8; length];
            let expected: [u8; 32] = Sha256::digest(sig_structure(b"\xa1\x01\x26", &payload)).into();
            assert_eq!(sig_structure_digest(b"\xa1\x01\x26", &payload), expected, "length {length}");
        }
    }
}
