//! The DCC conformance suites: the shared dgc-testdata vectors and the project's own vectors
//! for the checks upstream never wrote (BasicDgcTestsList CO4, CO24–CO27, DGC7, DGC8).

use healthpass_core::conformance::{Judgement, SuiteOptions, run_dcc_suite};
use healthpass_tests::shared_data::{repository_root, require_conformance_dir};

#[test]
fn shared_dgc_testdata_has_no_unexplained_failures() {
    let suite = require_conformance_dir().join("dgc-testdata");
    let report = run_dcc_suite(&suite, &SuiteOptions::default()).unwrap();
    let failures = report.failures();
    assert!(failures.is_empty(), "{} unexplained failures:\n{}", failures.len(), failures.join("\n"));
    assert!(report.vectors.len() >= 200, "only {} vectors found below {}", report.vectors.len(), suite.display());
    assert!(report.passed >= 1550, "only {} checks passed", report.passed);
    // The picture check runs through the scanner on every vector that carries a picture.
    let pictures_read = report
        .vectors
        .iter()
        .flat_map(|vector| &vector.checks)
        .filter(|check| check.check == "PICTUREDECODE" && check.outcome == Judgement::Passed)
        .count();
    assert!(pictures_read >= 137, "only {pictures_read} PICTUREDECODE checks passed");
}

#[test]
fn upstream_known_issues_are_reported_and_never_counted_as_passed() {
    let suite = require_conformance_dir().join("dgc-testdata");
    let report = run_dcc_suite(&suite, &SuiteOptions::default()).unwrap();
    let es_401 = report.vectors.iter().find(|vector| vector.file.ends_with("ES/2DCode/raw/401.json")).unwrap();
    let verify = es_401.checks.iter().find(|check| check.check == "VERIFY").unwrap();
    assert!(
        matches!(&verify.outcome, Judgement::Known { source: "upstream", reason, .. } if reason.contains("issues/228"))
    );
    let pl_7 = report.vectors.iter().find(|vector| vector.file.ends_with("PL/1.3.0/2DCode/raw/7.json")).unwrap();
    let schema = pl_7.checks.iter().find(|check| check.check == "SCHEMAVALIDATION").unwrap();
    assert!(matches!(&schema.outcome, Judgement::Known { source: "project", .. }));
}

#[test]
fn self_made_vectors_pass_every_check() {
    let suite = repository_root().join("tests/vectors/dgc");
    let report = run_dcc_suite(&suite, &SuiteOptions::default()).unwrap();
    let failures = report.failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(report.skipped, 0);
    assert_eq!(report.known, 0);
    let names: Vec<&str> = report.vectors.iter().filter_map(|v| v.file.rsplit('/').next()).collect();
    for expected in
        ["CO4.json", "CO24.json", "CO25.json", "CO26.json", "CO27.json", "DGC7.json", "DGC8.json", "HP1.json"]
    {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
}
