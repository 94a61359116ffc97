//! Which rules apply to a pass, and what they say about it.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::business_rule::{BusinessRule, RuleType};
use super::certlogic::{self, Value};
use crate::dcc::CertificateType;
use crate::dcc::schema::SchemaVersion;
use crate::time::UnixTime;

/// What a verifier knows when it selects rules.
#[derive(Debug, Clone)]
pub struct RuleSelection<'a> {
    /// The country of arrival, whose acceptance rules apply.
    pub arrival_country: &'a str,
    /// The region within it, if the verifier is set to one.
    pub arrival_region: Option<&'a str>,
    /// The issuing country, whose invalidation rules apply.
    pub issuer_country: &'a str,
    /// The type of the certificate.
    pub certificate_type: CertificateType,
    /// The schema version the DCC declares.
    pub schema_version: SchemaVersion,
    /// The verification time.
    pub now: UnixTime,
}

/// A set of business rules, as a bundle or a gateway distributes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    rules: Vec<BusinessRule>,
}

impl RuleSet {
    /// A set of rules.
    pub fn new(rules: Vec<BusinessRule>) -> Self {
        Self { rules }
    }

    /// Every rule.
    pub fn rules(&self) -> &[BusinessRule] {
        &self.rules
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules that apply: acceptance rules of the arrival country (and region) plus
    /// invalidation rules of the issuing country; in force at `now`; for the certificate's
    /// type or General; written for a schema of the DCC's major version not newer than it;
    /// and of each identifier only the highest version.
    pub fn select(&self, selection: &RuleSelection<'_>) -> Vec<&BusinessRule> {
        let mut chosen: Vec<&BusinessRule> = Vec::new();
        for rule in &self.rules {
            let country_applies = match rule.rule_type {
                RuleType::Acceptance => {
                    rule.country.eq_ignore_ascii_case(selection.arrival_country)
                        && rule.region.as_deref().is_none_or(|region| Some(region) == selection.arrival_region)
                }
                RuleType::Invalidation => rule.country.eq_ignore_ascii_case(selection.issuer_country),
            };
            let in_force = rule.valid_from <= selection.now && selection.now < rule.valid_to;
            let schema_fits = rule.schema_version.major == selection.schema_version.major
                && rule.schema_version <= selection.schema_version;
            if !(country_applies && in_force && schema_fits && rule.target.applies_to(selection.certificate_type)) {
                continue;
            }
            match chosen.iter_mut().find(|existing| existing.identifier == rule.identifier) {
                Some(existing) if existing.version < rule.version => *existing = rule,
                Some(_) => {}
                None => chosen.push(rule),
            }
        }
        chosen
    }
}

/// The `external` parameters a rule sees.
#[derive(Debug, Clone)]
pub struct ExternalParameters<'a> {
    /// `external.validationClock`.
    pub validation_clock: UnixTime,
    /// An object from value-set id to the array of its codes.
    pub value_sets: &'a Json,
    /// `external.countryCode`: the arrival country.
    pub country_code: &'a str,
    /// `external.issuerCountryCode`.
    pub issuer_country_code: &'a str,
    /// `external.iat`.
    pub issued_at: Option<UnixTime>,
    /// `external.exp`.
    pub expires_at: Option<UnixTime>,
    /// `external.kid`, base64.
    pub kid: Option<String>,
}

/// What one rule said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleResult {
    /// The rule evaluated to `true`.
    Passed,
    /// The rule evaluated to `false`.
    Failed,
    /// The rule could not decide (an evaluation error, or a non-boolean result).
    Open {
        /// What prevented a decision.
        why: String,
    },
}

/// What one rule said about a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// The rule's identifier.
    pub identifier: String,
    /// Acceptance or invalidation.
    pub rule_type: RuleType,
    /// Whose rule it is.
    pub country: String,
    /// The English description.
    pub description: String,
    /// Passed, failed or open.
    pub result: RuleResult,
}

