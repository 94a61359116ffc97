//! Issuing as a pharmacist depends on it: any valid input becomes a pass that renders, scans
//! and verifies with the same content; every bad input gets a specific error; a faulty signer
//! is caught; and an independent implementation verifies what we sign.

use std::sync::Arc;

use healthpass_core::dcc::value_sets;
use healthpass_core::dcc::{DateOfBirth, Entry};
use healthpass_core::issue::test_certificate::Field;
use healthpass_core::issue::transliteration::TransliterationError;
use healthpass_core::issue::{
    InputError, IssueError, Issuer, IssuingPolicy, Signer, SignerError, SoftwareSigner, TestCertificateRequest,
    TestResult, TestType, uvci,
};
use healthpass_core::render::QrMatrix;
use healthpass_core::scan::Scanner;
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{Kid, SignerKey, TrustStore};
use healthpass_core::verify::Verifier;
use healthpass_tests::frames::Rng;
use healthpass_tests::vectors::{demo_authority, demo_issuer, fixed_key};

fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2027-03-15T10:00:00Z").unwrap()
}

fn request() -> TestCertificateRequest {
    TestCertificateRequest {
        family_name: "Nguyễn-Müller".into(),
        given_name: "Zoë Åsa".into(),
        date_of_birth: "1990-07-04".into(),
        test_type: TestType::RapidAntigen,
        device: Some("1232".into()),
        test_name: None,
        sampled_at: now().saturating_sub(3600),
        result: TestResult::Negative,
        centre: "Pharmacie de la Gare".into(),
        country: "FR".into(),
        issuer: "Agence régionale de santé".into(),
    }
}

fn input_error(request: &TestCertificateRequest) -> InputError {
    match demo_issuer().issue_test(request, now()) {
        Err(IssueError::Input(error)) => error,
        other => panic!("expected an input error, got {other:?}"),
    }
}

const FAMILY_NAMES: &[&str] = &[
    "Dubois",
    "Gößinger-Ötzi",
    "Ødegård",
    "Þórsdóttir",
    "Łukasiewicz",
    "O'Connor",
    "Щербаков",
    "ناصر",
    "van der Berg",
    "Nuñez",
];
const GIVEN_NAMES: &[&str] = &["Amélie", "Jean-Baptiste", "Ærwin", "Юлия", "محمد", "", "Zoë", "Ana María"];

