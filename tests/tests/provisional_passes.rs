//! Provisional passes (the signed paper fallback, brief §5) as a controller's verifier sees
//! them: amber when every check holds, naming the pharmacy; otherwise refused with the reason
//! of the check that failed, each attack on its own. An ordinary EU verifier refuses them all.

use std::collections::BTreeMap;
use std::sync::Arc;

use ciborium::Value;
use healthpass_core::codec::cose::{Signer, SoftwareSigner};
use healthpass_core::fallback::{FallbackError, ProvisionalIssuer, Reconciliation, issue_provisional};
use healthpass_core::issue::test_certificate::build_test_dcc;
use healthpass_core::issue::{IssuingPolicy, TestCertificateRequest, TestType};
use healthpass_core::outbox::{EntryKind, EntryState, Outbox};
use healthpass_core::render::QrMatrix;
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{DeviceRevocation, Kid, TrustStore};
use healthpass_core::verify::{Verdict, VerdictStatus, Verifier, provisional_uvci};
use healthpass_tests::fallback_kit::{
    CredentialPlacement, assemble, claims, controller, credential, device_key, device_kid, issuer, now, root, root_key,
};
use healthpass_tests::vectors::{
    claims_around, demo_authority, demo_test_request, fixed_key, sample_vaccination_value,
};

const ES256: i64 = -7;
const TO_ISSUER: Reconciliation<'static> =
    Reconciliation { endpoint: "http://127.0.0.1:8443", replacing: None, transfer_code: None };

fn request() -> TestCertificateRequest {
    demo_test_request(now().saturating_sub(3_600))
}

fn codes(verdict: &Verdict) -> Vec<&'static str> {
    verdict.reasons.iter().map(|reason| reason.code()).collect()
}

fn verify(text: &str) -> Verdict {
    controller(Vec::new()).verify_text(text, now()).unwrap()
}

/// The claims of an honest provisional pass of `device` numbered `sequence`, signed at `at`,
/// valid for `hours`.
fn pass_claims(device: Kid, sequence: u64, at: UnixTime, hours: i64, test_type: TestType) -> Value {
    let uvci = provisional_uvci("FR", device, sequence).unwrap();
    let entry = TestCertificateRequest {
        test_type,
        device: matches!(test_type, TestType::RapidAntigen).then(|| "1232".into()),
        ..demo_test_request(at.saturating_sub(1_800))
    };
    let dcc = build_test_dcc(&entry, &IssuingPolicy::default(), at, uvci).unwrap();
    claims_around(dcc.to_value(), "FR", at, at.saturating_add(hours * 3_600))
}

#[test]
fn an_honest_provisional_pass_is_amber_and_names_the_pharmacy() {
    let issued = issuer(1).issue(&request(), 7, now()).unwrap();
    let verdict = verify(&issued.pass.text);
    assert_eq!(verdict.status, VerdictStatus::Provisional, "{:?}", codes(&verdict));
    assert!(verdict.reasons.is_empty() && verdict.is_accepted() && !verdict.is_valid());
    let signer = verdict.provisional.unwrap();
    assert_eq!(
        (signer.pharmacy_name.as_str(), signer.sequence, signer.device),
        ("Pharmacie du Centre, Lyon", 7, device_kid(&device_key(1)))
    );
    assert!(
        issued.pass.certificate_id.contains(":P")
            && issued
                .pass
                .certificate_id
                .ends_with(&issued.pass.certificate_id[issued.pass.certificate_id.len() - 2..])
    );
    // An ordinary EU verifier knows neither the device nor label 13: it refuses (fail-closed).
    let eu = Verifier::new(TrustStore::from_iter(healthpass_core::trust::DocumentSignerCertificate::from_der(
        &demo_authority().dsc.certificate_der,
    )));
    assert_eq!(codes(&eu.verify_text(&issued.pass.text, now()).unwrap()), ["kid_unknown"]);
    let strict = controller(Vec::new()).eu_only();
    assert_eq!(codes(&strict.verify_text(&issued.pass.text, now()).unwrap()), ["kid_unknown"]);
    // The independent Python verifier, given the country's document signer, refuses it too.
    let independent = healthpass_tests::python::independent_verdicts(
        &demo_authority().dsc.certificate_pem(),
        std::slice::from_ref(&issued.pass.text),
    );
    assert_eq!(
        (&independent[0]["kid_matches"], &independent[0]["signature_valid"]),
        (&false.into(), &false.into()),
        "{}",
        independent[0]
    );
}

