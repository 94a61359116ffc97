//! `healthpass bundle build` and `healthpass bundle inspect`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use clap::Subcommand;
use healthpass_core::codec::hex::decode_hex;
use healthpass_core::codec::{self, PassLimits};
use healthpass_core::dcc::{self, CertificateType};
use healthpass_core::rules::BusinessRule;
use healthpass_core::time::UnixTime;
use healthpass_core::trust::revocation::{self, PassRevocationHashes, RevocationHash, RevocationKind};
use healthpass_core::trust::{
    BundleSigner, DeviceRevocation, DocumentSignerCertificate, FallbackRoot, HashList, Kid, RevocationLists,
    TrustAnchor, TrustBundleContents, import_trust_list,
};
use p256::pkcs8::DecodePrivateKey;

use crate::error::CliError;
use crate::inputs::{self, read_file, system_now};
use crate::outln;
use crate::output::{self, safe};

#[derive(Subcommand)]
pub enum BundleCommand {
    /// Build and sign a trust bundle.
    Build(Box<BuildArgs>),
    /// Check a bundle's signature against pinned anchors and print what it holds (a bad
    /// signature, an unknown anchor or an expired bundle is an error).
    Inspect {
        /// The bundle file.
        file: PathBuf,
        /// A pinned anchor (P-256 public key PEM/DER, or a certificate holding one); repeatable.
        #[arg(long = "anchor", value_name = "FILE", required_unless_present = "demo")]
        anchors: Vec<PathBuf>,
        /// Pin the demo anchor instead (for the demo bundle).
        #[arg(long, conflicts_with = "anchors")]
        demo: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct BuildArgs {
    /// The anchor's private key (P-256, PKCS#8 PEM or DER).
    #[arg(long, value_name = "KEY")]
    pub anchor_key: PathBuf,
    /// Signer certificates (DER, PEM with several certificates, or base64); repeatable.
    #[arg(long = "dsc", value_name = "FILE")]
    pub dsc: Vec<PathBuf>,
    /// Narrow a signer to some certificate types: KID=t,v,r (kid in base64); repeatable.
    #[arg(long = "dsc-types", value_name = "KID=TYPES")]
    pub dsc_types: Vec<String>,
    /// EU gateway trust lists; repeatable.
    #[arg(long = "trust-list", value_name = "FILE")]
    pub trust_list: Vec<PathBuf>,
    /// Every rule.json below DIR; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// The upstream value-set files in DIR (default: the value sets built into the program).
    #[arg(long, value_name = "DIR")]
    pub valuesets: Option<PathBuf>,
    /// Revocations, one per line: `uci <UCI>`, `countrycodeuci <CC> <UCI>`, `pass <HC1 text>`,
    /// or `hash uci|countrycodeuci|signature <32 hex digits>`; repeatable.
    #[arg(long = "revoked", value_name = "FILE")]
    pub revoked: Vec<PathBuf>,
    /// A fallback root for provisional passes (P-256 public key PEM/DER); repeatable.
    #[arg(long = "fallback-root", value_name = "FILE")]
    pub fallback_roots: Vec<PathBuf>,
    /// The country stated for the fallback roots.
    #[arg(long, default_value = "FR")]
    pub fallback_country: String,
    /// The authority name stated for the fallback roots.
    #[arg(long, default_value = "National fallback authority")]
    pub fallback_name: String,
    /// A pharmacy device whose delegation is withdrawn: KID@RFC3339; repeatable.
    #[arg(long = "revoke-device", value_name = "KID@TIME")]
    pub revoke_device: Vec<String>,
    /// The bundle's sequence number; each new bundle must have a higher one.
    #[arg(long)]
    pub sequence: u64,
    /// How long the bundle is in force, e.g. 48h, 2d, 1w.
    #[arg(long, value_name = "DURATION")]
    pub valid_for: String,
    /// Start of validity (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    pub not_before: Option<String>,
    /// Where to write the signed bundle.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(command: &BundleCommand) -> Result<ExitCode, CliError> {
    match command {
        BundleCommand::Build(args) => build(args),
        BundleCommand::Inspect { file, anchors, demo, json } => inspect(file, anchors, *demo, *json),
    }
}

fn inspect(file: &Path, anchors: &[PathBuf], demo: bool, json: bool) -> Result<ExitCode, CliError> {
    let now = system_now();
    let bundle = inputs::load_bundle(file, inputs::pinned_anchors(anchors, demo)?, now)?;
    let contents = bundle.contents();
    let summary = serde_json::json!({
        "sequence": contents.sequence,
        "anchor_kid": bundle.anchor_kid().to_base64(),
        "digest": codec::hex::encode_hex(&bundle.digest()),
        "issued_at": contents.issued_at.to_string(),
        "not_before": contents.not_before.to_string(),
        "expires_at": contents.expires_at.to_string(),
        "signers": contents.signers.len(),
        "fallback_roots": contents.fallback_roots.len(),
        "device_revocations": contents.device_revocations.len(),
        "rules": contents.rules.len(),
        "value_sets": contents.value_sets.as_object().map_or(0, |sets| sets.len()),
        "revocations": {
            "uci": contents.revocations.uci.len(),
            "country_code_uci": contents.revocations.country_code_uci.len(),
            "signature": contents.revocations.signature.len(),
        },
        "current": bundle.is_current(now),
    });
    if json {
        output::print_json(&summary);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("trust bundle {} signed by anchor {} (signature valid)", contents.sequence, bundle.anchor_kid());
    outln!("  digest      {}", summary["digest"].as_str().unwrap_or_default());
    outln!("  issued      {}", contents.issued_at);
    outln!(
        "  in force    {} to {}{}",
        contents.not_before,
        contents.expires_at,
        if bundle.is_current(now) { "" } else { "  (NOT in force now)" }
    );
    outln!("  signers     {}", contents.signers.len());
    outln!(
        "  fallback    {} roots, {} device revocations",
        contents.fallback_roots.len(),
        contents.device_revocations.len()
    );
    outln!("  rules       {}", contents.rules.len());
    outln!("  value sets  {}", summary["value_sets"]);
    outln!(
        "  revoked     {} UCI, {} country+UCI, {} signature hashes",
        contents.revocations.uci.len(),
        contents.revocations.country_code_uci.len(),
        contents.revocations.signature.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn build(args: &BuildArgs) -> Result<ExitCode, CliError> {
    let anchor_key = read_anchor_key(&args.anchor_key)?;
    let now = system_now();
    let not_before = match &args.not_before {
        Some(text) => inputs::parse_time(text, "--not-before")?,
        None => now,
    };
    let contents = TrustBundleContents {
        two_d_doc: None,
        sequence: args.sequence,
        issued_at: now,
        not_before,
        expires_at: not_before.saturating_add(inputs::parse_duration(&args.valid_for, "--valid-for")?),
        signers: collect_signers(args)?,
        fallback_roots: collect_fallback_roots(args)?,
        device_revocations: args
            .revoke_device
            .iter()
            .map(|entry| parse_device_revocation(entry))
            .collect::<Result<Vec<_>, _>>()?,
        rules: collect_rules(&args.rules)?,
        value_sets: collect_value_sets(args.valuesets.as_deref())?,
        revocations: collect_revocations(&args.revoked)?,
    };
    let bytes = contents.sign(&anchor_key).map_err(CliError::internal)?;
    inputs::write_file(&args.out, &bytes)?;
    let anchor = TrustAnchor::new(*anchor_key.verifying_key());
    outln!(
        "wrote {} ({} bytes): sequence {}, {} signers, {} rules, {} revocation hashes, anchor {}, in force {} to {}",
        safe(&args.out.display().to_string()),
        bytes.len(),
        contents.sequence,
        contents.signers.len(),
        contents.rules.len(),
        contents.revocations.total(),
        anchor.kid(),
        contents.not_before,
        contents.expires_at
    );
    Ok(ExitCode::SUCCESS)
}

fn read_anchor_key(path: &Path) -> Result<p256::ecdsa::SigningKey, CliError> {
    let key_bytes = read_file(path)?;
    match std::str::from_utf8(&key_bytes) {
        Ok(pem) if pem.contains("-----BEGIN") => p256::ecdsa::SigningKey::from_pkcs8_pem(pem),
        _ => p256::ecdsa::SigningKey::from_pkcs8_der(&key_bytes),
    }
    .map_err(|_| CliError::in_file(path, "not a P-256 private key in PKCS#8"))
}

fn collect_signers(args: &BuildArgs) -> Result<Vec<BundleSigner>, CliError> {
    let narrowed = parse_dsc_types(&args.dsc_types)?;
    let mut signers = Vec::new();
    for path in &args.dsc {
        let certificates = DocumentSignerCertificate::from_file_bytes(&read_file(path)?)
            .map_err(|error| CliError::in_file(path, error))?;
        for certificate in certificates {
            signers.push(signer_entry(certificate.der().to_vec(), None, &narrowed));
        }
    }
    for path in &args.trust_list {
        let import = import_trust_list(&read_file(path)?).map_err(|error| CliError::in_file(path, error))?;
        for skipped in &import.skipped {
            eprintln!(
                "healthpass: {}: entry {} skipped: {}",
                safe(&path.display().to_string()),
                skipped.index,
                safe(&skipped.reason)
            );
        }
        for certificate in import.certificates {
            signers.push(signer_entry(certificate.der().to_vec(), Some(certificate.kid()), &narrowed));
        }
    }
    Ok(signers)
}

fn collect_rules(dirs: &[PathBuf]) -> Result<Vec<serde_json::Value>, CliError> {
    let mut rules = Vec::new();
    for dir in dirs {
        let mut files = Vec::new();
        collect_rule_files(dir, &mut files)?;
        files.sort();
        for file in files {
            let bytes = read_file(&file)?;
            // Only rules the verifier can run go into a bundle.
            BusinessRule::from_json(&bytes).map_err(|error| CliError::in_file(&file, error))?;
            rules.push(serde_json::from_slice(&bytes).map_err(|error| CliError::in_file(&file, error))?);
        }
    }
    Ok(rules)
}

fn collect_value_sets(dir: Option<&Path>) -> Result<serde_json::Value, CliError> {
    let Some(dir) = dir else { return Ok(dcc::value_sets::rule_value_sets()) };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|error| CliError::in_file(dir, error))?.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let json = serde_json::from_slice::<serde_json::Value>(&read_file(&path)?)
                .map_err(|error| CliError::in_file(&path, format!("not a value-set JSON file: {error}")))?;
            files.push(json);
        }
    }
    Ok(dcc::value_sets::rule_value_sets_from_files(&files))
}

fn collect_revocations(paths: &[PathBuf]) -> Result<RevocationLists, CliError> {
    let mut revoked: [Vec<RevocationHash>; 3] = Default::default();
    for path in paths {
        read_revocations(path, &mut revoked)?;
    }
    let [uci, country_code_uci, signature] = revoked;
    Ok(RevocationLists {
        uci: HashList::from_hashes(uci),
        country_code_uci: HashList::from_hashes(country_code_uci),
        signature: HashList::from_hashes(signature),
    })
}

fn collect_fallback_roots(args: &BuildArgs) -> Result<Vec<FallbackRoot>, CliError> {
    args.fallback_roots
        .iter()
        .map(|path| {
            let anchor = TrustAnchor::from_bytes(&read_file(path)?).map_err(|error| CliError::in_file(path, error))?;
            Ok(FallbackRoot {
                kid: anchor.kid(),
                public_key: anchor.key().to_sec1_point(false).as_bytes().to_vec(),
                country: args.fallback_country.to_ascii_uppercase(),
                name: args.fallback_name.clone(),
            })
        })
        .collect()
}

fn signer_entry(der: Vec<u8>, kid: Option<Kid>, narrowed: &[(Kid, Vec<CertificateType>)]) -> BundleSigner {
    let own_kid = kid.unwrap_or_else(|| Kid::of_certificate(&der));
    let allowed_types = narrowed.iter().find(|(candidate, _)| *candidate == own_kid).map(|(_, types)| types.clone());
    BundleSigner { certificate_der: der, kid, allowed_types }
}

fn parse_dsc_types(entries: &[String]) -> Result<Vec<(Kid, Vec<CertificateType>)>, CliError> {
    entries
        .iter()
        .map(|entry| {
            let (kid, types) = entry
                .split_once('=')
                .ok_or_else(|| CliError::Usage(format!("--dsc-types {entry}: expected KID=t,v,r")))?;
            let kid = Kid::from_base64(kid)
                .ok_or_else(|| CliError::Usage(format!("--dsc-types {entry}: the kid is not 8 bytes of base64")))?;
            let types = types
                .split(',')
                .map(|key| {
                    CertificateType::from_key(key.trim())
                        .ok_or_else(|| CliError::Usage(format!("--dsc-types {entry}: types are t, v, r")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((kid, types))
        })
        .collect()
}

fn parse_device_revocation(entry: &str) -> Result<DeviceRevocation, CliError> {
    let (kid, time) = entry
        .split_once('@')
        .ok_or_else(|| CliError::Usage(format!("--revoke-device {entry}: expected KID@RFC3339")))?;
    Ok(DeviceRevocation {
        device_kid: Kid::from_base64(kid)
            .ok_or_else(|| CliError::Usage(format!("--revoke-device {entry}: the kid is not 8 bytes of base64")))?,
        revoked_since: UnixTime::parse_rfc3339(time)
            .map_err(|error| CliError::Usage(format!("--revoke-device {entry}: {error}")))?,
    })
}

fn collect_rule_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), CliError> {
    for entry in std::fs::read_dir(dir).map_err(|error| CliError::in_file(dir, error))?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rule_files(&path, files)?;
        } else if path.file_name().is_some_and(|name| name == "rule.json") {
            files.push(path);
        }
    }
    Ok(())
}

fn read_revocations(path: &Path, lists: &mut [Vec<RevocationHash>; 3]) -> Result<(), CliError> {
    let text = String::from_utf8(read_file(path)?).map_err(|_| CliError::in_file(path, "not UTF-8 text"))?;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fail = |what: &str| CliError::Usage(format!("{}:{}: {what}", path.display(), number + 1));
        let (kind, rest) = line.split_once(' ').ok_or_else(|| fail("expected `<kind> <value>`"))?;
        let rest = rest.trim();
        match kind {
            "uci" => lists[0].push(revocation::uci_hash(rest)),
            "countrycodeuci" => {
                let (country, uci) =
                    rest.split_once(' ').ok_or_else(|| fail("expected `countrycodeuci <CC> <UCI>`"))?;
                lists[1].push(revocation::country_code_uci_hash(&country.to_ascii_uppercase(), uci.trim()));
            }
            "pass" => {
                let pass = codec::decode_pass_text(rest, &PassLimits::default())
                    .map_err(|error| fail(&format!("not a pass: {error}")))?;
                let hashes = PassRevocationHashes::of_pass(&pass)
                    .ok_or_else(|| fail("the pass holds no readable certificate or an unsupported algorithm"))?;
                lists[0].push(hashes.uci);
                lists[1].push(hashes.country_code_uci);
                lists[2].push(hashes.signature);
            }
            "hash" => {
                let (kind, hex) = rest.split_once(' ').ok_or_else(|| fail("expected `hash <kind> <hex>`"))?;
                let kind = RevocationKind::parse(kind)
                    .ok_or_else(|| fail("the hash kind is uci, countrycodeuci or signature"))?;
                let bytes = decode_hex(hex).ok_or_else(|| fail("the hash is not hex"))?;
                let hash: RevocationHash = bytes
                    .get(..16)
                    .and_then(|head| head.try_into().ok())
                    .ok_or_else(|| fail("a hash has at least 16 bytes"))?;
                let index = match kind {
                    RevocationKind::Uci => 0,
                    RevocationKind::CountryCodeUci => 1,
                    RevocationKind::Signature => 2,
                };
                lists[index].push(hash);
            }
            "signature" => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(rest)
                    .map_err(|_| fail("the signature is not base64"))?;
                let algorithm =
                    if bytes.len() == 64 { codec::SignatureAlgorithm::Es256 } else { codec::SignatureAlgorithm::Ps256 };
                lists[2].push(revocation::signature_hash(algorithm, &bytes));
            }
            other => return Err(fail(&format!("unknown revocation kind {other:?}"))),
        }
    }
    Ok(())
}
