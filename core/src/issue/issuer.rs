//! An issuer: turns a pharmacist's request into a signed pass, and checks the pass with the
//! project's own verifier before handing it out (guarding against a faulty platform signer).

use std::sync::Arc;

use super::test_certificate::{InputError, IssuingPolicy, TestCertificateRequest, build_test_dcc};
use crate::codec::cose::{CoseSign1Builder, Signer, SignerError};
use crate::codec::{CwtClaims, cbor, wrap_cose};
use crate::dcc::uvci;
use crate::dcc::{CertificateType, Dcc, hcert};
use crate::time::UnixTime;
use crate::trust::{DocumentSignerCertificate, DscError, TrustStore};
use crate::verify::{ReasonCategory, Verifier};

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error("the signing certificate is unusable: {0}")]
    Certificate(#[from] DscError),
    #[error("the signing key does not belong to the signer certificate (kid {certificate}); use the key it certifies")]
    KeyCertificateMismatch { certificate: String },
    #[error("the signing certificate may not sign test certificates (extended key usage)")]
    CertificateNotForTests,
    #[error("randomness for the certificate identifier is unavailable: {detail}")]
    Randomness { detail: String },
    /// The pass did not verify with the issuer's own certificate: a faulty signer, or a
    /// certificate that expires before the pass would.
    #[error("the issued pass failed its own verification: {reasons}")]
    SelfCheckFailed { reasons: String },
}

/// A pass ready to hand out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedPass {
    /// `HC1:...`, the QR code's content.
    pub text: String,
    /// The UVCI.
    pub certificate_id: String,
    /// The certificate as signed.
    pub dcc: Dcc,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
}

/// Issues test certificates with one signer and its certificate.
pub struct Issuer {
    signer: Arc<dyn Signer>,
    certificate: DocumentSignerCertificate,
    /// The CWT `iss` claim: the issuing country.
    issuing_country: String,
    policy: IssuingPolicy,
    verifier: Verifier,
}

impl Issuer {
    /// An issuer signing with `signer`, whose certificate is `certificate_der`.
    pub fn new(
        signer: Arc<dyn Signer>,
        certificate_der: &[u8],
        issuing_country: &str,
        policy: IssuingPolicy,
    ) -> Result<Self, IssueError> {
        let certificate = DocumentSignerCertificate::from_der(certificate_der)?;
        if signer.public_key()? != *certificate.key() {
            return Err(IssueError::KeyCertificateMismatch { certificate: certificate.kid().to_base64() });
        }
        if !certificate.key_usage().allows(CertificateType::Test) {
            return Err(IssueError::CertificateNotForTests);
        }
        let verifier = Verifier::new(TrustStore::from_iter([certificate.clone()]));
        Ok(Self { signer, certificate, issuing_country: issuing_country.to_ascii_uppercase(), policy, verifier })
    }

    /// The signer certificate.
    pub fn certificate(&self) -> &DocumentSignerCertificate {
        &self.certificate
    }

    /// How times and identifiers are set.
    pub fn policy(&self) -> &IssuingPolicy {
        &self.policy
    }

    /// Issues a test certificate at `now`, with a fresh random UVCI.
    pub fn issue_test(&self, request: &TestCertificateRequest, now: UnixTime) -> Result<IssuedPass, IssueError> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|error| IssueError::Randomness { detail: error.to_string() })?;
        self.issue_test_with_random(request, now, random)
    }

    /// As [`Issuer::issue_test`], with the UVCI's random part given (tests, reproducible demos).
    pub fn issue_test_with_random(
        &self,
        request: &TestCertificateRequest,
        now: UnixTime,
        random: [u8; 16],
    ) -> Result<IssuedPass, IssueError> {
        let country = request.country.trim().to_ascii_uppercase();
        let certificate_id = uvci::generate(&country, &self.policy.uvci_prefix, random)
            .map_err(|_| InputError::UnknownCountry { code: request.country.clone() })?;
        let dcc = build_test_dcc(request, &self.policy, now, certificate_id.clone())?;
        let expires_at = request.sampled_at.saturating_add(self.policy.pass_lifetime_seconds);
        if expires_at <= now {
            return Err(InputError::SampleTooOld {
                hours: (now.seconds() - request.sampled_at.seconds()) / 3600,
                max_hours: self.policy.pass_lifetime_seconds / 3600,
            }
            .into());
        }
        self.sign_certificate(dcc, now, expires_at)
    }

    /// Signs a certificate already built (the final pass of a reconciled provisional pass keeps
    /// its statement and UVCI), issued at `now`, expiring at `expires_at`.
    pub fn sign_certificate(&self, dcc: Dcc, now: UnixTime, expires_at: UnixTime) -> Result<IssuedPass, IssueError> {
        let claims = CwtClaims {
            issuer: Some(self.issuing_country.clone()),
            issued_at: Some(now),
            expires_at: Some(expires_at),
            other: vec![(hcert::CLAIM_HCERT, hcert::container(dcc.to_value()))],
        };
        let cose = CoseSign1Builder::new(self.certificate.kid().as_bytes())
            .sign(&cbor::encode(&claims.to_value()), self.signer.as_ref())?;
        let text = wrap_cose(&cose);
        if self.policy.verify_issued {
            self.self_check(&text, now)?;
        }
        let certificate_id = dcc.certificate_id().to_owned();
        Ok(IssuedPass { text, certificate_id, dcc, issued_at: now, expires_at })
    }

    /// The pass must verify with the issuer's own certificate; only content verdicts (a
    /// positive result) may remain, since issuing a positive test is legitimate.
    fn self_check(&self, text: &str, now: UnixTime) -> Result<(), IssueError> {
        let verdict = self
            .verifier
            .verify_text(text, now)
            .map_err(|error| IssueError::SelfCheckFailed { reasons: error.to_string() })?;
        let blocking: Vec<String> = verdict
            .reasons
            .iter()
            .filter(|reason| reason.category() != ReasonCategory::Content)
            .map(|reason| format!("{reason} [{}]", reason.code()))
            .collect();
        if blocking.is_empty() { Ok(()) } else { Err(IssueError::SelfCheckFailed { reasons: blocking.join("; ") }) }
    }
}
