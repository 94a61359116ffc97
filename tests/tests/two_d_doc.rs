//! French 2D-DOC paper certificates as a controller meets them: the real samples of
//! `../shared/2ddoc` read as their manifest says and get their verdicts; the same codes as
//! DataMatrix pictures scan back; forged, foreign, truncated, over-long and revoked codes are
//! refused, each with its own reason; a trust bundle can replace the built-in trust set.

use std::sync::Arc;

use base64::Engine as _;
use healthpass_core::scan::{Scanner, Symbology};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::two_d_doc_signers::p256_sec1_from_spki_or_sec1;
use healthpass_core::trust::{
    RevocationLists, TrustAnchor, TrustBundle, TrustBundleContents, TwoDDocSigner, TwoDDocTrust,
};
use healthpass_core::twoddoc::{Curve, TwoDDoc, TwoDDocError};
use healthpass_core::verify::{PassFormat, Verdict, Verifier, VerifyError};
use healthpass_tests::frames::{self, CodeSource, Tier};
use healthpass_tests::shared_data::require_two_d_doc_dir;
use healthpass_tests::two_d_doc_codes::{self, Sample, data_matrix, samples};
use healthpass_tests::vectors::fixed_key;

fn at(text: &str) -> UnixTime {
    UnixTime::parse_rfc3339(text).unwrap()
}

/// A day in June 2021, when these codes were shown at doors.
fn june_2021() -> UnixTime {
    at("2021-06-01T10:00:00Z")
}

fn sample(prefix: &str) -> Sample {
    samples().into_iter().find(|sample| sample.file.starts_with(prefix)).unwrap()
}

fn codes(verdict: &Verdict) -> Vec<&'static str> {
    verdict.reasons.iter().map(|reason| reason.code()).collect()
}

fn verify(text: &str) -> Verdict {
    Verifier::default().verify_text(text, june_2021()).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A trust set of the key files in `../shared/2ddoc/keys`, read independently of the built-in
/// table, without validity or blocklist: to check each signature on its own.
fn key_file_trust() -> TwoDDocTrust {
    let dir = require_two_d_doc_dir().join("keys");
    let authority = |certificate: &str| match certificate {
        "0001" => "FR00",
        "TST1" => "DHI0",
        _ => "FR03",
    };
    let signers = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name()?.to_str()?.strip_suffix(".spki.b64")?.to_owned();
            let der = base64::engine::general_purpose::STANDARD
                .decode(std::fs::read_to_string(&path).unwrap().trim())
                .unwrap();
            Some(TwoDDocSigner {
                authority: authority(&name).into(),
                certificate: name.clone(),
                name: format!("key file {name}"),
                public_key: p256_sec1_from_spki_or_sec1(&der).unwrap(),
                not_before: None,
                not_after: None,
                document_types: None,
            })
        })
        .collect();
    TwoDDocTrust::new(signers, Vec::new()).unwrap()
}

#[test]
fn every_sample_reads_as_its_manifest_says() {
    let all = samples();
    assert_eq!(all.len(), 7, "the samples of ../shared/2ddoc/samples");
    for sample in &all {
        let expected = &sample.manifest["parsed"];
        let document = TwoDDoc::parse(&sample.text).unwrap_or_else(|error| panic!("{}: {error}", sample.file));
        let header = &document.header;
        let wanted = |key: &str| expected["header"][key].as_str().unwrap().to_owned();
        assert_eq!(format!("DC{}", header.version.number()), format!("{}{}", wanted("marker"), wanted("version")));
        assert_eq!(header.authority, wanted("ca"), "{}", sample.file);
        assert_eq!(header.certificate, wanted("cert"), "{}", sample.file);
        assert_eq!(header.emitted.unwrap().to_string(), wanted("emission"), "{}", sample.file);
        assert_eq!(header.signed.unwrap().to_string(), wanted("signature_date"), "{}", sample.file);
        assert_eq!(header.document_type.code(), wanted("doc_type"), "{}", sample.file);
        assert_eq!(header.perimeter.clone().unwrap(), wanted("perimeter"), "{}", sample.file);
        assert_eq!(header.country.clone().unwrap(), wanted("country"), "{}", sample.file);
        let fields = expected["fields"].as_object().unwrap();
        assert_eq!(document.message.fields.len(), fields.len(), "{}", sample.file);
        for (id, value) in fields {
            assert_eq!(document.message.value(id), value.as_str(), "{} field {id}", sample.file);
        }
        assert_eq!(
            document.signed_data.len() as u64,
            expected["signed_bytes_len"].as_u64().unwrap(),
            "{}",
            sample.file
        );
        assert_eq!(expected["signature_b32_len"].as_u64(), Some(103));
        assert_eq!(document.signature.curve, Curve::P256);
        assert_eq!(hex(&document.fingerprint()), sample.manifest["sha256_of_data_zone"].as_str().unwrap());
    }
}

