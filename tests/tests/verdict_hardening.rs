//! The classes of defect an outside review found in verification, each as a pass the tests
//! build and sign themselves: duplicate map keys read three ways, content checks that failed
//! open, a signer issuing under another country, lower-case countries missing revocations,
//! trailing bytes after the zlib stream, and rules without a work budget.

use std::sync::Arc;

use ciborium::Value;
use healthpass_core::codec::{self, CborError, CwtError, DecodeError, InflateError, PassLimits};
use healthpass_core::dcc::CertificateType;
use healthpass_core::dcc::{Dcc, Entry, RecoveryEntry};
use healthpass_core::rules::certlogic::{self, Value as LogicValue};
use healthpass_core::time::{CivilDate, UnixTime};
use healthpass_core::trust::revocation::{HashList, PassRevocationHashes};
use healthpass_core::trust::{DocumentSignerCertificate, TrustAnchor, TrustBundle, TrustStore};
use healthpass_core::verify::{Reason, Verifier, VerifyError};
use healthpass_tests::vectors::{
    TestAuthority, bundle_contents, claims_around, demo_authority, demo_signed_pass, fixed_key, sample_test_dcc,
    sign_claims,
};

fn at(text: &str) -> UnixTime {
    UnixTime::parse_rfc3339(text).unwrap()
}

fn now() -> UnixTime {
    at("2027-03-01T12:00:00Z")
}

fn verifier() -> Verifier {
    let signer = DocumentSignerCertificate::from_der(&demo_authority().dsc.certificate_der).unwrap();
    Verifier::new(TrustStore::from_iter([signer]))
}

fn test_dcc(result: &str) -> Value {
    sample_test_dcc(now().saturating_sub(3600), result, "HARDEN").to_value()
}

fn pass_with(dcc: Value, issuer_country: &str) -> String {
    demo_signed_pass(&claims_around(dcc, issuer_country, now().saturating_sub(600), now().saturating_add(86_400)))
}

fn codes(text: &str) -> Vec<&'static str> {
    verifier().verify_text(text, now()).unwrap().reasons.iter().map(Reason::code).collect()
}

fn text(value: &str) -> Value {
    Value::Text(value.into())
}

/// Appends `key: value` to the map found at `path` (text keys) inside `value`.
fn push_entry(value: &mut Value, path: &[&str], key: Value, entry: Value) {
    let mut current = value;
    for step in path {
        current = match current {
            Value::Map(entries) => &mut entries.iter_mut().find(|(k, _)| *k == text(step)).unwrap().1,
            Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
            _ => panic!("no {step}"),
        };
    }
    let Value::Map(entries) = current else { panic!("not a map") };
    entries.push((key, entry));
}

#[test]
fn the_control_pass_is_valid() {
    assert_eq!(codes(&pass_with(test_dcc("260415000"), "FR")), Vec::<&str>::new());
}

