//! The pharmacy outbox against the real issuer service on loopback (SQLite): a request sent
//! while the service is down is queued and delivered after its restart; a client process
//! SIGKILLed at random points while it sends 1,000 requests loses none and duplicates none.

use healthpass_tests::scratch::ScratchDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use healthpass_core::codec::cose::SoftwareSigner;
use healthpass_core::outbox::{DeviceCredentials, EntryState, Outbox, RetryProfile};
use healthpass_core::protocol::{DeviceId, DeviceStatus, IssuanceRequest, TestKind, TestOutcome};
use healthpass_core::time::{UnixMillis, UnixTime};
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::Verifier;
use healthpass_service::storage::DeviceRecord;
use healthpass_service::{Database, RateLimit, RunningService, ServiceConfig};
use p256::pkcs8::EncodePrivateKey;

fn healthpass() -> Command {
    Command::new(env!("CARGO_BIN_EXE_healthpass"))
}

fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("cli-outbox-{name}"))
}

fn start(database: &Path, listen: &str) -> RunningService {
    start_with(database, listen, RateLimit::default())
}

fn start_with(database: &Path, listen: &str, device_rate: RateLimit) -> RunningService {
    let authority = healthpass_tests::vectors::demo_authority();
    let key = authority.dsc.key.to_pkcs8_der().unwrap().as_bytes().to_vec();
    let config = ServiceConfig::new(
        listen.parse().unwrap(),
        Database::Sqlite(database.to_owned()),
        key,
        authority.dsc.certificate_der.clone(),
        "operator-token-for-the-outbox-tests".into(),
    );
    healthpass_service::start(&ServiceConfig { device_rate, ..config }).unwrap()
}

/// A pharmacy device: its key file, enrolled with the service.
fn enrolled_device(service: &RunningService, dir: &Path) -> PathBuf {
    let key = healthpass_tests::vectors::fixed_key(42);
    let record = DeviceRecord {
        id: DeviceId::of_key(key.verifying_key()),
        public_key: key.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        pharmacy_id: "FINESS-690000001".into(),
        pharmacy_name: "Pharmacie du Centre".into(),
        status: DeviceStatus::Active,
        enrolled_at: UnixTime::from_seconds(1_600_000_000),
    };
    service.store.enrol(&record).unwrap();
    let path = dir.join("device-key.pem");
    std::fs::write(&path, key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap().as_bytes()).unwrap();
    path
}

fn verifier() -> Verifier {
    let authority = healthpass_tests::vectors::demo_authority();
    Verifier::new(TrustStore::from_iter([DocumentSignerCertificate::from_der(&authority.dsc.certificate_der).unwrap()]))
}

fn issue_via(url: &str, dir: &Path, device_key: &Path, wait_seconds: &str) -> (i32, serde_json::Value) {
    let output = healthpass()
        .args(["issue", "test", "--family-name", "Dubois", "--given-name", "Amélie", "--dob", "1987-04-12"])
        .args(["--test-type", "rat", "--device", "1232", "--result", "negative", "--centre", "Pharmacie du Centre"])
        .args(["--country", "FR", "--sampled-at", &UnixTime::from_seconds(now_seconds() - 1800).to_rfc3339()])
        .args(["--via", url, "--wait-seconds", wait_seconds, "--json", "--outbox"])
        .arg(dir.join("outbox.sqlite"))
        .arg("--device-key")
        .arg(device_key)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("Dubois") && !stderr.contains("1987"), "{stderr}");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{stderr}"));
    (output.status.code().unwrap(), json)
}

fn now_seconds() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

#[test]
fn a_request_sent_while_the_issuer_is_down_is_queued_and_delivered_after_its_restart() {
    let dir = scratch("restart");
    let service = start(&dir.join("issuer.sqlite"), "127.0.0.1:0");
    let device_key = enrolled_device(&service, &dir);
    let url = service.url();
    let address = service.address.to_string();

    let (code, issued) = issue_via(&url, &dir, &device_key, "20");
    assert_eq!((code, issued["status"].as_str()), (0, Some("issued")), "{issued}");
    let text = issued["text"].as_str().unwrap();
    assert!(verifier().verify_text(text, UnixTime::from_seconds(now_seconds())).unwrap().is_valid());

    // The issuer goes down: the pharmacist waits two seconds, then the request stays queued.
    service.stop();
    let (code, queued) = issue_via(&url, &dir, &device_key, "2");
    assert_eq!((code, queued["status"].as_str()), (0, Some("queued")), "{queued}");
    let ticket = queued["ticket"].as_str().unwrap().to_owned();
    let status =
        healthpass().args(["outbox", "status", "--json", "--outbox"]).arg(dir.join("outbox.sqlite")).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!((status["pending"].as_u64(), status["issued"].as_u64()), (Some(1), Some(1)), "{status}");

    // Back on the same address: "retry now" delivers it, and the pass is in the outbox.
    let service = start(&dir.join("issuer.sqlite"), &address);
    let drained = healthpass()
        .args(["outbox", "drain", "--now", "--outbox"])
        .arg(dir.join("outbox.sqlite"))
        .arg("--device-key")
        .arg(&device_key)
        .output()
        .unwrap();
    assert!(drained.status.success(), "{}", String::from_utf8_lossy(&drained.stderr));
    assert!(
        String::from_utf8_lossy(&drained.stdout).contains("1 issued"),
        "{}",
        String::from_utf8_lossy(&drained.stdout)
    );
    let pass =
        healthpass().args(["outbox", "pass", "--outbox"]).arg(dir.join("outbox.sqlite")).arg(&ticket).output().unwrap();
    let pass = String::from_utf8(pass.stdout).unwrap();
    assert!(verifier().verify_text(pass.trim(), UnixTime::from_seconds(now_seconds())).unwrap().is_valid());
    assert_eq!(service.store.issuances().unwrap().len(), 2);
}

