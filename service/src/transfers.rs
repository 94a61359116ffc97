//! Transfer codes on the service's side (`healthpass_core::protocol::transfer`): a wallet
//! registers its public key, a pharmacy names the code in an issuance or a reconciliation, the
//! service seals the pass to the key (HPKE, RFC 9180) and keeps only the sealed bytes until
//! the wallet acknowledges them.
//!
//! - `POST /v1/transfers` `{"public_key": "<base64url SEC1>"}`: 201 (new) or 200 (known) with
//!   the code the key derives. A key is registered once; its code cannot be registered by
//!   another key (it would derive another code).
//! - `GET /v1/transfers/{code}` (signed by the wallet's key): 200 with the sealed passes
//!   waiting (possibly none yet); 410 once expired or collected.
//! - `DELETE /v1/transfers/{code}` (signed): the wallet stored them; they are deleted (200).
//!
//! A pass issued for a code before the wallet registered it waits as a reference to the
//! issuance's stored response (no second copy), and is sealed at registration. Every
//! transfer route is rate-limited per client address, so guessing codes is slow as well as
//! pointless (1 in 2^50, and a fetch must be signed by the code's key).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use healthpass_core::protocol::hpke;
use healthpass_core::protocol::transfer::{
    DELIVERY_INFO, MAX_DELIVERIES, SealedDelivery, TRANSFER_LIFETIME_SECONDS, TransferDeliveries, TransferRegistered,
    TransferRegistration, decode_base64url, encode_base64url, transfer_signature_base,
};
use healthpass_core::protocol::{DeviceId, IssuanceResponse, TransferCode};
use healthpass_core::time::UnixTime;

use crate::api_error::ApiError;
use crate::cpu_gate::CpuGate;
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::signing::verify_p256;
use crate::storage::{SealedPass, Store, StoredResponse, TransferRecord};

/// Seals passes for wallets: the part issuance and reconciliation call.
#[derive(Clone)]
pub struct TransferSealer {
    store: Arc<dyn Store>,
    /// The issuer's gate on signature work: a seal (an ECDH) waits its turn like a signature,
    /// so sealing never starves the committer.
    cpu: Arc<CpuGate>,
}

impl TransferSealer {
    /// A sealer writing into `store`, its ECDH under `cpu`.
    pub fn new(store: Arc<dyn Store>, cpu: Arc<CpuGate>) -> Self {
        Self { store, cpu }
    }

    /// Checks a transfer code named in a request before anything is signed.
    pub fn parse(code: Option<&str>) -> Result<Option<TransferCode>, ApiError> {
        code.map(|code| {
            TransferCode::parse(code).map_err(|error| ApiError::new(422, "transfer_code_invalid", error.to_string()))
        })
        .transpose()
    }

    /// The pass in `response` (a 201 issuance answer of `device` under `key`) for the wallet of
    /// `code`: sealed now if the wallet registered it, else remembered until it does. A
    /// collected or expired code gets nothing.
    pub fn deliver(
        &self,
        code: &TransferCode,
        device: DeviceId,
        key: &str,
        response: &StoredResponse,
        now: UnixTime,
    ) -> Result<(), ApiError> {
        match self.store.transfer(code.as_str()).map_err(ApiError::storage)? {
            Some(record) if record.collected_at.is_some() || record.expires_at.seconds() < now.seconds() => Ok(()),
            Some(record) => {
                let sealed = self.seal(&record, response)?;
                self.store.put_delivery(code.as_str(), &sealed, None, now).map_err(ApiError::storage)
            }
            None => self.store.add_pending_delivery(code.as_str(), device, key, now).map_err(ApiError::storage),
        }
    }
}

impl TransferSealer {
    /// Seals the pass of an issuance answer to the wallet of `record`.
    fn seal(&self, record: &TransferRecord, response: &StoredResponse) -> Result<SealedPass, ApiError> {
        let answer: IssuanceResponse = serde_json::from_slice(&response.body)
            .map_err(|_| ApiError::new(500, "stored_response_unreadable", "a stored pass could not be read back"))?;
        let sealed = self
            .cpu
            .run(|| {
                hpke::seal_with_agreement(
                    &record.public_key,
                    DELIVERY_INFO,
                    record.code.as_bytes(),
                    answer.pass.as_bytes(),
                    Box::new(crate::signing::ring_ephemeral_agreement),
                )
            })
            .map_err(|error| {
                ApiError::retry(503, "sealing_failed", format!("the pass could not be sealed: {error}"), 2)
            })?;
        Ok(SealedPass { uvci: answer.uvci, encapsulated_key: sealed.encapsulated_key, ciphertext: sealed.ciphertext })
    }
}

/// The wallets' routes.
pub struct TransferDesk {
    store: Arc<dyn Store>,
    sealer: TransferSealer,
    /// Each client address's allowance on the transfer routes.
    pub rate: RateLimiter<IpAddr>,
    /// How far a signature's time may be from the clock.
    pub freshness: Duration,
    started: Instant,
}

/// A wallet's signature headers.
#[derive(Debug, Clone, Copy)]
pub struct WalletSignature<'a> {
    /// `Transfer-Created`.
    pub created: Option<&'a str>,
    /// `Transfer-Signature`.
    pub signature: Option<&'a str>,
}

impl TransferDesk {
    /// A desk over `store`, sealing with `sealer`: per address, 30 requests at once and one a second sustained (a
    /// wallet polls every 30 s at most often).
    pub fn new(store: Arc<dyn Store>, sealer: TransferSealer) -> Self {
        Self {
            store,
            sealer,
            rate: RateLimiter::new(RateLimit { burst: 30.0, per_second: 1.0 }),
            freshness: Duration::from_secs(300),
            started: Instant::now(),
        }
    }

