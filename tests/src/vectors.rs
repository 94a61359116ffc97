//! Generates the project's own test vectors, in the dgc-testdata layout, for the checks of
//! BasicDgcTestsList.md that upstream never wrote vectors for (CO4, CO24–CO27, DGC7, DGC8),
//! plus a fully valid control vector, and the demo pass the CLI embeds.
//!
//! Everything is deterministic: fixed keys, fixed times, RFC 6979 signatures. Run
//! `cargo run -p healthpass-tests --bin generate-vectors`; the test `self_made_vectors_are_current`
//! fails when the committed files differ from what this produces.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use ciborium::Value;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use serde_json::json;

use healthpass_core::codec::cose::sig_structure;
use healthpass_core::codec::{self, CwtClaims, cbor};
use healthpass_core::dcc::payload::{TEST_RESULT_DETECTED, TEST_RESULT_NOT_DETECTED, TEST_TYPE_RAPID_ANTIGEN};
use healthpass_core::dcc::{CertificateType, DateOfBirth, Dcc, Entry, PersonName, TestEntry, hcert, json as dcc_json};
use healthpass_core::issue::authority::{self, CertificateRequest, KeyAndCertificate};
use healthpass_core::issue::{Issuer, IssuingPolicy, SoftwareSigner, TestCertificateRequest, TestResult, TestType};
use healthpass_core::time::{CivilDate, UnixTime};
use healthpass_core::trust::Kid;

use crate::tables::GeneratedFile;

/// A fixed key from a one-byte seed (never use such keys outside tests and demos).
pub fn fixed_key(seed: u8) -> SigningKey {
    let mut bytes = [seed; 32];
    bytes[0] = 0x01; // keep the scalar well below the group order
    match SigningKey::from_slice(&bytes) {
        Ok(key) => key,
        Err(_) => unreachable!("a 32-byte scalar of this form is a valid P-256 key"),
    }
}

fn time(text: &str) -> UnixTime {
    UnixTime::parse_rfc3339(text).unwrap_or(UnixTime::from_seconds(0))
}

/// A demo or test authority: a CSCA and one DSC allowed to sign test certificates.
pub struct TestAuthority {
    pub csca: KeyAndCertificate,
    pub dsc: KeyAndCertificate,
}

impl TestAuthority {
    pub fn new(country: &str, organization: &str, from: UnixTime, until: UnixTime, seed: u8) -> Self {
        Self::for_types(country, organization, from, until, seed, &[CertificateType::Test])
    }

    /// An authority whose DSC may sign `types`.
    pub fn for_types(
        country: &str,
        organization: &str,
        from: UnixTime,
        until: UnixTime,
        seed: u8,
        types: &[CertificateType],
    ) -> Self {
        let request = |common_name: &'static str, serial| CertificateRequest {
            country,
            common_name,
            organization,
            not_before: from,
            not_after: until,
            serial,
        };
        let csca = authority::country_signing_ca(&request("Country Signing CA", 1), fixed_key(seed))
            .unwrap_or_else(|error| unreachable!("fixed inputs build a CSCA: {error}"));
        let dsc =
            authority::document_signer(&request("Document Signer", 2), fixed_key(seed.wrapping_add(1)), types, &csca)
                .unwrap_or_else(|error| unreachable!("fixed inputs build a DSC: {error}"));
        Self { csca, dsc }
    }

    pub fn kid(&self) -> Kid {
        Kid::of_certificate(&self.dsc.certificate_der)
    }
}

