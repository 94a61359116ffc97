//! The wallet's side of transfer codes (`protocol::transfer`): make a key pair and its code,
//! register it with the issuer service, poll with jittered exponential backoff until the
//! sealed pass is there, open it, store it, acknowledge, done.
//!
//! Like the outbox, the core does no network I/O: [`Wallet::due_transfer_requests`] gives the
//! requests to send and [`Wallet::record_transfer_answer`] reads each answer (the FFI drives
//! them with the platform's async client); [`Wallet::fetch_transfers`] drives a blocking
//! [`Transport`] (the CLI). A pass is stored before its acknowledgement is sent, so a lost
//! answer costs a second download, never the pass.

use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::sec1::ToSec1Point;

use super::{Added, PassSource, Wallet, WalletError};
use crate::protocol::hpke::{self, Sealed};
use crate::protocol::transfer::{
    CREATED_HEADER, DELIVERY_INFO, MAX_DELIVERIES, SIGNATURE_HEADER, TRANSFER_LIFETIME_SECONDS, TRANSFERS_PATH,
    TransferDeliveries, TransferRegistered, TransferRegistration, decode_base64url, encode_base64url,
    transfer_signature_base,
};
use crate::protocol::{ErrorBody, HttpRequest, HttpResponse, TransferCode, Transport, TransportError};
use crate::time::UnixTime;

/// The first wait between polls; doubled after each empty poll, up to [`MAX_POLL_SECONDS`].
pub const FIRST_POLL_SECONDS: i64 = 30;
/// The longest wait between polls.
pub const MAX_POLL_SECONDS: i64 = 3600;
/// The largest answer read from the service (four sealed passes are about 10 kB).
pub const MAX_TRANSFER_ANSWER_BYTES: usize = 64 * 1024;

/// Where a transfer code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferState {
    /// Made, not yet known to the service (offline, or the service is down).
    Unregistered,
    /// Registered; the pass has not arrived.
    Waiting,
    /// The pass arrived and the service has forgotten it.
    Collected,
    /// Past its lifetime: the pharmacy's pass is still on its attestation.
    Expired,
}

impl TransferState {
    /// `unregistered`, `waiting`, `collected`, `expired`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unregistered => "unregistered",
            Self::Waiting => "waiting",
            Self::Collected => "collected",
            Self::Expired => "expired",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "waiting" => Self::Waiting,
            "collected" => Self::Collected,
            "expired" => Self::Expired,
            _ => Self::Unregistered,
        }
    }

    fn is_open(self) -> bool {
        matches!(self, Self::Unregistered | Self::Waiting)
    }
}

/// A transfer code as the wallet keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStatus {
    /// The code.
    pub code: TransferCode,
    /// The issuer service it is registered with.
    pub endpoint: String,
    /// Where it stands.
    pub state: TransferState,
    /// When it was made.
    pub created_at: UnixTime,
    /// Until when the service keeps it (once registered).
    pub expires_at: Option<UnixTime>,
    /// Requests sent for it so far.
    pub polls: u32,
    /// When it is next due.
    pub next_poll_at: UnixTime,
    /// Passes received through it.
    pub received: u32,
    /// Why the last request failed, if it did.
    pub last_error: Option<String>,
}

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferStep {
    /// `POST /v1/transfers`: tell the service the wallet's public key.
    Register,
    /// `GET /v1/transfers/{code}`: anything sealed for us?
    Poll,
    /// `DELETE /v1/transfers/{code}`: stored; the service may forget it.
    Acknowledge,
}

/// A request for the platform's HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// The code it is about.
    pub code: TransferCode,
    /// What it does.
    pub step: TransferStep,
    /// The request.
    pub request: HttpRequest,
}

/// What an answer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferProgress {
    /// Passes stored from it.
    pub added: Vec<Added>,
    /// The request to send next at once, if any (a poll after registering, an acknowledgement
    /// after storing).
    pub follow_up: Option<TransferRequest>,
    /// The code's state now.
    pub state: TransferState,
}

