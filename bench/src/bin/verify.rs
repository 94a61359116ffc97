//! Text-to-verdict time for real ES256 and PS256 passes, ours beside the `dgc` crate
//! (rust-italia/dgc 0.0.7, ring-based), and the share of our time spent in the signature check.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin verify

use healthpass_bench::{conformance_dir, measure, micros};
use healthpass_core::codec::{self, AlgorithmHeader, PassLimits};
use healthpass_core::conformance::dcc_vector::DccVector;
use healthpass_core::dcc::{self, CertificateType, Dcc};
use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
use healthpass_core::verify::{Verifier, policy, signature::check_signature};

struct Case {
    label: &'static str,
    file: &'static str,
}

const CASES: &[Case] = &[
    Case { label: "ES256 (AT/1, vaccination)", file: "dgc-testdata/AT/2DCode/raw/1.json" },
    Case { label: "ES256 (common/CO3)", file: "dgc-testdata/common/2DCode/raw/CO3.json" },
    Case { label: "PS256 RSA-2048 (common/CO1)", file: "dgc-testdata/common/2DCode/raw/CO1.json" },
    Case { label: "PS256 RSA-3072 (common/CO2)", file: "dgc-testdata/common/2DCode/raw/CO2.json" },
];

fn main() {
    let root = conformance_dir();
    println!("text-to-verdict per pass, median of 15 rounds (microseconds)");
    println!(
        "{:<30} {:>10} {:>12} {:>10} {:>8} {:>10} {:>8}",
        "pass", "ours", "ours-no-sig", "sig only", "sig %", "dgc peer", "ours/dgc"
    );
    for case in CASES {
        let bytes = std::fs::read(root.join(case.file)).unwrap_or_else(|e| panic!("{}: {e}", case.file));
        let vector = DccVector::parse(&bytes).expect("vector");
        let text = vector.prefix.clone().expect("PREFIX");
        let der = vector.certificate_der.clone().expect("CERTIFICATE");
        let signer = DocumentSignerCertificate::from_der(&der).expect("DSC");
        let now = vector.validation_clock.expect("clock");
        let verifier = Verifier::new(TrustStore::from_iter([signer.clone()]));
        let verdict = verifier.verify_text(&text, now).expect("pass");
        assert!(
            !verdict.has_reason_in(healthpass_core::verify::ReasonCategory::Signature),
            "{}: the signature must verify for a fair comparison: {:?}",
            case.label,
            verdict.reasons
        );

        let full = measure(|| verifier.verify_text(&text, now));
        let limits = PassLimits::default();
        // Everything but the signature: decode, schema, typed payload, policy.
        let without_signature = measure(|| {
            let pass = codec::decode_pass_text(&text, &limits).expect("decode");
            let value = dcc::hcert::dcc_value(&pass.claims).expect("hcert");
            let schema = dcc::schema::check_dcc(value).expect("schema");
            let typed = Dcc::from_value(value).expect("dcc");
            let mut reasons = policy::validity_reasons(&pass.claims, now);
            reasons.extend(policy::signer_validity_reasons(&pass.claims, &signer));
            if let [kind] = CertificateType::declared_in(value).as_slice() {
                reasons.extend(policy::key_usage_reason(&signer, *kind));
            }
            reasons.extend(policy::content_reasons(&typed, now));
            (schema.violations.len(), reasons.len(), pass.message.signed_data().len())
        });
        let pass = codec::decode_pass_text(&text, &limits).expect("decode");
        let AlgorithmHeader::Supported(algorithm) = pass.message.algorithm() else { panic!("algorithm") };
        let signed = pass.message.signed_data();
        let signature_only = measure(|| check_signature(algorithm, signer.key(), &signed, pass.message.signature()));

        let mut trust = dgc::TrustList::default();
        let certificate_base64 =
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("json")["TESTCTX"]["CERTIFICATE"]
                .as_str()
                .expect("certificate")
                .to_owned();
        trust.add_key_from_certificate(&certificate_base64).expect("peer trust list");
        let (_, validity) = dgc::validate(&text, &trust).expect("peer parse");
        assert!(validity.is_valid(), "{}: the peer must verify the signature too", case.label);
        let peer = measure(|| dgc::validate(&text, &trust));

        println!(
            "{:<30} {:>10.1} {:>12.1} {:>10.1} {:>7.0}% {:>10.1} {:>8.2}",
            case.label,
            micros(full),
            micros(without_signature),
            micros(signature_only),
            100.0 * signature_only.as_secs_f64() / full.as_secs_f64(),
            micros(peer),
            full.as_secs_f64() / peer.as_secs_f64()
        );
    }
    println!("\nours: full verification (signature, iat/exp, signer validity, key usage, schema of the declared");
    println!("release, typed payload, content rules); dgc: decode and signature only.");
}
