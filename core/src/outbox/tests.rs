//! The outbox on a simulated clock: durability across reopenings, what each answer means, the
//! retry budget, refusals that change nothing. The real service on loopback drives it in
//! `service/tests/outbox.rs`; this transport only replays answers a service gives.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::PathBuf;

use super::*;
use crate::codec::cose::SoftwareSigner;
use crate::protocol::{TestKind, TestOutcome};

const T0: UnixMillis = UnixMillis::from_millis(1_628_935_200_000); // 2021-08-14T10:00:00Z
const ENDPOINT: &str = "http://127.0.0.1:8443";

/// A fresh outbox path in a directory removed when the returned guard drops; keep the guard
/// bound for as long as the outbox is used.
fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix(&format!("healthpass-outbox-{name}-")).tempdir().unwrap();
    let path = dir.path().join("outbox.sqlite");
    (dir, path)
}

fn device() -> DeviceCredentials {
    let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    DeviceCredentials::new(Arc::new(SoftwareSigner::new(key))).unwrap()
}

fn entry() -> IssuanceRequest {
    IssuanceRequest {
        family_name: "Dubois-Lefèvre".into(),
        given_name: "Amélie".into(),
        date_of_birth: "1987-04-12".into(),
        test_type: TestKind::RapidAntigen,
        device: Some("1232".into()),
        test_name: None,
        sampled_at: "2021-08-14T09:30:00+02:00".into(),
        result: TestOutcome::Negative,
        centre: "Pharmacie du Centre".into(),
        country: "FR".into(),
        transfer_code: None,
    }
}

fn pass_answer() -> HttpResponse {
    let pass = include_str!("../../../cli/demo/pass.txt").trim();
    let body = serde_json::json!({
        "pass": pass, "uvci": "URN:UVCI:01:FR:DEMO", "issued_at": "2021-08-14T10:00:01Z", "expires_at": "2021-08-17T07:30:00Z"
    });
    HttpResponse { status: 201, headers: Vec::new(), body: body.to_string().into_bytes() }
}

fn answer(status: u16, retry_after: Option<&str>, body: &str) -> HttpResponse {
    let headers = retry_after.map(|value| vec![("Retry-After".to_owned(), value.to_owned())]).unwrap_or_default();
    HttpResponse { status, headers, body: body.as_bytes().to_vec() }
}

/// Replays answers in order and keeps what was sent.
struct Replayed {
    answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    sent: RefCell<Vec<HttpRequest>>,
}

impl Replayed {
    fn new(answers: Vec<Result<HttpResponse, TransportError>>) -> Self {
        Self { answers: RefCell::new(answers.into()), sent: RefCell::new(Vec::new()) }
    }
}

impl Transport for Replayed {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.answers.borrow_mut().pop_front().unwrap_or_else(|| Err(TransportError("connection refused".into())))
    }
}

#[test]
fn an_enqueued_request_survives_a_restart_and_an_attempt_in_flight_goes_back_to_pending() {
    let (_dir, path) = scratch("durable");
    let ticket = {
        let outbox = Outbox::open(&path).unwrap();
        let ticket = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Interactive, T0).unwrap();
        // The app is killed while the first attempt is on the wire.
        assert!(matches!(outbox.prepare(&ticket, &device(), T0).unwrap(), Attempt::Send(_)));
        assert_eq!(outbox.entry(&ticket).unwrap().unwrap().state, EntryState::InFlight);
        ticket
    };
    let outbox = Outbox::open(&path).unwrap();
    let stored = outbox.entry(&ticket).unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts), (EntryState::Pending, 1));
    // The retry carries the same key and the same body, so the service replays its pass.
    let transport = Replayed::new(vec![Ok(pass_answer())]);
    let report = outbox.drain(&transport, &device(), &|| T0.saturating_add_millis(5_000)).unwrap();
    assert_eq!((report.attempted, report.issued, report.next_attempt_at), (1, 1, None));
    let sent = &transport.sent.borrow()[0];
    assert_eq!(sent.url, "http://127.0.0.1:8443/v1/issuances");
    assert!(sent.headers.contains(&("idempotency-key".to_owned(), ticket.clone())));
    assert_eq!(IssuanceRequest::from_json(&sent.body).unwrap(), entry());
    assert_eq!(outbox.pass(&ticket).unwrap().unwrap().uvci, "URN:UVCI:01:FR:DEMO");
    assert_eq!(outbox.status().unwrap(), OutboxStatus { issued: 1, ..OutboxStatus::default() });
}

