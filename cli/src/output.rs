//! How results are shown: text for people, JSON for programs.
//!
//! Everything a pass, a bundle, a certificate or a file name brings into human output goes
//! through [`safe`]: control characters (C0, DEL, C1), bidirectional overrides and invisible
//! format characters are shown as `\u{..}` escapes, so a name cannot move the cursor, clear
//! the screen or reorder the verdict line. JSON output keeps every string exact (JSON escapes
//! control characters itself).
//!
//! Standard output may be a pipe that closes early (`| head`): writes then stop quietly
//! instead of panicking, and the exit code still says what the command found.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use healthpass_core::dcc::PersonName;
use healthpass_core::rules::RuleResult;
use healthpass_core::verify::{PassFormat, Verdict, VerdictStatus};
use serde_json::json;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to standard output; a closed pipe ends output silently.
pub fn write_stdout(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `println!` that survives a closed pipe.
#[macro_export]
macro_rules! outln {
    () => { $crate::output::write_stdout("\n") };
    ($($arg:tt)*) => { $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}

/// Pretty JSON on standard output.
pub fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => write_stdout(&format!("{text}\n")),
        Err(_) => write_stdout("{}\n"),
    }
}

/// Text from outside made safe for a terminal.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        if needs_escape(character) {
            let _ = write!(escaped, "\\u{{{:x}}}", u32::from(character));
        } else {
            escaped.push(character);
        }
    }
    Cow::Owned(escaped)
}

fn needs_escape(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{061c}'              // Arabic letter mark
            | '\u{180e}'            // Mongolian vowel separator
            | '\u{200b}'..='\u{200f}' // zero-width characters, LRM, RLM
            | '\u{2028}'..='\u{202e}' // line/paragraph separators, bidi embeddings and overrides
            | '\u{2060}'..='\u{206f}' // word joiner, bidi isolates, deprecated format characters
            | '\u{feff}'            // zero-width no-break space
            | '\u{fff9}'..='\u{fffb}' // interlinear annotation
        )
}

