//! Trust bundles from anywhere: decoding, signature checking and content validation must
//! refuse garbage without panicking. Two modes, chosen by the first byte:
//! - even: the rest is a whole bundle file, checked against the pinned demo anchor (mutated
//!   demo bundles reach the signature check);
//! - odd: the rest is a bundle *payload*, which this target signs with a key it pins, so
//!   hostile contents get past the signature into decoding and validation — the path an
//!   attacker holding a stolen anchor key, or a buggy bundle builder, would take.
#![no_main]

use std::sync::OnceLock;

use healthpass_core::codec::cose::sig_structure_digest;
use healthpass_core::trust::{BundleStore, TrustAnchor};
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::hazmat::PrehashSigner;

fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar"))
}

/// A CBOR byte-string head (RFC 8949 §3) for `length` bytes.
fn bytes_head(length: usize) -> Vec<u8> {
    match length {
        0..=23 => vec![0x40 | length as u8],
        24..=0xff => vec![0x58, length as u8],
        0x100..=0xffff => vec![0x59, (length >> 8) as u8, length as u8],
        _ => {
            let mut head = vec![0x5a];
            head.extend_from_slice(&(length as u32).to_be_bytes());
            head
        }
    }
}

/// `18([protected, {}, payload, signature])` signed by the target's own key.
fn signed_bundle(payload: &[u8], key: &SigningKey) -> Vec<u8> {
    let kid = TrustAnchor::new(*key.verifying_key()).kid();
    let mut protected = vec![0xa2, 0x01, 0x26, 0x04, 0x48];
    protected.extend_from_slice(kid.as_bytes());
    let digest = sig_structure_digest(&protected, payload);
    let Ok(signature) = PrehashSigner::<p256::ecdsa::Signature>::sign_prehash(key, &digest) else {
        return Vec::new();
    };
    let mut file = vec![0xd2, 0x84];
    file.extend(bytes_head(protected.len()));
    file.extend_from_slice(&protected);
    file.push(0xa0);
    file.extend(bytes_head(payload.len()));
    file.extend_from_slice(payload);
    file.extend(bytes_head(64));
    file.extend_from_slice(&signature.to_bytes());
    file
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let anchors = if mode % 2 == 0 {
        let Ok(anchor) = TrustAnchor::from_bytes(include_bytes!("../../../cli/demo/anchor.pem")) else { return };
        vec![anchor]
    } else {
        vec![TrustAnchor::new(*signing_key().verifying_key())]
    };
    let mut store = BundleStore::new(anchors).with_max_bundle_bytes(1 << 20);
    let file = if mode % 2 == 0 { rest.to_vec() } else { signed_bundle(rest, signing_key()) };
    // 2027-01-15: inside the demo bundle's validity, so valid bundles get installed.
    let _ = store.install(&file, healthpass_core::time::UnixTime::from_seconds(1_800_000_000));
});