/// What [`Wallet::fetch_transfers`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Passes stored.
    pub added: Vec<Added>,
    /// Requests sent.
    pub requests: u32,
    /// Requests that got no answer.
    pub unanswered: u32,
}

fn check_endpoint(endpoint: &str) -> Result<String, WalletError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    let scheme_ok = trimmed.starts_with("https://") || trimmed.starts_with("http://");
    let host = trimmed.split_once("://").map_or("", |(_, rest)| rest);
    if !scheme_ok
        || host.is_empty()
        || trimmed.len() > 2048
        || trimmed.chars().any(|character| character.is_whitespace() || character.is_control())
    {
        return Err(WalletError::Transfer(
            "the issuer address must be http(s)://host[:port] without spaces or control characters".into(),
        ));
    }
    Ok(trimmed.to_owned())
}

/// The jittered wait before poll number `polls + 1`: 30 s doubling to an hour, ±20 %.
fn backoff_seconds(polls: i64) -> i64 {
    let exponent = u32::try_from(polls.clamp(0, 16)).unwrap_or(16);
    let base = FIRST_POLL_SECONDS.saturating_mul(1_i64 << exponent).min(MAX_POLL_SECONDS);
    let mut random = [0_u8; 2];
    let unit =
        if getrandom::fill(&mut random).is_ok() { f64::from(u16::from_le_bytes(random)) / 65_535.0 } else { 0.5 };
    (base as f64 * (0.8 + 0.4 * unit)).round() as i64
}

fn status_of(row: &super::store::TransferRow) -> Option<TransferStatus> {
    Some(TransferStatus {
        code: TransferCode::parse(&row.code).ok()?,
        endpoint: row.endpoint.clone(),
        state: TransferState::parse(&row.state),
        created_at: UnixTime::from_seconds(row.created_at),
        expires_at: row.expires_at.map(UnixTime::from_seconds),
        polls: u32::try_from(row.polls).unwrap_or(u32::MAX),
        next_poll_at: UnixTime::from_seconds(row.next_poll_at),
        received: u32::try_from(row.received).unwrap_or(u32::MAX),
        last_error: row.last_error.clone(),
    })
}

fn error_code(answer: &HttpResponse) -> String {
    serde_json::from_slice::<ErrorBody>(&answer.body).map(|body| body.error).unwrap_or_default()
}

impl Wallet {
    /// Makes a transfer code for the issuer at `endpoint`: a fresh P-256 key pair (the private
    /// key sealed in the wallet) and its code, to give the pharmacist. Registered with the
    /// service on the next [`Wallet::due_transfer_requests`].
    pub fn create_transfer(&self, endpoint: &str, now: UnixTime) -> Result<TransferCode, WalletError> {
        let endpoint = check_endpoint(endpoint)?;
        let secret = loop {
            let mut seed = [0_u8; 32];
            getrandom::fill(&mut seed).map_err(|error| WalletError::Transfer(format!("no randomness: {error}")))?;
            if let Ok(key) = p256::SecretKey::from_slice(&seed) {
                break key;
            }
        };
        let public = secret.public_key().to_sec1_point(false);
        let code = TransferCode::for_public_key(public.as_bytes())
            .ok_or_else(|| WalletError::Transfer("the new key has no code".into()))?;
        let sealed = self.seal(secret.to_bytes().as_slice(), &format!("transfer:{}", code.as_str()))?;
        self.file.insert_transfer(&super::store::TransferRow {
            code: code.as_str().to_owned(),
            endpoint,
            secret_key: sealed,
            created_at: now.seconds(),
            expires_at: None,
            state: TransferState::Unregistered.name().to_owned(),
            polls: 0,
            next_poll_at: now.seconds(),
            received: 0,
            last_error: None,
        })?;
        Ok(code)
    }

    /// Every transfer code the wallet made, oldest first.
    pub fn transfers(&self) -> Result<Vec<TransferStatus>, WalletError> {
        Ok(self.file.transfers()?.iter().filter_map(status_of).collect())
    }

