//! What a controller's screen says for each reason, in French and English: short, without the
//! reason's details (dates, identifiers), since the first users are French pharmacists and
//! railway staff. One home for both apps: the FFI exports the catalogue and each reason's texts.

use super::verdict::{Reason, ReasonCategory};

/// The languages of the texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English.
    English,
    /// French.
    French,
}

impl Language {
    /// Reads `en` / `fr` (a locale such as `fr-FR` or `fr_CA` counts as French); anything else
    /// is English.
    pub fn from_tag(tag: &str) -> Self {
        if tag.get(..2).is_some_and(|prefix| prefix.eq_ignore_ascii_case("fr")) { Self::French } else { Self::English }
    }
}

/// One reason code's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonText {
    /// The reason's stable code.
    pub code: &'static str,
    /// Its category.
    pub category: ReasonCategory,
    /// For the screen, in English.
    pub english: &'static str,
    /// For the screen, in French.
    pub french: &'static str,
}

impl ReasonText {
    /// The text in `language`.
    pub fn text(&self, language: Language) -> &'static str {
        match language {
            Language::English => self.english,
            Language::French => self.french,
        }
    }
}

const fn text(code: &'static str, category: ReasonCategory, english: &'static str, french: &'static str) -> ReasonText {
    ReasonText { code, category, english, french }
}

use ReasonCategory::{Content, KeyUsage, Revocation, Rules, Schema, Signature, TrustData, Validity};

