//! What a verification concludes: a verdict with machine-readable reasons.

use std::fmt;

use super::notice::Notice;
use super::provisional::ProvisionalSigner;
use crate::codec::SignatureAlgorithm;
use crate::dcc::schema::{SchemaVersion, SchemaViolation};
use crate::dcc::{CertificateType, DateOfBirth, PersonName};
use crate::rules::RuleOutcome;
use crate::time::{CivilDate, UnixTime};
use crate::trust::{Kid, RevocationKind};

/// The overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictStatus {
    /// Authentic, in force, and conforming: the holder may pass.
    Valid,
    /// Authentic, in force and conforming, but signed on a pharmacy device under a delegation
    /// credential while the central service was down: shown amber, naming the pharmacy.
    Provisional,
    /// At least one reason says no.
    Invalid,
}

impl VerdictStatus {
    /// `valid` or `invalid`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Provisional => "provisional",
            Self::Invalid => "invalid",
        }
    }
}

/// Why a pass is not valid. Each has a stable [`Reason::code`] for machines and a message for
/// people; none contains personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// No key identifier in either header (dgc-testdata common/CO23 family).
    KeyIdMissing,
    /// BasicDgcTestsList CO25/CO26: a kid must be exactly 8 bytes.
    KeyIdMalformed {
        /// Bytes in the kid found.
        length: usize,
    },
    /// No trusted signer has this kid.
    KeyIdUnknown {
        /// The kid.
        kid: Kid,
    },
    /// No algorithm in the COSE headers.
    AlgorithmMissing,
    /// BasicDgcTestsList CO4.
    AlgorithmUnsupported {
        /// The algorithm named.
        algorithm: String,
    },
    /// BasicDgcTestsList CO27: the algorithm does not fit the signer's key.
    AlgorithmKeyMismatch {
        /// The algorithm named.
        algorithm: SignatureAlgorithm,
        /// The key's kind.
        key: String,
    },
    /// BasicDgcTestsList CO24: an ES256 signature must be 64 bytes r||s.
    SignatureMalformed {
        /// Bytes in the signature.
        length: usize,
    },
    /// The signature does not verify with any trusted signer of this kid.
    SignatureInvalid,
    /// No `iat`.
    IssuedAtMissing,
    /// No `exp`.
    ExpiryMissing,
    /// dgc-testdata common/CO16: issued after the verification time.
    NotYetValid {
        /// The pass's `iat`.
        issued_at: UnixTime,
    },
    /// dgc-testdata common/CO17.
    Expired {
        /// The pass's `exp`.
        expires_at: UnixTime,
    },
    /// The signer certificate was not valid when the pass was issued.
    SignedOutsideSignerValidity {
        /// The pass's `iat`.
        issued_at: UnixTime,
        /// The signer certificate's start of validity.
        not_before: UnixTime,
        /// The signer certificate's end of validity.
        not_after: UnixTime,
    },
    /// The pass outlives its signer certificate (hcert spec §3.3.4: exp must not exceed it).
    ExpiresAfterSigner {
        /// The pass's `exp`.
        expires_at: UnixTime,
        /// The signer certificate's end of validity.
        signer_not_after: UnixTime,
    },
    /// dgc-testdata common/CO6–CO11: the signer may not sign this type.
    KeyUsageMismatch {
        /// The pass's type.
        certificate_type: CertificateType,
    },
    /// The payload breaks the schema of its declared version.
    SchemaViolations {
        /// The release checked against.
        release: SchemaVersion,
        /// What the decision fields break.
        violations: Vec<SchemaViolation>,
    },
    /// The payload declares a version no bundled schema covers.
    SchemaUnavailable {
        /// Why.
        detail: String,
    },
    /// The payload cannot be read as a certificate (missing or mistyped fields).
    PayloadInvalid {
        /// What could not be read.
        detail: String,
    },
    /// BasicDgcTestsList DGC7: a test certificate saying "detected" proves nothing good.
    TestResultPositive,
    /// A test result other than the value set's two codes: fail-closed, never read as negative.
    TestResultUnknown,
    /// A recovery certificate before its `df`.
    RecoveryNotYetValid {
        /// The recovery's `df`.
        valid_from: CivilDate,
    },
    /// A recovery certificate after its `du`.
    RecoveryExpired {
        /// The recovery's `du`.
        valid_until: CivilDate,
    },
    /// The signer certificate's country differs from the `iss` claim.
    IssuerCountryMismatch {
        /// The signer certificate's country (C=).
        signer_country: String,
        /// The pass's `iss`.
        issuer_country: String,
    },
    /// BasicDgcTestsList DGC8: a sample taken after the verification time.
    SampleTimeInFuture {
        /// The pass's `sc`.
        sample_time: UnixTime,
    },
    /// The trust bundle has expired: its signers, rules and revocations may be outdated.
    TrustDataStale {
        /// The bundle's expiry.
        expired_at: UnixTime,
    },
    /// The trust bundle is not yet in force (the device clock, or a bundle issued early).
    TrustDataNotYetValid {
        /// The bundle's start of validity.
        not_before: UnixTime,
    },
    /// The pass is on a revocation list of the trust bundle.
    Revoked {
        /// Which list.
        list: RevocationKind,
    },
    /// A business rule says no.
    RuleFailed {
        /// The rule's identifier.
        identifier: String,
        /// Its English description.
        description: String,
    },
    /// A business rule could not decide; the pass is not accepted without a decision.
    RuleOpen {
        /// The rule's identifier.
        identifier: String,
        /// Why it could not decide.
        why: String,
    },
    /// A provisional pass's credential is in the protected header instead of label 13 of the
    /// unprotected one.
    ProvisionalCredentialMisplaced,
    /// A provisional pass's delegation credential is unreadable, or no fallback root of the
    /// trust bundle verifies it.
    ProvisionalCredentialInvalid {
        /// Which check failed.
        detail: String,
    },
    /// The credential certifies another device than the one whose kid the pass carries.
    ProvisionalSubjectMismatch,
    /// The key the credential certifies does not verify the pass (or the pass is not ES256).
    ProvisionalSignatureInvalid,
    /// The pass was signed outside its credential's validity.
    ProvisionalOutsideCredential {
        /// The pass's `iat`.
        issued_at: UnixTime,
        /// The credential's `nbf`.
        not_before: UnixTime,
        /// The credential's `exp`.
        expires_at: UnixTime,
    },
    /// The device was revoked before it signed the pass.
    ProvisionalDeviceRevoked {
        /// Since when.
        since: UnixTime,
    },
    /// The pass is beyond what the credential allows.
    ProvisionalOutOfScope {
        /// What exceeds the scope.
        detail: String,
    },
    /// No signer of the 2D-DOC trust set has this authority and certificate id.
    TwoDDocSignerUnknown {
        /// The certificate authority id (`FR03`).
        authority: String,
        /// The certificate id (`AHP1`).
        certificate: String,
    },
    /// A 2D-DOC signed on a curve no trusted 2D-DOC signer uses (P-384, P-521).
    TwoDDocCurveUnsupported {
        /// The curve and hash.
        curve: &'static str,
    },
    /// The 2D-DOC is on the blocklist of its trust set (SHA-256 of the signed part).
    TwoDDocRevoked,
    /// A 2D-DOC with neither a signature date nor an emission date (`FFFF`).
    SignatureDateMissing,
    /// A 2D-DOC of a type that is not a health certificate, or that its signer may not sign.
    DocumentTypeNotAllowed {
        /// The document type code.
        document_type: String,
    },
    /// A vaccination whose cycle is not complete (2D-DOC L1 field LA other than `TE`).
    VaccinationIncomplete {
        /// The rank of the last dose.
        dose_rank: u8,
        /// The doses the cycle expects.
        doses_expected: u8,
    },
}

