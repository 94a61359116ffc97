//! The signed trust bundle as a controller's phone depends on it: what it holds applies to
//! verdicts (signers, staleness, revocations, rules), and anything wrong with a new bundle
//! leaves the bundle in force untouched.

use std::sync::Arc;

use healthpass_core::codec::{self, AlgorithmHeader, PassLimits};
use healthpass_core::issue::{TestCertificateRequest, TestResult};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::revocation::{self, HashList};
use healthpass_core::trust::{
    BundleError, BundleSigner, BundleStore, RevocationLists, TrustAnchor, TrustBundle, TrustBundleContents,
};
use healthpass_core::verify::Verifier;
use healthpass_tests::vectors::{demo_authority, demo_issuer, demo_rules, demo_test_request, fixed_key};

fn at(text: &str) -> UnixTime {
    UnixTime::parse_rfc3339(text).unwrap()
}

fn now() -> UnixTime {
    at("2027-02-01T09:00:00Z")
}

fn anchor_key() -> p256::ecdsa::SigningKey {
    fixed_key(0x61)
}

fn anchor() -> TrustAnchor {
    TrustAnchor::new(*anchor_key().verifying_key())
}

fn contents(sequence: u64) -> TrustBundleContents {
    TrustBundleContents {
        two_d_doc: None,
        sequence,
        issued_at: at("2027-01-01T00:00:00Z"),
        not_before: at("2027-01-01T00:00:00Z"),
        expires_at: at("2027-03-01T00:00:00Z"),
        signers: vec![BundleSigner {
            certificate_der: demo_authority().dsc.certificate_der.clone(),
            kid: None,
            allowed_types: None,
        }],
        fallback_roots: Vec::new(),
        device_revocations: Vec::new(),
        rules: demo_rules(),
        value_sets: healthpass_core::dcc::value_sets::rule_value_sets(),
        revocations: RevocationLists::default(),
    }
}

fn issue(result: TestResult, family_name: &str) -> String {
    let request = TestCertificateRequest {
        family_name: family_name.into(),
        result,
        ..demo_test_request(now().saturating_sub(3600))
    };
    demo_issuer().issue_test(&request, now()).unwrap().text
}

fn bundle_verifier(contents: &TrustBundleContents, arrival: Option<&str>) -> Verifier {
    let bundle = TrustBundle::load(&contents.sign(&anchor_key()).unwrap(), &[anchor()]).unwrap();
    Verifier::with_bundle(Arc::new(bundle), arrival).unwrap()
}

fn codes(verifier: &Verifier, text: &str, at: UnixTime) -> Vec<&'static str> {
    verifier.verify_text(text, at).unwrap().reasons.iter().map(|reason| reason.code()).collect()
}

#[test]
fn a_bundle_round_trips_and_its_signers_rules_and_value_sets_apply() {
    let contents = contents(7);
    let bytes = contents.sign(&anchor_key()).unwrap();
    let bundle = TrustBundle::load(&bytes, &[anchor()]).unwrap();
    assert_eq!(bundle.contents(), &contents);
    assert_eq!(bundle.anchor_kid(), anchor().kid());
    let verifier = Verifier::with_bundle(Arc::new(bundle), Some("FR")).unwrap();
    let verdict = verifier.verify_text(&issue(TestResult::Negative, "Martin"), now()).unwrap();
    assert!(verdict.is_valid(), "{:?}", verdict.reasons);
    assert_eq!(verdict.rule_outcomes.len(), 3);
    assert_eq!(verdict.trust_sequence, Some(7));
}

#[test]
fn a_failing_rule_names_itself_and_its_description() {
    let verifier = bundle_verifier(&contents(1), Some("FR"));
    let verdict = verifier.verify_text(&issue(TestResult::Positive, "Martin"), now()).unwrap();
    let messages: Vec<String> = verdict.reasons.iter().map(ToString::to_string).collect();
    assert!(
        messages.contains(&"rule TR-FR-0001: The test result must be negative (not detected).".to_owned()),
        "{messages:?}"
    );
    // Without an arrival country no acceptance rule applies; the content rule still does.
    assert_eq!(
        codes(&bundle_verifier(&contents(1), None), &issue(TestResult::Positive, "Martin"), now()),
        ["test_result_positive"]
    );
    // The 72-hour rule is strict: at exactly 72 hours after the sample the pass has not yet
    // expired (exp is inclusive) but rule TR-FR-0003 no longer holds.
    let sampled_plus_72h = at("2027-02-04T08:00:00Z");
    assert_eq!(
        codes(&bundle_verifier(&contents(1), Some("FR")), &issue(TestResult::Negative, "Martin"), sampled_plus_72h),
        ["rule_failed"]
    );
}