#[test]
fn every_sample_signature_verifies_with_the_key_its_manifest_names() {
    let verifier = Verifier::default().with_two_d_doc_trust(key_file_trust());
    for sample in samples() {
        let verdict = verifier.verify_text(&sample.text, june_2021()).unwrap();
        let document = verdict.two_d_doc.as_ref().unwrap();
        let named = sample.manifest["signature_verifies_with"].as_str().unwrap();
        assert!(named.starts_with(&document.certificate), "{}: {named}", sample.file);
        assert!(
            verdict.reasons.iter().all(|reason| reason.category().name() != "signature"),
            "{}: {:?}",
            sample.file,
            codes(&verdict)
        );
    }
}

#[test]
fn the_built_in_trust_set_is_the_published_key_files() {
    let files = key_file_trust();
    let built_in = Verifier::default();
    let built_in = built_in.two_d_doc_trust();
    assert_eq!(built_in.signers().len(), files.signers().len());
    for signer in files.signers() {
        let shipped = built_in.signer(&signer.authority, &signer.certificate).unwrap();
        assert_eq!(shipped.public_key, signer.public_key, "{}", signer.certificate);
    }
}

/// The verdict of each sample with the built-in trust set, in June 2021 (reasons in order).
/// FR00/0001's certificate ran 2012-11-01 to 2015-11-01, so the ANTS examples signed in 2021
/// fail the validity rule; 07 and 08 were on the French verifier's blocklist.
#[test]
fn every_sample_gets_its_expected_verdict() {
    let expected: [(&str, &[&str]); 7] = [
        ("02_", &[]),
        ("03_", &["test_result_unknown"]),
        ("04_", &["signed_outside_signer_validity", "vaccination_incomplete"]),
        ("07_", &["twoddoc_revoked"]),
        ("08_", &["vaccination_incomplete", "twoddoc_revoked"]),
        ("09_", &["test_result_unknown"]),
        ("10_", &["signed_outside_signer_validity"]),
    ];
    for (prefix, reasons) in expected {
        let sample = sample(prefix);
        let verdict = verify(&sample.text);
        assert_eq!(codes(&verdict), reasons, "{}", sample.file);
        assert_eq!(verdict.is_valid(), reasons.is_empty(), "{}", sample.file);
        assert_eq!(verdict.format, PassFormat::TwoDDoc);
        assert_eq!(verdict.issuer_country.as_deref(), Some("FR"));
        assert!(verdict.holder.is_some(), "{}", sample.file);
    }
    let valid = verify(&sample("02_").text);
    let holder = valid.holder.unwrap();
    assert_eq!(holder.name.family_name.as_deref(), Some("DUPOND"));
    assert_eq!(holder.name.given_name.as_deref(), Some("JEAN LOUIS, EDOUARD"));
    assert_eq!(holder.date_of_birth.to_string(), "1980-11-25");
    assert_eq!(valid.certificate_type.map(|kind| kind.name()), Some("test"));
    assert_eq!(valid.issued_at, Some(at("2021-03-11T00:00:00Z")));
    let document = valid.two_d_doc.unwrap();
    assert_eq!((document.authority.as_str(), document.certificate.as_str()), ("DHI0", "TST1"));
    assert_eq!(document.signer_name.as_deref(), Some("TousAntiCovid test key"));
}

#[test]
fn a_sample_taken_after_the_verification_time_is_refused() {
    // Sample 02 was taken on 2021-03-11 at 14:52 Paris time (13:52 UTC).
    let verifier = Verifier::default();
    let before = verifier.verify_text(&sample("02_").text, at("2021-03-11T13:51:00Z")).unwrap();
    assert_eq!(codes(&before), ["sample_time_in_future"]);
    let after = verifier.verify_text(&sample("02_").text, at("2021-03-11T13:53:00Z")).unwrap();
    assert!(after.is_valid(), "{:?}", codes(&after));
}

#[test]
fn wallet_links_read_the_same_code() {
    let text = sample("02_").text;
    let encoded: String = text
        .bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect();
    for link in [
        format!("https://bonjour.tousanticovid.gouv.fr/app/wallet?v={encoded}"),
        format!("https://bonjour.tousanticovid.gouv.fr/app/wallet2d#{encoded}"),
    ] {
        let verdict = verify(&link);
        assert!(verdict.is_valid(), "{:?}", codes(&verdict));
        assert_eq!(verdict.format, PassFormat::TwoDDoc);
    }
}