/// A rapid antigen test certificate with fixed, fictitious holder data.
pub fn sample_test_dcc(sample_time: UnixTime, result: &str, uvci_suffix: &str) -> Dcc {
    Dcc {
        version: "1.3.0".into(),
        name: PersonName {
            family_name: Some("Dubois-Lefèvre".into()),
            family_name_transliterated: Some("DUBOIS<LEFEVRE".into()),
            given_name: Some("Amélie".into()),
            given_name_transliterated: Some("AMELIE".into()),
        },
        date_of_birth: DateOfBirth::Full(CivilDate::new(1987, 4, 12).unwrap_or_else(|_| unreachable!())),
        entry: Entry::Test(TestEntry {
            disease: "840539006".into(),
            test_type: TEST_TYPE_RAPID_ANTIGEN.into(),
            test_name: None,
            device: Some("1232".into()),
            sample_time,
            result: result.into(),
            centre: Some("Pharmacie du Centre".into()),
            country: "FR".into(),
            issuer: "Healthpass test authority".into(),
            certificate_id: format!("URN:UVCI:01:FR:HPTEST{uvci_suffix}"),
        }),
    }
}

/// How to damage the COSE structure of a vector.
#[derive(Clone, Copy)]
enum Tamper {
    None,
    Algorithm(i64),
    KidLength(usize),
    LongSignature,
}

struct Built {
    cbor: Vec<u8>,
    cose: Vec<u8>,
}

fn build_pass(
    dcc_value: &Value,
    issued_at: UnixTime,
    expires_at: UnixTime,
    key: &SigningKey,
    kid: Kid,
    tamper: Tamper,
) -> Built {
    let dcc_value = dcc_value.clone();
    let claims = CwtClaims {
        issuer: Some("FR".into()),
        issued_at: Some(issued_at),
        expires_at: Some(expires_at),
        other: vec![(hcert::CLAIM_HCERT, hcert::container(dcc_value.clone()))],
    };
    let payload = cbor::encode(&claims.to_value());
    let algorithm = match tamper {
        Tamper::Algorithm(id) => id,
        _ => -7,
    };
    let kid_bytes = match tamper {
        Tamper::KidLength(length) => kid.as_bytes().iter().copied().cycle().take(length).collect(),
        _ => kid.as_bytes().to_vec(),
    };
    let protected = cbor::encode(&Value::Map(vec![
        (Value::Integer(1.into()), Value::Integer(algorithm.into())),
        (Value::Integer(4.into()), Value::Bytes(kid_bytes)),
    ]));
    let signature: p256::ecdsa::Signature = key.sign(&sig_structure(&protected, &payload));
    let signature_bytes = match tamper {
        // CO24: a DER signature (70–72 bytes) padded beyond 70 bytes, as broken signers produced.
        Tamper::LongSignature => {
            let mut der = signature.to_der().as_bytes().to_vec();
            der.resize(74, 0);
            der
        }
        _ => signature.to_bytes().to_vec(),
    };
    let cose = cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![]),
            Value::Bytes(payload),
            Value::Bytes(signature_bytes),
        ])),
    ));
    Built { cbor: cbor::encode(&dcc_value), cose }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What every vector of a set shares.
struct VectorContext<'a> {
    /// The signer certificate, base64.
    certificate: &'a str,
    clock: UnixTime,
    description: &'a str,
}

/// A vector file in the dgc-testdata layout: its path and its JSON text.
fn vector_file(
    name: &str,
    dcc: &Value,
    built: &Built,
    context: &VectorContext<'_>,
    expected: serde_json::Value,
    notices: Option<serde_json::Value>,
) -> (String, String) {
    let compressed = codec::deflate(&built.cose);
    let base45_text = codec::encode_base45(&compressed);
    let mut vector = json!({
        "JSON": dcc_json::cbor_to_json(dcc),
        "CBOR": hex(&built.cbor),
        "COSE": hex(&built.cose),
        "COMPRESSED": hex(&compressed),
        "BASE45": base45_text,
        "PREFIX": format!("HC1:{base45_text}"),
        "TESTCTX": {
            "VERSION": 1,
            "SCHEMA": "1.3.0",
            "CERTIFICATE": context.certificate,
            "VALIDATIONCLOCK": context.clock.to_rfc3339(),
            "DESCRIPTION": context.description,
        },
        "EXPECTEDRESULTS": expected,
    });
    if let (Some(notices), Some(object)) = (notices, vector.as_object_mut()) {
        object.insert("EXPECTEDNOTICES".into(), notices);
    }
    (format!("common/2DCode/raw/{name}.json"), serde_json::to_string_pretty(&vector).unwrap_or_default() + "\n")
}

