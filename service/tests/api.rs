//! The issuer service's API as a pharmacy device and an operator use it, on SQLite over
//! loopback: enrolment, issuance with idempotency (same pass byte for byte, 422, 409), and
//! every kind of bad input answered with a JSON error that changes nothing stored.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::Verifier;
use healthpass_service::storage::Claim;

fn verifier() -> Verifier {
    let (_, certificate) = signer_files();
    Verifier::new(TrustStore::from_iter([DocumentSignerCertificate::from_der(&certificate).unwrap()]))
}

#[test]
fn an_operator_enrols_suspends_resumes_and_revokes_a_device() {
    let dir = scratch("operator");
    let service = start_sqlite(&dir);
    let agent = agent();
    let device = Device::new(0x70);
    let created = enrol(&agent, &service.url(), &device);
    assert_eq!(created.status, 201, "{:?}", created.json());
    assert_eq!(created.json()["device_id"], device.id.to_string());
    assert_eq!(created.json()["status"], "active");
    let again = enrol(&agent, &service.url(), &device);
    assert_eq!((again.status, again.json()["device_id"].clone()), (200, created.json()["device_id"].clone()));

    let url = |path: &str| format!("{}/v1/devices/{}{path}", service.url(), device.id);
    let wrong = vec![("Authorization".to_owned(), "Bearer not-the-token-at-all-000".to_owned())];
    for (method, path) in [("GET", ""), ("POST", "/suspend")] {
        let answer = send(&agent, method, &url(path), &wrong, b"").unwrap();
        assert_eq!((answer.status, answer.json()["error"].clone()), (401, "operator_token_invalid".into()));
    }
    let no_token =
        send(&agent, "POST", &format!("{}/v1/devices", service.url()), &[], device.enrolment("x").as_bytes());
    assert_eq!(no_token.unwrap().status, 401);

    for (path, status) in [("/suspend", "suspended"), ("/resume", "active"), ("/revoke", "revoked")] {
        let answer = send(&agent, "POST", &url(path), &operator_headers(), b"").unwrap();
        assert_eq!((answer.status, answer.json()["status"].clone()), (200, status.into()), "{path}");
    }
    let answer = send(&agent, "POST", &url("/resume"), &operator_headers(), b"").unwrap();
    assert_eq!((answer.status, answer.json()["error"].clone()), (409, "device_revoked".into()), "revocation is final");
    let answer = send(&agent, "GET", &url(""), &operator_headers(), b"").unwrap();
    assert_eq!(answer.json()["status"], "revoked");
    let unknown = send(&agent, "GET", &format!("{}/v1/devices/AAAAAAAAAAA", service.url()), &operator_headers(), b"");
    assert_eq!(unknown.unwrap().status, 404);
    for body in [&b"{}"[..], b"not json", br#"{"public_key":"AAAA","pharmacy_id":"x","pharmacy_name":"y"}"#] {
        let answer = send(&agent, "POST", &format!("{}/v1/devices", service.url()), &operator_headers(), body).unwrap();
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn the_same_key_gets_the_same_pass_byte_for_byte_and_another_body_gets_422() {
    let dir = scratch("idempotency");
    let service = start_sqlite(&dir);
    let agent = agent();
    let device = Device::new(0x71);
    assert_eq!(enrol(&agent, &service.url(), &device).status, 201);
    let now = now();
    let key = fresh_key(1);
    let body = entry("Martin", now).to_json();
    let first = post_issuance(&agent, &service.url(), &device.sign(&body, &key, now)).unwrap();
    assert_eq!(first.status, 201, "{:?}", first.json());
    assert_eq!(first.header("idempotent-replayed"), None);
    let pass = first.json()["pass"].as_str().unwrap().to_owned();
    let verdict = verifier().verify_text(&pass, now).unwrap();
    assert!(verdict.is_valid(), "{:?}", verdict.reasons);
    assert_eq!(first.json()["uvci"], verdict_uvci(&pass));

    // A retry (signed again, later) gets the same bytes.
    let replay = post_issuance(&agent, &service.url(), &device.sign(&body, &key, now.saturating_add(5))).unwrap();
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, first.body, "the replay is byte for byte the first answer");
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));

    // The same key with another body.
    let other = entry("Bernard", now).to_json();
    let reused = post_issuance(&agent, &service.url(), &device.sign(&other, &key, now)).unwrap();
    assert_eq!((reused.status, reused.json()["error"].clone()), (422, "idempotency_key_reused".into()));

    // A key another attempt holds: 409 with Retry-After.
    let held = fresh_key(2);
    let held_body = entry("Petit", now).to_json();
    let digest: [u8; 32] = sha2_digest(&held_body);
    assert_eq!(service.store.claim(device.id, &held, digest, now, Duration::from_secs(30)).unwrap(), Claim::Fresh);
    let busy = post_issuance(&agent, &service.url(), &device.sign(&held_body, &held, now)).unwrap();
    assert_eq!((busy.status, busy.json()["error"].clone()), (409, "request_in_flight".into()));
    assert_eq!(busy.header("retry-after"), Some("1"));

    // One record per pass, no personal data in it.
    let records = service.store.issuances().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].uvci, first.json()["uvci"].as_str().unwrap());
    assert_eq!(records[0].idempotency_key, key);
    let metrics =
        String::from_utf8(send(&agent, "GET", &format!("{}/metrics", service.url()), &[], b"").unwrap().body).unwrap();
    assert!(metrics.contains("healthpass_issued_total 1"), "{metrics}");
    assert!(metrics.contains("healthpass_replayed_total 1"), "{metrics}");
    assert!(metrics.contains("healthpass_rejected_total{reason=\"idempotency_key_reused\"} 1"), "{metrics}");
    assert!(metrics.contains("healthpass_issuance_seconds_count 2"), "{metrics}");
    assert!(!metrics.contains("Martin"));
}

