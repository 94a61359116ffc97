//! `PassOutbox`: the pharmacy outbox through the platform's HTTP client.
//!
//! The core prepares each signed attempt and records its answer; this object carries the
//! attempts over the app's async `Transport` (OkHttp, URLSession). Times are milliseconds since
//! the epoch, passed in by the app.

use std::path::PathBuf;
use std::sync::Arc;

use healthpass_core::issue::TestCertificateRequest;
use healthpass_core::outbox::{
    self, Attempt, Delivery, DeviceCredentials, EntryState, Outbox, RetryProfile, TransportError,
};
use healthpass_core::protocol::IssuanceRequest;
use healthpass_core::time::UnixMillis;

use crate::error::{HealthpassError, guard};
use crate::foreign::{Signer, Transport};
use crate::issuer::PlatformSigner;
use crate::types::{HttpHeader, HttpRequest, HttpResponse, TestPassRequest};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OutboxState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is under way.
    InFlight,
    /// The pass arrived.
    Issued,
    /// The issuer refused it; see `rejection_code` and `rejection_message`.
    Rejected,
    /// Withdrawn: a provisional pass was handed over instead (its reconciliation follows).
    Withdrawn,
}

/// One request in the outbox (no names or birth dates).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxEntry {
    /// The ticket (the request's idempotency key).
    pub ticket: String,
    /// Where it stands.
    pub state: OutboxState,
    /// Attempts so far.
    pub attempts: u32,
    /// Milliseconds since the epoch of the next attempt (pending requests).
    pub next_attempt_at_ms: i64,
    /// True while the pharmacist is still meant to wait; false once it is in the backlog (the
    /// moment to offer the signed paper fallback).
    pub interactive: bool,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The pass's UVCI, once issued.
    pub uvci: Option<String>,
    /// The issuer's refusal code, if rejected.
    pub rejection_code: Option<String>,
    /// The issuer's refusal message, if rejected.
    pub rejection_message: Option<String>,
}

/// Counts by state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxSummary {
    /// Waiting.
    pub pending: u32,
    /// Being sent.
    pub in_flight: u32,
    /// Passes received.
    pub issued: u32,
    /// Refused.
    pub rejected: u32,
    /// The earliest next attempt, milliseconds since the epoch.
    pub next_attempt_at_ms: Option<i64>,
}

/// A pass the central issuer signed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceivedPass {
    /// `HC1:...`.
    pub text: String,
    /// Its UVCI.
    pub uvci: String,
    /// RFC 3339.
    pub issued_at: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// What one drain did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxDrain {
    /// Requests sent.
    pub attempted: u32,
    /// Passes received.
    pub issued: u32,
    /// Refused.
    pub rejected: u32,
    /// To be tried again.
    pub retrying: u32,
    /// When to drain next (milliseconds since the epoch), if anything is left.
    pub next_attempt_at_ms: Option<i64>,
}

/// A provisional pass signed on the device (the signed paper fallback).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProvisionalPass {
    /// `HC1:...`, the QR code's content.
    pub text: String,
    /// Its UVCI (in the device's namespace); the final pass will carry the same.
    pub certificate_id: String,
    /// Its number under the device's credential.
    pub sequence: u64,
    /// The pharmacy, as the credential names it (print it on the page).
    pub pharmacy_name: String,
    /// Issued at, seconds since the epoch.
    pub issued_at: i64,
    /// Expires at, seconds since the epoch.
    pub expires_at: i64,
    /// The traveller's transfer code, as it is printed on the page.
    pub transfer_code: Option<String>,
    /// How the names are written to keep the QR at version 24: `as_entered`,
    /// `transliterated` (ICAO form only) or `machine_readable_zone` (cut as a passport's MRZ):
    /// tell the pharmacist when it is not `as_entered`.
    pub name_form: String,
}

/// A transfer code typed by the pharmacist: a typing mistake is caught at the counter.
fn parse_transfer_code(code: Option<&str>) -> Result<Option<healthpass_core::protocol::TransferCode>, HealthpassError> {
    code.map(|code| {
        healthpass_core::protocol::TransferCode::parse(code)
            .map_err(|error| HealthpassError::InvalidInput { reason: format!("the transfer code: {error}") })
    })
    .transpose()
}

/// The pharmacy device's durable outbox of issuance requests.
#[derive(uniffi::Object)]
pub struct PassOutbox {
    outbox: Outbox,
    device: DeviceCredentials,
    signer: Arc<dyn healthpass_core::codec::cose::Signer>,
}

#[uniffi::export]
impl PassOutbox {
    /// Opens (or creates) the outbox file at `path` (app-private storage) for the device whose
    /// enrolled P-256 key `signer` holds. A damaged or foreign file is an `InvalidInput` error
    /// and stays untouched.
    #[uniffi::constructor]
    pub fn open(path: String, signer: Arc<dyn Signer>) -> Result<Self, HealthpassError> {
        guard(|| {
            let signer: Arc<dyn healthpass_core::codec::cose::Signer> = Arc::new(PlatformSigner { signer });
            let device = DeviceCredentials::new(signer.clone())?;
            let outbox = Outbox::open(&PathBuf::from(path))?;
            Ok(Self { outbox, device, signer })
        })
    }

