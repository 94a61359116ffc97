//! COSE bytes to verdict, skipping base45 and zlib so the fuzzer spends its time on CBOR,
//! COSE headers, claims, the DCC and the schema validator.
#![no_main]

mod common;

use healthpass_core::codec::{self, PassLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pass) = codec::decode_cose(data, &PassLimits::default()) {
        let _ = common::verifier().verify_decoded(&pass, common::now());
    }
});
