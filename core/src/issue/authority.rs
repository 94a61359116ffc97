//! Certificates of a signing authority: a country signing CA (CSCA) and the document signer
//! certificates (DSCs) it certifies, with the DCC extended key usage (hcert spec §5.1).
//!
//! Used for demo and test authorities and by the reference central issuer; apps on phones
//! never create certificates, so this sits behind the `authority` feature.

use std::str::FromStr;
use std::time::Duration;

use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::der::{DateTime, Encode};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage as X509KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

use crate::dcc::CertificateType;
use crate::time::UnixTime;

/// The DCC extended key usage OIDs (hcert spec §5.1.1), checked at compile time.
fn usage_oid(kind: CertificateType) -> ObjectIdentifier {
    const TEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.1847.2021.1.1");
    const VACCINATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.1847.2021.1.2");
    const RECOVERY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.1847.2021.1.3");
    match kind {
        CertificateType::Test => TEST,
        CertificateType::Vaccination => VACCINATION,
        CertificateType::Recovery => RECOVERY,
    }
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    #[error("invalid certificate name: {detail}")]
    Name { detail: String },
    #[error("certificate validity is out of range (years 1970-9999, start before end)")]
    Validity,
    #[error("certificate could not be built: {detail}")]
    Build { detail: String },
}

/// What a new certificate says about its subject.
#[derive(Debug, Clone)]
pub struct CertificateRequest<'a> {
    /// ISO 3166 alpha-2 country of the authority.
    pub country: &'a str,
    /// The subject's common name.
    pub common_name: &'a str,
    /// The subject's organization.
    pub organization: &'a str,
    /// Start of validity.
    pub not_before: UnixTime,
    /// End of validity.
    pub not_after: UnixTime,
    /// The certificate's serial number.
    pub serial: u64,
}

/// A certificate and the key it certifies.
pub struct KeyAndCertificate {
    /// The private key.
    pub key: SigningKey,
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
}

impl KeyAndCertificate {
    /// The certificate as PEM.
    pub fn certificate_pem(&self) -> String {
        pem("CERTIFICATE", &self.certificate_der)
    }

    /// The private key as PKCS#8 PEM.
    pub fn key_pkcs8_pem(&self) -> Result<String, AuthorityError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|error| AuthorityError::Build { detail: error.to_string() })
    }
}

/// Creates a self-signed country signing CA.
pub fn country_signing_ca(
    request: &CertificateRequest<'_>,
    key: SigningKey,
) -> Result<KeyAndCertificate, AuthorityError> {
    let subject = name(request)?;
    let profile = Profile { subject: subject.clone(), issuer: subject, role: Role::CertificateAuthority };
    let certificate_der = build(profile, request, key.verifying_key(), &key)?;
    Ok(KeyAndCertificate { key, certificate_der })
}

/// Creates a document signer certificate for `key`, signed by the CSCA, allowed to sign
/// `types` (an empty list leaves the usage unrestricted, which the DCC spec also accepts).
pub fn document_signer(
    request: &CertificateRequest<'_>,
    key: SigningKey,
    types: &[CertificateType],
    issuer: &KeyAndCertificate,
) -> Result<KeyAndCertificate, AuthorityError> {
    use x509_cert::der::Decode;
    let issuer_certificate = x509_cert::Certificate::from_der(&issuer.certificate_der)
        .map_err(|error| AuthorityError::Build { detail: error.to_string() })?;
    let profile = Profile {
        subject: name(request)?,
        issuer: issuer_certificate.tbs_certificate().subject().clone(),
        role: Role::DocumentSigner(types.to_vec()),
    };
    let certificate_der = build(profile, request, key.verifying_key(), &issuer.key)?;
    Ok(KeyAndCertificate { key, certificate_der })
}

/// PEM armour for DER bytes.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

enum Role {
    CertificateAuthority,
    DocumentSigner(Vec<CertificateType>),
}

struct Profile {
    subject: Name,
    issuer: Name,
    role: Role,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut extensions = Vec::new();
        match &self.role {
            Role::CertificateAuthority => {
                let constraints = BasicConstraints { ca: true, path_len_constraint: Some(0) };
                extensions.push((&constraints).to_extension(subject, &extensions)?);
                let usage = X509KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);
                extensions.push((&usage).to_extension(subject, &extensions)?);
            }
            Role::DocumentSigner(types) => {
                let usage = X509KeyUsage(KeyUsages::DigitalSignature.into());
                extensions.push((&usage).to_extension(subject, &extensions)?);
                if !types.is_empty() {
                    let oids = types.iter().map(|kind| usage_oid(*kind)).collect();
                    extensions.push((&ExtendedKeyUsage(oids)).to_extension(subject, &extensions)?);
                }
            }
        }
        Ok(extensions)
    }
}

fn name(request: &CertificateRequest<'_>) -> Result<Name, AuthorityError> {
    let escape = |value: &str| value.replace('\\', "\\\\").replace(',', "\\,").replace('+', "\\+").replace('=', "\\=");
    let text =
        format!("CN={},O={},C={}", escape(request.common_name), escape(request.organization), escape(request.country));
    Name::from_str(&text).map_err(|error| AuthorityError::Name { detail: error.to_string() })
}

fn time(at: UnixTime) -> Result<Time, AuthorityError> {
    let seconds = u64::try_from(at.seconds()).map_err(|_| AuthorityError::Validity)?;
    let date_time = DateTime::from_unix_duration(Duration::from_secs(seconds)).map_err(|_| AuthorityError::Validity)?;
    Ok(Time::from(date_time))
}

fn build(
    profile: Profile,
    request: &CertificateRequest<'_>,
    subject_key: &p256::ecdsa::VerifyingKey,
    issuer_key: &SigningKey,
) -> Result<Vec<u8>, AuthorityError> {
    if request.not_before >= request.not_after {
        return Err(AuthorityError::Validity);
    }
    let validity = Validity::new(time(request.not_before)?, time(request.not_after)?);
    let build_error = |detail: String| AuthorityError::Build { detail };
    let spki = SubjectPublicKeyInfo::from_key(subject_key).map_err(|error| build_error(error.to_string()))?;
    let serial = SerialNumber::from(request.serial);
    let builder =
        CertificateBuilder::new(profile, serial, validity, spki).map_err(|error| build_error(error.to_string()))?;
    let certificate = builder.build::<_, DerSignature>(issuer_key).map_err(|error| build_error(error.to_string()))?;
    certificate.to_der().map_err(|error| build_error(error.to_string()))
}