struct VectorSpec {
    name: &'static str,
    description: &'static str,
    tamper: Tamper,
    result: &'static str,
    /// Sample time relative to the validation clock, in seconds.
    sample_offset: i64,
    expected: serde_json::Value,
}

/// Every self-made vector, keyed by its file path below `tests/vectors/dgc`.
pub fn self_made_vectors() -> Vec<(String, String)> {
    let from = time("2021-01-01T00:00:00Z");
    let until = time("2031-01-01T00:00:00Z");
    let authority = TestAuthority::new("FR", "Healthpass Test Authority", from, until, 0x21);
    let clock = time("2021-06-01T12:00:00Z");
    let issued_at = clock.saturating_sub(3600);
    let expires_at = clock.saturating_add(48 * 3600);
    let decodes = json!({"EXPECTEDUNPREFIX": true, "EXPECTEDB45DECODE": true, "EXPECTEDCOMPRESSION": true,
        "EXPECTEDDECODE": true, "EXPECTEDVALIDJSON": true});
    let with = |extra: serde_json::Value| {
        let mut expected = decodes.clone();
        if let (Some(base), Some(extra)) = (expected.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        expected
    };
    let specs = [
        VectorSpec {
            name: "HP1",
            description: "VALID: self-made control vector, a negative rapid antigen test signed with ES256 by a DSC allowed to sign tests",
            tamper: Tamper::None,
            result: TEST_RESULT_NOT_DETECTED,
            sample_offset: -2 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": true, "EXPECTEDEXPIRATIONCHECK": true, "EXPECTEDKEYUSAGE": true,
                "EXPECTEDSCHEMAVALIDATION": true, "EXPECTEDVALIDOBJECT": true, "EXPECTEDENCODE": true, "EXPECTEDVERDICT": true})),
        },
        VectorSpec {
            name: "CO4",
            description: "INVALID: algorithm not supported (ES512, -36, in the protected header)",
            tamper: Tamper::Algorithm(-36),
            result: TEST_RESULT_NOT_DETECTED,
            sample_offset: -2 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": false, "EXPECTEDVERDICT": false})),
        },
        VectorSpec {
            name: "CO24",
            description: "INVALID: ECDSA signature longer than 70 bytes (DER, padded) must be rejected without a crash",
            tamper: Tamper::LongSignature,
            result: TEST_RESULT_NOT_DETECTED,
            sample_offset: -2 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": false, "EXPECTEDVERDICT": false})),
        },
        VectorSpec {
            name: "CO25",
            description: "INVALID: kid shorter than 8 bytes (4 bytes)",
            tamper: Tamper::KidLength(4),
            result: TEST_RESULT_NOT_DETECTED,
            sample_offset: -2 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": false, "EXPECTEDVERDICT": false})),
        },
        VectorSpec {
            name: "CO26",
            description: "INVALID: kid longer than 8 bytes (16 bytes)",
            tamper: Tamper::KidLength(16),
            result: TEST_RESULT_NOT_DETECTED,
            sample_offset: -2 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": false, "EXPECTEDVERDICT": false})),
        },
        VectorSpec {
            name: "CO27",
            description: "INVALID: RSA algorithm id (PS256, -37) over an ECDSA signature from an EC signer",
            tamper: Tamper::Algorithm(-37),
            result: TEST_RESULT_NOT_DETECTED,
            sample_offset: -2 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": false, "EXPECTEDVERDICT": false})),
        },
        VectorSpec {
            name: "DGC7",
            description: "INVALID: test result 260373001 (detected); the signature and schema are fine",
            tamper: Tamper::None,
            result: TEST_RESULT_DETECTED,
            sample_offset: -2 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": true, "EXPECTEDSCHEMAVALIDATION": true, "EXPECTEDKEYUSAGE": true,
                "EXPECTEDEXPIRATIONCHECK": true, "EXPECTEDVERDICT": false})),
        },
        VectorSpec {
            name: "DGC8",
            description: "INVALID: sample time one day after the validation clock; the signature and schema are fine",
            tamper: Tamper::None,
            result: TEST_RESULT_NOT_DETECTED,
            sample_offset: 24 * 3600,
            expected: with(json!({"EXPECTEDVERIFY": true, "EXPECTEDSCHEMAVALIDATION": true, "EXPECTEDKEYUSAGE": true,
                "EXPECTEDEXPIRATIONCHECK": true, "EXPECTEDVERDICT": false})),
        },
    ];
    let certificate = base64::engine::general_purpose::STANDARD.encode(&authority.dsc.certificate_der);
    specs
        .iter()
        .map(|spec| {
            let dcc = sample_test_dcc(clock.saturating_add(spec.sample_offset), spec.result, spec.name);
            let built =
                build_pass(&dcc.to_value(), issued_at, expires_at, &authority.dsc.key, authority.kid(), spec.tamper);
            let context = VectorContext { certificate: &certificate, clock, description: spec.description };
            vector_file(spec.name, &dcc.to_value(), &built, &context, spec.expected.clone(), None)
        })
        .collect()
}