impl Reason {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeyIdMissing => "kid_missing",
            Self::KeyIdMalformed { .. } => "kid_malformed",
            Self::KeyIdUnknown { .. } => "kid_unknown",
            Self::AlgorithmMissing => "alg_missing",
            Self::AlgorithmUnsupported { .. } => "alg_unsupported",
            Self::AlgorithmKeyMismatch { .. } => "alg_key_mismatch",
            Self::SignatureMalformed { .. } => "signature_malformed",
            Self::SignatureInvalid => "signature_invalid",
            Self::IssuedAtMissing => "iat_missing",
            Self::ExpiryMissing => "exp_missing",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Expired { .. } => "expired",
            Self::SignedOutsideSignerValidity { .. } => "signed_outside_signer_validity",
            Self::ExpiresAfterSigner { .. } => "expires_after_signer",
            Self::KeyUsageMismatch { .. } => "key_usage_mismatch",
            Self::SchemaViolations { .. } => "schema_violation",
            Self::SchemaUnavailable { .. } => "schema_unavailable",
            Self::PayloadInvalid { .. } => "payload_invalid",
            Self::TestResultPositive => "test_result_positive",
            Self::TestResultUnknown => "test_result_unknown",
            Self::RecoveryNotYetValid { .. } => "recovery_not_yet_valid",
            Self::RecoveryExpired { .. } => "recovery_expired",
            Self::IssuerCountryMismatch { .. } => "issuer_country_mismatch",
            Self::SampleTimeInFuture { .. } => "sample_time_in_future",
            Self::TrustDataStale { .. } => "trust_data_stale",
            Self::TrustDataNotYetValid { .. } => "trust_data_not_yet_valid",
            Self::Revoked { .. } => "revoked",
            Self::RuleFailed { .. } => "rule_failed",
            Self::RuleOpen { .. } => "rule_open",
            Self::ProvisionalCredentialMisplaced => "provisional_credential_misplaced",
            Self::ProvisionalCredentialInvalid { .. } => "provisional_credential_invalid",
            Self::ProvisionalSubjectMismatch => "provisional_subject_mismatch",
            Self::ProvisionalSignatureInvalid => "provisional_signature_invalid",
            Self::ProvisionalOutsideCredential { .. } => "provisional_outside_credential",
            Self::ProvisionalDeviceRevoked { .. } => "provisional_device_revoked",
            Self::ProvisionalOutOfScope { .. } => "provisional_out_of_scope",
            Self::TwoDDocSignerUnknown { .. } => "twoddoc_signer_unknown",
            Self::TwoDDocCurveUnsupported { .. } => "twoddoc_curve_unsupported",
            Self::TwoDDocRevoked => "twoddoc_revoked",
            Self::SignatureDateMissing => "signature_date_missing",
            Self::DocumentTypeNotAllowed { .. } => "document_type_not_allowed",
            Self::VaccinationIncomplete { .. } => "vaccination_incomplete",
        }
    }

    /// The part of verification the reason belongs to.
    pub fn category(&self) -> ReasonCategory {
        match self {
            Self::KeyIdMissing
            | Self::KeyIdMalformed { .. }
            | Self::KeyIdUnknown { .. }
            | Self::AlgorithmMissing
            | Self::AlgorithmUnsupported { .. }
            | Self::AlgorithmKeyMismatch { .. }
            | Self::SignatureMalformed { .. }
            | Self::SignatureInvalid
            | Self::ProvisionalCredentialMisplaced
            | Self::ProvisionalCredentialInvalid { .. }
            | Self::ProvisionalSubjectMismatch
            | Self::ProvisionalSignatureInvalid
            | Self::TwoDDocSignerUnknown { .. }
            | Self::TwoDDocCurveUnsupported { .. } => ReasonCategory::Signature,
            Self::IssuedAtMissing
            | Self::ExpiryMissing
            | Self::NotYetValid { .. }
            | Self::Expired { .. }
            | Self::SignedOutsideSignerValidity { .. }
            | Self::ExpiresAfterSigner { .. }
            | Self::ProvisionalOutsideCredential { .. }
            | Self::SignatureDateMissing => ReasonCategory::Validity,
            Self::KeyUsageMismatch { .. }
            | Self::IssuerCountryMismatch { .. }
            | Self::ProvisionalOutOfScope { .. }
            | Self::DocumentTypeNotAllowed { .. } => ReasonCategory::KeyUsage,
            Self::SchemaViolations { .. } | Self::SchemaUnavailable { .. } | Self::PayloadInvalid { .. } => {
                ReasonCategory::Schema
            }
            Self::TestResultPositive
            | Self::TestResultUnknown
            | Self::SampleTimeInFuture { .. }
            | Self::RecoveryNotYetValid { .. }
            | Self::RecoveryExpired { .. }
            | Self::VaccinationIncomplete { .. } => ReasonCategory::Content,
            Self::TrustDataStale { .. } | Self::TrustDataNotYetValid { .. } => ReasonCategory::TrustData,
            Self::Revoked { .. } | Self::ProvisionalDeviceRevoked { .. } | Self::TwoDDocRevoked => {
                ReasonCategory::Revocation
            }
            Self::RuleFailed { .. } | Self::RuleOpen { .. } => ReasonCategory::Rules,
        }
    }
}

