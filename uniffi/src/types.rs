//! Plain records and enums crossing the FFI, and their conversions from core types.

use healthpass_core::dcc::CertificateType as CoreCertificateType;
use healthpass_core::rules::{RuleOutcome as CoreRuleOutcome, RuleResult as CoreRuleResult};
use healthpass_core::scan::{FoundCode, Symbology as CoreSymbology};
use healthpass_core::trust::{InstalledBundleMark, TrustBundle};

use crate::error::HealthpassError;
use healthpass_core::verify::{
    Language, PassFormat as CorePassFormat, Verdict as CoreVerdict, VerdictStatus as CoreVerdictStatus,
};

/// The overall outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VerdictStatus {
    /// Authentic, in force and conforming: the holder may pass (green).
    Valid,
    /// Authentic, in force and conforming, signed on a certified pharmacy device while the
    /// central service was down: the holder may pass; show amber and the pharmacy's name.
    Provisional,
    /// At least one reason says no.
    Invalid,
}

/// The kind of statement a certificate makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CertificateType {
    /// A vaccination.
    Vaccination,
    /// A test.
    Test,
    /// A recovery.
    Recovery,
}

/// Why a pass is not valid: a stable code and a message for people (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reason {
    /// A stable machine code (`expired`, `signature_invalid`, ...).
    pub code: String,
    /// The part of verification it belongs to: `signature`, `validity`, `key_usage`,
    /// `schema`, `content`, `trust_data`, `revocation` or `rules`.
    pub category: String,
    /// For people, in English with its details (dates, identifiers), without personal data.
    pub message: String,
    /// For a screen, short, in English.
    pub title_english: String,
    /// For a screen, short, in French.
    pub title_french: String,
}

/// One reason code's texts, for an app's own tables.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReasonText {
    /// The stable code.
    pub code: String,
    /// Its category (see [`Reason::category`]).
    pub category: String,
    /// For a screen, in English.
    pub english: String,
    /// For a screen, in French.
    pub french: String,
}

impl From<&healthpass_core::verify::ReasonText> for ReasonText {
    fn from(text: &healthpass_core::verify::ReasonText) -> Self {
        Self {
            code: text.code.to_owned(),
            category: text.category.name().to_owned(),
            english: text.english.to_owned(),
            french: text.french.to_owned(),
        }
    }
}

/// Something odd about a pass that does not change the decision: a stable code, the field (a
/// JSON pointer) and a message for people (no personal data). A valid pass with notices is
/// still valid (green).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Notice {
    /// A stable machine code (`date_as_written`, ...).
    pub code: String,
    /// The field, as a JSON pointer (`/dob`).
    pub field: String,
    /// For people, without the field's content.
    pub message: String,
}

/// What a controller may see to check the holder's identity document. `Debug` shows none of it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Holder {
    /// The family name as printed.
    pub family_name: Option<String>,
    /// The given names as printed.
    pub given_name: Option<String>,
    /// The family name in ICAO 9303 form (`DUBOIS<LEFEVRE`).
    pub family_name_transliterated: Option<String>,
    /// The given names in ICAO 9303 form.
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

/// What one business rule said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RuleResult {
    /// The rule holds.
    Passed,
    /// The rule does not hold.
    Failed,
    /// The rule could not decide (see `why`).
    Open,
}

/// A business rule's outcome for a pass.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RuleOutcome {
    /// The rule's identifier (`TR-FR-0001`).
    pub identifier: String,
    /// Whose rule it is.
    pub country: String,
    /// Its English description.
    pub description: String,
    /// Passed, failed or open.
    pub result: RuleResult,
    /// Why an open rule could not decide.
    pub why: Option<String>,
}

