//! The CertLogic specification's suites and the EU business-rule tests, run in place.

use healthpass_core::conformance::{Outcome, SuiteReport, run_certlogic_suites, run_rule_suites};
use healthpass_tests::shared_data::require_conformance_dir;

fn failures(report: &SuiteReport) -> Vec<String> {
    let mut failures = Vec::new();
    for vector in &report.vectors {
        if let Some(error) = &vector.error {
            failures.push(format!("{}: {error}", vector.file));
        }
        for check in &vector.checks {
            if let Outcome::Failed { detail } = &check.outcome {
                failures.push(format!("{} {}: {detail}", vector.file, check.check));
            }
        }
    }
    failures
}

#[test]
fn certlogic_evaluator_and_validation_suites_pass() {
    let report = run_certlogic_suites(&require_conformance_dir().join("certlogic")).unwrap();
    let failures = failures(&report);
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
    let failures = failures(&report);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.vectors.len() >= 100, "only {} rules", report.vectors.len());
    assert!(report.passed >= 690, "only {} rule tests passed", report.passed);
}
