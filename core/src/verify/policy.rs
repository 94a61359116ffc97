//! The rules a verified payload must meet at the verification time.

use super::verdict::Reason;
use crate::codec::CwtClaims;
use crate::dcc::payload::{TEST_RESULT_DETECTED, TEST_RESULT_NOT_DETECTED};
use crate::dcc::{CertificateType, Dcc, Entry};
use crate::time::UnixTime;
use crate::trust::DocumentSignerCertificate;

/// iat and exp against the verification time: valid from iat through exp inclusive
/// (dgc-testdata common/CO16, CO17).
pub fn validity_reasons(claims: &CwtClaims, now: UnixTime) -> Vec<Reason> {
    let mut reasons = Vec::new();
    match claims.issued_at {
        None => reasons.push(Reason::IssuedAtMissing),
        Some(issued_at) if issued_at > now => reasons.push(Reason::NotYetValid { issued_at }),
        Some(_) => {}
    }
    match claims.expires_at {
        None => reasons.push(Reason::ExpiryMissing),
        Some(expires_at) if now > expires_at => reasons.push(Reason::Expired { expires_at }),
        Some(_) => {}
    }
    reasons
}

/// The pass must have been issued while its signer certificate was valid, and must not
/// outlive it (hcert spec §3.3.4; the dgc-testdata runner checks
/// `notBefore <= iat` and `exp <= notAfter`).
pub fn signer_validity_reasons(claims: &CwtClaims, signer: &DocumentSignerCertificate) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if let Some(issued_at) = claims.issued_at
        && !signer.is_valid_at(issued_at)
    {
        reasons.push(Reason::SignedOutsideSignerValidity {
            issued_at,
            not_before: signer.not_before(),
            not_after: signer.not_after(),
        });
    }
    if let Some(expires_at) = claims.expires_at
        && expires_at > signer.not_after()
    {
        reasons.push(Reason::ExpiresAfterSigner { expires_at, signer_not_after: signer.not_after() });
    }
    reasons
}

/// The signer's extended key usage must allow the certificate type.
pub fn key_usage_reason(signer: &DocumentSignerCertificate, certificate_type: CertificateType) -> Option<Reason> {
    (!signer.key_usage().allows(certificate_type)).then_some(Reason::KeyUsageMismatch { certificate_type })
}

/// What the statement itself must say to be worth anything. Fail-closed: a test result that is
/// not exactly "not detected" is never accepted, and a recovery is accepted only within its
/// own validity window. Everything else medical (doses, intervals, test types, products) is
/// left to the business rules of the arrival country.
pub fn content_reasons(dcc: &Dcc, now: UnixTime) -> Vec<Reason> {
    let mut reasons = Vec::new();
    match &dcc.entry {
        Entry::Test(test) => {
            match test.result.as_str() {
                TEST_RESULT_NOT_DETECTED => {}
                TEST_RESULT_DETECTED => reasons.push(Reason::TestResultPositive),
                _ => reasons.push(Reason::TestResultUnknown),
            }
            if test.sample_time > now {
                reasons.push(Reason::SampleTimeInFuture { sample_time: test.sample_time });
            }
        }
        // The DCC dates are calendar dates without a zone; UTC is the hcert spec's reading.
        Entry::Recovery(recovery) => {
            let today = now.date();
            if today < recovery.valid_from {
                reasons.push(Reason::RecoveryNotYetValid { valid_from: recovery.valid_from });
            }
            if today > recovery.valid_until {
                reasons.push(Reason::RecoveryExpired { valid_until: recovery.valid_until });
            }
        }
        Entry::Vaccination(_) => {}
    }
    reasons
}

/// A signer may only issue for its own country: the CWT `iss` must name the country of the
/// signer certificate when both are known (otherwise a signer of one country could choose
/// another's invalidation rules and revocation entries).
pub fn issuer_country_reason(claims: &CwtClaims, signer: &DocumentSignerCertificate) -> Option<Reason> {
    let (Some(claimed), Some(signer_country)) = (claims.issuer.as_deref(), signer.country()) else { return None };
    (!claimed.trim().eq_ignore_ascii_case(signer_country.trim())).then(|| Reason::IssuerCountryMismatch {
        signer_country: signer_country.to_owned(),
        issuer_country: claimed.to_owned(),
    })
}