pub fn verdict_text(verdict: &Verdict) -> String {
    let mut out = String::new();
    let kind = verdict.certificate_type.map_or("unknown type of", |kind| kind.name());
    let status = match verdict.status {
        VerdictStatus::Valid => "VALID",
        VerdictStatus::Provisional => "PROVISIONAL",
        VerdictStatus::Invalid => "INVALID",
    };
    let format = match verdict.format {
        PassFormat::Hc1 => "EU DCC (HC1)",
        PassFormat::TwoDDoc => "French 2D-DOC",
    };
    let _ = writeln!(
        out,
        "{status}  {kind} certificate from {} ({format})",
        safe(verdict.issuer_country.as_deref().unwrap_or("an unknown country"))
    );
    for reason in &verdict.reasons {
        let _ = writeln!(out, "  - {} [{}]", safe(&reason.to_string()), reason.code());
    }
    for notice in &verdict.notices {
        let _ = writeln!(out, "  notice: {} [{}]", safe(&notice.to_string()), notice.code());
    }
    if let Some(holder) = &verdict.holder {
        let _ = writeln!(out, "  name           {}", display_name(&holder.name));
        let _ = writeln!(out, "  date of birth  {}", safe(non_empty(&holder.date_of_birth.to_string())));
    }
    let time = |value: Option<healthpass_core::time::UnixTime>| value.map_or("-".to_owned(), |time| time.to_string());
    let _ = writeln!(out, "  issued at      {}", time(verdict.issued_at));
    let _ = writeln!(out, "  expires at     {}", time(verdict.expires_at));
    match (&verdict.signer, &verdict.provisional, &verdict.two_d_doc) {
        (_, _, Some(document)) => {
            let _ = writeln!(
                out,
                "  signed by      {}/{} ({}), document type {}, header v{}",
                document.authority,
                document.certificate,
                safe(document.signer_name.as_deref().unwrap_or("no trusted signer")),
                safe(&document.document_type),
                document.version
            );
        }
        (_, Some(provisional), None) => {
            let _ = writeln!(
                out,
                "  signed by      pharmacy {} ({}), device {} pass {}, certified by {} ({}); until the central pass arrives",
                safe(&provisional.pharmacy_name),
                safe(&provisional.pharmacy_id),
                provisional.device,
                provisional.sequence,
                safe(&provisional.authority),
                safe(&provisional.authority_country)
            );
        }
        (Some(signer), None, None) => {
            let _ = writeln!(
                out,
                "  signed by      kid {} ({}, {})",
                signer.kid,
                safe(signer.country.as_deref().unwrap_or("no country")),
                signer.algorithm.name()
            );
        }
        (None, None, None) => {
            let _ = writeln!(out, "  signed by      no trusted signer");
        }
    }
    if !verdict.rule_outcomes.is_empty() {
        let passed = verdict.rule_outcomes.iter().filter(|outcome| outcome.result == RuleResult::Passed).count();
        let names: Vec<&str> = verdict.rule_outcomes.iter().map(|outcome| outcome.identifier.as_str()).collect();
        let _ = writeln!(
            out,
            "  rules          {passed} of {} passed ({})",
            verdict.rule_outcomes.len(),
            safe(&names.join(", "))
        );
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
    if name.family_name_transliterated.is_none() && name.given_name_transliterated.is_none() {
        return format!("{}, {}", safe(family), safe(given));
    }
    format!("{}, {}  ({})", safe(family), safe(given), safe(&machine))
}

fn non_empty(text: &str) -> &str {
    if text.is_empty() { "unknown" } else { text }
}

pub fn verdict_json(verdict: &Verdict) -> serde_json::Value {
    json!({
        "status": verdict.status.name(),
        "format": verdict.format.name(),
        "reasons": verdict.reasons.iter().map(|reason| json!({"code": reason.code(), "category": reason.category().name(), "message": reason.to_string()})).collect::<Vec<_>>(),
        "notices": verdict.notices.iter().map(|notice| json!({"code": notice.code(), "field": notice.field, "message": notice.to_string()})).collect::<Vec<_>>(),
        "certificate_type": verdict.certificate_type.map(|kind| kind.name()),
        "issuer_country": verdict.issuer_country,
        "issued_at": verdict.issued_at.map(|time| time.to_string()),
        "expires_at": verdict.expires_at.map(|time| time.to_string()),
        "kid": verdict.kid.map(|kid| kid.to_base64()),
        "provisional": verdict.provisional.as_ref().map(|provisional| json!({
            "pharmacy_id": provisional.pharmacy_id,
            "pharmacy_name": provisional.pharmacy_name,
            "authority": provisional.authority,
            "authority_country": provisional.authority_country,
            "device": provisional.device.to_base64(),
            "sequence": provisional.sequence,
            "credential_expires_at": provisional.credential_expires_at.to_string(),
        })),
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
        "two_d_doc": verdict.two_d_doc.as_ref().map(|document| json!({
            "version": document.version,
            "authority": document.authority,
            "certificate": document.certificate,
            "signer_name": document.signer_name,
            "document_type": document.document_type,
            "emitted": document.emitted.map(|date| date.to_string()),
            "signed": document.signed.map(|date| date.to_string()),
            "fingerprint": document.fingerprint.iter().map(|byte| format!("{byte:02x}")).collect::<String>(),
            "has_annex": document.has_annex,
        })),
    })
}

/// The JSON a `--json` command prints when its input is not a pass at all.
pub fn not_a_pass_json(stage: Option<&str>, message: &str) -> serde_json::Value {
    json!({"status": "not_a_pass", "stage": stage, "error": message})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_character_that_could_steer_a_terminal() {
        assert_eq!(safe("Dubois-Lefèvre Ζωή محمد"), "Dubois-Lefèvre Ζωή محمد");
        assert_eq!(safe("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(safe("x\ny\rz\t"), "x\\u{a}y\\u{d}z\\u{9}");
        assert_eq!(safe("\u{7f}\u{9b}31m"), "\\u{7f}\\u{9b}31m");
        assert_eq!(safe("\u{202e}DILAVNI"), "\\u{202e}DILAVNI");
        assert_eq!(safe("\u{2067}\u{200f}"), "\\u{2067}\\u{200f}");
        for code in (0u32..0x20).chain(0x7f..0xa0) {
            let character = char::from_u32(code).unwrap();
            assert!(!safe(&character.to_string()).contains(character), "U+{code:04X}");
        }
    }
}
