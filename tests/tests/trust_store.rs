//! Trust from the formats signers are published in: X.509 (DER, PEM, base64) and the EU
//! gateway trust list; several certificates may share a kid and all are tried.

use base64::Engine as _;
use healthpass_core::conformance::dcc_vector::DccVector;
use healthpass_core::trust::{DocumentSignerCertificate, KeyUsage, Kid, SignerKey, TrustStore, import_trust_list};
use healthpass_core::verify::{Reason, Verifier};
use healthpass_tests::shared_data::require_conformance_dir;

fn vector(path: &str) -> DccVector {
    let file = require_conformance_dir().join("dgc-testdata").join(path);
    DccVector::parse(&std::fs::read(file).unwrap()).unwrap()
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn certificates_read_from_der_pem_and_base64_alike() {
    let der = vector("common/2DCode/raw/CO3.json").certificate_der.unwrap();
    let from_der = DocumentSignerCertificate::from_file_bytes(&der).unwrap();
    let pem = healthpass_core::issue::authority::pem("CERTIFICATE", &der);
    let rsa = vector("common/2DCode/raw/CO2.json").certificate_der.unwrap();
    let two_pem = format!("{pem}{}", healthpass_core::issue::authority::pem("CERTIFICATE", &rsa));
    let from_pem = DocumentSignerCertificate::from_file_bytes(two_pem.as_bytes()).unwrap();
    let from_base64 = DocumentSignerCertificate::from_file_bytes(base64(&der).as_bytes()).unwrap();
    assert_eq!(from_der, from_base64);
    assert_eq!(from_pem.len(), 2);
    assert_eq!(from_pem[0], from_der[0]);
    assert!(matches!(from_pem[0].key(), SignerKey::P256(_)));
    assert!(matches!(from_pem[1].key(), SignerKey::Rsa(_)));
    assert_eq!(from_pem[1].key().describe(), "RSA 3072");
    assert_eq!(from_der[0].kid(), Kid::of_certificate(&der));
    assert!(DocumentSignerCertificate::from_file_bytes(b"not a certificate").is_err());
}

#[test]
fn key_usage_and_country_come_from_the_certificate() {
    let test_only =
        DocumentSignerCertificate::from_der(&vector("common/2DCode/raw/CO12.json").certificate_der.unwrap()).unwrap();
    assert!(matches!(test_only.key_usage(), KeyUsage::Restricted { test: true, vaccination: false, recovery: false }));
    let unrestricted =
        DocumentSignerCertificate::from_der(&vector("common/2DCode/raw/CO15.json").certificate_der.unwrap()).unwrap();
    assert_eq!(unrestricted.key_usage(), KeyUsage::Unrestricted);
    let austria =
        DocumentSignerCertificate::from_der(&vector("AT/2DCode/raw/1.json").certificate_der.unwrap()).unwrap();
    assert_eq!(austria.country(), Some("AT"));
    assert!(austria.not_before() < austria.not_after());
}

#[test]
fn a_gateway_trust_list_loads_signers_and_reports_bad_entries() {
    let austria = vector("AT/2DCode/raw/1.json");
    let rsa = vector("common/2DCode/raw/CO1.json");
    let austria_der = austria.certificate_der.clone().unwrap();
    let list = serde_json::json!([
        {"kid": Kid::of_certificate(&austria_der).to_base64(), "country": "AT", "certificateType": "DSC",
         "rawData": base64(&austria_der), "signature": "", "thumbprint": "", "timestamp": "2021-05-01T00:00:00Z"},
        {"kid": Kid::of_certificate(rsa.certificate_der.as_ref().unwrap()).to_base64(), "country": "XX",
         "certificateType": "DSC", "rawData": base64(rsa.certificate_der.as_ref().unwrap())},
        {"kid": "AAAAAAAAAAA=", "country": "AT", "certificateType": "CSCA", "rawData": base64(&austria_der)},
        {"kid": "qbsK8h6wSB8=", "country": "ZZ", "certificateType": "DSC", "rawData": "bm90IGEgY2VydGlmaWNhdGU="},
        {"country": "ZZ"}
    ]);
    let import = import_trust_list(list.to_string().as_bytes()).unwrap();
    assert_eq!(import.certificates.len(), 2, "the CSCA is not a signer");
    assert_eq!(import.skipped.len(), 2);
    assert_eq!(import.skipped[0].country.as_deref(), Some("ZZ"));
    assert!(import.skipped[0].reason.contains("not an X.509 certificate"), "{}", import.skipped[0].reason);

    let verifier = Verifier::new(TrustStore::from_iter(import.certificates));
    let verdict = verifier.verify_text(austria.prefix.as_deref().unwrap(), austria.validation_clock.unwrap()).unwrap();
    assert!(verdict.is_valid(), "{:?}", verdict.reasons);
    assert_eq!(verdict.signer.unwrap().country.as_deref(), Some("AT"));

    let wrapped = serde_json::json!({"certificates": list});
    assert_eq!(import_trust_list(wrapped.to_string().as_bytes()).unwrap().certificates.len(), 2);
    assert!(import_trust_list(b"{\"not\": \"a list\"}").is_err());
    assert!(import_trust_list(b"\xff\xfe").is_err());
}

#[test]
fn every_signer_sharing_a_kid_is_tried() {
    let austria = vector("AT/2DCode/raw/1.json");
    let right = DocumentSignerCertificate::from_der(austria.certificate_der.as_ref().unwrap()).unwrap();
    let kid = right.kid();
    let other = vector("DE/2DCode/raw/1.json");
    let wrong = DocumentSignerCertificate::from_der(other.certificate_der.as_ref().unwrap()).unwrap().with_kid(kid);
    let text = austria.prefix.as_deref().unwrap();
    let now = austria.validation_clock.unwrap();

    let only_wrong = Verifier::new(TrustStore::from_iter([wrong.clone()]));
    assert_eq!(only_wrong.verify_text(text, now).unwrap().reasons, [Reason::SignatureInvalid]);
    let both = Verifier::new(TrustStore::from_iter([wrong, right]));
    assert_eq!(both.trust().candidates(&kid).len(), 2);
    assert!(both.verify_text(text, now).unwrap().is_valid());
}
