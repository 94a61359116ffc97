//! The whole path a scanned text takes: prefix, base45, zlib, COSE, CWT, DCC, schema, policy.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = common::verifier().verify_text(text, common::now());
    }
});
