//! Building and signing a COSE_Sign1: protected `{1: alg, 4: kid}`, integer-labelled
//! unprotected parameters (a provisional pass's delegation credential under label 13), the
//! payload, the signature of a [`Signer`], tag 18 (hcert spec §3.3).

use ciborium::Value;

use super::header::{ALGORITHM, KEY_ID, SignatureAlgorithm, TAG_COSE_SIGN1};
use super::sig_structure::sig_structure;
use super::signer::{Signer, SignerError, normalize_es256};
use crate::codec::cbor;

/// A COSE_Sign1 about to be signed.
#[derive(Debug, Clone)]
pub struct CoseSign1Builder {
    key_id: Vec<u8>,
    unprotected: Vec<(i64, Value)>,
}

impl CoseSign1Builder {
    /// A message whose protected header names `key_id` (the signer's kid).
    pub fn new(key_id: &[u8]) -> Self {
        Self { key_id: key_id.to_vec(), unprotected: Vec::new() }
    }

    /// Adds an unprotected header parameter (not covered by the signature).
    pub fn unprotected(mut self, label: i64, value: Value) -> Self {
        self.unprotected.push((label, value));
        self
    }

    /// The protected header's bytes for `algorithm`.
    fn protected_bytes(&self, algorithm: SignatureAlgorithm) -> Vec<u8> {
        cbor::encode(&Value::Map(vec![
            (Value::Integer(ALGORITHM.into()), Value::Integer(algorithm.cose_id().into())),
            (Value::Integer(KEY_ID.into()), Value::Bytes(self.key_id.clone())),
        ]))
    }

    /// Signs `payload` with `signer` (ES256 signatures normalised to raw r||s) and returns the
    /// tagged COSE_Sign1 bytes.
    pub fn sign(self, payload: &[u8], signer: &dyn Signer) -> Result<Vec<u8>, SignerError> {
        let algorithm = signer.algorithm();
        let protected = self.protected_bytes(algorithm);
        let signature = signer.sign(&sig_structure(&protected, payload))?;
        let signature = match algorithm {
            SignatureAlgorithm::Es256 => normalize_es256(&signature)?.to_vec(),
            SignatureAlgorithm::Ps256 => signature,
        };
        let unprotected =
            self.unprotected.into_iter().map(|(label, value)| (Value::Integer(label.into()), value)).collect();
        Ok(cbor::encode(&Value::Tag(
            TAG_COSE_SIGN1,
            Box::new(Value::Array(vec![
                Value::Bytes(protected),
                Value::Map(unprotected),
                Value::Bytes(payload.to_vec()),
                Value::Bytes(signature),
            ])),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::cose::{AlgorithmHeader, HeaderPlacement, SignedMessage, SignerKey, SoftwareSigner};

    #[test]
    fn builds_what_the_parser_reads_and_the_key_verifies() {
        let key = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let signer = SoftwareSigner::new(key.clone());
        let bytes = CoseSign1Builder::new(&[1, 2, 3, 4, 5, 6, 7, 8])
            .unprotected(13, Value::Bytes(vec![0xa0]))
            .sign(b"payload", &signer)
            .unwrap();
        let message = SignedMessage::from_value(cbor::decode(&bytes, Default::default()).unwrap()).unwrap();
        assert_eq!(message.algorithm(), AlgorithmHeader::Supported(SignatureAlgorithm::Es256));
        assert_eq!(message.key_id(), Some((&[1u8, 2, 3, 4, 5, 6, 7, 8][..], HeaderPlacement::Protected)));
        assert_eq!(message.unprotected_parameter(13), Some(&Value::Bytes(vec![0xa0])));
        assert_eq!(message.payload(), b"payload");
        let public = SignerKey::P256(*key.verifying_key());
        public.verify(SignatureAlgorithm::Es256, &message.signed_data(), message.signature()).unwrap();
        public.verify_es256_digest(&message.signed_data_digest(), message.signature()).unwrap();
        assert!(public.verify(SignatureAlgorithm::Es256, b"other", message.signature()).is_err());
    }
}