/// `dcc` (a CBOR map) with its entry replaced by `entry` under `key`.
fn with_entry(dcc: &Value, key: &str, entry: Vec<(&str, Value)>) -> Value {
    let mut dcc = dcc.clone();
    if let Value::Map(root) = &mut dcc {
        root.retain(|(k, _)| !matches!(k, Value::Text(t) if t == "v" || t == "t" || t == "r"));
        let entry = entry.into_iter().map(|(k, value)| (Value::Text(k.into()), value)).collect();
        root.push((Value::Text(key.into()), Value::Array(vec![Value::Map(entry)])));
    }
    dcc
}

/// The holder of `dcc` (a CBOR map) with a vaccination entry (Comirnaty, 2/2) on `date`, as
/// written.
pub fn sample_vaccination_value(dcc: &Value, date: &str, uvci: &str) -> Value {
    let text = |value: &str| Value::Text(value.into());
    with_entry(
        dcc,
        "v",
        vec![
            ("tg", text("840539006")),
            ("vp", text("1119349007")),
            ("mp", text("EU/1/20/1528")),
            ("ma", text("ORG-100030215")),
            ("dn", Value::Integer(2.into())),
            ("sd", Value::Integer(2.into())),
            ("dt", text(date)),
            ("co", text("FR")),
            ("is", text("Healthpass test authority")),
            ("ci", text(uvci)),
        ],
    )
}

/// The holder of `dcc` (a CBOR map) with a recovery entry, dates as written.
pub fn sample_recovery_value(
    dcc: &Value,
    first_positive: &str,
    valid_from: &str,
    valid_until: &str,
    uvci: &str,
) -> Value {
    let text = |value: &str| Value::Text(value.into());
    with_entry(
        dcc,
        "r",
        vec![
            ("tg", text("840539006")),
            ("fr", text(first_positive)),
            ("co", text("FR")),
            ("is", text("Healthpass test authority")),
            ("df", text(valid_from)),
            ("du", text(valid_until)),
            ("ci", text(uvci)),
        ],
    )
}

/// Bundle contents trusting one signer, in force from `from` to `until`, without rules or
/// revocations (tests add what they check).
pub fn bundle_contents(
    signer_der: &[u8],
    from: UnixTime,
    until: UnixTime,
) -> healthpass_core::trust::TrustBundleContents {
    healthpass_core::trust::TrustBundleContents {
        two_d_doc: None,
        sequence: 1,
        issued_at: from,
        not_before: from,
        expires_at: until,
        signers: vec![healthpass_core::trust::BundleSigner {
            certificate_der: signer_der.to_vec(),
            kid: None,
            allowed_types: None,
        }],
        fallback_roots: Vec::new(),
        device_revocations: Vec::new(),
        rules: Vec::new(),
        value_sets: healthpass_core::dcc::value_sets::rule_value_sets(),
        revocations: healthpass_core::trust::RevocationLists::default(),
    }
}

