//! A French 2D-DOC from text to verdict: link unwrapping, header, message fields, base32
//! signature, the built-in trust set, content checks. The input is put behind a real header
//! (FR03/AHP1, a test result) half of the time, so mutations reach the message and signature
//! stages instead of dying at the marker.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let verifier = healthpass_core::verify::Verifier::default();
    let text = if first % 2 == 0 { format!("DC04FR03AHP11E5C1E5CB201FR{text}") } else { text.to_owned() };
    let _ = verifier.verify_text(&text, common::now());
});