    /// Forgets a transfer code (the service forgets it at its expiry); whether it was there.
    pub fn remove_transfer(&self, code: &TransferCode) -> Result<bool, WalletError> {
        Ok(self.file.remove_transfer(code.as_str())?)
    }

    fn secret_of(&self, code: &TransferCode) -> Result<(p256::SecretKey, String), WalletError> {
        let row = self
            .file
            .transfer(code.as_str())?
            .ok_or_else(|| WalletError::Transfer(format!("no transfer code {code} in the wallet")))?;
        let bytes = self.unseal(&row.secret_key, &format!("transfer:{}", code.as_str()))?;
        let secret = p256::SecretKey::from_slice(&bytes)
            .map_err(|_| WalletError::Transfer(format!("the key of transfer code {code} is damaged")))?;
        Ok((secret, row.endpoint))
    }

    fn signed_request(&self, code: &TransferCode, method: &str, now: UnixTime) -> Result<HttpRequest, WalletError> {
        let (secret, endpoint) = self.secret_of(code)?;
        let path = code.path();
        let base = transfer_signature_base(method, &path, now.seconds());
        let signature: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(&secret).sign(base.as_bytes());
        Ok(HttpRequest {
            method: method.to_owned(),
            url: format!("{endpoint}{path}"),
            headers: vec![
                (CREATED_HEADER.to_owned(), now.seconds().to_string()),
                (SIGNATURE_HEADER.to_owned(), encode_base64url(&signature.to_bytes())),
            ],
            body: Vec::new(),
        })
    }

    fn request_for(
        &self,
        code: &TransferCode,
        step: TransferStep,
        now: UnixTime,
    ) -> Result<TransferRequest, WalletError> {
        let request = match step {
            TransferStep::Register => {
                let (secret, endpoint) = self.secret_of(code)?;
                let public = secret.public_key().to_sec1_point(false);
                let body =
                    serde_json::to_vec(&TransferRegistration { public_key: encode_base64url(public.as_bytes()) })
                        .map_err(|error| WalletError::Transfer(error.to_string()))?;
                HttpRequest {
                    method: "POST".into(),
                    url: format!("{endpoint}{TRANSFERS_PATH}"),
                    headers: vec![("content-type".into(), "application/json".into())],
                    body,
                }
            }
            TransferStep::Poll => self.signed_request(code, "GET", now)?,
            TransferStep::Acknowledge => self.signed_request(code, "DELETE", now)?,
        };
        Ok(TransferRequest { code: code.clone(), step, request })
    }

    /// The requests due at `now` (all open codes with `force`, as when the traveller asks):
    /// registrations of unregistered codes and polls of waiting ones. Codes past their
    /// lifetime are marked expired instead.
    pub fn due_transfer_requests(&self, now: UnixTime, force: bool) -> Result<Vec<TransferRequest>, WalletError> {
        let mut requests = Vec::new();
        for row in self.file.transfers()? {
            let Some(status) = status_of(&row) else { continue };
            if !status.state.is_open() {
                continue;
            }
            let ends =
                status.expires_at.map_or(status.created_at.seconds() + TRANSFER_LIFETIME_SECONDS, UnixTime::seconds);
            if now.seconds() >= ends {
                self.file.update_transfer(&row.code, TransferState::Expired.name(), None, row.next_poll_at, 0, None)?;
                continue;
            }
            if !force && status.next_poll_at.seconds() > now.seconds() {
                continue;
            }
            let step =
                if status.state == TransferState::Unregistered { TransferStep::Register } else { TransferStep::Poll };
            requests.push(self.request_for(&status.code, step, now)?);
        }
        Ok(requests)
    }

