//! Reading what the user gives: files, pass text, trust (signers, trust lists, bundles) and
//! times. The system clock is read here, at the edge, and passed into the core.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::scan::{Scanner, choose_pass_code};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{
    BundleStore, DocumentSignerCertificate, TrustAnchor, TrustBundle, TrustStore, import_trust_list,
};

use crate::demo_material;
use crate::error::CliError;

/// Files larger than this are not read: the largest legitimate input (a trust bundle of
/// every EU signer with millions of revocation hashes) is far smaller.
const MAX_INPUT_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Pass text on standard input: far above a QR code's 4,296 characters.
const MAX_STDIN_BYTES: u64 = 1024 * 1024;

/// Where trusted signers come from.
#[derive(Args, Clone, Default)]
pub struct TrustArgs {
    /// A trusted document signer certificate (DER, PEM or base64); repeatable.
    #[arg(long = "dsc", value_name = "FILE")]
    pub dsc: Vec<PathBuf>,
    /// A trust list in the EU gateway JSON format; repeatable.
    #[arg(long = "trust-list", value_name = "FILE")]
    pub trust_list: Vec<PathBuf>,
}

/// A signed trust bundle and the anchors it must be signed by.
#[derive(Args, Clone, Default)]
pub struct BundleArgs {
    /// A signed trust bundle: its signers, validity, revocations and business rules apply.
    /// Needs the anchor that signed it (--anchor), or --demo for the demo bundle's anchor.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// A pinned bundle anchor (P-256 public key PEM/DER, or a certificate holding one);
    /// repeatable. Only bundles signed by a pinned anchor are accepted.
    #[arg(long = "anchor", value_name = "FILE")]
    pub anchors: Vec<PathBuf>,
    /// The arrival country whose acceptance rules apply (with --bundle).
    #[arg(long, value_name = "CC", requires = "bundle")]
    pub country: Option<String>,
}

pub fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    let file = std::fs::File::open(path).map_err(|error| CliError::in_file(path, error))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|error| CliError::in_file(path, error))?;
    if bytes.len() as u64 > MAX_INPUT_FILE_BYTES {
        return Err(CliError::in_file(path, format!("larger than {MAX_INPUT_FILE_BYTES} bytes; not read")));
    }
    Ok(bytes)
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|error| CliError::writing(path, error))
}

/// The signer certificates and trust lists named on the command line.
pub fn load_trust(args: &TrustArgs) -> Result<TrustStore, CliError> {
    let mut trust = TrustStore::new();
    for path in &args.dsc {
        let certificates = DocumentSignerCertificate::from_file_bytes(&read_file(path)?)
            .map_err(|error| CliError::in_file(path, error))?;
        trust.extend(certificates);
    }
    for path in &args.trust_list {
        let import = import_trust_list(&read_file(path)?).map_err(|error| CliError::in_file(path, error))?;
        for skipped in &import.skipped {
            eprintln!(
                "healthpass: {}: entry {} (kid {}, country {}) skipped: {}",
                crate::output::safe(&path.display().to_string()),
                skipped.index,
                crate::output::safe(skipped.kid.as_deref().unwrap_or("-")),
                crate::output::safe(skipped.country.as_deref().unwrap_or("-")),
                crate::output::safe(&skipped.reason)
            );
        }
        trust.extend(import.certificates);
    }
    Ok(trust)
}

pub fn warn_if_no_trust(trust: &TrustStore) {
    if trust.is_empty() {
        eprintln!(
            "healthpass: no trusted signer certificates given (--dsc, --trust-list, --bundle); no HC1 signature can \
             verify (2D-DOCs are checked against the built-in French signers)"
        );
    }
}

/// The anchors the user pinned; the demo anchor only when the demo was asked for, and never
/// beside a real one (its private key is published, so anyone can sign with it).
pub fn pinned_anchors(paths: &[PathBuf], demo: bool) -> Result<Vec<TrustAnchor>, CliError> {
    if demo {
        if !paths.is_empty() {
            return Err(CliError::usage("--demo pins only the demo anchor; it cannot be combined with --anchor"));
        }
        return Ok(vec![demo_material::anchor()?]);
    }
    paths
        .iter()
        .map(|path| TrustAnchor::from_bytes(&read_file(path)?).map_err(|error| CliError::in_file(path, error)))
        .collect()
}

/// Loads and checks a bundle file at `now` against the pinned anchors.
pub fn load_bundle(path: &Path, anchors: Vec<TrustAnchor>, now: UnixTime) -> Result<Arc<TrustBundle>, CliError> {
    if anchors.is_empty() {
        return Err(CliError::usage(
            "a trust bundle is only trusted when it is signed by a pinned anchor: give --anchor FILE \
             (or --demo for the demo bundle)",
        ));
    }
    let mut store = BundleStore::new(anchors);
    store.install(&read_file(path)?, now).map_err(|error| CliError::in_file(path, error))
}

/// The pass text from the argument or standard input, trimmed of surrounding whitespace
/// (scanners and shells add line ends).
pub fn read_pass_text(argument: Option<&str>) -> Result<String, CliError> {
    match argument {
        Some("-") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_STDIN_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|error| CliError::usage(format!("standard input: {error}")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| CliError::usage("standard input is not UTF-8 text; a pass is HC1: text"))?;
            Ok(text.trim().to_owned())
        }
        Some(text) => Ok(text.trim().to_owned()),
        None => Err(CliError::usage("give the pass text, - to read it from standard input, --image FILE, or --demo")),
    }
}

/// The pass text in a picture: the code carrying a pass, or else the first code.
pub fn pass_text_from_image(path: &Path) -> Result<String, CliError> {
    let frame = decode_image(&read_file(path)?).map_err(|error| CliError::in_file(path, error))?;
    let codes = Scanner::default().scan(&frame.view());
    choose_pass_code(&codes)
        .map(|code| code.text.clone())
        .ok_or_else(|| CliError::in_file(path, "no QR or Aztec code found in the picture"))
}

pub fn verification_time(at: Option<&str>) -> Result<UnixTime, CliError> {
    match at {
        Some(text) => parse_time(text, "--at"),
        None => Ok(system_now()),
    }
}

pub fn parse_time(text: &str, option: &str) -> Result<UnixTime, CliError> {
    UnixTime::parse_rfc3339(text).map_err(|error| CliError::usage(format!("{option}: {error}")))
}

pub fn parse_duration(text: &str, option: &str) -> Result<i64, CliError> {
    healthpass_core::time::parse_duration_seconds(text)
        .map_err(|error| CliError::usage(format!("{option} {text:?}: {error}")))
}

/// The system clock, read at the edge of the program and passed into the core.
pub fn system_now() -> UnixTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    UnixTime::from_seconds(seconds)
}