/// "t" twice, "tr" negative then positive, "nam" twice, a claim twice, the DCC twice in the
/// hcert container: each makes the input not a pass, naming where.
#[test]
fn any_duplicate_key_in_the_signed_payload_makes_it_not_a_pass() {
    let cases: Vec<(Value, &str, &str)> = {
        let mut t_twice = test_dcc("260415000");
        let entries = match &t_twice {
            Value::Map(entries) => entries.iter().find(|(k, _)| *k == text("t")).unwrap().1.clone(),
            _ => unreachable!(),
        };
        push_entry(&mut t_twice, &[], text("t"), entries);
        let mut tr_twice = test_dcc("260415000");
        push_entry(&mut tr_twice, &["t", "0"], text("tr"), text("260373001"));
        let mut nam_twice = test_dcc("260415000");
        push_entry(&mut nam_twice, &[], text("nam"), Value::Map(vec![(text("fnt"), text("OTHER"))]));
        let mut fnt_twice = test_dcc("260415000");
        push_entry(&mut fnt_twice, &["nam"], text("fnt"), text("OTHER"));
        vec![
            (t_twice, "/-260/1", "\"t\""),
            (tr_twice, "/-260/1/t/0", "\"tr\""),
            (nam_twice, "/-260/1", "\"nam\""),
            (fnt_twice, "/-260/1/nam", "\"fnt\""),
        ]
    };
    for (dcc, path, key) in cases {
        let error = verifier().verify_text(&pass_with(dcc, "FR"), now()).unwrap_err();
        let VerifyError::Decode(DecodeError::Cwt(CwtError::Cbor(CborError::DuplicateKey {
            path: found,
            key: found_key,
        }))) = &error
        else {
            panic!("{path}: {error}")
        };
        assert_eq!((found.as_str(), found_key.as_str()), (path, key));
        assert!(error.to_string().contains(path), "the message names the place: {error}");
    }

    // A claim twice, and the EU DCC twice inside -260.
    let mut claims = claims_around(test_dcc("260415000"), "FR", now(), now().saturating_add(60));
    push_entry(&mut claims, &[], Value::Integer(4.into()), Value::Integer(4_000_000_000i64.into()));
    assert!(matches!(
        verifier().verify_text(&demo_signed_pass(&claims), now()),
        Err(VerifyError::Decode(DecodeError::Cwt(CwtError::Cbor(CborError::DuplicateKey { .. }))))
    ));
    let mut claims = claims_around(test_dcc("260415000"), "FR", now(), now().saturating_add(60));
    let Value::Map(entries) = &mut claims else { unreachable!() };
    let (_, container) = entries.iter_mut().find(|(k, _)| *k == Value::Integer((-260).into())).unwrap();
    let Value::Map(container) = container else { unreachable!() };
    container.push((Value::Integer(1.into()), test_dcc("260373001")));
    let error = verifier().verify_text(&demo_signed_pass(&claims), now()).unwrap_err();
    assert!(error.to_string().contains("/-260"), "{error}");
}

/// Fail-closed test results: only the "not detected" code is accepted.
#[test]
fn a_test_result_other_than_not_detected_is_invalid() {
    assert_eq!(codes(&pass_with(test_dcc("260373001"), "FR")), ["test_result_positive"]);
    for unknown in ["POSITIVO", "negative", "", "260415000 ", "260415001"] {
        let found = codes(&pass_with(test_dcc(unknown), "FR"));
        assert!(found.contains(&"test_result_unknown"), "{unknown:?}: {found:?}");
    }
}

fn recovery_dcc(valid_from: &str, valid_until: &str) -> Value {
    let date = |text: &str| CivilDate::parse(text).unwrap();
    let mut dcc: Dcc = Dcc::from_value(&test_dcc("260415000")).unwrap();
    dcc.entry = Entry::Recovery(RecoveryEntry {
        disease: "840539006".into(),
        first_positive: healthpass_core::dcc::DccDate::Calendar(date("2027-01-01")),
        country: "FR".into(),
        issuer: "Healthpass test authority".into(),
        valid_from: date(valid_from),
        valid_until: date(valid_until),
        certificate_id: "URN:UVCI:01:FR:HPRECOVERY".into(),
    });
    dcc.to_value()
}

/// Without a bundle (no business rules), a recovery past its `du` or before its `df` used to
/// be valid.
#[test]
fn a_recovery_certificate_is_valid_only_within_its_own_window() {
    let authority = TestAuthority::for_types(
        "FR",
        "Healthpass test authority",
        at("2026-01-01T00:00:00Z"),
        at("2030-01-01T00:00:00Z"),
        0x31,
        &[CertificateType::Recovery],
    );
    let signer = DocumentSignerCertificate::from_der(&authority.dsc.certificate_der).unwrap();
    let verifier = Verifier::new(TrustStore::from_iter([signer]));
    let codes = |from: &str, until: &str| {
        let claims =
            claims_around(recovery_dcc(from, until), "FR", now().saturating_sub(600), now().saturating_add(60));
        let pass = sign_claims(&claims, &authority.dsc.key, authority.kid());
        verifier.verify_text(&pass, now()).unwrap().reasons.iter().map(Reason::code).collect::<Vec<_>>()
    };
    assert!(codes("2027-01-12", "2027-06-30").is_empty());
    assert_eq!(codes("2027-01-12", "2027-02-28"), ["recovery_expired"]);
    assert_eq!(codes("2027-03-02", "2027-06-30"), ["recovery_not_yet_valid"]);
    // The last day counts (du is inclusive), and so does the first.
    assert!(codes("2027-01-12", "2027-03-01").is_empty());
    assert!(codes("2027-03-01", "2027-06-30").is_empty());
}