#[test]
fn a_dcc_wallet_link_reads_as_the_eu_pass_it_carries() {
    use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
    use healthpass_tests::vectors::{demo_authority, demo_issuer, demo_test_request};
    let now = at("2027-02-01T09:00:00Z");
    let pass = demo_issuer().issue_test(&demo_test_request(now.saturating_sub(3_600)), now).unwrap().text;
    let encoded: String = pass
        .bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect();
    let signer = DocumentSignerCertificate::from_der(&demo_authority().dsc.certificate_der).unwrap();
    let verifier = Verifier::new(TrustStore::from_iter([signer]));
    let verdict =
        verifier.verify_text(&format!("https://bonjour.tousanticovid.gouv.fr/app/walletdcc#{encoded}"), now).unwrap();
    assert_eq!(verdict.format, PassFormat::Hc1);
    assert!(verdict.is_valid(), "{:?}", codes(&verdict));
}

#[test]
fn forged_and_foreign_codes_are_refused_each_with_its_reason() {
    let text = sample("09_").text;
    let (signed, signature) = text.split_once('\u{1f}').unwrap();
    // A different signature character: the signature no longer verifies.
    let mut forged_signature = signature.to_owned();
    let first = if forged_signature.starts_with('A') { "B" } else { "A" };
    forged_signature.replace_range(0..1, first);
    assert_eq!(
        codes(&verify(&format!("{signed}\u{1f}{forged_signature}"))),
        ["signature_invalid", "test_result_unknown"]
    );
    // The result changed from X to N: the signed part changed under the same signature.
    let negative = text.replace("F5X", "F5N");
    assert_eq!(codes(&verify(&negative)), ["signature_invalid"]);
    // A name changed.
    let renamed = text.replace("SPECIMEN NOM", "SPECIMEN NON");
    assert_eq!(codes(&verify(&renamed)), ["signature_invalid", "test_result_unknown"]);
    // Another trusted signer's id on AHP1's signature: its key does not verify it.
    let wrong_key = text.replace("FR03AHP1", "FR03AHP2");
    assert_eq!(codes(&verify(&wrong_key)), ["signature_invalid", "test_result_unknown"]);
    // An id no trusted signer has.
    let unknown = text.replace("FR03AHP1", "FR09ZZZ9");
    assert_eq!(codes(&verify(&unknown)), ["twoddoc_signer_unknown", "test_result_unknown"]);
    // A signature of P-384's length: named, and refused (no trusted signer has such a key).
    let p384 = format!("{signed}\u{1f}{}", "A".repeat(154));
    assert_eq!(codes(&verify(&p384)), ["twoddoc_curve_unsupported", "test_result_unknown"]);
}

#[test]
fn a_self_signed_code_is_refused_whatever_it_claims() {
    let forger = fixed_key(0x2d);
    let header = two_d_doc_codes::header("FR03", "AHP1", 0x1E5C, "B2");
    let forged =
        two_d_doc_codes::sign(&forger, &format!("{header}{}", two_d_doc_codes::test_message('N', "120420210800")));
    assert_eq!(codes(&verify(&forged)), ["signature_invalid"]);
}

#[test]
fn truncated_and_over_long_input_is_refused_without_panic() {
    let text = sample("04_").text;
    for cut in 0..text.len() {
        let Some(prefix) = text.get(..cut) else { continue };
        match Verifier::default().verify_text(prefix, june_2021()) {
            Ok(verdict) => assert!(!verdict.is_valid(), "a prefix of {cut} characters verified"),
            Err(error) => assert!(!error.to_string().contains("THEOULE"), "{error}"),
        }
    }
    let truncated = text.get(..text.len() - 10).unwrap();
    assert!(matches!(
        Verifier::default().verify_text(truncated, june_2021()),
        Err(VerifyError::TwoDDoc(TwoDDocError::Signature(_)))
    ));
    let header_only = text.get(..20).unwrap();
    assert!(matches!(
        Verifier::default().verify_text(header_only, june_2021()),
        Err(VerifyError::TwoDDoc(TwoDDocError::Header(_)))
    ));
    let over_long = format!("{text}\u{1d}{}", "A".repeat(4_000));
    let error = Verifier::default().verify_text(&over_long, june_2021()).unwrap_err();
    assert!(matches!(error, VerifyError::TwoDDoc(TwoDDocError::Input(_))), "{error}");
    assert!(error.to_string().contains("at most 2335"), "{error}");
}

