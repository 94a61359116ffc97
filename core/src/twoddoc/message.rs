//! The message zone: a data identifier of two characters, then its value. A fixed-length value
//! has no terminator; a variable-length one ends with GS (0x1D), or RS (0x1E) when it was
//! truncated, and has none when it has its maximum length or the signature follows (FORMAT.md
//! "Message": this terminator rule comes from implementations — nipo/tdd, spyrosap — and
//! TousAntiCovid's expressions, which accept GS or RS).

use super::header::DocumentType;

const GS: u8 = 0x1d;
const RS: u8 = 0x1e;

/// What a field's value may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueRule {
    /// Printable ASCII (names, free text).
    Text,
    /// Upper-case letters, digits and `-` (analysis and ATC codes; a LOINC code may carry its
    /// check digit after a dash, `94309-2`).
    Code,
    /// Decimal digits (dates as DDMMYYYY, date-times as DDMMYYYYHHmm, counts).
    Digits,
    /// One of the listed values.
    OneOf(&'static [&'static str]),
}

/// A data identifier of a document type, with its length bounds.
#[derive(Debug, Clone, Copy)]
struct FieldSpec {
    id: &'static str,
    label: &'static str,
    min: usize,
    max: usize,
    rule: ValueRule,
}

const fn spec(id: &'static str, label: &'static str, min: usize, max: usize, rule: ValueRule) -> FieldSpec {
    FieldSpec { id, label, min, max, rule }
}

/// B2, the test result (spyrosap `data_ids.json`; TousAntiCovid `WalletCertificate.kt`).
const TEST_RESULT_FIELDS: [FieldSpec; 7] = [
    spec("F0", "first names", 0, 60, ValueRule::Text),
    spec("F1", "surname", 0, 38, ValueRule::Text),
    spec("F2", "date of birth (DDMMYYYY)", 8, 8, ValueRule::Digits),
    spec("F3", "sex (M, F or U)", 1, 1, ValueRule::OneOf(&["M", "F", "U"])),
    spec("F4", "analysis code (LOINC)", 3, 7, ValueRule::Code),
    spec("F5", "result (P, N, I or X)", 1, 1, ValueRule::OneOf(&["P", "N", "I", "X"])),
    spec("F6", "sampling date-time (DDMMYYYYHHmm)", 12, 12, ValueRule::Digits),
];

/// L1, the vaccination certificate (same sources).
const VACCINATION_FIELDS: [FieldSpec; 11] = [
    spec("L0", "surname", 0, 80, ValueRule::Text),
    spec("L1", "first names", 0, 80, ValueRule::Text),
    spec("L2", "date of birth (DDMMYYYY)", 8, 8, ValueRule::Digits),
    spec("L3", "disease", 0, 30, ValueRule::Text),
    spec("L4", "prophylactic agent (ATC code)", 5, 15, ValueRule::Code),
    spec("L5", "vaccine", 5, 30, ValueRule::Text),
    spec("L6", "maker", 5, 30, ValueRule::Text),
    spec("L7", "rank of the last dose", 1, 1, ValueRule::Digits),
    spec("L8", "number of doses expected", 1, 1, ValueRule::Digits),
    spec("L9", "date of the last dose (DDMMYYYY)", 8, 8, ValueRule::Digits),
    spec("LA", "cycle state (CO or TE)", 2, 2, ValueRule::Text),
];

fn catalogue(document_type: &DocumentType) -> &'static [FieldSpec] {
    match document_type {
        DocumentType::TestResult => &TEST_RESULT_FIELDS,
        DocumentType::Vaccination => &VACCINATION_FIELDS,
        DocumentType::Other(_) => &[],
    }
}

/// One field as written. `Debug` shows the id and the value's length, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Field {
    /// The data identifier (`F1`).
    pub id: String,
    /// The value.
    pub value: String,
    /// Ended with RS: the issuer truncated a longer value.
    pub truncated: bool,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field({}, {} chars{})", self.id, self.value.len(), if self.truncated { ", truncated" } else { "" })
    }
}

/// The message zone, read for B2 and L1; other types are signed but not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The fields in the order written (empty for other document types).
    pub fields: Vec<Field>,
    /// The document type's fields are unknown here, so the message was not read.
    pub unread: bool,
}

