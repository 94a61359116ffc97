//! Transfer codes against the real service on loopback (SQLite and PostgreSQL): a traveller's
//! wallet gets the final pass that replaces a provisional one without an account, sealed to its
//! key; the service keeps only ciphertext and forgets it once collected; a guessed, stolen or
//! replayed code gets nothing usable.

mod common;

use std::sync::Arc;

use common::*;
use healthpass_core::fallback::{Reconciliation, issue_provisional};
use healthpass_core::issue::IssuingPolicy;
use healthpass_core::outbox::Transport;
use healthpass_core::protocol::hpke;
use healthpass_core::protocol::transfer::{
    DELIVERY_INFO, TransferDeliveries, decode_base64url, encode_base64url, transfer_signature_base,
};
use healthpass_core::protocol::{TransferCode, TransferCodeError};
use healthpass_core::time::{UnixMillis, UnixTime};
use healthpass_core::verify::VerdictStatus;
use healthpass_core::wallet::{PassSource, PassState, SoftwareStorageKey, TransferState, TransferStep, Wallet};
use healthpass_service::Database;
use p256::ecdsa::signature::Signer as _;

fn millis() -> UnixMillis {
    UnixMillis::from(now())
}

fn sealed_wallet(dir: &std::path::Path, name: &str) -> Wallet {
    let key = Arc::new(SoftwareStorageKey::new(&[0x42; 32]));
    Wallet::open(&dir.join(name), Some(key)).unwrap()
}

/// The outage story, on `database`: the code is made offline, the provisional pass is signed
/// on the pharmacy phone and kept in the wallet; when the service is back, the reconciliation
/// arrives before the wallet registers, and the final pass reaches the wallet all the same.
fn provisional_then_final_through_a_transfer_code(database: Database, dir: &std::path::Path) {
    let service = start_with_fallback_on(database);
    let gate = gate_of(&service);
    let root = service.service.issuance.fallback.as_ref().unwrap().root().clone();
    let (signer, device, outbox) = credentialed_device(&service, 31, &dir.join("outbox.sqlite"));
    let http = Http(agent());

    // The traveller's wallet makes a code with no network; the pharmacist types it in.
    let wallet = sealed_wallet(dir, "wallet.sqlite");
    let code = wallet.create_transfer(&service.url(), now()).unwrap();
    let typed = TransferCode::parse(&code.to_string().to_lowercase()).unwrap();
    let entry = healthpass_tests::vectors::demo_test_request(now().saturating_sub(1_800));
    let provisional = issue_provisional(
        &outbox,
        signer,
        std::slice::from_ref(&root),
        IssuingPolicy::default(),
        &entry,
        Reconciliation { endpoint: &service.url(), replacing: None, transfer_code: Some(&typed) },
        now(),
    )
    .unwrap();
    let added = wallet.add_text(&provisional.pass.text, PassSource::Picture, now()).unwrap();
    let listed = wallet.list(now(), Some(&gate)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, PassState::Provisional);
    assert_eq!(listed[0].pharmacy.as_deref(), Some("Pharmacie du Centre, Lyon"));

    // The service is back: the phone's outbox reconciles first; the wallet has not registered.
    let report = outbox.drain(&http, &device, &millis).unwrap();
    assert_eq!(report.issued, 1, "{report:?}");
    assert!(service.store.transfer(code.as_str()).unwrap().is_none());
    assert_eq!(service.store.pending_deliveries(code.as_str()).unwrap().len(), 1);

    // The wallet registers: the waiting pass is sealed to its key at once.
    let requests = wallet.due_transfer_requests(now(), false).unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].step, TransferStep::Register);
    let answer = http.send(&requests[0].request).unwrap();
    assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
    let progress = wallet.record_transfer_answer(&requests[0], Ok(&answer), now()).unwrap();
    let poll = progress.follow_up.unwrap();
    assert_eq!(poll.step, TransferStep::Poll);
    let sealed = service.store.deliveries(code.as_str()).unwrap();
    assert_eq!(sealed.len(), 1);
    assert_eq!(sealed[0].uvci, provisional.pass.certificate_id);
    assert!(
        !sealed[0].ciphertext.windows(4).any(|window| window == b"HC1:"),
        "the service keeps the pass sealed, never in clear, for delivery"
    );
    assert!(service.store.pending_deliveries(code.as_str()).unwrap().is_empty());

    // A replayed poll (someone on the network copied it) gets ciphertext only the wallet opens.
    let answer = http.send(&poll.request).unwrap();
    let replayed = http.send(&poll.request).unwrap();
    assert_eq!((answer.status, replayed.status), (200, 200));
    let stolen: TransferDeliveries = serde_json::from_slice(&replayed.body).unwrap();
    let sealed_copy = hpke::Sealed {
        encapsulated_key: decode_base64url(&stolen.deliveries[0].encapsulated_key).unwrap(),
        ciphertext: decode_base64url(&stolen.deliveries[0].ciphertext).unwrap(),
    };
    let thief = p256::SecretKey::from_slice(&[9; 32]).unwrap();
    assert!(hpke::open(&thief, &sealed_copy, DELIVERY_INFO, code.as_str().as_bytes()).is_err());

    // The wallet opens it, stores it (replacing the provisional pass), then acknowledges.
    let progress = wallet.record_transfer_answer(&poll, Ok(&answer), now()).unwrap();
    assert_eq!(progress.added.len(), 1);
    assert_eq!(progress.added[0].replaced, vec![added.id]);
    let acknowledge = progress.follow_up.unwrap();
    assert_eq!(acknowledge.step, TransferStep::Acknowledge);
    let answer = http.send(&acknowledge.request).unwrap();
    assert_eq!(answer.status, 200);
    let progress = wallet.record_transfer_answer(&acknowledge, Ok(&answer), now()).unwrap();
    assert_eq!(progress.state, TransferState::Collected);
    assert!(service.store.deliveries(code.as_str()).unwrap().is_empty(), "deleted once collected");
    assert!(service.store.transfer(code.as_str()).unwrap().unwrap().collected_at.is_some());
    assert_eq!(http.send(&poll.request).unwrap().status, 410);

    // The wallet shows the final pass, green, same UVCI; the provisional one is history.
    let listed = wallet.list(now(), Some(&gate)).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].state, PassState::Valid);
    assert_eq!(listed[0].source, PassSource::Transfer);
    assert_eq!(listed[0].uvci.as_deref(), Some(provisional.pass.certificate_id.as_str()));
    assert!(!listed[0].provisional);
    let history = wallet.history(now(), Some(&gate)).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].state, PassState::Replaced);
    assert_eq!(history[0].replaced_by, Some(listed[0].id));
    assert_eq!(gate.verify_text(&wallet.pass_text(listed[0].id).unwrap(), now()).unwrap().status, VerdictStatus::Valid);
    let statuses = wallet.transfers().unwrap();
    assert_eq!((statuses[0].state, statuses[0].received), (TransferState::Collected, 1));
    service.stop();
}