#[test]
fn random_corruption_never_verifies_and_never_panics() {
    let originals: Vec<String> = samples().into_iter().map(|sample| sample.text).collect();
    let mut rng = frames::Rng::new(0x2d0c);
    let verifier = Verifier::default().with_two_d_doc_trust(key_file_trust());
    for round in 0..3_000 {
        let original = &originals[round % originals.len()];
        let mut bytes = original.clone().into_bytes();
        for _ in 0..1 + rng.next_u64() % 3 {
            let index = (rng.next_u64() % bytes.len() as u64) as usize;
            bytes[index] = (rng.next_u64() % 128) as u8;
        }
        let Ok(text) = String::from_utf8(bytes) else { continue };
        if text == *original {
            continue;
        }
        if let Ok(verdict) = verifier.verify_text(&text, june_2021()) {
            assert!(
                verdict.reasons.iter().any(|reason| reason.category().name() == "signature"),
                "a corrupted code passed its signature check: {:?}",
                codes(&verdict)
            );
        }
    }
}

/// A trust set with one signer of the tests' own (`TEST`/`KEY1`), and no blocklist.
fn own_trust(document_types: Option<Vec<String>>) -> TwoDDocTrust {
    let key = fixed_key(0x2e);
    TwoDDocTrust::new(
        vec![TwoDDocSigner {
            authority: "TEST".into(),
            certificate: "KEY1".into(),
            name: "test signer".into(),
            public_key: key.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            not_before: Some(at("2021-01-01T00:00:00Z")),
            not_after: Some(at("2022-01-01T00:00:00Z")),
            document_types,
        }],
        Vec::new(),
    )
    .unwrap()
}

fn own_code(kind: &str, message: &str, days: u16) -> String {
    let header = two_d_doc_codes::header("TEST", "KEY1", days, kind);
    two_d_doc_codes::sign(&fixed_key(0x2e), &format!("{header}{message}"))
}

/// 2021-05-31 is day 0x1E8D after 2000-01-01.
const MAY_31_2021: u16 = 0x1E8D;

#[test]
fn content_and_signer_rules_each_have_their_reason() {
    let verifier = Verifier::default().with_two_d_doc_trust(own_trust(None));
    let check = |text: &str| codes(&verifier.verify_text(text, june_2021()).unwrap());
    assert_eq!(
        check(&own_code("B2", &two_d_doc_codes::test_message('N', "310520211000"), MAY_31_2021)),
        [] as [&str; 0]
    );
    assert_eq!(
        check(&own_code("B2", &two_d_doc_codes::test_message('P', "310520211000"), MAY_31_2021)),
        ["test_result_positive"]
    );
    assert_eq!(
        check(&own_code("B2", &two_d_doc_codes::test_message('I', "310520211000"), MAY_31_2021)),
        ["test_result_unknown"]
    );
    assert_eq!(
        check(&own_code("B2", &two_d_doc_codes::test_message('N', "020620211000"), MAY_31_2021)),
        ["sample_time_in_future"]
    );
    assert_eq!(check(&own_code("L1", &two_d_doc_codes::vaccination_message(2, 2, "TE"), MAY_31_2021)), [] as [&str; 0]);
    assert_eq!(
        check(&own_code("L1", &two_d_doc_codes::vaccination_message(1, 2, "CO"), MAY_31_2021)),
        ["vaccination_incomplete"]
    );
    // Signed "tomorrow", or before the signer's certificate began.
    assert_eq!(
        check(&own_code("L1", &two_d_doc_codes::vaccination_message(2, 2, "TE"), MAY_31_2021 + 2)),
        ["not_yet_valid"]
    );
    assert_eq!(
        check(&own_code("L1", &two_d_doc_codes::vaccination_message(2, 2, "TE"), 0x1D00)),
        ["signed_outside_signer_validity"]
    );
    // No dates at all.
    let undated = two_d_doc_codes::sign(
        &fixed_key(0x2e),
        &format!("DC04TESTKEY1FFFFFFFFL101FR{}", two_d_doc_codes::vaccination_message(2, 2, "TE")),
    );
    assert_eq!(check(&undated), ["signature_date_missing"]);
    // A signed document that is not a health certificate (type 01, proof of address).
    let other = own_code("01", "10ANY TEXT", MAY_31_2021);
    assert_eq!(check(&other), ["document_type_not_allowed"]);
    // A signer limited to vaccinations may not sign a test result.
    let limited = Verifier::default().with_two_d_doc_trust(own_trust(Some(vec!["L1".into()])));
    let test = own_code("B2", &two_d_doc_codes::test_message('N', "310520211000"), MAY_31_2021);
    assert_eq!(codes(&limited.verify_text(&test, june_2021()).unwrap()), ["document_type_not_allowed"]);
}

