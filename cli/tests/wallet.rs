//! The traveller's flow from the command line, against the real issuer service on loopback
//! (SQLite): `wallet code` makes and registers a transfer code, the pharmacist issues with
//! `issue test --via ... --transfer-code`, `wallet fetch` receives the pass sealed for this
//! wallet; then list, show, export, add, remove, and hostile input at every command.

use healthpass_tests::scratch::ScratchDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use healthpass_core::protocol::{DeviceId, DeviceStatus};
use healthpass_core::time::UnixTime;
use healthpass_service::storage::DeviceRecord;
use healthpass_service::{Database, RunningService, ServiceConfig};
use p256::pkcs8::EncodePrivateKey;

fn healthpass(wallet: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_healthpass"));
    command.env("HEALTHPASS_WALLET", wallet);
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("cli-wallet-{name}"))
}

fn now_seconds() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

fn start(dir: &Path) -> RunningService {
    let authority = healthpass_tests::vectors::demo_authority();
    let key = authority.dsc.key.to_pkcs8_der().unwrap().as_bytes().to_vec();
    let config = ServiceConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        Database::Sqlite(dir.join("issuer.sqlite")),
        key,
        authority.dsc.certificate_der.clone(),
        "operator-token-for-the-wallet-tests".into(),
    );
    healthpass_service::start(&config).unwrap()
}

fn enrolled_device(service: &RunningService, dir: &Path) -> PathBuf {
    let key = healthpass_tests::vectors::fixed_key(43);
    service
        .store
        .enrol(&DeviceRecord {
            id: DeviceId::of_key(key.verifying_key()),
            public_key: key.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            pharmacy_id: "FINESS-690000002".into(),
            pharmacy_name: "Pharmacie de la Gare".into(),
            status: DeviceStatus::Active,
            enrolled_at: UnixTime::from_seconds(1_600_000_000),
        })
        .unwrap();
    let path = dir.join("device-key.pem");
    std::fs::write(&path, key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap().as_bytes()).unwrap();
    path
}

