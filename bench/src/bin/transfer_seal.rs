//! What sealing a pass for a wallet costs the issuer service, against what it already spends
//! per issuance (the ES256 signature), in the same run: HPKE (RFC 9180, P-256) with the
//! portable `p256` crate's Diffie-Hellman (what the phones use to open), and with ring's (what
//! the service uses to seal), and the wallet's open.
//!
//! `cargo run --release --manifest-path bench/Cargo.toml --bin transfer_seal`

use std::time::Instant;

use healthpass_core::codec::cose::Signer as _;
use healthpass_core::protocol::hpke;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::pkcs8::EncodePrivateKey;

const ROUNDS: usize = 5;
const PER_ROUND: usize = 400;

/// The median over rounds of the mean time per operation, in µs.
fn median_micros(mut operation: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                operation();
            }
            started.elapsed().as_secs_f64() * 1e6 / PER_ROUND as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

fn main() {
    let wallet = p256::SecretKey::from_slice(&[7; 32]).expect("a key");
    let public = wallet.public_key().to_sec1_point(false).as_bytes().to_vec();
    let (pass, ..) = healthpass_tests::vectors::demo_pass();
    let code = b"A6YMJFC5V5R";
    let authority = healthpass_tests::vectors::demo_authority();
    let pkcs8 = authority.dsc.key.to_pkcs8_der().expect("pkcs8");
    let signer = healthpass_service::signing::RingSigner::from_pkcs8(pkcs8.as_bytes()).expect("a ring signer");

    let sign = median_micros(|| drop(signer.sign(pass.as_bytes()).expect("signed")));
    let seal_p256 = median_micros(|| drop(hpke::seal(&public, b"info", code, pass.as_bytes()).expect("sealed")));
    let seal_ring = median_micros(|| {
        drop(
            hpke::seal_with_agreement(
                &public,
                b"info",
                code,
                pass.as_bytes(),
                Box::new(healthpass_service::signing::ring_ephemeral_agreement),
            )
            .expect("sealed"),
        )
    });
    let sealed = hpke::seal(&public, b"info", code, pass.as_bytes()).expect("sealed");
    let open = median_micros(|| drop(hpke::open(&wallet, &sealed, b"info", code).expect("opened")));
    // Both seals open to the same pass: ring's agreement is the same DHKEM.
    let by_ring = hpke::seal_with_agreement(
        &public,
        b"info",
        code,
        pass.as_bytes(),
        Box::new(healthpass_service::signing::ring_ephemeral_agreement),
    )
    .expect("sealed");
    assert_eq!(hpke::open(&wallet, &by_ring, b"info", code).expect("opened"), pass.as_bytes());

    println!("pass of {} characters; median of {ROUNDS} rounds of {PER_ROUND}", pass.len());
    println!("| operation | µs per pass | vs the issuance's ES256 signature |");
    println!("|---|---:|---:|");
    for (name, micros) in [
        ("ES256 signature (ring), already paid per issuance", sign),
        ("HPKE seal, p256 Diffie-Hellman", seal_p256),
        ("HPKE seal, ring Diffie-Hellman (the service)", seal_ring),
        ("HPKE open, p256 (the wallet)", open),
    ] {
        println!("| {name} | {micros:.1} | {:.1}x |", micros / sign);
    }
}
