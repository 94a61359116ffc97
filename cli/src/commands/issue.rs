//! `healthpass issue test`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use healthpass_core::issue::{
    IssuedPass, Issuer, IssuingPolicy, SoftwareSigner, TestCertificateRequest, TestResult, TestType,
};
use healthpass_core::outbox::RetryProfile;
use healthpass_core::protocol::IssuanceRequest;
use healthpass_core::render::{QrMatrix, attestation_svg};
use healthpass_core::trust::DocumentSignerCertificate;
use serde_json::json;

use crate::error::CliError;
use crate::inputs::{read_file, system_now, write_file};
use crate::outln;

#[derive(Subcommand)]
pub enum IssueCommand {
    /// Issue a test certificate and print its HC1 text.
    Test(Box<IssueTestArgs>),
}

#[derive(Args)]
pub struct IssueTestArgs {
    /// The holder's family name as on the identity document (any script the ICAO 9303
    /// tables cover: Latin, Cyrillic, Arabic).
    #[arg(long)]
    pub family_name: String,
    /// The holder's given names; empty for people with a single name.
    #[arg(long, default_value = "")]
    pub given_name: String,
    /// Date of birth: YYYY-MM-DD, or YYYY-MM / YYYY when partly unknown.
    #[arg(long)]
    pub dob: String,
    /// rat (rapid antigen) or naat (PCR).
    #[arg(long, value_parser = parse_test_type)]
    pub test_type: TestType,
    /// Rapid antigen device id from the value set (e.g. 1232).
    #[arg(long)]
    pub device: Option<String>,
    /// NAAT test name, optional.
    #[arg(long)]
    pub test_name: Option<String>,
    /// When the sample was taken (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub sampled_at: String,
    /// negative or positive.
    #[arg(long, value_parser = parse_result)]
    pub result: TestResult,
    /// The test centre (pharmacy) name.
    #[arg(long)]
    pub centre: String,
    /// ISO 3166-1 alpha-2 country of the test.
    #[arg(long)]
    pub country: String,
    /// The issuing authority's name; defaults to the signing certificate's organization.
    #[arg(long)]
    pub issuer: Option<String>,
    /// The document signer's private key (PKCS#8, PEM or DER), to sign here.
    #[arg(long, value_name = "KEY.pem", required_unless_present = "via", conflicts_with = "via")]
    pub key: Option<PathBuf>,
    /// The document signer certificate (PEM or DER), to sign here.
    #[arg(long, value_name = "DSC.pem", required_unless_present = "via", conflicts_with = "via")]
    pub cert: Option<PathBuf>,
    /// Send the entry to the central issuer at this address (http://host:port) instead of
    /// signing here: it is queued durably in --outbox first, tried for about 20 s, and kept
    /// there (printed as "queued" with its ticket) if the issuer does not answer.
    #[arg(long, value_name = "URL", requires_all = ["outbox", "device_key"])]
    pub via: Option<String>,
    /// The outbox file for --via (created if missing).
    #[arg(long, value_name = "FILE")]
    pub outbox: Option<PathBuf>,
    /// The pharmacy device's enrolled P-256 key (PKCS#8) that signs requests sent --via.
    #[arg(long, value_name = "KEY")]
    pub device_key: Option<PathBuf>,
    /// The traveller's transfer code (from `healthpass wallet code`, or their phone): the
    /// service seals the pass for their wallet, which fetches it without an account.
    #[arg(long, value_name = "CODE", requires = "via")]
    pub transfer_code: Option<String>,
    /// How long to keep trying --via before leaving the request queued (the pharmacist then
    /// hands over the signed paper fallback).
    #[arg(long, value_name = "SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=300))]
    pub wait_seconds: u32,
    /// Pass lifetime after the sample time, in hours.
    #[arg(long, default_value_t = 72)]
    pub valid_hours: i64,
    /// Write the QR code as PNG.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Write the QR code as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write the printable attestation page (SVG, A4).
    #[arg(long, value_name = "FILE")]
    pub page: Option<PathBuf>,
    /// Issue as at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print JSON (text, certificate id, times, QR version).
    #[arg(long)]
    pub json: bool,
}

fn parse_test_type(text: &str) -> Result<TestType, String> {
    TestType::parse(text).ok_or_else(|| "expected rat or naat".into())
}

fn parse_result(text: &str) -> Result<TestResult, String> {
    TestResult::parse(text).ok_or_else(|| "expected negative or positive".into())
}

