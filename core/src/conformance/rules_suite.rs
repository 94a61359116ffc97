//! Runs business rules against their tests, in the layout `<CC>/<RuleId>/rule.json` with
//! `<CC>/<RuleId>/tests/*.json` holding `{payload, external, expected}`.

use std::path::Path;

use serde_json::Value as Json;

use super::report::{CheckResult, Judgement, SuiteError, SuiteReport, VectorResult};
use crate::rules::BusinessRule;
use crate::rules::certlogic::{self, Value};

/// Runs each rule below `root` (`<CC>/<RuleId>/rule.json`) against its tests (`tests/*.json`).
pub fn run_rule_suites(root: &Path) -> Result<SuiteReport, SuiteError> {
    let mut rule_files = Vec::new();
    super::files::collect_json(root, &mut rule_files, &|path| {
        path.file_name().is_some_and(|name| name == "rule.json")
    })?;
    rule_files.sort();
    let mut report = SuiteReport::default();
    for rule_file in rule_files {
        let relative = rule_file.strip_prefix(root).unwrap_or(&rule_file).to_string_lossy().replace('\\', "/");
        let country = relative.split('/').next().unwrap_or("-").to_owned();
        let mut result = VectorResult { file: relative, country, description: None, error: None, checks: Vec::new() };
        let rule = match std::fs::read(&rule_file)
            .map_err(|error| error.to_string())
            .and_then(|bytes| BusinessRule::from_json(&bytes).map_err(|error| error.to_string()))
        {
            Ok(rule) => rule,
            Err(error) => {
                result.error = Some(error);
                report.add(result);
                continue;
            }
        };
        result.description = Some(rule.description().to_owned());
        let mut tests = Vec::new();
        if let Some(dir) = rule_file.parent().map(|parent| parent.join("tests"))
            && dir.is_dir()
        {
            super::files::collect_json(&dir, &mut tests, &|_| true)?;
        }
        tests.sort();
        for test_file in tests {
            let name = test_file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            let outcome =
                match std::fs::read(&test_file).ok().and_then(|bytes| serde_json::from_slice::<Json>(&bytes).ok()) {
                    None => Judgement::Failed { detail: "the test is not JSON".into() },
                    Some(test) => run_test(&rule, &test),
                };
            let expected = std::fs::read(&test_file)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Json>(&bytes).ok())
                .and_then(|test| test.get("expected").and_then(Json::as_bool))
                .unwrap_or(true);
            result.checks.push(CheckResult { check: name, expected, outcome });
        }
        report.add(result);
    }
    if report.vectors.is_empty() {
        return Err(SuiteError::Empty {
            path: root.display().to_string(),
            expected: "rules (<CC>/<RuleId>/rule.json)",
        });
    }
    Ok(report)
}

/// Evaluates the rule's logic on `{payload, external}` and compares with `expected`.
fn run_test(rule: &BusinessRule, test: &Json) -> Judgement {
    let data = serde_json::json!({
        "payload": test.get("payload").cloned().unwrap_or(Json::Null),
        "external": test.get("external").cloned().unwrap_or(Json::Null),
    });
    let expected = test.get("expected").unwrap_or(&Json::Null);
    match certlogic::evaluate(&rule.logic, &Value::from_json(&data)) {
        Ok(value) if value.to_json() == *expected => Judgement::Passed,
        Ok(value) => {
            Judgement::Failed { detail: format!("the rule evaluated to {}, expected {expected}", value.to_json()) }
        }
        Err(error) => Judgement::Failed { detail: format!("evaluation failed: {error}") },
    }
}