#[test]
fn every_attempt_is_signed_at_its_own_time_over_the_same_body_and_key() {
    let (_dir, path) = scratch("signed");
    let outbox = Outbox::open(&path).unwrap();
    let ticket = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Backlog, T0).unwrap();
    let Attempt::Send(first) = outbox.prepare(&ticket, &device(), T0).unwrap() else { panic!("due at once") };
    let Delivery::Queued { next_attempt_at, .. } =
        outbox.record(&ticket, Err(TransportError("timeout".into())), T0).unwrap()
    else {
        panic!("a timeout is retried")
    };
    // Two days offline later, the retry is signed afresh (the service's freshness window).
    let later = next_attempt_at.saturating_add_millis(2 * 86_400_000);
    let Attempt::Send(second) = outbox.prepare(&ticket, &device(), later).unwrap() else { panic!("due") };
    assert_eq!(first.body, second.body);
    let header =
        |request: &HttpRequest, name: &str| request.headers.iter().find(|(key, _)| key == name).unwrap().1.clone();
    assert_eq!(header(&first, "content-digest"), header(&second, "content-digest"));
    assert_ne!(header(&first, "signature-input"), header(&second, "signature-input"));
    let parsed =
        crate::protocol::ParsedSignature::parse(&header(&second, "signature-input"), &header(&second, "signature"))
            .unwrap();
    assert_eq!(parsed.created, later.unix_time());
    assert_eq!(parsed.device_id, device().id());
}

