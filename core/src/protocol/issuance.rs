//! The bodies of `POST /v1/issuances`: what a pharmacy sends and what the service answers.

use serde::{Deserialize, Serialize};

use crate::issue::{TestCertificateRequest, TestResult, TestType};
use crate::time::UnixTime;

/// The test type, as the JSON names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// A rapid antigen test (needs a device from the value set).
    RapidAntigen,
    /// A NAAT (PCR) test.
    Naat,
}

/// The result, as the JSON names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    /// Not detected.
    Negative,
    /// Detected.
    Positive,
}

/// The pharmacist's entry, as a device sends it. `Debug` leaves out names and the date of
/// birth; the service never logs a body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuanceRequest {
    /// As on the identity document.
    pub family_name: String,
    /// As on the identity document; empty for people with a single name.
    #[serde(default)]
    pub given_name: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: String,
    /// Rapid antigen or NAAT.
    pub test_type: TestKind,
    /// A rapid antigen test's device id from the value set (e.g. `1232`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// A NAAT test's name, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_name: Option<String>,
    /// When the sample was taken, RFC 3339.
    pub sampled_at: String,
    /// The result.
    pub result: TestOutcome,
    /// The testing centre (pharmacy) as printed on the pass.
    pub centre: String,
    /// ISO 3166-1 alpha-2 country of the test.
    pub country: String,
    /// A traveller's transfer code, for delivery of the pass to their wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_code: Option<String>,
}

impl std::fmt::Debug for IssuanceRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuanceRequest")
            .field("test_type", &self.test_type)
            .field("device", &self.device)
            .field("sampled_at", &self.sampled_at)
            .field("result", &self.result)
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

/// Why a body is not a request the service can issue from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuanceRequestError {
    /// The body is not the JSON the API describes.
    #[error("the body is not an issuance request: {detail}")]
    Malformed {
        /// What serde found (a field name, a position; never a value).
        detail: String,
    },
    /// `sampled_at` is not an RFC 3339 date-time.
    #[error("sampled_at must be an RFC 3339 date-time (e.g. 2021-08-14T09:30:00+02:00)")]
    SampledAt,
}

impl IssuanceRequest {
    /// Reads a body. Errors name the field and what it must be, never a value (serde's own
    /// messages quote values, and a date of birth sent as a number would end up in a log).
    pub fn from_json(body: &[u8]) -> Result<Self, IssuanceRequestError> {
        let malformed = |detail: String| IssuanceRequestError::Malformed { detail };
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|error| malformed(format!("not JSON (line {}, column {})", error.line(), error.column())))?;
        let Some(object) = value.as_object() else { return Err(malformed("the body must be a JSON object".into())) };
        if let Some(unknown) = object.keys().find(|key| !FIELDS.iter().any(|field| field.name == key.as_str())) {
            let shown: String = unknown.chars().take(32).flat_map(char::escape_debug).collect();
            return Err(malformed(format!("unknown field \"{shown}\"")));
        }
        for field in &FIELDS {
            match object.get(field.name) {
                None | Some(serde_json::Value::Null) if field.required => {
                    return Err(malformed(format!("{} is missing", field.name)));
                }
                None | Some(serde_json::Value::Null) => {}
                Some(found) if !(field.accepts)(found) => {
                    return Err(malformed(format!("{} must be {}", field.name, field.expected)));
                }
                Some(_) => {}
            }
        }
        serde_json::from_value(value).map_err(|_| malformed("the fields do not form an issuance request".into()))
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The entry as the issuer reads it, with the issuing authority's name (`is`).
    pub fn to_test_request(&self, issuer: &str) -> Result<TestCertificateRequest, IssuanceRequestError> {
        Ok(TestCertificateRequest {
            family_name: self.family_name.clone(),
            given_name: self.given_name.clone(),
            date_of_birth: self.date_of_birth.clone(),
            test_type: match self.test_type {
                TestKind::RapidAntigen => TestType::RapidAntigen,
                TestKind::Naat => TestType::Naat,
            },
            device: self.device.clone(),
            test_name: self.test_name.clone(),
            sampled_at: UnixTime::parse_rfc3339(&self.sampled_at).map_err(|_| IssuanceRequestError::SampledAt)?,
            result: match self.result {
                TestOutcome::Negative => TestResult::Negative,
                TestOutcome::Positive => TestResult::Positive,
            },
            centre: self.centre.clone(),
            country: self.country.clone(),
            issuer: issuer.to_owned(),
        })
    }

    /// The request for an entry (what an outbox sends).
    pub fn from_test_request(request: &TestCertificateRequest, transfer_code: Option<String>) -> Self {
        Self {
            family_name: request.family_name.clone(),
            given_name: request.given_name.clone(),
            date_of_birth: request.date_of_birth.clone(),
            test_type: match request.test_type {
                TestType::RapidAntigen => TestKind::RapidAntigen,
                TestType::Naat => TestKind::Naat,
            },
            device: request.device.clone(),
            test_name: request.test_name.clone(),
            sampled_at: request.sampled_at.to_rfc3339(),
            result: match request.result {
                TestResult::Negative => TestOutcome::Negative,
                TestResult::Positive => TestOutcome::Positive,
            },
            centre: request.centre.clone(),
            country: request.country.clone(),
            transfer_code,
        }
    }
}