#[test]
fn a_final_pass_reaches_the_wallet_of_a_provisional_pass_on_sqlite() {
    let dir = scratch("transfer-sqlite");
    provisional_then_final_through_a_transfer_code(Database::Sqlite(dir.join("issuer.sqlite")), &dir);
}

#[test]
fn a_final_pass_reaches_the_wallet_of_a_provisional_pass_on_postgres() {
    let dir = scratch("transfer-postgres");
    provisional_then_final_through_a_transfer_code(Database::Postgres(postgres_database("transfers")), &dir);
}

#[test]
fn a_wallet_registered_first_gets_an_online_issuance_and_polls_with_backoff_meanwhile() {
    let dir = scratch("transfer-online");
    let service = start_with_fallback(&dir);
    let agent = agent();
    let device = Device::new(32);
    assert_eq!(enrol(&agent, &service.url(), &device).status, 201);
    let wallet = Wallet::open(&dir.join("plain.sqlite"), None).unwrap();
    let code = wallet.create_transfer(&format!("{}/", service.url()), now()).unwrap();
    let http = Http(agent.clone());

    // Registered, nothing yet: the next poll waits 24 to 36 s (30 s, jittered).
    let report = wallet.fetch_transfers(&http, false, now()).unwrap();
    assert_eq!((report.requests, report.added.len()), (2, 0), "{report:?}");
    let waiting = &wallet.transfers().unwrap()[0];
    assert_eq!(waiting.state, TransferState::Waiting);
    let wait = waiting.next_poll_at.seconds() - now().seconds();
    assert!((23..=37).contains(&wait), "{wait}");
    assert!(wallet.due_transfer_requests(now(), false).unwrap().is_empty(), "not due before the backoff");

    // The pharmacy issues online, naming the code: the pass is sealed for the wallet at once.
    let mut request = entry("Dupont", now());
    request.transfer_code = Some(code.to_string());
    let signed = device.sign(&request.to_json(), &fresh_key(1), now());
    let issued = post_issuance(&agent, &service.url(), &signed).unwrap();
    assert_eq!(issued.status, 201);
    // Its retry (a lost answer) replays the pass and seals the same one again, not a second.
    assert_eq!(post_issuance(&agent, &service.url(), &signed).unwrap().status, 201);
    assert_eq!(service.store.deliveries(code.as_str()).unwrap().len(), 1);

    let later = now().saturating_add(60);
    let report = wallet.fetch_transfers(&http, false, later).unwrap();
    assert_eq!(report.added.len(), 1, "{report:?}");
    let pass = issued.json()["pass"].as_str().unwrap().to_owned();
    assert_eq!(wallet.pass_text(report.added[0].id).unwrap(), pass);
    assert_eq!(wallet.transfers().unwrap()[0].state, TransferState::Collected);

    // An issuance naming a mistyped code is refused before anything is signed.
    let mut typo = code.to_string().into_bytes();
    typo[0] = if typo[0] == b'A' { b'B' } else { b'A' };
    let mut request = entry("Durand", now());
    request.transfer_code = Some(String::from_utf8(typo).unwrap());
    let refused =
        post_issuance(&agent, &service.url(), &device.sign(&request.to_json(), &fresh_key(2), now())).unwrap();
    assert_eq!(refused.status, 422);
    assert_eq!(refused.json()["error"], "transfer_code_invalid");
    assert_eq!(service.store.issuances().unwrap().len(), 1);
}

