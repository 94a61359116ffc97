//! Runs the CertLogic evaluator and validation test suites (certlogic/testSuite and
//! certlogic/validation-testSuite), honouring `skip` directives on suites, cases and
//! assertions (counted as skipped).

use std::path::Path;

use serde_json::Value as Json;

use super::report::{CheckResult, Judgement, SuiteError, SuiteReport, VectorResult};
use crate::rules::certlogic::{self, Value};

/// Runs every suite file (`*.json` with `cases`) below `root`.
pub fn run_certlogic_suites(root: &Path) -> Result<SuiteReport, SuiteError> {
    let mut files = Vec::new();
    super::files::collect_json(root, &mut files, &|_| true)?;
    files.sort();
    let mut report = SuiteReport::default();
    for file in files {
        let relative = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        let text = std::fs::read(&file)
            .map_err(|error| SuiteError::Unreadable { path: relative.clone(), detail: error.to_string() })?;
        let Ok(suite) = serde_json::from_slice::<Json>(&text) else { continue };
        let Some(cases) = suite.get("cases").and_then(Json::as_array) else { continue };
        let suite_skipped = directive(&suite) == Some("skip");
        let mut result = VectorResult {
            file: relative.clone(),
            country: suite.get("name").and_then(Json::as_str).unwrap_or("").to_owned(),
            description: None,
            error: None,
            checks: Vec::new(),
        };
        for (case_index, case) in cases.iter().enumerate() {
            let case_name =
                case.get("name").and_then(Json::as_str).map_or_else(|| format!("case {case_index}"), str::to_owned);
            let case_skipped = suite_skipped || directive(case) == Some("skip");
            if let Some(expected_issues) = case.get("issues").and_then(Json::as_array) {
                let outcome = if case_skipped {
                    Judgement::Skipped { reason: "skip directive".into() }
                } else {
                    validation_outcome(case.get("certLogicExpression").unwrap_or(&Json::Null), expected_issues)
                };
                result.checks.push(CheckResult {
                    check: case_name.clone(),
                    expected: expected_issues.is_empty(),
                    outcome,
                });
                continue;
            }
            let assertions = case.get("assertions").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default();
            for (index, assertion) in assertions.iter().enumerate() {
                let label = match assertion.get("message").and_then(Json::as_str) {
                    Some(message) => format!("{case_name} / {message}"),
                    None => format!("{case_name} / assertion {index}"),
                };
                let outcome = if case_skipped || directive(assertion) == Some("skip") {
                    Judgement::Skipped { reason: "skip directive".into() }
                } else {
                    let expression = assertion.get("certLogicExpression").or_else(|| case.get("certLogicExpression"));
                    evaluation_outcome(expression, assertion)
                };
                result.checks.push(CheckResult { check: label, expected: true, outcome });
            }
        }
        report.add(result);
    }
    if report.vectors.is_empty() {
        return Err(SuiteError::Empty {
            path: root.display().to_string(),
            expected: "CertLogic test files (testSuite/*.json, validation-testSuite/*.json)",
        });
    }
    Ok(report)
}

fn directive(node: &Json) -> Option<&str> {
    node.get("directive").and_then(Json::as_str)
}

fn evaluation_outcome(expression: Option<&Json>, assertion: &Json) -> Judgement {
    let Some(expression) = expression else {
        return Judgement::Failed { detail: "the test has no certLogicExpression".into() };
    };
    let data = assertion.get("data").unwrap_or(&Json::Null);
    let expected = assertion.get("expected").unwrap_or(&Json::Null);
    match certlogic::evaluate(expression, &Value::from_json(data)) {
        Ok(value) => {
            let actual = value.to_json();
            if actual == *expected {
                Judgement::Passed
            } else {
                Judgement::Failed { detail: format!("evaluated to {actual}, expected {expected}") }
            }
        }
        Err(error) => Judgement::Failed { detail: format!("evaluation failed: {error}; expected {expected}") },
    }
}

/// The issues found must point at the same subexpressions as the expected ones; messages
/// are the reference implementation's wording and are not compared.
fn validation_outcome(expression: &Json, expected: &[Json]) -> Judgement {
    let found = certlogic::validate(expression);
    let mut expected_expressions: Vec<String> =
        expected.iter().map(|issue| issue.get("expr").unwrap_or(&Json::Null).to_string()).collect();
    let mut found_expressions: Vec<String> = found.iter().map(|issue| issue.expression.to_string()).collect();
    expected_expressions.sort();
    found_expressions.sort();
    if expected_expressions == found_expressions {
        Judgement::Passed
    } else {
        let messages: Vec<&str> = found.iter().map(|issue| issue.message.as_str()).collect();
        Judgement::Failed {
            detail: format!(
                "expected issues at {expected_expressions:?}, found at {found_expressions:?} ({messages:?})"
            ),
        }
    }
}
