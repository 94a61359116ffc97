//! Human-readable tables of a suite report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// How one expected result of one vector (or test case) turned out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Judgement {
    /// The result matched the expectation.
    Passed,
    /// The result contradicted the expectation.
    Failed {
        /// What happened instead.
        detail: String,
    },
    /// The check could not run (no input for it in the vector).
    Skipped {
        /// Why.
        reason: String,
    },
    /// A vector listed as wrong: reported, never counted as passed or failed. `agrees` says
    /// whether the project's result matched the (wrong) expectation anyway.
    Known {
        /// Which list names the vector.
        source: &'static str,
        /// The list's explanation.
        reason: String,
        /// Whether our result matched the wrong expectation anyway.
        agrees: Option<bool>,
    },
}

/// One expected result of one vector and how it turned out.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// The check's name.
    pub check: String,
    /// What the vector expects.
    pub expected: bool,
    /// How it turned out.
    #[serde(flatten)]
    pub outcome: Judgement,
}

/// Every expected result of one vector.
#[derive(Debug, Clone, Serialize)]
pub struct VectorResult {
    /// Path relative to the suite folder.
    pub file: String,
    /// The country folder (`AT`, `common`).
    pub country: String,
    /// The vector's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Why the vector could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// One result per expected check.
    pub checks: Vec<CheckResult>,
}

/// Counts and per-vector results of a suite run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SuiteReport {
    /// Expectations met.
    pub passed: usize,
    /// Expectations contradicted.
    pub failed: usize,
    /// Checks that could not run.
    pub skipped: usize,
    /// Known-wrong expectations, reported but not counted.
    pub known: usize,
    /// Every vector.
    pub vectors: Vec<VectorResult>,
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuiteError {
    #[error("{path}: {detail}")]
    Unreadable { path: String, detail: String },
    #[error("no {expected} below {path}")]
    Empty { path: String, expected: &'static str },
}

/// A summary table: its heading and how a result is grouped into a row.
pub struct Table {
    /// The table's heading.
    pub label: &'static str,
    /// The row a result is counted in.
    pub key: fn(&VectorResult, &CheckResult) -> String,
}

/// DCC vectors: per check and per country.
pub const DCC_TABLES: &[Table] = &[
    Table { label: "check", key: |_, check| check.check.clone() },
    Table { label: "country", key: |vector, _| vector.country.clone() },
];

/// Suites of files (CertLogic, business rules): per file's group (suite name or country).
pub const SUITE_TABLES: &[Table] = &[Table { label: "suite", key: |vector, _| vector.country.clone() }];

#[derive(Default, Clone, Copy)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    known: usize,
}

impl Tally {
    fn add(&mut self, outcome: &Judgement) {
        match outcome {
            Judgement::Passed => self.passed += 1,
            Judgement::Failed { .. } => self.failed += 1,
            Judgement::Skipped { .. } => self.skipped += 1,
            Judgement::Known { .. } => self.known += 1,
        }
    }
}

/// Tables per check and per country, the failures, known issues and skips, and the closing
/// line `N passed, M failed, K skipped`.
pub fn render(report: &SuiteReport, tables: &[Table]) -> String {
    let mut out = String::new();
    for (index, spec) in tables.iter().enumerate() {
        let mut rows: BTreeMap<String, Tally> = BTreeMap::new();
        for vector in &report.vectors {
            for check in &vector.checks {
                rows.entry((spec.key)(vector, check)).or_default().add(&check.outcome);
            }
        }
        if index > 0 {
            out.push('\n');
        }
        table(&mut out, spec.label, &rows);
    }
    let mut section = |title: &str, filter: &dyn Fn(&Judgement) -> Option<String>| {
        let mut lines = Vec::new();
        for vector in &report.vectors {
            if let (Some(error), true) = (&vector.error, title == "Failures") {
                lines.push(format!("  {}: unreadable vector: {error}", vector.file));
            }
            for check in &vector.checks {
                if let Some(text) = filter(&check.outcome) {
                    lines.push(format!("  {} {} (expected {}): {text}", vector.file, check.check, check.expected));
                }
            }
        }
        if !lines.is_empty() {
            let _ = writeln!(out, "\n{title}:");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    };
    section("Failures", &|outcome| match outcome {
        Judgement::Failed { detail } => Some(detail.clone()),
        _ => None,
    });
    section("Known upstream errors (not counted as passed)", &|outcome| match outcome {
        Judgement::Known { source, reason, agrees } => Some(format!(
            "[{source}] {reason}{}",
            match agrees {
                Some(true) => " (result agrees with the expectation)",
                Some(false) => " (result disagrees with the expectation)",
                None => "",
            }
        )),
        _ => None,
    });
    section("Skipped", &|outcome| match outcome {
        Judgement::Skipped { reason } => Some(reason.clone()),
        _ => None,
    });
    let _ = writeln!(out, "\n{} known upstream errors reported, not counted", report.known);
    let _ = writeln!(out, "{} passed, {} failed, {} skipped", report.passed, report.failed, report.skipped);
    out
}

fn table(out: &mut String, label: &str, rows: &BTreeMap<String, Tally>) {
    let width = rows.keys().map(|key| key.len()).max().unwrap_or(0).max(label.len());
    let _ = writeln!(out, "{label:<width$}  passed  failed  skipped  known");
    for (key, tally) in rows {
        let _ = writeln!(
            out,
            "{key:<width$}  {:>6}  {:>6}  {:>7}  {:>5}",
            tally.passed, tally.failed, tally.skipped, tally.known
        );
    }
}
