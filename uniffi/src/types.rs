//! Plain records and enums crossing the FFI, and their conversions from core types.

use healthpass_core::dcc::CertificateType as CoreCertificateType;
use healthpass_core::rules::{RuleOutcome as CoreRuleOutcome, RuleResult as CoreRuleResult};
use healthpass_core::scan::{FoundCode, Symbology as CoreSymbology};
use healthpass_core::trust::{InstalledBundleMark, TrustBundle};

use crate::error::HealthpassError;
use healthpass_core::verify::{Verdict as CoreVerdict, VerdictStatus as CoreVerdictStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VerdictStatus {
    Valid,
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CertificateType {
    Vaccination,
    Test,
    Recovery,
}

/// Why a pass is not valid: a stable code and a message for people (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reason {
    pub code: String,
    pub message: String,
}

/// Something odd about a pass that does not change the decision: a stable code, the field (a
/// JSON pointer) and a message for people (no personal data). A valid pass with notices is
/// still valid (green).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Notice {
    pub code: String,
    pub field: String,
    pub message: String,
}

/// What a controller may see to check the holder's identity document. `Debug` shows none of it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Holder {
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name_transliterated: Option<String>,
    pub given_name_transliterated: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, empty when unknown, or exactly as the pass writes it
    /// when it is none of these (`1989-00-20`): compare it with the identity document as is.
    pub date_of_birth: String,
}

impl std::fmt::Debug for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Holder { <redacted> }")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RuleResult {
    Passed,
    Failed,
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RuleOutcome {
    pub identifier: String,
    pub country: String,
    pub description: String,
    pub result: RuleResult,
    /// Why an open rule could not decide.
    pub why: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Verdict {
    pub status: VerdictStatus,
    pub reasons: Vec<Reason>,
    pub notices: Vec<Notice>,
    pub certificate_type: Option<CertificateType>,
    pub issuer_country: Option<String>,
    pub issued_at: Option<i64>,
    pub expires_at: Option<i64>,
    /// The pass's key identifier, base64.
    pub kid: Option<String>,
    pub signer_country: Option<String>,
    pub holder: Option<Holder>,
    pub rule_outcomes: Vec<RuleOutcome>,
    pub trust_sequence: Option<u64>,
    /// Seconds since the Unix epoch.
    pub verified_at: i64,
}

impl From<CoreCertificateType> for CertificateType {
    fn from(kind: CoreCertificateType) -> Self {
        match kind {
            CoreCertificateType::Vaccination => Self::Vaccination,
            CoreCertificateType::Test => Self::Test,
            CoreCertificateType::Recovery => Self::Recovery,
        }
    }
}

impl From<&CoreRuleOutcome> for RuleOutcome {
    fn from(outcome: &CoreRuleOutcome) -> Self {
        let (result, why) = match &outcome.result {
            CoreRuleResult::Passed => (RuleResult::Passed, None),
            CoreRuleResult::Failed => (RuleResult::Failed, None),
            CoreRuleResult::Open { why } => (RuleResult::Open, Some(why.clone())),
        };
        Self {
            identifier: outcome.identifier.clone(),
            country: outcome.country.clone(),
            description: outcome.description.clone(),
            result,
            why,
        }
    }
}

impl From<CoreVerdict> for Verdict {
    fn from(verdict: CoreVerdict) -> Self {
        Self {
            status: match verdict.status {
                CoreVerdictStatus::Valid => VerdictStatus::Valid,
                CoreVerdictStatus::Invalid => VerdictStatus::Invalid,
            },
            reasons: verdict
                .reasons
                .iter()
                .map(|reason| Reason { code: reason.code().to_owned(), message: reason.to_string() })
                .collect(),
            notices: verdict
                .notices
                .iter()
                .map(|notice| Notice {
                    code: notice.code().to_owned(),
                    field: notice.field.clone(),
                    message: notice.to_string(),
                })
                .collect(),
            certificate_type: verdict.certificate_type.map(Into::into),
            issuer_country: verdict.issuer_country,
            issued_at: verdict.issued_at.map(|time| time.seconds()),
            expires_at: verdict.expires_at.map(|time| time.seconds()),
            kid: verdict.kid.map(|kid| kid.to_base64()),
            signer_country: verdict.signer.and_then(|signer| signer.country),
            holder: verdict.holder.map(|holder| Holder {
                family_name: holder.name.family_name,
                given_name: holder.name.given_name,
                family_name_transliterated: holder.name.family_name_transliterated,
                given_name_transliterated: holder.name.given_name_transliterated,
                date_of_birth: holder.date_of_birth.to_string(),
            }),
            rule_outcomes: verdict.rule_outcomes.iter().map(Into::into).collect(),
            trust_sequence: verdict.trust_sequence,
            verified_at: verdict.verified_at.seconds(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Symbology {
    Qr,
    Aztec,
}

/// A code found in a frame: its text and where it was (corner points in frame pixels).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScannedCode {
    pub text: String,
    pub symbology: Symbology,
    pub corners: Vec<Point>,
}

impl From<FoundCode> for ScannedCode {
    fn from(code: FoundCode) -> Self {
        Self {
            text: code.text,
            symbology: match code.symbology {
                CoreSymbology::Qr => Symbology::Qr,
                CoreSymbology::Aztec => Symbology::Aztec,
            },
            corners: code.corners.into_iter().map(|(x, y)| Point { x, y }).collect(),
        }
    }
}

/// What one camera frame gave.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
#[expect(
    clippy::large_enum_variant,
    reason = "lowered to a byte buffer right after it is built; UniFFI enum fields cannot be boxed"
)]
pub enum FrameVerification {
    /// No code in the frame: keep scanning.
    NoCode,
    /// A code that is not a pass (a URL, a damaged code).
    NotAPass { code: ScannedCode, reason: String },
    /// A pass and its verdict.
    Verified { code: ScannedCode, verdict: Verdict },
}

/// The trust bundle in force.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BundleInfo {
    pub sequence: u64,
    pub anchor_kid: String,
    pub issued_at: i64,
    pub not_before: i64,
    pub expires_at: i64,
    pub signers: u32,
    pub rules: u32,
    pub revocation_hashes: u64,
}

impl From<&TrustBundle> for BundleInfo {
    fn from(bundle: &TrustBundle) -> Self {
        let contents = bundle.contents();
        Self {
            sequence: contents.sequence,
            anchor_kid: bundle.anchor_kid().to_base64(),
            issued_at: contents.issued_at.seconds(),
            not_before: contents.not_before.seconds(),
            expires_at: contents.expires_at.seconds(),
            signers: u32::try_from(contents.signers.len()).unwrap_or(u32::MAX),
            rules: u32::try_from(contents.rules.len()).unwrap_or(u32::MAX),
            revocation_hashes: contents.revocations.total() as u64,
        }
    }
}

/// What identifies the installed trust bundle: persist it (or the bundle's bytes) and give it
/// back to [`crate::PassVerifier::new`], so a restart opens neither a rollback nor a second
/// bundle under the same sequence number.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BundleMark {
    pub sequence: u64,
    /// SHA-256 of the bundle's signed data, 32 bytes.
    pub digest: Vec<u8>,
}