/// The demo signer is a French certificate: it may not issue passes claiming Germany.
#[test]
fn a_signer_issuing_under_another_country_is_reported() {
    let found = codes(&pass_with(test_dcc("260415000"), "DE"));
    assert_eq!(found, ["issuer_country_mismatch"]);
    assert!(codes(&pass_with(test_dcc("260415000"), "fr")).is_empty(), "case does not make a mismatch");
}

/// A revocation entry for "FR" + UCI catches a pass whose `iss` says "fr".
#[test]
fn a_lower_case_issuer_country_does_not_escape_the_country_revocation_list() {
    let dcc = test_dcc("260415000");
    let uci = Dcc::from_value(&dcc).unwrap().certificate_id().to_owned();
    let pass = pass_with(dcc, "fr");
    let decoded = codec::decode_pass_text(&pass, &PassLimits::default()).unwrap();
    let hashes = PassRevocationHashes::of_pass(&decoded).unwrap();
    assert_eq!(hashes.country_code_uci, healthpass_core::trust::revocation::country_code_uci_hash("FR", &uci));

    let anchor_key = fixed_key(0x61);
    let mut contents =
        bundle_contents(&demo_authority().dsc.certificate_der, at("2027-01-01T00:00:00Z"), at("2027-06-01T00:00:00Z"));
    contents.revocations.country_code_uci = HashList::from_hashes(vec![hashes.country_code_uci]);
    let bundle =
        TrustBundle::load(&contents.sign(&anchor_key).unwrap(), &[TrustAnchor::new(*anchor_key.verifying_key())])
            .unwrap();
    let verdict = Verifier::with_bundle(Arc::new(bundle), Some("FR")).unwrap().verify_text(&pass, now()).unwrap();
    assert_eq!(verdict.reasons.iter().map(Reason::code).collect::<Vec<_>>(), ["revoked"]);
    assert_eq!(verdict.issuer_country.as_deref(), Some("FR"));
}

/// Two texts must never carry the same pass: bytes after the zlib stream are refused.
#[test]
fn bytes_after_the_zlib_stream_make_the_text_not_a_pass() {
    let pass = pass_with(test_dcc("260415000"), "FR");
    let cose = codec::unwrap_text(&pass, &PassLimits::default()).unwrap();
    let mut compressed = codec::deflate(&cose);
    compressed.extend_from_slice(b"EXTRA");
    let padded = format!("HC1:{}", codec::encode_base45(&compressed));
    assert_eq!(
        verifier().verify_text(&padded, now()).unwrap_err(),
        VerifyError::Decode(DecodeError::Inflate(InflateError::TrailingBytes { count: 5 }))
    );
}

/// Nested `reduce` over literal arrays grows exponentially: the 4.6 kB rule of the review took
/// 5.5 s, one more level minutes. Evaluation now stops at its budget with a clear error.
#[test]
fn certlogic_evaluation_stops_at_its_budget() {
    let literal: Vec<serde_json::Value> = (0..40).map(serde_json::Value::from).collect();
    let mut expression = serde_json::json!({"+": [{"var": "accumulator"}, 1]});
    for _ in 0..6 {
        expression = serde_json::json!({"reduce": [literal.clone(), {"+": [{"var": "accumulator"}, {"reduce": [literal.clone(), expression, 0]}]}, 0]});
    }
    let error = certlogic::evaluate(&expression, &LogicValue::Null).unwrap_err();
    assert!(error.message.contains("evaluation budget"), "{}", error.message);

    // An accumulator that doubles each step is refused for its size long before memory runs out.
    let doubling = serde_json::json!({"reduce": [literal, [{"var": "accumulator"}, {"var": "accumulator"}], [0]]});
    let error = certlogic::evaluate(&doubling, &LogicValue::Null).unwrap_err();
    assert!(error.message.contains("budget") || error.message.contains("elements"), "{}", error.message);

    // Real rules stay far inside it: every shared rule is exercised by the rules conformance suite.
    let small = serde_json::json!({"reduce": [[1, 2, 3], {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]});
    assert_eq!(certlogic::evaluate(&small, &LogicValue::Null).unwrap(), LogicValue::Integer(6));
}
