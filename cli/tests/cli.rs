//! The command line as a user runs it: output, JSON shape and exit codes.

use healthpass_tests::scratch::ScratchDir;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn healthpass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthpass")).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn repository() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_demo_pass_verifies_with_exit_code_zero() {
    let output = healthpass(&["verify", "--demo", "--at", "2027-01-01T00:00:00Z"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let text = stdout(&output);
    assert!(text.starts_with("VALID  test certificate from FR"), "{text}");
    assert!(text.contains("date of birth  1987-04-12"), "{text}");
}

#[test]
fn an_expired_pass_is_invalid_with_exit_code_one_and_says_why() {
    let output = healthpass(&["verify", "--demo", "--at", "2036-06-01T00:00:00Z"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("INVALID"), "{text}");
    assert!(text.contains("[expired]"), "{text}");
}

#[test]
fn json_output_has_status_reasons_and_holder() {
    let output = healthpass(&["verify", "--demo", "--json", "--at", "2027-01-01T00:00:00Z"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["status"], "valid");
    assert_eq!(json["reasons"], serde_json::json!([]));
    assert_eq!(json["certificate_type"], "test");
    assert_eq!(json["holder"]["family_name_transliterated"], "DUBOIS<LEFEVRE");
    assert_eq!(json["signer"]["algorithm"], "ES256");
}

#[test]
fn a_pass_from_stdin_with_a_signer_file_verifies() {
    let pass = std::fs::read_to_string(repository().join("cli/demo/pass.txt")).unwrap();
    let signer = repository().join("cli/demo/signer.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthpass"))
        .args(["verify", "-", "--dsc", signer.to_str().unwrap(), "--at", "2027-01-01T00:00:00Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(pass.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn without_trust_the_signer_is_unknown() {
    let pass = std::fs::read_to_string(repository().join("cli/demo/pass.txt")).unwrap();
    let output = healthpass(&["verify", pass.trim(), "--at", "2027-01-01T00:00:00Z"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("[kid_unknown]"));
}

#[test]
fn unusable_input_exits_two_naming_the_stage() {
    let output = healthpass(&["verify", "HC1:NOT*VALID*BASE45~"]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("not a pass: base45:"), "{error}");
    let output = healthpass(&["verify", "HL1:6BF"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported context identifier \"HL1:\""));
    let output = healthpass(&["verify", "--demo", "--at", "yesterday"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn conformance_json_has_the_counts_and_the_vectors() {
    let suite = repository().join("tests/vectors/dgc");
    let output = healthpass(&["conformance", "dcc", suite.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["failed"], 0);
    assert!(json["passed"].as_u64().unwrap() >= 60);
    assert_eq!(json["skipped"], 0);
    assert_eq!(json["vectors"].as_array().unwrap().len(), 16);
}

#[test]
fn conformance_text_ends_with_the_summary_line() {
    let suite = repository().join("tests/vectors/dgc");
    let output = healthpass(&["conformance", "dcc", suite.to_str().unwrap()]);
    let text = stdout(&output);
    let last = text.lines().last().unwrap();
    assert!(last.ends_with("passed, 0 failed, 0 skipped"), "{last}");
}

fn scratch_dir(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("cli-{name}"))
}

fn shared_vector(path: &str) -> serde_json::Value {
    let root = std::env::var_os("HEALTHPASS_CONFORMANCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repository().join("../shared/conformance"));
    serde_json::from_slice(&std::fs::read(root.join("dgc-testdata").join(path)).unwrap()).unwrap()
}

fn decode_base64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

#[test]
fn verify_reads_a_pass_from_a_picture() {
    let vector = shared_vector("DE/2DCode/raw/1.json");
    let dir = scratch_dir("image");
    let png = dir.join("pass.png");
    std::fs::write(&png, decode_base64(vector["2DCODE"].as_str().unwrap())).unwrap();
    let certificate = dir.join("dsc.der");
    std::fs::write(&certificate, decode_base64(vector["TESTCTX"]["CERTIFICATE"].as_str().unwrap())).unwrap();
    let at = vector["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap();
    let output =
        healthpass(&["verify", "--image", png.to_str().unwrap(), "--dsc", certificate.to_str().unwrap(), "--at", at]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
    assert!(stdout(&output).starts_with("VALID"));
    let blank = dir.join("blank.png");
    std::fs::write(&blank, decode_base64(BLANK_PNG)).unwrap();
    let output = healthpass(&["verify", "--image", blank.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no QR or Aztec code found"));
}

/// An 8x8 white PNG.
const BLANK_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAEElEQVR4nGP8zwABTAwUMQBJQQEPeWDz+AAAAABJRU5ErkJggg==";

#[test]
fn scan_images_lists_texts_and_times_and_sums_up() {
    let dir = scratch_dir("folder");
    for (name, vector) in [("a.png", "AT/2DCode/raw/1.json"), ("b.png", "SE/2DCode/raw/1.json")] {
        std::fs::write(dir.join(name), decode_base64(shared_vector(vector)["2DCODE"].as_str().unwrap())).unwrap();
    }
    std::fs::write(dir.join("c.png"), decode_base64(BLANK_PNG)).unwrap();
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
    std::fs::write(dir.join("broken.jpg"), "not a jpeg").unwrap();
    let output = healthpass(&["scan", "--images", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "an unreadable picture is unusable input");
    let text = stdout(&output);
    assert!(text.contains("a.png  ("), "{text}");
    assert!(text.contains("  HC1:"), "{text}");
    assert!(text.contains("broken.jpg") && text.contains("unreadable picture"), "{text}");
    assert_eq!(text.lines().last().unwrap(), "2 decoded, 1 without a code, 1 unreadable");

    let output = healthpass(&["scan", "--images", dir.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["decoded"], 2);
    assert_eq!(json["not_decoded"], 1);
    assert_eq!(json["unreadable"], 1);
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 4);
    assert_eq!(images[0]["file"], "a.png");
    assert!(images[0]["texts"][0].as_str().unwrap().starts_with("HC1:"));
    assert!(images[0]["ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn scanning_a_camera_on_a_machine_without_one_is_a_clear_error() {
    let output = healthpass(&["scan", "--camera"]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    // Built with the camera feature: no device; without it: no camera support.
    assert!(error.contains("no camera") || error.contains("no camera support"), "{error}");
}

#[test]
fn the_demo_issues_renders_scans_verifies_and_rides_out_an_issuer_outage() {
    let dir = scratch_dir("demo");
    let output = healthpass(&["demo", "--out", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
    let text = stdout(&output);
    for step in [
        "1. A pharmacist",
        "2. Issued and signed",
        "3. Rendered the QR code",
        "4. Scanned the PNG back",
        "5. Verified offline",
        "6. Started the central issuer",
        "received its delegation credential",
        "7. Sent through the outbox",
        "8. The central issuer goes down",
        "the pharmacist confirms the fallback: a provisional pass",
        "9. A controller scans both pictures offline",
        "10. The issuer is back",
        "11. A controller scans French paper certificates of 2021",
    ] {
        assert!(text.contains(step), "missing {step:?} in\n{text}");
    }
    assert!(text.contains("the same text"));
    // Green for the central pass, amber for the provisional one, naming the pharmacy; the
    // provisional pass reconciled under its UVCI; one pass per test at the issuer.
    assert!(text.contains("central pass: VALID (green)"), "{text}");
    assert!(text.contains("provisional pass: PROVISIONAL (amber), signed by Pharmacie du Centre"), "{text}");
    assert!(text.contains("2 issued, 0 pending, 1 withdrawn") && text.contains("2 passes (one per test"), "{text}");
    assert!(text.contains("and verifies VALID (green)"), "{text}");
    assert!(dir.join("provisional.png").is_file() && dir.join("provisional-page.svg").is_file());
    let page = std::fs::read_to_string(dir.join("provisional-page.svg")).unwrap();
    assert!(page.contains("PROVISIONAL") && page.contains("Pharmacie du Centre, Lyon"));
    assert!(text.contains("VALID  test certificate from FR"));
    assert!(dir.join("pass.png").is_file() && dir.join("page.svg").is_file());
    // The 2D-DOC chapter: DataMatrix pictures read back; the test vector green, the kit's
    // specimen red because it was on the French blocklist.
    assert!(text.contains("a negative test: DataMatrix") && text.contains("VALID (green)"), "{text}");
    assert!(text.contains("INVALID (red): twoddoc_revoked"), "{text}");
    assert!(dir.join("02_tac_android_B2_TST1.png").is_file());
}

#[test]
fn a_demo_authority_issues_passes_that_verify_and_scan() {
    let dir = scratch_dir("authority");
    let output = healthpass(&["keys", "demo-authority", "--out", dir.to_str().unwrap(), "--country", "BE"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    for file in ["csca.pem", "csca-key.pem", "dsc.pem", "dsc-key.pem"] {
        assert!(std::fs::read_to_string(dir.join(file)).unwrap().starts_with("-----BEGIN "), "{file}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.join("dsc-key.pem")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let (key, cert) = (dir.join("dsc-key.pem"), dir.join("dsc.pem"));
    let (png, svg, page) = (dir.join("qr.png"), dir.join("qr.svg"), dir.join("page.svg"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let sampled_time = healthpass_core::time::UnixTime::from_seconds(now - 1800);
    let (sampled, at) = (sampled_time.to_string(), healthpass_core::time::UnixTime::from_seconds(now).to_string());
    let (sampled, at) = (sampled.as_str(), at.as_str());
    let output = healthpass(&[
        "issue",
        "test",
        "--family-name",
        "Van den Broeck",
        "--given-name",
        "Éloïse",
        "--dob",
        "1975-11",
        "--test-type",
        "rat",
        "--device",
        "1232",
        "--sampled-at",
        sampled,
        "--result",
        "negative",
        "--centre",
        "Apotheek Centrum",
        "--country",
        "BE",
        "--key",
        key.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--page",
        page.to_str().unwrap(),
        "--at",
        at,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pass = json["text"].as_str().unwrap();
    assert!(pass.starts_with("HC1:"));
    assert!(json["certificate_id"].as_str().unwrap().starts_with("URN:UVCI:01:BE:HP/"));
    assert_eq!(json["expires_at"], sampled_time.saturating_add(72 * 3600).to_string());
    assert!(json["qr_version"].as_u64().unwrap() <= 24);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<path"));
    let page_text = std::fs::read_to_string(&page).unwrap();
    assert!(page_text.contains("Éloïse Van den Broeck") && page_text.contains("Abbott Rapid Diagnostics"));
    assert!(page_text.contains("Not detected") && page_text.contains("Valid until"));

    let output = healthpass(&["verify", "--image", png.to_str().unwrap(), "--dsc", cert.to_str().unwrap(), "--at", at]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("VAN<DEN<BROECK<<ELOISE"));
}

#[test]
fn issuing_with_bad_input_says_which_field_and_exits_two() {
    let dir = scratch_dir("bad-issue");
    assert_eq!(healthpass(&["keys", "demo-authority", "--out", dir.to_str().unwrap()]).status.code(), Some(0));
    let (key, cert) = (dir.join("dsc-key.pem"), dir.join("dsc.pem"));
    let output = healthpass(&[
        "issue",
        "test",
        "--family-name",
        "Martin",
        "--dob",
        "31/12/1980",
        "--test-type",
        "rat",
        "--device",
        "1232",
        "--sampled-at",
        "2026-11-27T09:00:00Z",
        "--result",
        "negative",
        "--centre",
        "Pharmacie",
        "--country",
        "FR",
        "--key",
        key.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
        "--at",
        "2026-11-27T10:00:00Z",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("the date of birth is not a date: use YYYY-MM-DD"), "{error}");
    assert!(!error.contains("31/12/1980"), "the error must not repeat the date of birth");
    let output = healthpass(&["issue", "test", "--family-name", "Martin", "--dob", "1980", "--test-type", "antigen?"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn certlogic_and_rules_runners_end_with_the_summary_line_and_give_json() {
    let shared = std::env::var_os("HEALTHPASS_CONFORMANCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repository().join("../shared/conformance"));
    for (kind, dir) in [("certlogic", shared.join("certlogic")), ("rules", shared.join("business-rules"))] {
        let output = healthpass(&["conformance", kind, dir.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(0), "{kind}");
        let text = stdout(&output);
        let last = text.lines().last().unwrap();
        assert!(last.contains(" passed, 0 failed, ") && last.ends_with(" skipped"), "{kind}: {last}");
        let output = healthpass(&["conformance", kind, dir.to_str().unwrap(), "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["failed"], 0);
        assert!(json["passed"].as_u64().unwrap() > 200);
        assert!(json["vectors"].as_array().unwrap().len() > 10);
    }
}

#[test]
fn a_built_bundle_inspects_and_verifies_and_a_forged_one_is_refused() {
    let dir = scratch_dir("bundle");
    let demo = repository().join("cli/demo");
    // An anchor of our own, created the way an authority would.
    assert_eq!(healthpass(&["keys", "demo-authority", "--out", dir.to_str().unwrap()]).status.code(), Some(0));
    let anchor_key = dir.join("csca-key.pem");
    let revoked = dir.join("revoked.txt");
    let pass = std::fs::read_to_string(demo.join("pass.txt")).unwrap();
    std::fs::write(&revoked, format!("# revoked passes\nuci URN:UVCI:01:FR:EXAMPLE\npass {}", pass.trim())).unwrap();
    let rules = dir.join("rules/FR/TR-FR-0001");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("rule.json"), serde_json::json!({
        "Identifier": "TR-FR-0001", "Type": "Acceptance", "Country": "FR", "Version": "1.0.0", "SchemaVersion": "1.0.0",
        "Engine": "CERTLOGIC", "EngineVersion": "1.3.3", "CertificateType": "Test",
        "Description": [{"lang": "en", "desc": "The test must be negative."}],
        "ValidFrom": "2021-01-01T00:00:00Z", "ValidTo": "2040-01-01T00:00:00Z", "AffectedFields": ["t.0.tr"],
        "Logic": {"===": [{"var": "payload.t.0.tr"}, "260415000"]}
    }).to_string()).unwrap();
    let bundle = dir.join("bundle.cbor");
    let output = healthpass(&[
        "bundle",
        "build",
        "--anchor-key",
        anchor_key.to_str().unwrap(),
        "--dsc",
        demo.join("signer.pem").to_str().unwrap(),
        "--rules",
        dir.join("rules").to_str().unwrap(),
        "--revoked",
        revoked.to_str().unwrap(),
        "--sequence",
        "3",
        "--valid-for",
        "2d",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));

    let anchor = dir.join("csca.pem");
    let output =
        healthpass(&["bundle", "inspect", bundle.to_str().unwrap(), "--anchor", anchor.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["sequence"], 3);
    assert_eq!(json["signers"], 1);
    assert_eq!(json["rules"], 1);
    assert_eq!(json["value_sets"], 8);
    assert_eq!(json["revocations"]["uci"], 2);
    assert_eq!(json["current"], true);

    // Without an anchor the command refuses to start; under another anchor the bundle is refused.
    let output = healthpass(&["bundle", "inspect", bundle.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--anchor"));
    let output = healthpass(&["bundle", "inspect", bundle.to_str().unwrap(), "--demo"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a pinned trust anchor"));

    // The demo pass is revoked by the bundle.
    let output = healthpass(&[
        "verify",
        pass.trim(),
        "--bundle",
        bundle.to_str().unwrap(),
        "--anchor",
        anchor.to_str().unwrap(),
        "--country",
        "FR",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("[revoked]"), "{}", stdout(&output));

    // A forged bundle: one byte changed.
    let mut bytes = std::fs::read(&bundle).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    let forged = dir.join("forged.cbor");
    std::fs::write(&forged, bytes).unwrap();
    let output = healthpass(&["bundle", "inspect", forged.to_str().unwrap(), "--anchor", anchor.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The demo anchor's private key is derivable from a published scalar: anyone can sign a
/// bundle around a signer of their own with it. Such a bundle is refused beside a real anchor
/// and without any; only an explicit --demo trusts it.
#[test]
fn a_bundle_signed_with_the_demo_key_is_trusted_only_with_demo() {
    use healthpass_tests::vectors::{demo_anchor_key, sign_claims};
    use p256::pkcs8::EncodePrivateKey;
    let dir = scratch_dir("forged-demo-bundle");
    // The attacker's own authority and a pass it signs.
    assert_eq!(
        healthpass(&["keys", "demo-authority", "--out", dir.join("evil").to_str().unwrap()]).status.code(),
        Some(0)
    );
    let evil_cert = dir.join("evil/dsc.pem");
    let evil_key = std::fs::read_to_string(dir.join("evil/dsc-key.pem")).unwrap();
    let evil_key = <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&evil_key).unwrap();
    let der = healthpass_core::trust::DocumentSignerCertificate::from_file_bytes(&std::fs::read(&evil_cert).unwrap())
        .unwrap()
        .remove(0);
    let now = healthpass_core::time::UnixTime::from_seconds(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64,
    );
    let mut dcc = healthpass_tests::vectors::sample_test_dcc(now.saturating_sub(3600), "260415000", "EVIL");
    dcc.version = "1.3.0".into();
    let claims = healthpass_tests::vectors::claims_around(
        dcc.to_value(),
        "FR",
        now.saturating_sub(60),
        now.saturating_add(86_400),
    );
    let forged_pass = sign_claims(&claims, &evil_key, der.kid());
    // A bundle carrying the attacker's signer, signed with the demo anchor key.
    let demo_key_file = dir.join("demo-anchor-key.pem");
    std::fs::write(&demo_key_file, demo_anchor_key().to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap().as_bytes())
        .unwrap();
    let bundle = dir.join("forged.cbor");
    let output = healthpass(&[
        "bundle",
        "build",
        "--anchor-key",
        demo_key_file.to_str().unwrap(),
        "--dsc",
        evil_cert.to_str().unwrap(),
        "--sequence",
        "99",
        "--valid-for",
        "2d",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // A real anchor: the authority of a real deployment (here, one made for the test).
    assert_eq!(
        healthpass(&["keys", "demo-authority", "--out", dir.join("real").to_str().unwrap()]).status.code(),
        Some(0)
    );
    let real_anchor = dir.join("real/csca.pem");

    let output = healthpass(&[
        "verify",
        &forged_pass,
        "--bundle",
        bundle.to_str().unwrap(),
        "--anchor",
        real_anchor.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(!stdout(&output).contains("VALID"));
    assert!(stderr(&output).contains("not a pinned trust anchor"), "{}", stderr(&output));

    let output = healthpass(&["verify", &forged_pass, "--bundle", bundle.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains("--anchor"), "{}", stderr(&output));

    // The demo is never trusted beside a real anchor.
    let output = healthpass(&[
        "verify",
        &forged_pass,
        "--demo",
        "--bundle",
        bundle.to_str().unwrap(),
        "--anchor",
        real_anchor.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    // Asked for explicitly, the demo anchor is the demo anchor (and says so in --help).
    let output = healthpass(&["verify", &forged_pass, "--demo", "--bundle", bundle.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
}

/// Names from a pass must not steer the terminal: escape sequences, carriage returns and bidi
/// overrides are shown escaped; JSON keeps them exact.
#[test]
fn pass_text_cannot_rewrite_the_terminal() {
    use healthpass_tests::vectors::{claims_around, demo_signed_pass, sample_test_dcc};
    let now = healthpass_core::time::UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
    let mut dcc = sample_test_dcc(now.saturating_sub(3600), "260373001", "TTY");
    let hostile = "\r\x1b[2K\x1b[1A\x1b[32mVALID\x1b[0m\u{202e}\u{9b}2J\n";
    dcc.name.family_name = Some(format!("Dubois{hostile}"));
    dcc.name.given_name = Some(hostile.into());
    let pass = demo_signed_pass(&claims_around(dcc.to_value(), "FR", now.saturating_sub(60), now.saturating_add(3600)));
    let output = healthpass(&["verify", &pass, "--demo", "--at", "2027-01-01T00:00:00Z"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for forbidden in ['\x1b', '\r', '\u{202e}', '\u{9b}'] {
        assert!(!text.contains(forbidden), "U+{:04X} reached the terminal:\n{text:?}", forbidden as u32);
    }
    assert!(text.starts_with("INVALID"), "{text}");
    assert!(text.contains("\\u{1b}[2K") && text.contains("\\u{202e}"), "{text}");
    assert_eq!(
        text.lines().filter(|line| line.contains("VALID")).count(),
        2,
        "only the headline and the escaped name: {text}"
    );
    let output = healthpass(&["verify", &pass, "--demo", "--json", "--at", "2027-01-01T00:00:00Z"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["holder"]["given_name"], hostile, "JSON stays exact");
}

/// `healthpass ... | head` closes the pipe early: no panic, no exit code 101.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let suite = repository().join("tests/vectors/dgc");
    for args in
        [vec!["conformance", "dcc", suite.to_str().unwrap()], vec!["verify", "--demo", "--at", "2027-01-01T00:00:00Z"]]
    {
        let mut child = Command::new(env!("CARGO_BIN_EXE_healthpass"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert_ne!(output.status.code(), Some(101), "{args:?}: {}", stderr(&output));
        assert!(!stderr(&output).contains("panicked"), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn json_output_describes_input_that_is_not_a_pass() {
    let output = healthpass(&["verify", "HC1:NOT*VALID*BASE45~", "--json"]);
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["status"], "not_a_pass");
    assert_eq!(json["stage"], "base45");
    assert!(json["error"].as_str().unwrap().contains("base45"));
}

/// Every option of every command says what it is for.
#[test]
fn every_option_has_a_help_text() {
    let commands: &[&[&str]] = &[
        &[],
        &["verify"],
        &["scan"],
        &["demo"],
        &["issue", "test"],
        &["keys", "demo-authority"],
        &["issuer", "serve"],
        &["bundle", "build"],
        &["bundle", "inspect"],
        &["conformance", "dcc"],
        &["conformance", "certlogic"],
        &["conformance", "rules"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let output = healthpass(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let text = stdout(&output);
        let mut undocumented = Vec::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let trimmed = line.trim_start();
            let is_entry = line.starts_with("  ") && (trimmed.starts_with('-') || trimmed.starts_with('<'));
            if !is_entry {
                continue;
            }
            // "  --flag <V>  Description" on one line, or the description indented below it; a
            // bare "[default: ...]" is not a description.
            let after = trimmed.split_once("  ").map_or("", |(_, rest)| rest.trim());
            let described = (!after.is_empty() && !after.starts_with('['))
                || (after.is_empty()
                    && lines.peek().is_some_and(|next| next.starts_with("          ") && !next.trim().is_empty()));
            if !described {
                undocumented.push(trimmed.to_owned());
            }
        }
        assert!(undocumented.is_empty(), "healthpass {}: options without help: {undocumented:?}", command.join(" "));
    }
}

/// After `healthpass demo`, verifying its picture without --demo tells the user what to do.
#[test]
fn a_demo_pass_without_demo_trust_gets_a_hint() {
    let dir = scratch_dir("demo-hint");
    assert_eq!(healthpass(&["demo", "--out", dir.to_str().unwrap()]).status.code(), Some(0));
    let png = dir.join("pass.png");
    let output = healthpass(&["verify", "--image", png.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("[kid_unknown]"));
    assert!(stderr(&output).contains("add --demo"), "{}", stderr(&output));
    let output = healthpass(&["verify", "--image", png.to_str().unwrap(), "--demo"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

/// `scan --images` with trust verifies each pass, and its exit code says how it went.
#[test]
fn scan_images_verifies_with_the_trust_given() {
    let dir = scratch_dir("scan-verify");
    let pictures = dir.join("pictures");
    std::fs::create_dir_all(&pictures).unwrap();
    assert_eq!(healthpass(&["demo", "--out", dir.to_str().unwrap()]).status.code(), Some(0));
    std::fs::copy(dir.join("pass.png"), pictures.join("demo.png")).unwrap();
    let signer = repository().join("cli/demo/signer.pem");
    let output = healthpass(&["scan", "--images", pictures.to_str().unwrap(), "--dsc", signer.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("    VALID  test certificate from FR"), "{}", stdout(&output));
    // Without trust for its signer the pass is not valid: exit 1.
    let other = dir.join("other");
    assert_eq!(healthpass(&["keys", "demo-authority", "--out", other.to_str().unwrap()]).status.code(), Some(0));
    let output =
        healthpass(&["scan", "--images", pictures.to_str().unwrap(), "--dsc", other.join("dsc.pem").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("[kid_unknown]"));
}

/// A pass its issuer wrote oddly (date of birth 1989-00-20) is valid with a notice, shown in
/// text and in JSON; the date of birth is shown as written.
#[test]
fn notices_appear_in_text_and_json() {
    let vector: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repository().join("tests/vectors/dgc/common/2DCode/raw/TOL1.json")).unwrap(),
    )
    .unwrap();
    let dir = scratch_dir("notices");
    let certificate = dir.join("dsc.b64");
    std::fs::write(&certificate, vector["TESTCTX"]["CERTIFICATE"].as_str().unwrap()).unwrap();
    let (pass, at) = (vector["PREFIX"].as_str().unwrap(), vector["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap());
    let output = healthpass(&["verify", pass, "--dsc", certificate.to_str().unwrap(), "--at", at]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.starts_with("VALID"), "{text}");
    assert!(text.contains("  notice: /dob is not a calendar date") && text.contains("[date_as_written]"), "{text}");
    assert!(text.contains("date of birth  1989-00-20"), "{text}");
    let output = healthpass(&["verify", pass, "--dsc", certificate.to_str().unwrap(), "--at", at, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["status"], "valid");
    assert_eq!(json["notices"][0]["code"], "date_as_written");
    assert_eq!(json["notices"][0]["field"], "/dob");
    assert_eq!(json["holder"]["date_of_birth"], "1989-00-20");
}

#[test]
fn a_french_two_d_doc_verifies_without_flags_from_text_and_picture() {
    let samples = healthpass_tests::two_d_doc_codes::samples();
    let sample = |prefix: &str| samples.iter().find(|sample| sample.file.starts_with(prefix)).unwrap();
    let verify_stdin = |text: &str, extra: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_healthpass"))
            .args(["verify", "-", "--at", "2021-06-01T10:00:00Z"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let output = verify_stdin(&sample("02_").text, &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["status"], "valid");
    assert_eq!(json["format"], "2d-doc");
    assert_eq!(json["two_d_doc"]["authority"], "DHI0");
    assert_eq!(json["two_d_doc"]["document_type"], "B2");
    assert_eq!(json["certificate_type"], "test");
    // The blocklisted specimen: refused, with its reason.
    let output = verify_stdin(&sample("07_").text, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("[twoddoc_revoked]"), "{}", stdout(&output));
    assert!(stdout(&output).contains("(French 2D-DOC)"), "{}", stdout(&output));
    // A broken 2D-DOC is not a pass, and the JSON names the stage.
    let output = verify_stdin("DC04FR03AHP1", &["--json"]);
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["stage"], "twoddoc_header");
    // Escape codes inside a 2D-DOC (a name, an annex) never reach the terminal.
    for hostile in [
        sample("09_").text.replace("SPECIMEN NOM", "SPEC\u{1b}[2JNOM"),
        format!("{}\u{1d}\u{1b}]0;owned\u{7}", sample("02_").text),
    ] {
        let output = verify_stdin(&hostile, &[]);
        assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
        let everything = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
        assert!(!everything.contains(&0x1b), "{}", String::from_utf8_lossy(&everything));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("not ASCII text"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let dir = scratch_dir("two-d-doc");
    let frame = healthpass_tests::two_d_doc_codes::luma_frame(&sample("02_").text, 4, 8);
    let picture = dir.join("datamatrix.png");
    healthpass_tests::frames::write_png(&frame, &picture).unwrap();
    let output = healthpass(&["verify", "--image", picture.to_str().unwrap(), "--at", "2021-06-01T10:00:00Z"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("VALID  test certificate from FR (French 2D-DOC)"), "{}", stdout(&output));
    let output = healthpass(&["scan", "--images", dir.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["images"][0]["codes"][0]["symbology"], "DataMatrix");
}
