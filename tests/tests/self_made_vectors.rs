//! Each self-made vector fails for the reason it illustrates, not by accident, and the
//! committed vectors and demo files are what the generator produces.

use healthpass_core::codec::{self, PassLimits};
use healthpass_core::conformance::dcc_vector::DccVector;
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::Verifier;
use healthpass_tests::shared_data::repository_root;

fn verdict_of(name: &str) -> healthpass_core::verify::Verdict {
    let path = repository_root().join(format!("tests/vectors/dgc/common/2DCode/raw/{name}.json"));
    let vector = DccVector::parse(&std::fs::read(path).unwrap()).unwrap();
    let signer = DocumentSignerCertificate::from_der(vector.certificate_der.as_deref().unwrap()).unwrap();
    let verifier = Verifier::new(TrustStore::from_iter([signer]));
    verifier.verify_text(vector.prefix.as_deref().unwrap(), vector.validation_clock.unwrap()).unwrap()
}

fn reasons_of(name: &str) -> Vec<&'static str> {
    verdict_of(name).reasons.iter().map(|reason| reason.code()).collect()
}

/// The tolerance vectors give their verdict and exactly the notices their file names.
#[test]
fn each_tolerance_vector_gives_its_verdict_and_notices() {
    for name in ["TOL1", "TOL2", "TOL3", "TOL4", "TOL5", "TOL6", "TOL7", "TOL8"] {
        let path = repository_root().join(format!("tests/vectors/dgc/common/2DCode/raw/{name}.json"));
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let verdict = verdict_of(name);
        assert_eq!(
            verdict.is_valid(),
            json["EXPECTEDRESULTS"]["EXPECTEDVERDICT"] == true,
            "{name}: {:?}",
            verdict.reasons
        );
        let mut notices: Vec<&str> = verdict.notices.iter().map(|notice| notice.code()).collect();
        let mut expected: Vec<&str> =
            json["EXPECTEDNOTICES"].as_array().unwrap().iter().map(|code| code.as_str().unwrap()).collect();
        notices.sort_unstable();
        expected.sort_unstable();
        assert_eq!(notices, expected, "{name}");
    }
    assert_eq!(reasons_of("TOL7"), ["payload_invalid"]);
    assert_eq!(reasons_of("TOL8"), ["schema_violation", "payload_invalid"]);
}

#[test]
fn each_vector_fails_for_its_own_reason() {
    assert_eq!(reasons_of("HP1"), Vec::<&str>::new());
    assert_eq!(reasons_of("CO4"), ["alg_unsupported"]);
    assert_eq!(reasons_of("CO24"), ["signature_malformed"]);
    assert_eq!(reasons_of("CO25"), ["kid_malformed"]);
    assert_eq!(reasons_of("CO26"), ["kid_malformed"]);
    assert_eq!(reasons_of("CO27"), ["alg_key_mismatch"]);
    assert_eq!(reasons_of("DGC7"), ["test_result_positive"]);
    assert_eq!(reasons_of("DGC8"), ["sample_time_in_future"]);
}

#[test]
fn committed_vectors_and_demo_files_are_current() {
    let root = repository_root();
    for file in healthpass_tests::vectors::generate_all(&root) {
        let committed = std::fs::read(&file.path).unwrap_or_default();
        assert!(
            committed == file.expected_bytes(),
            "{} differs from the generator's output; run `cargo run -p healthpass-tests --bin generate-vectors`",
            file.path.display()
        );
    }
    // The demo pass decodes and is signed by the demo certificate.
    let (pass, _, _) = healthpass_tests::vectors::demo_pass();
    assert!(codec::decode_pass_text(pass.trim(), &PassLimits::default()).is_ok());
}