/// A tolerance vector: a deviation real issuers wrote, the verdict it gets, and its notices.
struct ToleranceSpec {
    name: &'static str,
    description: &'static str,
    dcc: Value,
    valid: bool,
    notices: &'static [&'static str],
    /// Only where the schema and the project's strict reading agree on it.
    schema_valid: Option<bool>,
}

/// The classes of the tolerance policy (README, "Tolerance policy") as vectors in the
/// dgc-testdata layout: EXPECTEDVERDICT is the project's full verification, EXPECTEDNOTICES
/// (a project field) the notice codes it must give.
pub fn tolerance_vectors() -> Vec<(String, String)> {
    let text = |value: &str| Value::Text(value.into());
    let from = time("2021-01-01T00:00:00Z");
    let until = time("2031-01-01T00:00:00Z");
    let authority = TestAuthority::for_types(
        "FR",
        "Healthpass Test Authority",
        from,
        until,
        0x23,
        &[CertificateType::Test, CertificateType::Vaccination, CertificateType::Recovery],
    );
    let clock = time("2021-06-01T12:00:00Z");
    let issued_at = clock.saturating_sub(3600);
    let expires_at = clock.saturating_add(48 * 3600);
    let test =
        |suffix: &str| sample_test_dcc(clock.saturating_sub(2 * 3600), TEST_RESULT_NOT_DETECTED, suffix).to_value();
    let edit = |mut value: Value, entry: bool, key: &str, new: Option<Value>| {
        let Value::Map(root) = &mut value else { return value };
        let target = if entry {
            match root.iter_mut().find(|(k, _)| matches!(k, Value::Text(t) if t == "t" || t == "v" || t == "r")) {
                Some((_, Value::Array(items))) => match items.first_mut() {
                    Some(Value::Map(fields)) => fields,
                    _ => return value,
                },
                _ => return value,
            }
        } else {
            root
        };
        target.retain(|(k, _)| !matches!(k, Value::Text(t) if t == key));
        if let Some(new) = new {
            target.push((Value::Text(key.into()), new));
        }
        value
    };
    let vaccination = |date: &str| sample_vaccination_value(&test("VACC"), date, "URN:UVCI:01:FR:HPTESTTOLVACC");
    let recovery = |valid_from: &str| {
        sample_recovery_value(&test("RECO"), "2021-03-01", valid_from, "2021-08-31", "URN:UVCI:01:FR:HPTESTTOLRECO")
    };
    let specs = [
        ToleranceSpec {
            name: "TOL1",
            description: "VALID with a notice: date of birth 1989-00-20 (zero month, which the dob pattern allows); shown as written",
            dcc: edit(test("TOL1"), false, "dob", Some(text("1989-00-20"))),
            valid: true,
            notices: &["date_as_written"],
            schema_valid: None,
        },
        ToleranceSpec {
            name: "TOL2",
            description: "VALID with a notice: vaccination date 2022-17-01 (day and month swapped); only business rules read it",
            dcc: vaccination("2022-17-01"),
            valid: true,
            notices: &["date_as_written"],
            schema_valid: None,
        },
        ToleranceSpec {
            name: "TOL3",
            description: "VALID with a notice: a NAAT test with \"ma\": null (an optional field written as null)",
            dcc: edit(edit(test("TOL3"), true, "tt", Some(text("LP6464-4"))), true, "ma", Some(Value::Null)),
            valid: true,
            notices: &["null_field"],
            schema_valid: Some(false),
        },
        ToleranceSpec {
            name: "TOL4",
            description: "VALID with a notice: \"v\": null beside the test entry (an absent entry list written as null)",
            dcc: edit(test("TOL4"), false, "v", Some(Value::Null)),
            valid: true,
            notices: &["null_field"],
            schema_valid: Some(false),
        },
        ToleranceSpec {
            name: "TOL5",
            description: "VALID with a notice: an unknown extra field in the test entry",
            dcc: edit(test("TOL5"), true, "xx", Some(text("extra"))),
            valid: true,
            notices: &["unknown_field"],
            schema_valid: Some(true),
        },
        ToleranceSpec {
            name: "TOL6",
            description: "VALID with notices: lower-case country code and spaces around the issuer",
            dcc: edit(edit(test("TOL6"), true, "co", Some(text("fr"))), true, "is", Some(text(" Healthpass "))),
            valid: true,
            notices: &["whitespace", "code_case"],
            schema_valid: None,
        },
        ToleranceSpec {
            name: "TOL7",
            description: "INVALID: a recovery whose validity start (df) is 2021-17-01, not a date: the window cannot be decided",
            dcc: recovery("2021-17-01"),
            valid: false,
            notices: &[],
            schema_valid: None,
        },
        ToleranceSpec {
            name: "TOL8",
            description: "INVALID: a test result written as a number: the result cannot be read",
            dcc: edit(test("TOL8"), true, "tr", Some(Value::Integer(260_415_000.into()))),
            valid: false,
            notices: &[],
            schema_valid: Some(false),
        },
    ];
    let certificate = base64::engine::general_purpose::STANDARD.encode(&authority.dsc.certificate_der);
    specs
        .iter()
        .map(|spec| {
            let built = build_pass(&spec.dcc, issued_at, expires_at, &authority.dsc.key, authority.kid(), Tamper::None);
            let mut expected = json!({"EXPECTEDUNPREFIX": true, "EXPECTEDB45DECODE": true, "EXPECTEDCOMPRESSION": true,
                "EXPECTEDDECODE": true, "EXPECTEDVERIFY": true, "EXPECTEDEXPIRATIONCHECK": true, "EXPECTEDKEYUSAGE": true,
                "EXPECTEDVERDICT": spec.valid});
            if let (Some(schema_valid), Some(object)) = (spec.schema_valid, expected.as_object_mut()) {
                object.insert("EXPECTEDSCHEMAVALIDATION".into(), json!(schema_valid));
            }
            let context = VectorContext { certificate: &certificate, clock, description: spec.description };
            vector_file(spec.name, &spec.dcc, &built, &context, expected, Some(json!(spec.notices)))
        })
        .collect()
}

