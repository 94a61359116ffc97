//! The second half of `healthpass demo`: the central issuer on loopback with SQLite, a
//! pharmacy device sending through its durable outbox, the issuer going down, a provisional
//! pass signed on the device under its delegation credential, a controller verifying both
//! pictures offline (green and amber), and the reconciliation when the issuer is back.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use healthpass_core::codec::cose::{Signer, SignerKey, SoftwareSigner};
use healthpass_core::fallback::{Reconciliation, issue_provisional};
use healthpass_core::issue::{IssuingPolicy, TestCertificateRequest};
use healthpass_core::outbox::{Delivery, DeviceCredentials, Outbox, RetryPolicy, RetryProfile, Transport};
use healthpass_core::protocol::{DeviceId, DeviceStatus, IssuanceRequest};
use healthpass_core::render::{QrMatrix, provisional_attestation_svg};
use healthpass_core::scan::Scanner;
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::verify::{VerdictStatus, Verifier};
use healthpass_core::wallet::{SoftwareStorageKey, Wallet};
use healthpass_service::storage::DeviceRecord;
use healthpass_service::{Database, RunningService, ServiceConfig};

use super::outbox::{HttpTransport, now_millis};
use crate::demo_material;
use crate::error::CliError;
use crate::inputs::{read_file, system_now, write_file};
use crate::outln;
use crate::output::safe;

/// How long the demo's pharmacist waits at the counter before the request stays queued.
const DEMO_PATIENCE_MS: i64 = 3_000;

