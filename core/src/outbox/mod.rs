//! The pharmacy outbox: nothing a pharmacist enters is lost, and retries never worsen an outage.
//!
//! A request is written to a durable SQLite file with its idempotency key before any byte is
//! sent ([`Outbox::enqueue`]); attempts are then prepared ([`Outbox::prepare`]: the request is
//! signed with the device key at that moment, so the service's freshness window holds after a
//! weekend offline) and their answers recorded ([`Outbox::record`]). The service answers every
//! retry of a key with the pass it signed the first time, so an answer lost to a crash, a
//! dead network or a killed app costs nothing.
//!
//! The core does no network I/O: a [`Transport`] carries the requests (OkHttp or URLSession
//! through the FFI, a Rust client in the CLI). [`Outbox::drain`] and [`Outbox::send_now`] drive
//! a blocking transport; the FFI drives an async one with `prepare` and `record` directly.
//! Time is always passed in.

pub mod retry;
mod store;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;

pub use retry::{
    AnswerClass, Backoff, BudgetState, NextTry, RetryBudget, RetryPolicy, RetryProfile, parse_retry_after_ms,
};
pub use store::{EntryKind, EntryState, OutboxEntry, OutboxStoreError, Rejection};
use store::{OutboxFile, Settlement};

use crate::codec::cose::{Signer, SignerKey};
use crate::codec::{PassLimits, decode_pass_text};
use crate::issue::IssuingPolicy;
use crate::issue::test_certificate::build_test_dcc;
use crate::protocol::{
    CREDENTIAL_PATH, CredentialResponse, DeviceId, ErrorBody, ISSUANCE_PATH, IdempotencyKey, IssuanceRequest,
    IssuanceResponse, MAX_REQUEST_BODY_BYTES, RECONCILIATION_PATH, ReconciliationRequest, SignedRequestParts,
    TransferCode, content_digest, reconciliation_key, sign_request,
};
pub use crate::protocol::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::time::UnixMillis;

/// The largest answer read from the service (a pass answer is about 1 kB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The pharmacy device: its id (from its public key) and its key, which signs every attempt.
#[derive(Clone)]
pub struct DeviceCredentials {
    id: DeviceId,
    signer: Arc<dyn Signer>,
}

impl DeviceCredentials {
    /// The device whose P-256 key `signer` holds (the key it enrolled with).
    pub fn new(signer: Arc<dyn Signer>) -> Result<Self, OutboxError> {
        match signer.public_key() {
            Ok(SignerKey::P256(key)) => Ok(Self { id: DeviceId::of_key(&key), signer }),
            Ok(SignerKey::Rsa(_)) => Err(OutboxError::Device("the device key must be an EC P-256 key".into())),
            Err(error) => Err(OutboxError::Device(format!("the device key's public key is unavailable: {error}"))),
        }
    }

    /// The device id the service knows it by.
    pub fn id(&self) -> DeviceId {
        self.id
    }
}

/// Why an outbox call failed. No variant carries a name or a birth date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    /// The file is unusable; the app keeps working without the outbox.
    #[error(transparent)]
    Store(#[from] OutboxStoreError),
    /// The issuer's address is not usable.
    #[error("the issuer address {0}")]
    Endpoint(String),
    /// The entry would be refused by any issuer; nothing was queued.
    #[error("the entry cannot be issued: {0}")]
    Entry(String),
    /// The device key cannot sign.
    #[error("{0}")]
    Device(String),
    /// No request under this ticket.
    #[error("no request with ticket {0} in the outbox")]
    UnknownTicket(String),
}

/// What happened to a request, as far as the outbox knows now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The pass arrived and is stored.
    Issued(IssuanceResponse),
    /// The service refused the request itself.
    Rejected(Rejection),
    /// Withdrawn: a provisional pass was handed over instead.
    Withdrawn,
    /// Not yet: the request waits in the outbox for its next attempt.
    Queued {
        /// When it will be tried again.
        next_attempt_at: UnixMillis,
        /// Under which profile (backlog once the interactive window has passed: the app offers
        /// the signed paper fallback then).
        profile: RetryProfile,
        /// Why the last attempt failed, if one was made.
        last_error: Option<String>,
    },
}

