//! Verification of a pass against a trust store at a given time.

use ciborium::Value;

use super::policy;
use super::signature::check_signature;
use super::verdict::{Holder, Reason, SignerSummary, Verdict, VerdictStatus};
use crate::codec::{self, AlgorithmHeader, DecodeError, DecodedPass, PassLimits, SignatureAlgorithm};
use crate::dcc::{self, CertificateType, Dcc, HcertError};
use crate::time::UnixTime;
use crate::trust::{DocumentSignerCertificate, Kid, TrustStore};

/// Why the input is not a pass at all (as opposed to a pass that is invalid).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("health certificate: {0}")]
    Hcert(#[from] HcertError),
}

/// Verifies passes offline against the signers it trusts.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    trust: TrustStore,
    limits: PassLimits,
}

/// The outcome of looking for the signer of a pass.
#[derive(Debug)]
pub enum SignerSearch<'a> {
    Verified { signer: &'a DocumentSignerCertificate, algorithm: SignatureAlgorithm },
    Failed(Reason),
}

impl Verifier {
    pub fn new(trust: TrustStore) -> Self {
        Self { trust, limits: PassLimits::default() }
    }

    pub fn with_limits(mut self, limits: PassLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Verifies `HC1:` text at time `now`.
    pub fn verify_text(&self, text: &str, now: UnixTime) -> Result<Verdict, VerifyError> {
        let pass = codec::decode_pass_text(text, &self.limits)?;
        self.verify_decoded(&pass, now)
    }

    /// Verifies an already decoded pass at time `now`.
    pub fn verify_decoded(&self, pass: &DecodedPass, now: UnixTime) -> Result<Verdict, VerifyError> {
        let dcc_value = dcc::hcert::dcc_value(&pass.claims)?;
        let mut reasons = Vec::new();

        let kid = pass.message.key_id().and_then(|(bytes, _)| Kid::from_slice(bytes));
        let signer = match find_signer(pass, &self.trust) {
            SignerSearch::Verified { signer, algorithm } => Some((signer, algorithm)),
            SignerSearch::Failed(reason) => {
                reasons.push(reason);
                None
            }
        };

        reasons.extend(policy::validity_reasons(&pass.claims, now));
        if let Some((signer, _)) = signer {
            reasons.extend(policy::signer_validity_reasons(&pass.claims, signer));
        }

        let declared_types = CertificateType::declared_in(dcc_value);
        let certificate_type = match declared_types.as_slice() {
            [single] => Some(*single),
            _ => None,
        };
        if let (Some((signer, _)), Some(kind)) = (signer, certificate_type) {
            reasons.extend(policy::key_usage_reason(signer, kind));
        }

        let schema_release = check_schema(dcc_value, &mut reasons);
        let dcc = match Dcc::from_value(dcc_value) {
            Ok(dcc) => {
                reasons.extend(policy::content_reasons(&dcc, now));
                Some(dcc)
            }
            Err(error) => {
                reasons.push(Reason::PayloadInvalid { detail: error.to_string() });
                None
            }
        };

        let issuer_country =
            pass.claims.issuer.clone().or_else(|| dcc.as_ref().map(|dcc| dcc.entry_country().to_owned()));
        Ok(Verdict {
            status: if reasons.is_empty() { VerdictStatus::Valid } else { VerdictStatus::Invalid },
            reasons,
            certificate_type,
            issuer_country,
            issued_at: pass.claims.issued_at,
            expires_at: pass.claims.expires_at,
            kid,
            signer: signer.map(|(signer, algorithm)| SignerSummary {
                kid: signer.kid(),
                country: signer.country().map(str::to_owned),
                algorithm,
            }),
            holder: dcc.map(|dcc| Holder { name: dcc.name, date_of_birth: dcc.date_of_birth }),
            schema_release,
            verified_at: now,
        })
    }
}

/// Finds the trusted signer whose key verifies the pass: every certificate filed under the
/// pass's kid is tried (brief §5: several DSCs may share a kid).
pub fn find_signer<'a>(pass: &DecodedPass, trust: &'a TrustStore) -> SignerSearch<'a> {
    let kid = match pass.message.key_id() {
        None => return SignerSearch::Failed(Reason::KeyIdMissing),
        Some((bytes, _)) => match Kid::from_slice(bytes) {
            Some(kid) => kid,
            None => return SignerSearch::Failed(Reason::KeyIdMalformed { length: bytes.len() }),
        },
    };
    let algorithm = match pass.message.algorithm() {
        AlgorithmHeader::Supported(algorithm) => algorithm,
        AlgorithmHeader::Missing => return SignerSearch::Failed(Reason::AlgorithmMissing),
        AlgorithmHeader::Unsupported(algorithm) => {
            return SignerSearch::Failed(Reason::AlgorithmUnsupported { algorithm });
        }
    };
    verify_with(pass, algorithm, trust.candidates(&kid), kid)
}

/// Tries each candidate signer; the most telling failure is reported when none verifies.
pub fn verify_with<'a>(
    pass: &DecodedPass,
    algorithm: SignatureAlgorithm,
    candidates: &'a [DocumentSignerCertificate],
    kid: Kid,
) -> SignerSearch<'a> {
    if candidates.is_empty() {
        return SignerSearch::Failed(Reason::KeyIdUnknown { kid });
    }
    let signed_data = pass.message.signed_data();
    let mut failure = None;
    for candidate in candidates {
        match check_signature(algorithm, candidate.key(), &signed_data, pass.message.signature()) {
            Ok(()) => return SignerSearch::Verified { signer: candidate, algorithm },
            // A key of the right type that rejects the signature says more than a mismatch.
            Err(reason @ Reason::AlgorithmKeyMismatch { .. }) => {
                failure.get_or_insert(reason);
            }
            Err(reason) => failure = Some(reason),
        }
    }
    SignerSearch::Failed(failure.unwrap_or(Reason::SignatureInvalid))
}

fn check_schema(dcc_value: &Value, reasons: &mut Vec<Reason>) -> Option<dcc::schema::SchemaVersion> {
    match dcc::schema::check_dcc(dcc_value) {
        Ok(check) => {
            if !check.violations.is_empty() {
                reasons.push(Reason::SchemaViolations { release: check.release, violations: check.violations });
            }
            Some(check.release)
        }
        Err(error) => {
            reasons.push(Reason::SchemaUnavailable { detail: error.to_string() });
            None
        }
    }
}