pub fn run(out: &Path, request: &TestCertificateRequest, verifier: &Verifier) -> Result<(), CliError> {
    let database = out.join("issuer.sqlite");
    let outbox_path = out.join("outbox.sqlite");
    let wallet_path = out.join("wallet.sqlite");
    for stale in [&database, &outbox_path, &wallet_path] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", stale.display()));
        }
    }
    let started = Instant::now();
    let service = start(&database, "127.0.0.1:0")?;
    let address = service.address.to_string();
    let endpoint = format!("http://{address}");
    outln!("6. Started the central issuer on {endpoint} (SQLite, durable idempotency) in {:.0} ms", ms(started));

    // The pharmacy phone's key: in the Keystore or Secure Enclave on a phone, fresh here.
    let mut seed = [0_u8; 32];
    getrandom::fill(&mut seed).map_err(|error| CliError::System(format!("no system randomness: {error}")))?;
    let key = p256::ecdsa::SigningKey::from_slice(&seed).map_err(CliError::internal)?;
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::new(key));
    let device = DeviceCredentials::new(signer.clone())?;
    enrol(&service, signer.as_ref(), device.id())?;
    outln!("   enrolled this pharmacy's device {} (its P-256 key signs every request, RFC 9421)", device.id());

    let policy = RetryPolicy { interactive_window_ms: DEMO_PATIENCE_MS, ..RetryPolicy::default() };
    let outbox = Outbox::open_with(&outbox_path, policy, u64::from_le_bytes(seed[..8].try_into().unwrap_or_default()))?;
    let transport = HttpTransport::new();
    let answer = transport
        .send(&outbox.credential_request(&endpoint, &device, now_millis())?)
        .map_err(|error| CliError::internal(format!("the demo issuer did not answer: {error}")))?;
    let (_, credential_expires) = outbox.record_credential(&answer)?;
    outln!("   received its delegation credential for the signed paper fallback, valid until {credential_expires}");

    let entry = IssuanceRequest::from_test_request(request, None);
    let send = |outbox: &Outbox| -> Result<(String, Delivery), CliError> {
        let ticket = outbox.enqueue(&endpoint, &entry, RetryProfile::Interactive, now_millis())?;
        let delivery = outbox.send_now(&ticket, &transport, &device, &now_millis, &std::thread::sleep)?;
        Ok((ticket, delivery))
    };

    let started = Instant::now();
    let (_, delivery) = send(&outbox)?;
    let Delivery::Issued(central) = delivery else {
        return Err(CliError::internal(format!("the running issuer did not issue: {delivery:?}")));
    };
    outln!(
        "7. Sent through the outbox (written to disk first), signed centrally in {:.1} ms: {}",
        ms(started),
        central.uvci
    );
    let central_png = out.join("central.png");
    write_file(&central_png, &QrMatrix::for_text(&central.pass)?.to_png(4))?;

    service.stop();
    // The port stays ours while the issuer is down: bound without listening, it refuses
    // connections as a dead server does, and no other program can take it before the restart.
    let placeholder = hold_port(&address)?;
    outln!("8. The central issuer goes down (the August 2021 weekend).");
    let started = Instant::now();
    let (ticket, delivery) = send(&outbox)?;
    let Delivery::Queued { last_error, .. } = delivery else {
        return Err(CliError::internal("a request to a stopped issuer was not queued"));
    };
    outln!(
        "   the pharmacist waited {:.1} s (last attempt: {}); the request is safe in the outbox",
        ms(started) / 1000.0,
        safe(last_error.as_deref().unwrap_or("no answer"))
    );

    // The traveller's phone: a wallet sealed with a key its key store keeps (a fresh one here).
    let storage_key = SoftwareStorageKey::generate().map_err(|error| CliError::System(error.to_string()))?;
    let wallet = Wallet::open(&wallet_path, Some(Arc::new(SoftwareStorageKey::new(&storage_key))))?;
    let transfer_code = wallet.create_transfer(&endpoint, system_now())?;
    let offline = wallet.fetch_transfers(&transport, true, system_now())?;
    outln!(
        "   the traveller's wallet makes transfer code {transfer_code} offline (no account; {} registration attempt unanswered, retried with backoff)",
        offline.unanswered
    );

    let started = Instant::now();
    let roots = verifier.bundle().map(|bundle| bundle.contents().fallback_roots.clone()).unwrap_or_default();
    let reconciliation =
        Reconciliation { endpoint: &endpoint, replacing: Some(&ticket), transfer_code: Some(&transfer_code) };
    let provisional =
        issue_provisional(&outbox, signer, &roots, IssuingPolicy::default(), request, reconciliation, system_now())?;
    let provisional_png = out.join("provisional.png");
    let provisional_page = out.join("provisional-page.svg");
    let qr = QrMatrix::for_text(&provisional.pass.text)?;
    write_file(&provisional_png, &qr.to_png(4))?;
    write_file(
        &provisional_page,
        provisional_attestation_svg(
            &provisional.pass.dcc,
            provisional.pass.expires_at,
            &qr,
            &provisional.pharmacy_name,
            Some(&transfer_code),
        )
        .as_bytes(),
    )?;
    outln!(
        "   the pharmacist confirms the fallback: a provisional pass signed on this device in {:.1} ms, \
         number {} of its credential, QR version {}: {}",
        ms(started),
        provisional.sequence,
        qr.version(),
        provisional.pass.certificate_id
    );
    outln!(
        "   {} and {} (marked provisional, printing the transfer code)",
        provisional_png.display(),
        provisional_page.display()
    );
    let kept = wallet.add_file(&read_file(&provisional_png)?, system_now())?;
    let listed = wallet.list(system_now(), Some(verifier))?;
    outln!(
        "   the traveller scans it into the wallet (pass {}, encrypted at rest): {}",
        kept.id,
        listed.iter().find(|pass| pass.id == kept.id).map_or("missing", |pass| pass.state.name())
    );

    outln!("9. A controller scans both pictures offline (trust bundle with the authority's fallback root):");
    for (label, path) in [("central pass", &central_png), ("provisional pass", &provisional_png)] {
        let started = Instant::now();
        let frame = decode_image(&read_file(path)?)?;
        let codes = Scanner::default().scan(&frame.view());
        let Some(code) = codes.first() else {
            return Err(CliError::internal(format!("the {label} picture did not scan back")));
        };
        let verdict = verifier.verify_text(&code.text, system_now()).map_err(CliError::internal)?;
        let shown = match (&verdict.status, &verdict.provisional) {
            (VerdictStatus::Valid, _) => "VALID (green)".to_owned(),
            (VerdictStatus::Provisional, Some(signer)) => {
                format!(
                    "PROVISIONAL (amber), signed by {} ({})",
                    safe(&signer.pharmacy_name),
                    safe(&signer.pharmacy_id)
                )
            }
            _ => format!(
                "INVALID: {}",
                verdict.reasons.iter().map(|reason| reason.code()).collect::<Vec<_>>().join(", ")
            ),
        };
        outln!("   {label}: {shown} in {:.1} ms", ms(started));
    }

    drop(placeholder);
    let service = start(&database, &address)?;
    let started = Instant::now();
    outbox.retry_now(now_millis())?;
    let report = outbox.drain(&transport, &device, &now_millis)?;
    let status = outbox.status()?;
    outln!(
        "10. The issuer is back: the outbox uploaded {} request in {:.1} ms; {} issued, {} pending, {} withdrawn for the provisional pass",
        report.attempted,
        ms(started),
        status.issued,
        status.pending,
        status.withdrawn
    );
    let final_pass = outbox
        .entries()?
        .into_iter()
        .find_map(|entry| {
            (entry.uvci.as_deref() == Some(provisional.pass.certificate_id.as_str())).then_some(entry.ticket)
        })
        .and_then(|ticket| outbox.pass(&ticket).ok().flatten())
        .ok_or_else(|| CliError::internal("the provisional pass was not reconciled after the restart"))?;
    let verdict = verifier.verify_text(&final_pass.pass, system_now()).map_err(CliError::internal)?;
    outln!(
        "    reconciled: the final pass keeps {} and verifies {}; it replaces the provisional one",
        final_pass.uvci,
        if verdict.is_valid() { "VALID (green)" } else { "INVALID" }
    );
    let started = Instant::now();
    let fetched = wallet.fetch_transfers(&transport, true, system_now())?;
    let listed = wallet.list(system_now(), Some(verifier))?;
    let history = wallet.history(system_now(), Some(verifier))?;
    let received = fetched.added.first().ok_or_else(|| CliError::internal("the wallet received no final pass"))?;
    outln!(
        "    the traveller's wallet registers its code and receives the final pass sealed to its key (HPKE, RFC 9180) in {:.1} ms: \
         pass {} {}, replacing provisional pass {} (kept in the history, {} entries); the service deleted its sealed copy ({} left)",
        ms(started),
        received.id,
        listed.iter().find(|pass| pass.id == received.id).map_or("missing", |pass| pass.state.name()),
        received.replaced.first().map_or_else(|| "none".to_owned(), i64::to_string),
        history.len(),
        service.store.deliveries(transfer_code.as_str()).map_err(CliError::internal)?.len()
    );
    let records = service.store.issuances().map_err(CliError::internal)?;
    outln!(
        "    the issuer's records: {} passes (one per test: the withdrawn request was never signed), each signed once",
        records.len()
    );
    service.stop();
    if !verdict.is_valid() {
        return Err(CliError::internal("the reconciled pass does not verify"));
    }
    if received.replaced.is_empty() || listed.len() != 1 {
        return Err(CliError::internal("the final pass did not replace the provisional one in the wallet"));
    }
    Ok(())
}