    /// Reads the answer to `request` (or its absence) at `now`: stores delivered passes, moves
    /// the code on, schedules the next poll.
    pub fn record_transfer_answer(
        &self,
        request: &TransferRequest,
        answer: Result<&HttpResponse, &TransportError>,
        now: UnixTime,
    ) -> Result<TransferProgress, WalletError> {
        let code = &request.code;
        let row = self
            .file
            .transfer(code.as_str())?
            .ok_or_else(|| WalletError::Transfer(format!("no transfer code {code} in the wallet")))?;
        let current = TransferState::parse(&row.state);
        let later = |answer: Option<&HttpResponse>| {
            let retry_after = answer
                .and_then(|answer| answer.header("retry-after"))
                .and_then(|value| value.trim().parse::<i64>().ok())
                .map_or(0, |seconds| seconds.clamp(0, MAX_POLL_SECONDS));
            // Polls so far, the registration aside: the first empty poll waits the first step.
            now.seconds() + backoff_seconds(row.polls.saturating_sub(1)).max(retry_after)
        };
        let settle = |state: TransferState, expires: Option<i64>, next: i64, received: i64, error: Option<String>| {
            self.file.update_transfer(code.as_str(), state.name(), expires, next, received, error.as_deref())
        };
        let answer = match answer {
            Err(error) => {
                settle(current, None, later(None), 0, Some(error.to_string()))?;
                return Ok(TransferProgress { added: Vec::new(), follow_up: None, state: current });
            }
            Ok(answer) => answer,
        };
        if answer.body.len() > MAX_TRANSFER_ANSWER_BYTES {
            settle(current, None, later(None), 0, Some("the service's answer is too large".into()))?;
            return Ok(TransferProgress { added: Vec::new(), follow_up: None, state: current });
        }
        let unexpected = |what: &str| Some(format!("{what}: HTTP {} {}", answer.status, error_code(answer)));
        match (request.step, answer.status) {
            (TransferStep::Register, 200 | 201) => {
                let registered: Option<TransferRegistered> = serde_json::from_slice(&answer.body).ok();
                let expires = registered
                    .as_ref()
                    .and_then(|registered| UnixTime::parse_rfc3339(&registered.expires_at).ok())
                    .map(UnixTime::seconds);
                if registered.as_ref().is_none_or(|registered| registered.code != code.as_str()) {
                    settle(current, None, later(Some(answer)), 0, Some("the service registered another code".into()))?;
                    return Ok(TransferProgress { added: Vec::new(), follow_up: None, state: current });
                }
                settle(TransferState::Waiting, expires, now.seconds(), 0, None)?;
                let follow_up = Some(self.request_for(code, TransferStep::Poll, now)?);
                Ok(TransferProgress { added: Vec::new(), follow_up, state: TransferState::Waiting })
            }
            (TransferStep::Poll, 200) => {
                let Ok(deliveries) = serde_json::from_slice::<TransferDeliveries>(&answer.body) else {
                    settle(
                        current,
                        None,
                        later(Some(answer)),
                        0,
                        Some("the service's answer is not a delivery list".into()),
                    )?;
                    return Ok(TransferProgress { added: Vec::new(), follow_up: None, state: current });
                };
                let expires = UnixTime::parse_rfc3339(&deliveries.expires_at).ok().map(UnixTime::seconds);
                if deliveries.deliveries.is_empty() {
                    settle(TransferState::Waiting, expires, later(Some(answer)), 0, None)?;
                    return Ok(TransferProgress { added: Vec::new(), follow_up: None, state: TransferState::Waiting });
                }
                let (secret, _) = self.secret_of(code)?;
                let mut added = Vec::new();
                let mut problems = Vec::new();
                for delivery in deliveries.deliveries.iter().take(MAX_DELIVERIES) {
                    match self.open_delivery(&secret, code, delivery, now) {
                        Ok(stored) => added.push(stored),
                        Err(problem) => problems.push(problem),
                    }
                }
                let received = i64::try_from(added.iter().filter(|stored| !stored.duplicate).count()).unwrap_or(0);
                settle(TransferState::Waiting, expires, now.seconds(), received, problems.first().cloned())?;
                let follow_up = Some(self.request_for(code, TransferStep::Acknowledge, now)?);
                Ok(TransferProgress { added, follow_up, state: TransferState::Waiting })
            }
            (TransferStep::Acknowledge, 200 | 204 | 404 | 410) => {
                settle(TransferState::Collected, None, now.seconds(), 0, None)?;
                Ok(TransferProgress { added: Vec::new(), follow_up: None, state: TransferState::Collected })
            }
            (TransferStep::Poll, 404) => {
                // The service does not know the code (a new database): register it again.
                settle(TransferState::Unregistered, None, now.seconds(), 0, unexpected("the service forgot the code"))?;
                Ok(TransferProgress { added: Vec::new(), follow_up: None, state: TransferState::Unregistered })
            }
            (TransferStep::Poll, 410) => {
                let state = if error_code(answer) == "transfer_collected" {
                    TransferState::Collected
                } else {
                    TransferState::Expired
                };
                settle(state, None, now.seconds(), 0, None)?;
                Ok(TransferProgress { added: Vec::new(), follow_up: None, state })
            }
            _ => {
                settle(current, None, later(Some(answer)), 0, unexpected("the service refused"))?;
                Ok(TransferProgress { added: Vec::new(), follow_up: None, state: current })
            }
        }
    }

