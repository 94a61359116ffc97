//! The tolerance policy (README, "Tolerance policy"), one class at a time: a pass built by the
//! tests with the deviation, its verdict and its notice. A deviation in a field that is only
//! shown is a notice on a valid pass; one that prevents the decision makes the pass invalid;
//! business rules decide on the fields they read.

use std::sync::Arc;

use ciborium::Value;
use healthpass_core::dcc::{CertificateType, DateOfBirth};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{DocumentSignerCertificate, TrustAnchor, TrustBundle, TrustStore};
use healthpass_core::verify::{Verdict, Verifier, VerifyError};
use healthpass_tests::vectors::{
    TestAuthority, bundle_contents, claims_around, fixed_key, sample_recovery_value, sample_test_dcc,
    sample_vaccination_value, sign_claims,
};

fn at(text: &str) -> UnixTime {
    UnixTime::parse_rfc3339(text).unwrap()
}

fn now() -> UnixTime {
    at("2027-03-01T12:00:00Z")
}

/// A signer that may sign every type, so vaccination and recovery passes reach the policy.
fn authority() -> TestAuthority {
    TestAuthority::for_types(
        "FR",
        "Healthpass test authority",
        at("2026-01-01T00:00:00Z"),
        at("2030-01-01T00:00:00Z"),
        0x41,
        &[CertificateType::Test, CertificateType::Vaccination, CertificateType::Recovery],
    )
}

fn signer() -> DocumentSignerCertificate {
    DocumentSignerCertificate::from_der(&authority().dsc.certificate_der).unwrap()
}

fn sign(dcc: Value) -> String {
    let authority = authority();
    let claims = claims_around(dcc, "FR", now().saturating_sub(600), now().saturating_add(86_400));
    sign_claims(&claims, &authority.dsc.key, authority.kid())
}

fn verify(dcc: Value) -> Verdict {
    Verifier::new(TrustStore::from_iter([signer()])).verify_text(&sign(dcc), now()).unwrap()
}

fn text(value: &str) -> Value {
    Value::Text(value.into())
}

/// Sets (or with None removes) `key` of the map at `path` inside `value`.
fn edit(mut value: Value, path: &[&str], key: &str, new: Option<Value>) -> Value {
    let mut current = &mut value;
    for step in path {
        current = match current {
            Value::Map(entries) => &mut entries.iter_mut().find(|(k, _)| *k == text(step)).unwrap().1,
            Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
            _ => panic!("no {step}"),
        };
    }
    let Value::Map(entries) = current else { panic!("not a map") };
    match entries.iter_mut().find(|(k, _)| *k == text(key)) {
        Some(entry) => match new {
            Some(new) => entry.1 = new,
            None => entries.retain(|(k, _)| *k != text(key)),
        },
        None => entries.extend(new.map(|new| (text(key), new))),
    }
    value
}

fn test_dcc() -> Value {
    sample_test_dcc(now().saturating_sub(3600), "260415000", "TOLERANCE").to_value()
}

fn vaccination_dcc(date: &str) -> Value {
    sample_vaccination_value(&test_dcc(), date, "URN:UVCI:01:FR:TOLERANCEVACC")
}

fn recovery_dcc(valid_from: &str) -> Value {
    sample_recovery_value(&test_dcc(), "2027-01-01", valid_from, "2027-06-30", "URN:UVCI:01:FR:TOLERANCERECO")
}

fn codes(verdict: &Verdict) -> (Vec<&'static str>, Vec<(&'static str, String)>) {
    (
        verdict.reasons.iter().map(|reason| reason.code()).collect(),
        verdict.notices.iter().map(|notice| (notice.code(), notice.field.clone())).collect(),
    )
}

/// Valid, and the notice at the field.
fn assert_valid_with(verdict: &Verdict, code: &str, field: &str) {
    let (reasons, notices) = codes(verdict);
    assert!(verdict.is_valid(), "reasons {reasons:?}, notices {notices:?}");
    assert!(notices.contains(&(code_static(code), field.to_owned())), "{code} at {field} not in {notices:?}");
    for notice in &verdict.notices {
        assert!(!notice.to_string().contains("Amélie") && !notice.to_string().contains("1987"), "{notice}");
    }
}

fn code_static(code: &str) -> &'static str {
    healthpass_core::verify::NoticeKind::ALL.iter().map(|kind| kind.code()).find(|known| *known == code).unwrap()
}