/// Why a message cannot be read. Values are never quoted: they are names and birth dates.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("at character {position}: a data identifier is two upper-case letters or digits")]
    BadIdentifier { position: usize },
    #[error("at character {position}: {id} is not a field of document type {document_type}")]
    UnknownField { id: String, document_type: String, position: usize },
    #[error("field {id} appears twice")]
    Repeated { id: String },
    #[error("field {id} ({label}) is missing")]
    Missing { id: &'static str, label: &'static str },
    #[error("field {id} ({label}) has {found} characters; it takes {min} to {max}")]
    Length { id: &'static str, label: &'static str, found: usize, min: usize, max: usize },
    #[error("field {id} must be the {label}")]
    Value { id: &'static str, label: &'static str },
}

impl Message {
    /// Reads `body` (the text between header and signature) as the fields of `document_type`.
    pub fn parse(document_type: DocumentType, body: &str) -> Result<Self, MessageError> {
        let specs = catalogue(&document_type);
        if specs.is_empty() {
            return Ok(Self { fields: Vec::new(), unread: true });
        }
        let bytes = body.as_bytes();
        let mut fields: Vec<Field> = Vec::with_capacity(specs.len());
        let mut position = 0;
        while position < bytes.len() {
            let id = body
                .get(position..position + 2)
                .filter(|id| id.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit()))
                .ok_or(MessageError::BadIdentifier { position })?;
            let spec = specs.iter().find(|spec| spec.id == id).ok_or_else(|| MessageError::UnknownField {
                id: id.to_owned(),
                document_type: document_type.code().to_owned(),
                position,
            })?;
            if fields.iter().any(|field| field.id == spec.id) {
                return Err(MessageError::Repeated { id: id.to_owned() });
            }
            let start = position + 2;
            let (value, terminator) = read_value(bytes, start, spec);
            let value = body.get(start..start + value).unwrap_or_default();
            check_value(spec, value)?;
            fields.push(Field { id: spec.id.to_owned(), value: value.to_owned(), truncated: terminator == Some(RS) });
            position = start + value.len() + usize::from(terminator.is_some());
        }
        if let Some(missing) = specs.iter().find(|spec| !fields.iter().any(|field| field.id == spec.id)) {
            return Err(MessageError::Missing { id: missing.id, label: missing.label });
        }
        Ok(Self { fields, unread: false })
    }

    /// The value of field `id`, if present.
    pub fn value(&self, id: &str) -> Option<&str> {
        self.fields.iter().find(|field| field.id == id).map(|field| field.value.as_str())
    }
}

/// The length of the value starting at `start`, and the terminator that ends it, if any.
fn read_value(bytes: &[u8], start: usize, spec: &FieldSpec) -> (usize, Option<u8>) {
    let rest = bytes.get(start..).unwrap_or_default();
    if spec.min == spec.max {
        // Fixed length: no terminator; a shorter remainder is caught by the length check.
        let length = rest.iter().take(spec.max).take_while(|&&byte| byte != GS && byte != RS).count();
        return (length, None);
    }
    let length = rest.iter().take(spec.max).take_while(|&&byte| byte != GS && byte != RS).count();
    match rest.get(length) {
        Some(&byte) if byte == GS || byte == RS => (length, Some(byte)),
        _ => (length, None),
    }
}

