//! CWT claims (RFC 8392) as passes use them: 1 iss, 4 exp, 6 iat, and private claims such as
//! the health certificate under -260 (hcert spec §2.6.3).

use ciborium::Value;

use super::cbor::kind_of;
use super::cbor::{self, CborError, CborLimits};
use crate::time::UnixTime;

/// `iss`: the issuing country of a pass, or the issuer of a credential.
pub const CLAIM_ISSUER: i64 = 1;
/// `sub`: the subject (a delegation credential's device kid).
pub const CLAIM_SUBJECT: i64 = 2;
/// `exp`: expiry, seconds since the epoch.
pub const CLAIM_EXPIRES_AT: i64 = 4;
/// `nbf`: not valid before.
pub const CLAIM_NOT_BEFORE: i64 = 5;
/// `iat`: issued at.
pub const CLAIM_ISSUED_AT: i64 = 6;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CwtError {
    #[error(transparent)]
    Cbor(#[from] CborError),
    /// dgc-testdata common/CBO2: a payload that is not a claims map is not a pass.
    #[error("expected the payload to be a CWT claims map, found {found}")]
    NotAMap { found: &'static str },
    #[error("claim {key} appears more than once")]
    DuplicateClaim { key: i64 },
    #[error("claim {name} must be {expected}, found {found}")]
    WrongType { name: &'static str, expected: &'static str, found: &'static str },
    #[error("claim {name} is not a usable time (out of range or not finite)")]
    TimeOutOfRange { name: &'static str },
}

/// The claims of a CWT; private claims are kept as CBOR for the layers above.
#[derive(Debug, Clone, PartialEq)]
pub struct CwtClaims {
    /// `iss`, when present.
    pub issuer: Option<String>,
    /// `iat`, when present.
    pub issued_at: Option<UnixTime>,
    /// `exp`, when present.
    pub expires_at: Option<UnixTime>,
    /// Every integer-keyed claim other than iss, iat and exp, in payload order.
    pub other: Vec<(i64, Value)>,
}

impl CwtClaims {
    /// Decodes a payload (bounded CBOR) into claims.
    pub fn from_bytes(payload: &[u8], limits: CborLimits) -> Result<Self, CwtError> {
        Self::from_value(cbor::decode(payload, limits)?)
    }

    /// Reads a decoded claims map.
    pub fn from_value(value: Value) -> Result<Self, CwtError> {
        let Value::Map(entries) = value else {
            return Err(CwtError::NotAMap { found: kind_of(&value) });
        };
        let mut claims = Self { issuer: None, issued_at: None, expires_at: None, other: Vec::new() };
        let mut seen: Vec<i64> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            // RFC 8392 also allows text keys; no pass claim uses one, so they are ignored.
            let Some(key) = cbor::as_i64(&key) else { continue };
            if seen.contains(&key) {
                return Err(CwtError::DuplicateClaim { key });
            }
            seen.push(key);
            match key {
                CLAIM_ISSUER => match value {
                    Value::Text(text) => claims.issuer = Some(text),
                    other => {
                        return Err(CwtError::WrongType {
                            name: "iss (1)",
                            expected: "a text string",
                            found: kind_of(&other),
                        });
                    }
                },
                CLAIM_ISSUED_AT => claims.issued_at = Some(numeric_date(&value, "iat (6)")?),
                CLAIM_EXPIRES_AT => claims.expires_at = Some(numeric_date(&value, "exp (4)")?),
                _ => claims.other.push((key, value)),
            }
        }
        Ok(claims)
    }

    /// The private or unlisted claim under `key`.
    pub fn claim(&self, key: i64) -> Option<&Value> {
        self.other.iter().find(|(claim_key, _)| *claim_key == key).map(|(_, value)| value)
    }

    /// Encodes the claims back into a CBOR map (iss, exp, iat, then the others).
    pub fn to_value(&self) -> Value {
        let mut entries = Vec::with_capacity(3 + self.other.len());
        if let Some(issuer) = &self.issuer {
            entries.push((Value::Integer(CLAIM_ISSUER.into()), Value::Text(issuer.clone())));
        }
        if let Some(expires_at) = self.expires_at {
            entries.push((Value::Integer(CLAIM_EXPIRES_AT.into()), Value::Integer(expires_at.seconds().into())));
        }
        if let Some(issued_at) = self.issued_at {
            entries.push((Value::Integer(CLAIM_ISSUED_AT.into()), Value::Integer(issued_at.seconds().into())));
        }
        for (key, value) in &self.other {
            entries.push((Value::Integer((*key).into()), value.clone()));
        }
        Value::Map(entries)
    }
}

/// A NumericDate: an integer, or a float as some issuers wrote (truncated to whole seconds).
pub fn numeric_date(value: &Value, name: &'static str) -> Result<UnixTime, CwtError> {
    let seconds = match value {
        Value::Integer(integer) => {
            i64::try_from(i128::from(*integer)).map_err(|_| CwtError::TimeOutOfRange { name })?
        }
        Value::Float(float) if float.is_finite() => float.floor() as i64,
        Value::Float(_) => return Err(CwtError::TimeOutOfRange { name }),
        other => return Err(CwtError::WrongType { name, expected: "a number of seconds", found: kind_of(other) }),
    };
    if !(UnixTime::MIN.seconds()..=UnixTime::MAX.seconds()).contains(&seconds) {
        return Err(CwtError::TimeOutOfRange { name });
    }
    Ok(UnixTime::from_seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: i64) -> Value {
        Value::Integer(value.into())
    }

    #[test]
    fn reads_integer_and_float_times() {
        let claims = CwtClaims::from_value(Value::Map(vec![
            (int(1), Value::Text("AT".into())),
            (int(6), Value::Float(1_620_000_000.7)),
            (int(4), int(1_650_000_000)),
            (int(-260), Value::Map(vec![])),
        ]))
        .unwrap();
        assert_eq!(claims.issuer.as_deref(), Some("AT"));
        assert_eq!(claims.issued_at, Some(UnixTime::from_seconds(1_620_000_000)));
        assert_eq!(claims.expires_at, Some(UnixTime::from_seconds(1_650_000_000)));
        assert!(claims.claim(-260).is_some());
        assert_eq!(CwtClaims::from_value(claims.to_value()).unwrap().issuer, claims.issuer);
    }

    #[test]
    fn refuses_malformed_claims() {
        assert_eq!(CwtClaims::from_value(int(3)), Err(CwtError::NotAMap { found: "an integer" }));
        assert_eq!(
            CwtClaims::from_value(Value::Map(vec![(int(4), int(1)), (int(4), int(2))])),
            Err(CwtError::DuplicateClaim { key: 4 })
        );
        assert!(matches!(
            CwtClaims::from_value(Value::Map(vec![(int(6), Value::Text("yesterday".into()))])),
            Err(CwtError::WrongType { .. })
        ));
        assert_eq!(
            CwtClaims::from_value(Value::Map(vec![(int(4), Value::Float(f64::NAN))])),
            Err(CwtError::TimeOutOfRange { name: "exp (4)" })
        );
        assert_eq!(
            CwtClaims::from_value(Value::Map(vec![(int(4), int(i64::MAX))])),
            Err(CwtError::TimeOutOfRange { name: "exp (4)" })
        );
    }
}