#[test]
fn a_forged_credential_or_one_signed_by_a_document_signer_is_refused() {
    let device = device_key(2);
    let forged = credential(&claims(&device), &fixed_key(0x33));
    let by_dsc = credential(&claims(&device), &demo_authority().dsc.key);
    for credential in [forged, by_dsc] {
        let text = assemble(
            &pass_claims(device_kid(&device), 1, now(), 24, TestType::RapidAntigen),
            &device,
            device_kid(&device),
            ES256,
            &credential,
            CredentialPlacement::Unprotected,
        );
        let verdict = verify(&text);
        assert_eq!(codes(&verdict), ["provisional_credential_invalid"]);
        assert!(verdict.reasons[0].to_string().contains("not a fallback root"), "{}", verdict.reasons[0]);
    }
}

#[test]
fn a_credential_for_another_key_or_another_device_is_refused() {
    let device = device_key(3);
    let other = device_key(4);
    // The credential names this device but certifies another key.
    let mut wrong_key = claims(&device);
    wrong_key.device_key = *other.verifying_key();
    let text = assemble(
        &pass_claims(device_kid(&device), 1, now(), 24, TestType::RapidAntigen),
        &device,
        device_kid(&device),
        ES256,
        &credential(&wrong_key, &root_key()),
        CredentialPlacement::Unprotected,
    );
    assert_eq!(codes(&verify(&text)), ["provisional_signature_invalid"]);
    // Swapped between two passes: device 4's credential on device 3's pass.
    let swapped = assemble(
        &pass_claims(device_kid(&device), 1, now(), 24, TestType::RapidAntigen),
        &device,
        device_kid(&device),
        ES256,
        &credential(&claims(&other), &root_key()),
        CredentialPlacement::Unprotected,
    );
    assert_eq!(codes(&verify(&swapped)), ["provisional_subject_mismatch"]);
    // Signed with device 4's key under device 3's kid and device 3's credential.
    let stolen = assemble(
        &pass_claims(device_kid(&device), 1, now(), 24, TestType::RapidAntigen),
        &other,
        device_kid(&device),
        ES256,
        &credential(&claims(&device), &root_key()),
        CredentialPlacement::Unprotected,
    );
    assert_eq!(codes(&verify(&stolen)), ["provisional_signature_invalid"]);
}

#[test]
fn passes_signed_outside_the_credentials_validity_are_refused() {
    let device = device_key(5);
    let credential = credential(&claims(&device), &root_key());
    for at in [now().saturating_sub(3 * 86_400), now().saturating_add(14 * 86_400)] {
        let text = assemble(
            &pass_claims(device_kid(&device), 1, at, 24, TestType::RapidAntigen),
            &device,
            device_kid(&device),
            ES256,
            &credential,
            CredentialPlacement::Unprotected,
        );
        let verdict = controller(Vec::new()).verify_text(&text, at.saturating_add(60)).unwrap();
        assert!(codes(&verdict).contains(&"provisional_outside_credential"), "{:?}", codes(&verdict));
    }
    // The issuer itself refuses to sign with a credential out of force.
    let error = issuer(5).issue(&request(), 1, now().saturating_add(20 * 86_400)).unwrap_err();
    assert!(matches!(error, FallbackError::CredentialNotInForce { .. }), "{error}");
}

#[test]
fn a_revoked_device_keeps_what_it_signed_before_and_nothing_after() {
    let device = device_key(6);
    let revoked_at = now().saturating_sub(600);
    let revocation = vec![DeviceRevocation { device_kid: device_kid(&device), revoked_since: revoked_at }];
    let credential = credential(&claims(&device), &root_key());
    let before = assemble(
        &pass_claims(device_kid(&device), 1, revoked_at.saturating_sub(3_600), 24, TestType::RapidAntigen),
        &device,
        device_kid(&device),
        ES256,
        &credential,
        CredentialPlacement::Unprotected,
    );
    let after = assemble(
        &pass_claims(device_kid(&device), 2, now(), 24, TestType::RapidAntigen),
        &device,
        device_kid(&device),
        ES256,
        &credential,
        CredentialPlacement::Unprotected,
    );
    let verifier = controller(revocation);
    assert_eq!(verifier.verify_text(&before, now()).unwrap().status, VerdictStatus::Provisional);
    assert_eq!(codes(&verifier.verify_text(&after, now()).unwrap()), ["provisional_device_revoked"]);
}