/// The demo authority of the CLI: valid from 2026-01-01 for ten years (fixed keys; a demo
/// only, never to be trusted outside it).
pub fn demo_authority() -> TestAuthority {
    TestAuthority::new(
        "FR",
        "Healthpass Demo Authority",
        time("2026-01-01T00:00:00Z"),
        time("2036-01-01T00:00:00Z"),
        0x44,
    )
}

/// CWT claims around a DCC given as CBOR: `iss`, `iat`, `exp` and `-260: {1: dcc}`, as a
/// CBOR map a test may still alter (repeat a key, change a value) before signing it.
pub fn claims_around(dcc: Value, issuer_country: &str, issued_at: UnixTime, expires_at: UnixTime) -> Value {
    CwtClaims {
        issuer: Some(issuer_country.into()),
        issued_at: Some(issued_at),
        expires_at: Some(expires_at),
        other: vec![(hcert::CLAIM_HCERT, hcert::container(dcc))],
    }
    .to_value()
}

/// A pass over whatever claims a test writes (duplicate keys, odd values: what no issuer
/// should produce), signed ES256 by the demo authority's document signer.
pub fn demo_signed_pass(claims: &Value) -> String {
    let authority = demo_authority();
    sign_claims(claims, &authority.dsc.key, authority.kid())
}

/// A pass over `claims`, signed ES256 with `key` under `kid`.
pub fn sign_claims(claims: &Value, key: &SigningKey, kid: Kid) -> String {
    let payload = cbor::encode(claims);
    let protected = cbor::encode(&Value::Map(vec![
        (Value::Integer(1.into()), Value::Integer((-7).into())),
        (Value::Integer(4.into()), Value::Bytes(kid.as_bytes().to_vec())),
    ]));
    let signature: p256::ecdsa::Signature = key.sign(&sig_structure(&protected, &payload));
    let cose = cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![]),
            Value::Bytes(payload),
            Value::Bytes(signature.to_bytes().to_vec()),
        ])),
    ));
    healthpass_core::codec::wrap_cose(&cose)
}