#[test]
fn answers_are_classed_retry_after_is_a_floor_and_refusals_keep_their_reason() {
    let (_dir, path) = scratch("classes");
    let outbox = Outbox::open(&path).unwrap();
    let device = device();
    let mut now = T0;
    let ticket = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Backlog, now).unwrap();
    let mut overloaded_before = false;
    for (answer, floor_ms) in [
        (answer(503, Some("120"), r#"{"error":"overloaded","message":"busy"}"#), 120_000),
        (answer(429, Some("7"), r#"{"error":"device_rate_limited","message":"slow down"}"#), 30_000),
        (answer(409, Some("1"), r#"{"error":"request_in_flight","message":"being signed"}"#), 30_000),
        (answer(502, None, "<html>bad gateway</html>"), 30_000),
        (answer(201, None, "{\"pass\": \"HC1:garbage\"}"), 30_000),
    ] {
        // After a 503 or 429 the device's whole retry budget waits (20 minutes for a token).
        let budget_waits = match outbox.prepare(&ticket, &device, now).unwrap() {
            Attempt::Send(_) => false,
            Attempt::Wait(until) if until > now => {
                now = until;
                true
            }
            other => panic!("{other:?} at {now:?}"),
        };
        if budget_waits {
            let Attempt::Send(_) = outbox.prepare(&ticket, &device, now).unwrap() else { panic!("due at {now:?}") };
        }
        assert!(budget_waits || !overloaded_before, "a retry after 503/429 waits for the device's budget");
        let status = answer.status;
        overloaded_before = matches!(status, 429 | 503);
        let Delivery::Queued { next_attempt_at, profile, last_error } =
            outbox.record(&ticket, Ok(answer), now).unwrap()
        else {
            panic!("{status} is retried")
        };
        assert_eq!(profile, RetryProfile::Backlog);
        assert!(next_attempt_at.millis_since(now) >= floor_ms, "{status}: {next_attempt_at:?}");
        assert!(next_attempt_at.millis_since(now) <= 3_600_000 + 120_000, "{status}");
        assert!(last_error.unwrap().contains(&status.to_string()));
        now = next_attempt_at;
    }
    let now = match outbox.prepare(&ticket, &device, now).unwrap() {
        Attempt::Send(_) => now,
        Attempt::Wait(until) => {
            assert!(matches!(outbox.prepare(&ticket, &device, until).unwrap(), Attempt::Send(_)));
            until
        }
        other => panic!("{other:?}"),
    };
    let refusal = answer(422, None, r#"{"error":"idempotency_key_reused","message":"another request used this key"}"#);
    let Delivery::Rejected(rejection) = outbox.record(&ticket, Ok(refusal), now).unwrap() else {
        panic!("422 is final")
    };
    assert_eq!((rejection.status, rejection.code.as_str()), (422, "idempotency_key_reused"));
    // Settled: nothing more is sent, and the refusal stays readable.
    assert!(matches!(outbox.prepare(&ticket, &device, now).unwrap(), Attempt::Settled(Delivery::Rejected(_))));
    assert_eq!(outbox.status().unwrap().rejected, 1);
}

#[test]
fn a_hostile_refusal_cannot_reach_the_screen_raw() {
    let (_dir, path) = scratch("hostile");
    let outbox = Outbox::open(&path).unwrap();
    let ticket = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Backlog, T0).unwrap();
    let Attempt::Send(_) = outbox.prepare(&ticket, &device(), T0).unwrap() else { panic!("due") };
    let body = format!(r#"{{"error":"\u001b[2J","message":"{}\u001b]0;owned\u0007\u202e"}}"#, "x".repeat(5_000));
    let Delivery::Rejected(rejection) = outbox.record(&ticket, Ok(answer(400, None, &body)), T0).unwrap() else {
        panic!("final")
    };
    assert_eq!(rejection.code, "http_400");
    assert!(
        rejection.message.chars().count() <= 300
            && !rejection.message.chars().any(|c| c.is_control() || c == '\u{202e}')
    );
}

#[test]
fn the_retry_budget_paces_a_backlog_after_its_burst() {
    let (_dir, path) = scratch("budget");
    let outbox = Outbox::open(&path).unwrap();
    let device = device();
    let tickets: Vec<String> =
        (0..15).map(|_| outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Backlog, T0).unwrap()).collect();
    // Every first attempt fails; first attempts spend nothing (they add 15 × 0.2 to a full bucket of 2).
    let down = Replayed::new(Vec::new());
    assert_eq!(outbox.drain(&down, &device, &|| T0).unwrap().attempted, 15);
    // An hour later every retry is due; the bucket lets 2 through at once.
    let later = T0.saturating_add_millis(3_700_000);
    let report = outbox.drain(&down, &device, &|| later).unwrap();
    assert_eq!(report.attempted, 2);
    let waiting: Vec<OutboxEntry> = tickets
        .iter()
        .map(|ticket| outbox.entry(ticket).unwrap().unwrap())
        .filter(|entry| entry.attempts == 1)
        .collect();
    assert_eq!(waiting.len(), 13);
    assert!(waiting.iter().all(|entry| entry.next_attempt_at.millis_since(later) >= 1_200_000 - 3_600_000 / 1_200));
    // The budget survives a restart: reopened, the rest still waits for tokens.
    drop(outbox);
    let outbox = Outbox::open(&path).unwrap();
    assert_eq!(outbox.drain(&down, &device, &|| later.saturating_add_millis(60_000)).unwrap().attempted, 0);
    // New entries fund retries: ten first attempts pay for two.
    for _ in 0..10 {
        outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Backlog, later).unwrap();
    }
    let funded = outbox.drain(&down, &device, &|| later.saturating_add_millis(1_320_000)).unwrap();
    assert!((11..=13).contains(&funded.attempted), "{funded:?}");
    // "Retry now": the retries go past the budget until the service pushes back.
    let up = Replayed::new(vec![Ok(pass_answer()), Ok(pass_answer()), Ok(answer(503, Some("1"), "{}"))]);
    let again = later.saturating_add_millis(1_400_000);
    outbox.retry_now(again).unwrap();
    let report = outbox.drain(&up, &device, &|| again).unwrap();
    assert_eq!((report.issued, report.retrying), (2, 1), "{report:?}");
    let still_waiting = outbox.status().unwrap().pending;
    assert!(still_waiting > 10 && report.attempted == 3, "stopped at the 503: {report:?}, {still_waiting} waiting");
}

#[test]
fn a_refusal_with_retry_after_holds_the_devices_new_requests_too() {
    let (_dir, path) = scratch("hold");
    let outbox = Outbox::open(&path).unwrap();
    let device = device();
    let tickets: Vec<String> =
        (0..3).map(|_| outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Interactive, T0).unwrap()).collect();
    let overloaded = r#"{"error":"overloaded","message":"the issuer is at capacity"}"#;
    let busy = Replayed::new(vec![Ok(answer(503, Some("5"), overloaded))]);
    let report = outbox.drain(&busy, &device, &|| T0).unwrap();
    assert_eq!((report.attempted, report.retrying), (1, 1), "{report:?}");
    assert_eq!(busy.sent.borrow().len(), 1, "one refusal, not one per waiting request");
    // The two others wait out the 5 s (plus up to a second of spread), untouched.
    let hold = report.next_attempt_at.unwrap().millis_since(T0);
    assert!((5_000..6_000).contains(&hold), "{report:?}");
    for ticket in &tickets[1..] {
        assert_eq!(outbox.entry(ticket).unwrap().unwrap().attempts, 0);
    }
    // Sending one of them on its own (the pharmacist's screen) waits too.
    assert_eq!(outbox.prepare(&tickets[1], &device, T0).unwrap(), Attempt::Wait(T0.saturating_add_millis(hold)));
    // A request entered during the hold waits too; the app is told when to come back.
    let during = T0.saturating_add_millis(1_000);
    let late = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Interactive, during).unwrap();
    let report = outbox.drain(&busy, &device, &|| during).unwrap();
    assert_eq!(report.attempted, 0, "{report:?}");
    assert!(report.next_attempt_at.is_some_and(|at| at.millis_since(T0) == hold), "{report:?}");
    assert_eq!(outbox.entry(&late).unwrap().unwrap().attempts, 0);
    // Once the hold and the refused request's own jitter have passed, all four go.
    let up = Replayed::new(vec![Ok(pass_answer()), Ok(pass_answer()), Ok(pass_answer()), Ok(pass_answer())]);
    let after = T0.saturating_add_millis(11_000);
    let report = outbox.drain(&up, &device, &|| after).unwrap();
    assert_eq!((report.attempted, report.issued), (4, 4), "{report:?}");
    // A 503 without Retry-After (a proxy's page) holds nothing back: the next request goes.
    let next = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Interactive, after).unwrap();
    let other = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Interactive, after).unwrap();
    let bare = Replayed::new(vec![Ok(answer(503, None, "<html>busy</html>")), Ok(pass_answer())]);
    let report = outbox.drain(&bare, &device, &|| after).unwrap();
    assert_eq!((report.attempted, report.issued, report.retrying), (2, 1, 1), "{report:?}");
    assert!(outbox.entry(&next).unwrap().unwrap().attempts + outbox.entry(&other).unwrap().unwrap().attempts == 2);
}

