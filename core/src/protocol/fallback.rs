//! The signed paper fallback's two requests, device-signed like issuances (RFC 9421 over the
//! method, the path, the Content-Digest and the Idempotency-Key):
//!
//! * `POST /v1/credentials` (body `{}`): a fresh delegation credential for the signing device,
//!   at enrolment and whenever the phone is online (about two weeks of validity).
//! * `POST /v1/reconciliations` (`{"provisional_pass": "HC1:..."}`): the service checks the
//!   provisional pass against its fallback root and signs the final pass **under the same
//!   UVCI**. The Idempotency-Key is derived from the UVCI ([`reconciliation_key`]), so every
//!   upload of one provisional pass is the same request, and the service answers its retries
//!   with the same final pass. `replaces` names the request the provisional pass stands for:
//!   if the service had signed it after all, its pass is the answer (one pass per test).

use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::idempotency::IdempotencyKey;

/// The credential endpoint.
pub const CREDENTIAL_PATH: &str = "/v1/credentials";
/// The reconciliation endpoint.
pub const RECONCILIATION_PATH: &str = "/v1/reconciliations";

/// What the service answers a credential request with (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialResponse {
    /// The credential (COSE_Sign1), base64.
    pub credential: String,
    /// From when, RFC 3339.
    pub not_before: String,
    /// Until when, RFC 3339.
    pub expires_at: String,
}

/// A provisional pass sent for reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationRequest {
    /// The provisional pass, `HC1:...`.
    pub provisional_pass: String,
    /// The Idempotency-Key of the request the pharmacist gave up waiting for, if any: when the
    /// service signed that request after all (its answer lost on the way), that pass is the
    /// test's pass, and the service answers with it rather than sign a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The traveller's transfer code (printed on the provisional attestation): the final pass
    /// is sealed for their wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_code: Option<String>,
}

impl ReconciliationRequest {
    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The Idempotency-Key of the reconciliation of the pass with `uvci`: `rec-` and 128 bits of
/// its SHA-256, base64url. One provisional pass, one key, on every device and every retry.
pub fn reconciliation_key(uvci: &str) -> IdempotencyKey {
    let digest = sha2::Sha256::digest(uvci.as_bytes());
    let mut bytes = [0_u8; 16];
    for (byte, digested) in bytes.iter_mut().zip(digest.iter()) {
        *byte = *digested;
    }
    let random = IdempotencyKey::random(bytes);
    IdempotencyKey::parse(&format!("rec-{}", random.as_str())).unwrap_or(random)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_uvci_gives_one_key_and_two_give_two() {
        let key = reconciliation_key("URN:UVCI:01:FR:P0011223344556677/1#A");
        assert_eq!(key, reconciliation_key("URN:UVCI:01:FR:P0011223344556677/1#A"));
        assert_ne!(key, reconciliation_key("URN:UVCI:01:FR:P0011223344556677/2#B"));
        assert!(key.as_str().starts_with("rec-") && IdempotencyKey::parse(key.as_str()).is_ok());
        assert!(serde_json::from_str::<ReconciliationRequest>(r#"{"provisional_pass":"HC1:X","x":1}"#).is_err());
        let plain = ReconciliationRequest { provisional_pass: "HC1:X".into(), replaces: None, transfer_code: None };
        assert_eq!(String::from_utf8(plain.to_json()).unwrap(), r#"{"provisional_pass":"HC1:X"}"#);
    }
}