/// Groups of reasons, matching the checks of the EU verifier test list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonCategory {
    /// Signature, algorithm and key identifier.
    Signature,
    /// The pass's and its signer's validity in time.
    Validity,
    /// What the signer may sign, and for which country.
    KeyUsage,
    /// Schema and readability of the payload.
    Schema,
    /// What the statement says (result, sample time, recovery window).
    Content,
    /// The trust bundle's own validity.
    TrustData,
    /// Revocation lists.
    Revocation,
    /// Business rules.
    Rules,
}

impl ReasonCategory {
    /// Every category.
    pub const ALL: [ReasonCategory; 8] = [
        Self::Signature,
        Self::Validity,
        Self::KeyUsage,
        Self::Schema,
        Self::Content,
        Self::TrustData,
        Self::Revocation,
        Self::Rules,
    ];

    /// A stable machine-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Validity => "validity",
            Self::KeyUsage => "key_usage",
            Self::Schema => "schema",
            Self::Content => "content",
            Self::TrustData => "trust_data",
            Self::Revocation => "revocation",
            Self::Rules => "rules",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyIdMissing => write!(f, "no key identifier (kid) in the COSE headers"),
            Self::KeyIdMalformed { length } => write!(f, "key identifier is {length} bytes; it must be exactly 8"),
            Self::KeyIdUnknown { kid } => write!(f, "no trusted signer certificate has key identifier {kid}"),
            Self::AlgorithmMissing => write!(f, "no signature algorithm in the COSE headers"),
            Self::AlgorithmUnsupported { algorithm } => {
                write!(f, "signature algorithm {algorithm} is not supported; expected ES256 (-7) or PS256 (-37)")
            }
            Self::AlgorithmKeyMismatch { algorithm, key } => {
                write!(f, "algorithm {} does not match the signer's {key} key", algorithm.name())
            }
            Self::SignatureMalformed { length } => {
                write!(f, "ES256 signature is {length} bytes; it must be 64 bytes (r||s)")
            }
            Self::SignatureInvalid => write!(f, "the signature does not verify with the trusted signer certificate"),
            Self::IssuedAtMissing => write!(f, "no issued-at time (iat)"),
            Self::ExpiryMissing => write!(f, "no expiry time (exp)"),
            Self::NotYetValid { issued_at } => write!(f, "issued at {issued_at}, after the verification time"),
            Self::Expired { expires_at } => write!(f, "expired at {expires_at}"),
            Self::SignedOutsideSignerValidity { issued_at, not_before, not_after } => write!(
                f,
                "issued at {issued_at}, outside the signer certificate's validity {not_before} to {not_after}"
            ),
            Self::ExpiresAfterSigner { expires_at, signer_not_after } => {
                write!(f, "expires at {expires_at}, after its signer certificate ({signer_not_after})")
            }
            Self::KeyUsageMismatch { certificate_type } => {
                write!(f, "the signer certificate may not sign {certificate_type} certificates")
            }
            Self::SchemaViolations { release, violations } => {
                write!(f, "the payload does not conform to DCC schema {release}: ")?;
                for (index, violation) in violations.iter().enumerate() {
                    if index > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{violation}")?;
                }
                Ok(())
            }
            Self::SchemaUnavailable { detail } => write!(f, "the payload cannot be schema-checked: {detail}"),
            Self::PayloadInvalid { detail } => write!(f, "the payload is not a readable certificate: {detail}"),
            Self::TestResultPositive => write!(f, "the test result is positive (detected)"),
            Self::TestResultUnknown => write!(
                f,
                "the test result is neither negative nor positive (unknown code, inconclusive or not done); \
                 only a negative result (260415000 not detected, 2D-DOC N) is accepted"
            ),
            Self::RecoveryNotYetValid { valid_from } => {
                write!(f, "the recovery certificate is valid only from {valid_from}")
            }
            Self::RecoveryExpired { valid_until } => write!(f, "the recovery certificate expired on {valid_until}"),
            Self::IssuerCountryMismatch { signer_country, issuer_country } => write!(
                f,
                "the pass claims issuer country {issuer_country:?} but its signer certificate is of {signer_country:?}"
            ),
            Self::SampleTimeInFuture { sample_time } => {
                write!(f, "the sample was taken at {sample_time}, after the verification time")
            }
            Self::TrustDataStale { expired_at } => {
                write!(f, "the trust data expired at {expired_at}; update the trust bundle before verifying")
            }
            Self::TrustDataNotYetValid { not_before } => {
                write!(f, "the trust data is valid only from {not_before}; check the device clock")
            }
            Self::Revoked { list } => write!(f, "the pass is revoked (on the {} revocation list)", list.name()),
            Self::RuleFailed { identifier, description } => write!(f, "rule {identifier}: {description}"),
            Self::RuleOpen { identifier, why } => write!(f, "rule {identifier} could not be evaluated: {why}"),
            Self::ProvisionalCredentialMisplaced => {
                write!(
                    f,
                    "the delegation credential must be under label 13 of the unprotected header, not the protected one"
                )
            }
            Self::ProvisionalCredentialInvalid { detail } => write!(f, "provisional pass: {detail}"),
            Self::ProvisionalSubjectMismatch => {
                write!(f, "the delegation credential certifies another device than the one that signed the pass")
            }
            Self::ProvisionalSignatureInvalid => {
                write!(f, "the device key the credential certifies does not verify the pass (ES256 expected)")
            }
            Self::ProvisionalOutsideCredential { issued_at, not_before, expires_at } => write!(
                f,
                "provisional pass signed at {} outside its credential's validity ({} to {})",
                issued_at.to_rfc3339(),
                not_before.to_rfc3339(),
                expires_at.to_rfc3339()
            ),
            Self::ProvisionalDeviceRevoked { since } => {
                write!(f, "the pharmacy device was revoked at {}, before it signed this pass", since.to_rfc3339())
            }
            Self::ProvisionalOutOfScope { detail } => write!(f, "provisional pass beyond its credential: {detail}"),
            Self::TwoDDocSignerUnknown { authority, certificate } => {
                write!(f, "no trusted 2D-DOC signer has authority {authority} and certificate {certificate}")
            }
            Self::TwoDDocCurveUnsupported { curve } => {
                write!(f, "the 2D-DOC is signed with {curve}; trusted 2D-DOC signers use ECDSA P-256 / SHA-256")
            }
            Self::TwoDDocRevoked => write!(f, "the 2D-DOC is on the blocklist (SHA-256 of its signed part)"),
            Self::SignatureDateMissing => write!(f, "the 2D-DOC has neither a signature date nor an emission date"),
            Self::DocumentTypeNotAllowed { document_type } => write!(
                f,
                "2D-DOC document type {document_type} is not accepted here; B2 (test result) and L1 (vaccination) are"
            ),
            Self::VaccinationIncomplete { dose_rank, doses_expected } => write!(
                f,
                "the vaccination cycle is not complete (dose {dose_rank} of {doses_expected}, cycle not marked complete)"
            ),
        }
    }
}