fn check_value(spec: &FieldSpec, value: &str) -> Result<(), MessageError> {
    let length = value.len();
    if length < spec.min || length > spec.max {
        return Err(MessageError::Length {
            id: spec.id,
            label: spec.label,
            found: length,
            min: spec.min,
            max: spec.max,
        });
    }
    let fits = match spec.rule {
        ValueRule::Text => value.bytes().all(|byte| (b' '..=b'~').contains(&byte)),
        ValueRule::Code => value.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-'),
        ValueRule::Digits => value.bytes().all(|byte| byte.is_ascii_digit()),
        ValueRule::OneOf(allowed) => allowed.contains(&value),
    };
    if fits { Ok(()) } else { Err(MessageError::Value { id: spec.id, label: spec.label }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B2: &str = "F0JEAN LOUIS/EDOUARD\u{1d}F1DUPOND\u{1d}F225111980F3MF494309\u{1d}F5NF6110320211452";

    #[test]
    fn fixed_fields_have_no_terminator_and_variable_ones_end_with_gs() {
        let message = Message::parse(DocumentType::TestResult, B2).unwrap();
        let ids: Vec<_> = message.fields.iter().map(|field| field.id.as_str()).collect();
        assert_eq!(ids, ["F0", "F1", "F2", "F3", "F4", "F5", "F6"]);
        assert_eq!(message.value("F0"), Some("JEAN LOUIS/EDOUARD"));
        assert_eq!(message.value("F4"), Some("94309"));
        assert_eq!(message.value("F6"), Some("110320211452"));
        assert!(message.fields.iter().all(|field| !field.truncated));
    }

    #[test]
    fn rs_marks_a_truncated_value() {
        let message = Message::parse(DocumentType::TestResult, &B2.replace("DUPOND\u{1d}", "DUPOND\u{1e}")).unwrap();
        let surname = message.fields.iter().find(|field| field.id == "F1").unwrap();
        assert!(surname.truncated);
        assert_eq!(surname.value, "DUPOND");
    }

    #[test]
    fn a_variable_value_of_maximum_length_needs_no_terminator() {
        let surname = "A".repeat(38);
        let body = B2.replace("F1DUPOND\u{1d}", &format!("F1{surname}"));
        let message = Message::parse(DocumentType::TestResult, &body).unwrap();
        assert_eq!(message.value("F1"), Some(surname.as_str()));
    }

    #[test]
    fn a_variable_value_at_the_end_needs_no_terminator() {
        let body = "F0A\u{1d}F1B\u{1d}F201011990F3FF5NF6010120211200F494309";
        let message = Message::parse(DocumentType::TestResult, body).unwrap();
        assert_eq!(message.value("F4"), Some("94309"));
    }

    #[test]
    fn field_rules_are_enforced_without_quoting_values() {
        let short_date = B2.replace("F225111980", "F2251119");
        let error = Message::parse(DocumentType::TestResult, &short_date).unwrap_err();
        assert!(
            matches!(error, MessageError::Value { id: "F2", .. } | MessageError::Length { id: "F2", .. }),
            "{error}"
        );
        assert!(!error.to_string().contains("2511"));
        let bad_sex = B2.replace("F3M", "F3Z");
        assert_eq!(
            Message::parse(DocumentType::TestResult, &bad_sex),
            Err(MessageError::Value { id: "F3", label: "sex (M, F or U)" })
        );
        let with_check_digit = B2.replace("F494309", "F494309-2");
        assert_eq!(Message::parse(DocumentType::TestResult, &with_check_digit).unwrap().value("F4"), Some("94309-2"));
        let short_code = B2.replace("F494309", "F49");
        assert!(matches!(
            Message::parse(DocumentType::TestResult, &short_code),
            Err(MessageError::Length { id: "F4", found: 1, .. })
        ));
    }

    #[test]
    fn unknown_repeated_and_missing_fields_are_refused() {
        let unknown = format!("{B2}Z9X");
        assert!(matches!(Message::parse(DocumentType::TestResult, &unknown), Err(MessageError::UnknownField { .. })));
        let repeated = format!("{B2}F3M");
        assert_eq!(
            Message::parse(DocumentType::TestResult, &repeated),
            Err(MessageError::Repeated { id: "F3".into() })
        );
        let missing = B2.replace("F5N", "");
        assert!(matches!(
            Message::parse(DocumentType::TestResult, &missing),
            Err(MessageError::Missing { id: "F5", .. })
        ));
        assert!(matches!(
            Message::parse(DocumentType::TestResult, "f0"),
            Err(MessageError::BadIdentifier { position: 0 })
        ));
    }

    #[test]
    fn vaccination_fields_read_with_their_lengths() {
        let body = "L0DUPONT\u{1d}L1PAUL\u{1d}L201011951L3COVID-19\u{1d}L4J07BX03\u{1d}L5PFIZER/BIONTECH - COMIRNATY\u{1d}L6PFIZER/BIONTECH - COMIRNATY\u{1d}L72L82L930042021LATE";
        let message = Message::parse(DocumentType::Vaccination, body).unwrap();
        assert_eq!(message.value("L4"), Some("J07BX03"));
        assert_eq!(message.value("LA"), Some("TE"));
        assert_eq!(message.fields.len(), 11);
    }

    #[test]
    fn other_document_types_are_left_unread() {
        let message = Message::parse(DocumentType::Other("01".into()), "10ANYTHING").unwrap();
        assert!(message.unread);
        assert!(message.fields.is_empty());
    }
}