#[test]
fn the_interactive_profile_waits_about_twenty_seconds_then_hands_over_to_the_backlog() {
    let (_dir, path) = scratch("interactive");
    let outbox = Outbox::open(&path).unwrap();
    let ticket = outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Interactive, T0).unwrap();
    let clock = RefCell::new(T0);
    let down = Replayed::new(Vec::new());
    let now = || *clock.borrow();
    let sleep = |duration: Duration| {
        let mut clock = clock.borrow_mut();
        *clock = clock.saturating_add_millis(i64::try_from(duration.as_millis()).unwrap());
    };
    let delivery = outbox.send_now(&ticket, &down, &device(), &now, &sleep).unwrap();
    let Delivery::Queued { profile: RetryProfile::Backlog, next_attempt_at, last_error } = delivery else {
        panic!("{delivery:?}")
    };
    let waited = now().millis_since(T0);
    let tries = down.sent.borrow().len();
    assert!((5..=40).contains(&tries) && (10_000..=20_000).contains(&waited), "{tries} tries in {waited} ms");
    assert!(next_attempt_at.millis_since(T0) >= 30_000);
    assert!(last_error.unwrap().contains("connection refused"));
    // The service answers on the next try.
    let up = Replayed::new(vec![Ok(pass_answer())]);
    *clock.borrow_mut() = next_attempt_at;
    assert!(matches!(outbox.send_now(&ticket, &up, &device(), &now, &sleep).unwrap(), Delivery::Issued(_)));
}