/// What a controller may see of the holder to check their identity document: names and date
/// of birth, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The holder's names.
    pub name: PersonName,
    /// The holder's date of birth, as written when it is not a full date.
    pub date_of_birth: DateOfBirth,
}

/// The signer that verified the pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerSummary {
    /// The signer's kid.
    pub kid: Kid,
    /// The signer certificate's country.
    pub country: Option<String>,
    /// The algorithm that verified.
    pub algorithm: SignatureAlgorithm,
}

/// The kind of code a verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassFormat {
    /// An EU Digital COVID Certificate (`HC1:`).
    Hc1,
    /// A French 2D-DOC (DataMatrix, ANTS specification).
    TwoDDoc,
}

impl PassFormat {
    /// `hc1` or `2d-doc`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hc1 => "hc1",
            Self::TwoDDoc => "2d-doc",
        }
    }
}

/// What a 2D-DOC verdict adds: the header, the signer and the fingerprint the blocklist uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoDDocSummary {
    /// The header version (`04`).
    pub version: &'static str,
    /// The certificate authority id (`FR03`).
    pub authority: String,
    /// The certificate id (`AHP1`).
    pub certificate: String,
    /// The trusted signer's name, when the trust set knows it.
    pub signer_name: Option<String>,
    /// The document type code (`B2`, `L1`).
    pub document_type: String,
    /// The emission date.
    pub emitted: Option<crate::time::CivilDate>,
    /// The signature date.
    pub signed: Option<crate::time::CivilDate>,
    /// SHA-256 of the signed part.
    pub fingerprint: [u8; 32],
    /// Whether an (unsigned, ignored) annex follows the signature.
    pub has_annex: bool,
}