/// The demo authority's document signer as a software `Signer`.
pub fn demo_signer() -> std::sync::Arc<SoftwareSigner> {
    let authority = demo_authority();
    std::sync::Arc::new(SoftwareSigner::new(authority.dsc.key.clone()))
}

/// An issuer signing with the demo authority's document signer, for France, default policy.
pub fn demo_issuer() -> Issuer {
    Issuer::new(demo_signer(), &demo_authority().dsc.certificate_der, "FR", IssuingPolicy::default())
        .expect("the demo signer matches its certificate")
}

/// The demo holder's negative rapid antigen test (the fictitious holder of `healthpass demo`),
/// sampled at `sampled_at`.
pub fn demo_test_request(sampled_at: UnixTime) -> TestCertificateRequest {
    TestCertificateRequest {
        family_name: "Dubois-Lefèvre".into(),
        given_name: "Amélie".into(),
        date_of_birth: "1987-04-12".into(),
        test_type: TestType::RapidAntigen,
        device: Some("1232".into()),
        test_name: None,
        sampled_at,
        result: TestResult::Negative,
        centre: "Pharmacie du Centre, Lyon".into(),
        country: "FR".into(),
        issuer: "Agence régionale de santé".into(),
    }
}

/// The pass, signer certificate and signer key the CLI embeds (`verify --demo`, `demo`).
pub fn demo_pass() -> (String, String, String) {
    let authority = demo_authority();
    let issued_at = time("2026-11-27T08:00:00Z");
    let dcc = sample_test_dcc(issued_at.saturating_sub(1800), TEST_RESULT_NOT_DETECTED, "DEMO0001");
    let built = build_pass(
        &dcc.to_value(),
        issued_at,
        time("2035-12-31T00:00:00Z"),
        &authority.dsc.key,
        authority.kid(),
        Tamper::None,
    );
    let text = format!("HC1:{}", codec::encode_base45(&codec::deflate(&built.cose)));
    let key = authority.dsc.key_pkcs8_pem().unwrap_or_default();
    (text + "\n", authority.dsc.certificate_pem(), key)
}

/// The demo trust anchor: a fixed, published key for the demo bundle only.
pub fn demo_anchor_key() -> SigningKey {
    fixed_key(0x55)
}

/// The demo authority's fallback key (published with the demo: demonstrations only), whose
/// root the demo bundle carries, so `healthpass demo` can show a provisional pass amber.
pub fn demo_fallback_key() -> SigningKey {
    fixed_key(0x57)
}

/// The demo bundle's fallback root.
pub fn demo_fallback_root() -> healthpass_core::trust::FallbackRoot {
    let key = demo_fallback_key();
    healthpass_core::trust::FallbackRoot {
        kid: healthpass_core::trust::anchor::key_kid(key.verifying_key()),
        public_key: key.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        country: "FR".into(),
        name: "Healthpass Demo Authority".into(),
    }
}

