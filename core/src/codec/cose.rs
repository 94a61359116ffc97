//! COSE_Sign1 (RFC 9052 §4.2) as passes use it, parsed with `coset`.
//!
//! Accepted envelopes: tag 18 (COSE_Sign1), tag 61 (CWT) wrapping tag 18 (dgc-testdata
//! common/CO28), and untagged. The original bytes of the protected header are kept, since the
//! signature covers them and not any re-encoding.

use ciborium::Value;
use coset::{AsCborValue, Header, RegisteredLabelWithPrivate, iana};

use super::cbor::{self, CborError, CborLimits, kind_of};

const TAG_COSE_SIGN1: u64 = 18;
const TAG_CWT: u64 = 61;

/// The signature algorithms a pass may use (hcert spec §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// ECDSA with P-256 and SHA-256 (COSE -7).
    Es256,
    /// RSASSA-PSS with SHA-256 (COSE -37).
    Ps256,
}

impl SignatureAlgorithm {
    pub fn cose_id(self) -> i64 {
        match self {
            Self::Es256 => -7,
            Self::Ps256 => -37,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Ps256 => "PS256",
        }
    }
}

/// What the headers say about the algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlgorithmHeader {
    Supported(SignatureAlgorithm),
    /// dgc-testdata BasicDgcTestsList CO4: anything but ES256/PS256 is refused.
    Unsupported(String),
    Missing,
}

/// Which header carried the key identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPlacement {
    Protected,
    Unprotected,
}

/// How the COSE structure was wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    Untagged,
    CoseSign1Tag,
    CwtTagAroundCoseSign1,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoseError {
    #[error(transparent)]
    Cbor(#[from] CborError),
    #[error("expected a COSE_Sign1 (tag 18, optionally inside CWT tag 61, or untagged), found tag {tag}")]
    UnexpectedTag { tag: u64 },
    #[error("expected a COSE_Sign1 array of 4 items, found {found}")]
    NotSign1 { found: String },
    #[error("the unprotected header must be a map (or, as some issuers wrote, an empty byte string)")]
    UnprotectedNotMap,
    #[error("the payload is detached (nil); a pass must carry its payload")]
    DetachedPayload,
    #[error("the protected header declares critical parameters this verifier does not implement")]
    CriticalHeaders,
}

/// A parsed COSE_Sign1 message.
#[derive(Debug, Clone)]
pub struct SignedMessage {
    protected_bytes: Vec<u8>,
    protected: Header,
    unprotected: Header,
    payload: Vec<u8>,
    signature: Vec<u8>,
    envelope: Envelope,
}

impl SignedMessage {
    /// Parses the CBOR bytes of a COSE_Sign1 message.
    pub fn from_bytes(bytes: &[u8], limits: CborLimits) -> Result<Self, CoseError> {
        let value = cbor::decode(bytes, limits)?;
        let (value, envelope) = strip_tags(value)?;
        let Value::Array(mut items) = value else {
            return Err(CoseError::NotSign1 { found: kind_of(&value).into() });
        };
        if items.len() != 4 {
            return Err(CoseError::NotSign1 { found: format!("an array of {} items", items.len()) });
        }
        // Some issuers encoded an empty unprotected header as an empty byte string.
        if let Some(unprotected) = items.get_mut(1) {
            match unprotected {
                Value::Map(_) => {}
                Value::Bytes(bytes) if bytes.is_empty() => *unprotected = Value::Map(Vec::new()),
                _ => return Err(CoseError::UnprotectedNotMap),
            }
        }
        if matches!(items.get(2), Some(Value::Null)) {
            return Err(CoseError::DetachedPayload);
        }
        let sign1 = coset::CoseSign1::from_cbor_value(Value::Array(items))
            .map_err(|error| CoseError::NotSign1 { found: describe_coset_error(&error) })?;
        if !sign1.protected.header.crit.is_empty() {
            return Err(CoseError::CriticalHeaders);
        }
        Ok(Self {
            protected_bytes: sign1.protected.original_data.unwrap_or_default(),
            protected: sign1.protected.header,
            unprotected: sign1.unprotected,
            payload: sign1.payload.unwrap_or_default(),
            signature: sign1.signature,
            envelope,
        })
    }

    /// The algorithm from the protected header, or else from the unprotected one
    /// (dgc-testdata common/CO20 and real issuers put it there).
    pub fn algorithm(&self) -> AlgorithmHeader {
        let header_alg = self.protected.alg.as_ref().or(self.unprotected.alg.as_ref());
        match header_alg {
            None => AlgorithmHeader::Missing,
            Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)) => {
                AlgorithmHeader::Supported(SignatureAlgorithm::Es256)
            }
            Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::PS256)) => {
                AlgorithmHeader::Supported(SignatureAlgorithm::Ps256)
            }
            Some(RegisteredLabelWithPrivate::Assigned(other)) => {
                AlgorithmHeader::Unsupported(format!("{}", *other as i64))
            }
            Some(RegisteredLabelWithPrivate::PrivateUse(id)) => AlgorithmHeader::Unsupported(id.to_string()),
            Some(RegisteredLabelWithPrivate::Text(text)) => AlgorithmHeader::Unsupported(format!("{text:?}")),
        }
    }

    /// The key identifier: the protected one when present, else the unprotected one.
    ///
    /// dgc-testdata common/CO21 and CO22: a protected kid wins over the unprotected one.
    pub fn key_id(&self) -> Option<(&[u8], HeaderPlacement)> {
        if !self.protected.key_id.is_empty() {
            Some((&self.protected.key_id, HeaderPlacement::Protected))
        } else if !self.unprotected.key_id.is_empty() {
            Some((&self.unprotected.key_id, HeaderPlacement::Unprotected))
        } else {
            None
        }
    }

    pub fn protected_header(&self) -> &Header {
        &self.protected
    }

    pub fn unprotected_header(&self) -> &Header {
        &self.unprotected
    }

    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    pub fn envelope(&self) -> Envelope {
        self.envelope
    }

    /// The bytes the signature covers: `Sig_structure = ["Signature1", protected, h'', payload]`.
    pub fn signed_data(&self) -> Vec<u8> {
        sig_structure(&self.protected_bytes, &self.payload)
    }
}