#[test]
fn bad_input_is_refused_and_nothing_is_queued() {
    let (_dir, path) = scratch("refusals");
    let outbox = Outbox::open(&path).unwrap();
    for endpoint in ["ftp://issuer", "https://issuer/v2/path", "https://", "https://exa mple", "https://\u{1b}[2J"] {
        let error = outbox.enqueue(endpoint, &entry(), RetryProfile::Interactive, T0).unwrap_err();
        assert!(
            matches!(error, OutboxError::Endpoint(_)) && !error.to_string().contains('\u{1b}'),
            "{endpoint}: {error}"
        );
    }
    let mut unknown_device = entry();
    unknown_device.device = Some("999999".into());
    let mut future_sample = entry();
    future_sample.sampled_at = "2021-08-15T09:30:00Z".into();
    for wrong in [unknown_device, future_sample] {
        let error = outbox.enqueue(ENDPOINT, &wrong, RetryProfile::Interactive, T0).unwrap_err();
        assert!(matches!(error, OutboxError::Entry(_)), "{error}");
        assert!(!error.to_string().contains("Dubois") && !error.to_string().contains("1987"), "{error}");
    }
    assert_eq!(outbox.status().unwrap(), OutboxStatus::default());
    assert!(matches!(outbox.prepare("no-such-ticket-here", &device(), T0), Err(OutboxError::UnknownTicket(_))));
}

#[test]
fn a_damaged_or_foreign_file_is_refused_and_left_as_it_was() {
    let (_dir, outbox_path) = scratch("foreign");
    let garbage = outbox_path.with_file_name("garbage.sqlite");
    std::fs::write(&garbage, b"this is not a database, it is a shopping list\n".repeat(100)).unwrap();
    let foreign = outbox_path.with_file_name("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('x');")
        .unwrap();
    for path in [garbage, foreign] {
        let before = std::fs::read(&path).unwrap();
        let error = Outbox::open(&path).err().unwrap();
        assert!(matches!(error, OutboxError::Store(OutboxStoreError::NotAnOutbox { .. })), "{error}");
        assert!(error.to_string().contains("not a healthpass outbox"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{}", path.display());
    }
}

#[test]
fn nothing_personal_reaches_the_entries_or_their_debug_form() {
    let (_dir, path) = scratch("private");
    let outbox = Outbox::open(&path).unwrap();
    outbox.enqueue(ENDPOINT, &entry(), RetryProfile::Interactive, T0).unwrap();
    let listed = format!("{:?}", outbox.entries().unwrap());
    assert!(!listed.contains("Dubois") && !listed.contains("1987"), "{listed}");
}

#[test]
fn an_outbox_of_the_first_schema_is_migrated_and_keeps_its_requests() {
    let (_dir, path) = scratch("migrate");
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE outbox_entries (ticket TEXT PRIMARY KEY, endpoint TEXT NOT NULL, body BLOB NOT NULL, \
                 state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'issued', 'rejected')), \
                 profile TEXT NOT NULL CHECK (profile IN ('interactive', 'backlog')), enqueued_at_ms INTEGER NOT NULL, \
                 attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at_ms INTEGER NOT NULL, last_error TEXT, response BLOB, \
                 uvci TEXT, rejection_status INTEGER, rejection_code TEXT, rejection_message TEXT, finished_at_ms INTEGER); \
                 INSERT INTO outbox_entries (ticket, endpoint, body, state, profile, enqueued_at_ms, next_attempt_at_ms) \
                 VALUES ('first-schema-ticket-0001', 'http://127.0.0.1:8443', X'7b7d', 'pending', 'backlog', 1, 1); \
                 PRAGMA application_id = 1213222722; PRAGMA user_version = 1;",
            )
            .unwrap();
    }
    let outbox = Outbox::open(&path).unwrap();
    let entry = outbox.entry("first-schema-ticket-0001").unwrap().unwrap();
    assert_eq!((entry.kind, entry.state), (EntryKind::Issuance, EntryState::Pending));
    // The new state and kind work on the migrated file.
    assert!(outbox.withdraw("first-schema-ticket-0001", T0).unwrap());
    drop(outbox);
    assert_eq!(Outbox::open(&path).unwrap().status().unwrap().withdrawn, 1);
}
