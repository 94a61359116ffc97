//! How verdicts are shown: text for people, JSON for programs.

use std::fmt::Write as _;

use healthpass_core::dcc::PersonName;
use healthpass_core::rules::RuleResult;
use healthpass_core::verify::{Verdict, VerdictStatus};
use serde_json::json;

pub fn verdict_text(verdict: &Verdict) -> String {
    let mut out = String::new();
    let kind = verdict.certificate_type.map_or("unknown type of", |kind| kind.name());
    let status = match verdict.status {
        VerdictStatus::Valid => "VALID",
        VerdictStatus::Invalid => "INVALID",
    };
    let _ = writeln!(
        out,
        "{status}  {kind} certificate from {}",
        verdict.issuer_country.as_deref().unwrap_or("an unknown country")
    );
    for reason in &verdict.reasons {
        let _ = writeln!(out, "  - {reason} [{}]", reason.code());
    }
    if let Some(holder) = &verdict.holder {
        let _ = writeln!(out, "  name           {}", display_name(&holder.name));
        let _ = writeln!(out, "  date of birth  {}", non_empty(&holder.date_of_birth.to_string()));
    }
    let time = |value: Option<healthpass_core::time::UnixTime>| value.map_or("-".to_owned(), |time| time.to_string());
    let _ = writeln!(out, "  issued at      {}", time(verdict.issued_at));
    let _ = writeln!(out, "  expires at     {}", time(verdict.expires_at));
    match &verdict.signer {
        Some(signer) => {
            let _ = writeln!(
                out,
                "  signed by      kid {} ({}, {})",
                signer.kid,
                signer.country.as_deref().unwrap_or("no country"),
                signer.algorithm.name()
            );
        }
        None => {
            let _ = writeln!(out, "  signed by      no trusted signer");
        }
    }
    if !verdict.rule_outcomes.is_empty() {
        let passed = verdict.rule_outcomes.iter().filter(|outcome| outcome.result == RuleResult::Passed).count();
        let names: Vec<&str> = verdict.rule_outcomes.iter().map(|outcome| outcome.identifier.as_str()).collect();
        let _ =
            writeln!(out, "  rules          {passed} of {} passed ({})", verdict.rule_outcomes.len(), names.join(", "));
    }
    if let Some(sequence) = verdict.trust_sequence {
        let _ = writeln!(out, "  trust bundle   sequence {sequence}");
    }
    let _ = writeln!(out, "  verified at    {}", verdict.verified_at);
    out
}

fn display_name(name: &PersonName) -> String {
    let family = name.family_name.as_deref().or(name.family_name_transliterated.as_deref()).unwrap_or("");
    let given = name.given_name.as_deref().or(name.given_name_transliterated.as_deref()).unwrap_or("");
    let machine = format!(
        "{}<<{}",
        name.family_name_transliterated.as_deref().unwrap_or(""),
        name.given_name_transliterated.as_deref().unwrap_or("")
    );
    format!("{family}, {given}  ({machine})")
}

fn non_empty(text: &str) -> &str {
    if text.is_empty() { "unknown" } else { text }
}

pub fn verdict_json(verdict: &Verdict) -> serde_json::Value {
    json!({
        "status": verdict.status.name(),
        "reasons": verdict.reasons.iter().map(|reason| json!({"code": reason.code(), "message": reason.to_string()})).collect::<Vec<_>>(),
        "certificate_type": verdict.certificate_type.map(|kind| kind.name()),
        "issuer_country": verdict.issuer_country,
        "issued_at": verdict.issued_at.map(|time| time.to_string()),
        "expires_at": verdict.expires_at.map(|time| time.to_string()),
        "kid": verdict.kid.map(|kid| kid.to_base64()),
        "signer": verdict.signer.as_ref().map(|signer| json!({
            "kid": signer.kid.to_base64(),
            "country": signer.country,
            "algorithm": signer.algorithm.name(),
        })),
        "holder": verdict.holder.as_ref().map(|holder| json!({
            "family_name": holder.name.family_name,
            "family_name_transliterated": holder.name.family_name_transliterated,
            "given_name": holder.name.given_name,
            "given_name_transliterated": holder.name.given_name_transliterated,
            "date_of_birth": holder.date_of_birth.to_string(),
        })),
        "schema_release": verdict.schema_release.map(|release| release.to_string()),
        "rules": verdict.rule_outcomes.iter().map(|outcome| json!({
            "identifier": outcome.identifier,
            "country": outcome.country,
            "description": outcome.description,
            "result": match &outcome.result {
                RuleResult::Passed => "passed",
                RuleResult::Failed => "failed",
                RuleResult::Open { .. } => "open",
            },
            "why": match &outcome.result {
                RuleResult::Open { why } => Some(why.as_str()),
                _ => None,
            },
        })).collect::<Vec<_>>(),
        "trust_sequence": verdict.trust_sequence,
        "verified_at": verdict.verified_at.to_string(),
    })
}