    /// Opens one sealed pass and stores it. Errors say what was wrong with the delivery, never
    /// what it held.
    fn open_delivery(
        &self,
        secret: &p256::SecretKey,
        code: &TransferCode,
        delivery: &crate::protocol::transfer::SealedDelivery,
        now: UnixTime,
    ) -> Result<Added, String> {
        let sealed = Sealed {
            encapsulated_key: decode_base64url(&delivery.encapsulated_key)
                .ok_or_else(|| "a delivery's encapsulated key is not base64url".to_owned())?,
            ciphertext: decode_base64url(&delivery.ciphertext)
                .ok_or_else(|| "a delivery's ciphertext is not base64url".to_owned())?,
        };
        let plaintext = hpke::open(secret, &sealed, DELIVERY_INFO, code.as_str().as_bytes())
            .map_err(|error| format!("a delivery does not open: {error}"))?;
        let text = String::from_utf8(plaintext).map_err(|_| "a delivery is not text".to_owned())?;
        self.add_text(&text, PassSource::Transfer, now).map_err(|error| format!("a delivery is not stored: {error}"))
    }

    /// Sends every due request through `transport` and follows each answer's follow-up:
    /// registration, poll, acknowledgement.
    pub fn fetch_transfers(
        &self,
        transport: &dyn Transport,
        force: bool,
        now: UnixTime,
    ) -> Result<FetchReport, WalletError> {
        let mut report = FetchReport::default();
        for first in self.due_transfer_requests(now, force)? {
            let mut next = Some(first);
            // Register, poll, acknowledge: three steps at most per code.
            for _ in 0..3 {
                let Some(request) = next.take() else { break };
                report.requests += 1;
                let answer = transport.send(&request.request);
                if answer.is_err() {
                    report.unanswered += 1;
                }
                let progress = self.record_transfer_answer(&request, answer.as_ref(), now)?;
                report.added.extend(progress.added);
                next = progress.follow_up;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_back_off_from_30_seconds_to_an_hour_with_jitter() {
        for (polls, base) in [(0, 30), (1, 60), (2, 120), (6, 1920), (7, 3600), (40, 3600)] {
            for _ in 0..50 {
                let wait = backoff_seconds(polls);
                assert!((base * 8 / 10..=base * 12 / 10).contains(&wait), "{polls}: {wait}");
            }
        }
    }

    #[test]
    fn an_issuer_address_must_be_http_with_a_host() {
        assert_eq!(check_endpoint(" https://issuer.example/ ").unwrap(), "https://issuer.example");
        for bad in ["ftp://x", "https://", "http://a b", "http://\u{1b}[2J", "issuer.example"] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }
}