#[test]
fn every_scope_violation_is_refused_on_its_own() {
    let device = device_key(7);
    let kid = device_kid(&device);
    let mut rapid_only = claims(&device);
    rapid_only.scope.test_types = vec!["LP217198-3".into()];
    rapid_only.scope.max_sequence = 100;
    let credential = credential(&rapid_only, &root_key());
    let out_of_scope = |claims: Value| {
        let verdict = verify(&assemble(&claims, &device, kid, ES256, &credential, CredentialPlacement::Unprotected));
        let details: Vec<String> = verdict.reasons.iter().map(ToString::to_string).collect();
        assert_eq!(codes(&verdict), ["provisional_out_of_scope"], "{details:?}");
        details[0].clone()
    };
    // A vaccination.
    let test = pass_claims(kid, 1, now(), 24, TestType::RapidAntigen);
    let dcc =
        healthpass_core::dcc::hcert::dcc_value(&healthpass_core::codec::CwtClaims::from_value(test.clone()).unwrap())
            .unwrap()
            .clone();
    let uvci = provisional_uvci("FR", kid, 2).unwrap();
    let vaccination = claims_around(
        sample_vaccination_value(&dcc, "2027-01-15", &uvci),
        "FR",
        now(),
        now().saturating_add(24 * 3_600),
    );
    assert!(out_of_scope(vaccination).contains("certificate type"));
    // A PCR test from a device allowed rapid tests only.
    assert!(out_of_scope(pass_claims(kid, 3, now(), 24, TestType::Naat)).contains("test type"));
    // Valid for 72 h where the credential allows 48.
    assert!(out_of_scope(pass_claims(kid, 4, now(), 72, TestType::RapidAntigen)).contains("longer"));
    // Sequence 101 of 100.
    assert!(out_of_scope(pass_claims(kid, 101, now(), 24, TestType::RapidAntigen)).contains("sequence"));
    // A UVCI outside the device's namespace (another device's).
    assert!(
        out_of_scope(pass_claims(device_kid(&device_key(8)), 5, now(), 24, TestType::RapidAntigen))
            .contains("namespace")
    );
    // And the issuer refuses the same before signing.
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::new(device.clone()));
    let issuer = ProvisionalIssuer::new(signer, credential.clone(), &[root()], IssuingPolicy::default()).unwrap();
    let naat = TestCertificateRequest { test_type: TestType::Naat, device: None, ..request() };
    assert!(matches!(issuer.issue(&naat, 1, now()), Err(FallbackError::OutOfScope { .. })));
    assert!(matches!(issuer.issue(&request(), 101, now()), Err(FallbackError::OutOfScope { .. })));
}

#[test]
fn a_fallback_root_never_verifies_an_ordinary_pass_and_is_never_a_document_signer() {
    // Signed by the fallback root's own key as if it were a document signer.
    let ordinary = healthpass_tests::vectors::sign_claims(
        &pass_claims(device_kid(&root_key()), 1, now(), 24, TestType::RapidAntigen),
        &root_key(),
        device_kid(&root_key()),
    );
    assert_eq!(codes(&verify(&ordinary)), ["kid_unknown"]);
}

#[test]
fn algorithm_confusion_and_misplaced_or_missing_credentials_are_refused() {
    let device = device_key(9);
    let kid = device_kid(&device);
    let credential = credential(&claims(&device), &root_key());
    let claims = pass_claims(kid, 1, now(), 24, TestType::RapidAntigen);
    // PS256 and ES384 named over an ES256 signature.
    for algorithm in [-37, -35] {
        let verdict =
            verify(&assemble(&claims, &device, kid, algorithm, &credential, CredentialPlacement::Unprotected));
        assert_eq!(verdict.status, VerdictStatus::Invalid, "{algorithm}: {:?}", codes(&verdict));
    }
    let moved = verify(&assemble(&claims, &device, kid, ES256, &credential, CredentialPlacement::Protected));
    assert_eq!(codes(&moved), ["provisional_credential_misplaced"]);
    let stripped = verify(&assemble(&claims, &device, kid, ES256, &credential, CredentialPlacement::Stripped));
    assert_eq!(codes(&stripped), ["kid_unknown"]);
    let garbage = verify(&assemble(&claims, &device, kid, ES256, b"\xa1\x01\x02", CredentialPlacement::Unprotected));
    assert_eq!(codes(&garbage), ["provisional_credential_invalid"]);
}

