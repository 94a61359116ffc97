//! Verification of a pass against a trust store at a given time.

use std::sync::Arc;

use ciborium::Value;

use super::notice::Notice;
use super::policy;
use super::provisional::{self, ProvisionalSigner};
use super::signature::check_signature;
use super::tolerance;
use super::two_d_doc;
use super::verdict::{Holder, PassFormat, Reason, SignerSummary, Verdict, VerdictStatus};
use crate::codec::{self, AlgorithmHeader, DecodeError, DecodedPass, PassLimits, SignatureAlgorithm};
use crate::dcc::{self, CertificateType, Dcc, HcertError, Strictness, schema::SchemaVersion};
use crate::rules::{
    BusinessRule, ExternalParameters, RuleError, RuleOutcome, RuleResult, RuleSelection, RuleSet, evaluate_rules,
};
use crate::time::UnixTime;
use crate::trust::{DocumentSignerCertificate, Kid, TrustBundle, TrustStore, TwoDDocTrust};
use crate::twoddoc::{self, TwoDDoc, TwoDDocError};

/// Why the input is not a pass at all (as opposed to a pass that is invalid).
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("health certificate: {0}")]
    Hcert(#[from] HcertError),
    #[error(transparent)]
    TwoDDoc(#[from] TwoDDocError),
}

/// Verifies passes offline against the signers it trusts and, with a trust bundle, against its
/// validity, revocation lists and business rules.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    trust: TrustStore,
    limits: PassLimits,
    bundle: Option<BundleContext>,
    /// Refuse provisional passes, as an ordinary EU verifier does.
    eu_only: bool,
    /// The 2D-DOC signers and blocklist; the built-in set when `None`.
    two_d_doc: Option<Arc<TwoDDocTrust>>,
}

/// What a trust bundle adds to verification.
#[derive(Debug, Clone)]
struct BundleContext {
    bundle: Arc<TrustBundle>,
    rules: RuleSet,
    arrival_country: Option<String>,
    arrival_region: Option<String>,
}

/// The outcome of looking for the signer of a pass.
#[derive(Debug)]
pub enum SignerSearch<'a> {
    /// A candidate's key verified the signature.
    Verified {
        /// The certificate whose key verified.
        signer: &'a DocumentSignerCertificate,
        /// The algorithm used.
        algorithm: SignatureAlgorithm,
    },
    /// No candidate verified, and why.
    Failed(Reason),
}

impl Verifier {
    /// A verifier trusting `trust`, without a bundle.
    pub fn new(trust: TrustStore) -> Self {
        Self { trust, limits: PassLimits::default(), bundle: None, eu_only: false, two_d_doc: None }
    }

    /// A verifier trusting a bundle's signers and applying its validity, revocations and
    /// rules; acceptance rules are those of `arrival_country` (none when absent).
    pub fn with_bundle(bundle: Arc<TrustBundle>, arrival_country: Option<&str>) -> Result<Self, RuleError> {
        let rules =
            bundle.contents().rules.iter().cloned().map(BusinessRule::from_value).collect::<Result<Vec<_>, _>>()?;
        let two_d_doc = bundle.contents().two_d_doc.clone().map(Arc::new);
        Ok(Self {
            two_d_doc,
            trust: bundle.trust_store().clone(),
            limits: PassLimits::default(),
            bundle: Some(BundleContext {
                bundle,
                rules: RuleSet::new(rules),
                arrival_country: arrival_country.map(str::to_ascii_uppercase),
                arrival_region: None,
            }),
            eu_only: false,
        })
    }

    /// Refuses provisional passes (`kid_unknown`), as an ordinary EU DCC verifier, which knows
    /// neither pharmacy devices nor fallback roots, does: the strict mode.
    pub fn eu_only(mut self) -> Self {
        self.eu_only = true;
        self
    }

