//! `healthpass wallet add|list|show|remove|export|code|fetch`: the traveller's wallet on this
//! machine. Passes are sealed at rest (AES-256-GCM) with a key file beside the wallet, created
//! on first use with owner-only permissions: what the phones keep in their key stores, here in
//! a file. `--plain` creates a wallet without one, and every command says which it is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use healthpass_core::protocol::TransferCode;
use healthpass_core::render::QrMatrix;
use healthpass_core::time::UnixTime;
use healthpass_core::wallet::{
    ExportFormat, PassSource, PassState, Protection, SoftwareStorageKey, StorageKey, TransferState, Wallet,
    WalletError, WalletPass, WalletStoreError,
};

use crate::commands::outbox::HttpTransport;
use crate::commands::verify::build_verifier;
use crate::error::CliError;
use crate::inputs::{BundleArgs, TrustArgs, read_file, verification_time, write_file};
use crate::outln;
use crate::output::safe;

#[derive(Subcommand)]
pub enum WalletCommand {
    /// Add a pass: its text (or - for standard input), --image PICTURE, or --file FILE (a
    /// picture or a text file).
    Add(AddArgs),
    /// The passes and their state now (or --at): valid, expiring_soon, expired, provisional,
    /// revoked (with a bundle), replaced (with --all), unreadable.
    List(ListArgs),
    /// One pass: its details, its QR code in the terminal, and its text.
    Show(ShowArgs),
    /// Remove a pass (and the provisional pass it replaced).
    Remove(RemoveArgs),
    /// Write a pass as PNG or SVG of its QR code, or as its attestation page.
    Export(ExportArgs),
    /// Make a transfer code for the pharmacist: the final pass is delivered to this wallet.
    Code(CodeArgs),
    /// Fetch the passes waiting for this wallet's transfer codes (with --wait, poll with
    /// backoff until one arrives or the time is up).
    Fetch(FetchArgs),
}

#[derive(Args)]
pub struct WalletFile {
    /// The wallet file (created if missing). Default: $HEALTHPASS_WALLET, else
    /// ~/.local/share/healthpass/wallet.sqlite.
    #[arg(long, value_name = "FILE")]
    wallet: Option<PathBuf>,
    /// Create the wallet without encryption at rest (its passes in clear in the file).
    #[arg(long)]
    plain: bool,
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    file: WalletFile,
    /// The pass text (HC1:... or a 2D-DOC), or - to read standard input.
    #[arg(allow_hyphen_values = true, conflicts_with_all = ["image", "from_file"])]
    text: Option<String>,
    /// A picture (PNG or JPEG) of the pass's code.
    #[arg(long, value_name = "PICTURE")]
    image: Option<PathBuf>,
    /// A file holding the pass: a picture of its code or its text.
    #[arg(long = "file", value_name = "FILE")]
    from_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    file: WalletFile,
    /// The time of the states (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Include replaced passes (history).
    #[arg(long)]
    all: bool,
    /// Check signatures, revocations and rules against the demo material.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    bundle: BundleArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    file: WalletFile,
    /// The pass's id (from `wallet list`).
    id: i64,
}

#[derive(Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    file: WalletFile,
    /// The pass's id.
    id: i64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportKind {
    /// The QR code, PNG.
    Png,
    /// The QR code, SVG.
    Svg,
    /// The bilingual attestation page, SVG (A4).
    Page,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    file: WalletFile,
    /// The pass's id.
    id: i64,
    /// What to write.
    #[arg(long, value_enum, default_value = "png")]
    format: ExportKind,
    /// Where.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Args)]
pub struct CodeArgs {
    #[command(flatten)]
    file: WalletFile,
    /// The issuer service the pharmacy sends to (http://host:port).
    #[arg(long, value_name = "URL")]
    issuer: String,
}

#[derive(Args)]
pub struct FetchArgs {
    #[command(flatten)]
    file: WalletFile,
    /// Keep polling (with the wallet's backoff: 30 s doubling to an hour) for up to this many
    /// seconds, until a pass arrives.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=86_400))]
    wait: Option<u32>,
}

pub fn run(command: &WalletCommand) -> Result<ExitCode, CliError> {
    match command {
        WalletCommand::Add(args) => add(args),
        WalletCommand::List(args) => list(args),
        WalletCommand::Show(args) => show(args),
        WalletCommand::Remove(args) => {
            let wallet = open(&args.file)?;
            if wallet.remove(args.id)? {
                outln!("removed pass {}", args.id);
                Ok(ExitCode::SUCCESS)
            } else {
                Err(CliError::usage(format!("no pass {} in the wallet", args.id)))
            }
        }
        WalletCommand::Export(args) => {
            let wallet = open(&args.file)?;
            let format = match args.format {
                ExportKind::Png => ExportFormat::Png,
                ExportKind::Svg => ExportFormat::Svg,
                ExportKind::Page => ExportFormat::Attestation,
            };
            write_file(&args.out, &wallet.export(args.id, format)?)?;
            outln!("wrote {}", safe(&args.out.display().to_string()));
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::Code(args) => code(args),
        WalletCommand::Fetch(args) => fetch(args),
    }
}

impl From<WalletError> for CliError {
    fn from(error: WalletError) -> Self {
        match error {
            // The disk, not the input.
            WalletError::Store(WalletStoreError::Database(_)) => Self::System(error.to_string()),
            _ => Self::Usage(error.to_string()),
        }
    }
}

fn wallet_path(file: &WalletFile) -> Result<PathBuf, CliError> {
    if let Some(path) = &file.wallet {
        return Ok(path.clone());
    }
    if let Some(path) = std::env::var_os("HEALTHPASS_WALLET").filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| CliError::usage("no HOME to keep the wallet in; give --wallet FILE or set HEALTHPASS_WALLET"))?;
    Ok(PathBuf::from(home).join(".local/share/healthpass/wallet.sqlite"))
}

/// The key file of `wallet`: `wallet.sqlite.key`, 32 random bytes, owner-only.
fn key_path(wallet: &Path) -> PathBuf {
    let mut name = wallet.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn load_or_create_key(path: &Path, create: bool) -> Result<Option<Arc<dyn StorageKey>>, CliError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let key: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| CliError::in_file(path, "a wallet key file holds exactly 32 bytes"))?;
            Ok(Some(Arc::new(SoftwareStorageKey::new(&key))))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && create => {
            let key = SoftwareStorageKey::generate().map_err(|error| CliError::System(error.to_string()))?;
            write_private(path, &key)?;
            Ok(Some(Arc::new(SoftwareStorageKey::new(&key))))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(CliError::in_file(path, error)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|error| CliError::writing(path, error))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|error| CliError::writing(path, error))
}

