//! Issuing cost per pass: build + sign + encode (with the self-verification every pass gets),
//! and rendering: QR matrix, PNG, SVG and the attestation page.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin issue

use healthpass_bench::{measure, micros};
use healthpass_core::issue::{Issuer, IssuingPolicy};
use healthpass_core::render::{QrMatrix, attestation_svg};
use healthpass_core::time::UnixTime;
use healthpass_tests::vectors::{demo_authority, demo_issuer, demo_signer, demo_test_request};

fn main() {
    let issuer = demo_issuer();
    let unchecked = Issuer::new(
        demo_signer(),
        &demo_authority().dsc.certificate_der,
        "FR",
        IssuingPolicy { verify_issued: false, ..IssuingPolicy::default() },
    )
    .expect("issuer");
    let now = UnixTime::parse_rfc3339("2027-03-15T10:00:00Z").expect("time");
    let request = demo_test_request(now.saturating_sub(1200));
    let random = [7u8; 16];

    let full = measure(|| issuer.issue_test_with_random(&request, now, random).expect("issue"));
    let without_check = measure(|| unchecked.issue_test_with_random(&request, now, random).expect("issue"));
    let pass = issuer.issue_test_with_random(&request, now, random).expect("issue");
    let qr = QrMatrix::for_text(&pass.text).expect("qr");
    let matrix = measure(|| QrMatrix::for_text(&pass.text).expect("qr"));
    let png = measure(|| qr.to_png(8));
    let svg = measure(|| qr.to_svg(60.0));
    let page = measure(|| attestation_svg(&pass.dcc, pass.expires_at, &qr));

    println!("issuing one rapid antigen test pass, median of 15 rounds");
    println!("  issue + sign + encode, with self-verification  {:>9.1} us  (target <= 1000 us)", micros(full));
    println!("  issue + sign + encode, without it              {:>9.1} us", micros(without_check));
    println!("  QR matrix (version {}, level Q)                 {:>9.1} us", qr.version(), micros(matrix));
    println!("  QR as PNG (8 px per module, {} bytes)         {:>9.1} us", qr.to_png(8).len(), micros(png));
    println!("  QR as SVG                                      {:>9.1} us", micros(svg));
    println!("  attestation page (SVG, A4)                     {:>9.1} us", micros(page));
    println!("  pass text: {} characters", pass.text.len());
}