/// The next step for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Send this, then give the answer (or its absence) to [`Outbox::record`].
    Send(HttpRequest),
    /// Not now: try again at this time (not due yet, or the device's retry budget is spent).
    Wait(UnixMillis),
    /// Nothing more to send: issued or rejected.
    Settled(Delivery),
}

/// What one pass of [`Outbox::drain`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Requests sent.
    pub attempted: u32,
    /// Passes received.
    pub issued: u32,
    /// Requests the service refused.
    pub rejected: u32,
    /// Requests that will be tried again.
    pub retrying: u32,
    /// The earliest next attempt of what is left.
    pub next_attempt_at: Option<UnixMillis>,
}

/// Counts by state, for a status screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStatus {
    /// Waiting for an attempt.
    pub pending: u32,
    /// Being sent.
    pub in_flight: u32,
    /// Passes received.
    pub issued: u32,
    /// Refused by the service.
    pub rejected: u32,
    /// Withdrawn for a provisional pass.
    pub withdrawn: u32,
    /// The earliest next attempt.
    pub next_attempt_at: Option<UnixMillis>,
}

/// The durable outbox of one pharmacy device.
pub struct Outbox {
    file: OutboxFile,
    policy: RetryPolicy,
    random: Mutex<u64>,
    /// Until when a pharmacist's "retry now" lets retries past the budget (in memory: a
    /// restart ends it); the first sign of trouble ends it too.
    retry_now_until: Mutex<Option<UnixMillis>>,
    /// Until when the service asked this device to hold off (its last 429 or 503 with
    /// `Retry-After`). New requests wait for it too, not only the refused one: at 10x demand
    /// their first attempts are what a service must otherwise refuse one by one, and each
    /// refusal costs it a share of an issuance. In memory: a restart sends once and learns again.
    held_until: Mutex<Option<UnixMillis>>,
}

impl Outbox {
    /// Opens (or creates) the outbox at `path` with the default policy. A damaged or foreign
    /// file is refused, untouched, with a message naming it.
    pub fn open(path: &Path) -> Result<Self, OutboxError> {
        let mut seed = [0_u8; 8];
        // Without system randomness, the clock-free fallback still differs per file.
        if getrandom::fill(&mut seed).is_err() {
            seed = (path.as_os_str().len() as u64 ^ 0x9E37_79B9_7F4A_7C15).to_le_bytes();
        }
        Self::open_with(path, RetryPolicy::default(), u64::from_le_bytes(seed))
    }

