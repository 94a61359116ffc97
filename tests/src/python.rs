//! The independent verifier (`tests/python/verify_pass.py`, upstream's Python stack: `cose`,
//! `cbor2`, `base45`, `cryptography`) in a virtual environment under the target directory.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::shared_data::repository_root;

/// Creates (once) a Python environment with the upstream test data's verification stack.
pub fn python_with_cose() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repository_root().join("target"));
    let venv = target.join("python-venv");
    let python = venv.join("bin/python");
    let requirements = repository_root().join("tests/python/requirements.txt");
    let ready = |python: &std::path::Path| {
        Command::new(python)
            .args(["-c", "import cose, cbor2, base45, cryptography"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let status = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().expect("python3 is required");
        assert!(status.success(), "python3 -m venv failed");
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .status()
            .expect("pip");
        assert!(status.success(), "pip install -r {} failed", requirements.display());
    }
    python
}

/// What the independent verifier says of each of `passes` against the signer certificate
/// `certificate_pem`: one JSON object per pass (`signature_valid`, `kid_matches`, `iss`, `iat`,
/// `exp`, `dcc`).
pub fn independent_verdicts(certificate_pem: &str, passes: &[String]) -> Vec<serde_json::Value> {
    let work = crate::scratch::ScratchDir::new("python-verifier");
    let certificate = work.join("signer.pem");
    std::fs::write(&certificate, certificate_pem).expect("write the certificate");
    let output = Command::new(python_with_cose())
        .arg(repository_root().join("tests/python/verify_pass.py"))
        .arg(&certificate)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                std::io::Write::write_all(&mut stdin, passes.join("\n").as_bytes())?;
            }
            child.wait_with_output()
        })
        .expect("run the independent verifier");
    assert!(output.status.success(), "verify_pass.py failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON per pass"))
        .collect()
}
