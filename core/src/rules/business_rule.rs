//! The EU business rule (the DCC gateway's validation-rule schema): metadata, validity window,
//! and CertLogic logic validated when the rule is read.

use serde::Deserialize;
use serde_json::Value as Json;

use super::certlogic;
use crate::dcc::CertificateType;
use crate::dcc::schema::SchemaVersion;
use crate::time::UnixTime;

/// Whether a rule is the arrival country's (acceptance) or the issuer's (invalidation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleType {
    /// Set by the country of arrival: what it accepts.
    Acceptance,
    /// Set by the issuing country: passes it has invalidated.
    Invalidation,
}

/// Which certificates a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleTarget {
    /// Every certificate type.
    General,
    /// One certificate type.
    Only(CertificateType),
}

impl RuleTarget {
    /// Whether the rule applies to a certificate of `certificate_type`.
    pub fn applies_to(self, certificate_type: CertificateType) -> bool {
        match self {
            Self::General => true,
            Self::Only(kind) => kind == certificate_type,
        }
    }
}

/// A business rule as the EU gateway distributes it.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessRule {
    /// `Identifier`, e.g. `TR-FR-0001`.
    pub identifier: String,
    /// `Type`.
    pub rule_type: RuleType,
    /// `Country`: whose rule it is.
    pub country: String,
    /// `Region`, when the rule applies to part of the country.
    pub region: Option<String>,
    /// `Version` of the rule.
    pub version: SchemaVersion,
    /// `SchemaVersion`: the oldest DCC release it is written for.
    pub schema_version: SchemaVersion,
    /// `EngineVersion` of CertLogic.
    pub engine_version: String,
    /// `CertificateType` it applies to.
    pub target: RuleTarget,
    /// `(language, text)` pairs.
    pub descriptions: Vec<(String, String)>,
    /// `ValidFrom`.
    pub valid_from: UnixTime,
    /// `ValidTo`.
    pub valid_to: UnixTime,
    /// `AffectedFields`.
    pub affected_fields: Vec<String>,
    /// `Logic`: the CertLogic expression.
    pub logic: Json,
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule is not JSON of the validation-rule schema: {detail}")]
    Malformed { detail: String },
    #[error("rule {identifier}: {field} {problem}")]
    InvalidField { identifier: String, field: &'static str, problem: String },
    #[error("rule {identifier}: the logic is not valid CertLogic: {issues}")]
    InvalidLogic { identifier: String, issues: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawRule {
    identifier: String,
    #[serde(rename = "Type")]
    rule_type: String,
    country: String,
    region: Option<String>,
    version: String,
    schema_version: String,
    engine: String,
    engine_version: String,
    certificate_type: String,
    description: Vec<RawDescription>,
    valid_from: String,
    valid_to: String,
    #[serde(default)]
    affected_fields: Vec<String>,
    logic: Json,
}

#[derive(Deserialize)]
struct RawDescription {
    lang: String,
    desc: String,
}

impl BusinessRule {
    /// Reads a rule from its JSON file.
    pub fn from_json(json: &[u8]) -> Result<Self, RuleError> {
        let raw: RawRule =
            serde_json::from_slice(json).map_err(|error| RuleError::Malformed { detail: error.to_string() })?;
        Self::from_raw(raw)
    }

    /// Reads a rule from JSON, checking its logic.
    pub fn from_value(json: Json) -> Result<Self, RuleError> {
        let raw: RawRule =
            serde_json::from_value(json).map_err(|error| RuleError::Malformed { detail: error.to_string() })?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawRule) -> Result<Self, RuleError> {
        let identifier = raw.identifier.clone();
        let invalid = |field: &'static str, problem: String| RuleError::InvalidField {
            identifier: identifier.clone(),
            field,
            problem,
        };
        let rule_type = match raw.rule_type.as_str() {
            "Acceptance" => RuleType::Acceptance,
            "Invalidation" => RuleType::Invalidation,
            other => return Err(invalid("Type", format!("is {other:?}; expected Acceptance or Invalidation"))),
        };
        if raw.engine != "CERTLOGIC" {
            return Err(invalid("Engine", format!("is {:?}; only CERTLOGIC is supported", raw.engine)));
        }
        let target = match raw.certificate_type.as_str() {
            "General" => RuleTarget::General,
            "Test" => RuleTarget::Only(CertificateType::Test),
            "Vaccination" => RuleTarget::Only(CertificateType::Vaccination),
            "Recovery" => RuleTarget::Only(CertificateType::Recovery),
            other => {
                return Err(invalid(
                    "CertificateType",
                    format!("is {other:?}; expected General, Test, Vaccination or Recovery"),
                ));
            }
        };
        let version =
            SchemaVersion::parse(&raw.version).ok_or_else(|| invalid("Version", "is not major.minor.patch".into()))?;
        let schema_version = SchemaVersion::parse(&raw.schema_version)
            .ok_or_else(|| invalid("SchemaVersion", "is not major.minor.patch".into()))?;
        let valid_from =
            UnixTime::parse_rfc3339(&raw.valid_from).map_err(|error| invalid("ValidFrom", error.to_string()))?;
        let valid_to = UnixTime::parse_rfc3339(&raw.valid_to).map_err(|error| invalid("ValidTo", error.to_string()))?;
        if valid_to <= valid_from {
            return Err(invalid("ValidTo", "is not after ValidFrom".into()));
        }
        let issues = certlogic::validate(&raw.logic);
        if !issues.is_empty() {
            let issues = issues.iter().map(|issue| issue.message.clone()).collect::<Vec<_>>().join("; ");
            return Err(RuleError::InvalidLogic { identifier, issues });
        }
        Ok(Self {
            identifier: raw.identifier,
            rule_type,
            country: raw.country.to_ascii_uppercase(),
            region: raw.region.filter(|region| !region.is_empty()),
            version,
            schema_version,
            engine_version: raw.engine_version,
            target,
            descriptions: raw.description.into_iter().map(|description| (description.lang, description.desc)).collect(),
            valid_from,
            valid_to,
            affected_fields: raw.affected_fields,
            logic: raw.logic,
        })
    }

    /// The English description, or else the first one.
    pub fn description(&self) -> &str {
        self.descriptions
            .iter()
            .find(|(language, _)| language == "en")
            .or(self.descriptions.first())
            .map_or("", |(_, text)| text.as_str())
    }

    /// The rule's metadata and logic as the JSON the gateway distributes.
    pub fn to_json(&self) -> Json {
        serde_json::json!({
            "Identifier": self.identifier,
            "Type": match self.rule_type { RuleType::Acceptance => "Acceptance", RuleType::Invalidation => "Invalidation" },
            "Country": self.country,
            "Region": self.region,
            "Version": self.version.to_string(),
            "SchemaVersion": self.schema_version.to_string(),
            "Engine": "CERTLOGIC",
            "EngineVersion": self.engine_version,
            "CertificateType": match self.target {
                RuleTarget::General => "General",
                RuleTarget::Only(CertificateType::Test) => "Test",
                RuleTarget::Only(CertificateType::Vaccination) => "Vaccination",
                RuleTarget::Only(CertificateType::Recovery) => "Recovery",
            },
            "Description": self.descriptions.iter().map(|(lang, desc)| serde_json::json!({"lang": lang, "desc": desc})).collect::<Vec<_>>(),
            "ValidFrom": self.valid_from.to_rfc3339(),
            "ValidTo": self.valid_to.to_rfc3339(),
            "AffectedFields": self.affected_fields,
            "Logic": self.logic,
        })
    }
}
