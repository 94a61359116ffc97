//! Human-readable tables of a suite report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::dcc_suite::{Outcome, SuiteReport};

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
pub fn render(report: &SuiteReport) -> String {
    let mut by_check: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_country: BTreeMap<&str, Tally> = BTreeMap::new();
    for vector in &report.vectors {
        for check in &vector.checks {
            by_check.entry(&check.check).or_default().add(&check.outcome);
            by_country.entry(&vector.country).or_default().add(&check.outcome);
        }
    }
    let mut out = String::new();
    table(&mut out, "check", &by_check);
    out.push('\n');
    table(&mut out, "country", &by_country);
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

fn table(out: &mut String, label: &str, rows: &BTreeMap<&str, Tally>) {
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