#[test]
fn sequence_numbers_are_never_reused_not_even_after_a_crash() {
    let dir = healthpass_tests::scratch::ScratchDir::new("provisional-sequence");
    let path = dir.join("outbox.sqlite");
    let key = device_key(10);
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::new(key.clone()));
    {
        let outbox = Outbox::open(&path).unwrap();
        assert!(matches!(
            issue_provisional(
                &outbox,
                signer.clone(),
                &[root()],
                IssuingPolicy::default(),
                &request(),
                TO_ISSUER,
                now()
            ),
            Err(FallbackError::NoCredential)
        ));
        outbox.store_credential(&credential(&claims(&key), &root_key())).unwrap();
        let first = issue_provisional(
            &outbox,
            signer.clone(),
            &[root()],
            IssuingPolicy::default(),
            &request(),
            TO_ISSUER,
            now(),
        )
        .unwrap();
        assert_eq!(first.sequence, 1);
        // A crash between reserving a number and printing the pass: the number is burnt.
        assert_eq!(outbox.reserve_sequence().unwrap(), 2);
    }
    let outbox = Outbox::open(&path).unwrap();
    let next =
        issue_provisional(&outbox, signer, &[root()], IssuingPolicy::default(), &request(), TO_ISSUER, now()).unwrap();
    assert_eq!(next.sequence, 3);
    assert_eq!(verify(&next.pass.text).status, VerdictStatus::Provisional);
    // Each provisional pass waits in the outbox for its reconciliation.
    let kinds: Vec<_> = outbox.entries().unwrap().iter().map(|entry| (entry.kind, entry.state)).collect();
    assert_eq!(kinds, vec![(EntryKind::Reconciliation, EntryState::Pending); 2]);
}

