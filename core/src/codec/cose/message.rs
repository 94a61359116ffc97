//! A COSE_Sign1 message parsed as received, with `coset`.
//!
//! Accepted envelopes: tag 18 (COSE_Sign1), tag 61 (CWT) wrapping tag 18 (dgc-testdata
//! common/CO28), and untagged. The original bytes of the protected header are kept, since the
//! signature covers them and not any re-encoding.

use ciborium::Value;
use coset::{AsCborValue, Header, Label, RegisteredLabelWithPrivate, iana};

use super::header::{AlgorithmHeader, SignatureAlgorithm, TAG_COSE_SIGN1, TAG_CWT};
use super::sig_structure::{sig_structure, sig_structure_digest};
use crate::codec::cbor::{self, CborError, CborLimits, kind_of};

/// Which header carried the key identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPlacement {
    /// In the protected header (covered by the signature).
    Protected,
    /// In the unprotected header.
    Unprotected,
}

/// How the COSE structure was wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// A bare COSE_Sign1 array.
    Untagged,
    /// Tag 18.
    CoseSign1Tag,
    /// Tag 61 around tag 18 (dgc-testdata common/CO28).
    CwtTagAroundCoseSign1,
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
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
        Self::from_value(cbor::decode(bytes, limits)?)
    }

    /// Parses an already decoded (and bounded) CBOR value; its byte strings are moved, never
    /// copied, so a bundle of many megabytes is parsed in place.
    pub fn from_value(value: Value) -> Result<Self, CoseError> {
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
        algorithm_of(self.protected.alg.as_ref().or(self.unprotected.alg.as_ref()))
    }

    /// The algorithm of the protected header only (what a signature binds).
    pub fn protected_algorithm(&self) -> AlgorithmHeader {
        algorithm_of(self.protected.alg.as_ref())
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

    /// An integer-labelled parameter of the unprotected header other than alg and kid (a
    /// provisional pass's delegation credential sits under [`super::header::KEY_CWT`]).
    pub fn unprotected_parameter(&self, label: i64) -> Option<&Value> {
        parameter(&self.unprotected, label)
    }

    /// An integer-labelled parameter of the protected header other than alg and kid.
    pub fn protected_parameter(&self, label: i64) -> Option<&Value> {
        parameter(&self.protected, label)
    }

    /// The decoded protected header.
    pub fn protected_header(&self) -> &Header {
        &self.protected
    }

    /// The unprotected header.
    pub fn unprotected_header(&self) -> &Header {
        &self.unprotected
    }

    /// The payload bytes (for a pass, the CWT claims).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload, moved out (a bundle decodes it in place).
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    /// The signature bytes as received.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// How the message was wrapped.
    pub fn envelope(&self) -> Envelope {
        self.envelope
    }

    /// The bytes the signature covers: `Sig_structure = ["Signature1", protected, h'', payload]`.
    pub fn signed_data(&self) -> Vec<u8> {
        sig_structure(&self.protected_bytes, &self.payload)
    }

    /// SHA-256 of [`SignedMessage::signed_data`], streamed (no copy of a large payload).
    pub fn signed_data_digest(&self) -> [u8; 32] {
        sig_structure_digest(&self.protected_bytes, &self.payload)
    }
}

fn parameter(header: &Header, label: i64) -> Option<&Value> {
    header.rest.iter().find(|(key, _)| *key == Label::Int(label)).map(|(_, value)| value)
}

fn algorithm_of(header_alg: Option<&coset::Algorithm>) -> AlgorithmHeader {
    match header_alg {
        None => AlgorithmHeader::Missing,
        Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)) => {
            AlgorithmHeader::Supported(SignatureAlgorithm::Es256)
        }
        Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::PS256)) => {
            AlgorithmHeader::Supported(SignatureAlgorithm::Ps256)
        }
        Some(RegisteredLabelWithPrivate::Assigned(other)) => AlgorithmHeader::Unsupported(format!("{}", *other as i64)),
        Some(RegisteredLabelWithPrivate::PrivateUse(id)) => AlgorithmHeader::Unsupported(id.to_string()),
        Some(RegisteredLabelWithPrivate::Text(text)) => AlgorithmHeader::Unsupported(format!("{text:?}")),
    }
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
