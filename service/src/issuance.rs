//! `POST /v1/issuances`: from a device-signed request to a stored, signed pass.
//!
//! Order of checks (each refusal changes nothing stored): the idempotency key, the body's
//! digest, the signature's form, the device (known, active), the signature, its freshness,
//! the device's allowance (after the signature, so nobody can spend another device's
//! allowance by naming it), the body, the pharmacist's entry (the same checks as local issuing); then the claim on the
//! key, the signature of the pass, and the completion that stores the response and its record
//! durably before the answer leaves. Semantics of the IETF idempotency-key draft (as Stripe's
//! API): the same key with the same body gets the same pass byte for byte; with another body,
//! 422; while the first is being signed, 409 with `Retry-After`. The service never answers
//! "already issued" without the pass.

use std::sync::Arc;
use std::time::{Duration, Instant};

use healthpass_core::issue::test_certificate::build_test_dcc;
use healthpass_core::issue::{IssueError, IssuedPass, Issuer};
use healthpass_core::protocol::{
    ContentDigestError, DeviceId, DeviceStatus, HttpSignatureError, ISSUANCE_PATH, IdempotencyKey, IssuanceRequest,
    IssuanceResponse, ParsedSignature, SignedRequestParts, TransferCode, verify_content_digest,
};
use healthpass_core::time::UnixTime;

use crate::api_error::ApiError;
use crate::cpu_gate::CpuGate;
use crate::rate_limit::DeviceRateLimiter;
use crate::signing::verify_p256;
use crate::storage::{Claim, Completion, IssuanceRecord, Store, StoredResponse};
use crate::transfers::TransferSealer;

/// The headers and body of an issuance request, as received.
#[derive(Debug, Clone, Copy)]
pub struct IncomingIssuance<'a> {
    /// `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
    /// `Content-Digest`.
    pub content_digest: Option<&'a str>,
    /// `Signature-Input`.
    pub signature_input: Option<&'a str>,
    /// `Signature`.
    pub signature: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// A device request that passed [`IssuanceDesk::authenticate`].
pub(crate) struct Authenticated {
    pub(crate) device: crate::storage::DeviceRecord,
    pub(crate) key: IdempotencyKey,
    pub(crate) digest: [u8; 32],
}

/// How an issuance request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A pass signed now.
    Issued(StoredResponse),
    /// The pass signed for the same key and body before, byte for byte.
    Replayed(StoredResponse),
    /// A delegation credential (not stored: each request gets a fresh one).
    Credential(StoredResponse),
}

/// The rules of issuance: who may, how fresh a request must be, how long a claim holds.
pub struct IssuanceDesk {
    store: Arc<dyn Store>,
    issuer: Issuer,
    issuer_name: String,
    /// How far a request's `created` may be from the service's clock.
    pub freshness: Duration,
    /// How long a claim holds before another attempt may take the key over.
    pub lease: Duration,
    /// Each device's token bucket.
    pub rate: DeviceRateLimiter,
    /// Signature work, one per core at a time.
    cpu: Arc<CpuGate>,
    /// The fallback key: credentials and reconciliations (none: those routes answer 404).
    pub fallback: Option<crate::fallback::FallbackAuthority>,
    /// Seals passes for the wallets whose transfer codes requests name.
    pub transfers: TransferSealer,
    started: Instant,
}

impl IssuanceDesk {
    /// A desk issuing with `issuer` (its `is` field: `issuer_name`) into `store`.
    pub fn new(store: Arc<dyn Store>, issuer: Issuer, issuer_name: String) -> Self {
        let cpu = Arc::new(CpuGate::new(std::thread::available_parallelism().map_or(2, usize::from)));
        Self {
            store: store.clone(),
            issuer,
            issuer_name,
            freshness: Duration::from_secs(300),
            lease: Duration::from_secs(30),
            rate: DeviceRateLimiter::new(crate::RateLimit::default()),
            transfers: TransferSealer::new(store.clone(), cpu.clone()),
            cpu,
            fallback: None,
            started: Instant::now(),
        }
    }