#[test]
fn past_its_expiry_the_bundle_makes_the_verdict_say_stale() {
    let verifier = bundle_verifier(&contents(1), Some("FR"));
    let text = issue(TestResult::Negative, "Martin");
    assert!(codes(&verifier, &text, at("2027-03-02T00:00:00Z")).contains(&"trust_data_stale"));
    assert!(codes(&verifier, &text, at("2026-12-31T23:00:00Z")).contains(&"trust_data_not_yet_valid"));
}

#[test]
fn each_revocation_list_revokes_its_pass() {
    let revoked_by_uci = issue(TestResult::Negative, "Petit");
    let revoked_by_country = issue(TestResult::Negative, "Durand");
    let revoked_by_signature = issue(TestResult::Negative, "Leroy");
    let untouched = issue(TestResult::Negative, "Moreau");
    let details = |text: &str| {
        let pass = codec::decode_pass_text(text, &PassLimits::default()).unwrap();
        let dcc = healthpass_core::dcc::Dcc::from_value(healthpass_core::dcc::hcert::dcc_value(&pass.claims).unwrap())
            .unwrap();
        let AlgorithmHeader::Supported(algorithm) = pass.message.algorithm() else { panic!() };
        (dcc.certificate_id().to_owned(), algorithm, pass.message.signature().to_vec())
    };
    let mut contents = contents(1);
    contents.revocations = RevocationLists {
        uci: HashList::from_hashes(vec![revocation::uci_hash(&details(&revoked_by_uci).0)]),
        country_code_uci: HashList::from_hashes(vec![revocation::country_code_uci_hash(
            "FR",
            &details(&revoked_by_country).0,
        )]),
        signature: HashList::from_hashes(vec![{
            let (_, algorithm, signature) = details(&revoked_by_signature);
            revocation::signature_hash(algorithm, &signature)
        }]),
    };
    let verifier = bundle_verifier(&contents, Some("FR"));
    let verdict = |text: &str| verifier.verify_text(text, now()).unwrap();
    assert_eq!(
        verdict(&revoked_by_uci).reasons.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["the pass is revoked (on the uci revocation list)"]
    );
    assert_eq!(codes(&verifier, &revoked_by_country, now()), ["revoked"]);
    assert_eq!(codes(&verifier, &revoked_by_signature, now()), ["revoked"]);
    assert!(verdict(&untouched).is_valid());
}

#[test]
fn a_bundle_can_narrow_what_a_signer_may_sign() {
    let mut contents = contents(1);
    contents.signers[0].allowed_types = Some(vec![healthpass_core::dcc::CertificateType::Vaccination]);
    assert_eq!(
        codes(&bundle_verifier(&contents, Some("FR")), &issue(TestResult::Negative, "Martin"), now()),
        ["key_usage_mismatch"]
    );
}

#[test]
fn nothing_wrong_replaces_the_bundle_in_force() {
    let mut store = BundleStore::new(vec![anchor()]).with_max_bundle_bytes(1 << 20);
    let good = contents(5).sign(&anchor_key()).unwrap();
    assert_eq!(store.install(&good, now()).unwrap().sequence(), 5);
    let still_five = |store: &BundleStore| assert_eq!(store.current().map(|bundle| bundle.sequence()), Some(5));

    // A bad signature.
    let mut tampered = contents(6).sign(&anchor_key()).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    assert!(matches!(store.install(&tampered, now()), Err(BundleError::BadSignature { .. })));
    still_five(&store);

    // Content changed after signing.
    let mut altered = contents(6).sign(&anchor_key()).unwrap();
    let position = altered.windows(8).position(|window| window == b"TR-FR-00").unwrap();
    altered[position + 7] = b'9';
    assert!(matches!(store.install(&altered, now()), Err(BundleError::BadSignature { .. })));
    still_five(&store);

    // A key that is not a pinned anchor.
    let foreign = contents(6).sign(&fixed_key(0x62)).unwrap();
    assert!(matches!(store.install(&foreign, now()), Err(BundleError::UnknownAnchor { .. })));
    still_five(&store);

    // An older bundle: no rollback, and the same sequence with other content is refused.
    assert_eq!(
        store.install(&contents(4).sign(&anchor_key()).unwrap(), now()).unwrap_err(),
        BundleError::Rollback { offered: 4, installed: 5 }
    );
    let mut other_five = contents(5);
    other_five.rules.clear();
    assert_eq!(
        store.install(&other_five.sign(&anchor_key()).unwrap(), now()).unwrap_err(),
        BundleError::ConflictingSequence { sequence: 5 }
    );
    assert!(store.install(&good, now()).is_ok(), "re-installing the same bundle is harmless");
    still_five(&store);

    // Truncated at every length, and oversized.
    for length in (0..good.len()).step_by(7) {
        assert!(store.install(&good[..length], now()).is_err(), "a {length}-byte prefix installed");
    }
    let mut oversized = contents(6);
    oversized.revocations.uci =
        HashList::from_hashes((0..70_000u32).map(|i| revocation::uci_hash(&i.to_string())).collect());
    assert!(matches!(store.install(&oversized.sign(&anchor_key()).unwrap(), now()), Err(BundleError::TooLarge { .. })));
    still_five(&store);

    // Garbage and lies about sizes.
    assert!(store.install(b"not a bundle", now()).is_err());
    assert!(store.install(&[0xd2, 0x84, 0x5a, 0xff, 0xff, 0xff, 0xff], now()).is_err());
    still_five(&store);

    // A newer bundle replaces it.
    assert_eq!(store.install(&contents(6).sign(&anchor_key()).unwrap(), now()).unwrap().sequence(), 6);
}