#[test]
fn a_clean_pass_has_no_notice() {
    let verdict = verify(test_dcc());
    assert!(verdict.is_valid() && verdict.notices.is_empty(), "{:?}", codes(&verdict));
    assert!(verify(vaccination_dcc("2027-01-10")).notices.is_empty());
    assert!(verify(recovery_dcc("2027-01-12")).notices.is_empty());
}

#[test]
fn unknown_extra_fields_are_noticed() {
    let verdict = verify(edit(edit(test_dcc(), &["t", "0"], "xx", Some(text("?"))), &[], "extra", Some(Value::Null)));
    assert_valid_with(&verdict, "unknown_field", "/t/0/xx");
    assert_valid_with(&verdict, "unknown_field", "/extra");
}

#[test]
fn null_for_an_optional_field_or_an_entry_list_reads_as_absent() {
    // "ma": null in a PCR (NAAT) test.
    let naat = edit(edit(test_dcc(), &["t", "0"], "tt", Some(text("LP6464-4"))), &["t", "0"], "ma", Some(Value::Null));
    assert_valid_with(&verify(naat), "null_field", "/t/0/ma");
    // "v": null beside the test entry.
    let verdict = verify(edit(test_dcc(), &[], "v", Some(Value::Null)));
    assert_valid_with(&verdict, "null_field", "/v");
    assert_eq!(verdict.certificate_type, Some(CertificateType::Test));
}

#[test]
fn date_times_where_dates_belong_read_their_date() {
    let verdict = verify(vaccination_dcc("2027-01-10T22:54:00+02:00"));
    assert_valid_with(&verdict, "date_time_for_date", "/v/0/dt");
    let verdict = verify(edit(test_dcc(), &[], "dob", Some(text("1987-04-12T00:00:00"))));
    assert_valid_with(&verdict, "date_time_for_date", "/dob");
    assert_eq!(verdict.holder.unwrap().date_of_birth.to_string(), "1987-04-12");
}

/// The controller compares the date of birth with an identity document: it is shown exactly
/// as the pass holds it when it is not a full date.
#[test]
fn a_date_of_birth_with_zero_or_missing_parts_is_shown_as_written() {
    let verdict = verify(edit(test_dcc(), &[], "dob", Some(text("1989-00-20"))));
    assert_valid_with(&verdict, "date_as_written", "/dob");
    assert_eq!(verdict.holder.as_ref().unwrap().date_of_birth, DateOfBirth::AsWritten("1989-00-20".into()));
    assert_eq!(verdict.holder.unwrap().date_of_birth.to_string(), "1989-00-20");
    for partial in ["1989", "1989-03"] {
        let verdict = verify(edit(test_dcc(), &[], "dob", Some(text(partial))));
        assert!(verdict.is_valid() && verdict.notices.is_empty(), "{partial}: {:?}", codes(&verdict));
        assert_eq!(verdict.holder.unwrap().date_of_birth.to_string(), partial);
    }
}

#[test]
fn a_vaccination_date_that_is_not_a_date_is_shown_and_left_to_the_rules() {
    let verdict = verify(vaccination_dcc("2022-17-01"));
    assert_valid_with(&verdict, "date_as_written", "/v/0/dt");
    // With rules that read the date, those rules cannot decide, and say which field.
    let verdict = verify_with_rule(
        vaccination_dcc("2022-17-01"),
        serde_json::json!({"not-after": [{"plusTime": [{"var": "payload.v.0.dt"}, 14, "day"]}, {"plusTime": [{"var": "external.validationClock"}, 0, "day"]}]}),
    );
    let (reasons, _) = codes(&verdict);
    assert_eq!(reasons, ["rule_open"]);
    assert!(verdict.reasons[0].to_string().contains("payload.v.0.dt"), "{}", verdict.reasons[0]);
    // The same rule passes on a calendar date.
    let verdict = verify_with_rule(
        vaccination_dcc("2027-01-10"),
        serde_json::json!({"not-after": [{"plusTime": [{"var": "payload.v.0.dt"}, 14, "day"]}, {"plusTime": [{"var": "external.validationClock"}, 0, "day"]}]}),
    );
    assert!(verdict.is_valid(), "{:?}", codes(&verdict));
}