    /// The device id the issuer knows this device by.
    pub fn device_id(&self) -> String {
        self.device.id().to_string()
    }

    /// Queues `request` for the issuer at `endpoint` (`https://host[:port]`), on disk, before
    /// anything is sent; returns the ticket. `interactive`: the pharmacist is waiting.
    pub fn enqueue(
        &self,
        endpoint: String,
        request: TestPassRequest,
        interactive: bool,
        now_ms: i64,
    ) -> Result<String, HealthpassError> {
        guard(|| {
            let transfer_code = parse_transfer_code(request.transfer_code.as_deref())?;
            let entry = IssuanceRequest::from_test_request(
                &TestCertificateRequest::from(request),
                transfer_code.map(|code| code.to_string()),
            );
            let profile = if interactive { RetryProfile::Interactive } else { RetryProfile::Backlog };
            Ok(self.outbox.enqueue(&endpoint, &entry, profile, UnixMillis::from_millis(now_ms))?)
        })
    }

    /// Sends every request due at `now_ms` once through `transport`; call again at
    /// `next_attempt_at_ms` (a WorkManager / BGTaskScheduler job between app sessions).
    pub async fn drain(&self, transport: Arc<dyn Transport>, now_ms: i64) -> Result<OutboxDrain, HealthpassError> {
        let now = UnixMillis::from_millis(now_ms);
        let tickets: Vec<String> = guard(|| {
            Ok(self
                .outbox
                .entries()?
                .into_iter()
                .filter(|entry| entry.state == EntryState::Pending && entry.next_attempt_at <= now)
                .map(|entry| entry.ticket)
                .collect())
        })?;
        let mut drain = OutboxDrain { attempted: 0, issued: 0, rejected: 0, retrying: 0, next_attempt_at_ms: None };
        for ticket in tickets {
            let Some(delivery) = self.attempt_once(&ticket, transport.as_ref(), now).await? else { continue };
            drain.attempted += 1;
            match delivery {
                Delivery::Issued(_) => drain.issued += 1,
                Delivery::Rejected(_) | Delivery::Withdrawn => drain.rejected += 1,
                Delivery::Queued { .. } => drain.retrying += 1,
            }
        }
        drain.next_attempt_at_ms = guard(|| Ok(self.outbox.status()?.next_attempt_at.map(UnixMillis::millis)))?;
        Ok(drain)
    }

    /// Tries `ticket` now if it is due, and returns its entry afterwards: `Issued` with the
    /// pass in `pass`, `Pending` with the next attempt, or `Rejected`.
    pub async fn send(
        &self,
        ticket: String,
        transport: Arc<dyn Transport>,
        now_ms: i64,
    ) -> Result<OutboxEntry, HealthpassError> {
        self.attempt_once(&ticket, transport.as_ref(), UnixMillis::from_millis(now_ms)).await?;
        guard(|| {
            let entry = self.outbox.entry(&ticket)?.ok_or_else(|| HealthpassError::InvalidInput {
                reason: format!("no request with ticket {ticket} in the outbox"),
            })?;
            Ok(self.convert(entry, UnixMillis::from_millis(now_ms)))
        })
    }

    /// Fetches a fresh delegation credential from the issuer at `endpoint` and keeps it (at
    /// enrolment, then whenever online: it holds about two weeks). Returns its expiry (RFC 3339).
    pub async fn renew_credential(
        &self,
        endpoint: String,
        transport: Arc<dyn Transport>,
        now_ms: i64,
    ) -> Result<String, HealthpassError> {
        let request =
            guard(|| Ok(self.outbox.credential_request(&endpoint, &self.device, UnixMillis::from_millis(now_ms))?))?;
        let request = HttpRequest {
            method: request.method,
            url: request.url,
            headers: request.headers.into_iter().map(|(name, value)| HttpHeader { name, value }).collect(),
            body: request.body,
        };
        let answer = transport.send(request).await?;
        guard(|| {
            let answer = outbox::HttpResponse {
                status: answer.status,
                headers: answer.headers.into_iter().map(|header| (header.name, header.value)).collect(),
                body: answer.body,
            };
            Ok(self.outbox.record_credential(&answer)?.1)
        })
    }