/// After a restart the app gives the store the mark it persisted (sequence and digest): the
/// stored bundle may be gone, but neither an older bundle nor a different bundle under the
/// same sequence gets in.
#[test]
fn the_persisted_mark_survives_a_restart() {
    let mut store = BundleStore::new(vec![anchor()]);
    let five = contents(5).sign(&anchor_key()).unwrap();
    let six = contents(6).sign(&anchor_key()).unwrap();
    store.install(&five, now()).unwrap();
    store.install(&six, now()).unwrap();
    let mark = store.installed_mark().unwrap();
    assert_eq!(mark.sequence, 6);

    let restarted = || BundleStore::new(vec![anchor()]).with_installed_mark(Some(mark));
    assert_eq!(restarted().install(&five, now()).unwrap_err(), BundleError::Rollback { offered: 5, installed: 6 });
    let mut other_six = contents(6);
    other_six.rules.clear();
    assert_eq!(
        restarted().install(&other_six.sign(&anchor_key()).unwrap(), now()).unwrap_err(),
        BundleError::ConflictingSequence { sequence: 6 },
        "a different bundle under the installed sequence is refused even with nothing loaded"
    );
    let mut again = restarted();
    assert_eq!(again.install(&six, now()).unwrap().sequence(), 6, "the same bundle loads again");
    assert_eq!(again.installed_mark(), Some(mark));
}

/// Installing an expired bundle is refused (it could only make every verdict stale, and would
/// raise the sequence floor above a bundle still in force); one not yet in force installs, and
/// its verdicts say so until it begins.
#[test]
fn an_expired_bundle_is_refused_and_an_early_one_installed() {
    let mut store = BundleStore::new(vec![anchor()]);
    store.install(&contents(5).sign(&anchor_key()).unwrap(), now()).unwrap();
    let after_expiry = at("2027-03-02T00:00:00Z");
    assert!(matches!(
        store.install(&contents(6).sign(&anchor_key()).unwrap(), after_expiry),
        Err(BundleError::Expired { sequence: 6, .. })
    ));
    assert_eq!(store.installed_mark().map(|mark| mark.sequence), Some(5), "nothing changed");
    let before_start = at("2026-12-01T00:00:00Z");
    assert_eq!(store.install(&contents(6).sign(&anchor_key()).unwrap(), before_start).unwrap().sequence(), 6);
}

#[test]
fn broken_contents_under_a_valid_signature_are_refused_with_the_field() {
    let mut bad_rule = contents(1);
    bad_rule.rules = vec![serde_json::json!({"Identifier": "X"})];
    let bundle = TrustBundle::load(&bad_rule.sign(&anchor_key()).unwrap(), &[anchor()]).unwrap();
    assert!(Verifier::with_bundle(Arc::new(bundle), None).is_err(), "a rule the verifier cannot run is an error");
    let mut expired_first = contents(1);
    expired_first.expires_at = expired_first.not_before;
    let error = TrustBundle::load(&expired_first.sign(&anchor_key()).unwrap(), &[anchor()]).unwrap_err();
    assert_eq!(error.to_string(), "the trust bundle's field \"expires_at\" is not after not_before");
}