    /// The checks every device request passes, for the endpoint at `path`: the idempotency
    /// key, the body's digest, the signature's form, the device (known, active), the signature,
    /// its freshness, the device's allowance.
    pub(crate) fn authenticate(
        &self,
        incoming: &IncomingIssuance<'_>,
        path: &str,
        now: UnixTime,
    ) -> Result<Authenticated, ApiError> {
        let key = incoming
            .idempotency_key
            .ok_or_else(|| ApiError::new(400, "idempotency_key_missing", "an Idempotency-Key header is required"))
            .and_then(|key| {
                IdempotencyKey::parse(key)
                    .map_err(|error| ApiError::new(400, "idempotency_key_invalid", error.to_string()))
            })?;
        let digest_header = incoming
            .content_digest
            .ok_or_else(|| ApiError::new(400, "content_digest_missing", "a Content-Digest header is required"))?;
        let digest = verify_content_digest(digest_header, incoming.body).map_err(|error| match error {
            ContentDigestError::Malformed => ApiError::new(400, "content_digest_invalid", error.to_string()),
            ContentDigestError::Mismatch => ApiError::new(400, "content_digest_mismatch", error.to_string()),
        })?;
        let (Some(signature_input), Some(signature)) = (incoming.signature_input, incoming.signature) else {
            return Err(ApiError::new(401, "signature_missing", "Signature-Input and Signature headers are required"));
        };
        let parsed = ParsedSignature::parse(signature_input, signature)
            .map_err(|error| ApiError::new(401, "signature_malformed", error.to_string()))?;
        let device = self
            .store
            .device(parsed.device_id)
            .map_err(ApiError::storage)?
            .ok_or_else(|| ApiError::new(401, "device_unknown", "the signing device is not enrolled"))?;
        match device.status {
            DeviceStatus::Active => {}
            DeviceStatus::Suspended => {
                return Err(ApiError::new(403, "device_suspended", "the device is suspended; contact the operator"));
            }
            DeviceStatus::Revoked => return Err(ApiError::new(403, "device_revoked", "the device is revoked")),
        }
        let parts = SignedRequestParts {
            method: "POST",
            path,
            content_digest: digest_header,
            idempotency_key: incoming.idempotency_key.unwrap_or_default(),
        };
        let base = parsed.signature_base(&parts);
        if !self.cpu.run(|| verify_p256(&device.public_key, base.as_bytes(), parsed.signature_bytes())) {
            return Err(ApiError::new(401, "signature_invalid", HttpSignatureError::Invalid.to_string()));
        }
        crate::api_error::check_freshness(now.seconds(), parsed.created.seconds(), self.freshness)?;
        if let Err(seconds) = self.rate.take(parsed.device_id, self.started.elapsed().as_secs_f64()) {
            return Err(ApiError::retry(
                429,
                "device_rate_limited",
                "this device sends faster than its allowance; retry after the delay given",
                seconds,
            ));
        }
        Ok(Authenticated { device, key, digest })
    }

    /// Handles one issuance request at `now`.
    pub fn handle(&self, incoming: &IncomingIssuance<'_>, now: UnixTime) -> Result<Answer, ApiError> {
        let Authenticated { device, key, digest } = self.authenticate(incoming, ISSUANCE_PATH, now)?;
        let device_id = device.id;
        let request = IssuanceRequest::from_json(incoming.body)
            .map_err(|error| ApiError::new(400, "body_invalid", error.to_string()))?;
        let entry = request
            .to_test_request(&self.issuer_name)
            .map_err(|error| ApiError::new(400, "body_invalid", error.to_string()))?;
        // The entry's checks before anything is written: a refused entry leaves no claim.
        build_test_dcc(&entry, self.issuer.policy(), now, String::new())
            .map_err(|error| ApiError::new(422, "entry_invalid", error.to_string()))?;
        let transfer_code = TransferSealer::parse(request.transfer_code.as_deref())?;

        let answer = self.claim_and_sign(device_id, &key, digest, now, || {
            self.cpu.run(|| self.issuer.issue_test(&entry, now)).map_err(|error| match error {
                IssueError::Input(input) => ApiError::new(422, "entry_invalid", input.to_string()),
                other => ApiError::retry(503, "signing_failed", format!("the pass could not be signed: {other}"), 2),
            })
        })?;
        self.deliver(transfer_code.as_ref(), device_id, &key, answer, now)
    }

