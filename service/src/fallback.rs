//! The signed paper fallback on the service's side: delegation credentials for enrolled
//! devices (`POST /v1/credentials`) and the reconciliation of provisional passes into final
//! passes under the same UVCI (`POST /v1/reconciliations`). Both are device-signed requests,
//! authenticated like issuances.

use std::sync::Arc;
use std::time::Duration;

use healthpass_core::codec::cose::Signer;
use healthpass_core::codec::{PassLimits, decode_pass_text};
use healthpass_core::dcc::{CertificateType, Dcc, Strictness, hcert};
use healthpass_core::protocol::{
    CREDENTIAL_PATH, CredentialResponse, RECONCILIATION_PATH, ReconciliationRequest, reconciliation_key,
};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::anchor::key_kid;
use healthpass_core::trust::{DelegationClaims, DelegationScope, FallbackRoot, Kid};
use healthpass_core::verify::provisional::check_provisional;

use crate::api_error::ApiError;
use crate::issuance::{Answer, Authenticated, IncomingIssuance, IssuanceDesk};

/// The authority's fallback key and what its credentials allow.
pub struct FallbackAuthority {
    signer: Arc<dyn Signer>,
    root: FallbackRoot,
    /// How long a credential holds.
    pub credential_lifetime: Duration,
    /// What a credential lets a device sign.
    pub scope: DelegationScope,
}

impl FallbackAuthority {
    /// The authority signing credentials with `signer` (a P-256 key), named `name`, of
    /// `country`: two weeks of validity, tests only (both test types), passes of at most 48 h,
    /// up to 100,000 passes per credential.
    pub fn new(signer: Arc<dyn Signer>, country: &str, name: &str) -> Result<Self, String> {
        let key = match signer.public_key().map_err(|error| error.to_string())? {
            healthpass_core::codec::cose::SignerKey::P256(key) => key,
            healthpass_core::codec::cose::SignerKey::Rsa(_) => return Err("the fallback key must be P-256".into()),
        };
        let root = FallbackRoot {
            kid: key_kid(&key),
            public_key: key.to_sec1_point(false).as_bytes().to_vec(),
            country: country.to_owned(),
            name: name.to_owned(),
        };
        Ok(Self {
            signer,
            root,
            credential_lifetime: Duration::from_secs(14 * 86_400),
            scope: DelegationScope {
                certificate_types: vec![CertificateType::Test],
                test_types: healthpass_core::trust::delegation::TEST_TYPE_CODES
                    .iter()
                    .map(|code| (*code).to_owned())
                    .collect(),
                max_validity_seconds: 48 * 3_600,
                max_sequence: 100_000,
            },
        })
    }

    /// The root a trust bundle must carry for controllers to accept provisional passes.
    pub fn root(&self) -> &FallbackRoot {
        &self.root
    }
}

/// The provisional signer is the device that authenticated (checked above); nothing more to do
/// with it here than to name why it is kept: the record of the final pass is the device's.
fn check_scope_holder(_signer: &healthpass_core::verify::ProvisionalSigner) {}

fn disabled() -> ApiError {
    ApiError::new(404, "fallback_disabled", "this service was started without a fallback key (--fallback-key)")
}

