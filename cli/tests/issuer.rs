//! `healthpass issuer serve` as an operator starts it from the README: keys from
//! `healthpass keys demo-authority`, a SQLite file, loopback; it answers, stops on SIGTERM,
//! and refuses unusable options with exit code 2 and a message naming the flag.

use healthpass_tests::scratch::ScratchDir;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn healthpass() -> Command {
    Command::new(env!("CARGO_BIN_EXE_healthpass"))
}

fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("cli-issuer-{name}"))
}

/// One HTTP/1.1 GET on loopback (the CLI tests need no HTTP client library for this).
fn get(address: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn issuer_serve_starts_from_demo_keys_answers_and_stops_on_sigterm() {
    let dir = scratch("serve");
    let keys = healthpass().args(["keys", "demo-authority", "--out"]).arg(&dir).output().unwrap();
    assert!(keys.status.success(), "{}", String::from_utf8_lossy(&keys.stderr));
    std::fs::write(dir.join("operator.token"), "an-operator-token-for-this-test\n").unwrap();
    let mut child = healthpass()
        .args(["issuer", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("issuer.sqlite"))
        .arg("--dsc-key")
        .arg(dir.join("dsc-key.pem"))
        .arg("--dsc-cert")
        .arg(dir.join("dsc.pem"))
        .arg("--operator-token-file")
        .arg(dir.join("operator.token"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address =
        line.trim().strip_prefix("healthpass issuer: listening on http://").unwrap_or_else(|| panic!("{line}"));
    let health = get(address, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with(r#"{"status":"ok"}"#), "{health}");
    let metrics = get(address, "/metrics");
    assert!(metrics.contains("healthpass_issued_total 0"), "{metrics}");
    // SIGTERM, as a service manager stops it: a clean exit.
    let terminated = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(dir.join("issuer.sqlite").exists());
}

#[test]
fn issuer_serve_refuses_unusable_options_naming_them() {
    let dir = scratch("refusals");
    let keys = healthpass().args(["keys", "demo-authority", "--out"]).arg(&dir).output().unwrap();
    assert!(keys.status.success());
    std::fs::write(dir.join("short.token"), "short").unwrap();
    std::fs::write(dir.join("operator.token"), "an-operator-token-for-this-test").unwrap();
    let serve = |key: &str, cert: &str, token: &str, listen: &str| {
        healthpass()
            .args(["issuer", "serve", "--listen", listen, "--db"])
            .arg(dir.join("issuer.sqlite"))
            .arg("--dsc-key")
            .arg(dir.join(key))
            .arg("--dsc-cert")
            .arg(dir.join(cert))
            .arg("--operator-token-file")
            .arg(dir.join(token))
            .output()
            .unwrap()
    };
    for (key, cert, token, listen, expected) in [
        ("dsc-key.pem", "dsc.pem", "operator.token", "localhost", "--listen must be an address and port"),
        ("missing.pem", "dsc.pem", "operator.token", "127.0.0.1:0", "the document signer key"),
        ("dsc-key.pem", "dsc.pem", "short.token", "127.0.0.1:0", "at least 16 characters"),
        // The CA's key with the document signer's certificate: refused before serving.
        ("csca-key.pem", "dsc.pem", "operator.token", "127.0.0.1:0", "does not belong to the signer certificate"),
        ("dsc-key.pem", "dsc-key.pem", "operator.token", "127.0.0.1:0", "document signer"),
    ] {
        let output = serve(key, cert, token, listen);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{key} {cert} {token} {listen}: {stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}
