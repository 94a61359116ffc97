//! Trust bundle at scale: 1,000 signer certificates and 1,000,000 revocation hashes, plus
//! every business rule of the shared data. Measures the bundle's load time, the resident
//! memory after loading (in a fresh process), a revocation lookup, and a full verification
//! with rules.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin bundle

use std::sync::Arc;
use std::time::{Duration, Instant};

use healthpass_bench::{conformance_dir, measure, measure_with, micros};
use healthpass_core::dcc::CertificateType;
use healthpass_core::issue::authority::{self, CertificateRequest};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::revocation::{HashList, RevocationHash};
use healthpass_core::trust::{BundleSigner, RevocationLists, TrustAnchor, TrustBundle, TrustBundleContents};
use healthpass_core::verify::Verifier;
use healthpass_tests::vectors::{demo_authority, demo_issuer, demo_test_request, fixed_key};
use sha2::{Digest, Sha256};

const SIGNERS: usize = 1_000;
const REVOCATIONS: usize = 1_000_000;

fn hash_of(index: u64) -> RevocationHash {
    let digest = Sha256::digest(index.to_be_bytes());
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&digest[..16]);
    hash
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| status.lines().find(|line| line.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|line| line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--load-and-report") {
        let path = args.next().expect("path");
        let before = resident_kib();
        let bytes = std::fs::read(&path).expect("bundle");
        let bundle = TrustBundle::load(&bytes, &[TrustAnchor::new(*fixed_key(0x71).verifying_key())]).expect("load");
        drop(bytes);
        let after = resident_kib();
        println!("{before} {after} {}", bundle.revocations().total());
        return;
    }

    let now = UnixTime::parse_rfc3339("2027-02-01T09:00:00Z").unwrap();
    let started = Instant::now();
    let from = UnixTime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let until = UnixTime::parse_rfc3339("2030-01-01T00:00:00Z").unwrap();
    let csca = authority::country_signing_ca(
        &CertificateRequest {
            country: "FR",
            common_name: "Bench CSCA",
            organization: "Bench",
            not_before: from,
            not_after: until,
            serial: 1,
        },
        fixed_key(0x70),
    )
    .expect("csca");
    let mut signers = vec![BundleSigner {
        certificate_der: demo_authority().dsc.certificate_der.clone(),
        kid: None,
        allowed_types: None,
    }];
    for index in 1..SIGNERS {
        let seed = Sha256::digest((index as u64).to_be_bytes());
        let key = p256::ecdsa::SigningKey::from_slice(&seed).expect("key");
        let request = CertificateRequest {
            country: "FR",
            common_name: "Bench DSC",
            organization: "Bench",
            not_before: from,
            not_after: until,
            serial: index as u64 + 1,
        };
        let dsc = authority::document_signer(&request, key, &[CertificateType::Test], &csca).expect("dsc");
        signers.push(BundleSigner { certificate_der: dsc.certificate_der, kid: None, allowed_types: None });
    }
    let mut rules = Vec::new();
    collect_rules(&conformance_dir().join("business-rules"), &mut rules);
    let contents = TrustBundleContents {
        two_d_doc: None,
        sequence: 42,
        issued_at: from,
        not_before: from,
        expires_at: until,
        signers,
        fallback_roots: Vec::new(),
        device_revocations: Vec::new(),
        rules,
        value_sets: healthpass_core::dcc::value_sets::rule_value_sets(),
        revocations: RevocationLists {
            uci: HashList::from_hashes((0..REVOCATIONS as u64).map(hash_of).collect()),
            ..RevocationLists::default()
        },
    };
    let anchor_key = fixed_key(0x71);
    let bytes = contents.sign(&anchor_key).expect("sign the bundle");
    let anchors = [TrustAnchor::new(*anchor_key.verifying_key())];
    let path = std::env::temp_dir().join("healthpass-bench-bundle.cbor");
    std::fs::write(&path, &bytes).expect("write");
    println!(
        "bundle: {SIGNERS} signers, {REVOCATIONS} revocation hashes, {} rules, {:.1} MB; built and signed in {:.1} s",
        contents.rules.len(),
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let load = measure_with(&mut || TrustBundle::load(&bytes, &anchors).expect("load"), 7, Duration::from_millis(200));
    let bundle = Arc::new(TrustBundle::load(&bytes, &anchors).expect("load"));
    let with_rules = measure_with(
        &mut || Verifier::with_bundle(bundle.clone(), Some("FR")).expect("rules"),
        7,
        Duration::from_millis(100),
    );

    let child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .arg("--load-and-report")
        .arg(&path)
        .output()
        .expect("child");
    let report = String::from_utf8_lossy(&child.stdout);
    let numbers: Vec<u64> = report.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    let (before, after) = (numbers.first().copied().unwrap_or(0), numbers.get(1).copied().unwrap_or(0));

    let revocations = bundle.revocations();
    // Half the probes are revoked hashes, half are not; hashed beforehand so only the lookup
    // is timed.
    let probes: Vec<RevocationHash> = (0..4096u64).map(|i| hash_of(i * 7919 % (2 * REVOCATIONS as u64))).collect();
    let mut index = 0usize;
    let lookup = measure(|| {
        index = (index + 1) % probes.len();
        revocations.uci.contains(&probes[index])
    });

    let pass = demo_issuer().issue_test(&demo_test_request(now.saturating_sub(3600)), now).expect("pass");
    let mut summaries = Vec::new();
    for country in ["FR", "AT", "DE"] {
        let verifier = Verifier::with_bundle(bundle.clone(), Some(country)).expect("verifier");
        let verdict = verifier.verify_text(&pass.text, now).expect("verdict");
        let time = measure(|| verifier.verify_text(&pass.text, now).expect("verdict"));
        summaries.push((country, verdict.rule_outcomes.len(), verdict.is_valid(), time));
    }

    println!(
        "load (signature over the whole file, decode, {SIGNERS} certificates parsed): {:>8.1} ms  (target <= 100 ms)",
        load.as_secs_f64() * 1e3
    );
    println!(
        "resident memory after load, fresh process:       {:>8.1} MB  (target <= 40 MB; {:.1} MB before)",
        after as f64 / 1024.0,
        before as f64 / 1024.0
    );
    println!("revocation lookup among {REVOCATIONS} hashes:         {:>8.3} us  (target <= 2 us)", micros(lookup));
    println!(
        "rules parsed into a verifier ({} rules):            {:>8.1} ms",
        bundle.contents().rules.len(),
        with_rules.as_secs_f64() * 1e3
    );
    for (country, rules, valid, time) in summaries {
        println!(
            "full verify, arrival {country}: {rules:>2} rules applied, {}: {:>8.1} us  (target <= 1000 us)",
            if valid { "valid  " } else { "invalid" },
            micros(time)
        );
    }
}

fn collect_rules(dir: &std::path::Path, rules: &mut Vec<serde_json::Value>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_rules(&path, rules);
        } else if path.file_name().is_some_and(|name| name == "rule.json")
            && let Ok(rule) = serde_json::from_slice(&std::fs::read(&path).unwrap_or_default())
        {
            rules.push(rule);
        }
    }
}