/// Evaluates rules with `{payload, external}` as the data context.
pub fn evaluate_rules(rules: &[&BusinessRule], payload: &Json, external: &ExternalParameters<'_>) -> Vec<RuleOutcome> {
    let time = |time: Option<UnixTime>| time.map_or(Value::Null, |time| Value::Text(Cow::Owned(time.to_rfc3339())));
    let external_value = Value::Object(vec![
        (Cow::Borrowed("validationClock"), Value::Text(Cow::Owned(external.validation_clock.to_rfc3339()))),
        (Cow::Borrowed("valueSets"), Value::from_json(external.value_sets)),
        (Cow::Borrowed("countryCode"), Value::Text(Cow::Borrowed(external.country_code))),
        (Cow::Borrowed("issuerCountryCode"), Value::Text(Cow::Borrowed(external.issuer_country_code))),
        (Cow::Borrowed("exp"), time(external.expires_at)),
        (Cow::Borrowed("iat"), time(external.issued_at)),
        (Cow::Borrowed("kid"), external.kid.as_deref().map_or(Value::Null, |kid| Value::Text(Cow::Borrowed(kid)))),
    ]);
    let data = Value::Object(vec![
        (Cow::Borrowed("payload"), Value::from_json(payload)),
        (Cow::Borrowed("external"), external_value),
    ]);
    rules
        .iter()
        .map(|rule| RuleOutcome {
            identifier: rule.identifier.clone(),
            rule_type: rule.rule_type,
            country: rule.country.clone(),
            description: rule.description().to_owned(),
            result: match certlogic::evaluate(&rule.logic, &data) {
                Ok(Value::Bool(true)) => RuleResult::Passed,
                Ok(Value::Bool(false)) => RuleResult::Failed,
                Ok(other) => RuleResult::Open { why: format!("the rule evaluated to {}, not a boolean", other.kind()) },
                Err(error) => RuleResult::Open { why: error.to_string() },
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(clippy::too_many_arguments)] // a table of rule fields reads best flat
    fn rule(
        identifier: &str,
        kind: &str,
        country: &str,
        version: &str,
        target: &str,
        schema: &str,
        from: &str,
        to: &str,
    ) -> BusinessRule {
        BusinessRule::from_value(json!({
            "Identifier": identifier, "Type": kind, "Country": country, "Version": version, "SchemaVersion": schema,
            "Engine": "CERTLOGIC", "EngineVersion": "1.3.3", "CertificateType": target,
            "Description": [{"lang": "de", "desc": "Regel"}, {"lang": "en", "desc": format!("rule {identifier} {version}")}],
            "ValidFrom": from, "ValidTo": to, "AffectedFields": [], "Logic": {"===": [{"var": "payload.ver"}, "1.3.0"]},
        }))
        .unwrap()
    }

    fn selection(now: &str) -> RuleSelection<'static> {
        RuleSelection {
            arrival_country: "FR",
            arrival_region: None,
            issuer_country: "AT",
            certificate_type: CertificateType::Test,
            schema_version: SchemaVersion::parse("1.3.0").unwrap(),
            now: UnixTime::parse_rfc3339(now).unwrap(),
        }
    }

    #[test]
    fn selects_by_country_type_window_schema_and_highest_version() {
        let (from, to) = ("2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
        let set = RuleSet::new(vec![
            rule("TR-FR-0001", "Acceptance", "FR", "1.0.0", "Test", "1.0.0", from, to),
            rule("TR-FR-0001", "Acceptance", "FR", "1.1.0", "Test", "1.0.0", from, to),
            rule("GR-FR-0001", "Acceptance", "FR", "1.0.0", "General", "1.0.0", from, to),
            rule("VR-FR-0001", "Acceptance", "FR", "1.0.0", "Vaccination", "1.0.0", from, to),
            rule("TR-DE-0001", "Acceptance", "DE", "1.0.0", "Test", "1.0.0", from, to),
            rule("IR-AT-0001", "Invalidation", "AT", "1.0.0", "General", "1.0.0", from, to),
            rule("IR-FR-0001", "Invalidation", "FR", "1.0.0", "General", "1.0.0", from, to),
            rule("TR-FR-0002", "Acceptance", "FR", "1.0.0", "Test", "1.4.0", from, to),
            rule("TR-FR-0003", "Acceptance", "FR", "1.0.0", "Test", "2.0.0", from, to),
            rule("TR-FR-0004", "Acceptance", "FR", "1.0.0", "Test", "1.0.0", "2025-01-01T00:00:00Z", to),
        ]);
        let chosen: Vec<String> = set
            .select(&selection("2024-06-01T00:00:00Z"))
            .iter()
            .map(|rule| format!("{} {}", rule.identifier, rule.version))
            .collect();
        assert_eq!(chosen, ["TR-FR-0001 1.1.0", "GR-FR-0001 1.0.0", "IR-AT-0001 1.0.0"]);
        let later: Vec<&str> =
            set.select(&selection("2026-06-01T00:00:00Z")).iter().map(|rule| rule.identifier.as_str()).collect();
        assert!(later.contains(&"TR-FR-0004"));
        assert!(set.select(&selection("2031-01-01T00:00:00Z")).is_empty());
    }

    #[test]
    fn outcomes_are_passed_failed_or_open_with_the_english_description() {
        let (from, to) = ("2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
        let passing = rule("TR-FR-0001", "Acceptance", "FR", "1.0.0", "Test", "1.0.0", from, to);
        let mut failing = passing.clone();
        failing.logic = json!({"===": [{"var": "payload.ver"}, "9.9.9"]});
        let mut open = passing.clone();
        open.logic = json!({"<": [{"var": "payload.ver"}, 1]});
        let payload = json!({"ver": "1.3.0"});
        let value_sets = json!({});
        let external = ExternalParameters {
            validation_clock: UnixTime::parse_rfc3339("2024-01-01T00:00:00Z").unwrap(),
            value_sets: &value_sets,
            country_code: "FR",
            issuer_country_code: "AT",
            issued_at: None,
            expires_at: None,
            kid: None,
        };
        let outcomes = evaluate_rules(&[&passing, &failing, &open], &payload, &external);
        assert_eq!(outcomes[0].result, RuleResult::Passed);
        assert_eq!(outcomes[1].result, RuleResult::Failed);
        assert_eq!(outcomes[1].description, "rule TR-FR-0001 1.0.0");
        assert!(matches!(&outcomes[2].result, RuleResult::Open { why } if why.contains("integer")));
    }
}