/// Every reason code with its texts, in the order of [`Reason`]'s variants.
pub const REASON_TEXTS: [ReasonText; 42] = [
    text("kid_missing", Signature, "The code names no signing key.", "Le code n'indique pas sa clé de signature."),
    text(
        "kid_malformed",
        Signature,
        "The code's key identifier is malformed.",
        "L'identifiant de clé du code est mal formé.",
    ),
    text("kid_unknown", Signature, "Signed by an unknown issuer.", "Signé par un émetteur inconnu."),
    text(
        "alg_missing",
        Signature,
        "The code names no signature algorithm.",
        "Le code n'indique pas d'algorithme de signature.",
    ),
    text(
        "alg_unsupported",
        Signature,
        "Unsupported signature algorithm.",
        "Algorithme de signature non pris en charge.",
    ),
    text(
        "alg_key_mismatch",
        Signature,
        "The signature algorithm does not fit the issuer's key.",
        "L'algorithme de signature ne correspond pas à la clé de l'émetteur.",
    ),
    text("signature_malformed", Signature, "The signature is malformed.", "La signature est mal formée."),
    text(
        "signature_invalid",
        Signature,
        "The signature is not valid: the code may be forged or altered.",
        "La signature n'est pas valide : le code est peut-être falsifié ou modifié.",
    ),
    text("iat_missing", Validity, "The code has no issue date.", "Le code n'a pas de date d'émission."),
    text("exp_missing", Validity, "The code has no expiry date.", "Le code n'a pas de date d'expiration."),
    text(
        "not_yet_valid",
        Validity,
        "Not valid yet (issued after today).",
        "Pas encore valide (émis après aujourd'hui).",
    ),
    text("expired", Validity, "Expired.", "Expiré."),
    text(
        "signed_outside_signer_validity",
        Validity,
        "Signed outside the issuer key's validity.",
        "Signé en dehors de la validité de la clé de l'émetteur.",
    ),
    text(
        "expires_after_signer",
        Validity,
        "Outlives the issuer key that signed it.",
        "Valide au-delà de la clé de l'émetteur qui l'a signé.",
    ),
    text(
        "key_usage_mismatch",
        KeyUsage,
        "The issuer may not sign this kind of certificate.",
        "L'émetteur ne peut pas signer ce type de certificat.",
    ),
    text(
        "schema_violation",
        Schema,
        "The certificate's content is malformed.",
        "Le contenu du certificat est mal formé.",
    ),
    text(
        "schema_unavailable",
        Schema,
        "The certificate's format version is not supported.",
        "La version du format du certificat n'est pas prise en charge.",
    ),
    text(
        "payload_invalid",
        Schema,
        "The certificate's content cannot be read.",
        "Le contenu du certificat est illisible.",
    ),
    text("test_result_positive", Content, "The test result is positive.", "Le résultat du test est positif."),
    text("test_result_unknown", Content, "The test result is not negative.", "Le résultat du test n'est pas négatif."),
    text(
        "recovery_not_yet_valid",
        Content,
        "The recovery certificate is not valid yet.",
        "Le certificat de rétablissement n'est pas encore valide.",
    ),
    text(
        "recovery_expired",
        Content,
        "The recovery certificate has expired.",
        "Le certificat de rétablissement a expiré.",
    ),
    text(
        "issuer_country_mismatch",
        KeyUsage,
        "The issuing country does not match the issuer's key.",
        "Le pays émetteur ne correspond pas à la clé de l'émetteur.",
    ),
    text("sample_time_in_future", Content, "The sample was taken after now.", "Le prélèvement est daté dans le futur."),
    text(
        "trust_data_stale",
        TrustData,
        "The trust data is out of date: update the app's data.",
        "Les données de confiance sont périmées : mettez à jour les données de l'application.",
    ),
    text(
        "trust_data_not_yet_valid",
        TrustData,
        "The trust data is not valid yet: check the device's clock.",
        "Les données de confiance ne sont pas encore valides : vérifiez l'horloge de l'appareil.",
    ),
    text("revoked", Revocation, "The certificate has been revoked.", "Le certificat a été révoqué."),
    text(
        "rule_failed",
        Rules,
        "The country's rules do not accept this certificate.",
        "Les règles du pays n'acceptent pas ce certificat.",
    ),
    text(
        "rule_open",
        Rules,
        "A rule of the country could not be checked.",
        "Une règle du pays n'a pas pu être vérifiée.",
    ),
    text(
        "provisional_credential_misplaced",
        Signature,
        "Provisional certificate: its pharmacy credential is misplaced.",
        "Certificat provisoire : l'habilitation de la pharmacie est mal placée.",
    ),
    text(
        "provisional_credential_invalid",
        Signature,
        "Provisional certificate: the pharmacy's credential is not valid.",
        "Certificat provisoire : l'habilitation de la pharmacie n'est pas valide.",
    ),
    text(
        "provisional_subject_mismatch",
        Signature,
        "Provisional certificate: signed by another device than the certified one.",
        "Certificat provisoire : signé par un autre appareil que celui habilité.",
    ),
    text(
        "provisional_signature_invalid",
        Signature,
        "Provisional certificate: the signature is not valid.",
        "Certificat provisoire : la signature n'est pas valide.",
    ),
    text(
        "provisional_outside_credential",
        Validity,
        "Provisional certificate: signed outside the pharmacy's credential.",
        "Certificat provisoire : signé hors de la période d'habilitation de la pharmacie.",
    ),
    text(
        "provisional_device_revoked",
        Revocation,
        "Provisional certificate: the pharmacy device was revoked.",
        "Certificat provisoire : l'appareil de la pharmacie a été révoqué.",
    ),
    text(
        "provisional_out_of_scope",
        KeyUsage,
        "Provisional certificate: beyond what the pharmacy may issue.",
        "Certificat provisoire : au-delà de ce que la pharmacie peut émettre.",
    ),
    text(
        "twoddoc_signer_unknown",
        Signature,
        "2D-DOC signed by an unknown issuer.",
        "2D-DOC signé par un émetteur inconnu.",
    ),
    text(
        "twoddoc_curve_unsupported",
        Signature,
        "2D-DOC signature type not supported.",
        "Type de signature 2D-DOC non pris en charge.",
    ),
    text("signature_date_missing", Validity, "2D-DOC without a signature date.", "2D-DOC sans date de signature."),
    text(
        "document_type_not_allowed",
        KeyUsage,
        "This 2D-DOC is not a health certificate accepted here.",
        "Ce 2D-DOC n'est pas un certificat sanitaire accepté ici.",
    ),
    text(
        "vaccination_incomplete",
        Content,
        "The vaccination cycle is not complete.",
        "Le schéma vaccinal n'est pas complet.",
    ),
    text("twoddoc_revoked", Revocation, "This 2D-DOC has been revoked.", "Ce 2D-DOC a été révoqué."),
];

