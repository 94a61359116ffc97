//! The CertLogic specification's suites and the EU business-rule tests, run in place.

use healthpass_core::conformance::{run_certlogic_suites, run_rule_suites};
use healthpass_tests::shared_data::require_conformance_dir;

#[test]
fn certlogic_evaluator_and_validation_suites_pass() {
    let report = run_certlogic_suites(&require_conformance_dir().join("certlogic")).unwrap();
    let failures = report.failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.passed >= 241, "only {} assertions passed", report.passed);
    // skip directives (suite and assertion level) are honoured and counted.
    assert!(report.skipped >= 14, "{} skipped", report.skipped);
    let suites: Vec<&str> = report.vectors.iter().map(|vector| vector.file.as_str()).collect();
    assert!(suites.iter().any(|file| file.starts_with("validation-testSuite/")), "{suites:?}");
}

#[test]
fn every_business_rule_passes_its_tests() {
    let report = run_rule_suites(&require_conformance_dir().join("business-rules")).unwrap();
    let failures = report.failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.vectors.len() >= 100, "only {} rules", report.vectors.len());
    assert!(report.passed >= 690, "only {} rule tests passed", report.passed);
}
