//! Conformance runners over the shared test suites (feature `conformance`).

pub mod dcc_checks;
pub mod dcc_suite;
pub mod dcc_vector;
pub mod known_issues;
pub mod report;

pub use dcc_suite::{Outcome, SuiteError, SuiteOptions, SuiteReport, run_dcc_suite};