fn signed_headers(key: &p256::SecretKey, method: &str, code: &str, created: i64) -> Vec<(String, String)> {
    let base = transfer_signature_base(method, &format!("/v1/transfers/{code}"), created);
    let signature: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(key).sign(base.as_bytes());
    vec![
        ("Transfer-Created".into(), created.to_string()),
        ("Transfer-Signature".into(), encode_base64url(&signature.to_bytes())),
    ]
}

fn register(agent: &ureq::Agent, base: &str, key: &p256::SecretKey) -> Answer {
    use p256::elliptic_curve::sec1::ToSec1Point;
    let public = key.public_key().to_sec1_point(false);
    let body = serde_json::json!({ "public_key": encode_base64url(public.as_bytes()) }).to_string();
    send(agent, "POST", &format!("{base}/v1/transfers"), &[], body.as_bytes()).unwrap()
}

#[test]
fn guessed_stolen_stale_and_malformed_transfer_requests_get_nothing() {
    let dir = scratch("transfer-hostile");
    let service = start_sqlite(&dir);
    let agent = agent();
    let base = service.url();
    let owner = p256::SecretKey::from_slice(&[1; 32]).unwrap();
    let registered = register(&agent, &base, &owner);
    assert_eq!(registered.status, 201);
    let code = registered.json()["code"].as_str().unwrap().to_owned();
    assert_eq!(register(&agent, &base, &owner).status, 200, "registering again changes nothing");

    // Another key derives another code: a code read off an attestation cannot be taken over.
    let intruder = p256::SecretKey::from_slice(&[2; 32]).unwrap();
    let other = register(&agent, &base, &intruder).json()["code"].as_str().unwrap().to_owned();
    assert_ne!(other, code);

    // Signed by someone else, or a guessed code: the same 404, nothing said about which.
    let url = format!("{base}/v1/transfers/{code}");
    let forged = send(&agent, "GET", &url, &signed_headers(&intruder, "GET", &code, now().seconds()), b"").unwrap();
    assert_eq!((forged.status, forged.json()["error"].as_str()), (404, Some("transfer_unknown")));
    let guessed = {
        use p256::elliptic_curve::sec1::ToSec1Point;
        let never_registered = p256::SecretKey::from_slice(&[3; 32]).unwrap();
        TransferCode::for_public_key(never_registered.public_key().to_sec1_point(false).as_bytes()).unwrap()
    };
    let guess_url = format!("{base}/v1/transfers/{}", guessed.as_str());
    let answer =
        send(&agent, "GET", &guess_url, &signed_headers(&intruder, "GET", guessed.as_str(), now().seconds()), b"")
            .unwrap();
    assert_eq!(answer.status, 404);
    // A deletion by someone else deletes nothing.
    let answer =
        send(&agent, "DELETE", &url, &signed_headers(&intruder, "DELETE", &code, now().seconds()), b"").unwrap();
    assert_eq!(answer.status, 404);
    assert!(service.store.transfer(&code).unwrap().unwrap().collected_at.is_none());

    // Stale, unsigned, malformed: refused with what was expected.
    let stale = send(&agent, "GET", &url, &signed_headers(&owner, "GET", &code, now().seconds() - 3_600), b"").unwrap();
    assert_eq!((stale.status, stale.json()["error"].as_str()), (401, Some("request_stale")));
    let unsigned = send(&agent, "GET", &url, &[], b"").unwrap();
    assert_eq!((unsigned.status, unsigned.json()["error"].as_str()), (401, Some("signature_missing")));
    let typo = send(&agent, "GET", &format!("{base}/v1/transfers/ABC"), &[], b"").unwrap();
    assert_eq!((typo.status, typo.json()["error"].as_str()), (400, Some("transfer_code_invalid")));
    for body in [&b"{}"[..], b"not json", b"{\"public_key\":\"AAAA\"}", b"{\"public_key\":\"\\u001b[2J\"}"] {
        let answer = send(&agent, "POST", &format!("{base}/v1/transfers"), &[], body).unwrap();
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(body));
        assert!(!String::from_utf8_lossy(&answer.body).contains('\u{1b}'));
    }
    let owner_poll = send(&agent, "GET", &url, &signed_headers(&owner, "GET", &code, now().seconds()), b"").unwrap();
    assert_eq!(owner_poll.status, 200, "the owner still gets through");

    // Guessing at speed: the address is held back with 429 and Retry-After.
    let mut limited = 0;
    for attempt in 0..40 {
        let guess = format!("{base}/v1/transfers/{}", guessed.as_str());
        let answer = send(
            &agent,
            "GET",
            &guess,
            &signed_headers(&intruder, "GET", guessed.as_str(), now().seconds() + attempt),
            b"",
        )
        .unwrap();
        if answer.status == 429 {
            assert!(answer.header("retry-after").is_some());
            limited += 1;
        }
    }
    assert!(limited >= 10, "{limited} of 40 rapid guesses were held back");
    assert_eq!(TransferCode::parse("K7QM-4T2X-9H!"), Err(TransferCodeError::Character));
}

