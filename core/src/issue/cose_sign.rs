//! Producing a signed pass: CWT claims in a COSE_Sign1 signed by a [`Signer`].

use ciborium::Value;

use super::signer::{Signer, SignerError, normalize_es256};
use crate::codec::cose::sig_structure;
use crate::codec::{SignatureAlgorithm, cbor};
use crate::trust::Kid;

const HEADER_ALG: i64 = 1;
const HEADER_KID: i64 = 4;
const TAG_COSE_SIGN1: u64 = 18;

/// Signs a CWT payload: protected header `{1: alg, 4: kid}`, empty unprotected header,
/// tagged COSE_Sign1 (hcert spec §3.3).
pub fn sign_cose(payload: &[u8], signer: &dyn Signer, kid: Kid) -> Result<Vec<u8>, SignerError> {
    sign_cose_with_headers(payload, signer, kid, Vec::new())
}

/// As [`sign_cose`], with extra unprotected header entries (a provisional pass carries its
/// delegation credential there).
pub fn sign_cose_with_headers(
    payload: &[u8],
    signer: &dyn Signer,
    kid: Kid,
    unprotected: Vec<(Value, Value)>,
) -> Result<Vec<u8>, SignerError> {
    let algorithm = signer.algorithm();
    let protected = cbor::encode(&Value::Map(vec![
        (Value::Integer(HEADER_ALG.into()), Value::Integer(algorithm.cose_id().into())),
        (Value::Integer(HEADER_KID.into()), Value::Bytes(kid.as_bytes().to_vec())),
    ]));
    let signature = signer.sign(&sig_structure(&protected, payload))?;
    let signature = match algorithm {
        SignatureAlgorithm::Es256 => normalize_es256(&signature)?.to_vec(),
        SignatureAlgorithm::Ps256 => signature,
    };
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