#[test]
fn a_traveller_receives_a_pass_through_a_transfer_code_and_keeps_it_offline() {
    let dir = scratch("flow");
    let service = start(&dir);
    let device_key = enrolled_device(&service, &dir);
    let wallet = dir.join("traveller/wallet.sqlite");
    let dsc = dir.join("dsc.der");
    std::fs::write(&dsc, &healthpass_tests::vectors::demo_authority().dsc.certificate_der).unwrap();

    // The traveller makes a code; the wallet is created sealed, its key file owner-only.
    let (code, out, err) = run(healthpass(&wallet).args(["wallet", "code", "--issuer", &service.url()]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("sealed with AES-256-GCM"), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("traveller/wallet.sqlite.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(out.contains("registered"), "{out}");
    let transfer_code = out.lines().find_map(|line| line.strip_prefix("transfer code: ")).unwrap().trim().to_owned();
    assert_eq!(transfer_code.len(), 13);

    // The pharmacist issues, typing the code in lower case.
    let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_healthpass"))
        .args(["issue", "test", "--family-name", "Roux", "--given-name", "Amélie", "--dob", "1987-04-12"])
        .args(["--test-type", "rat", "--device", "1232", "--result", "negative", "--centre", "Pharmacie de la Gare"])
        .args(["--country", "FR", "--sampled-at", &UnixTime::from_seconds(now_seconds() - 1800).to_rfc3339()])
        .args(["--via", &service.url(), "--transfer-code", &transfer_code.to_lowercase(), "--json", "--outbox"])
        .arg(dir.join("outbox.sqlite"))
        .arg("--device-key")
        .arg(&device_key));
    assert_eq!(code, 0, "{out}{err}");
    let issued: serde_json::Value = serde_json::from_str(&out).unwrap();
    let pass_text = issued["text"].as_str().or(issued["pass"].as_str()).unwrap().to_owned();

    // The wallet fetches it, acknowledges it; the service forgets it.
    let (code, out, err) = run(healthpass(&wallet).args(["wallet", "fetch"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("received pass 1"), "{out}");
    assert!(out.contains("collected, 1 pass(es) received"), "{out}");
    let canonical = transfer_code.replace('-', "");
    assert!(service.store.deliveries(&canonical).unwrap().is_empty());

    // Offline from here on: list (checked against the signer), show, export, add, remove.
    service.stop();
    let (code, out, _) = run(healthpass(&wallet).args(["wallet", "list", "--dsc"]).arg(&dsc));
    assert_eq!(code, 0);
    assert!(out.contains("   1  valid") && out.contains("test") && out.contains("Amélie Roux"), "{out}");
    let (_, out, _) = run(healthpass(&wallet)
        .args(["wallet", "list", "--json", "--at"])
        .arg(UnixTime::from_seconds(now_seconds() + 80 * 3600).to_rfc3339()));
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["passes"][0]["state"], "expired");
    assert_eq!(listed["passes"][0]["source"], "transfer");
    let (code, out, _) = run(healthpass(&wallet).args(["wallet", "show", "1"]));
    assert_eq!(code, 0);
    assert!(out.contains(&pass_text) && out.contains('▀'), "the text and the QR code in the terminal");
    let png = dir.join("pass.png");
    let (code, _, err) = run(healthpass(&wallet).args(["wallet", "export", "1", "--format", "png", "--out"]).arg(&png));
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(healthpass(&wallet).args(["wallet", "add", "--image"]).arg(&png));
    assert_eq!(code, 0);
    assert!(out.contains("already holds this pass (id 1)"), "{out}");
    let page = dir.join("page.svg");
    assert_eq!(run(healthpass(&wallet).args(["wallet", "export", "1", "--format", "page", "--out"]).arg(&page)).0, 0);
    assert!(std::fs::read_to_string(&page).unwrap().contains("Roux"));

    // Hostile input: clear errors, exit 2, the wallet as it was, no escape code echoed.
    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, [0x1b, b'[', b'2', b'J', 0xff, 0xfe, 0x00]).unwrap();
    for args in [
        vec!["wallet".to_owned(), "add".into(), "HC1:\u{1b}[2Jnot-a-pass".into()],
        vec!["wallet".into(), "add".into(), "--file".into(), garbage.display().to_string()],
        vec!["wallet".into(), "show".into(), "99".into()],
        vec!["wallet".into(), "export".into(), "99".into(), "--out".into(), dir.join("x.png").display().to_string()],
    ] {
        let (code, out, err) = run(healthpass(&wallet).args(&args));
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(!err.contains('\u{1b}') && !out.contains('\u{1b}'), "{args:?}: {err:?}");
        assert!(err.starts_with("healthpass: "), "{err}");
    }
    let (code, _, err) = run(healthpass(&wallet).args(["wallet", "code", "--issuer", "ftp://\u{1b}[2J"]));
    assert_eq!(code, 2);
    assert!(err.contains("http(s)://host") && !err.contains('\u{1b}'), "{err}");
    let (_, out, _) = run(healthpass(&wallet).args(["wallet", "list"]));
    assert!(out.contains("   1  valid"), "{out}");

    // The key file gone: the wallet says it is sealed and needs it, and stays intact.
    let key_file = dir.join("traveller/wallet.sqlite.key");
    let key = std::fs::read(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let (code, _, err) = run(healthpass(&wallet).args(["wallet", "list"]));
    assert_eq!(code, 2);
    assert!(err.contains("created sealed with a platform key"), "{err}");
    // A key file of the wrong size (truncated by a copy): said, and the wallet left as it was.
    std::fs::write(&key_file, &key[..16]).unwrap();
    let (code, _, err) = run(healthpass(&wallet).args(["wallet", "list"]));
    assert_eq!(code, 2);
    assert!(err.contains("exactly 32 bytes"), "{err}");
    std::fs::write(&key_file, &key).unwrap();
    assert_eq!(run(healthpass(&wallet).args(["wallet", "remove", "1"])).0, 0);
    assert_eq!(run(healthpass(&wallet).args(["wallet", "remove", "1"])).0, 2);

    // A plain wallet says so.
    let plain = dir.join("plain.sqlite");
    let (code, _, err) = run(healthpass(&plain).args(["wallet", "list", "--plain"]));
    assert_eq!(code, 0);
    assert!(err.contains("WITHOUT encryption at rest"), "{err}");
}