    /// Signs a provisional pass on this device under its credential (the signed paper
    /// fallback), checked against the fallback roots of `verifier`'s bundle, numbered durably,
    /// and queues its reconciliation with the issuer at `endpoint`. `replacing`: the ticket of
    /// the request the pharmacist gave up waiting for, withdrawn in the same transaction (if it
    /// was answered meanwhile, this fails: hand over that pass instead).
    pub fn issue_provisional(
        &self,
        request: TestPassRequest,
        verifier: Arc<crate::verifier::PassVerifier>,
        endpoint: String,
        replacing: Option<String>,
        now_ms: i64,
    ) -> Result<ProvisionalPass, HealthpassError> {
        guard(|| {
            let roots = verifier.fallback_roots();
            let transfer_code = parse_transfer_code(request.transfer_code.as_deref())?;
            let reconciliation = healthpass_core::fallback::Reconciliation {
                endpoint: &endpoint,
                replacing: replacing.as_deref(),
                transfer_code: transfer_code.as_ref(),
            };
            let provisional = healthpass_core::fallback::issue_provisional(
                &self.outbox,
                self.signer.clone(),
                &roots,
                healthpass_core::issue::IssuingPolicy::default(),
                &TestCertificateRequest::from(request),
                reconciliation,
                UnixMillis::from_millis(now_ms).unix_time(),
            )?;
            Ok(ProvisionalPass {
                text: provisional.pass.text,
                certificate_id: provisional.pass.certificate_id,
                sequence: provisional.sequence,
                pharmacy_name: provisional.pharmacy_name,
                issued_at: provisional.pass.issued_at.seconds(),
                expires_at: provisional.pass.expires_at.seconds(),
                transfer_code: transfer_code.map(|code| code.to_string()),
                name_form: provisional.names.name().to_owned(),
            })
        })
    }

    /// Makes every pending request due now ("retry now" once the network is back); the
    /// device's retry budget still paces the retries.
    pub fn retry_now(&self, now_ms: i64) -> Result<u32, HealthpassError> {
        guard(|| Ok(u32::try_from(self.outbox.retry_now(UnixMillis::from_millis(now_ms))?).unwrap_or(u32::MAX)))
    }

    /// Counts by state.
    pub fn summary(&self) -> Result<OutboxSummary, HealthpassError> {
        guard(|| {
            let status = self.outbox.status()?;
            Ok(OutboxSummary {
                pending: status.pending,
                in_flight: status.in_flight,
                issued: status.issued,
                rejected: status.rejected,
                next_attempt_at_ms: status.next_attempt_at.map(UnixMillis::millis),
            })
        })
    }

    /// Every request, oldest first, as of `now_ms`.
    pub fn entries(&self, now_ms: i64) -> Result<Vec<OutboxEntry>, HealthpassError> {
        guard(|| {
            let now = UnixMillis::from_millis(now_ms);
            Ok(self.outbox.entries()?.into_iter().map(|entry| self.convert(entry, now)).collect())
        })
    }

    /// The pass received for `ticket`, if it has arrived.
    pub fn pass(&self, ticket: String) -> Result<Option<ReceivedPass>, HealthpassError> {
        guard(|| {
            Ok(self.outbox.pass(&ticket)?.map(|pass| ReceivedPass {
                text: pass.pass,
                uvci: pass.uvci,
                issued_at: pass.issued_at,
                expires_at: pass.expires_at,
            }))
        })
    }
}

impl PassOutbox {
    /// One attempt for `ticket` if it is due: what became of it, or `None` if nothing was sent.
    async fn attempt_once(
        &self,
        ticket: &str,
        transport: &dyn Transport,
        now: UnixMillis,
    ) -> Result<Option<Delivery>, HealthpassError> {
        let request = match guard(|| Ok(self.outbox.prepare(ticket, &self.device, now)?))? {
            Attempt::Send(request) => request,
            Attempt::Wait(_) | Attempt::Settled(_) => return Ok(None),
        };
        let request = HttpRequest {
            method: request.method,
            url: request.url,
            headers: request.headers.into_iter().map(|(name, value)| HttpHeader { name, value }).collect(),
            body: request.body,
        };
        // A failing platform client is an attempt without an answer, never a lost request.
        let answer = match transport.send(request).await {
            Ok(HttpResponse { status, headers, body }) => Ok(outbox::HttpResponse {
                status,
                headers: headers.into_iter().map(|header| (header.name, header.value)).collect(),
                body,
            }),
            Err(error) => Err(TransportError(error.to_string())),
        };
        guard(|| Ok(Some(self.outbox.record(ticket, answer, now)?)))
    }

    fn convert(&self, entry: outbox::OutboxEntry, now: UnixMillis) -> OutboxEntry {
        let policy = self.outbox.policy();
        let interactive = matches!(entry.state, EntryState::Pending | EntryState::InFlight)
            && policy.profile_at(entry.profile, entry.enqueued_at, now) == RetryProfile::Interactive
            && policy.profile_at(entry.profile, entry.enqueued_at, entry.next_attempt_at) == RetryProfile::Interactive;
        OutboxEntry {
            ticket: entry.ticket,
            state: match entry.state {
                EntryState::Pending => OutboxState::Pending,
                EntryState::InFlight => OutboxState::InFlight,
                EntryState::Issued => OutboxState::Issued,
                EntryState::Rejected => OutboxState::Rejected,
                EntryState::Withdrawn => OutboxState::Withdrawn,
            },
            attempts: entry.attempts,
            next_attempt_at_ms: entry.next_attempt_at.millis(),
            interactive,
            last_error: entry.last_error,
            uvci: entry.uvci,
            rejection_code: entry.rejection.as_ref().map(|rejection| rejection.code.clone()),
            rejection_message: entry.rejection.map(|rejection| rejection.message),
        }
    }
}