#[test]
fn random_valid_inputs_issue_render_scan_and_verify_with_the_same_content() {
    let issuer = demo_issuer();
    let verifier = Verifier::new(TrustStore::from_iter([issuer.certificate().clone()]));
    let devices: Vec<&str> = value_sets::TEST_DEVICES.entries().iter().filter(|e| e.active).map(|e| e.code).collect();
    let countries: Vec<&str> = value_sets::COUNTRIES.entries().iter().map(|e| e.code).collect();
    let scanner = Scanner::default();
    let mut rng = Rng::new(2027);
    for case in 0..40 {
        let pick = |rng: &mut Rng, items: &[&'static str]| items[(rng.next_u64() % items.len() as u64) as usize];
        let year = 1920 + (rng.next_u64() % 100) as u32;
        let date_of_birth = match rng.next_u64() % 3 {
            0 => format!("{year}"),
            1 => format!("{year}-{:02}", 1 + rng.next_u64() % 12),
            _ => format!("{year}-{:02}-{:02}", 1 + rng.next_u64() % 12, 1 + rng.next_u64() % 28),
        };
        let rapid = rng.chance(0.7);
        let request = TestCertificateRequest {
            family_name: pick(&mut rng, FAMILY_NAMES).into(),
            given_name: pick(&mut rng, GIVEN_NAMES).into(),
            date_of_birth: date_of_birth.clone(),
            test_type: if rapid { TestType::RapidAntigen } else { TestType::Naat },
            device: rapid.then(|| pick(&mut rng, &devices).to_owned()),
            test_name: (!rapid && rng.chance(0.5)).then(|| "ELITe MGB® SARS-CoV-2".to_owned()),
            sampled_at: now().saturating_sub((rng.next_u64() % (47 * 3600)) as i64),
            result: if rng.chance(0.85) { TestResult::Negative } else { TestResult::Positive },
            centre: format!("Pharmacie n°{case} & fils"),
            country: pick(&mut rng, &countries).into(),
            issuer: "Agence régionale de santé".into(),
        };
        let pass = issuer.issue_test(&request, now()).unwrap_or_else(|error| panic!("case {case}: {error}"));
        assert_eq!(uvci::validate(&pass.certificate_id), Ok(()));
        assert_eq!(pass.expires_at, request.sampled_at.saturating_add(72 * 3600));

        let png = QrMatrix::for_text(&pass.text).unwrap().to_png(4);
        let frame = decode_image(&png).unwrap();
        let scanned = scanner.scan(&frame.view());
        assert_eq!(scanned.len(), 1, "case {case}: the rendered code did not scan");
        assert_eq!(scanned[0].text, pass.text);

        let verdict = verifier.verify_text(&scanned[0].text, now()).unwrap();
        let codes: Vec<&str> = verdict.reasons.iter().map(|reason| reason.code()).collect();
        match request.result {
            TestResult::Negative => assert!(verdict.is_valid(), "case {case}: {codes:?}"),
            TestResult::Positive => assert_eq!(codes, ["test_result_positive"], "case {case}"),
        }
        let holder = verdict.holder.unwrap();
        assert_eq!(holder.name, pass.dcc.name);
        assert_eq!(holder.date_of_birth, DateOfBirth::parse(&date_of_birth).unwrap());
        assert_eq!(verdict.expires_at, Some(pass.expires_at));
        let Entry::Test(test) = &pass.dcc.entry else { panic!("not a test entry") };
        assert_eq!(test.sample_time, request.sampled_at);
        assert_eq!(test.device, request.device);
        assert_eq!(test.country, request.country);
    }
}

#[test]
fn every_input_error_is_specific() {
    let mut bad = request();
    bad.family_name = "   ".into();
    assert_eq!(input_error(&bad), InputError::FamilyNameEmpty);

    let mut bad = request();
    bad.given_name = "小明".into();
    assert_eq!(
        input_error(&bad),
        InputError::NameNotTransliterable {
            field: Field::GivenName,
            source: TransliterationError::UnsupportedScript { script: "Chinese" }
        }
    );
    let mut bad = request();
    bad.family_name = "X Æ A-12".into();
    assert!(matches!(
        input_error(&bad),
        InputError::NameNotTransliterable { source: TransliterationError::NotALetter, .. }
    ));

    let mut bad = request();
    bad.family_name = "Ä".repeat(50); // 50 characters typed, 100 transliterated (AE each)
    assert_eq!(
        input_error(&bad),
        InputError::TooLong { field: Field::FamilyName, length: 100, form: "transliterated" }
    );

    for (text, expected) in [
        ("12/04/1987", InputError::DateOfBirthMalformed),
        ("1987-02-30", InputError::DateOfBirthMalformed),
        ("1987-04-12T00:00:00", InputError::DateOfBirthMalformed),
        ("", InputError::DateOfBirthMalformed),
        ("2031-01-01", InputError::DateOfBirthInFuture),
        ("2027-03", InputError::DateOfBirthMalformed), // the month is current: not in the future
        ("1899-12-31", InputError::DateOfBirthTooEarly),
    ] {
        let mut bad = request();
        bad.date_of_birth = text.into();
        if text == "2027-03" {
            assert!(demo_issuer().issue_test(&bad, now()).is_ok(), "{text} is a valid partial date");
        } else {
            assert_eq!(input_error(&bad), expected, "{text}");
        }
    }

    let mut bad = request();
    bad.sampled_at = now().saturating_add(3600);
    assert_eq!(input_error(&bad), InputError::SampleInFuture { minutes: 60 });
    let mut skewed = request();
    skewed.sampled_at = now().saturating_add(120);
    assert!(demo_issuer().issue_test(&skewed, now()).is_ok(), "two minutes of clock skew are tolerated");
    let mut bad = request();
    bad.sampled_at = now().saturating_sub(50 * 3600);
    assert_eq!(input_error(&bad), InputError::SampleTooOld { hours: 50, max_hours: 48 });

    let mut bad = request();
    bad.device = Some("999999".into());
    assert_eq!(input_error(&bad), InputError::UnknownDevice { id: "999999".into() });
    let mut bad = request();
    bad.device = None;
    assert_eq!(input_error(&bad), InputError::DeviceMissing);
    let mut bad = request();
    bad.test_type = TestType::Naat;
    assert_eq!(input_error(&bad), InputError::DeviceNotForNaat);

    let mut bad = request();
    bad.country = "XY".into();
    assert_eq!(input_error(&bad), InputError::UnknownCountry { code: "XY".into() });
    let mut bad = request();
    bad.centre = " ".into();
    assert_eq!(input_error(&bad), InputError::Empty { field: Field::Centre });
    let mut bad = request();
    bad.issuer = "x".repeat(81);
    assert_eq!(input_error(&bad), InputError::TooLong { field: Field::Issuer, length: 81, form: "as typed" });

    // No error message repeats a name or a date of birth.
    let mut bad = request();
    bad.given_name = "Ζωή".into();
    let message = IssueError::from(input_error(&bad)).to_string();
    assert!(!message.contains("Ζωή") && !message.contains("1990"), "{message}");
}

#[test]
fn every_issued_payload_conforms_to_its_schema() {
    let pass = demo_issuer().issue_test(&request(), now()).unwrap();
    let check = healthpass_core::dcc::schema::check_dcc(&pass.dcc.to_value()).unwrap();
    assert_eq!(check.release.to_string(), "1.3.0");
    assert!(check.violations.is_empty(), "{:?}", check.violations);
}

/// A signer that returns DER signatures, as Android Keystore and the Secure Enclave do.
struct DerSigner(SoftwareSigner);

impl Signer for DerSigner {
    fn public_key(&self) -> Result<SignerKey, SignerError> {
        self.0.public_key()
    }
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        let raw = self.0.sign(data)?;
        let signature = p256::ecdsa::Signature::from_slice(&raw).unwrap();
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

/// A faulty platform signer: reports the certified key but signs with another one.
struct WrongKeySigner(SignerKey);

impl Signer for WrongKeySigner {
    fn public_key(&self) -> Result<SignerKey, SignerError> {
        Ok(self.0.clone())
    }
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        SoftwareSigner::new(fixed_key(0x77)).sign(data)
    }
}

struct FailingSigner(SignerKey);

impl Signer for FailingSigner {
    fn public_key(&self) -> Result<SignerKey, SignerError> {
        Ok(self.0.clone())
    }
    fn sign(&self, _data: &[u8]) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::Platform { message: "user authentication required".into() })
    }
}