/// A socket bound to `address` without listening: connections to it are refused.
fn hold_port(address: &str) -> Result<tokio::net::TcpSocket, CliError> {
    let address: std::net::SocketAddr = address.parse().map_err(CliError::internal)?;
    let socket = tokio::net::TcpSocket::new_v4().map_err(|error| CliError::System(error.to_string()))?;
    // The stopped issuer's closed connections linger in TIME_WAIT on this port.
    socket.set_reuseaddr(true).map_err(|error| CliError::System(error.to_string()))?;
    socket
        .bind(address)
        .map_err(|error| CliError::System(format!("could not hold the demo issuer's port: {error}")))?;
    Ok(socket)
}

fn start(database: &Path, listen: &str) -> Result<RunningService, CliError> {
    let listen = listen.parse().map_err(CliError::internal)?;
    let mut config = ServiceConfig::new(
        listen,
        Database::Sqlite(database.to_owned()),
        demo_material::SIGNER_KEY.as_bytes().to_vec(),
        demo_material::SIGNER_CERTIFICATE.as_bytes().to_vec(),
        "demo-operator-token-not-for-production".into(),
    );
    config.issuer_name = "Healthpass Demo Authority".into();
    config.fallback_key = Some(demo_material::FALLBACK_KEY.as_bytes().to_vec());
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

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
