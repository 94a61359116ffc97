//! `healthpass demo`: the story on embedded demo keys — issue a pass, render its QR as PNG,
//! scan the PNG back, verify offline; then the central issuer on loopback, the outbox, and an
//! outage the outbox rides out; then French 2D-DOC paper certificates — printing each step.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use healthpass_core::issue::{Issuer, IssuingPolicy, SoftwareSigner, TestCertificateRequest, TestResult, TestType};
use healthpass_core::scan::Scanner;
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::trust::BundleStore;
use healthpass_core::verify::Verifier;

use super::issue::write_outputs;
use crate::demo_material;
use crate::error::CliError;
use crate::inputs::{read_file, system_now};
use crate::outln;
use crate::output;

#[derive(Args)]
pub struct DemoArgs {
    /// Where to write pass.png and page.svg (default: a folder in the system's temp dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &DemoArgs) -> Result<ExitCode, CliError> {
    let out = args.out.clone().unwrap_or_else(|| std::env::temp_dir().join("healthpass-demo"));
    std::fs::create_dir_all(&out).map_err(|error| CliError::writing(&out, error))?;
    let certificate = demo_material::signer()?;
    let signer = SoftwareSigner::from_pkcs8(demo_material::SIGNER_KEY.as_bytes()).map_err(CliError::internal)?;
    let issuer = Issuer::new(Arc::new(signer), certificate.der(), "FR", IssuingPolicy::default())?;
    let now = system_now();

    outln!("1. A pharmacist enters a rapid antigen test result (fictitious holder)");
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
    outln!(
        "   Dubois-Lefèvre, Amélie, born 1987-04-12; Abbott Panbio (1232), negative, sampled {}",
        request.sampled_at
    );

    let started = Instant::now();
    let pass = issuer.issue_test(&request, now)?;
    outln!("2. Issued and signed on this device in {:.1} ms (ES256, kid {})", ms(started), certificate.kid());
    outln!("   certificate id {}", pass.certificate_id);
    outln!("   valid until {}", pass.expires_at);
    outln!("   {} characters: {}…", pass.text.len(), pass.text.get(..48).unwrap_or(&pass.text));

    let started = Instant::now();
    let png_path = out.join("pass.png");
    let page_path = out.join("page.svg");
    let qr = write_outputs(&pass, Some(&png_path), None, Some(&page_path))?;
    outln!("3. Rendered the QR code (version {}, error correction Q) in {:.1} ms", qr.version(), ms(started));
    outln!("   {}", png_path.display());
    outln!("   {} (printable attestation)", page_path.display());

    let started = Instant::now();
    let png = read_file(&png_path)?;
    let frame = decode_image(&png)?;
    let codes = Scanner::default().scan(&frame.view());
    let scanned = codes.iter().find(|code| code.text == pass.text);
    outln!(
        "4. Scanned the PNG back in {:.1} ms: {}",
        ms(started),
        if scanned.is_some() { "the same text" } else { "NOT READ" }
    );
    let Some(scanned) = scanned else {
        return Err(CliError::internal("the rendered QR code did not scan back"));
    };

    let started = Instant::now();
    let mut store = BundleStore::new(vec![demo_material::anchor()?]);
    let bundle = store
        .install(demo_material::BUNDLE, now)
        .map_err(|error| CliError::internal(format!("the embedded demo bundle: {error}")))?;
    let verifier = Verifier::with_bundle(bundle, Some("FR")).map_err(CliError::internal)?;
    let verdict = verifier.verify_text(&scanned.text, now).map_err(CliError::internal)?;
    outln!(
        "5. Verified offline in {:.1} ms with the signed demo trust bundle (signers, revocations, French rules):",
        ms(started)
    );
    for line in output::verdict_text(&verdict).lines() {
        outln!("   {line}");
    }
    if !verdict.is_valid() {
        return Ok(ExitCode::from(1));
    }
    super::demo_outage::run(&out, &request, &verifier)?;
    super::demo_two_d_doc::run(&out, now)?;
    Ok(ExitCode::SUCCESS)
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