/// `Sig_structure` for a COSE_Sign1 with empty external AAD (RFC 9052 §4.4).
pub fn sig_structure(protected_bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    cbor::encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected_bytes.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

fn strip_tags(value: Value) -> Result<(Value, Envelope), CoseError> {
    match value {
        Value::Tag(TAG_CWT, inner) => match *inner {
            Value::Tag(TAG_COSE_SIGN1, message) => Ok((*message, Envelope::CwtTagAroundCoseSign1)),
            Value::Tag(tag, _) => Err(CoseError::UnexpectedTag { tag }),
            other => Err(CoseError::NotSign1 { found: format!("CWT tag around {}", kind_of(&other)) }),
        },
        Value::Tag(TAG_COSE_SIGN1, message) => Ok((*message, Envelope::CoseSign1Tag)),
        Value::Tag(tag, _) => Err(CoseError::UnexpectedTag { tag }),
        other => Ok((other, Envelope::Untagged)),
    }
}

fn describe_coset_error(error: &coset::CoseError) -> String {
    match error {
        coset::CoseError::DuplicateMapKey => "a header with a duplicate label".into(),
        coset::CoseError::UnexpectedItem(found, expected) => format!("{found} where {expected} was expected"),
        coset::CoseError::OutOfRangeIntegerValue => "an integer out of range in a header".into(),
        coset::CoseError::ExtraneousData => "extra data after a header".into(),
        coset::CoseError::DecodeFailed(_) => "an undecodable protected header".into(),
        _ => "a malformed COSE structure".into(),
    }
}
