//! `healthpass keys demo-authority`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use healthpass_core::dcc::CertificateType;
use healthpass_core::issue::authority::{self, CertificateRequest};
use healthpass_core::trust::Kid;

use crate::error::CliError;
use crate::inputs::system_now;
use crate::outln;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a demo country signing CA and a document signer certificate allowed to sign test
    /// certificates, with their keys, as PEM files in DIR (csca.pem, csca-key.pem, dsc.pem,
    /// dsc-key.pem). For demonstrations and tests only.
    DemoAuthority {
        /// Where to write the four PEM files (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// ISO 3166-1 alpha-2 country of the authority.
        #[arg(long, default_value = "FR")]
        country: String,
        /// The organization named in both certificates.
        #[arg(long, default_value = "Healthpass Demo Authority")]
        organization: String,
        /// Validity of the document signer certificate, in days (the CA gets twice as long).
        #[arg(long, default_value_t = 730)]
        days: i64,
    },
}

pub fn run(command: &KeysCommand) -> Result<ExitCode, CliError> {
    let KeysCommand::DemoAuthority { out, country, organization, days } = command;
    if !(1..=3650).contains(days) {
        return Err(CliError::usage("--days must be between 1 and 3650"));
    }
    let country = country.to_ascii_uppercase();
    std::fs::create_dir_all(out).map_err(|error| CliError::writing(out, error))?;
    let now = system_now();
    let serial = u64::try_from(now.seconds()).unwrap_or(1);
    let request = |common_name: &'static str, lifetime_days: i64, serial: u64| CertificateRequest {
        country: &country,
        common_name,
        organization,
        not_before: now.saturating_sub(3600),
        not_after: now.saturating_add(lifetime_days * 86_400),
        serial,
    };
    let csca = authority::country_signing_ca(&request("Demo Country Signing CA", days * 2, serial), random_key()?)?;
    let dsc = authority::document_signer(
        &request("Demo Document Signer (tests)", *days, serial + 1),
        random_key()?,
        &[CertificateType::Test],
        &csca,
    )?;
    let files = [
        ("csca.pem", csca.certificate_pem()),
        ("csca-key.pem", csca.key_pkcs8_pem()?),
        ("dsc.pem", dsc.certificate_pem()),
        ("dsc-key.pem", dsc.key_pkcs8_pem()?),
    ];
    for (name, contents) in &files {
        let path = out.join(name);
        crate::inputs::write_file(&path, contents.as_bytes())?;
        restrict_permissions(&path, name.ends_with("-key.pem"));
        outln!("wrote {}", crate::output::safe(&path.display().to_string()));
    }
    outln!(
        "document signer kid {} ({country}), valid {days} days, may sign: test certificates",
        Kid::of_certificate(&dsc.certificate_der)
    );
    Ok(ExitCode::SUCCESS)
}

/// A fresh P-256 key from the operating system's randomness.
fn random_key() -> Result<p256::ecdsa::SigningKey, CliError> {
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| CliError::System(format!("no randomness: {error}")))?;
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&bytes) {
            return Ok(key);
        }
    }
    Err(CliError::System("could not draw a valid P-256 key".into()))
}

#[cfg(unix)]
fn restrict_permissions(path: &std::path::Path, secret: bool) {
    use std::os::unix::fs::PermissionsExt;
    if secret {
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &std::path::Path, _secret: bool) {}