/// The texts of `code`, if it is a reason code.
pub fn reason_text(code: &str) -> Option<&'static ReasonText> {
    REASON_TEXTS.iter().find(|text| text.code == code)
}

impl Reason {
    /// What a screen shows for this reason in `language` (without its details).
    pub fn title(&self, language: Language) -> &'static str {
        reason_text(self.code()).map_or("", |text| text.text(language))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::SignatureAlgorithm;
    use crate::dcc::CertificateType;
    use crate::dcc::schema::SchemaVersion;
    use crate::time::{CivilDate, UnixTime};
    use crate::trust::{Kid, RevocationKind};

    /// One reason of each variant. The match below does not compile when a variant is added
    /// without being listed, and the test then fails until its example and texts exist.
    fn one_of_each() -> Vec<Reason> {
        let time = UnixTime::from_seconds(0);
        let kid = Kid::from_slice(&[0; 8]).unwrap();
        let date = CivilDate::new(2021, 1, 1).unwrap();
        vec![
            Reason::KeyIdMissing,
            Reason::KeyIdMalformed { length: 3 },
            Reason::KeyIdUnknown { kid },
            Reason::AlgorithmMissing,
            Reason::AlgorithmUnsupported { algorithm: "x".into() },
            Reason::AlgorithmKeyMismatch { algorithm: SignatureAlgorithm::Es256, key: "RSA".into() },
            Reason::SignatureMalformed { length: 3 },
            Reason::SignatureInvalid,
            Reason::IssuedAtMissing,
            Reason::ExpiryMissing,
            Reason::NotYetValid { issued_at: time },
            Reason::Expired { expires_at: time },
            Reason::SignedOutsideSignerValidity { issued_at: time, not_before: time, not_after: time },
            Reason::ExpiresAfterSigner { expires_at: time, signer_not_after: time },
            Reason::KeyUsageMismatch { certificate_type: CertificateType::Test },
            Reason::SchemaViolations { release: SchemaVersion::parse("1.3.0").unwrap(), violations: Vec::new() },
            Reason::SchemaUnavailable { detail: String::new() },
            Reason::PayloadInvalid { detail: String::new() },
            Reason::TestResultPositive,
            Reason::TestResultUnknown,
            Reason::RecoveryNotYetValid { valid_from: date },
            Reason::RecoveryExpired { valid_until: date },
            Reason::IssuerCountryMismatch { signer_country: "FR".into(), issuer_country: "DE".into() },
            Reason::SampleTimeInFuture { sample_time: time },
            Reason::TrustDataStale { expired_at: time },
            Reason::TrustDataNotYetValid { not_before: time },
            Reason::Revoked { list: RevocationKind::Uci },
            Reason::RuleFailed { identifier: String::new(), description: String::new() },
            Reason::RuleOpen { identifier: String::new(), why: String::new() },
            Reason::ProvisionalCredentialMisplaced,
            Reason::ProvisionalCredentialInvalid { detail: String::new() },
            Reason::ProvisionalSubjectMismatch,
            Reason::ProvisionalSignatureInvalid,
            Reason::ProvisionalOutsideCredential { issued_at: time, not_before: time, expires_at: time },
            Reason::ProvisionalDeviceRevoked { since: time },
            Reason::ProvisionalOutOfScope { detail: String::new() },
            Reason::TwoDDocSignerUnknown { authority: String::new(), certificate: String::new() },
            Reason::TwoDDocCurveUnsupported { curve: "" },
            Reason::SignatureDateMissing,
            Reason::DocumentTypeNotAllowed { document_type: String::new() },
            Reason::VaccinationIncomplete { dose_rank: 1, doses_expected: 2 },
            Reason::TwoDDocRevoked,
        ]
    }