/// The result of verifying a pass.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Verdict {
    /// Valid, provisional (amber: signed by a certified pharmacy device during an outage) or
    /// invalid.
    pub status: VerdictStatus,
    /// Why not, in the order found (empty when valid or provisional).
    pub reasons: Vec<Reason>,
    /// What is odd without changing the decision (a valid pass may have notices).
    pub notices: Vec<Notice>,
    /// The certificate type, when exactly one entry is declared.
    pub certificate_type: Option<CertificateType>,
    /// The issuing country (`iss`, upper-cased), else the entry's country.
    pub issuer_country: Option<String>,
    /// `iat`, seconds since the epoch.
    pub issued_at: Option<i64>,
    /// `exp`, seconds since the epoch.
    pub expires_at: Option<i64>,
    /// The pass's key identifier, base64.
    pub kid: Option<String>,
    /// The country of the signer certificate that verified the pass.
    pub signer_country: Option<String>,
    /// What a controller may see of the holder (absent when unreadable).
    pub holder: Option<Holder>,
    /// What each applicable business rule said.
    pub rule_outcomes: Vec<RuleOutcome>,
    /// The sequence of the trust bundle used, if any.
    pub trust_sequence: Option<u64>,
    /// Seconds since the Unix epoch.
    pub verified_at: i64,
    /// For a provisional pass (amber): the pharmacy that signed it while the central service
    /// was down.
    pub provisional: Option<ProvisionalIssuer>,
    /// Which kind of code was read: an EU `HC1:` pass or a French 2D-DOC.
    pub format: PassFormat,
    /// For a French 2D-DOC: its header and signer.
    pub two_d_doc: Option<TwoDDocInfo>,
}

/// The kind of code a verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PassFormat {
    /// An EU Digital COVID Certificate (`HC1:`).
    Hc1,
    /// A French 2D-DOC (DataMatrix, ANTS specification).
    TwoDDoc,
}

/// What a French 2D-DOC verdict adds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TwoDDocInfo {
    /// The header version (`04`).
    pub version: String,
    /// The certificate authority id (`FR03`).
    pub authority: String,
    /// The certificate id (`AHP1`).
    pub certificate: String,
    /// The trusted signer's name, when the trust set knows it.
    pub signer_name: Option<String>,
    /// `B2` (test result) or `L1` (vaccination); other types are refused.
    pub document_type: String,
    /// The signature date, `YYYY-MM-DD`.
    pub signed_on: Option<String>,
    /// SHA-256 of the signed part, hex: how blocklists name a code.
    pub fingerprint: String,
}

/// Who signed a provisional pass.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProvisionalIssuer {
    /// The pharmacy's identifier.
    pub pharmacy_id: String,
    /// The pharmacy's name, to show the controller.
    pub pharmacy_name: String,
    /// The authority that certified the pharmacy's device.
    pub authority: String,
    /// The device's kid, base64.
    pub device_id: String,
    /// The pass's sequence number on the device.
    pub sequence: u64,
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
                CoreVerdictStatus::Provisional => VerdictStatus::Provisional,
                CoreVerdictStatus::Invalid => VerdictStatus::Invalid,
            },
            reasons: verdict
                .reasons
                .iter()
                .map(|reason| Reason {
                    code: reason.code().to_owned(),
                    category: reason.category().name().to_owned(),
                    message: reason.to_string(),
                    title_english: reason.title(Language::English).to_owned(),
                    title_french: reason.title(Language::French).to_owned(),
                })
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
            format: match verdict.format {
                CorePassFormat::Hc1 => PassFormat::Hc1,
                CorePassFormat::TwoDDoc => PassFormat::TwoDDoc,
            },
            two_d_doc: verdict.two_d_doc.map(|document| TwoDDocInfo {
                version: document.version.to_owned(),
                authority: document.authority,
                certificate: document.certificate,
                signer_name: document.signer_name,
                document_type: document.document_type,
                signed_on: document.signed.map(|date| date.to_string()),
                fingerprint: document.fingerprint.iter().map(|byte| format!("{byte:02x}")).collect(),
            }),
            provisional: verdict.provisional.map(|signer| ProvisionalIssuer {
                pharmacy_id: signer.pharmacy_id,
                pharmacy_name: signer.pharmacy_name,
                authority: signer.authority,
                device_id: signer.device.to_base64(),
                sequence: signer.sequence,
            }),
        }
    }
}

/// A point in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Point {
    /// Column.
    pub x: f32,
    /// Row.
    pub y: f32,
}

/// The kind of 2D code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Symbology {
    /// QR code.
    Qr,
    /// Aztec code.
    Aztec,
    /// DataMatrix (French 2D-DOC).
    DataMatrix,
}

