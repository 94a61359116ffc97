//! Static validation of CertLogic expressions: form, known operators, arity and literal
//! operands, without data. A business rule that does not validate is never evaluated.

use serde_json::Value as Json;

use super::date_time::TimeUnit;
use super::evaluate::{MAX_DEPTH, valid_path};

/// A problem with a (sub)expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    /// The sub-expression at fault.
    pub expression: Json,
    /// What is wrong with it.
    pub message: String,
}

/// Every issue found in `expression`; empty when it is valid.
pub fn validate(expression: &Json) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    check(expression, 0, &mut issues);
    issues
}

fn issue(issues: &mut Vec<ValidationIssue>, expression: &Json, message: impl Into<String>) {
    issues.push(ValidationIssue { expression: expression.clone(), message: message.into() });
}

fn check(expression: &Json, depth: usize, issues: &mut Vec<ValidationIssue>) {
    if depth > MAX_DEPTH {
        issue(issues, &Json::Null, format!("expression nests deeper than {MAX_DEPTH} levels"));
        return;
    }
    match expression {
        Json::Null => issue(issues, expression, "invalid CertLogic expression"),
        Json::Number(number) if number.as_i64().is_none() => {
            issue(issues, expression, format!("{number} is a non-integer number"));
        }
        Json::Bool(_) | Json::Number(_) | Json::String(_) => {}
        Json::Array(items) => items.iter().for_each(|item| check(item, depth + 1, issues)),
        Json::Object(entries) => {
            if entries.len() != 1 {
                issue(
                    issues,
                    expression,
                    format!("expression object must have exactly one key, but it has {}", entries.len()),
                );
                return;
            }
            let Some((operator, operands)) = entries.iter().next() else { return };
            if operator == "var" {
                match operands {
                    Json::String(path) if path.is_empty() || valid_path(path) => {}
                    Json::String(path) => {
                        issue(issues, expression, format!("data access path doesn't have a valid format: {path}"))
                    }
                    _ => issue(issues, expression, "not of the form { \"var\": \"<path>\" }"),
                }
                return;
            }
            let operands = match operands {
                Json::Array(operands) if !operands.is_empty() => operands,
                _ => {
                    issue(issues, expression, "operation not of the form { \"<operator>\": [ <values...> ] }");
                    return;
                }
            };
            let allowed: &[usize] = match operator.as_str() {
                "if" | "plusTime" | "reduce" => &[3],
                "===" | "in" | "+" | "extractFromUVCI" => &[2],
                "<" | ">" | "<=" | ">=" | "after" | "before" | "not-after" | "not-before" => &[2, 3],
                "!" | "dccDateOfBirth" => &[1],
                "and" => &[],
                other => {
                    issue(issues, expression, format!("unrecognised operator: \"{other}\""));
                    return;
                }
            };
            if operator == "and" && operands.len() < 2 {
                issue(
                    issues,
                    expression,
                    format!("an \"and\"-operation must have at least 2 operands, but it has {}", operands.len()),
                );
            } else if !allowed.is_empty() && !allowed.contains(&operands.len()) {
                let expected = allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
                issue(
                    issues,
                    expression,
                    format!("an \"{operator}\"-operation must have {expected} operands, but it has {}", operands.len()),
                );
            }
            match (operator.as_str(), operands.as_slice()) {
                ("plusTime", [_, amount, unit]) => {
                    if amount.as_i64().is_none() {
                        issue(issues, expression, "\"plusTime\" amount must be an integer literal");
                    }
                    if unit.as_str().and_then(TimeUnit::parse).is_none() {
                        issue(
                            issues,
                            expression,
                            "\"plusTime\" time unit must be one of \"year\", \"month\", \"day\", \"hour\"",
                        );
                    }
                }
                ("extractFromUVCI", [_, index]) if index.as_i64().is_none() => {
                    issue(issues, expression, "index of \"extractFromUVCI\" must be an integer literal");
                }
                _ => {}
            }
            for operand in operands {
                check(operand, depth + 1, issues);
            }
        }
    }
}
