//! `healthpass issuer serve`: the central issuer service (healthpass-service) on this machine.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use healthpass_service::ServiceError;
use healthpass_service::serve_options::{ServeOptions, parse_listen};

use crate::error::CliError;

#[derive(Subcommand)]
pub enum IssuerCommand {
    /// Run the central issuer: pharmacy devices send signed issuance requests to it
    /// (POST /v1/issuances), operators enrol devices (POST /v1/devices) with the operator token.
    /// Answers 503 with Retry-After beyond its capacity; stops on Ctrl-C or SIGTERM. The API is
    /// described in service/openapi.json.
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// A SQLite file (created if missing; one instance) or a PostgreSQL URL
    /// (postgres://user@host/db; several instances may share it).
    #[arg(long, value_name = "SQLITE PATH | POSTGRES URL")]
    db: String,
    /// The document signer's private key (PKCS#8, PEM or DER), e.g. dsc-key.pem from
    /// `healthpass keys demo-authority`.
    #[arg(long, value_name = "KEY")]
    dsc_key: PathBuf,
    /// The document signer certificate (PEM or DER); it must match the key.
    #[arg(long, value_name = "CERT")]
    dsc_cert: PathBuf,
    /// Where to listen, e.g. 127.0.0.1:8443 (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDRESS:PORT", value_parser = |text: &str| parse_listen(text).map_err(|error| error.to_string()))]
    listen: std::net::SocketAddr,
    /// A file holding the operator token (at least 16 characters), for device enrolment.
    #[arg(long, value_name = "FILE")]
    operator_token_file: PathBuf,
    /// The authority's fallback key (PKCS#8 P-256): the service then issues delegation
    /// credentials to devices (POST /v1/credentials) and reconciles their provisional passes
    /// (POST /v1/reconciliations). The trust bundle must carry its public key as a fallback root.
    #[arg(long, value_name = "KEY")]
    fallback_key: Option<PathBuf>,
    /// Serve without admission control: the naive configuration that collapses under overload
    /// (for comparisons only).
    #[arg(long)]
    no_admission_control: bool,
}

pub fn run(command: &IssuerCommand) -> Result<ExitCode, CliError> {
    let IssuerCommand::Serve(args) = command;
    let options = ServeOptions {
        database: args.db.clone(),
        signer_key: args.dsc_key.clone(),
        signer_certificate: args.dsc_cert.clone(),
        listen: args.listen,
        operator_token_file: args.operator_token_file.clone(),
        without_admission_control: args.no_admission_control,
        fallback_key: args.fallback_key.clone(),
    };
    let config = options.config().map_err(CliError::usage)?;
    healthpass_service::run(&config).map_err(|error| match error {
        ServiceError::Io(_) => CliError::System(format!("the issuer could not start: {error}")),
        other => CliError::usage(format!("the issuer could not start: {other}")),
    })?;
    Ok(ExitCode::SUCCESS)
}