pub fn run(command: &IssueCommand) -> Result<ExitCode, CliError> {
    let IssueCommand::Test(args) = command;
    let now = match &args.at {
        Some(text) => crate::inputs::parse_time(text, "--at")?,
        None => system_now(),
    };
    let (Some(key), Some(cert)) = (&args.key, &args.cert) else {
        return send_via_outbox(args);
    };
    let certificate_der = certificate_der(&read_file(cert)?, cert)?;
    let certificate = DocumentSignerCertificate::from_der(&certificate_der)?;
    let signer = SoftwareSigner::from_pkcs8(&read_file(key)?).map_err(|error| CliError::in_file(key, error))?;
    let policy = IssuingPolicy { pass_lifetime_seconds: args.valid_hours * 3600, ..IssuingPolicy::default() };
    let country = certificate.country().unwrap_or(&args.country).to_owned();
    let issuer = Issuer::new(Arc::new(signer), &certificate_der, &country, policy)?;
    let organization = certificate.organization().map(str::to_owned);
    let request = entry(args, organization)?;
    let pass = issuer.issue_test(&request, now)?;
    let qr = write_outputs(&pass, args.png.as_deref(), args.svg.as_deref(), args.page.as_deref())?;
    if args.json {
        let output = json!({
            "text": pass.text,
            "certificate_id": pass.certificate_id,
            "issued_at": pass.issued_at.to_string(),
            "expires_at": pass.expires_at.to_string(),
            "qr_version": qr.version(),
        });
        crate::output::print_json(&output);
    } else {
        outln!("{}", pass.text);
    }
    Ok(ExitCode::SUCCESS)
}

/// The pharmacist's entry from the flags.
fn entry(args: &IssueTestArgs, organization: Option<String>) -> Result<TestCertificateRequest, CliError> {
    Ok(TestCertificateRequest {
        family_name: args.family_name.clone(),
        given_name: args.given_name.clone(),
        date_of_birth: args.dob.clone(),
        test_type: args.test_type,
        device: args.device.clone(),
        test_name: args.test_name.clone(),
        sampled_at: crate::inputs::parse_time(&args.sampled_at, "--sampled-at")?,
        result: args.result,
        centre: args.centre.clone(),
        country: args.country.clone(),
        issuer: args.issuer.clone().or(organization).unwrap_or_else(|| "Healthpass issuer".into()),
    })
}

/// `--via`: queue the entry durably, then send it while the pharmacist waits.
fn send_via_outbox(args: &IssueTestArgs) -> Result<ExitCode, CliError> {
    let (Some(via), Some(outbox), Some(device_key)) = (&args.via, &args.outbox, &args.device_key) else {
        return Err(CliError::usage("--via needs --outbox and --device-key (or sign here with --key and --cert)"));
    };
    let device = super::outbox::device(device_key)?;
    let outbox = super::outbox::open_waiting(outbox, args.wait_seconds)?;
    let transfer_code = args
        .transfer_code
        .as_deref()
        .map(|code| {
            healthpass_core::protocol::TransferCode::parse(code)
                .map(|code| code.to_string())
                .map_err(|error| CliError::usage(format!("--transfer-code: {error}")))
        })
        .transpose()?;
    let request = IssuanceRequest::from_test_request(&entry(args, None)?, transfer_code);
    let ticket = outbox.enqueue(via, &request, RetryProfile::Interactive, super::outbox::now_millis())?;
    let transport = super::outbox::HttpTransport::new();
    let delivery = outbox.send_now(&ticket, &transport, &device, &super::outbox::now_millis, &std::thread::sleep)?;
    Ok(super::outbox::print_delivery(&ticket, &delivery, args.json))
}

/// Writes the requested renderings; returns the QR matrix.
pub fn write_outputs(
    pass: &IssuedPass,
    png: Option<&Path>,
    svg: Option<&Path>,
    page: Option<&Path>,
) -> Result<QrMatrix, CliError> {
    let qr = QrMatrix::for_text(&pass.text)?;
    let write = write_file;
    if let Some(path) = png {
        write(path, &qr.to_png(8))?;
    }
    if let Some(path) = svg {
        write(path, qr.to_svg(60.0).as_bytes())?;
    }
    if let Some(path) = page {
        write(path, attestation_svg(&pass.dcc, pass.expires_at, &qr).as_bytes())?;
    }
    Ok(qr)
}

/// The DER of the first certificate in a PEM or DER file.
pub fn certificate_der(bytes: &[u8], path: &Path) -> Result<Vec<u8>, CliError> {
    DocumentSignerCertificate::from_file_bytes(bytes)
        .map_err(|error| CliError::in_file(path, error))?
        .into_iter()
        .next()
        .map(|certificate| certificate.der().to_vec())
        .ok_or_else(|| CliError::in_file(path, "no certificate in the file"))
}
