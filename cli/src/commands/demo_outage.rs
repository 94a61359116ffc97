//! The second half of `healthpass demo`: the central issuer on loopback with SQLite, a
//! pharmacy device sending through its durable outbox, the issuer going down and coming back.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use healthpass_core::codec::cose::{Signer, SignerKey, SoftwareSigner};
use healthpass_core::issue::TestCertificateRequest;
use healthpass_core::outbox::{Delivery, DeviceCredentials, Outbox, RetryPolicy, RetryProfile};
use healthpass_core::protocol::{DeviceId, DeviceStatus, IssuanceRequest};
use healthpass_core::verify::Verifier;
use healthpass_service::storage::DeviceRecord;
use healthpass_service::{Database, RunningService, ServiceConfig};

use super::outbox::{HttpTransport, now_millis};
use crate::demo_material;
use crate::error::CliError;
use crate::inputs::system_now;
use crate::outln;

/// How long the demo's pharmacist waits at the counter before the request stays queued.
const DEMO_PATIENCE_MS: i64 = 3_000;

pub fn run(out: &Path, request: &TestCertificateRequest, verifier: &Verifier) -> Result<(), CliError> {
    let database = out.join("issuer.sqlite");
    let outbox_path = out.join("outbox.sqlite");
    for stale in [&database, &outbox_path] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", stale.display()));
        }
    }
    let started = Instant::now();
    let service = start(&database, "127.0.0.1:0")?;
    let address = service.address.to_string();
    outln!("6. Started the central issuer on {} (SQLite, durable idempotency) in {:.0} ms", service.url(), ms(started));

    // The pharmacy phone's key: in the Keystore or Secure Enclave on a phone, fresh here.
    let mut seed = [0_u8; 32];
    getrandom::fill(&mut seed).map_err(|error| CliError::System(format!("no system randomness: {error}")))?;
    let key = p256::ecdsa::SigningKey::from_slice(&seed).map_err(CliError::internal)?;
    let signer = Arc::new(SoftwareSigner::new(key));
    let device = DeviceCredentials::new(signer.clone())?;
    enrol(&service, signer.as_ref(), device.id())?;
    outln!("   enrolled this pharmacy's device {} (its P-256 key signs every request, RFC 9421)", device.id());

    let policy = RetryPolicy { interactive_window_ms: DEMO_PATIENCE_MS, ..RetryPolicy::default() };
    let outbox = Outbox::open_with(&outbox_path, policy, u64::from_le_bytes(seed[..8].try_into().unwrap_or_default()))?;
    let transport = HttpTransport::new();
    let entry = IssuanceRequest::from_test_request(request, None);
    let send = |outbox: &Outbox| -> Result<(String, Delivery), CliError> {
        let ticket = outbox.enqueue(&service_url(&address), &entry, RetryProfile::Interactive, now_millis())?;
        let delivery = outbox.send_now(&ticket, &transport, &device, &now_millis, &std::thread::sleep)?;
        Ok((ticket, delivery))
    };

    let started = Instant::now();
    let (_, delivery) = send(&outbox)?;
    let Delivery::Issued(pass) = delivery else {
        return Err(CliError::internal(format!("the running issuer did not issue: {delivery:?}")));
    };
    outln!(
        "7. Sent through the outbox (written to disk first), signed centrally in {:.1} ms: {}",
        ms(started),
        pass.uvci
    );
    report_verdict(verifier, &pass.pass)?;

    service.stop();
    outln!("8. The central issuer goes down (the August 2021 weekend).");
    let started = Instant::now();
    let (ticket, delivery) = send(&outbox)?;
    let Delivery::Queued { next_attempt_at, last_error, .. } = delivery else {
        return Err(CliError::internal("a request to a stopped issuer was not queued"));
    };
    let status = outbox.status()?;
    outln!(
        "   the pharmacist waited {:.1} s; the request is kept in the outbox (ticket {ticket}, {} pending), next try in {:.0} s",
        ms(started) / 1000.0,
        status.pending,
        next_attempt_at.millis_since(now_millis()) as f64 / 1000.0
    );
    outln!("   last attempt: {}", crate::output::safe(last_error.as_deref().unwrap_or("no answer")));
    outln!("   (the signed paper fallback would be offered here)");

    let service = start(&database, &address)?;
    let started = Instant::now();
    outbox.retry_now(now_millis())?;
    let report = outbox.drain(&transport, &device, &now_millis)?;
    let status = outbox.status()?;
    outln!(
        "9. The issuer is back: the outbox delivered {} request in {:.1} ms; now {} issued, {} pending",
        report.issued,
        ms(started),
        status.issued,
        status.pending
    );
    let Some(pass) = outbox.pass(&ticket)? else {
        return Err(CliError::internal("the queued request was not delivered after the restart"));
    };
    report_verdict(verifier, &pass.pass)?;
    let records = service.store.issuances().map_err(CliError::internal)?;
    outln!("   the issuer's records: {} passes for {} requests, each signed once", records.len(), status.issued);
    service.stop();
    Ok(())
}

fn start(database: &Path, listen: &str) -> Result<RunningService, CliError> {
    let listen = listen.parse().map_err(CliError::internal)?;
    let config = ServiceConfig::new(
        listen,
        Database::Sqlite(database.to_owned()),
        demo_material::SIGNER_KEY.as_bytes().to_vec(),
        demo_material::SIGNER_CERTIFICATE.as_bytes().to_vec(),
        "demo-operator-token-not-for-production".into(),
    );
    healthpass_service::start(&config)
        .map_err(|error| CliError::System(format!("the demo issuer could not start: {error}")))
}

fn enrol(service: &RunningService, signer: &dyn Signer, id: DeviceId) -> Result<(), CliError> {
    let SignerKey::P256(key) = signer.public_key().map_err(CliError::internal)? else {
        return Err(CliError::internal("the device key is not P-256"));
    };
    let record = DeviceRecord {
        id,
        public_key: key.to_sec1_point(false).as_bytes().to_vec(),
        pharmacy_id: "FINESS-690000001".into(),
        pharmacy_name: "Pharmacie du Centre, Lyon".into(),
        status: DeviceStatus::Active,
        enrolled_at: system_now(),
    };
    service.store.enrol(&record).map_err(CliError::internal)?;
    Ok(())
}

fn report_verdict(verifier: &Verifier, text: &str) -> Result<(), CliError> {
    let verdict = verifier.verify_text(text, system_now()).map_err(CliError::internal)?;
    outln!("   verified offline: {}", if verdict.is_valid() { "VALID" } else { "INVALID" });
    Ok(())
}

fn service_url(address: &str) -> String {
    format!("http://{address}")
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
