//! French 2D-DOC material for the tests: the real samples of `../shared/2ddoc` with their
//! manifest, DataMatrix rendering (rxing's encoder, C40 as the ANTS specification writes it),
//! and codes the tests sign themselves with a key of their own.

use std::path::Path;

use healthpass_core::render::data_matrix::DataMatrix;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;

use crate::shared_data::require_two_d_doc_dir;

/// A sample code and what its manifest says about it.
pub struct Sample {
    /// The file name (`09_kit_B2_AHP1_invalid_test.txt`).
    pub file: String,
    /// The code's text, as encoded.
    pub text: String,
    /// Its manifest entry.
    pub manifest: serde_json::Value,
}

/// Every sample of `samples/MANIFEST.json`.
pub fn samples() -> Vec<Sample> {
    let dir = require_two_d_doc_dir().join("samples");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).expect("MANIFEST.json")).expect("JSON");
    manifest
        .as_array()
        .expect("the manifest is an array")
        .iter()
        .map(|entry| {
            let file = entry["file"].as_str().expect("file").to_owned();
            let text = read_sample(&dir.join(&file));
            Sample { file, text, manifest: entry.clone() }
        })
        .collect()
}

fn read_sample(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    text.trim_end_matches(['\n', '\r']).to_owned()
}

/// The DataMatrix of `text` (core's `render::data_matrix`): its modules row by row and its side.
pub fn data_matrix(text: &str) -> (Vec<bool>, usize) {
    let symbol = DataMatrix::for_text(text).unwrap_or_else(|error| panic!("{error}"));
    (symbol.modules().to_vec(), symbol.side())
}

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A 2D-DOC signed with `key`: `signed` (header and message) + US + base32(r‖s).
pub fn sign(key: &SigningKey, signed: &str) -> String {
    let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
    format!("{signed}\u{1f}{}", base32(&signature.to_bytes()))
}

/// A v04 header for `authority`/`certificate`, with the emission and signature date `days`
/// after 2000-01-01 and document type `kind`.
pub fn header(authority: &str, certificate: &str, days: u16, kind: &str) -> String {
    format!("DC04{authority}{certificate}{days:04X}{days:04X}{kind}01FR")
}

/// A B2 message: a made-up holder, result `result`, sampled at `sampled` (`DDMMYYYYHHmm`).
pub fn test_message(result: char, sampled: &str) -> String {
    format!("F0CAMILLE/ANNE\u{1d}F1MARTIN\u{1d}F201021990F3FF494309\u{1d}F5{result}F6{sampled}")
}

/// An L1 message with `rank` of `expected` doses and cycle state `cycle`.
pub fn vaccination_message(rank: u8, expected: u8, cycle: &str) -> String {
    format!(
        "L0MARTIN\u{1d}L1CAMILLE\u{1d}L201021990L3COVID-19\u{1d}L4J07BX03\u{1d}L5COMIRNATY PFIZER/BIONTECH\u{1d}\
         L6PFIZER/BIONTECH\u{1d}L7{rank}L8{expected}L915062021LA{cycle}"
    )
}

/// `text` as a DataMatrix frame: `module_px` pixels per module inside `quiet_modules` of white.
pub fn luma_frame(text: &str, module_px: usize, quiet_modules: usize) -> healthpass_core::scan::OwnedLumaFrame {
    let symbol = DataMatrix::for_text(text).unwrap_or_else(|error| panic!("{error}"));
    let (pixels, size) = symbol.to_luma(module_px, quiet_modules);
    healthpass_core::scan::OwnedLumaFrame::new(pixels, size as u32, size as u32).expect("a valid frame")
}
