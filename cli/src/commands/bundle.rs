//! `healthpass bundle build` and `healthpass bundle inspect`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use clap::Subcommand;
use healthpass_core::codec::{self, AlgorithmHeader, PassLimits};
use healthpass_core::dcc::{self, CertificateType};
use healthpass_core::rules::BusinessRule;
use healthpass_core::time::UnixTime;
use healthpass_core::trust::revocation::{self, RevocationHash, RevocationKind};
use healthpass_core::trust::{
    BundleSigner, BundleStore, DeviceRevocation, DocumentSignerCertificate, FallbackRoot, HashList, Kid,
    RevocationLists, TrustAnchor, TrustBundle, TrustBundleContents, import_trust_list,
};
use p256::pkcs8::DecodePrivateKey;

use super::verify::{read_file, system_now};
use crate::UsageError;

/// The anchor the program pins: the demo anchor (`cli/demo/anchor.pem`).
pub const DEMO_ANCHOR: &str = include_str!("../../demo/anchor.pem");
/// The demo bundle signed by it (`cli/demo/bundle.cbor`).
pub const DEMO_BUNDLE: &[u8] = include_bytes!("../../demo/bundle.cbor");

#[derive(Subcommand)]
pub enum BundleCommand {
    /// Build and sign a trust bundle.
    Build(Box<BuildArgs>),
    /// Check a bundle's signature and print what it holds (a bad signature is an error).
    Inspect {
        file: PathBuf,
        /// A further pinned anchor (P-256 public key PEM/DER or certificate); repeatable.
        #[arg(long = "anchor", value_name = "FILE")]
        anchors: Vec<PathBuf>,
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
    /// Country and name stated for the fallback roots.
    #[arg(long, default_value = "FR")]
    pub fallback_country: String,
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
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(command: &BundleCommand) -> Result<ExitCode, UsageError> {
    match command {
        BundleCommand::Build(args) => build(args),
        BundleCommand::Inspect { file, anchors, json } => inspect(file, anchors, *json),
    }
}

/// The pinned anchors: the demo anchor and any given.
pub fn anchors(extra: &[PathBuf]) -> Result<Vec<TrustAnchor>, UsageError> {
    let mut anchors = vec![TrustAnchor::from_bytes(DEMO_ANCHOR.as_bytes())?];
    for path in extra {
        anchors.push(
            TrustAnchor::from_bytes(&read_file(path)?)
                .map_err(|error| UsageError(format!("{}: {error}", path.display())))?,
        );
    }
    Ok(anchors)
}

/// Loads a bundle file against the pinned anchors.
pub fn load_bundle(path: &Path, extra_anchors: &[PathBuf]) -> Result<TrustBundle, UsageError> {
    let mut store = BundleStore::new(anchors(extra_anchors)?);
    let bytes = read_file(path)?;
    let bundle = store.install(&bytes).map_err(|error| UsageError(format!("{}: {error}", path.display())))?;
    Ok((*bundle).clone())
}

fn inspect(file: &Path, extra_anchors: &[PathBuf], json: bool) -> Result<ExitCode, UsageError> {
    let bundle = load_bundle(file, extra_anchors)?;
    let contents = bundle.contents();
    let summary = serde_json::json!({
        "sequence": contents.sequence,
        "anchor_kid": bundle.anchor_kid().to_base64(),
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
        "current": bundle.is_current(system_now()),
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&summary).unwrap_or_default());
    } else {
        println!("trust bundle {} signed by anchor {} (signature valid)", contents.sequence, bundle.anchor_kid());
        println!("  issued      {}", contents.issued_at);
        println!(
            "  in force    {} to {}{}",
            contents.not_before,
            contents.expires_at,
            if bundle.is_current(system_now()) { "" } else { "  (NOT in force now)" }
        );
        println!("  signers     {}", contents.signers.len());
        println!(
            "  fallback    {} roots, {} device revocations",
            contents.fallback_roots.len(),
            contents.device_revocations.len()
        );
        println!("  rules       {}", contents.rules.len());
        println!("  value sets  {}", summary["value_sets"]);
        println!(
            "  revoked     {} UCI, {} country+UCI, {} signature hashes",
            contents.revocations.uci.len(),
            contents.revocations.country_code_uci.len(),
            contents.revocations.signature.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn build(args: &BuildArgs) -> Result<ExitCode, UsageError> {
    let key_bytes = read_file(&args.anchor_key)?;
    let anchor_key = match std::str::from_utf8(&key_bytes) {
        Ok(pem) if pem.contains("-----BEGIN") => p256::ecdsa::SigningKey::from_pkcs8_pem(pem),
        _ => p256::ecdsa::SigningKey::from_pkcs8_der(&key_bytes),
    }
    .map_err(|_| UsageError(format!("{}: not a P-256 private key in PKCS#8", args.anchor_key.display())))?;

    let narrowed = parse_dsc_types(&args.dsc_types)?;
    let mut signers = Vec::new();
    for path in &args.dsc {
        let certificates = DocumentSignerCertificate::from_file_bytes(&read_file(path)?)
            .map_err(|error| UsageError(format!("{}: {error}", path.display())))?;
        for certificate in certificates {
            signers.push(signer_entry(certificate.der().to_vec(), None, &narrowed));
        }
    }
    for path in &args.trust_list {
        let import =
            import_trust_list(&read_file(path)?).map_err(|error| UsageError(format!("{}: {error}", path.display())))?;
        for skipped in &import.skipped {
            eprintln!("healthpass: {}: entry {} skipped: {}", path.display(), skipped.index, skipped.reason);
        }
        for certificate in import.certificates {
            signers.push(signer_entry(certificate.der().to_vec(), Some(certificate.kid()), &narrowed));
        }
    }

    let mut rules = Vec::new();
    for dir in &args.rules {
        let mut files = Vec::new();
        collect_rule_files(dir, &mut files)?;
        files.sort();
        for file in files {
            let bytes = read_file(&file)?;
            // Only rules the verifier can run go into a bundle.
            BusinessRule::from_json(&bytes).map_err(|error| UsageError(format!("{}: {error}", file.display())))?;
            rules.push(serde_json::from_slice(&bytes)?);
        }
    }

    let value_sets = match &args.valuesets {
        None => dcc::value_sets::rule_value_sets(),
        Some(dir) => {
            let mut files = Vec::new();
            for entry in
                std::fs::read_dir(dir).map_err(|error| UsageError(format!("{}: {error}", dir.display())))?.flatten()
            {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "json")
                    && let Ok(json) = serde_json::from_slice::<serde_json::Value>(&read_file(&path)?)
                {
                    files.push(json);
                }
            }
            dcc::value_sets::rule_value_sets_from_files(&files)
        }
    };

    let mut revoked: [Vec<RevocationHash>; 3] = Default::default();
    for path in &args.revoked {
        read_revocations(path, &mut revoked)?;
    }
    let [uci, country_code_uci, signature] = revoked;
    let revocations = RevocationLists {
        uci: HashList::from_hashes(uci),
        country_code_uci: HashList::from_hashes(country_code_uci),
        signature: HashList::from_hashes(signature),
    };

    let mut fallback_roots = Vec::new();
    for path in &args.fallback_roots {
        let anchor = TrustAnchor::from_bytes(&read_file(path)?)
            .map_err(|error| UsageError(format!("{}: {error}", path.display())))?;
        fallback_roots.push(FallbackRoot {
            kid: anchor.kid(),
            public_key: anchor.key().to_sec1_point(false).as_bytes().to_vec(),
            country: args.fallback_country.to_ascii_uppercase(),
            name: args.fallback_name.clone(),
        });
    }
    let device_revocations =
        args.revoke_device.iter().map(|entry| parse_device_revocation(entry)).collect::<Result<Vec<_>, _>>()?;

    let now = system_now();
    let not_before = match &args.not_before {
        Some(text) => UnixTime::parse_rfc3339(text).map_err(|error| UsageError(format!("--not-before: {error}")))?,
        None => now,
    };
    let contents = TrustBundleContents {
        sequence: args.sequence,
        issued_at: now,
        not_before,
        expires_at: not_before.saturating_add(parse_duration(&args.valid_for)?),
        signers,
        fallback_roots,
        device_revocations,
        rules,
        value_sets,
        revocations,
    };
    let bytes = contents.sign(&anchor_key);
    std::fs::write(&args.out, &bytes).map_err(|error| UsageError(format!("{}: {error}", args.out.display())))?;
    let anchor = TrustAnchor::new(*anchor_key.verifying_key());
    println!(
        "wrote {} ({} bytes): sequence {}, {} signers, {} rules, {} revocation hashes, anchor {}, in force {} to {}",
        args.out.display(),
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

fn signer_entry(der: Vec<u8>, kid: Option<Kid>, narrowed: &[(Kid, Vec<CertificateType>)]) -> BundleSigner {
    let own_kid = kid.unwrap_or_else(|| Kid::of_certificate(&der));
    let allowed_types = narrowed.iter().find(|(candidate, _)| *candidate == own_kid).map(|(_, types)| types.clone());
    BundleSigner { certificate_der: der, kid, allowed_types }
}

fn parse_dsc_types(entries: &[String]) -> Result<Vec<(Kid, Vec<CertificateType>)>, UsageError> {
    entries
        .iter()
        .map(|entry| {
            let (kid, types) =
                entry.split_once('=').ok_or_else(|| UsageError(format!("--dsc-types {entry}: expected KID=t,v,r")))?;
            let kid = Kid::from_base64(kid)
                .ok_or_else(|| UsageError(format!("--dsc-types {entry}: the kid is not 8 bytes of base64")))?;
            let types = types
                .split(',')
                .map(|key| {
                    CertificateType::from_key(key.trim())
                        .ok_or_else(|| UsageError(format!("--dsc-types {entry}: types are t, v, r")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((kid, types))
        })
        .collect()
}

fn parse_device_revocation(entry: &str) -> Result<DeviceRevocation, UsageError> {
    let (kid, time) =
        entry.split_once('@').ok_or_else(|| UsageError(format!("--revoke-device {entry}: expected KID@RFC3339")))?;
    Ok(DeviceRevocation {
        device_kid: Kid::from_base64(kid)
            .ok_or_else(|| UsageError(format!("--revoke-device {entry}: the kid is not 8 bytes of base64")))?,
        revoked_since: UnixTime::parse_rfc3339(time)
            .map_err(|error| UsageError(format!("--revoke-device {entry}: {error}")))?,
    })
}

/// `30s`, `15m`, `48h`, `2d`, `1w` to seconds.
pub fn parse_duration(text: &str) -> Result<i64, UsageError> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: i64 = number
        .parse()
        .map_err(|_| UsageError(format!("duration {text:?}: expected a number and a unit, e.g. 48h or 2d")))?;
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(UsageError(format!("duration {text:?}: the unit must be s, m, h, d or w"))),
    };
    number
        .checked_mul(unit_seconds)
        .filter(|seconds| *seconds > 0)
        .ok_or_else(|| UsageError(format!("duration {text:?} is out of range")))
}

fn collect_rule_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), UsageError> {
    for entry in std::fs::read_dir(dir).map_err(|error| UsageError(format!("{}: {error}", dir.display())))?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rule_files(&path, files)?;
        } else if path.file_name().is_some_and(|name| name == "rule.json") {
            files.push(path);
        }
    }
    Ok(())
}

fn read_revocations(path: &Path, lists: &mut [Vec<RevocationHash>; 3]) -> Result<(), UsageError> {
    let text =
        String::from_utf8(read_file(path)?).map_err(|_| UsageError(format!("{}: not UTF-8 text", path.display())))?;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fail = |what: &str| UsageError(format!("{}:{}: {what}", path.display(), number + 1));
        let (kind, rest) = line.split_once(' ').ok_or_else(|| fail("expected `<kind> <value>`"))?;
        let rest = rest.trim();
        match kind {
            "uci" => lists[0].push(revocation::uci_hash(rest)),
            "countrycodeuci" => {
                let (country, uci) =
                    rest.split_once(' ').ok_or_else(|| fail("expected `countrycodeuci <CC> <UCI>`"))?;
                lists[1].push(revocation::country_code_uci_hash(country, uci.trim()));
            }
            "pass" => {
                let pass = codec::decode_pass_text(rest, &PassLimits::default())
                    .map_err(|error| fail(&format!("not a pass: {error}")))?;
                let dcc = dcc::hcert::dcc_value(&pass.claims)
                    .ok()
                    .and_then(|value| dcc::Dcc::from_value(value).ok())
                    .ok_or_else(|| fail("the pass holds no readable certificate"))?;
                let AlgorithmHeader::Supported(algorithm) = pass.message.algorithm() else {
                    return Err(fail("the pass's algorithm is not ES256 or PS256"));
                };
                let country = pass.claims.issuer.clone().unwrap_or_else(|| dcc.entry_country().to_owned());
                lists[0].push(revocation::uci_hash(dcc.certificate_id()));
                lists[1].push(revocation::country_code_uci_hash(&country, dcc.certificate_id()));
                lists[2].push(revocation::signature_hash(algorithm, pass.message.signature()));
            }
            "hash" => {
                let (kind, hex) = rest.split_once(' ').ok_or_else(|| fail("expected `hash <kind> <hex>`"))?;
                let kind = RevocationKind::parse(kind)
                    .ok_or_else(|| fail("the hash kind is uci, countrycodeuci or signature"))?;
                let bytes = healthpass_core::conformance::dcc_vector::decode_hex(hex.trim())
                    .ok_or_else(|| fail("the hash is not hex"))?;
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