/// A code found in a frame: its text and where it was (corner points in frame pixels).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScannedCode {
    /// The text the code holds.
    pub text: String,
    /// QR, Aztec or DataMatrix.
    pub symbology: Symbology,
    /// Corner points, in frame pixels.
    pub corners: Vec<Point>,
}

impl From<FoundCode> for ScannedCode {
    fn from(code: FoundCode) -> Self {
        Self {
            text: code.text,
            symbology: match code.symbology {
                CoreSymbology::Qr => Symbology::Qr,
                CoreSymbology::Aztec => Symbology::Aztec,
                CoreSymbology::DataMatrix => Symbology::DataMatrix,
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
    NotAPass {
        /// The code read.
        code: ScannedCode,
        /// Why it is not a pass.
        reason: String,
    },
    /// A pass and its verdict.
    Verified {
        /// The code read.
        code: ScannedCode,
        /// Its verdict.
        verdict: Verdict,
    },
}

/// The trust bundle in force.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BundleInfo {
    /// Its sequence number.
    pub sequence: u64,
    /// The kid of the anchor that signed it, base64.
    pub anchor_kid: String,
    /// When it was made, seconds since the epoch.
    pub issued_at: i64,
    /// Start of validity.
    pub not_before: i64,
    /// End of validity.
    pub expires_at: i64,
    /// Signer certificates it holds.
    pub signers: u32,
    /// Business rules it holds.
    pub rules: u32,
    /// Revocation hashes it holds.
    pub revocation_hashes: u64,
}

/// What a trust bundle update did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BundleUpdate {
    /// The bundle in force afterwards.
    pub bundle: BundleInfo,
    /// False when the server answered 304 Not Modified (nothing downloaded or installed).
    pub changed: bool,
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
    /// The bundle's sequence number.
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

/// The test types a pharmacy issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TestType {
    /// Rapid antigen test.
    RapidAntigen,
    /// NAAT (e.g. PCR).
    Naat,
}

/// The result entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TestResult {
    /// Not detected.
    Negative,
    /// Detected.
    Positive,
}

/// What a pharmacist enters for a test certificate. `Debug` leaves out names and the date of
/// birth.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestPassRequest {
    /// As on the identity document.
    pub family_name: String,
    /// As on the identity document; empty for people with a single name.
    pub given_name: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: String,
    /// Rapid antigen or NAAT.
    pub test_type: TestType,
    /// Rapid antigen device id from the value set; none for NAAT.
    pub device: Option<String>,
    /// A NAAT test's name, optional.
    pub test_name: Option<String>,
    /// Seconds since the Unix epoch.
    pub sampled_at: i64,
    /// The result.
    pub result: TestResult,
    /// The testing centre (pharmacy).
    pub centre: String,
    /// ISO 3166-1 alpha-2 country of the test.
    pub country: String,
    /// The issuing authority's name.
    pub issuer: String,
    /// The traveller's transfer code (from their wallet): the pass is sealed for it.
    #[uniffi(default = None)]
    pub transfer_code: Option<String>,
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

/// A signed pass.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssuedPass {
    /// `HC1:...`, the QR code's content.
    pub text: String,
    /// The UVCI.
    pub certificate_id: String,
    /// Issued at, seconds since the epoch.
    pub issued_at: i64,
    /// Expires at, seconds since the epoch.
    pub expires_at: i64,
}

/// What a pharmacy device shows the operator who enrols it with the central issuer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceEnrolment {
    /// The device id the issuer will know it by (its key's kid, base64url, 11 characters).
    pub device_id: String,
    /// The public key, SubjectPublicKeyInfo DER in base64.
    pub public_key: String,
    /// The JSON body of `POST /v1/devices`, for the operator's console.
    pub request_json: String,
}

/// A value-set entry an issuing form offers (e.g. rapid antigen test devices).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ValueSetEntry {
    /// The code.
    pub code: String,
    /// Its English name.
    pub display: String,
}

/// An HTTP request the platform sends for the library.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The URL.
    pub url: String,
    /// Request headers.
    pub headers: Vec<HttpHeader>,
    /// Request body (empty for none).
    pub body: Vec<u8>,
}

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The status code (304 and errors included: the library decides).
    pub status: u16,
    /// Response headers.
    pub headers: Vec<HttpHeader>,
    /// Response body.
    pub body: Vec<u8>,
}