/// Business rules of the demo bundle, written for the project (France as arrival country).
pub fn demo_rules() -> Vec<serde_json::Value> {
    let rule = |identifier: &str, description: &str, affected: &[&str], logic: serde_json::Value| {
        json!({
            "Identifier": identifier, "Type": "Acceptance", "Country": "FR", "Version": "1.0.0",
            "SchemaVersion": "1.0.0", "Engine": "CERTLOGIC", "EngineVersion": "1.3.3", "CertificateType": "Test",
            "Description": [{"lang": "en", "desc": description}],
            "ValidFrom": "2026-01-01T00:00:00Z", "ValidTo": "2036-01-01T00:00:00Z",
            "AffectedFields": affected, "Logic": logic,
        })
    };
    vec![
        rule(
            "TR-FR-0001",
            "The test result must be negative (not detected).",
            &["t.0", "t.0.tr"],
            json!({"if": [{"var": "payload.t.0"}, {"===": [{"var": "payload.t.0.tr"}, TEST_RESULT_NOT_DETECTED]}, true]}),
        ),
        rule(
            "TR-FR-0002",
            "A rapid antigen test must be of a device in the value set.",
            &["t.0", "t.0.tt", "t.0.ma"],
            json!({"if": [
                {"===": [{"var": "payload.t.0.tt"}, TEST_TYPE_RAPID_ANTIGEN]},
                {"in": [{"var": "payload.t.0.ma"}, {"var": "external.valueSets.covid-19-lab-test-manufacturer-and-name"}]},
                true
            ]}),
        ),
        rule(
            "TR-FR-0003",
            "The sample must have been taken less than 72 hours before the check.",
            &["t.0", "t.0.sc"],
            json!({"if": [
                {"var": "payload.t.0"},
                {"before": [
                    {"plusTime": [{"var": "external.validationClock"}, 0, "hour"]},
                    {"plusTime": [{"var": "payload.t.0.sc"}, 72, "hour"]}
                ]},
                true
            ]}),
        ),
    ]
}

/// The UVCI the demo bundle revokes, to show revocation at work.
pub const DEMO_REVOKED_UVCI: &str = "URN:UVCI:01:FR:HP/DEMOREVOKED#0";

/// The demo trust bundle: the demo signer (tests only), the demo fallback root, the bundled
/// value sets, the demo rules and one revoked UVCI; sequence 1, in force 2026-01-01 to
/// 2036-01-01.
pub fn demo_bundle() -> Vec<u8> {
    use healthpass_core::trust::{BundleSigner, RevocationLists, TrustBundleContents, revocation};
    let authority = demo_authority();
    let contents = TrustBundleContents {
        two_d_doc: None,
        sequence: 1,
        issued_at: time("2026-11-27T00:00:00Z"),
        not_before: time("2026-01-01T00:00:00Z"),
        expires_at: time("2036-01-01T00:00:00Z"),
        signers: vec![BundleSigner {
            certificate_der: authority.dsc.certificate_der.clone(),
            kid: None,
            allowed_types: Some(vec![CertificateType::Test]),
        }],
        fallback_roots: vec![demo_fallback_root()],
        device_revocations: Vec::new(),
        rules: demo_rules(),
        value_sets: healthpass_core::dcc::value_sets::rule_value_sets(),
        revocations: RevocationLists {
            uci: revocation::HashList::from_hashes(vec![revocation::uci_hash(DEMO_REVOKED_UVCI)]),
            ..RevocationLists::default()
        },
    };
    contents.sign(&demo_anchor_key()).unwrap_or_else(|error| panic!("the demo bundle cannot be signed: {error}"))
}

/// Every generated vector and demo file, with its path in the repository.
pub fn generate_all(repository: &Path) -> Vec<GeneratedFile> {
    let vectors_dir: PathBuf = repository.join("tests/vectors/dgc");
    let mut files: Vec<GeneratedFile> = self_made_vectors()
        .into_iter()
        .chain(tolerance_vectors())
        .map(|(path, contents)| GeneratedFile::text(vectors_dir.join(path), contents))
        .collect();
    let (pass, certificate, key) = demo_pass();
    files.push(GeneratedFile::text(repository.join("cli/demo/pass.txt"), pass));
    files.push(GeneratedFile::text(repository.join("cli/demo/signer.pem"), certificate));
    files.push(GeneratedFile::text(repository.join("cli/demo/signer-key.pem"), key));
    let anchor = healthpass_core::trust::TrustAnchor::new(*demo_anchor_key().verifying_key());
    files.push(GeneratedFile::text(repository.join("cli/demo/anchor.pem"), anchor.to_pem()));
    files.push(GeneratedFile::binary(repository.join("cli/demo/bundle.cbor"), demo_bundle()));
    let fallback_key = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&demo_fallback_key(), p256::pkcs8::LineEnding::LF)
        .map(|pem| pem.to_string())
        .unwrap_or_default();
    files.push(GeneratedFile::text(repository.join("cli/demo/fallback-key.pem"), fallback_key));
    files
}
