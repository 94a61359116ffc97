//! Each check of a dgc-testdata vector, run through the project's own pipeline.
//!
//! A check uses the most direct input the vector holds for its stage (e.g. `COMPRESSED` for
//! COMPRESSION) and otherwise derives it from `PREFIX` through the earlier stages, so a vector
//! that only carries a QR text is still checked end to end.

use ciborium::Value;
use serde_json::Value as Json;

use super::dcc_vector::{Check, DccVector};
use crate::codec::{self, PassLimits, cbor};
use crate::dcc::{self, CertificateType, Dcc, json};
use crate::time::UnixTime;
use crate::trust::{DocumentSignerCertificate, TrustStore};
use crate::verify::{SignerSearch, Verifier, find_signer, policy};

/// What running one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckRun {
    /// The check succeeded.
    Succeeded,
    /// The check ran and the property does not hold, for this reason.
    Failed(String),
    /// The vector lacks what the check needs, or the check is not available here.
    NotApplicable(String),
}

/// Decodes a PNG and returns the texts of the codes found in it.
pub type PictureDecoder<'a> = &'a dyn Fn(&[u8]) -> Result<Vec<String>, String>;

/// Runs one check of a vector (`PICTUREDECODE`, `VERIFY`, ...) and says whether it succeeded.
pub fn run_check(check: &Check, vector: &DccVector, picture_decoder: Option<PictureDecoder<'_>>) -> CheckRun {
    let result = match check {
        Check::PictureDecode => return picture_decode(vector, picture_decoder),
        Check::Unprefix => unprefix(vector),
        Check::Base45Decode => base45_decode(vector),
        Check::Compression => compression(vector),
        Check::Decode => decode(vector),
        Check::ValidJson => valid_json(vector),
        Check::Verify => verify(vector),
        Check::ExpirationCheck => expiration(vector),
        Check::KeyUsage => key_usage(vector),
        Check::SchemaValidation => schema_validation(vector),
        Check::ValidObject => valid_object(vector),
        Check::Encode => encode(vector),
        Check::Verdict => verdict(vector),
        Check::Unrecognised(key) => {
            return CheckRun::NotApplicable(format!("{key} is not a check name of the dgc-testdata format"));
        }
    };
    match result {
        Ok(Ok(())) => CheckRun::Succeeded,
        Ok(Err(reason)) => CheckRun::Failed(reason),
        Err(missing) => CheckRun::NotApplicable(missing),
    }
}

/// Outer `Err`: not applicable; inner `Err`: the property does not hold.
type CheckOutcome = Result<Result<(), String>, String>;

fn limits() -> PassLimits {
    PassLimits::default()
}

fn holds(condition: bool, otherwise: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(otherwise()) }
}

fn require<T>(value: Option<T>, what: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("the vector has no {what}"))
}

fn unprefix(vector: &DccVector) -> CheckOutcome {
    let text = require(vector.prefix.as_deref(), "PREFIX")?;
    Ok(codec::strip_prefix(text).map_err(|error| error.to_string()).and_then(|base45_text| {
        holds(vector.base45.as_deref().is_none_or(|expected| expected == base45_text), || {
            "the text after the prefix differs from BASE45".into()
        })
    }))
}

fn base45_text(vector: &DccVector) -> Result<Result<String, String>, String> {
    if let Some(text) = &vector.base45 {
        return Ok(Ok(text.clone()));
    }
    let text = require(vector.prefix.as_deref(), "BASE45 or PREFIX")?;
    Ok(codec::strip_prefix(text).map(str::to_owned).map_err(|error| format!("prefix: {error}")))
}

fn compressed_bytes(vector: &DccVector) -> Result<Result<Vec<u8>, String>, String> {
    if let Some(bytes) = &vector.compressed {
        return Ok(Ok(bytes.clone()));
    }
    Ok(base45_text(vector)?.and_then(|text| {
        codec::decode_base45(&text, limits().max_base45_chars).map_err(|error| format!("base45: {error}"))
    }))
}

fn cose_bytes(vector: &DccVector) -> Result<Result<Vec<u8>, String>, String> {
    if let Some(bytes) = &vector.cose {
        return Ok(Ok(bytes.clone()));
    }
    Ok(compressed_bytes(vector)?.and_then(|compressed| {
        codec::inflate(&compressed, limits().max_inflated_bytes).map_err(|error| format!("zlib: {error}"))
    }))
}

fn decoded_pass(vector: &DccVector) -> Result<Result<codec::DecodedPass, String>, String> {
    Ok(cose_bytes(vector)?.and_then(|cose| codec::decode_cose(&cose, &limits()).map_err(|error| error.to_string())))
}

fn signer_certificate(vector: &DccVector) -> Result<Result<DocumentSignerCertificate, String>, String> {
    let der = require(vector.certificate_der.as_deref(), "TESTCTX.CERTIFICATE")?;
    Ok(DocumentSignerCertificate::from_der(der).map_err(|error| format!("signer certificate: {error}")))
}