/// Names of `length` letters (a space every ninth) drawn from `alphabet`.
fn names_in(alphabet: &[char], length: usize, next: &mut impl FnMut() -> u64) -> String {
    let count = u64::try_from(alphabet.len()).unwrap();
    (0..length)
        .map(|i| if i % 9 == 8 { ' ' } else { alphabet[usize::try_from(next() % count).unwrap()] })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The scripts the issuer transliterates: Latin, Latin with diacritics, Cyrillic, Arabic.
fn scripts() -> [(&'static str, Vec<char>); 4] {
    [
        ("Latin A-Z", ('A'..='Z').collect()),
        ("Latin with diacritics", "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ".chars().collect()),
        ("Cyrillic", ('А'..='я').collect()),
        ("Arabic", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي".chars().collect()),
    ]
}

/// QR versions at level Q of 30 provisional passes whose names are random letters of
/// `alphabet`, at most `max_letters` each, as long as the issuer accepts (the ICAO
/// transliteration must fit 80 characters), with sequence numbers up to 10,000; and how often
/// each name form was needed.
fn qr_versions(alphabet: &[char], max_letters: usize) -> (BTreeMap<u8, usize>, BTreeMap<&'static str, usize>) {
    let issuer = issuer(11);
    let gate = controller(Vec::new());
    let mut versions = BTreeMap::new();
    let mut forms = BTreeMap::new();
    let mut seed = 0x2021_0814_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..30 {
        let sequence = 1 + next() % 10_000;
        let mut length = max_letters;
        let issued = loop {
            let entry = TestCertificateRequest {
                family_name: names_in(alphabet, length, &mut next),
                given_name: names_in(alphabet, length, &mut next),
                centre: "Pharmacie du Centre".into(),
                ..request()
            };
            match issuer.issue(&entry, sequence, now()) {
                Ok(issued) => break issued,
                Err(FallbackError::Input(_)) if length > 4 => length -= 4,
                Err(error) => panic!("{error}"),
            }
        };
        // Compacted or not, the pass is amber at the gate and its ICAO name is there.
        let verdict = gate.verify_text(&issued.pass.text, now()).unwrap();
        assert_eq!(verdict.status, VerdictStatus::Provisional, "{:?}", codes(&verdict));
        assert!(verdict.holder.unwrap().name.family_name_transliterated.is_some_and(|name| !name.is_empty()));
        *versions.entry(QrMatrix::for_text(&issued.pass.text).unwrap().version()).or_default() += 1;
        *forms.entry(issued.names.name()).or_default() += 1;
    }
    (versions, forms)
}

/// Brief §5: the printed QR stays at or below version 24 at level Q, measured over random
/// (incompressible) names of every script the issuer transliterates, up to the schema's 80
/// letters. Names are written in full whenever they fit; beyond, the as-entered form is
/// dropped (the ICAO form stays), then the ICAO form is cut as a passport's MRZ cuts it. The
/// whole distribution is printed for the README and the issue note.
#[test]
fn provisional_qr_codes_stay_at_or_below_version_24_for_every_name() {
    for (script, alphabet) in scripts() {
        for letters in [12, 20, 40, 80] {
            let (versions, forms) = qr_versions(&alphabet, letters);
            eprintln!(
                "provisional QR versions, {script}, names up to {letters} letters each: {versions:?}, names {forms:?}"
            );
            assert_eq!(versions.values().sum::<usize>(), 30);
            assert!(versions.keys().all(|&version| version <= 24), "{script}, {letters}: {versions:?}");
            if script == "Latin A-Z" && letters <= 20 {
                assert_eq!(forms.get("as_entered"), Some(&30), "passport-length Latin names are kept whole");
            }
        }
    }
}

/// A long name is cut as the MRZ cuts it: the given names first, the family name kept whole
/// when it fits; never past 39 characters with the `<<`.
#[test]
fn the_machine_readable_zone_form_keeps_the_family_name_and_cuts_the_given_names_first() {
    let long = TestCertificateRequest {
        family_name: "Wolfeschlegelsteinhausenbergerdorff".into(),
        given_name: "Hubert Blaine Charles David Earl Frederick Gerald".into(),
        ..request()
    };
    let issued = issuer(11).issue(&long, 42, now()).unwrap();
    let name = &issued.pass.dcc.name;
    let family = name.family_name_transliterated.clone().unwrap();
    let given = name.given_name_transliterated.clone().unwrap_or_default();
    if issued.names.name() == "machine_readable_zone" {
        assert_eq!(family, "WOLFESCHLEGELSTEINHAUSENBERGERDORFF");
        assert!(family.len() + 2 + given.len() <= 39, "{family}<<{given}");
        assert!("HUBERT<BLAINE<CHARLES".starts_with(&given) && !given.is_empty(), "{given}");
    }
    assert!(QrMatrix::for_text(&issued.pass.text).unwrap().version() <= 24);
    // The printed page names the holder from the ICAO form when the as-entered one is gone.
    let page = healthpass_core::render::provisional_attestation_svg(
        &issued.pass.dcc,
        issued.pass.expires_at,
        &QrMatrix::for_text(&issued.pass.text).unwrap(),
        &issued.pharmacy_name,
        None,
    );
    assert!(
        page.contains("WOLFESCHLEGELSTEINHAUSENBERGERDORFF") || page.contains("Wolfeschlegelsteinhausenbergerdorff")
    );
}

/// Hostile credentials: every truncation, every single-byte change of a real one, and random
/// bytes are refused with an error (no panic, bounded work), and an oversized one is refused
/// before decoding.
#[test]
fn hostile_credential_bytes_are_refused_without_panic() {
    let genuine = credential(&claims(&device_key(30)), &root_key());
    let roots = [root()];
    assert!(healthpass_core::trust::verify_credential(&genuine, &roots).is_ok());
    for end in 0..genuine.len() {
        assert!(healthpass_core::trust::verify_credential(&genuine[..end], &roots).is_err(), "truncated at {end}");
    }
    for index in 0..genuine.len() {
        let mut changed = genuine.clone();
        changed[index] ^= 0x5a;
        assert!(healthpass_core::trust::verify_credential(&changed, &roots).is_err(), "byte {index} changed");
    }
    let mut seed = 0x9e37_79b9_u64;
    for length in [0_usize, 1, 7, 64, 300, 2_000] {
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .collect();
        assert!(healthpass_core::trust::verify_credential(&bytes, &roots).is_err());
    }
    let error = healthpass_core::trust::verify_credential(&vec![0xa0; 1 << 20], &roots).unwrap_err();
    assert!(error.to_string().contains("over 2048 bytes"), "{error}");
}