fn verify_with_rule(dcc: Value, logic: serde_json::Value) -> Verdict {
    let rule = serde_json::json!({
        "Identifier": "VR-FR-0001", "Type": "Acceptance", "Country": "FR", "Version": "1.0.0", "SchemaVersion": "1.0.0",
        "Engine": "CERTLOGIC", "EngineVersion": "1.3.3", "CertificateType": "Vaccination",
        "Description": [{"lang": "en", "desc": "The vaccination is at least 14 days old."}],
        "ValidFrom": "2026-01-01T00:00:00Z", "ValidTo": "2030-01-01T00:00:00Z", "AffectedFields": ["v.0.dt"],
        "Logic": logic,
    });
    let anchor_key = fixed_key(0x61);
    let mut contents =
        bundle_contents(&authority().dsc.certificate_der, at("2027-01-01T00:00:00Z"), at("2027-06-01T00:00:00Z"));
    contents.rules = vec![rule];
    let bundle =
        TrustBundle::load(&contents.sign(&anchor_key).unwrap(), &[TrustAnchor::new(*anchor_key.verifying_key())])
            .unwrap();
    Verifier::with_bundle(Arc::new(bundle), Some("FR")).unwrap().verify_text(&sign(dcc), now()).unwrap()
}

#[test]
fn unknown_and_lower_case_codes_are_noticed() {
    let verdict = verify(edit(test_dcc(), &["t", "0"], "ma", Some(text("999999"))));
    assert_valid_with(&verdict, "unknown_code", "/t/0/ma");
    let verdict = verify(edit(test_dcc(), &["t", "0"], "co", Some(text("fr"))));
    assert_valid_with(&verdict, "code_case", "/t/0/co");
    let verdict = verify(edit(vaccination_dcc("2027-01-10"), &["v", "0"], "mp", Some(text("EU/1/99/0000"))));
    assert_valid_with(&verdict, "unknown_code", "/v/0/mp");
}

#[test]
fn whitespace_around_a_shown_field_is_noticed() {
    let verdict = verify(edit(test_dcc(), &["t", "0"], "is", Some(text(" Healthpass test authority "))));
    assert_valid_with(&verdict, "whitespace", "/t/0/is");
}

#[test]
fn shown_fields_that_are_missing_or_mistyped_are_noticed() {
    let verdict = verify(edit(test_dcc(), &["t", "0"], "tc", Some(Value::Integer(7.into()))));
    assert!(verdict.is_valid(), "{:?}", codes(&verdict));
    assert!(verdict.notices.iter().any(|notice| notice.field == "/t/0/tc"), "{:?}", codes(&verdict));
    let verdict = verify(edit(vaccination_dcc("2027-01-10"), &["v", "0"], "is", None));
    assert_valid_with(&verdict, "missing_field", "/v/0/is");
    // A name too long for the schema is shown as written.
    let long = "A".repeat(120);
    let verdict = verify(edit(test_dcc(), &["nam"], "fnt", Some(text(&long))));
    assert_valid_with(&verdict, "schema_deviation", "/nam/fnt");
}

/// What prevents the decision, or makes it ambiguous, is invalid (or not a pass at all).
#[test]
fn deviations_that_prevent_the_decision_are_invalid() {
    let invalid = |dcc: Value, expected: &str| {
        let verdict = verify(dcc);
        let (reasons, _) = codes(&verdict);
        assert!(!verdict.is_valid() && reasons.contains(&expected), "{expected}: {reasons:?}");
    };
    invalid(edit(test_dcc(), &["t", "0"], "tr", Some(Value::Integer(260_415_000.into()))), "payload_invalid");
    invalid(edit(test_dcc(), &["t", "0"], "tr", None), "payload_invalid");
    invalid(edit(test_dcc(), &["t", "0"], "sc", Some(text("yesterday"))), "payload_invalid");
    invalid(edit(test_dcc(), &["t", "0"], "ci", None), "payload_invalid");
    invalid(recovery_dcc("2022-17-01"), "payload_invalid");
    invalid(edit(test_dcc(), &[], "t", Some(Value::Array(Vec::new()))), "payload_invalid");
    let vaccination_entries =
        vaccination_dcc("2027-01-10").as_map().unwrap().iter().find(|(k, _)| *k == text("v")).unwrap().1.clone();
    let two = edit(test_dcc(), &[], "v", Some(vaccination_entries));
    invalid(two, "payload_invalid");
    // No known entry type at all.
    let unknown_type = edit(edit(test_dcc(), &[], "t", None), &[], "x", Some(Value::Array(vec![Value::Null])));
    invalid(unknown_type, "payload_invalid");
    invalid(edit(test_dcc(), &[], "ver", None), "schema_unavailable");
    // A duplicate key is not even a pass.
    let mut duplicated = test_dcc();
    if let Value::Map(entries) = &mut duplicated {
        entries.push((text("dob"), text("1990-01-01")));
    }
    assert!(matches!(
        Verifier::new(TrustStore::from_iter([signer()])).verify_text(&sign(duplicated), now()),
        Err(VerifyError::Decode(_))
    ));
}