    /// Exhaustive on purpose: adding a variant breaks the build here.
    fn variant_index(reason: &Reason) -> usize {
        match reason {
            Reason::KeyIdMissing => 0,
            Reason::KeyIdMalformed { .. } => 1,
            Reason::KeyIdUnknown { .. } => 2,
            Reason::AlgorithmMissing => 3,
            Reason::AlgorithmUnsupported { .. } => 4,
            Reason::AlgorithmKeyMismatch { .. } => 5,
            Reason::SignatureMalformed { .. } => 6,
            Reason::SignatureInvalid => 7,
            Reason::IssuedAtMissing => 8,
            Reason::ExpiryMissing => 9,
            Reason::NotYetValid { .. } => 10,
            Reason::Expired { .. } => 11,
            Reason::SignedOutsideSignerValidity { .. } => 12,
            Reason::ExpiresAfterSigner { .. } => 13,
            Reason::KeyUsageMismatch { .. } => 14,
            Reason::SchemaViolations { .. } => 15,
            Reason::SchemaUnavailable { .. } => 16,
            Reason::PayloadInvalid { .. } => 17,
            Reason::TestResultPositive => 18,
            Reason::TestResultUnknown => 19,
            Reason::RecoveryNotYetValid { .. } => 20,
            Reason::RecoveryExpired { .. } => 21,
            Reason::IssuerCountryMismatch { .. } => 22,
            Reason::SampleTimeInFuture { .. } => 23,
            Reason::TrustDataStale { .. } => 24,
            Reason::TrustDataNotYetValid { .. } => 25,
            Reason::Revoked { .. } => 26,
            Reason::RuleFailed { .. } => 27,
            Reason::RuleOpen { .. } => 28,
            Reason::ProvisionalCredentialMisplaced => 29,
            Reason::ProvisionalCredentialInvalid { .. } => 30,
            Reason::ProvisionalSubjectMismatch => 31,
            Reason::ProvisionalSignatureInvalid => 32,
            Reason::ProvisionalOutsideCredential { .. } => 33,
            Reason::ProvisionalDeviceRevoked { .. } => 34,
            Reason::ProvisionalOutOfScope { .. } => 35,
            Reason::TwoDDocSignerUnknown { .. } => 36,
            Reason::TwoDDocCurveUnsupported { .. } => 37,
            Reason::SignatureDateMissing => 38,
            Reason::DocumentTypeNotAllowed { .. } => 39,
            Reason::VaccinationIncomplete { .. } => 40,
            Reason::TwoDDocRevoked => 41,
        }
    }

    #[test]
    fn every_reason_has_french_and_english_texts_in_its_category() {
        let reasons = one_of_each();
        let indices: Vec<usize> = reasons.iter().map(variant_index).collect();
        assert_eq!(indices, (0..REASON_TEXTS.len()).collect::<Vec<_>>(), "one example per variant, in order");
        for (reason, text) in reasons.iter().zip(REASON_TEXTS.iter()) {
            assert_eq!(reason.code(), text.code);
            assert_eq!(reason.category(), text.category, "{}", text.code);
            assert!(!text.english.is_empty() && !text.french.is_empty(), "{}", text.code);
            assert_ne!(text.english, text.french, "{}", text.code);
            assert_eq!(reason.title(Language::French), text.french);
        }
        let mut codes: Vec<&str> = REASON_TEXTS.iter().map(|text| text.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), REASON_TEXTS.len(), "codes are unique");
    }

    #[test]
    fn locale_tags_choose_the_language() {
        assert_eq!(Language::from_tag("fr-FR"), Language::French);
        assert_eq!(Language::from_tag("FR"), Language::French);
        assert_eq!(Language::from_tag("en-GB"), Language::English);
        assert_eq!(Language::from_tag("de"), Language::English);
        assert_eq!(Language::from_tag(""), Language::English);
    }
}