    /// Opens with a policy and a jitter seed (simulations and tests).
    pub fn open_with(path: &Path, policy: RetryPolicy, seed: u64) -> Result<Self, OutboxError> {
        Ok(Self {
            file: OutboxFile::open(path)?,
            policy,
            random: Mutex::new(seed),
            retry_now_until: Mutex::new(None),
            held_until: Mutex::new(None),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The retry policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Queues `request` for the issuer at `endpoint` (`https://host[:port]`), durably, under a
    /// fresh idempotency key: the ticket. The entry is checked as the issuer will check it
    /// first, so a mistake is caught while the pharmacist is still at the counter.
    pub fn enqueue(
        &self,
        endpoint: &str,
        request: &IssuanceRequest,
        profile: RetryProfile,
        now: UnixMillis,
    ) -> Result<String, OutboxError> {
        let endpoint = parse_endpoint(endpoint)?;
        let entry = request.to_test_request("issuer").map_err(|error| OutboxError::Entry(error.to_string()))?;
        if let Some(code) = &request.transfer_code {
            TransferCode::parse(code).map_err(|error| OutboxError::Entry(format!("the transfer code: {error}")))?;
        }
        build_test_dcc(&entry, &IssuingPolicy::default(), now.unix_time(), "URN:UVCI:01:XX:CHECK".into())
            .map_err(|error| OutboxError::Entry(error.to_string()))?;
        let body = request.to_json();
        if body.len() > MAX_REQUEST_BODY_BYTES {
            return Err(OutboxError::Entry(format!("the request is over {MAX_REQUEST_BODY_BYTES} bytes")));
        }
        let mut key = [0_u8; 16];
        getrandom::fill(&mut key)
            .map_err(|error| OutboxError::Device(format!("no randomness for the idempotency key: {error}")))?;
        let ticket = IdempotencyKey::random(key);
        self.file.insert(ticket.as_str(), EntryKind::Issuance, &endpoint, &body, profile, now)?;
        Ok(ticket.as_str().to_owned())
    }

    /// The next step for `ticket` at `now`: a signed request to send, a time to wait for, or
    /// its settled outcome. Marks the request in flight when it returns one to send.
    pub fn prepare(&self, ticket: &str, device: &DeviceCredentials, now: UnixMillis) -> Result<Attempt, OutboxError> {
        let entry = self.file.entry(ticket)?.ok_or_else(|| OutboxError::UnknownTicket(ticket.to_owned()))?;
        match entry.state {
            EntryState::Issued | EntryState::Rejected | EntryState::Withdrawn => {
                return Ok(Attempt::Settled(self.delivery(&entry)?));
            }
            EntryState::InFlight => return Ok(Attempt::Wait(now.saturating_add_millis(1_000))),
            EntryState::Pending => {}
        }
        if entry.next_attempt_at > now {
            return Ok(Attempt::Wait(entry.next_attempt_at));
        }
        let budget = self.policy.budget;
        let state = self.file.budget()?.unwrap_or_else(|| budget.full(now));
        let manual = self
            .retry_now_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|until| now < until);
        if let Some(until) = self.held_until(now).filter(|_| !manual && entry.attempts == 0) {
            // The service asked this device to hold off: a new request waits with the others.
            self.file.reschedule(ticket, until)?;
            return Ok(Attempt::Wait(until));
        }
        if manual {
            // The pharmacist asked: retries go now, until the service pushes back (record()).
        } else if entry.attempts == 0 {
            // A first attempt earns a share of a retry.
            self.file.set_budget(budget.deposit(state, budget.per_request, now))?;
        } else if self.policy.profile_at(entry.profile, entry.enqueued_at, now) == RetryProfile::Interactive {
            // While the pharmacist waits (20 s at most, `Retry-After` honoured), retries are
            // not budgeted: they are bounded by the window, and a spent budget would hand the
            // fallback over after two seconds of a blip. Backlogs are what the budget paces.
        } else {
            // A retry spends the device's budget; without a token it waits for one, plus up
            // to a tenth of the wait again, so a phone's backlog does not wake all at once.
            match budget.take(state, now) {
                Ok(state) => self.file.set_budget(state)?,
                Err(ready) => {
                    let wait = ready.millis_since(now).max(1);
                    let until = ready.saturating_add_millis((self.random() * wait as f64 / 10.0) as i64);
                    self.file.reschedule(ticket, until)?;
                    // The whole backlog waits for the same token: moved in one statement, not
                    // woken and put back one by one.
                    self.file.defer_retries(until)?;
                    return Ok(Attempt::Wait(until));
                }
            }
        }
        let Some((endpoint, body, started)) = self.file.start_attempt(ticket)? else {
            return Ok(Attempt::Wait(now.saturating_add_millis(1_000)));
        };
        let path = match started.kind {
            EntryKind::Issuance => ISSUANCE_PATH,
            EntryKind::Reconciliation => RECONCILIATION_PATH,
        };
        match signed_request(&endpoint, path, ticket, body, device, now) {
            Ok(request) => Ok(Attempt::Send(request)),
            Err(error) => {
                // The key store may be locked for a moment: keep the request, try later.
                self.record(ticket, Err(TransportError(error.to_string())), now)?;
                Err(error)
            }
        }
    }

    /// Records the answer to the attempt [`Outbox::prepare`] returned (or `Err` when none
    /// came), and says where the request stands.
    pub fn record(
        &self,
        ticket: &str,
        answer: Result<HttpResponse, TransportError>,
        now: UnixMillis,
    ) -> Result<Delivery, OutboxError> {
        let entry = self.file.entry(ticket)?.ok_or_else(|| OutboxError::UnknownTicket(ticket.to_owned()))?;
        if entry.state != EntryState::InFlight {
            // Settled meanwhile, or never sent: the stored state is the truth.
            return self.delivery(&entry);
        }
        let retry = |error: String, retry_after_ms: Option<i64>| -> Result<Delivery, OutboxError> {
            *self.retry_now_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            let next = self.policy.next_try(
                entry.profile,
                entry.enqueued_at,
                entry.attempts,
                retry_after_ms,
                now,
                self.random(),
            );
            self.file.settle(
                ticket,
                &Settlement::Retry { next_attempt_at: next.at, profile: next.profile, error: &error },
                now,
            )?;
            Ok(Delivery::Queued { next_attempt_at: next.at, profile: next.profile, last_error: Some(error) })
        };
        let response = match answer {
            Err(error) => return retry(clean_text(&error.0, 200), None),
            Ok(response) => response,
        };
        let retry_after = response.header("retry-after").and_then(parse_retry_after_ms);
        match AnswerClass::of_status(response.status) {
            AnswerClass::Success => match read_pass(&response.body) {
                Ok(pass) => {
                    self.file.settle(
                        ticket,
                        &Settlement::Issued { response: &response.body, uvci: &pass.uvci },
                        now,
                    )?;
                    // A pass shows the service is back: it funds part of another retry.
                    let budget = self.policy.budget;
                    let state = self.file.budget()?.unwrap_or_else(|| budget.full(now));
                    self.file.set_budget(budget.deposit(state, budget.per_success, now))?;
                    Ok(Delivery::Issued(pass))
                }
                // The key makes asking again safe: the service replays the same pass.
                Err(problem) => retry(format!("HTTP {}: {problem}", response.status), retry_after),
            },
            AnswerClass::Retryable => {
                if matches!(response.status, 429 | 503) {
                    // The service says it is over capacity: every retry of this device waits
                    // for new tokens, not only this one, and while its `Retry-After` runs, new
                    // requests wait too.
                    let budget = self.policy.budget;
                    let state = self.file.budget()?.unwrap_or_else(|| budget.full(now));
                    self.file.set_budget(budget.spent(state, now))?;
                    if let Some(retry_after) = retry_after {
                        // Spread, so the devices told the same do not return together.
                        let until = now.saturating_add_millis(self.policy.hold_ms(retry_after, self.random()));
                        let mut held = self.held_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        *held = Some(held.map_or(until, |earlier| earlier.max(until)));
                    }
                }
                retry(format!("HTTP {}{}", response.status, error_suffix(&response.body)), retry_after)
            }
            AnswerClass::Terminal => {
                let rejection = read_rejection(response.status, &response.body);
                self.file.settle(ticket, &Settlement::Rejected(&rejection), now)?;
                Ok(Delivery::Rejected(rejection))
            }
        }
    }

    /// Queues the upload of a provisional pass for reconciliation (backlog: nobody waits for
    /// it), under the ticket its UVCI determines; queueing it again changes nothing. With
    /// `replacing`, the pending request the provisional pass stands for is withdrawn in the same
    /// transaction; if that request is no longer pending (in flight, or answered: its pass
    /// counts), nothing changes and `Ok(None)` says so.
    pub fn enqueue_reconciliation(
        &self,
        endpoint: &str,
        provisional_pass: &str,
        uvci: &str,
        replacing: Option<&str>,
        transfer_code: Option<&TransferCode>,
        now: UnixMillis,
    ) -> Result<Option<String>, OutboxError> {
        let endpoint = parse_endpoint(endpoint)?;
        let ticket = reconciliation_key(uvci);
        let body = ReconciliationRequest {
            provisional_pass: provisional_pass.to_owned(),
            replaces: replacing.map(str::to_owned),
            transfer_code: transfer_code.map(|code| code.as_str().to_owned()),
        }
        .to_json();
        if body.len() > MAX_REQUEST_BODY_BYTES {
            return Err(OutboxError::Entry(format!("the provisional pass is over {MAX_REQUEST_BODY_BYTES} bytes")));
        }
        let queued = match replacing {
            Some(original) => self.file.replace(original, ticket.as_str(), &endpoint, &body, now)?,
            None => {
                self.file.insert(
                    ticket.as_str(),
                    EntryKind::Reconciliation,
                    &endpoint,
                    &body,
                    RetryProfile::Backlog,
                    now,
                )?;
                true
            }
        };
        Ok(queued.then(|| ticket.as_str().to_owned()))
    }

    /// Withdraws a request still waiting (the pharmacist hands over a provisional pass for
    /// it); whether it was. One in flight or answered is not withdrawn: its pass counts.
    pub fn withdraw(&self, ticket: &str, now: UnixMillis) -> Result<bool, OutboxError> {
        Ok(self.file.withdraw(ticket, now)?)
    }

    /// The signed request for a fresh delegation credential from the issuer at `endpoint`.
    pub fn credential_request(
        &self,
        endpoint: &str,
        device: &DeviceCredentials,
        now: UnixMillis,
    ) -> Result<HttpRequest, OutboxError> {
        let endpoint = parse_endpoint(endpoint)?;
        let mut key = [0_u8; 16];
        getrandom::fill(&mut key)
            .map_err(|error| OutboxError::Device(format!("no randomness for the idempotency key: {error}")))?;
        signed_request(&endpoint, CREDENTIAL_PATH, IdempotencyKey::random(key).as_str(), b"{}".to_vec(), device, now)
    }

    /// Keeps the credential in the issuer's answer to [`Outbox::credential_request`]; its
    /// validity, RFC 3339. A refusal or an unreadable answer changes nothing kept.
    pub fn record_credential(&self, answer: &HttpResponse) -> Result<(String, String), OutboxError> {
        use base64::Engine as _;
        if answer.status != 201 {
            let rejection = read_rejection(answer.status, &answer.body);
            return Err(OutboxError::Device(format!(
                "the issuer gave no credential: HTTP {} {} ({})",
                rejection.status, rejection.code, rejection.message
            )));
        }
        let unreadable = || OutboxError::Device("the issuer's credential answer is unreadable".into());
        let response: CredentialResponse =
            serde_json::from_slice(answer.body.get(..MAX_RESPONSE_BYTES.min(answer.body.len())).unwrap_or_default())
                .map_err(|_| unreadable())?;
        let credential = base64::engine::general_purpose::STANDARD
            .decode(response.credential.as_bytes())
            .map_err(|_| unreadable())?;
        if credential.is_empty() || credential.len() > crate::trust::delegation::MAX_CREDENTIAL_BYTES {
            return Err(unreadable());
        }
        self.file.set_credential(&credential)?;
        Ok((clean_text(&response.not_before, 40), clean_text(&response.expires_at, 40)))
    }

    /// Makes every pending request due now: the pharmacist's "retry now" once the network is
    /// back. For the next minute the retries go without waiting for the budget, until the
    /// first answer that is not a pass (no answer, 429, 503...) ends it: one person's button
    /// probes the service and drains the backlog only while it copes.
    pub fn retry_now(&self, now: UnixMillis) -> Result<usize, OutboxError> {
        *self.retry_now_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(now.saturating_add_millis(60_000));
        Ok(self.file.make_due(now)?)
    }

    /// Sends every request due at `clock()` once, oldest first.
    pub fn drain(
        &self,
        transport: &dyn Transport,
        device: &DeviceCredentials,
        clock: &dyn Fn() -> UnixMillis,
    ) -> Result<DrainReport, OutboxError> {
        let mut report = DrainReport::default();
        for ticket in self.file.due(clock(), 10_000)? {
            if self.holding(clock()).is_some() {
                // Told to hold off (now or by the answer before): nothing more is sent, and
                // the waiting requests are not rewritten one by one.
                break;
            }
            let Attempt::Send(request) = self.prepare(&ticket, device, clock())? else { continue };
            report.attempted += 1;
            match self.record(&ticket, transport.send(&request), clock())? {
                Delivery::Issued(_) => report.issued += 1,
                Delivery::Rejected(_) | Delivery::Withdrawn => report.rejected += 1,
                Delivery::Queued { .. } => report.retrying += 1,
            }
        }
        let next = self.file.next_due()?;
        report.next_attempt_at = match self.holding(clock()) {
            Some(until) => next.map(|next| next.max(until)),
            None => next,
        };
        Ok(report)
    }

    /// Sends `ticket` now and keeps trying while its profile is interactive (about 20 s for a
    /// pharmacist at the counter); returns the pass, the refusal, or where it waits in the
    /// backlog. `sleep` waits on the caller's clock.
    pub fn send_now(
        &self,
        ticket: &str,
        transport: &dyn Transport,
        device: &DeviceCredentials,
        clock: &dyn Fn() -> UnixMillis,
        sleep: &dyn Fn(Duration),
    ) -> Result<Delivery, OutboxError> {
        loop {
            let now = clock();
            let wait_until = match self.prepare(ticket, device, now)? {
                Attempt::Settled(delivery) => return Ok(delivery),
                Attempt::Send(request) => match self.record(ticket, transport.send(&request), clock())? {
                    Delivery::Queued { next_attempt_at, profile: RetryProfile::Interactive, .. } => next_attempt_at,
                    other => return Ok(other),
                },
                Attempt::Wait(until) => until,
            };
            let entry = self.file.entry(ticket)?.ok_or_else(|| OutboxError::UnknownTicket(ticket.to_owned()))?;
            if self.policy.profile_at(entry.profile, entry.enqueued_at, wait_until) == RetryProfile::Backlog {
                return self.delivery(&entry);
            }
            let millis = wait_until.millis_since(clock()).max(0);
            sleep(Duration::from_millis(u64::try_from(millis).unwrap_or(0)));
        }
    }

    /// The delegation credential kept for the signed paper fallback, if one was stored.
    pub fn credential(&self) -> Result<Option<Vec<u8>>, OutboxError> {
        Ok(self.file.credential()?)
    }

    /// Keeps the delegation credential the issuer returned (at enrolment, renewed online).
    pub fn store_credential(&self, credential: &[u8]) -> Result<(), OutboxError> {
        Ok(self.file.set_credential(credential)?)
    }

    /// The next provisional pass's sequence number, reserved durably before it is used.
    pub fn reserve_sequence(&self) -> Result<u64, OutboxError> {
        Ok(self.file.reserve_sequence()?)
    }

    /// One request's state.
    pub fn entry(&self, ticket: &str) -> Result<Option<OutboxEntry>, OutboxError> {
        Ok(self.file.entry(ticket)?)
    }

    /// Every request, oldest first.
    pub fn entries(&self) -> Result<Vec<OutboxEntry>, OutboxError> {
        Ok(self.file.entries()?)
    }

    /// Counts by state.
    pub fn status(&self) -> Result<OutboxStatus, OutboxError> {
        let mut status = OutboxStatus { next_attempt_at: self.file.next_due()?, ..OutboxStatus::default() };
        for entry in self.file.entries()? {
            match entry.state {
                EntryState::Pending => status.pending += 1,
                EntryState::InFlight => status.in_flight += 1,
                EntryState::Issued => status.issued += 1,
                EntryState::Rejected => status.rejected += 1,
                EntryState::Withdrawn => status.withdrawn += 1,
            }
        }
        Ok(status)
    }

    /// The pass received for `ticket`, if it has arrived.
    pub fn pass(&self, ticket: &str) -> Result<Option<IssuanceResponse>, OutboxError> {
        match self.file.response(ticket)? {
            None => Ok(None),
            Some(body) => read_pass(&body).map(Some).map_err(|problem| {
                OutboxError::Store(OutboxStoreError::Database(format!(
                    "the stored pass of {ticket} is unreadable: {problem}"
                )))
            }),
        }
    }

    fn delivery(&self, entry: &OutboxEntry) -> Result<Delivery, OutboxError> {
        match (entry.state, &entry.rejection) {
            (EntryState::Issued, _) => match self.pass(&entry.ticket)? {
                Some(pass) => Ok(Delivery::Issued(pass)),
                None => Err(OutboxError::UnknownTicket(entry.ticket.clone())),
            },
            (EntryState::Rejected, Some(rejection)) => Ok(Delivery::Rejected(rejection.clone())),
            (EntryState::Withdrawn, _) => Ok(Delivery::Withdrawn),
            _ => Ok(Delivery::Queued {
                next_attempt_at: entry.next_attempt_at,
                // A wait for the budget that ends past the interactive window is the backlog's.
                profile: self.policy.profile_at(entry.profile, entry.enqueued_at, entry.next_attempt_at),
                last_error: entry.last_error.clone(),
            }),
        }
    }

    /// A number in `[0, 1)` (SplitMix64): jitter needs spread, not secrecy.
    /// The end of the service's last hold-off, while it runs.
    fn held_until(&self, now: UnixMillis) -> Option<UnixMillis> {
        let held = *self.held_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        held.filter(|until| now < *until)
    }

    /// The hold-off in force for a drain: none while the pharmacist's "retry now" runs.
    fn holding(&self, now: UnixMillis) -> Option<UnixMillis> {
        let manual = self
            .retry_now_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|until| now < until);
        if manual { None } else { self.held_until(now) }
    }

    fn random(&self) -> f64 {
        let mut state = self.random.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// `http(s)://host[:port]` with nothing after it but an optional `/`: the request signature
/// covers the path, which must be the service's own.
fn parse_endpoint(endpoint: &str) -> Result<String, OutboxError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    let valid = rest.is_some_and(|authority| {
        !authority.is_empty()
            && authority.len() <= 255
            && authority.bytes().all(|byte| byte.is_ascii_alphanumeric() || b".-:[]".contains(&byte))
    });
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(OutboxError::Endpoint(format!(
            "must look like https://host[:port] with no path; found {:?}",
            clean_text(endpoint, 60)
        )))
    }
}

fn signed_request(
    endpoint: &str,
    path: &str,
    ticket: &str,
    body: Vec<u8>,
    device: &DeviceCredentials,
    now: UnixMillis,
) -> Result<HttpRequest, OutboxError> {
    let digest = content_digest(&body);
    let parts = SignedRequestParts { method: "POST", path, content_digest: &digest, idempotency_key: ticket };
    let signature = sign_request(&parts, device.id, now.unix_time(), device.signer.as_ref())
        .map_err(|error| OutboxError::Device(format!("the device key could not sign: {error}")))?;
    Ok(HttpRequest {
        method: "POST".into(),
        url: format!("{endpoint}{path}"),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("idempotency-key".into(), ticket.to_owned()),
            ("content-digest".into(), digest),
            ("signature-input".into(), signature.signature_input),
            ("signature".into(), signature.signature),
        ],
        body,
    })
}