#[test]
fn an_unusable_outbox_file_or_address_is_a_clear_error_and_changes_nothing() {
    let dir = scratch("refusals");
    let foreign = dir.join("notes.sqlite");
    std::fs::write(&foreign, b"SQLite format 3\0 but not really").unwrap();
    let output = healthpass().args(["outbox", "status", "--outbox"]).arg(&foreign).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a healthpass outbox"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read(&foreign).unwrap(), b"SQLite format 3\0 but not really");
    let key = dir.join("device-key.pem");
    std::fs::write(
        &key,
        healthpass_tests::vectors::fixed_key(3).to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    let output = healthpass()
        .args([
            "issue",
            "test",
            "--family-name",
            "Dubois",
            "--dob",
            "1987-04-12",
            "--test-type",
            "rat",
            "--device",
            "1232",
        ])
        .args([
            "--result",
            "negative",
            "--centre",
            "Pharmacie",
            "--country",
            "FR",
            "--sampled-at",
            "2021-08-14T07:30:00Z",
        ])
        .args(["--via", "https://issuer.example/some/path", "--outbox"])
        .arg(dir.join("outbox.sqlite"))
        .arg("--device-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("https://host[:port]"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status =
        healthpass().args(["outbox", "status", "--json", "--outbox"]).arg(dir.join("outbox.sqlite")).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["entries"].as_array().map(Vec::len), Some(0));
    // Tickets are base64url: one may begin with '-' and is still a ticket, not an option.
    let output = healthpass()
        .args(["outbox", "pass", "--outbox"])
        .arg(dir.join("outbox.sqlite"))
        .arg("-AbCdEfGhIjKlMnOpQrStUv")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no pass has arrived for ticket -AbCdEfGhIjKlMnOpQrStUv"));
}

/// A small xorshift for the kill points; the seed is printed so a failure can be replayed.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn a_client_killed_at_random_points_while_sending_1000_requests_loses_and_duplicates_nothing() {
    const REQUESTS: usize = 1_000;
    let dir = scratch("crash");
    // One device sends all 1,000: lift its allowance, which is not what this test is about.
    let service =
        start_with(&dir.join("issuer.sqlite"), "127.0.0.1:0", RateLimit { burst: 10_000.0, per_second: 10_000.0 });
    let device_key = enrolled_device(&service, &dir);
    let outbox_path = dir.join("outbox.sqlite");
    let tickets: Vec<String> = {
        let outbox = Outbox::open(&outbox_path).unwrap();
        let now = UnixMillis::from_millis(now_seconds() * 1000);
        (0..REQUESTS)
            .map(|n| {
                let entry = IssuanceRequest {
                    family_name: format!("Martin{}", char::from(b'A' + u8::try_from(n % 26).unwrap())),
                    given_name: "Amélie".into(),
                    date_of_birth: "1987-04-12".into(),
                    test_type: TestKind::RapidAntigen,
                    device: Some("1232".into()),
                    test_name: None,
                    sampled_at: UnixTime::from_seconds(now_seconds() - 1800).to_rfc3339(),
                    result: TestOutcome::Negative,
                    centre: "Pharmacie du Centre".into(),
                    country: "FR".into(),
                    transfer_code: None,
                };
                outbox.enqueue(&service.url(), &entry, RetryProfile::Backlog, now).unwrap()
            })
            .collect()
    };
    let seed = std::env::var("HEALTHPASS_CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(u64::from(std::process::id()) | 1);
    eprintln!("kill seed {seed} (HEALTHPASS_CRASH_SEED to replay)");
    let mut random = Xorshift(seed);
    let drain = || {
        healthpass()
            .args(["outbox", "drain", "--wait", "--now", "--outbox"])
            .arg(&outbox_path)
            .arg("--device-key")
            .arg(&device_key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let mut kills = 0;
    loop {
        let mut client = drain();
        std::thread::sleep(Duration::from_millis(20 + random.next(300)));
        if client.try_wait().unwrap().is_some() {
            break;
        }
        client.kill().unwrap();
        client.wait().unwrap();
        kills += 1;
        assert!(started.elapsed() < Duration::from_secs(240), "the outbox did not drain in 4 minutes ({kills} kills)");
    }
    let mut last = drain();
    assert!(last.wait().unwrap().success());

    let outbox = Outbox::open(&outbox_path).unwrap();
    let status = outbox.status().unwrap();
    assert_eq!((status.issued, status.pending, status.rejected), (1_000, 0, 0), "after {kills} kills");
    let records = service.store.issuances().unwrap();
    assert_eq!(records.len(), REQUESTS, "the service signed each request once");
    let verifier = verifier();
    let now = UnixTime::from_seconds(now_seconds());
    let mut uvcis = std::collections::HashSet::new();
    for ticket in &tickets {
        let entry = outbox.entry(ticket).unwrap().unwrap();
        assert_eq!(entry.state, EntryState::Issued);
        let pass = outbox.pass(ticket).unwrap().unwrap();
        let record = records.iter().find(|record| &record.idempotency_key == ticket).expect("a record per ticket");
        assert_eq!(record.uvci, pass.uvci);
        assert!(uvcis.insert(pass.uvci.clone()), "UVCI issued twice");
        assert!(verifier.verify_text(&pass.pass, now).unwrap().is_valid());
    }
    let device =
        DeviceCredentials::new(Arc::new(SoftwareSigner::new(healthpass_tests::vectors::fixed_key(42)))).unwrap();
    assert!(records.iter().all(|record| record.device_id == device.id()));
    eprintln!("{REQUESTS} requests, {kills} client kills, drained in {:.1} s", started.elapsed().as_secs_f64());
}
