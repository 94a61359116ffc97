//! Human-readable tables of a suite report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::dcc_suite::{CheckResult, Outcome, SuiteReport, VectorResult};

/// A summary table: its heading and how a result is grouped into a row.
pub struct Table {
    pub label: &'static str,
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
    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
            Outcome::Known { .. } => self.known += 1,
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
    let mut section = |title: &str, filter: &dyn Fn(&Outcome) -> Option<String>| {
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
        Outcome::Failed { detail } => Some(detail.clone()),
        _ => None,
    });
    section("Known upstream errors (not counted as passed)", &|outcome| match outcome {
        Outcome::Known { source, reason, agrees } => Some(format!(
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
        Outcome::Skipped { reason } => Some(reason.clone()),
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