impl IssuanceDesk {
    /// `POST /v1/credentials`: a fresh delegation credential for the signing device.
    pub fn handle_credential(
        &self,
        incoming: &IncomingIssuance<'_>,
        now: UnixTime,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let authority = self.fallback.as_ref().ok_or_else(disabled)?;
        let Authenticated { device, .. } = self.authenticate(incoming, CREDENTIAL_PATH, now)?;
        match serde_json::from_slice::<serde_json::Value>(incoming.body) {
            Ok(serde_json::Value::Object(fields)) if fields.is_empty() => {}
            _ => {
                return Err(ApiError::new(
                    400,
                    "body_invalid",
                    "a credential request's body is the empty JSON object {}",
                ));
            }
        }
        let device_key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&device.public_key)
            .map_err(|_| ApiError::new(500, "device_key_unreadable", "the enrolled device key is unreadable"))?;
        let lifetime = i64::try_from(authority.credential_lifetime.as_secs()).unwrap_or(i64::MAX);
        let claims = DelegationClaims {
            issuer: authority.root.country.clone(),
            device: device.id.kid(),
            device_key,
            // A few minutes early: the phone's clock may be behind the service's.
            not_before: now.saturating_sub(300),
            expires_at: now.saturating_add(lifetime),
            pharmacy_id: device.pharmacy_id.clone(),
            pharmacy_name: device.pharmacy_name.clone(),
            scope: authority.scope.clone(),
        };
        let credential = claims.sign(authority.root.kid, authority.signer.as_ref()).map_err(|error| {
            ApiError::retry(503, "signing_failed", format!("the credential could not be signed: {error}"), 2)
        })?;
        use base64::Engine as _;
        let body = serde_json::to_vec(&CredentialResponse {
            credential: base64::engine::general_purpose::STANDARD.encode(credential),
            not_before: claims.not_before.to_rfc3339(),
            expires_at: claims.expires_at.to_rfc3339(),
        })
        .map_err(|error| ApiError::new(500, "encoding_failed", error.to_string()))?;
        Ok((201, body))
    }

    /// `POST /v1/reconciliations`: the final pass of a provisional pass, same UVCI, signed once
    /// however often it is uploaded.
    pub fn handle_reconciliation(&self, incoming: &IncomingIssuance<'_>, now: UnixTime) -> Result<Answer, ApiError> {
        let authority = self.fallback.as_ref().ok_or_else(disabled)?;
        let Authenticated { device, key, digest } = self.authenticate(incoming, RECONCILIATION_PATH, now)?;
        let request: ReconciliationRequest = serde_json::from_slice(incoming.body)
            .map_err(|_| ApiError::new(400, "body_invalid", "expected {\"provisional_pass\": \"HC1:...\"}"))?;
        let invalid = |detail: String| ApiError::new(422, "provisional_invalid", detail);
        let pass = decode_pass_text(&request.provisional_pass, &PassLimits::default())
            .map_err(|error| invalid(format!("the provisional pass is not readable: {error}")))?;
        let dcc_value = hcert::dcc_value(&pass.claims).map_err(|error| invalid(error.to_string()))?;
        let kid = pass
            .message
            .key_id()
            .and_then(|(bytes, _)| Kid::from_slice(bytes))
            .ok_or_else(|| invalid("no 8-byte kid".into()))?;
        if kid != device.id.kid() {
            return Err(ApiError::new(
                403,
                "not_this_devices_pass",
                "a device reconciles the provisional passes it signed, not another's",
            ));
        }
        let kinds = CertificateType::declared_in(dcc_value);
        let signer = check_provisional(
            &pass,
            dcc_value,
            kid,
            std::slice::from_ref(&authority.root),
            &[],
            kinds.first().copied(),
        )
        .map_err(|reasons| {
            invalid(reasons.iter().map(|reason| format!("{reason} [{}]", reason.code())).collect::<Vec<_>>().join("; "))
        })?;
        let dcc = Dcc::read(dcc_value, Strictness::Strict).map_err(|error| invalid(error.to_string()))?.dcc;
        if key != reconciliation_key(dcc.certificate_id()) {
            return Err(ApiError::new(
                422,
                "idempotency_key_not_derived",
                "a reconciliation's Idempotency-Key is derived from the pass's UVCI (protocol::reconciliation_key)",
            ));
        }
        // The request the provisional pass stands for, if the service signed it after all (its
        // answer lost on the way): that pass is the test's pass; a second is never signed.
        let transfer_code = crate::transfers::TransferSealer::parse(request.transfer_code.as_deref())?;
        if let Some(original) = &request.replaces {
            let original = healthpass_core::protocol::IdempotencyKey::parse(original)
                .map_err(|error| ApiError::new(400, "body_invalid", format!("replaces: {error}")))?;
            if let Some(first) = self.stored(device.id, original.as_str())? {
                return self.deliver(transfer_code.as_ref(), device.id, &original, Answer::Replayed(first), now);
            }
        }
        let expires_at = pass.claims.expires_at.ok_or_else(|| invalid("the provisional pass has no expiry".into()))?;
        check_scope_holder(&signer);
        let answer = self.claim_and_sign(device.id, &key, digest, now, || self.sign_final(dcc, now, expires_at))?;
        self.deliver(transfer_code.as_ref(), device.id, &key, answer, now)
    }
}
