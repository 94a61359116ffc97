//! Document signer certificates (DSCs): the X.509 certificates whose keys sign passes.

use std::sync::Arc;

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::der::{self, Decode};
use x509_cert::ext::pkix::ExtendedKeyUsage;

use super::key_usage::KeyUsage;
use super::kid::Kid;
use crate::codec::cose::SignerKey;
use crate::time::UnixTime;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// RSA moduli accepted for PS256: the hcert spec names 2048 and 3072 bits; 4096 is allowed,
/// and nothing larger, which bounds the cost of a verification.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DscError {
    #[error("not an X.509 certificate in DER, PEM or base64 ({detail})")]
    NotACertificate { detail: String },
    #[error("unsupported public key algorithm {oid}; expected EC P-256 or RSA")]
    UnsupportedKeyAlgorithm { oid: String },
    #[error("unsupported elliptic curve; expected P-256 (prime256v1)")]
    UnsupportedCurve,
    #[error("the public key is malformed ({detail})")]
    MalformedKey { detail: String },
    #[error("RSA key of {bits} bits; expected 2048 to 4096 bits")]
    RsaKeySize { bits: usize },
    #[error("the extended key usage extension is malformed")]
    MalformedKeyUsage,
}

/// A parsed document signer certificate, ready for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSignerCertificate {
    kid: Kid,
    der: Arc<[u8]>,
    key: SignerKey,
    not_before: UnixTime,
    not_after: UnixTime,
    country: Option<String>,
    organization: Option<String>,
    key_usage: KeyUsage,
    subject: String,
}

impl DocumentSignerCertificate {
    /// Parses one DER-encoded certificate; its kid is computed from the DER.
    pub fn from_der(der: &[u8]) -> Result<Self, DscError> {
        let certificate = CertificateInner::<Raw>::from_der(der)
            .map_err(|error| DscError::NotACertificate { detail: error.to_string() })?;
        let tbs = certificate.tbs_certificate();
        let key = parse_key(tbs.subject_public_key_info())?;
        let validity = tbs.validity();
        let key_usage = match tbs.get_extension::<ExtendedKeyUsage>() {
            Ok(Some((_, usage))) => {
                let oids: Vec<String> = usage.0.iter().map(|oid| oid.to_string()).collect();
                KeyUsage::from_oids(oids.iter().map(String::as_str))
            }
            Ok(None) => KeyUsage::Unrestricted,
            Err(_) => return Err(DscError::MalformedKeyUsage),
        };
        let country = tbs.subject().country().ok().flatten().map(|country| country.to_string());
        let organization =
            tbs.subject().organization().ok().flatten().map(|organization| organization.value().into_owned());
        Ok(Self {
            kid: Kid::of_certificate(der),
            der: der.into(),
            key,
            not_before: to_unix(validity.not_before),
            not_after: to_unix(validity.not_after),
            country,
            organization,
            key_usage,
            subject: tbs.subject().to_string(),
        })
    }

    /// Reads every certificate in a file: DER, one or more PEM blocks, or bare base64 (as in
    /// dgc-testdata `TESTCTX.CERTIFICATE`).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Vec<Self>, DscError> {
        let text = std::str::from_utf8(bytes).ok();
        if let Some(text) = text.filter(|text| text.contains("-----BEGIN CERTIFICATE-----")) {
            return pem_blocks(text)?.iter().map(|der| Self::from_der(der)).collect();
        }
        if let Some(text) = text {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(compact) {
                return Ok(vec![Self::from_der(&der)?]);
            }
        }
        Ok(vec![Self::from_der(bytes)?])
    }

    /// The same certificate indexed under a different kid (a trust list's own kid wins over the
    /// computed one, as the EU gateway assigns them).
    pub fn with_kid(mut self, kid: Kid) -> Self {
        self.kid = kid;
        self
    }

    /// The same certificate with its allowed types narrowed by a trust bundle.
    pub fn with_key_usage(mut self, key_usage: KeyUsage) -> Self {
        self.key_usage = key_usage;
        self
    }

    /// The kid the certificate is filed under.
    pub fn kid(&self) -> Kid {
        self.kid
    }
    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The public key.
    pub fn key(&self) -> &SignerKey {
        &self.key
    }
    /// Start of validity.
    pub fn not_before(&self) -> UnixTime {
        self.not_before
    }
    /// End of validity.
    pub fn not_after(&self) -> UnixTime {
        self.not_after
    }
    /// The subject's country (C=), if present.
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }
    /// The subject's organization (O=), if present.
    pub fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }
    /// The certificate types it may sign.
    pub fn key_usage(&self) -> KeyUsage {
        self.key_usage
    }
    /// The subject, as an RFC 4514 string.
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// Whether `time` lies within its validity.
    pub fn is_valid_at(&self, time: UnixTime) -> bool {
        self.not_before <= time && time <= self.not_after
    }
}

fn to_unix(time: x509_cert::time::Time) -> UnixTime {
    UnixTime::from_seconds(i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
}

fn parse_key(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> Result<SignerKey, DscError> {
    let algorithm = spki.algorithm.oid.to_string();
    let key_bytes = spki.subject_public_key.raw_bytes();
    match algorithm.as_str() {
        OID_EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.decode_as::<der::asn1::ObjectIdentifier>().ok());
            if curve.map(|oid| oid.to_string()).as_deref() != Some(OID_P256) {
                return Err(DscError::UnsupportedCurve);
            }
            p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                .map(SignerKey::P256)
                .map_err(|_| DscError::MalformedKey { detail: "not a point on P-256".into() })
        }
        OID_RSA_ENCRYPTION | OID_RSASSA_PSS => {
            let key = rsa::PublicKey::from_pkcs1_der(key_bytes)
                .map_err(|error| DscError::MalformedKey { detail: error.to_string() })?;
            let bits = key.size() * 8;
            if !RSA_BITS.contains(&bits) {
                return Err(DscError::RsaKeySize { bits });
            }
            Ok(SignerKey::Rsa(key))
        }
        _ => Err(DscError::UnsupportedKeyAlgorithm { oid: algorithm }),
    }
}

/// The DER of every `CERTIFICATE` block in PEM text.
fn pem_blocks(text: &str) -> Result<Vec<Vec<u8>>, DscError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let end = after_begin
            .find(END)
            .ok_or_else(|| DscError::NotACertificate { detail: "PEM block without an END line".into() })?;
        let body: String = after_begin[..end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| DscError::NotACertificate { detail: "PEM body is not base64".into() })?;
        blocks.push(der);
        rest = &after_begin[end + END.len()..];
    }
    Ok(blocks)
}
