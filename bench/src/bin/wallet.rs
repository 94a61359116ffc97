//! What a traveller's wallet costs on the phone's CPU, by size: adding a pass, listing with a
//! trust bundle (every pass opened and verified) and without (dates only), and the full-screen
//! QR text, sealed with AES-256-GCM against plain storage in the same run.
//!
//! `cargo run --release --manifest-path bench/Cargo.toml --bin wallet`

use std::sync::Arc;
use std::time::Instant;

use healthpass_core::time::UnixTime;
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::Verifier;
use healthpass_core::wallet::{PassSource, SoftwareStorageKey, StorageKey, Wallet};

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let authority = healthpass_tests::vectors::demo_authority();
    let verifier =
        Verifier::new(TrustStore::from_iter([
            DocumentSignerCertificate::from_der(&authority.dsc.certificate_der).expect("the demo signer")
        ]));
    let issuer = healthpass_tests::vectors::demo_issuer();
    let issued_at = UnixTime::from_seconds(1_796_119_200);
    let now = issued_at.saturating_add(3_600);
    let passes: Vec<String> = (0..100_i64)
        .map(|n| {
            let mut request = healthpass_tests::vectors::demo_test_request(issued_at.saturating_sub(1_800 + n));
            request.family_name = format!("Martin{}", char::from(b'a' + (n % 26) as u8));
            issuer.issue_test(&request, issued_at).expect("issued").text
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("healthpass-bench-wallet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");

    println!(
        "| storage | passes | add one (ms, median) | list with a bundle (ms) | list, dates only (ms) | QR text of one (ms) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, key) in [
        ("sealed (AES-256-GCM)", Some(Arc::new(SoftwareStorageKey::new(&[5; 32])) as Arc<dyn StorageKey>)),
        ("plain", None),
    ] {
        for size in [10_usize, 100] {
            let path = dir.join(format!("{}-{size}.sqlite", if key.is_some() { "sealed" } else { "plain" }));
            let wallet = Wallet::open(&path, key.clone()).expect("a wallet");
            let mut adds: Vec<f64> = passes[..size]
                .iter()
                .map(|text| {
                    let started = Instant::now();
                    wallet.add_text(text, PassSource::Text, now).expect("added");
                    millis(started)
                })
                .collect();
            adds.sort_by(f64::total_cmp);
            let started = Instant::now();
            let listed = wallet.list(now, Some(&verifier)).expect("listed");
            let with_bundle = millis(started);
            assert!(listed.iter().all(|pass| pass.checked && pass.state.name() == "valid"));
            let started = Instant::now();
            wallet.list(now, None).expect("listed");
            let dates_only = millis(started);
            let started = Instant::now();
            wallet.pass_text(listed[size / 2].id).expect("the text");
            let one = millis(started);
            println!(
                "| {label} | {size} | {:.2} | {with_bundle:.1} | {dates_only:.1} | {one:.3} |",
                adds[adds.len() / 2]
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