/// The result of verifying a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Valid or invalid.
    pub status: VerdictStatus,
    /// Every reason found, in the order checked; empty exactly when the status is valid.
    pub reasons: Vec<Reason>,
    /// What is odd about the pass without changing the decision (tolerance policy).
    pub notices: Vec<Notice>,
    /// The certificate type, when exactly one entry is declared.
    pub certificate_type: Option<CertificateType>,
    /// The issuing country: the CWT `iss` claim, or else the entry's country.
    pub issuer_country: Option<String>,
    /// `iat`.
    pub issued_at: Option<UnixTime>,
    /// `exp`.
    pub expires_at: Option<UnixTime>,
    /// The key identifier the pass carries, when well formed.
    pub kid: Option<Kid>,
    /// The signer that verified the pass, if any did.
    pub signer: Option<SignerSummary>,
    /// What a controller may see of the holder, when the payload is readable.
    pub holder: Option<Holder>,
    /// The schema release the payload was checked against.
    pub schema_release: Option<SchemaVersion>,
    /// The verification time used.
    pub verified_at: UnixTime,
    /// What each applicable business rule said (empty without a trust bundle).
    pub rule_outcomes: Vec<RuleOutcome>,
    /// The sequence number of the trust bundle used, if any.
    pub trust_sequence: Option<u64>,
    /// For a provisional pass: the pharmacy and device that signed it.
    pub provisional: Option<ProvisionalSigner>,
    /// Which format was read.
    pub format: PassFormat,
    /// For a 2D-DOC: its header and signer.
    pub two_d_doc: Option<TwoDDocSummary>,
}

impl Verdict {
    /// Whether the status is valid (green; a provisional pass is not).
    pub fn is_valid(&self) -> bool {
        self.status == VerdictStatus::Valid
    }

    /// Whether the holder may pass: valid, or provisional (amber).
    pub fn is_accepted(&self) -> bool {
        matches!(self.status, VerdictStatus::Valid | VerdictStatus::Provisional)
    }

    /// Whether any reason is of `category`.
    pub fn has_reason_in(&self, category: ReasonCategory) -> bool {
        self.reasons.iter().any(|reason| reason.category() == category)
    }
}
