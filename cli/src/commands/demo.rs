//! `healthpass demo`: the story offline, on embedded demo keys — issue a pass, render its QR
//! as PNG, scan the PNG back, verify offline — printing each step.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use healthpass_core::issue::{Issuer, IssuingPolicy, SoftwareSigner, TestCertificateRequest, TestResult, TestType};
use healthpass_core::scan::Scanner;
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::trust::{BundleStore, DocumentSignerCertificate};
use healthpass_core::verify::Verifier;

use super::bundle::{DEMO_BUNDLE, anchors};
use super::issue::write_outputs;
use super::verify::{DEMO_SIGNER, system_now};
use crate::UsageError;
use crate::output;

/// The demo signer's key: a fixed, published key for demonstrations only.
const DEMO_SIGNER_KEY: &str = include_str!("../../demo/signer-key.pem");

#[derive(Args)]
pub struct DemoArgs {
    /// Where to write pass.png and page.svg (default: a folder in the system's temp dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &DemoArgs) -> Result<ExitCode, UsageError> {
    let out = args.out.clone().unwrap_or_else(|| std::env::temp_dir().join("healthpass-demo"));
    std::fs::create_dir_all(&out).map_err(|error| UsageError(format!("{}: {error}", out.display())))?;
    let certificate = DocumentSignerCertificate::from_file_bytes(DEMO_SIGNER.as_bytes())?
        .into_iter()
        .next()
        .ok_or_else(|| UsageError("the embedded demo certificate is missing".into()))?;
    let signer = SoftwareSigner::from_pkcs8(DEMO_SIGNER_KEY.as_bytes(), certificate.kid())?;
    let issuer = Issuer::new(Arc::new(signer), certificate.der(), "FR", IssuingPolicy::default())?;
    let now = system_now();

    println!("1. A pharmacist enters a rapid antigen test result (fictitious holder)");
    let request = TestCertificateRequest {
        family_name: "Dubois-Lefèvre".into(),
        given_name: "Amélie".into(),
        date_of_birth: "1987-04-12".into(),
        test_type: TestType::RapidAntigen,
        device: Some("1232".into()),
        test_name: None,
        sampled_at: now.saturating_sub(20 * 60),
        result: TestResult::Negative,
        centre: "Pharmacie du Centre, Lyon".into(),
        country: "FR".into(),
        issuer: "Healthpass Demo Authority".into(),
    };
    println!(
        "   Dubois-Lefèvre, Amélie, born 1987-04-12; Abbott Panbio (1232), negative, sampled {}",
        request.sampled_at
    );

    let started = Instant::now();
    let pass = issuer.issue_test(&request, now)?;
    println!("2. Issued and signed on this device in {:.1} ms (ES256, kid {})", ms(started), certificate.kid());
    println!("   certificate id {}", pass.certificate_id);
    println!("   valid until {}", pass.expires_at);
    println!("   {} characters: {}…", pass.text.len(), pass.text.get(..48).unwrap_or(&pass.text));

    let started = Instant::now();
    let png_path = out.join("pass.png");
    let page_path = out.join("page.svg");
    let qr = write_outputs(&pass, Some(&png_path), None, Some(&page_path))?;
    println!("3. Rendered the QR code (version {}, error correction Q) in {:.1} ms", qr.version(), ms(started));
    println!("   {}", png_path.display());
    println!("   {} (printable attestation)", page_path.display());

    let started = Instant::now();
    let png = std::fs::read(&png_path).map_err(|error| UsageError(format!("{}: {error}", png_path.display())))?;
    let frame = decode_image(&png)?;
    let codes = Scanner::default().scan(&frame.view());
    let scanned = codes.iter().find(|code| code.text == pass.text);
    println!(
        "4. Scanned the PNG back in {:.1} ms: {}",
        ms(started),
        if scanned.is_some() { "the same text" } else { "NOT READ" }
    );
    let Some(scanned) = scanned else {
        return Err(UsageError("the rendered QR code did not scan back".into()));
    };

    let started = Instant::now();
    let mut store = BundleStore::new(anchors(&[])?);
    let bundle =
        store.install(DEMO_BUNDLE).map_err(|error| UsageError(format!("the embedded demo bundle: {error}")))?;
    let verifier = Verifier::with_bundle(bundle, Some("FR"))?;
    let verdict = verifier.verify_text(&scanned.text, now).map_err(|error| UsageError(error.to_string()))?;
    println!(
        "5. Verified offline in {:.1} ms with the signed demo trust bundle (signers, revocations, French rules):",
        ms(started)
    );
    for line in output::verdict_text(&verdict).lines() {
        println!("   {line}");
    }
    Ok(if verdict.is_valid() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