    /// Verifies 2D-DOCs against `trust` instead of the built-in set (or the bundle's).
    pub fn with_two_d_doc_trust(mut self, trust: TwoDDocTrust) -> Self {
        self.two_d_doc = Some(Arc::new(trust));
        self
    }

    /// The 2D-DOC trust set in force: the bundle's when it carries one, else the built-in one.
    pub fn two_d_doc_trust(&self) -> &TwoDDocTrust {
        self.two_d_doc.as_deref().unwrap_or_else(|| two_d_doc::built_in_trust())
    }

    /// Trusts further signers beside those of a bundle.
    pub fn with_extra_signers(mut self, signers: TrustStore) -> Self {
        self.trust.extend(signers.iter().cloned());
        self
    }

    /// Selects acceptance rules of a region of the arrival country too.
    pub fn with_arrival_region(mut self, region: Option<&str>) -> Self {
        if let Some(context) = &mut self.bundle {
            context.arrival_region = region.map(str::to_owned);
        }
        self
    }

    /// The bundle in force, if any.
    pub fn bundle(&self) -> Option<&Arc<TrustBundle>> {
        self.bundle.as_ref().map(|context| &context.bundle)
    }

    /// Other decode limits.
    pub fn with_limits(mut self, limits: PassLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The signers trusted.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Verifies the text of a code at time `now`: an `HC1:` pass, or a French 2D-DOC (raw, or
    /// in a TousAntiCovid wallet link). [`Verdict::format`] says which was read.
    pub fn verify_text(&self, text: &str, now: UnixTime) -> Result<Verdict, VerifyError> {
        if twoddoc::looks_like_two_d_doc(text) {
            // TousAntiCovid's `walletdcc` links carry an EU pass, the others a 2D-DOC.
            if let Ok(Some(payload)) = twoddoc::wallet_link_payload(text)
                && payload.starts_with(codec::HC1_PREFIX)
            {
                let pass = codec::decode_pass_text(&payload, &self.limits)?;
                return self.verify_decoded(&pass, now);
            }
            return self.verify_two_d_doc(&TwoDDoc::parse(text)?, now);
        }
        let pass = codec::decode_pass_text(text, &self.limits)?;
        self.verify_decoded(&pass, now)
    }

    /// Verifies a parsed 2D-DOC at time `now`.
    pub fn verify_two_d_doc(&self, document: &TwoDDoc, now: UnixTime) -> Result<Verdict, VerifyError> {
        let bundle = self.bundle.as_ref().map(|context| two_d_doc::BundleFacts {
            validity: bundle_validity_reasons(context, now),
            sequence: context.bundle.sequence(),
        });
        Ok(two_d_doc::verify_two_d_doc(document, self.two_d_doc_trust(), bundle, now))
    }

    /// Verifies an already decoded pass at time `now`.
    pub fn verify_decoded(&self, pass: &DecodedPass, now: UnixTime) -> Result<Verdict, VerifyError> {
        let dcc_value = dcc::hcert::dcc_value(&pass.claims)?;
        let mut reasons = Vec::new();
        let kid = pass.message.key_id().and_then(|(bytes, _)| Kid::from_slice(bytes));
        let certificate_type = match CertificateType::declared_in(dcc_value).as_slice() {
            [single] => Some(*single),
            _ => None,
        };
        let signer = self.signer_checks(pass, certificate_type, now, &mut reasons);
        let provisional = self.provisional_checks(pass, dcc_value, kid, certificate_type, &mut reasons);
        let payload = self.payload_checks(dcc_value, now, &mut reasons);
        // Upper-cased once, so revocation hashes (COUNTRYCODEUCI hashes "FR" + UCI), rule
        // selection and the verdict all read the country the same way, however it was written.
        let issuer_country = pass
            .claims
            .issuer
            .as_deref()
            .or_else(|| payload.dcc.as_ref().map(|dcc| dcc.entry_country()))
            .map(|country| country.trim().to_ascii_uppercase());
        let rule_outcomes = match (&self.bundle, &payload.dcc, &issuer_country) {
            (Some(context), Some(dcc), Some(country)) => {
                let signed = SignedPass { pass, dcc_value, dcc, issuer_country: country, kid };
                let algorithm =
                    signer.map(|(_, algorithm)| algorithm).or(provisional.as_ref().map(|_| SignatureAlgorithm::Es256));
                bundle_checks(context, &signed, algorithm, now, &mut reasons)
            }
            (Some(context), ..) => {
                reasons.extend(bundle_validity_reasons(context, now));
                Vec::new()
            }
            (None, ..) => Vec::new(),
        };
        Ok(Verdict {
            status: match (reasons.is_empty(), &provisional) {
                (true, None) => VerdictStatus::Valid,
                (true, Some(_)) => VerdictStatus::Provisional,
                (false, _) => VerdictStatus::Invalid,
            },
            reasons,
            notices: payload.notices,
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
            holder: payload.dcc.map(|dcc| Holder { name: dcc.name, date_of_birth: dcc.date_of_birth }),
            schema_release: payload.schema_release,
            verified_at: now,
            rule_outcomes,
            trust_sequence: self.bundle.as_ref().map(|context| context.bundle.sequence()),
            provisional,
            format: PassFormat::Hc1,
            two_d_doc: None,
        })
    }

    /// A pass no trusted signer knows, carrying a delegation credential: checked against the
    /// bundle's fallback roots (provisional.rs). On success the `kid_unknown` reason goes.
    fn provisional_checks(
        &self,
        pass: &DecodedPass,
        dcc_value: &Value,
        kid: Option<Kid>,
        certificate_type: Option<CertificateType>,
        reasons: &mut Vec<Reason>,
    ) -> Option<ProvisionalSigner> {
        let unknown = reasons.iter().position(|reason| matches!(reason, Reason::KeyIdUnknown { .. }))?;
        let (Some(kid), Some(context), false) = (kid, &self.bundle, self.eu_only) else { return None };
        if !provisional::carries_credential(pass) {
            return None;
        }
        let contents = context.bundle.contents();
        match provisional::check_provisional(
            pass,
            dcc_value,
            kid,
            &contents.fallback_roots,
            &contents.device_revocations,
            certificate_type,
        ) {
            Ok(signer) => {
                reasons.remove(unknown);
                Some(signer)
            }
            Err(found) => {
                reasons.splice(unknown..=unknown, found);
                None
            }
        }
    }

    /// The signature, the pass's validity and what its signer may sign; the signer found, if any.
    fn signer_checks(
        &self,
        pass: &DecodedPass,
        certificate_type: Option<CertificateType>,
        now: UnixTime,
        reasons: &mut Vec<Reason>,
    ) -> Option<(&DocumentSignerCertificate, SignatureAlgorithm)> {
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
            reasons.extend(policy::issuer_country_reason(&pass.claims, signer));
            if let Some(kind) = certificate_type {
                reasons.extend(policy::key_usage_reason(signer, kind));
            }
        }
        signer
    }

    /// The payload through the tolerance policy (tolerance.rs): shown fields read as written
    /// with notices, decision fields refused; the schema check as strict as ever, its
    /// consequence by field; then the content policy.
    fn payload_checks(&self, dcc_value: &Value, now: UnixTime, reasons: &mut Vec<Reason>) -> PayloadOutcome {
        let reading = Dcc::read(dcc_value, Strictness::Tolerant);
        let mut notices = match &reading {
            Ok(reading) => {
                let bundle_value_sets = self.bundle.as_ref().map(|context| &context.bundle.contents().value_sets);
                let mut notices = tolerance::deviation_notices(&reading.deviations);
                notices.extend(tolerance::code_notices(&reading.dcc, bundle_value_sets));
                notices
            }
            Err(_) => Vec::new(),
        };
        let (schema_reason, schema_notices, schema_release) =
            tolerance::schema_consequences(&dcc::schema::check_dcc(dcc_value), &notices);
        reasons.extend(schema_reason);
        notices.extend(schema_notices);
        let dcc = match reading {
            Ok(reading) => {
                reasons.extend(policy::content_reasons(&reading.dcc, now));
                Some(reading.dcc)
            }
            Err(error) => {
                reasons.push(Reason::PayloadInvalid { detail: error.to_string() });
                None
            }
        };
        PayloadOutcome { dcc, notices, schema_release }
    }
}

/// What the payload checks read.
struct PayloadOutcome {
    dcc: Option<Dcc>,
    notices: Vec<Notice>,
    schema_release: Option<SchemaVersion>,
}

/// A pass with a readable certificate, as the bundle checks see it.
struct SignedPass<'a> {
    pass: &'a DecodedPass,
    dcc_value: &'a Value,
    dcc: &'a Dcc,
    issuer_country: &'a str,
    kid: Option<Kid>,
}

