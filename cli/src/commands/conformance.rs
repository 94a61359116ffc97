//! `healthpass conformance ...`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use healthpass_core::conformance::{SuiteOptions, report, run_certlogic_suites, run_dcc_suite, run_rule_suites};

use crate::error::CliError;

#[derive(Subcommand)]
pub enum ConformanceCommand {
    /// Run DCC test vectors in the dgc-testdata layout (*/2DCode/raw/*.json).
    Dcc {
        /// The suite folder, e.g. ../shared/conformance/dgc-testdata.
        dir: PathBuf,
        /// Print a JSON object with passed, failed, skipped, known and per-vector results.
        #[arg(long)]
        json: bool,
    },
    /// Run the CertLogic evaluator and validation test suites (certlogic/testSuite,
    /// certlogic/validation-testSuite).
    Certlogic {
        /// The suite folder, e.g. ../shared/conformance/certlogic.
        dir: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run business rules against their tests (<CC>/<RuleId>/rule.json and tests/*.json).
    Rules {
        /// The rules folder, e.g. ../shared/conformance/business-rules.
        dir: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: &ConformanceCommand) -> Result<ExitCode, CliError> {
    let (report, json, labels) = match command {
        ConformanceCommand::Dcc { dir, json } => {
            (run_dcc_suite(dir, &SuiteOptions::default())?, *json, report::DCC_TABLES)
        }
        ConformanceCommand::Certlogic { dir, json } => (run_certlogic_suites(dir)?, *json, report::SUITE_TABLES),
        ConformanceCommand::Rules { dir, json } => (run_rule_suites(dir)?, *json, report::SUITE_TABLES),
    };
    if json {
        let value = serde_json::to_value(&report).map_err(CliError::internal)?;
        crate::output::print_json(&value);
    } else {
        crate::output::write_stdout(&report::render(&report, labels));
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
