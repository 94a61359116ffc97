//! Verification of a French 2D-DOC: the same [`Verdict`], reasons and holder fields as the
//! `HC1:` path, from the 2D-DOC trust set ([`TwoDDocTrust`]).
//!
//! Checks, in order: the signer (authority id + certificate id) is trusted; its P-256 key
//! verifies the signature over the bytes before US; the signature date is present, not in the
//! future and within the signer certificate's validity (decided at the signature date, since
//! every leaf certificate has since expired: `../shared/2ddoc/README.md`); the document type is
//! a health certificate the signer may sign; the content's own checks (test: negative, sampled
//! no later than now; vaccination: complete cycle); the blocklist; the trust bundle's validity.

use std::sync::OnceLock;

use super::signature::check_signature;
use super::verdict::{Holder, PassFormat, Reason, TwoDDocSummary, Verdict, VerdictStatus};
use crate::codec::SignatureAlgorithm;
use crate::dcc::CertificateType;
use crate::time::UnixTime;
use crate::trust::{TwoDDocSigner, TwoDDocTrust};
use crate::twoddoc::{Curve, CycleState, DocumentType, TestOutcome, TestResult, TwoDDoc, Vaccination};

/// The built-in trust set, built once.
pub fn built_in_trust() -> &'static TwoDDocTrust {
    static BUILT_IN: OnceLock<TwoDDocTrust> = OnceLock::new();
    BUILT_IN.get_or_init(TwoDDocTrust::built_in)
}

/// What the trust bundle contributes, when one is in force.
pub struct BundleFacts {
    /// Reasons about the bundle's own validity.
    pub validity: Option<Reason>,
    /// The bundle's sequence.
    pub sequence: u64,
}

/// Verifies a parsed 2D-DOC at `now`.
pub fn verify_two_d_doc(
    document: &TwoDDoc,
    trust: &TwoDDocTrust,
    bundle: Option<BundleFacts>,
    now: UnixTime,
) -> Verdict {
    let header = &document.header;
    let mut reasons = Vec::new();
    let signer = trust.signer(&header.authority, &header.certificate);
    match signer {
        None => reasons.push(Reason::TwoDDocSignerUnknown {
            authority: header.authority.clone(),
            certificate: header.certificate.clone(),
        }),
        Some(signer) => reasons.extend(signature_reason(document, signer)),
    }
    let signed_on = header.signed.or(header.emitted);
    match signed_on {
        None => reasons.push(Reason::SignatureDateMissing),
        Some(date) if date > now.date() => reasons.push(Reason::NotYetValid { issued_at: date.start() }),
        Some(date) => reasons.extend(signer.and_then(|signer| signer_validity_reason(signer, date.start()))),
    }
    let certificate_type = match header.document_type {
        DocumentType::TestResult => Some(CertificateType::Test),
        DocumentType::Vaccination => Some(CertificateType::Vaccination),
        DocumentType::Other(_) => None,
    };
    let allowed_by_signer = signer
        .and_then(|signer| signer.document_types.as_ref())
        .is_none_or(|types| types.iter().any(|code| code == header.document_type.code()));
    if certificate_type.is_none() || !allowed_by_signer {
        reasons.push(Reason::DocumentTypeNotAllowed { document_type: header.document_type.code().to_owned() });
    }
    let holder = content_checks(document, now, &mut reasons);
    let fingerprint = document.fingerprint();
    if trust.is_revoked(&fingerprint) {
        reasons.push(Reason::TwoDDocRevoked);
    }
    if let Some(reason) = bundle.as_ref().and_then(|facts| facts.validity.clone()) {
        reasons.push(reason);
    }
    Verdict {
        status: if reasons.is_empty() { VerdictStatus::Valid } else { VerdictStatus::Invalid },
        reasons,
        notices: Vec::new(),
        certificate_type,
        issuer_country: header.country.clone(),
        issued_at: signed_on.map(|date| date.start()),
        expires_at: None,
        kid: None,
        signer: None,
        holder,
        schema_release: None,
        verified_at: now,
        rule_outcomes: Vec::new(),
        trust_sequence: bundle.map(|facts| facts.sequence),
        provisional: None,
        format: PassFormat::TwoDDoc,
        two_d_doc: Some(TwoDDocSummary {
            version: header.version.number(),
            authority: header.authority.clone(),
            certificate: header.certificate.clone(),
            signer_name: signer.map(|signer| signer.name.clone()),
            document_type: header.document_type.code().to_owned(),
            emitted: header.emitted,
            signed: header.signed,
            fingerprint,
            has_annex: document.signature.annex.is_some(),
        }),
    }
}

/// The signature check: only P-256 keys are published, so a P-384 or P-521 signature is named
/// and refused rather than guessed at.
fn signature_reason(document: &TwoDDoc, signer: &TwoDDocSigner) -> Option<Reason> {
    if document.signature.curve != Curve::P256 {
        return Some(Reason::TwoDDocCurveUnsupported { curve: document.signature.curve.name() });
    }
    let Some(key) = signer.key() else { return Some(Reason::SignatureInvalid) };
    check_signature(SignatureAlgorithm::Es256, &key, &document.signed_data, &document.signature.bytes).err()
}

/// The signer certificate must have been valid on the signature date: the date has no time, so
/// any moment of that day inside the validity counts.
fn signer_validity_reason(signer: &TwoDDocSigner, signed_on: UnixTime) -> Option<Reason> {
    let (not_before, not_after) =
        (signer.not_before.unwrap_or(UnixTime::MIN), signer.not_after.unwrap_or(UnixTime::MAX));
    let day_end = signed_on.saturating_add(86_399);
    (day_end < not_before || signed_on > not_after).then_some(Reason::SignedOutsideSignerValidity {
        issued_at: signed_on,
        not_before,
        not_after,
    })
}

/// The typed content and its checks; the holder when the content reads.
fn content_checks(document: &TwoDDoc, now: UnixTime, reasons: &mut Vec<Reason>) -> Option<Holder> {
    match document.header.document_type {
        DocumentType::TestResult => match TestResult::from_message(&document.message) {
            Ok(result) => {
                match result.outcome {
                    TestOutcome::Negative => {}
                    TestOutcome::Positive => reasons.push(Reason::TestResultPositive),
                    TestOutcome::Inconclusive | TestOutcome::NotDone => reasons.push(Reason::TestResultUnknown),
                }
                if result.sampled_at > now {
                    reasons.push(Reason::SampleTimeInFuture { sample_time: result.sampled_at });
                }
                Some(Holder { name: result.name, date_of_birth: result.date_of_birth })
            }
            Err(error) => {
                reasons.push(Reason::PayloadInvalid { detail: error.to_string() });
                None
            }
        },
        DocumentType::Vaccination => match Vaccination::from_message(&document.message) {
            Ok(vaccination) => {
                if vaccination.cycle != CycleState::Complete {
                    reasons.push(Reason::VaccinationIncomplete {
                        dose_rank: vaccination.dose_rank,
                        doses_expected: vaccination.doses_expected,
                    });
                }
                Some(Holder { name: vaccination.name, date_of_birth: vaccination.date_of_birth })
            }
            Err(error) => {
                reasons.push(Reason::PayloadInvalid { detail: error.to_string() });
                None
            }
        },
        DocumentType::Other(_) => None,
    }
}