#[test]
fn platform_signers_are_normalised_and_faulty_ones_caught() {
    let authority = demo_authority();
    let der = &authority.dsc.certificate_der;
    let certified = SignerKey::P256(*authority.dsc.key.verifying_key());
    let with = |signer: Arc<dyn Signer>| Issuer::new(signer, der, "FR", IssuingPolicy::default()).unwrap();

    let pass = with(Arc::new(DerSigner(SoftwareSigner::new(authority.dsc.key.clone())))).issue_test(&request(), now());
    assert!(pass.is_ok(), "{pass:?}");

    let error = with(Arc::new(WrongKeySigner(certified.clone()))).issue_test(&request(), now()).unwrap_err();
    assert!(
        matches!(&error, IssueError::SelfCheckFailed { reasons } if reasons.contains("signature_invalid")),
        "{error}"
    );

    let error = with(Arc::new(FailingSigner(certified))).issue_test(&request(), now()).unwrap_err();
    assert_eq!(error.to_string(), "the signing key failed: user authentication required");

    // A key that is not the certified one is named as such before anything is signed.
    let other = Issuer::new(Arc::new(SoftwareSigner::new(fixed_key(0x77))), der, "FR", IssuingPolicy::default());
    let Err(error) = other else { panic!("a foreign key was accepted") };
    assert!(matches!(error, IssueError::KeyCertificateMismatch { .. }));
    assert!(error.to_string().contains("does not belong to the signer certificate"), "{error}");
}

#[test]
fn a_certificate_expiring_before_the_pass_is_refused_by_the_self_check() {
    let late = UnixTime::parse_rfc3339("2035-12-30T12:00:00Z").unwrap();
    let mut late_request = request();
    late_request.sampled_at = late.saturating_sub(600);
    let error = demo_issuer().issue_test(&late_request, late).unwrap_err();
    assert!(
        matches!(&error, IssueError::SelfCheckFailed { reasons } if reasons.contains("expires_after_signer")),
        "{error}"
    );
}

#[test]
fn an_independent_implementation_verifies_our_passes() {
    let issuer = demo_issuer();
    let mut texts = Vec::new();
    let mut passes = Vec::new();
    for (family, given) in [("Dubois-Lefèvre", "Amélie"), ("Щербаков", "Юлия"), ("ناصر", "")] {
        let mut request = request();
        request.family_name = family.into();
        request.given_name = given.into();
        let pass = issuer.issue_test(&request, now()).unwrap();
        texts.push(pass.text.clone());
        passes.push(pass);
    }
    let certificate = demo_authority().dsc.certificate_pem();
    let lines = healthpass_tests::python::independent_verdicts(&certificate, &texts);
    assert_eq!(lines.len(), passes.len());
    for (line, pass) in lines.iter().zip(&passes) {
        assert_eq!(line["signature_valid"], true, "{line}");
        assert_eq!(line["kid_matches"], true);
        assert_eq!(line["iss"], "FR");
        assert_eq!(line["exp"], pass.expires_at.seconds());
        assert_eq!(line["dcc"]["nam"]["fnt"], pass.dcc.name.family_name_transliterated.as_deref().unwrap());
        assert_eq!(line["dcc"]["t"][0]["ci"], pass.certificate_id);
    }
    // A pass signed by the wrong key fails there too: the check can fail.
    let forged = {
        let cose = healthpass_core::codec::unwrap_text(&passes[0].text, &Default::default()).unwrap();
        let payload =
            healthpass_core::codec::decode_cose(&cose, &Default::default()).unwrap().message.payload().to_vec();
        let signer = SoftwareSigner::new(fixed_key(0x77));
        let cose = healthpass_core::codec::cose::CoseSign1Builder::new(passes_kid().as_bytes())
            .sign(&payload, &signer)
            .unwrap();
        healthpass_core::codec::wrap_cose(&cose)
    };
    let verdicts = healthpass_tests::python::independent_verdicts(&certificate, &[forged]);
    assert_eq!(verdicts[0]["signature_valid"], false, "{}", verdicts[0]);
}

fn passes_kid() -> Kid {
    Kid::of_certificate(&demo_authority().dsc.certificate_der)
}
