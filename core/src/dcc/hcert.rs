//! The health certificate claim of the CWT: `-260 => { 1 => DCC }` (hcert spec §2.6.3).

use ciborium::Value;

use crate::codec::CwtClaims;
use crate::codec::cbor;
use crate::codec::cbor::kind_of;

/// CWT claim key of the health certificate container.
pub const CLAIM_HCERT: i64 = -260;
/// Key of the EU DCC version 1 inside the container.
pub const HCERT_EU_DCC_V1: i64 = 1;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HcertError {
    #[error("the claims hold no health certificate (claim -260)")]
    Missing,
    #[error("claim -260 must be a map, found {found}")]
    ContainerNotAMap { found: &'static str },
    #[error("claim -260 holds no EU DCC under key 1")]
    NoEuDcc,
    #[error("claim -260 holds key {key} more than once")]
    DuplicateKey { key: i64 },
    #[error("the EU DCC must be a map, found {found}")]
    DccNotAMap { found: &'static str },
}

/// The DCC map inside the claims, as CBOR.
pub fn dcc_value(claims: &CwtClaims) -> Result<&Value, HcertError> {
    let container = claims.claim(CLAIM_HCERT).ok_or(HcertError::Missing)?;
    let Value::Map(entries) = container else {
        return Err(HcertError::ContainerNotAMap { found: kind_of(container) });
    };
    let mut found = None;
    for (key, value) in entries {
        if cbor::as_i64(key) == Some(HCERT_EU_DCC_V1) {
            if found.is_some() {
                return Err(HcertError::DuplicateKey { key: HCERT_EU_DCC_V1 });
            }
            found = Some(value);
        }
    }
    let dcc = found.ok_or(HcertError::NoEuDcc)?;
    match dcc {
        Value::Map(_) => Ok(dcc),
        other => Err(HcertError::DccNotAMap { found: kind_of(other) }),
    }
}

/// Wraps a DCC map into the `-260` claim value.
pub fn container(dcc: Value) -> Value {
    Value::Map(vec![(Value::Integer(HCERT_EU_DCC_V1.into()), dcc)])
}
