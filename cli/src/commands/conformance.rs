//! `healthpass conformance ...`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use healthpass_core::conformance::{SuiteOptions, report, run_dcc_suite};

use crate::UsageError;

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
}

pub fn run(command: &ConformanceCommand) -> Result<ExitCode, UsageError> {
    match command {
        ConformanceCommand::Dcc { dir, json } => {
            let report = run_dcc_suite(dir, &SuiteOptions::default())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report::render(&report));
            }
            Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}