fn base45_decode(vector: &DccVector) -> CheckOutcome {
    let text = require(vector.base45.as_deref(), "BASE45")?;
    Ok(codec::decode_base45(text, limits().max_base45_chars).map_err(|error| error.to_string()).and_then(|bytes| {
        holds(vector.compressed.as_ref().is_none_or(|expected| *expected == bytes), || {
            "the decoded bytes differ from COMPRESSED".into()
        })
    }))
}

fn compression(vector: &DccVector) -> CheckOutcome {
    let compressed = match compressed_bytes(vector)? {
        Ok(bytes) => bytes,
        Err(reason) => return Ok(Err(reason)),
    };
    Ok(codec::inflate(&compressed, limits().max_inflated_bytes).map_err(|error| error.to_string()).and_then(|cose| {
        holds(vector.cose.as_ref().is_none_or(|expected| *expected == cose), || {
            "the inflated bytes differ from COSE".into()
        })
    }))
}

fn decode(vector: &DccVector) -> CheckOutcome {
    let pass = match decoded_pass(vector)? {
        Ok(pass) => pass,
        Err(reason) => return Ok(Err(reason)),
    };
    let dcc_value = match dcc::hcert::dcc_value(&pass.claims) {
        Ok(value) => value,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let decoded = json::cbor_to_json(dcc_value);
    if let Some(expected) = &vector.json
        && !same_content(&decoded, expected)
    {
        return Ok(Err("the decoded payload differs from JSON".into()));
    }
    if let Some(cbor_bytes) = &vector.cbor {
        let expected = match cbor::decode(cbor_bytes, limits().cbor) {
            Ok(value) => value,
            Err(error) => return Ok(Err(format!("the vector's CBOR field: {error}"))),
        };
        if !same_content(&decoded, &json::cbor_to_json(payload_level_dcc(&expected))) {
            return Ok(Err("the decoded payload differs from CBOR".into()));
        }
    }
    Ok(Ok(()))
}

/// The `CBOR` field holds either the DCC itself or the whole CWT payload (upstream compares
/// at the DCC level in both cases).
fn payload_level_dcc(value: &Value) -> &Value {
    if let Value::Map(entries) = value {
        for (key, inner) in entries {
            if cbor::as_i64(key) == Some(dcc::hcert::CLAIM_HCERT)
                && let Value::Map(container) = inner
                && let Some((_, dcc)) = container.iter().find(|(key, _)| cbor::as_i64(key) == Some(1))
            {
                return dcc;
            }
        }
    }
    value
}

fn valid_json(vector: &DccVector) -> CheckOutcome {
    let text = require(vector.prefix.as_deref(), "PREFIX")?;
    let expected = require(vector.json.as_ref(), "JSON")?;
    let pass = match codec::decode_pass_text(text, &limits()) {
        Ok(pass) => pass,
        Err(error) => return Ok(Err(error.to_string())),
    };
    Ok(dcc::hcert::dcc_value(&pass.claims).map_err(|error| error.to_string()).and_then(|dcc_value| {
        holds(same_content(&json::cbor_to_json(dcc_value), expected), || "the decoded payload differs from JSON".into())
    }))
}

fn verify(vector: &DccVector) -> CheckOutcome {
    let signer = signer_certificate(vector)?;
    let pass = decoded_pass(vector)?;
    let (signer, pass) = match (signer, pass) {
        (Ok(signer), Ok(pass)) => (signer, pass),
        (Err(reason), _) | (_, Err(reason)) => return Ok(Err(reason)),
    };
    let trust = TrustStore::from_iter([signer]);
    Ok(match find_signer(&pass, &trust) {
        SignerSearch::Verified { .. } => Ok(()),
        SignerSearch::Failed(reason) => Err(reason.to_string()),
    })
}

fn expiration(vector: &DccVector) -> CheckOutcome {
    let clock = require(vector.validation_clock, "TESTCTX.VALIDATIONCLOCK")?;
    let signer = signer_certificate(vector)?;
    let pass = decoded_pass(vector)?;
    let (signer, pass) = match (signer, pass) {
        (Ok(signer), Ok(pass)) => (signer, pass),
        (Err(reason), _) | (_, Err(reason)) => return Ok(Err(reason)),
    };
    let mut reasons = policy::validity_reasons(&pass.claims, clock);
    // As in the verifier, a pass must not outlive the certificate that signed it; a
    // certificate that did not sign it (dgc-testdata PL/1.3.0/6 ships a different one) says
    // nothing about the pass's validity.
    let trust = TrustStore::from_iter([signer]);
    if let SignerSearch::Verified { signer, .. } = find_signer(&pass, &trust) {
        reasons.extend(policy::signer_validity_reasons(&pass.claims, signer));
    }
    Ok(holds(reasons.is_empty(), || join(reasons.iter().map(ToString::to_string))))
}

fn key_usage(vector: &DccVector) -> CheckOutcome {
    let signer = signer_certificate(vector)?;
    let pass = decoded_pass(vector)?;
    let (signer, pass) = match (signer, pass) {
        (Ok(signer), Ok(pass)) => (signer, pass),
        (Err(reason), _) | (_, Err(reason)) => return Ok(Err(reason)),
    };
    let dcc_value = match dcc::hcert::dcc_value(&pass.claims) {
        Ok(value) => value,
        Err(error) => return Ok(Err(error.to_string())),
    };
    Ok(match CertificateType::declared_in(dcc_value).as_slice() {
        [kind] => policy::key_usage_reason(&signer, *kind).map_or(Ok(()), |reason| Err(reason.to_string())),
        kinds => Err(format!("the payload declares {} certificate types; exactly one is needed", kinds.len())),
    })
}

/// Schema conformance as the verifier decides it: the schema of the declared release, and
/// exactly one entry (dgc-testdata common/DGC2; releases from 1.3.0 encode it in `oneOf`).
fn conforms(dcc_value: &Value, release: Option<&str>) -> Result<(), String> {
    let check = match release.and_then(dcc::schema::SchemaVersion::parse) {
        Some(version) => dcc::schema::schema_for(version)
            .map(|(release, schema)| dcc::schema::SchemaCheck { release, violations: schema.validate(dcc_value) }),
        None => dcc::schema::check_dcc(dcc_value),
    }
    .map_err(|error| error.to_string())?;
    if !check.violations.is_empty() {
        return Err(format!("schema {}: {}", check.release, join(check.violations.iter().map(ToString::to_string))));
    }
    Dcc::from_value(dcc_value).map(|_| ()).map_err(|error| error.to_string())
}

fn schema_validation(vector: &DccVector) -> CheckOutcome {
    let pass = match decoded_pass(vector)? {
        Ok(pass) => pass,
        Err(reason) => return Ok(Err(reason)),
    };
    Ok(dcc::hcert::dcc_value(&pass.claims).map_err(|error| error.to_string()).and_then(|value| conforms(value, None)))
}

fn valid_object(vector: &DccVector) -> CheckOutcome {
    let document = require(vector.json.as_ref(), "JSON")?;
    Ok(conforms(&json::json_to_cbor(document), vector.schema_version.as_deref()))
}

fn encode(vector: &DccVector) -> CheckOutcome {
    let document = require(vector.json.as_ref(), "JSON")?;
    let cbor_bytes = require(vector.cbor.as_ref(), "CBOR")?;
    let expected = match cbor::decode(cbor_bytes, limits().cbor) {
        Ok(value) => value,
        Err(error) => return Ok(Err(format!("the vector's CBOR field: {error}"))),
    };
    let encoded = json::json_to_cbor(document);
    Ok(holds(same_content(&json::cbor_to_json(&encoded), &json::cbor_to_json(payload_level_dcc(&expected))), || {
        "the JSON encoded as CBOR differs from CBOR".into()
    }))
}

fn verdict(vector: &DccVector) -> CheckOutcome {
    let clock = require(vector.validation_clock, "TESTCTX.VALIDATIONCLOCK")?;
    let signer = signer_certificate(vector)?;
    let pass = decoded_pass(vector)?;
    let (signer, pass) = match (signer, pass) {
        (Ok(signer), Ok(pass)) => (signer, pass),
        (Err(reason), _) | (_, Err(reason)) => return Ok(Err(reason)),
    };
    let verifier = Verifier::new(TrustStore::from_iter([signer]));
    Ok(match verifier.verify_decoded(&pass, clock) {
        Ok(verdict) if verdict.is_valid() => Ok(()),
        Ok(verdict) => Err(join(verdict.reasons.iter().map(|reason| reason.code().to_owned()))),
        Err(error) => Err(error.to_string()),
    })
}

fn picture_decode(vector: &DccVector, decoder: Option<PictureDecoder<'_>>) -> CheckRun {
    let Some(decoder) = decoder else {
        return CheckRun::NotApplicable("no picture decoder in this build".into());
    };
    let (Some(png), Some(expected)) = (&vector.picture_png, &vector.prefix) else {
        return CheckRun::NotApplicable("the vector has no 2DCODE and PREFIX".into());
    };
    match decoder(png) {
        Ok(texts) if texts.iter().any(|text| text == expected) => CheckRun::Succeeded,
        Ok(texts) if texts.is_empty() => CheckRun::Failed("no code found in the picture".into()),
        Ok(_) => CheckRun::Failed("the code in the picture differs from PREFIX".into()),
        Err(error) => CheckRun::Failed(error),
    }
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join("; ")
}

/// Content equality as upstream's runner judges it (`_ordered`): maps by key, numbers by
/// value, and strings that are date-times by the instant they name (so `+02:00` and `Z`
/// forms of the same time are equal).
pub fn same_content(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, value)| b.get(key).is_some_and(|other| same_content(value, other)))
        }
        (Json::Array(a), Json::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_content(x, y)),
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Json::String(a), Json::String(b)) => {
            a == b
                || matches!(
                    (date_time_instant(a), date_time_instant(b)),
                    (Some(x), Some(y)) if x == y
                )
        }
        _ => a == b,
    }
}

fn date_time_instant(text: &str) -> Option<UnixTime> {
    (text.len() > 10).then(|| UnixTime::parse_rfc3339(text).ok()).flatten()
}