    fn admit(&self, client: IpAddr) -> Result<(), ApiError> {
        self.rate.take(client, self.started.elapsed().as_secs_f64()).map_err(|seconds| {
            ApiError::retry(429, "transfer_rate_limited", "too many transfer requests from this address", seconds)
        })
    }

    /// `POST /v1/transfers`.
    pub fn register(&self, body: &[u8], client: IpAddr, now: UnixTime) -> Result<(u16, Vec<u8>), ApiError> {
        self.admit(client)?;
        let invalid = || {
            ApiError::new(
                400,
                "body_invalid",
                "expected {\"public_key\": \"<base64url of a P-256 public key, SEC1 uncompressed>\"}",
            )
        };
        let registration: TransferRegistration = serde_json::from_slice(body).map_err(|_| invalid())?;
        let public_key = decode_base64url(&registration.public_key).ok_or_else(invalid)?;
        if public_key.len() != 65 {
            return Err(invalid());
        }
        let code = TransferCode::for_public_key(&public_key).ok_or_else(invalid)?;
        let record = TransferRecord {
            code: code.as_str().to_owned(),
            public_key,
            registered_at: now,
            expires_at: now.saturating_add(TRANSFER_LIFETIME_SECONDS),
            collected_at: None,
        };
        let (stored, created) = self.store.register_transfer(&record).map_err(ApiError::storage)?;
        // Passes issued for the code before the wallet could register it (the outage case).
        for (device, key) in self.store.pending_deliveries(code.as_str()).map_err(ApiError::storage)? {
            if let Some(response) = self.store.stored_response(device, &key).map_err(ApiError::storage)? {
                let sealed = self.sealer.seal(&stored, &response)?;
                self.store
                    .put_delivery(code.as_str(), &sealed, Some((device, &key)), now)
                    .map_err(ApiError::storage)?;
            }
        }
        let body = serde_json::to_vec(&TransferRegistered {
            code: code.as_str().to_owned(),
            expires_at: stored.expires_at.to_rfc3339(),
        })
        .map_err(|error| ApiError::new(500, "encoding_failed", error.to_string()))?;
        Ok((if created { 201 } else { 200 }, body))
    }

    /// The registered code `code`, after the wallet's signature over `method` was checked.
    fn authenticate(
        &self,
        method: &str,
        code: &str,
        signature: WalletSignature<'_>,
        client: IpAddr,
        now: UnixTime,
    ) -> Result<(TransferCode, TransferRecord), ApiError> {
        self.admit(client)?;
        let code = TransferCode::parse(code)
            .map_err(|error| ApiError::new(400, "transfer_code_invalid", error.to_string()))?;
        let (Some(created), Some(signature)) = (signature.created, signature.signature) else {
            return Err(ApiError::new(
                401,
                "signature_missing",
                "Transfer-Created and Transfer-Signature headers are required (the wallet signs with its key)",
            ));
        };
        let created: i64 = created
            .trim()
            .parse()
            .map_err(|_| ApiError::new(401, "signature_malformed", "Transfer-Created must be seconds since 1970"))?;
        let signature = decode_base64url(signature.trim()).filter(|bytes| bytes.len() == 64).ok_or_else(|| {
            ApiError::new(401, "signature_malformed", "Transfer-Signature must be base64url of a 64-byte r||s")
        })?;
        // Unknown and wrongly signed look alike to the caller: nothing tells a guesser which.
        let refused = || ApiError::new(404, "transfer_unknown", "no transfer code registered with this key");
        let record = self.store.transfer(code.as_str()).map_err(ApiError::storage)?.ok_or_else(refused)?;
        let base = transfer_signature_base(method, &code.path(), created);
        if !verify_p256(&record.public_key, base.as_bytes(), &signature) {
            return Err(refused());
        }
        crate::api_error::check_freshness(now.seconds(), created, self.freshness)?;
        if record.collected_at.is_some() {
            return Err(ApiError::new(410, "transfer_collected", "the passes of this code were collected"));
        }
        if record.expires_at.seconds() < now.seconds() {
            return Err(ApiError::new(410, "transfer_expired", "this transfer code expired"));
        }
        Ok((code, record))
    }

    /// `GET /v1/transfers/{code}`.
    pub fn fetch(
        &self,
        code: &str,
        signature: WalletSignature<'_>,
        client: IpAddr,
        now: UnixTime,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let (code, record) = self.authenticate("GET", code, signature, client, now)?;
        let deliveries = self.store.deliveries(code.as_str()).map_err(ApiError::storage)?;
        let body = serde_json::to_vec(&TransferDeliveries {
            code: code.as_str().to_owned(),
            deliveries: deliveries
                .iter()
                .take(MAX_DELIVERIES)
                .map(|pass| SealedDelivery {
                    encapsulated_key: encode_base64url(&pass.encapsulated_key),
                    ciphertext: encode_base64url(&pass.ciphertext),
                })
                .collect(),
            expires_at: record.expires_at.to_rfc3339(),
        })
        .map_err(|error| ApiError::new(500, "encoding_failed", error.to_string()))?;
        Ok((200, body))
    }

    /// `DELETE /v1/transfers/{code}`.
    pub fn collect(
        &self,
        code: &str,
        signature: WalletSignature<'_>,
        client: IpAddr,
        now: UnixTime,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let (code, _) = self.authenticate("DELETE", code, signature, client, now)?;
        self.store.collect_transfer(code.as_str(), now).map_err(ApiError::storage)?;
        let body = serde_json::to_vec(&serde_json::json!({ "code": code.as_str(), "collected": true }))
            .map_err(|error| ApiError::new(500, "encoding_failed", error.to_string()))?;
        Ok((200, body))
    }
}
