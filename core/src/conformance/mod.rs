//! Conformance runners over the shared test suites (feature `conformance`).

pub mod certlogic_suite;
pub mod dcc_checks;
pub mod dcc_suite;
pub mod dcc_vector;
pub mod files;
pub mod known_issues;
pub mod report;
pub mod rules_suite;

pub use certlogic_suite::run_certlogic_suites;
pub use dcc_suite::{SuiteOptions, run_dcc_suite};
pub use report::{Judgement, SuiteError, SuiteReport};
pub use rules_suite::run_rule_suites;
