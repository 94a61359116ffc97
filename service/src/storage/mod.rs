//! Storage behind one trait, two real backends: SQLite (embedded, one instance; group commit
//! with `synchronous=FULL`) and PostgreSQL (several stateless instances on one database).
//!
//! What is stored:
//! - devices: key, pharmacy, status;
//! - idempotency entries: (device, key) → request digest, state, and the final response's
//!   exact bytes, kept at least 7 days, so a retry gets the same pass byte for byte;
//! - issuances: UVCI, device, key, time, request digest — one per (device, key), enforced by a
//!   unique constraint. No names, no birth dates.
//!
//! A key is **claimed** before anything is signed and **completed** with the response in one
//! transaction with its issuance record; only a completion makes a pass leave the service. A
//! claim left by a crash lapses after the lease (PostgreSQL) or with the process (SQLite, where
//! claims live in memory), so a retry can claim it again: the first signature never left.

pub mod postgres;
pub mod sqlite;

use std::time::Duration;

use healthpass_core::protocol::{DeviceId, DeviceStatus};
use healthpass_core::time::UnixTime;

/// A pharmacy device as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Its id (its key's kid).
    pub id: DeviceId,
    /// Its P-256 public key, SEC1 uncompressed.
    pub public_key: Vec<u8>,
    /// The pharmacy's identifier.
    pub pharmacy_id: String,
    /// The pharmacy's name.
    pub pharmacy_name: String,
    /// Whether it may issue.
    pub status: DeviceStatus,
    /// When it was enrolled.
    pub enrolled_at: UnixTime,
}

/// An issued pass, as the audit trail keeps it (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuanceRecord {
    /// The pass's UVCI.
    pub uvci: String,
    /// The device that asked.
    pub device_id: DeviceId,
    /// The request's idempotency key.
    pub idempotency_key: String,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// SHA-256 of the request body.
    pub request_digest: [u8; 32],
}

/// A final response, kept for replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// What a claim on an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's now (new, or its earlier claim lapsed): sign and complete.
    Fresh,
    /// Done before with the same request: its response, byte for byte.
    Replay(StoredResponse),
    /// Used before with another request body.
    Mismatch,
    /// Another attempt with the same request is being signed right now.
    InFlight,
}

/// What completing a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// The response and the issuance record are stored.
    Stored,
    /// Another attempt completed the key first (after this one's claim lapsed): its response
    /// is the answer, this one's pass is discarded unseen.
    AlreadyDone(StoredResponse),
    /// Another attempt completed the key first with another request body: this one's pass is
    /// discarded unseen and the request is answered as a reused key (422).
    Mismatch,
}

/// Whether an enrolment created the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolment {
    /// Newly registered.
    Created(DeviceRecord),
    /// The key was registered before (its record, unchanged).
    Existing(DeviceRecord),
}

/// A wallet's transfer code as the service keeps it (no pass in clear, no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    /// The code, canonical form.
    pub code: String,
    /// The wallet's P-256 public key, SEC1 uncompressed.
    pub public_key: Vec<u8>,
    /// When it was registered.
    pub registered_at: UnixTime,
    /// When it is forgotten.
    pub expires_at: UnixTime,
    /// When the wallet acknowledged its deliveries (they are deleted then).
    pub collected_at: Option<UnixTime>,
}

/// A pass sealed for a wallet (HPKE `enc` and ciphertext), waiting to be collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPass {
    /// The pass's UVCI (one delivery per pass and code).
    pub uvci: String,
    /// HPKE `enc`.
    pub encapsulated_key: Vec<u8>,
    /// HPKE ciphertext.
    pub ciphertext: Vec<u8>,
}

/// A storage failure: the database, not the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

