//! `healthpass`: verify, issue and scan signed health passes (EU DCC, `HC1:` QR codes).
//!
//! Exit codes: 0 valid / success; 1 an invalid pass, or a check that failed; 2 unusable input;
//! 3 a file could not be written or the system failed; 4 an internal error.

mod camera;
mod commands;
mod demo_material;
mod error;
mod inputs;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;

#[derive(Parser)]
#[command(
    name = "healthpass",
    version,
    about = "Verify, issue and scan signed health passes (EU DCC, HC1: QR codes).",
    after_help = "Exit codes: 0 valid or done, 1 invalid pass or failed check, 2 unusable input, \
                  3 could not write a file or the system failed, 4 internal error."
)]
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
    /// Run the central issuer service (SQLite or PostgreSQL) that pharmacy devices send to.
    #[command(subcommand)]
    Issuer(commands::issuer::IssuerCommand),
    /// Create keys and certificates.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// The pharmacy outbox: requests sent with `issue test --via`, kept until their pass arrives.
    #[command(subcommand)]
    Outbox(commands::outbox::OutboxCommand),
    /// Verify a pass offline and print the verdict (exit 0 valid, 1 invalid, 2 not a pass).
    Verify(Box<commands::verify::VerifyArgs>),
    /// The traveller's wallet: keep passes offline, show them, and receive a final pass through
    /// a transfer code.
    #[command(subcommand)]
    Wallet(commands::wallet::WalletCommand),
    /// Read codes from pictures (--images DIR) or watch a camera (--camera [INDEX]); verify them
    /// when trust is given.
    Scan(Box<commands::scan::ScanArgs>),
    /// Run a conformance suite and print a report ending in "N passed, M failed, K skipped".
    #[command(subcommand)]
    Conformance(commands::conformance::ConformanceCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bundle(command) => commands::bundle::run(&command),
        Command::Demo(args) => commands::demo::run(&args),
        Command::Issue(command) => commands::issue::run(&command),
        Command::Issuer(command) => commands::issuer::run(&command),
        Command::Keys(command) => commands::keys::run(&command),
        Command::Outbox(command) => commands::outbox::run(&command),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Scan(args) => commands::scan::run(&args),
        Command::Wallet(command) => commands::wallet::run(&command),
        Command::Conformance(command) => commands::conformance::run(&command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("healthpass: {}", output::safe(&error.to_string()));
            ExitCode::from(error.exit_code())
        }
    }
}