fn sha2_digest(body: &[u8]) -> [u8; 32] {
    healthpass_core::protocol::verify_content_digest(&healthpass_core::protocol::content_digest(body), body).unwrap()
}

fn verdict_uvci(pass: &str) -> String {
    let decoded = healthpass_core::codec::decode_pass_text(pass, &Default::default()).unwrap();
    let dcc = healthpass_core::dcc::Dcc::from_value(healthpass_core::dcc::hcert::dcc_value(&decoded.claims).unwrap())
        .unwrap();
    dcc.certificate_id().to_owned()
}

/// Every refusal is a JSON error with a code, and nothing is stored or issued by it.
#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let dir = scratch("bad-input");
    let mut config = config(healthpass_service::Database::Sqlite(dir.join("issuer.sqlite")));
    config.http.body_timeout = Duration::from_millis(500);
    config.http.header_timeout = Duration::from_millis(500);
    let service = healthpass_service::start(&config).unwrap();
    let agent = agent();
    let device = Device::new(0x72);
    assert_eq!(enrol(&agent, &service.url(), &device).status, 201);
    let now = now();
    let body = entry("Martin", now).to_json();
    let good = device.sign(&body, &fresh_key(10), now);

    let mut cases: Vec<(&str, SignedRequest, u16, &str)> = Vec::new();
    let without = |name: &str| {
        let mut request = good.clone();
        request.headers.retain(|(header, _)| header != name);
        request
    };
    cases.push(("no key", without("Idempotency-Key"), 400, "idempotency_key_missing"));
    cases.push(("no digest", without("Content-Digest"), 400, "content_digest_missing"));
    cases.push(("no signature", without("Signature"), 401, "signature_missing"));
    let mut tampered = good.clone();
    tampered.body = entry("Bernard", now).to_json();
    cases.push(("body changed after signing", tampered, 400, "content_digest_mismatch"));
    let mut short_key = device.sign(&body, "short", now);
    short_key.headers.retain(|(name, _)| name != "Signature");
    short_key.headers.push(("Signature".into(), good.headers[3].1.clone()));
    cases.push(("malformed key", short_key, 400, "idempotency_key_invalid"));
    let mut forged = good.clone();
    forged.headers[3].1 = format!("sig1=:{}:", base64_of(&[7u8; 64]));
    cases.push(("forged signature", forged, 401, "signature_invalid"));
    cases.push(("another device's key", Device::new(0x73).sign(&body, &fresh_key(11), now), 401, "device_unknown"));
    cases.push(("stale", device.sign(&body, &fresh_key(12), now.saturating_sub(3600)), 401, "request_stale"));
    cases.push(("from the future", device.sign(&body, &fresh_key(13), now.saturating_add(3600)), 401, "request_stale"));
    let mut signature_input = good.clone();
    signature_input.headers[2].1 = signature_input.headers[2].1.replace("ecdsa-p256-sha256", "hmac-sha256");
    cases.push(("other algorithm", signature_input, 401, "signature_malformed"));
    cases.push(("not JSON", device.sign(b"{not json", &fresh_key(14), now), 400, "body_invalid"));
    let mut extra: serde_json::Value = serde_json::from_slice(&body).unwrap();
    extra["nickname"] = "Mimi".into();
    cases.push(("unknown field", device.sign(extra.to_string().as_bytes(), &fresh_key(15), now), 400, "body_invalid"));
    let mut bad_entry = entry("Martin", now);
    bad_entry.date_of_birth = "31/12/1980".into();
    cases.push(("invalid entry", device.sign(&bad_entry.to_json(), &fresh_key(16), now), 422, "entry_invalid"));
    let mut unknown_device = entry("Martin", now);
    unknown_device.device = Some("999999".into());
    cases.push((
        "unknown test device",
        device.sign(&unknown_device.to_json(), &fresh_key(17), now),
        422,
        "entry_invalid",
    ));
    let mut old = entry("Martin", now);
    old.sampled_at = now.saturating_sub(5 * 24 * 3600).to_rfc3339();
    cases.push(("sample too old", device.sign(&old.to_json(), &fresh_key(18), now), 422, "entry_invalid"));
    cases.push(("oversized", device.sign(&vec![b' '; 20_000], &fresh_key(19), now), 413, "body_too_large"));

    for (name, request, status, code) in cases {
        let answer = post_issuance(&agent, &service.url(), &request).unwrap();
        assert_eq!((answer.status, answer.json()["error"].as_str().unwrap_or("?")), (status, code), "{name}");
        assert_eq!(answer.header("content-type"), Some("application/json"), "{name}");
        let message = answer.json()["message"].as_str().unwrap_or("").to_owned();
        assert!(!message.is_empty() && !message.contains("Martin") && !message.contains("1980"), "{name}: {message}");
    }
    assert!(service.store.issuances().unwrap().is_empty(), "no refused request left a record");

    // A suspended or revoked device is refused; resumed, it issues.
    let device_url = |action: &str| format!("{}/v1/devices/{}/{action}", service.url(), device.id);
    send(&agent, "POST", &device_url("suspend"), &operator_headers(), b"").unwrap();
    let answer = post_issuance(&agent, &service.url(), &device.sign(&body, &fresh_key(20), now)).unwrap();
    assert_eq!((answer.status, answer.json()["error"].clone()), (403, "device_suspended".into()));
    send(&agent, "POST", &device_url("resume"), &operator_headers(), b"").unwrap();
    assert_eq!(post_issuance(&agent, &service.url(), &device.sign(&body, &fresh_key(21), now)).unwrap().status, 201);
    send(&agent, "POST", &device_url("revoke"), &operator_headers(), b"").unwrap();
    let answer = post_issuance(&agent, &service.url(), &device.sign(&body, &fresh_key(22), now)).unwrap();
    assert_eq!((answer.status, answer.json()["error"].clone()), (403, "device_revoked".into()));
    assert_eq!(service.store.issuances().unwrap().len(), 1);

    // Unknown routes and methods.
    assert_eq!(send(&agent, "GET", &format!("{}/v1/nothing", service.url()), &[], b"").unwrap().status, 404);
    assert_eq!(send(&agent, "GET", &format!("{}/v1/issuances", service.url()), &[], b"").unwrap().status, 405);
    assert_eq!(send(&agent, "GET", &format!("{}/healthz", service.url()), &[], b"").unwrap().json()["status"], "ok");

    // A client that sends its body too slowly is cut off with 408, and others are served.
    let mut slow = std::net::TcpStream::connect(service.address).unwrap();
    write!(slow, "POST /v1/issuances HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Headers that never end are cut off too (header timeout), without holding others.
    let mut trickle = std::net::TcpStream::connect(service.address).unwrap();
    write!(trickle, "GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    trickle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = Vec::new();
    let closed = trickle.read_to_end(&mut answer);
    assert!(closed.is_ok(), "the service closed the connection itself: {closed:?}");
    assert!(answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(send(&agent, "GET", &format!("{}/healthz", service.url()), &[], b"").unwrap().status, 200);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A database file that is not the issuer's is refused at start, untouched.
#[test]
fn a_foreign_database_file_is_refused() {
    let dir = scratch("foreign");
    let path = dir.join("other.sqlite");
    std::fs::write(&path, b"this is not a database at all").unwrap();
    let error = healthpass_service::build(&config(healthpass_service::Database::Sqlite(path.clone()))).err().unwrap();
    assert!(error.to_string().contains("not a usable SQLite database"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), b"this is not a database at all");
    let other = rusqlite_like_file(&dir);
    let error = healthpass_service::build(&config(healthpass_service::Database::Sqlite(other))).err().unwrap();
    assert!(error.to_string().contains("not a healthpass issuer database"), "{error}");
}

/// A valid SQLite file of another application.
fn rusqlite_like_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("app.sqlite");
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');").unwrap();
    path
}
