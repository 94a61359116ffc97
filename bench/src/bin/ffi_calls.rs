//! How long each exported call blocks its thread, through the FFI crate's own objects (the
//! calls the Kotlin and Swift facades make, without the foreign-language marshalling): the
//! threading contract in the READMEs quotes these. Median of 15 rounds.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin ffi_calls

use std::sync::Arc;

use healthpass_bench::{measure, micros};
use healthpass_ffi::{
    CheckpointSession, PassVerifier, attestation_page_svg, demo_trust_anchor, demo_trust_bundle, qr_png,
    reason_catalogue,
};

/// 2027-01-01T00:00:00Z: the demo pass and bundle are in force.
const AT: i64 = 1_798_761_600;

fn frame_with(modules: &[bool], side: usize, module_px: usize, width: usize, height: usize) -> Vec<u8> {
    let mut pixels = vec![200u8; width * height];
    let (left, top) = ((width - side * module_px) / 2, (height - side * module_px) / 2);
    for y in 0..side * module_px {
        for x in 0..side * module_px {
            if modules[(y / module_px) * side + x / module_px] {
                pixels[(top + y) * width + left + x] = 20;
            }
        }
    }
    pixels
}

fn qr_modules(text: &str) -> (Vec<bool>, usize) {
    let qr = healthpass_core::render::qr::QrMatrix::for_text(text).expect("QR");
    let side = qr.width() + 8;
    let modules = (0..side * side)
        .map(|index| {
            let (x, y) = ((index % side) as isize - 4, (index / side) as isize - 4);
            x >= 0
                && y >= 0
                && (x as usize) < qr.width()
                && (y as usize) < qr.width()
                && qr.is_dark(x as usize, y as usize)
        })
        .collect();
    (modules, side)
}

fn main() {
    let pass = include_str!("../../../cli/demo/pass.txt").trim().to_owned();
    let two_d_doc = healthpass_tests::two_d_doc_codes::samples()
        .into_iter()
        .find(|sample| sample.file.starts_with("02_"))
        .expect("sample 02 of ../shared/2ddoc")
        .text;
    let anchors = vec![demo_trust_anchor().unwrap()];
    let bundle = demo_trust_bundle().unwrap();
    let verifier = Arc::new(PassVerifier::new(anchors.clone(), None).unwrap());
    verifier.load_bundle(bundle.clone(), AT).unwrap();
    verifier.set_arrival_country(Some("FR".into())).unwrap();
    let (width, height) = (1280usize, 720usize);
    let blank = vec![180u8; width * height];
    let (qr, qr_side) = qr_modules(&pass);
    let qr_frame = frame_with(&qr, qr_side, 4, width, height);
    let (data_matrix, dm_side) = healthpass_tests::two_d_doc_codes::data_matrix(&two_d_doc);
    let dm_frame = frame_with(
        &{
            let side = dm_side + 4;
            (0..side * side)
                .map(|index| {
                    let (x, y) = ((index % side) as isize - 2, (index / side) as isize - 2);
                    x >= 0
                        && y >= 0
                        && (x as usize) < dm_side
                        && (y as usize) < dm_side
                        && data_matrix[y as usize * dm_side + x as usize]
                })
                .collect::<Vec<_>>()
        },
        dm_side + 4,
        4,
        width,
        height,
    );
    let dir = std::env::temp_dir().join(format!("healthpass-ffi-calls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kept = dir.join("bundle.cbor").display().to_string();
    verifier.keep_bundle_at(kept.clone(), AT).unwrap();
    verifier.load_bundle(bundle.clone(), AT).unwrap();
    let session = CheckpointSession::new(verifier.clone(), 5_000);
    let mut captured = 0u64;

    let rows: Vec<(&str, f64)> = vec![
        ("PassVerifier::new (one anchor)", micros(measure(|| PassVerifier::new(anchors.clone(), None).unwrap()))),
        ("load_bundle (demo bundle, 3 rules)", micros(measure(|| verifier.load_bundle(bundle.clone(), AT).unwrap()))),
        (
            "keep_bundle_at (read + verify the kept bundle)",
            micros(measure(|| {
                let fresh = PassVerifier::new(anchors.clone(), None).unwrap();
                fresh.keep_bundle_at(kept.clone(), AT).unwrap()
            })),
        ),
        ("verify_text (HC1, ES256, 3 rules)", micros(measure(|| verifier.verify_text(pass.clone(), AT).unwrap()))),
        ("verify_text (2D-DOC)", micros(measure(|| verifier.verify_text(two_d_doc.clone(), AT).unwrap()))),
        (
            "verify_frame (1280x720, no code)",
            micros(measure(|| {
                verifier.verify_frame(blank.clone(), width as u32, height as u32, width as u32, AT).unwrap()
            })),
        ),
        (
            "verify_frame (1280x720, QR pass)",
            micros(measure(|| {
                verifier.verify_frame(qr_frame.clone(), width as u32, height as u32, width as u32, AT).unwrap()
            })),
        ),
        (
            "verify_frame (1280x720, 2D-DOC DataMatrix)",
            micros(measure(|| {
                verifier.verify_frame(dm_frame.clone(), width as u32, height as u32, width as u32, AT).unwrap()
            })),
        ),
        (
            "CheckpointSession.observe_frame (pass in view)",
            micros(measure(|| {
                captured += 33;
                session
                    .observe_frame(qr_frame.clone(), width as u32, height as u32, width as u32, captured, AT)
                    .unwrap()
            })),
        ),
        ("qr_png (demo pass, 8 px modules)", micros(measure(|| qr_png(pass.clone(), 8).unwrap()))),
        ("attestation_page_svg (demo pass)", micros(measure(|| attestation_page_svg(pass.clone()).unwrap()))),
        (
            "set_arrival_country (rebuilds the rule set)",
            micros(measure(|| verifier.set_arrival_country(Some("FR".into())).unwrap())),
        ),
        ("bundle_info", micros(measure(|| verifier.bundle_info().unwrap()))),
        ("reason_catalogue", micros(measure(reason_catalogue))),
        ("frame copy alone (1280x720 Vec<u8> clone)", micros(measure(|| blank.clone()))),
    ];
    println!("{:<50} {:>12}", "call", "median");
    for (name, us) in rows {
        if us >= 1000.0 {
            println!("{name:<50} {:>9.1} ms", us / 1000.0);
        } else {
            println!("{name:<50} {us:>9.1} µs");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