#[test]
fn the_wallet_reads_garbage_from_a_service_as_an_error_and_keeps_its_passes() {
    use healthpass_core::outbox::{HttpResponse, TransportError};
    let dir = scratch("transfer-garbage");
    let wallet = sealed_wallet(&dir, "wallet.sqlite");
    let code = wallet.create_transfer("http://127.0.0.1:9", now()).unwrap();
    let register = wallet.due_transfer_requests(now(), false).unwrap().remove(0);
    // No answer: still unregistered, retried later.
    let progress =
        wallet.record_transfer_answer(&register, Err(&TransportError("connection refused".into())), now()).unwrap();
    assert_eq!(progress.state, TransferState::Unregistered);
    assert!(wallet.due_transfer_requests(now(), false).unwrap().is_empty());
    assert_eq!(wallet.due_transfer_requests(now(), true).unwrap().len(), 1, "the traveller may ask now");
    // A registration answer for another code, then a poll answer that is not JSON, then a
    // delivery that does not open: errors recorded, nothing stored, nothing lost.
    let other = HttpResponse {
        status: 201,
        headers: vec![],
        body: br#"{"code":"00000000000","expires_at":"2030-01-01T00:00:00Z"}"#.to_vec(),
    };
    assert_eq!(wallet.record_transfer_answer(&register, Ok(&other), now()).unwrap().state, TransferState::Unregistered);
    let ok = HttpResponse {
        status: 201,
        headers: vec![],
        body: format!(
            r#"{{"code":"{}","expires_at":"{}"}}"#,
            code.as_str(),
            now().saturating_add(7 * 86_400).to_rfc3339()
        )
        .into_bytes(),
    };
    let poll = wallet.record_transfer_answer(&register, Ok(&ok), now()).unwrap().follow_up.unwrap();
    let garbage = HttpResponse { status: 200, headers: vec![], body: b"\x1b[2J<html>".to_vec() };
    assert_eq!(wallet.record_transfer_answer(&poll, Ok(&garbage), now()).unwrap().added.len(), 0);
    let forged = HttpResponse {
        status: 200,
        headers: vec![],
        body: format!(
            r#"{{"code":"{}","deliveries":[{{"encapsulated_key":"{}","ciphertext":"AAAA"}}],"expires_at":"{}"}}"#,
            code.as_str(),
            encode_base64url(&[4; 65]),
            now().saturating_add(7 * 86_400).to_rfc3339()
        )
        .into_bytes(),
    };
    let progress = wallet.record_transfer_answer(&poll, Ok(&forged), now()).unwrap();
    assert!(progress.added.is_empty());
    let status = &wallet.transfers().unwrap()[0];
    assert!(status.last_error.as_deref().unwrap_or("").contains("does not open"), "{status:?}");
    let throttled = HttpResponse { status: 429, headers: vec![("Retry-After".into(), "600".into())], body: vec![] };
    wallet.record_transfer_answer(&poll, Ok(&throttled), now()).unwrap();
    let waits = wallet.transfers().unwrap()[0].next_poll_at.seconds() - now().seconds();
    assert!(waits >= 600, "Retry-After is honoured: {waits}");
    assert!(wallet.list(now(), None).unwrap().is_empty());
    // Past its lifetime, the code expires in the wallet too.
    let next_week = UnixTime::from_seconds(now().seconds() + 8 * 86_400);
    assert!(wallet.due_transfer_requests(next_week, true).unwrap().is_empty());
    assert_eq!(wallet.transfers().unwrap()[0].state, TransferState::Expired);
}