    /// Hands the pass of `answer` to the wallet of `code`, if a code was named. On a replay as
    /// well: a delivery that failed the first time (its error made the device retry) is made
    /// by the retry, and delivering twice replaces the sealed copy with an equal one.
    pub(crate) fn deliver(
        &self,
        code: Option<&TransferCode>,
        device: DeviceId,
        key: &IdempotencyKey,
        answer: Answer,
        now: UnixTime,
    ) -> Result<Answer, ApiError> {
        if let (Some(code), Answer::Issued(response) | Answer::Replayed(response)) = (code, &answer)
            && response.status == 201
        {
            self.transfers.deliver(code, device, key.as_str(), response, now)?;
        }
        Ok(answer)
    }

    /// The pass already signed for `key` of `device`, if any.
    pub(crate) fn stored(&self, device: DeviceId, key: &str) -> Result<Option<StoredResponse>, ApiError> {
        Ok(self
            .store
            .stored_response(device, key)
            .map_err(ApiError::storage)?
            .filter(|response| response.status == 201))
    }

    /// Signs the final pass of a reconciled provisional pass: its certificate as it was, under
    /// the document signer.
    pub(crate) fn sign_final(
        &self,
        dcc: healthpass_core::dcc::Dcc,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<IssuedPass, ApiError> {
        self.cpu.run(|| self.issuer.sign_certificate(dcc, now, expires_at)).map_err(|error| {
            ApiError::retry(503, "signing_failed", format!("the pass could not be signed: {error}"), 2)
        })
    }

    /// Claims `key` for `device_id`, signs with `sign` if the key is fresh, and stores the
    /// answer and its record durably before it is returned; replays what a key already got.
    pub(crate) fn claim_and_sign(
        &self,
        device_id: DeviceId,
        key: &IdempotencyKey,
        digest: [u8; 32],
        now: UnixTime,
        sign: impl FnOnce() -> Result<IssuedPass, ApiError>,
    ) -> Result<Answer, ApiError> {
        match self.store.claim(device_id, key.as_str(), digest, now, self.lease).map_err(ApiError::storage)? {
            Claim::Replay(response) => return Ok(Answer::Replayed(response)),
            Claim::Mismatch => return Err(key_reused()),
            Claim::InFlight => {
                return Err(ApiError::retry(
                    409,
                    "request_in_flight",
                    "a request with this Idempotency-Key is being processed; retry after the delay given",
                    1,
                ));
            }
            Claim::Fresh => {}
        }
        let pass = match sign() {
            Ok(pass) => pass,
            Err(error) => {
                // Nothing was issued: free the key for the retry.
                let _ = self.store.release(device_id, key.as_str());
                return Err(error);
            }
        };
        let body = serde_json::to_vec(&IssuanceResponse {
            pass: pass.text,
            uvci: pass.certificate_id.clone(),
            issued_at: pass.issued_at.to_rfc3339(),
            expires_at: pass.expires_at.to_rfc3339(),
        })
        .map_err(|error| ApiError::new(500, "encoding_failed", error.to_string()))?;
        let response = StoredResponse { status: 201, body };
        let record = IssuanceRecord {
            uvci: pass.certificate_id,
            device_id,
            idempotency_key: key.to_string(),
            issued_at: now,
            request_digest: digest,
        };
        match self.store.complete(device_id, key.as_str(), &response, &record).map_err(ApiError::storage)? {
            Completion::Stored => Ok(Answer::Issued(response)),
            Completion::AlreadyDone(first) => Ok(Answer::Replayed(first)),
            Completion::Mismatch => Err(key_reused()),
        }
    }
}

fn key_reused() -> ApiError {
    ApiError::new(
        422,
        "idempotency_key_reused",
        "this Idempotency-Key was used with another request body; use a new key for a new request",
    )
}
