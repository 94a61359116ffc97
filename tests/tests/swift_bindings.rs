//! The Swift layer as far as this machine can take it (no Swift toolchain here): the committed
//! Swift bindings, C header and module map match what the library generates, and a C program
//! compiled against that header calls the library the way the Swift bindings do.

use std::process::Command;

use healthpass_tests::bindings::{self, Language};
use healthpass_tests::shared_data::repository_root;

/// The contract version the committed Swift file checks at load time.
fn committed_contract_version() -> u32 {
    let swift = std::fs::read_to_string(repository_root().join(bindings::SWIFT_BINDINGS[0].committed)).unwrap();
    let line = swift
        .lines()
        .find_map(|line| line.trim().strip_prefix("let bindings_contract_version = "))
        .expect("the Swift bindings declare their contract version");
    line.trim().parse().expect("a numeric contract version")
}

#[test]
fn swift_bindings_match_the_library_and_the_c_header_works() {
    bindings::build_library_and_generator().unwrap();

    let generated = bindings::target_dir().join("bindings-check/swift");
    bindings::generate(Language::Swift, &generated).unwrap();
    let drift = bindings::drift(Language::Swift, &generated);
    assert!(drift.is_empty(), "{}\nrun scripts/generate-bindings and commit the result", drift.join("\n"));

    let root = repository_root();
    let program = bindings::target_dir().join("abi_check");
    let compile = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(root.join("ios/Sources/HealthpassFFIC/include"))
        .arg(root.join("ios/ctest/abi_check.c"))
        .arg("-o")
        .arg(&program)
        .arg("-L")
        .arg(bindings::library_dir())
        .arg("-lhealthpass_ffi")
        .arg(format!("-Wl,-rpath,{}", bindings::library_dir().display()))
        .output()
        .expect("a C compiler (cc) runs");
    assert!(compile.status.success(), "the C header does not compile:\n{}", String::from_utf8_lossy(&compile.stderr));

    let pass = std::fs::read_to_string(root.join("cli/demo/pass.txt")).unwrap();
    let contract = committed_contract_version();
    let kept = bindings::target_dir().join("abi_check-bundle.cbor");
    let _ = std::fs::remove_file(&kept);
    let _ = std::fs::remove_file(kept.with_extension("cbor.etag"));
    // The demo signer's certificate and public key, for the C program's own Signer.
    let key_pem = std::fs::read_to_string(root.join("cli/demo/signer-key.pem")).unwrap();
    let key = <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&key_pem).unwrap();
    let point = key.verifying_key().to_sec1_point(false);
    let public_key_hex: String = point.as_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
    let device_id = healthpass_core::protocol::DeviceId::of_key(key.verifying_key()).to_string();
    let run = Command::new(&program)
        .arg(contract.to_string())
        .arg(pass.trim())
        .arg(&kept)
        .arg(root.join("cli/demo/signer.pem"))
        .arg(&public_key_hex)
        .arg(&device_id)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        stdout.trim(),
        format!(
            "contract {contract}, bundle sequence 1, verdict valid, garbage refused as NotAPass, bundle kept across a restart, \
             foreign signer called"
        )
    );
}
