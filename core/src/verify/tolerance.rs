//! The tolerance policy: what a verdict makes of a pass its issuer wrote oddly.
//!
//! The rule (README, "Tolerance policy"): a deviation in a field that is only shown — names,
//! date of birth, issuer, centre, manufacturer, dates only rules read — gives a notice, and the
//! value is shown as written; a deviation that makes the decision impossible or ambiguous — no
//! entry or two, duplicate keys, an unknown certificate type or schema version, an unreadable
//! test result, sample time, validity window or certificate identifier — makes the pass
//! invalid. Business rules decide on the fields they read.
//!
//! The schema check itself is unchanged (the conformance runners' SCHEMAVALIDATION and
//! VALIDOBJECT results stay as strict as the suites expect); only its consequence differs.

use super::notice::{Notice, NoticeKind};
use super::verdict::Reason;
use crate::dcc::schema::{SchemaCheck, SchemaSelectionError, SchemaVersion, SchemaViolation};
use crate::dcc::value_sets;
use crate::dcc::{Dcc, Deviation, Entry};

/// Whether a schema violation at `path` (a JSON pointer into the DCC) touches a field the
/// decision rests on.
pub fn is_decision_field(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    match segments.as_slice() {
        // The whole DCC (its type, which entry kinds it holds) and its declared release.
        [] | [""] | ["ver"] => true,
        // An entry list or an entry as a whole: none, two, or not an object.
        [list] | [list, _] if matches!(*list, "v" | "t" | "r") => true,
        [list, _, field] => {
            matches!((*list, *field), ("t", "tr" | "sc") | ("r", "df" | "du") | ("v" | "t" | "r", "ci"))
        }
        _ => false,
    }
}

/// Splits schema violations into the reason that makes the pass invalid (decision fields) and
/// notices (display fields not already noted by the reading).
pub fn schema_consequences(
    check: &Result<SchemaCheck, SchemaSelectionError>,
    noted: &[Notice],
) -> (Option<Reason>, Vec<Notice>, Option<SchemaVersion>) {
    match check {
        Err(error) => (Some(Reason::SchemaUnavailable { detail: error.to_string() }), Vec::new(), None),
        Ok(check) => {
            let explained = |violation: &&SchemaViolation| !explained_by_null(violation, noted);
            let (decision, display): (Vec<&SchemaViolation>, Vec<&SchemaViolation>) =
                check.violations.iter().filter(explained).partition(|violation| is_decision_field(&violation.path));
            let reason = (!decision.is_empty()).then(|| Reason::SchemaViolations {
                release: check.release,
                violations: decision.into_iter().cloned().collect(),
            });
            let mut notices: Vec<Notice> = Vec::new();
            for violation in display {
                let field = if violation.path.is_empty() { "/".to_owned() } else { violation.path.clone() };
                let already = noted.iter().chain(&notices).any(|notice| notice.field == field);
                if !already {
                    notices.push(Notice {
                        kind: NoticeKind::SchemaDeviation,
                        field,
                        detail: Some(violation.detail.clone()),
                    });
                }
            }
            (reason, notices, Some(check.release))
        }
    }
}

/// A field written as null is read as absent, and the reading noted it: the schema's type
/// violation there, and the root `oneOf` an extra null entry list breaks (`"t": null` beside
/// `"v": [...]`, dgc-testdata BG/1–2), say nothing more.
fn explained_by_null(violation: &SchemaViolation, noted: &[Notice]) -> bool {
    let null_at =
        |field: &str| noted.iter().any(|notice| notice.kind == NoticeKind::NullField && notice.field == field);
    null_at(&violation.path)
        || (matches!(violation.path.as_str(), "" | "/")
            && matches!(violation.keyword, "oneOf" | "anyOf")
            && ["/v", "/t", "/r"].into_iter().any(null_at))
}

/// Notices for what the reading tolerated.
pub fn deviation_notices(deviations: &[Deviation]) -> Vec<Notice> {
    deviations
        .iter()
        .map(|deviation| Notice { kind: deviation.kind.into(), field: deviation.path.clone(), detail: None })
        .collect()
}

/// Notices for codes outside the value sets in force (the bundle's, else the built-in release
/// 2.12.0): unknown codes, and codes written in another case. Membership is the business
/// rules' decision; the test result is checked fail-closed by the content policy instead.
pub fn code_notices(dcc: &Dcc, bundle_value_sets: Option<&serde_json::Value>) -> Vec<Notice> {
    let mut fields: Vec<(&str, &str, &str)> = Vec::new();
    match &dcc.entry {
        Entry::Vaccination(entry) => fields.extend([
            ("/v/0/tg", value_sets::DISEASES.id, entry.disease.as_str()),
            ("/v/0/vp", value_sets::VACCINE_TYPES.id, entry.vaccine_type.as_str()),
            ("/v/0/mp", value_sets::VACCINE_PRODUCTS.id, entry.product.as_str()),
            ("/v/0/ma", value_sets::VACCINE_HOLDERS.id, entry.manufacturer.as_str()),
            ("/v/0/co", value_sets::COUNTRIES.id, entry.country.as_str()),
        ]),
        Entry::Test(entry) => {
            fields.extend([
                ("/t/0/tg", value_sets::DISEASES.id, entry.disease.as_str()),
                ("/t/0/tt", value_sets::TEST_TYPES.id, entry.test_type.as_str()),
                ("/t/0/co", value_sets::COUNTRIES.id, entry.country.as_str()),
            ]);
            if let Some(device) = &entry.device {
                fields.push(("/t/0/ma", value_sets::TEST_DEVICES.id, device.as_str()));
            }
        }
        Entry::Recovery(entry) => fields.extend([
            ("/r/0/tg", value_sets::DISEASES.id, entry.disease.as_str()),
            ("/r/0/co", value_sets::COUNTRIES.id, entry.country.as_str()),
        ]),
    }
    let mut notices = Vec::new();
    for (field, set, code) in fields {
        // Missing fields and surrounding spaces are noted by the reading already.
        if code.is_empty() || code.trim() != code || in_value_set(set, code, bundle_value_sets) {
            continue;
        }
        let kind = if in_value_set(set, &code.to_ascii_uppercase(), bundle_value_sets)
            || in_value_set(set, &code.to_ascii_lowercase(), bundle_value_sets)
        {
            NoticeKind::CodeCase
        } else {
            NoticeKind::UnknownCode
        };
        notices.push(Notice { kind, field: field.to_owned(), detail: Some(set.to_owned()) });
    }
    notices
}

fn in_value_set(set: &str, code: &str, bundle_value_sets: Option<&serde_json::Value>) -> bool {
    if let Some(codes) = bundle_value_sets.and_then(|sets| sets.get(set)).and_then(|codes| codes.as_array()) {
        return codes.iter().any(|known| known.as_str() == Some(code));
    }
    value_sets::ALL.iter().find(|known| known.id == set).is_some_and(|known| known.contains(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_fields_are_the_entry_the_result_the_times_and_the_identifier() {
        for decision in ["", "/", "/ver", "/t", "/v/0", "/r/1", "/t/0/tr", "/t/0/sc", "/r/0/df", "/r/0/du", "/v/0/ci"] {
            assert!(is_decision_field(decision), "{decision}");
        }
        for display in ["/nam", "/nam/fnt", "/dob", "/t/0/tc", "/t/0/ma", "/v/0/dt", "/v/0/dn", "/r/0/fr", "/t/0/tt"] {
            assert!(!is_decision_field(display), "{display}");
        }
    }
}