fn open(file: &WalletFile) -> Result<Wallet, CliError> {
    let path = wallet_path(file)?;
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| CliError::writing(parent, error))?;
    }
    let exists = path.exists();
    // A new wallet is sealed unless --plain; an existing one is opened as it was made.
    let key = load_or_create_key(&key_path(&path), !exists && !file.plain)?;
    let wallet = Wallet::open(&path, key)?;
    if !exists {
        match wallet.protection() {
            Protection::Sealed => eprintln!(
                "healthpass: new wallet {} (passes sealed with AES-256-GCM, key in {})",
                safe(&path.display().to_string()),
                safe(&key_path(&path).display().to_string())
            ),
            Protection::Plain => eprintln!(
                "healthpass: new wallet {} WITHOUT encryption at rest (--plain): its passes are readable in the file",
                safe(&path.display().to_string())
            ),
        }
    }
    Ok(wallet)
}

fn now() -> UnixTime {
    crate::inputs::system_now()
}

fn add(args: &AddArgs) -> Result<ExitCode, CliError> {
    let wallet = open(&args.file)?;
    let added = match (&args.image, &args.from_file, args.text.as_deref()) {
        (Some(path), _, _) | (_, Some(path), _) => wallet.add_file(&read_file(path)?, now())?,
        (None, None, Some(_)) => {
            let text = crate::inputs::read_pass_text(args.text.as_deref())?;
            wallet.add_text(&text, PassSource::Text, now())?
        }
        (None, None, None) => {
            return Err(CliError::usage("give the pass text, - for standard input, --image PICTURE or --file FILE"));
        }
    };
    if added.duplicate {
        outln!("the wallet already holds this pass (id {})", added.id);
    } else {
        outln!("added pass {}", added.id);
    }
    for replaced in &added.replaced {
        outln!("  it replaces provisional pass {replaced} (kept in the history: wallet list --all)");
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(pass: &WalletPass) -> String {
    let kind = pass.certificate_type.map_or("pass", |kind| kind.name());
    let expires = pass.expires_at.map_or_else(|| "no expiry".to_owned(), |at| format!("until {}", at.to_rfc3339()));
    let mut line = format!("{:>4}  {:<13} {:<11} {}", pass.id, pass.state.name(), kind, safe(&pass.holder));
    line.push_str(&format!("  {expires}"));
    if let Some(pharmacy) = &pass.pharmacy {
        line.push_str(&format!("  provisional, by {}", safe(pharmacy)));
    }
    if let Some(replaced_by) = pass.replaced_by {
        line.push_str(&format!("  replaced by {replaced_by}"));
    }
    if !pass.reasons.is_empty() {
        line.push_str(&format!("  [{}]", pass.reasons.join(", ")));
    }
    if let Some(problem) = &pass.problem {
        line.push_str(&format!("  {}", safe(problem)));
    }
    line
}

fn list(args: &ListArgs) -> Result<ExitCode, CliError> {
    let wallet = open(&args.file)?;
    let at = verification_time(args.at.as_deref())?;
    let checking =
        args.demo || args.bundle.bundle.is_some() || !args.trust.dsc.is_empty() || !args.trust.trust_list.is_empty();
    let verifier = if checking { Some(build_verifier(args.demo, &args.trust, &args.bundle)?) } else { None };
    let passes = if args.all { wallet.history(at, verifier.as_ref())? } else { wallet.list(at, verifier.as_ref())? };
    if args.json {
        let items: Vec<serde_json::Value> = passes
            .iter()
            .map(|pass| {
                serde_json::json!({
                    "id": pass.id,
                    "state": pass.state.name(),
                    "checked": pass.checked,
                    "reasons": pass.reasons,
                    "type": pass.certificate_type.map(|kind| kind.name()),
                    "uvci": pass.uvci,
                    "provisional": pass.provisional,
                    "pharmacy": pass.pharmacy,
                    "expires_at": pass.expires_at.map(UnixTime::to_rfc3339),
                    "added_at": pass.added_at.to_rfc3339(),
                    "source": pass.source.name(),
                    "replaced_by": pass.replaced_by,
                    "problem": pass.problem,
                })
            })
            .collect();
        crate::output::print_json(&serde_json::json!({ "at": at.to_rfc3339(), "passes": items }));
    } else {
        if !checking {
            outln!("states from the passes' dates only (signatures not checked: add --bundle, --dsc or --demo)");
        }
        if passes.is_empty() {
            outln!("the wallet holds no pass");
        }
        for pass in &passes {
            outln!("{}", describe(pass));
        }
    }
    let unreadable = passes.iter().any(|pass| pass.state == PassState::Unreadable);
    Ok(if unreadable { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The QR code in the terminal: two rows of modules per line, with half blocks.
fn terminal_qr(qr: &QrMatrix) -> String {
    let quiet = 2_i64;
    let width = qr.width() as i64;
    let dark = |x: i64, y: i64| x >= 0 && y >= 0 && x < width && y < width && qr.is_dark(x as usize, y as usize);
    let mut out = String::new();
    let mut y = -quiet;
    while y < width + quiet {
        for x in -quiet..width + quiet {
            // Light modules print as the terminal's foreground block: scanners read the inverse
            // fine, and dark terminals are the common case.
            out.push(match (dark(x, y), dark(x, y + 1)) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    out
}

fn show(args: &ShowArgs) -> Result<ExitCode, CliError> {
    let wallet = open(&args.file)?;
    let pass = wallet.pass(args.id, now(), None)?;
    let text = wallet.pass_text(args.id)?;
    outln!("{}", describe(&pass));
    if let Some(uvci) = &pass.uvci {
        outln!("certificate id: {}", safe(uvci));
    }
    outln!("added {} from {}", pass.added_at.to_rfc3339(), pass.source.name());
    outln!("{}", terminal_qr(&wallet.qr(args.id)?));
    outln!("{}", safe(&text));
    Ok(ExitCode::SUCCESS)
}

fn code(args: &CodeArgs) -> Result<ExitCode, CliError> {
    let wallet = open(&args.file)?;
    let code: TransferCode = wallet.create_transfer(&args.issuer, now())?;
    // Registered now if the service answers; otherwise on the next `wallet fetch`.
    let report = wallet.fetch_transfers(&HttpTransport::new(), false, now())?;
    let state = wallet
        .transfers()?
        .into_iter()
        .find(|status| status.code == code)
        .map_or(TransferState::Unregistered, |status| status.state);
    outln!("transfer code: {code}");
    match state {
        TransferState::Unregistered => outln!(
            "  not yet registered ({} request(s) unanswered): `healthpass wallet fetch` registers it when the service answers",
            report.unanswered
        ),
        _ => outln!("  registered; give it to the pharmacist, then run `healthpass wallet fetch`"),
    }
    Ok(ExitCode::SUCCESS)
}

fn fetch(args: &FetchArgs) -> Result<ExitCode, CliError> {
    let wallet = open(&args.file)?;
    let transport = HttpTransport::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(u64::from(args.wait.unwrap_or(0)));
    let mut force = true;
    let mut added = Vec::new();
    loop {
        let report = wallet.fetch_transfers(&transport, force, now())?;
        force = false;
        added.extend(report.added);
        let open: Vec<_> = wallet
            .transfers()?
            .into_iter()
            .filter(|status| matches!(status.state, TransferState::Unregistered | TransferState::Waiting))
            .collect();
        if !added.is_empty() || open.is_empty() || args.wait.is_none() || std::time::Instant::now() >= deadline {
            break;
        }
        let next = open.iter().map(|status| status.next_poll_at.seconds()).min().unwrap_or(now().seconds() + 30);
        let wait = (next - now().seconds()).clamp(1, 3600) as u64;
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        std::thread::sleep(Duration::from_secs(wait).min(left));
    }
    for pass in &added {
        if pass.duplicate {
            outln!("received pass {} again (already in the wallet)", pass.id);
        } else {
            outln!("received pass {}", pass.id);
        }
        for replaced in &pass.replaced {
            outln!("  it replaces provisional pass {replaced}");
        }
    }
    for status in wallet.transfers()? {
        let mut line = format!("code {}: {}", status.code, status.state.name());
        if status.received > 0 {
            line.push_str(&format!(", {} pass(es) received", status.received));
        }
        if matches!(status.state, TransferState::Unregistered | TransferState::Waiting) {
            line.push_str(&format!(", next poll {}", status.next_poll_at.to_rfc3339()));
        }
        if let Some(error) = &status.last_error {
            line.push_str(&format!(" (last: {})", safe(error)));
        }
        outln!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