impl From<InstalledBundleMark> for BundleMark {
    fn from(mark: InstalledBundleMark) -> Self {
        Self { sequence: mark.sequence, digest: mark.digest.to_vec() }
    }
}

impl TryFrom<&BundleMark> for InstalledBundleMark {
    type Error = HealthpassError;
    fn try_from(mark: &BundleMark) -> Result<Self, HealthpassError> {
        let digest = <[u8; 32]>::try_from(mark.digest.as_slice()).map_err(|_| HealthpassError::InvalidInput {
            reason: format!("a bundle mark's digest has 32 bytes, not {}", mark.digest.len()),
        })?;
        Ok(Self { sequence: mark.sequence, digest })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TestType {
    RapidAntigen,
    Naat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TestResult {
    Negative,
    Positive,
}

/// What a pharmacist enters for a test certificate. `Debug` leaves out names and the date of
/// birth.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestPassRequest {
    pub family_name: String,
    pub given_name: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: String,
    pub test_type: TestType,
    /// Rapid antigen device id from the value set; none for NAAT.
    pub device: Option<String>,
    pub test_name: Option<String>,
    /// Seconds since the Unix epoch.
    pub sampled_at: i64,
    pub result: TestResult,
    pub centre: String,
    pub country: String,
    pub issuer: String,
}

impl std::fmt::Debug for TestPassRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPassRequest")
            .field("test_type", &self.test_type)
            .field("device", &self.device)
            .field("sampled_at", &self.sampled_at)
            .field("result", &self.result)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssuedPass {
    /// `HC1:...`, the QR code's content.
    pub text: String,
    pub certificate_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// A value-set entry an issuing form offers (e.g. rapid antigen test devices).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ValueSetEntry {
    pub code: String,
    pub display: String,
}

/// An HTTP request the platform sends for the library.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}