#[test]
fn a_trust_bundle_replaces_the_built_in_signers_and_blocklist() {
    let anchor_key = fixed_key(0x61);
    let blocked = TwoDDoc::parse(&sample("09_").text).unwrap().fingerprint();
    let mut signers = own_trust(None).signers().to_vec();
    signers.push(Verifier::default().two_d_doc_trust().signer("FR03", "AV01").unwrap().clone());
    let trust = TwoDDocTrust::new(signers, vec![blocked]).unwrap();
    let contents = TrustBundleContents {
        sequence: 7,
        issued_at: at("2021-05-01T00:00:00Z"),
        not_before: at("2021-05-01T00:00:00Z"),
        expires_at: at("2021-07-01T00:00:00Z"),
        signers: Vec::new(),
        fallback_roots: Vec::new(),
        device_revocations: Vec::new(),
        rules: Vec::new(),
        value_sets: serde_json::json!({}),
        revocations: RevocationLists::default(),
        two_d_doc: Some(trust.clone()),
    };
    let bytes = contents.sign(&anchor_key).unwrap();
    let bundle = TrustBundle::load(&bytes, &[TrustAnchor::new(*anchor_key.verifying_key())]).unwrap();
    assert_eq!(bundle.contents().two_d_doc.as_ref(), Some(&trust), "the 2D-DOC trust set round-trips");
    let verifier = Verifier::with_bundle(Arc::new(bundle), Some("FR")).unwrap();
    let check = |text: &str, time: UnixTime| codes(&verifier.verify_text(text, time).unwrap());
    // 07 was blocked by the built-in list; this bundle's list does not name it.
    assert_eq!(check(&sample("07_").text, june_2021()), [] as [&str; 0]);
    // 09 is on this bundle's list; AHP1 is not among its signers.
    assert_eq!(
        check(&sample("09_").text, june_2021()),
        ["twoddoc_signer_unknown", "test_result_unknown", "twoddoc_revoked"]
    );
    let own = own_code("B2", &two_d_doc_codes::test_message('N', "310520211000"), MAY_31_2021);
    assert_eq!(check(&own, june_2021()), [] as [&str; 0]);
    let verdict = verifier.verify_text(&own, june_2021()).unwrap();
    assert_eq!(verdict.trust_sequence, Some(7));
    // Past the bundle's expiry, the verdict says the trust data is stale.
    assert_eq!(check(&own, at("2021-07-02T00:00:00Z")), ["trust_data_stale"]);
}

#[test]
fn rendered_datamatrix_codes_scan_back_at_several_sizes() {
    let scanner = Scanner::default();
    for sample in samples() {
        for module_px in [2, 3, 5, 8] {
            let frame = two_d_doc_codes::luma_frame(&sample.text, module_px, 6);
            let found = scanner.scan(&frame.view());
            let code = found.first().unwrap_or_else(|| panic!("{} at {module_px} px per module", sample.file));
            assert_eq!(code.text, sample.text, "{} at {module_px} px", sample.file);
            assert_eq!(code.symbology, Symbology::DataMatrix);
        }
    }
}

#[test]
fn datamatrix_codes_in_camera_like_frames_scan_and_verify() {
    let all = samples();
    let sources: Vec<CodeSource> = all
        .iter()
        .map(|sample| {
            let (modules, side) = data_matrix(&sample.text);
            CodeSource::from_modules(&sample.file, &sample.text, &modules, side)
        })
        .collect();
    let scanner = Scanner::default();
    for (tier, at_least) in [(Tier::Mild, 14), (Tier::Moderate, 12)] {
        let generated = frames::generate(&sources, tier, 14);
        let mut read = 0;
        for frame in &generated {
            let found = scanner.scan(&frame.frame.view());
            let Some(code) = found.iter().find(|code| Some(&code.text) == frame.expected.as_ref()) else { continue };
            read += 1;
            let from_picture = verify(&code.text);
            let from_text = verify(frame.expected.as_ref().unwrap());
            assert_eq!(codes(&from_picture), codes(&from_text), "{}", frame.name);
        }
        println!("{}: {read} of {} DataMatrix frames read", tier.name(), generated.len());
        assert!(read >= at_least, "{}: {read} of {} read", tier.name(), generated.len());
    }
}