/// A field of the request body and what it accepts.
struct FieldRule {
    name: &'static str,
    required: bool,
    expected: &'static str,
    accepts: fn(&serde_json::Value) -> bool,
}

fn is_text(value: &serde_json::Value) -> bool {
    value.is_string()
}

fn is_test_kind(value: &serde_json::Value) -> bool {
    matches!(value.as_str(), Some("rapid_antigen" | "naat"))
}

fn is_test_outcome(value: &serde_json::Value) -> bool {
    matches!(value.as_str(), Some("negative" | "positive"))
}

const FIELDS: [FieldRule; 11] = [
    FieldRule { name: "family_name", required: true, expected: "a string", accepts: is_text },
    FieldRule { name: "given_name", required: false, expected: "a string", accepts: is_text },
    FieldRule { name: "date_of_birth", required: true, expected: "a string", accepts: is_text },
    FieldRule { name: "test_type", required: true, expected: "\"rapid_antigen\" or \"naat\"", accepts: is_test_kind },
    FieldRule { name: "device", required: false, expected: "a string", accepts: is_text },
    FieldRule { name: "test_name", required: false, expected: "a string", accepts: is_text },
    FieldRule { name: "sampled_at", required: true, expected: "an RFC 3339 string", accepts: is_text },
    FieldRule { name: "result", required: true, expected: "\"negative\" or \"positive\"", accepts: is_test_outcome },
    FieldRule { name: "centre", required: true, expected: "a string", accepts: is_text },
    FieldRule { name: "country", required: true, expected: "a string", accepts: is_text },
    FieldRule { name: "transfer_code", required: false, expected: "a string", accepts: is_text },
];

/// What the service answers with a pass (201, and byte for byte the same on every replay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuanceResponse {
    /// The pass, `HC1:...`.
    pub pass: String,
    /// Its UVCI.
    pub uvci: String,
    /// When it was issued, RFC 3339.
    pub issued_at: String,
    /// When it expires, RFC 3339.
    pub expires_at: String,
}

/// Every error the service answers with: a stable code and a message (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable machine code (`device_suspended`, `idempotency_key_reused`, ...).
    pub error: String,
    /// What was expected, for people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IssuanceRequest {
        IssuanceRequest {
            family_name: "Dubois-Lefèvre".into(),
            given_name: "Amélie".into(),
            date_of_birth: "1987-04-12".into(),
            test_type: TestKind::RapidAntigen,
            device: Some("1232".into()),
            test_name: None,
            sampled_at: "2021-08-14T09:30:00+02:00".into(),
            result: TestOutcome::Negative,
            centre: "Pharmacie du Centre".into(),
            country: "FR".into(),
            transfer_code: None,
        }
    }

    #[test]
    fn round_trips_and_converts_to_the_issuers_entry() {
        let request = sample();
        assert_eq!(IssuanceRequest::from_json(&request.to_json()).unwrap(), request);
        let entry = request.to_test_request("ARS").unwrap();
        assert_eq!(entry.sampled_at, UnixTime::parse_rfc3339("2021-08-14T07:30:00Z").unwrap());
        assert_eq!(IssuanceRequest::from_test_request(&entry, None).sampled_at, "2021-08-14T07:30:00Z");
        assert!(!format!("{request:?}").contains("Dubois"));
    }

    #[test]
    fn refuses_unknown_fields_and_bad_times_without_echoing_values() {
        let mut json: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        json["nickname"] = "Mimi".into();
        let error = IssuanceRequest::from_json(json.to_string().as_bytes()).unwrap_err();
        assert!(error.to_string().contains("nickname") && !error.to_string().contains("Mimi"), "{error}");
        let mut request = sample();
        request.sampled_at = "yesterday".into();
        assert_eq!(request.to_test_request("ARS"), Err(IssuanceRequestError::SampledAt));
        assert!(IssuanceRequest::from_json(b"[1,2]").is_err());
        // A value of the wrong type is named by its field, never quoted.
        let mut json: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        json["date_of_birth"] = 19_870_412.into();
        let error = IssuanceRequest::from_json(json.to_string().as_bytes()).unwrap_err().to_string();
        assert!(error.contains("date_of_birth must be a string") && !error.contains("1987"), "{error}");
        let mut json: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        json.as_object_mut().unwrap().remove("centre");
        let error = IssuanceRequest::from_json(json.to_string().as_bytes()).unwrap_err().to_string();
        assert!(error.contains("centre is missing"), "{error}");
        let mut json: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        json["result"] = "POSITIVO".into();
        let error = IssuanceRequest::from_json(json.to_string().as_bytes()).unwrap_err().to_string();
        assert!(error.contains("result must be"), "{error}");
    }
}
