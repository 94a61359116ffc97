//! Hostile input: every byte string gets a clear error or a verdict, never a panic, and the
//! work stays bounded (bombs and lies about sizes are refused before any large allocation).

use healthpass_core::codec::{self, CborError, CoseError, DecodeError, InflateError, PassLimits};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::Verifier;
use healthpass_tests::shared_data::repository_root;

fn wrap(cose: &[u8]) -> String {
    format!("HC1:{}", codec::encode_base45(&codec::deflate(cose)))
}

fn demo() -> (String, Verifier) {
    let root = repository_root();
    let pass = std::fs::read_to_string(root.join("cli/demo/pass.txt")).unwrap().trim().to_owned();
    let signer = std::fs::read(root.join("cli/demo/signer.pem")).unwrap();
    let trust = TrustStore::from_iter(DocumentSignerCertificate::from_file_bytes(&signer).unwrap());
    (pass, Verifier::new(trust))
}

fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap()
}

#[test]
fn a_zlib_bomb_is_refused_at_the_cap() {
    // 8 MB of zeros deflate to about 8 kB: a 1000x bomb that still fits a QR-sized text.
    let bomb = format!("HC1:{}", codec::encode_base45(&codec::deflate(&vec![0u8; 8 * 1024 * 1024])));
    let error = codec::decode_pass_text(&bomb, &PassLimits::default()).unwrap_err();
    assert_eq!(error, DecodeError::Inflate(InflateError::TooLarge { limit: 64 * 1024 }));
    assert_eq!(error.stage(), "zlib");
}

#[test]
fn deeply_nested_and_oversized_cbor_is_refused() {
    let deep = vec![0x81u8; 50_000];
    assert!(matches!(
        codec::decode_pass_text(&wrap(&deep), &PassLimits::default()),
        Err(DecodeError::Cose(CoseError::Cbor(CborError::TooDeep { .. })))
    ));
    // A byte string that claims 4 GB.
    let liar = [0xd2, 0x84, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x00];
    assert!(matches!(
        codec::decode_pass_text(&wrap(&liar), &PassLimits::default()),
        Err(DecodeError::Cose(CoseError::Cbor(CborError::Truncated { .. })))
    ));
    // A map that claims 2^64-1 entries inside the payload.
    let mut payload_bomb = vec![0xd2, 0x84, 0x40, 0xa0, 0x49, 0xbb];
    payload_bomb.extend([0xff; 8]);
    payload_bomb.extend([0x40]);
    assert!(codec::decode_pass_text(&wrap(&payload_bomb), &PassLimits::default()).is_err());
}

#[test]
fn giant_text_is_refused_before_decoding() {
    let giant = format!("HC1:{}", "A".repeat(10_000_000));
    let error = codec::decode_pass_text(&giant, &PassLimits::default()).unwrap_err();
    assert!(matches!(error, DecodeError::Base45(codec::Base45Error::TooLong { .. })), "{error}");
}

#[test]
fn every_truncation_of_a_real_pass_is_an_error_not_a_panic() {
    let (pass, verifier) = demo();
    for length in 0..pass.len() {
        let truncated = &pass[..length];
        assert!(verifier.verify_text(truncated, now()).is_err(), "a {length}-character prefix decoded");
    }
    let cose = codec::unwrap_text(&pass, &PassLimits::default()).unwrap();
    for length in 0..cose.len() {
        let rewrapped = wrap(&cose[..length]);
        assert!(verifier.verify_text(&rewrapped, now()).is_err(), "{length} COSE bytes decoded");
    }
}

/// xorshift64*: a fixed-seed generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

#[test]
fn mutated_passes_never_panic_and_never_verify_when_signed_bytes_change() {
    let (pass, verifier) = demo();
    let original = codec::unwrap_text(&pass, &PassLimits::default()).unwrap();
    let original_decoded = codec::decode_cose(&original, &PassLimits::default()).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut verdicts = 0;
    for _ in 0..20_000 {
        let mut bytes = original.clone();
        for _ in 0..=rng.below(4) {
            match rng.below(4) {
                0 => {
                    let index = rng.below(bytes.len());
                    bytes[index] ^= 1 << rng.below(8);
                }
                1 => {
                    let index = rng.below(bytes.len());
                    bytes[index] = rng.next() as u8;
                }
                2 if bytes.len() > 1 => {
                    bytes.remove(rng.below(bytes.len()));
                }
                _ => {
                    let index = rng.below(bytes.len() + 1);
                    bytes.insert(index, rng.next() as u8);
                }
            }
        }
        let Ok(verdict) = verifier.verify_text(&wrap(&bytes), now()) else { continue };
        verdicts += 1;
        if verdict.is_valid() {
            // Only a change outside the signed bytes (the unprotected header) may stay valid.
            let decoded = codec::decode_cose(&bytes, &PassLimits::default()).unwrap();
            assert_eq!(decoded.message.signed_data(), original_decoded.message.signed_data());
            assert_eq!(decoded.message.signature(), original_decoded.message.signature());
        }
    }
    assert!(verdicts > 100, "mutations should often still decode to a verdict; got {verdicts}");
}

#[test]
fn random_text_gets_a_clear_error() {
    let (_, verifier) = demo();
    let mut rng = Rng(42);
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    for _ in 0..5_000 {
        let length = rng.below(600);
        let body: String = (0..length).map(|_| char::from(alphabet[rng.below(alphabet.len())])).collect();
        let error = verifier.verify_text(&format!("HC1:{body}"), now()).unwrap_err();
        assert!(!error.to_string().is_empty());
    }
}
