//! `healthpass`: verify, issue and scan signed health passes (EU DCC, `HC1:` QR codes).
//!
//! Exit codes: 0 valid / success, 1 invalid pass or failed conformance, 2 unusable input.

mod camera;
mod commands;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "healthpass", version, about = "Verify, issue and scan signed health passes (EU DCC, HC1: QR codes).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build or inspect a signed trust bundle.
    #[command(subcommand)]
    Bundle(commands::bundle::BundleCommand),
    /// The story offline on embedded demo keys: issue a pass, render its QR, scan it back, verify it.
    Demo(commands::demo::DemoArgs),
    /// Issue a pass and print its HC1 text.
    #[command(subcommand)]
    Issue(commands::issue::IssueCommand),
    /// Create keys and certificates.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// Verify a pass offline and print the verdict (exit 0 valid, 1 invalid, 2 unusable input).
    Verify(commands::verify::VerifyArgs),
    /// Read codes from pictures (--images DIR) or watch a camera (--camera [INDEX]).
    Scan(commands::scan::ScanArgs),
    /// Run a conformance suite and print a report ending in "N passed, M failed, K skipped".
    #[command(subcommand)]
    Conformance(commands::conformance::ConformanceCommand),
}

/// An error that makes the input unusable (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(error: E) -> Self {
        Self(error.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bundle(command) => commands::bundle::run(&command),
        Command::Demo(args) => commands::demo::run(&args),
        Command::Issue(command) => commands::issue::run(&command),
        Command::Keys(command) => commands::keys::run(&command),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Scan(args) => commands::scan::run(&args),
        Command::Conformance(command) => commands::conformance::run(&command),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("healthpass: {message}");
            ExitCode::from(2)
        }
    }
}