/// The pass from a 2xx answer, checked to be one.
fn read_pass(body: &[u8]) -> Result<IssuanceResponse, String> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(format!("an answer over {MAX_RESPONSE_BYTES} bytes"));
    }
    let pass: IssuanceResponse =
        serde_json::from_slice(body).map_err(|_| "an answer that is not the issuance JSON".to_owned())?;
    decode_pass_text(&pass.pass, &PassLimits::default())
        .map_err(|error| format!("an answer whose pass is unreadable ({error})"))?;
    if pass.uvci.is_empty() || pass.uvci.len() > 80 || pass.uvci.chars().any(char::is_control) {
        return Err("an answer without a usable UVCI".into());
    }
    Ok(pass)
}

#[derive(Deserialize)]
struct LooseErrorBody {
    error: Option<String>,
    message: Option<String>,
}

fn read_rejection(status: u16, body: &[u8]) -> Rejection {
    let parsed: Option<LooseErrorBody> =
        (body.len() <= MAX_RESPONSE_BYTES).then(|| serde_json::from_slice(body).ok()).flatten();
    let code = parsed
        .as_ref()
        .and_then(|body| body.error.as_deref())
        .filter(|code| {
            !code.is_empty() && code.len() <= 64 && code.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'_')
        })
        .map_or_else(|| format!("http_{status}"), str::to_owned);
    let message = parsed
        .and_then(|body| body.message)
        .map_or_else(|| format!("the issuer refused the request (HTTP {status})"), |message| clean_text(&message, 300));
    Rejection { status, code, message }
}

fn error_suffix(body: &[u8]) -> String {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(error) if body.len() <= MAX_RESPONSE_BYTES => format!(" ({})", clean_text(&error.error, 64)),
        _ => String::new(),
    }
}

/// Text from the network, for a status screen: control and format characters dropped, bounded.
fn clean_text(text: &str, max_chars: usize) -> String {
    let shown = |c: &char| {
        !c.is_control()
            && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
    };
    text.chars().filter(shown).take(max_chars).collect()
}

#[cfg(test)]
mod tests;