/// Storage of devices, idempotency entries and issuances. Calls block; the server runs them
/// off its async threads.
pub trait Store: Send + Sync + 'static {
    /// Registers a device, or returns the one registered under the same key.
    fn enrol(&self, device: &DeviceRecord) -> Result<Enrolment, StoreError>;
    /// The device with this id.
    fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError>;
    /// Changes a device's status (a revoked device stays revoked); the device after the change.
    fn set_status(&self, id: DeviceId, status: DeviceStatus) -> Result<Option<DeviceRecord>, StoreError>;
    /// Claims `key` of `device` for a request with `request_digest` at `now`; a claim older
    /// than `lease` may be taken over.
    fn claim(
        &self,
        device: DeviceId,
        key: &str,
        request_digest: [u8; 32],
        now: UnixTime,
        lease: Duration,
    ) -> Result<Claim, StoreError>;
    /// Stores the final response and the issuance record of a claimed key, durably, before the
    /// response is sent.
    fn complete(
        &self,
        device: DeviceId,
        key: &str,
        response: &StoredResponse,
        record: &IssuanceRecord,
    ) -> Result<Completion, StoreError>;
    /// Gives a claim up (the attempt failed before signing): the next attempt may claim it.
    fn release(&self, device: DeviceId, key: &str) -> Result<(), StoreError>;
    /// Forgets completed idempotency entries older than `before` (issuance records stay).
    fn purge(&self, before: UnixTime) -> Result<u64, StoreError>;
    /// Every issuance record, oldest first (audits and tests).
    fn issuances(&self) -> Result<Vec<IssuanceRecord>, StoreError>;
    /// The stored response of a key, if completed (audits and tests).
    fn stored_response(&self, device: DeviceId, key: &str) -> Result<Option<StoredResponse>, StoreError>;

    /// Registers a transfer code, or returns the one registered before (unchanged); whether it
    /// was new.
    fn register_transfer(&self, record: &TransferRecord) -> Result<(TransferRecord, bool), StoreError>;
    /// The transfer code `code`, if registered.
    fn transfer(&self, code: &str) -> Result<Option<TransferRecord>, StoreError>;
    /// Stores a sealed pass for `code` (replacing one of the same UVCI), and forgets the
    /// pending delivery it resolves, in one transaction.
    fn put_delivery(
        &self,
        code: &str,
        pass: &SealedPass,
        resolves: Option<(DeviceId, &str)>,
        now: UnixTime,
    ) -> Result<(), StoreError>;
    /// The sealed passes waiting for `code`, oldest first.
    fn deliveries(&self, code: &str) -> Result<Vec<SealedPass>, StoreError>;
    /// Records that a pass for `code` was issued before the wallet registered it: the issuance
    /// of `device` under `key` (its stored response holds the pass until then).
    fn add_pending_delivery(&self, code: &str, device: DeviceId, key: &str, now: UnixTime) -> Result<(), StoreError>;
    /// The issuances waiting for `code` to be registered.
    fn pending_deliveries(&self, code: &str) -> Result<Vec<(DeviceId, String)>, StoreError>;
    /// The wallet stored its passes: deletes them and marks the code collected; whether it was
    /// registered.
    fn collect_transfer(&self, code: &str, now: UnixTime) -> Result<bool, StoreError>;
    /// Forgets transfer codes, deliveries and pending deliveries past their expiry.
    fn purge_transfers(&self, now: UnixTime) -> Result<u64, StoreError>;
}

/// The tables of transfer codes, in the dialect both stores share (`BLOB` is `BYTEA` in
/// PostgreSQL, substituted there).
pub(crate) const TRANSFER_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS transfers (
    code TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    registered_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    collected_at BIGINT
);
CREATE TABLE IF NOT EXISTS transfer_deliveries (
    code TEXT NOT NULL,
    uvci TEXT NOT NULL,
    encapsulated_key BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    sealed_at BIGINT NOT NULL,
    PRIMARY KEY (code, uvci)
);
CREATE TABLE IF NOT EXISTS transfer_pending (
    code TEXT NOT NULL,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (code, device_id, idempotency_key)
);
";

/// Seconds of a duration, for the stores' integer times.
fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
