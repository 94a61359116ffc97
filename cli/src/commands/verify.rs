//! `healthpass verify`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use healthpass_core::verify::{Reason, Verdict, Verifier, VerifyError};

use crate::error::CliError;
use crate::inputs::{self, BundleArgs, TrustArgs};
use crate::{demo_material, output};

#[derive(Args)]
pub struct VerifyArgs {
    /// The pass text (HC1:..., or a French 2D-DOC DC04...), or - to read it from standard input.
    pub text: Option<String>,
    /// Read the pass from a PNG or JPEG picture of its code.
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    pub image: Option<PathBuf>,
    /// Trust the demo material shipped with the program (its signer, and its anchor for
    /// --bundle); without a pass, verify the embedded demo pass. Demo keys are published:
    /// never use this for real checks.
    #[arg(long, conflicts_with_all = ["dsc", "trust_list", "anchors"])]
    pub demo: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub bundle: BundleArgs,
    /// Verify at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print the verdict as JSON (also when the input is not a pass).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let text = match (&args.image, args.text.as_deref(), args.demo) {
        (Some(path), _, _) => inputs::pass_text_from_image(path)?,
        (None, None, true) => demo_material::PASS.trim().to_owned(),
        (None, text, _) => inputs::read_pass_text(text)?,
    };
    let now = inputs::verification_time(args.at.as_deref())?;
    let verifier = build_verifier(args.demo, &args.trust, &args.bundle)?;
    let verdict = match verifier.verify_text(&text, now) {
        Ok(verdict) => verdict,
        Err(error) => return not_a_pass(&error, args.json),
    };
    if args.json {
        output::print_json(&output::verdict_json(&verdict));
    } else {
        output::write_stdout(&output::verdict_text(&verdict));
        hint_about_demo_signer(&verdict, args.demo);
    }
    // A provisional pass (amber) lets the holder pass: exit 0; `--json` says which.
    Ok(if verdict.is_accepted() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The verifier for the trust the user gave: signers, trust lists, a bundle under pinned
/// anchors, or (only with --demo) the demo material.
pub fn build_verifier(demo: bool, trust: &TrustArgs, bundle: &BundleArgs) -> Result<Verifier, CliError> {
    let mut signers = inputs::load_trust(trust)?;
    if demo {
        signers.add(demo_material::signer()?);
    }
    match &bundle.bundle {
        Some(path) => {
            let anchors = inputs::pinned_anchors(&bundle.anchors, demo)?;
            let loaded = inputs::load_bundle(path, anchors, inputs::system_now())?;
            let verifier = Verifier::with_bundle(loaded, bundle.country.as_deref())
                .map_err(|error| CliError::in_file(path, error))?;
            // Signers given beside a bundle add to it.
            Ok(if signers.is_empty() { verifier } else { verifier.with_extra_signers(signers) })
        }
        None => {
            if !bundle.anchors.is_empty() {
                return Err(CliError::usage("--anchor pins a bundle signer; give the bundle with --bundle FILE"));
            }
            inputs::warn_if_no_trust(&signers);
            Ok(Verifier::new(signers))
        }
    }
}

fn not_a_pass(error: &VerifyError, json: bool) -> Result<ExitCode, CliError> {
    let message = format!("not a pass: {error}");
    if json {
        let stage = match error {
            VerifyError::Decode(decode) => decode.stage(),
            VerifyError::Hcert(_) => "hcert",
            VerifyError::TwoDDoc(two_d_doc) => two_d_doc.code(),
        };
        output::print_json(&output::not_a_pass_json(Some(stage), &message));
        return Ok(ExitCode::from(2));
    }
    Err(CliError::Usage(message))
}

/// `healthpass demo` writes a pass signed by the demo signer; verifying its picture without
/// --demo says kid_unknown, which alone would not tell a user what to do.
fn hint_about_demo_signer(verdict: &Verdict, demo: bool) {
    let demo_kid = demo_material::signer_kid();
    let signed_by_demo =
        verdict.reasons.iter().any(|reason| matches!(reason, Reason::KeyIdUnknown { kid } if Some(*kid) == demo_kid));
    if signed_by_demo && !demo {
        eprintln!(
            "healthpass: this pass is signed by the healthpass demo signer; add --demo to trust the demo \
             material (its keys are published: never for real checks)"
        );
    }
}