/// The bundle's validity, its revocation lists and its business rules; the rules' outcomes.
fn bundle_checks(
    context: &BundleContext,
    signed: &SignedPass<'_>,
    algorithm: Option<SignatureAlgorithm>,
    now: UnixTime,
    reasons: &mut Vec<Reason>,
) -> Vec<RuleOutcome> {
    reasons.extend(bundle_validity_reasons(context, now));
    let revoked = algorithm.and_then(|algorithm| {
        context.bundle.revocations().revoked_by(
            signed.dcc.certificate_id(),
            signed.issuer_country,
            algorithm,
            signed.pass.message.signature(),
        )
    });
    if let Some(list) = revoked {
        reasons.push(Reason::Revoked { list });
    }
    let outcomes = apply_rules(context, signed, now);
    for outcome in &outcomes {
        match &outcome.result {
            RuleResult::Passed => {}
            RuleResult::Failed => reasons.push(Reason::RuleFailed {
                identifier: outcome.identifier.clone(),
                description: outcome.description.clone(),
            }),
            RuleResult::Open { why } => {
                reasons.push(Reason::RuleOpen { identifier: outcome.identifier.clone(), why: why.clone() })
            }
        }
    }
    outcomes
}

/// Past its expiry a bundle's signers, rules and revocations may be outdated: the verdict
/// says so instead of quietly verifying.
fn bundle_validity_reasons(context: &BundleContext, now: UnixTime) -> Option<Reason> {
    let contents = context.bundle.contents();
    if now > contents.expires_at {
        Some(Reason::TrustDataStale { expired_at: contents.expires_at })
    } else if now < contents.not_before {
        Some(Reason::TrustDataNotYetValid { not_before: contents.not_before })
    } else {
        None
    }
}

fn apply_rules(context: &BundleContext, signed: &SignedPass<'_>, now: UnixTime) -> Vec<RuleOutcome> {
    let Some(schema_version) = SchemaVersion::parse(&signed.dcc.version) else { return Vec::new() };
    let selection = RuleSelection {
        arrival_country: context.arrival_country.as_deref().unwrap_or(""),
        arrival_region: context.arrival_region.as_deref(),
        issuer_country: signed.issuer_country,
        certificate_type: signed.dcc.certificate_type(),
        schema_version,
        now,
    };
    let selected = context.rules.select(&selection);
    if selected.is_empty() {
        return Vec::new();
    }
    let payload = dcc::json::cbor_to_json(signed.dcc_value);
    let external = ExternalParameters {
        validation_clock: now,
        value_sets: &context.bundle.contents().value_sets,
        country_code: selection.arrival_country,
        issuer_country_code: signed.issuer_country,
        issued_at: signed.pass.claims.issued_at,
        expires_at: signed.pass.claims.expires_at,
        kid: signed.kid.map(|kid| kid.to_base64()),
    };
    evaluate_rules(&selected, &payload, &external)
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
