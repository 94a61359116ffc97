//! Reading a DCC map into the typed payload, strictly or tolerantly.
//!
//! Every field has a role. A **decision** field is one a verifier cannot decide without: the
//! schema version, the single entry, a test's result and sample time, a recovery's validity
//! window, the certificate identifier (revocation is looked up by it). A **display** field is
//! shown to the controller or read only by business rules: names, date of birth, disease,
//! vaccine, manufacturer, doses, dates of vaccination and first positive test, country, issuer,
//! test type, name and centre.
//!
//! Strict reading (conformance runners, issuing) refuses a display field that is missing, of
//! the wrong type or not a calendar date, as the schema-validation checks of dgc-testdata
//! expect. Tolerant reading (the verifier) keeps what the issuer wrote in a display field and
//! records a [`Deviation`]; a decision field is refused either way. Both record what real
//! issuers wrote and the schema tolerates or the reader always accepted: unknown fields, null
//! for an absent optional field or entry list, a date-time where a date belongs, surrounding
//! whitespace.

use ciborium::Value;

use super::certificate_type::CertificateType;
use super::payload::{
    DateOfBirth, Dcc, DccDate, DccError, Entry, PersonName, RecoveryEntry, TestEntry, VaccinationEntry,
};
use crate::codec::cbor::kind_of;
use crate::time::{CivilDate, UnixTime};

/// How a reading treats a display field that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Refuse it (conformance, issuing).
    Strict,
    /// Keep what was written and record a deviation (verification).
    Tolerant,
}

/// What kind of oddity a reading met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviationKind {
    /// A key no schema release defines (the schemas allow additional properties).
    UnknownField,
    /// An optional field, or an entry list, written as null: read as absent.
    NullField,
    /// A date field holding a date-time (schema 1.0.0 passes): its date is read.
    DateTimeForDate,
    /// A date (or date of birth) that is not a calendar date: kept as written.
    DateAsWritten,
    /// A display field that is missing: shown empty.
    MissingField,
    /// A display field of the wrong type or out of range: ignored.
    UnreadableField,
    /// Text with leading or trailing whitespace: kept as written.
    Whitespace,
}

/// One oddity, at a JSON-pointer path (never with the field's content: it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// What was met.
    pub kind: DeviationKind,
    /// Where: a JSON pointer into the DCC.
    pub path: String,
}

/// A DCC and what its reading met on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The certificate as read.
    pub dcc: Dcc,
    /// What the reading met on the way.
    pub deviations: Vec<Deviation>,
}

/// Whether a field decides the verdict or is only shown (and read by business rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Decision,
    Display,
}

const ROOT_KEYS: [&str; 6] = ["ver", "nam", "dob", "v", "t", "r"];
const NAME_KEYS: [&str; 4] = ["fn", "fnt", "gn", "gnt"];
const VACCINATION_KEYS: [&str; 10] = ["tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is", "ci"];
/// `dr` (date of result) was in the test entry of releases 1.0.0–1.1.0.
const TEST_KEYS: [&str; 11] = ["tg", "tt", "nm", "ma", "sc", "dr", "tr", "tc", "co", "is", "ci"];
const RECOVERY_KEYS: [&str; 7] = ["tg", "fr", "co", "is", "df", "du", "ci"];

impl Dcc {
    /// Reads a DCC map strictly (see [`Strictness::Strict`]).
    pub fn from_value(value: &Value) -> Result<Self, DccError> {
        Self::read(value, Strictness::Strict).map(|reading| reading.dcc)
    }

    /// Reads a DCC map; the error names the first field that prevents a reading.
    pub fn read(value: &Value, strictness: Strictness) -> Result<Reading, DccError> {
        let mut reader = Reader { strictness, deviations: Vec::new() };
        let root = reader.fields(value, "", &ROOT_KEYS)?;
        let version = root.text(&mut reader, "ver", Role::Decision)?;
        let name = reader.person_name(&root)?;
        let date_of_birth = reader.date_of_birth(&root)?;
        for key in ["v", "t", "r"] {
            if root.is_null(key) {
                reader.note(DeviationKind::NullField, format!("/{key}"));
            }
        }
        let kind = match CertificateType::declared_in(value).as_slice() {
            [] => return Err(DccError::NoEntry),
            [kind] => *kind,
            more => return Err(DccError::MultipleEntries { count: more.len() }),
        };
        let key = kind.key();
        let list = root.required(key)?;
        let Value::Array(items) = list else {
            return Err(DccError::WrongType { path: format!("/{key}"), expected: "an array", found: kind_of(list) });
        };
        let item = match items.as_slice() {
            [] => return Err(DccError::NoEntry),
            [item] => item,
            more => return Err(DccError::MultipleEntries { count: more.len() }),
        };
        let entry_path = format!("/{key}/0");
        let known_keys: &[&str] = match kind {
            CertificateType::Vaccination => &VACCINATION_KEYS,
            CertificateType::Test => &TEST_KEYS,
            CertificateType::Recovery => &RECOVERY_KEYS,
        };
        let fields = reader.fields(item, &entry_path, known_keys)?;
        let entry = match kind {
            CertificateType::Vaccination => Entry::Vaccination(reader.vaccination(&fields)?),
            CertificateType::Test => Entry::Test(reader.test(&fields)?),
            CertificateType::Recovery => Entry::Recovery(reader.recovery(&fields)?),
        };
        Ok(Reading { dcc: Dcc { version, name, date_of_birth, entry }, deviations: reader.deviations })
    }
}

struct Reader {
    strictness: Strictness,
    deviations: Vec<Deviation>,
}

impl Reader {
    fn note(&mut self, kind: DeviationKind, path: String) {
        if !self.deviations.iter().any(|known| known.kind == kind && known.path == path) {
            self.deviations.push(Deviation { kind, path });
        }
    }

    /// A display field that cannot be read: an error when strict, a deviation when tolerant.
    fn unreadable(&mut self, error: DccError, kind: DeviationKind, path: String) -> Result<(), DccError> {
        match self.strictness {
            Strictness::Strict => Err(error),
            Strictness::Tolerant => {
                self.note(kind, path);
                Ok(())
            }
        }
    }

    /// The fields of a map, noting keys no release defines.
    fn fields<'a>(&mut self, value: &'a Value, path: &'a str, known: &[&str]) -> Result<Fields<'a>, DccError> {
        let Value::Map(entries) = value else {
            return Err(DccError::WrongType { path: display_path(path), expected: "a map", found: kind_of(value) });
        };
        for (key, _) in entries {
            if let Value::Text(key) = key
                && !known.contains(&key.as_str())
            {
                self.note(DeviationKind::UnknownField, format!("{path}/{}", escaped_key(key)));
            }
        }
        Ok(Fields { entries, path })
    }

    fn person_name(&mut self, root: &Fields<'_>) -> Result<PersonName, DccError> {
        let Some(value) = root.get(self, "nam") else {
            self.unreadable(DccError::Missing { path: "/nam".into() }, DeviationKind::MissingField, "/nam".into())?;
            return Ok(PersonName::default());
        };
        let fields = match self.fields(value, "/nam", &NAME_KEYS) {
            Ok(fields) => fields,
            Err(error) => {
                self.unreadable(error, DeviationKind::UnreadableField, "/nam".into())?;
                return Ok(PersonName::default());
            }
        };
        Ok(PersonName {
            family_name: fields.optional_text(self, "fn", Role::Display)?,
            family_name_transliterated: fields.optional_text(self, "fnt", Role::Display)?,
            given_name: fields.optional_text(self, "gn", Role::Display)?,
            given_name_transliterated: fields.optional_text(self, "gnt", Role::Display)?,
        })
    }

    fn date_of_birth(&mut self, root: &Fields<'_>) -> Result<DateOfBirth, DccError> {
        let Some(value) = root.get(self, "dob") else {
            self.unreadable(DccError::Missing { path: "/dob".into() }, DeviationKind::MissingField, "/dob".into())?;
            return Ok(DateOfBirth::Unknown);
        };
        let Some(text) = as_text(untag(value)) else {
            let error = DccError::WrongType { path: "/dob".into(), expected: "a text string", found: kind_of(value) };
            self.unreadable(error, DeviationKind::UnreadableField, "/dob".into())?;
            return Ok(DateOfBirth::Unknown);
        };
        if text.trim() != text {
            self.note(DeviationKind::Whitespace, "/dob".into());
        }
        match DateOfBirth::parse(text) {
            Some(date) => {
                if text.contains('T') {
                    self.note(DeviationKind::DateTimeForDate, "/dob".into());
                }
                Ok(date)
            }
            None => {
                let error =
                    DccError::Invalid { path: "/dob".into(), expected: "date of birth (YYYY, YYYY-MM or YYYY-MM-DD)" };
                self.unreadable(error, DeviationKind::DateAsWritten, "/dob".into())?;
                Ok(DateOfBirth::AsWritten(text.to_owned()))
            }
        }
    }

    fn vaccination(&mut self, fields: &Fields<'_>) -> Result<VaccinationEntry, DccError> {
        Ok(VaccinationEntry {
            disease: fields.text(self, "tg", Role::Display)?,
            vaccine_type: fields.text(self, "vp", Role::Display)?,
            product: fields.text(self, "mp", Role::Display)?,
            manufacturer: fields.text(self, "ma", Role::Display)?,
            dose_number: fields.count(self, "dn")?,
            total_doses: fields.count(self, "sd")?,
            date: fields.display_date(self, "dt")?,
            country: fields.text(self, "co", Role::Display)?,
            issuer: fields.text(self, "is", Role::Display)?,
            certificate_id: fields.text(self, "ci", Role::Decision)?,
        })
    }

    fn test(&mut self, fields: &Fields<'_>) -> Result<TestEntry, DccError> {
        Ok(TestEntry {
            disease: fields.text(self, "tg", Role::Display)?,
            test_type: fields.text(self, "tt", Role::Display)?,
            test_name: fields.optional_text(self, "nm", Role::Display)?,
            device: fields.optional_text(self, "ma", Role::Display)?,
            sample_time: fields.date_time(self, "sc")?,
            result: fields.text(self, "tr", Role::Decision)?,
            centre: fields.optional_text(self, "tc", Role::Display)?,
            country: fields.text(self, "co", Role::Display)?,
            issuer: fields.text(self, "is", Role::Display)?,
            certificate_id: fields.text(self, "ci", Role::Decision)?,
        })
    }

    fn recovery(&mut self, fields: &Fields<'_>) -> Result<RecoveryEntry, DccError> {
        Ok(RecoveryEntry {
            disease: fields.text(self, "tg", Role::Display)?,
            first_positive: fields.display_date(self, "fr")?,
            country: fields.text(self, "co", Role::Display)?,
            issuer: fields.text(self, "is", Role::Display)?,
            valid_from: fields.decision_date(self, "df")?,
            valid_until: fields.decision_date(self, "du")?,
            certificate_id: fields.text(self, "ci", Role::Decision)?,
        })
    }
}

/// Text-keyed fields of a CBOR map, with error paths built lazily.
struct Fields<'a> {
    entries: &'a [(Value, Value)],
    path: &'a str,
}

impl<'a> Fields<'a> {
    fn path(&self, key: &str) -> String {
        format!("{}/{key}", self.path)
    }

    fn lookup(&self, key: &str) -> Option<&'a Value> {
        self.entries.iter().find(|(entry_key, _)| matches!(entry_key, Value::Text(text) if text == key)).map(|(_, v)| v)
    }

    fn is_null(&self, key: &str) -> bool {
        matches!(self.lookup(key), Some(Value::Null))
    }

    /// The value under `key`; null is read as absent (and noted).
    fn get(&self, reader: &mut Reader, key: &str) -> Option<&'a Value> {
        match self.lookup(key) {
            Some(Value::Null) => {
                reader.note(DeviationKind::NullField, self.path(key));
                None
            }
            other => other,
        }
    }

    fn required(&self, key: &str) -> Result<&'a Value, DccError> {
        self.lookup(key).filter(|value| !value.is_null()).ok_or_else(|| DccError::Missing { path: self.path(key) })
    }

    fn text(&self, reader: &mut Reader, key: &str, role: Role) -> Result<String, DccError> {
        Ok(self.read_text(reader, key, role, true)?.unwrap_or_default())
    }

    fn optional_text(&self, reader: &mut Reader, key: &str, role: Role) -> Result<Option<String>, DccError> {
        self.read_text(reader, key, role, false)
    }

    fn read_text(
        &self,
        reader: &mut Reader,
        key: &str,
        role: Role,
        required: bool,
    ) -> Result<Option<String>, DccError> {
        let Some(value) = self.get(reader, key) else {
            if !required {
                return Ok(None);
            }
            let error = DccError::Missing { path: self.path(key) };
            return match role {
                Role::Decision => Err(error),
                Role::Display => reader.unreadable(error, DeviationKind::MissingField, self.path(key)).map(|()| None),
            };
        };
        let Some(text) = as_text(untag(value)) else {
            let error = DccError::WrongType { path: self.path(key), expected: "a text string", found: kind_of(value) };
            return match role {
                Role::Decision => Err(error),
                Role::Display => {
                    reader.unreadable(error, DeviationKind::UnreadableField, self.path(key)).map(|()| None)
                }
            };
        };
        if role == Role::Display && text.trim() != text {
            reader.note(DeviationKind::Whitespace, self.path(key));
        }
        Ok(Some(text.to_owned()))
    }

    /// A dose count (display: business rules decide on doses).
    fn count(&self, reader: &mut Reader, key: &str) -> Result<Option<u32>, DccError> {
        let Some(value) = self.get(reader, key) else {
            let error = DccError::Missing { path: self.path(key) };
            return reader.unreadable(error, DeviationKind::MissingField, self.path(key)).map(|()| None);
        };
        let number = match value {
            Value::Integer(integer) => Some(i128::from(*integer)),
            Value::Float(float) if float.fract() == 0.0 && float.is_finite() => Some(*float as i128),
            _ => None,
        };
        let Some(number) = number else {
            let error = DccError::WrongType { path: self.path(key), expected: "an integer", found: kind_of(value) };
            return reader.unreadable(error, DeviationKind::UnreadableField, self.path(key)).map(|()| None);
        };
        match u32::try_from(number) {
            Ok(count) => Ok(Some(count)),
            Err(_) => {
                let error = DccError::Invalid { path: self.path(key), expected: "dose count" };
                reader.unreadable(error, DeviationKind::UnreadableField, self.path(key)).map(|()| None)
            }
        }
    }

    /// A date that decides (a recovery's df/du): `YYYY-MM-DD`, tagged 1004 or untagged; a
    /// date-time's date is accepted (dgc-testdata PL/*/11: `"dt": "2021-03-18T22:54:00+02:00"`).
    fn decision_date(&self, reader: &mut Reader, key: &str) -> Result<CivilDate, DccError> {
        let value = self.required(key)?;
        let text = as_text(untag(value)).ok_or_else(|| DccError::WrongType {
            path: self.path(key),
            expected: "a date text",
            found: kind_of(value),
        })?;
        self.calendar_date(reader, key, text)
            .ok_or_else(|| DccError::Invalid { path: self.path(key), expected: "date (YYYY-MM-DD)" })
    }

    /// A date only shown and read by rules: kept as written when it is not a calendar date.
    fn display_date(&self, reader: &mut Reader, key: &str) -> Result<DccDate, DccError> {
        let Some(value) = self.get(reader, key) else {
            let error = DccError::Missing { path: self.path(key) };
            return reader
                .unreadable(error, DeviationKind::MissingField, self.path(key))
                .map(|()| DccDate::AsWritten(String::new()));
        };
        let Some(text) = as_text(untag(value)) else {
            let error = DccError::WrongType { path: self.path(key), expected: "a date text", found: kind_of(value) };
            return reader
                .unreadable(error, DeviationKind::UnreadableField, self.path(key))
                .map(|()| DccDate::AsWritten(String::new()));
        };
        match self.calendar_date(reader, key, text) {
            Some(date) => Ok(DccDate::Calendar(date)),
            None => {
                let error = DccError::Invalid { path: self.path(key), expected: "date (YYYY-MM-DD)" };
                reader
                    .unreadable(error, DeviationKind::DateAsWritten, self.path(key))
                    .map(|()| DccDate::AsWritten(text.to_owned()))
            }
        }
    }

    fn calendar_date(&self, reader: &mut Reader, key: &str, text: &str) -> Option<CivilDate> {
        let date_part = text.get(..10).filter(|_| text.len() == 10 || text.as_bytes().get(10) == Some(&b'T'))?;
        let date = CivilDate::parse(date_part).ok()?;
        if text.len() > 10 {
            reader.note(DeviationKind::DateTimeForDate, self.path(key));
        }
        Some(date)
    }

    /// A date-time that decides (a test's sample time): RFC 3339 text, tagged 0 or untagged,
    /// or an epoch number under tag 1.
    fn date_time(&self, reader: &mut Reader, key: &str) -> Result<UnixTime, DccError> {
        let value = match self.get(reader, key) {
            Some(value) => value,
            None => return Err(DccError::Missing { path: self.path(key) }),
        };
        let invalid = || DccError::Invalid { path: self.path(key), expected: "date-time (RFC 3339)" };
        match value {
            Value::Tag(1, epoch) => crate::codec::cwt::numeric_date(epoch, "date-time").map_err(|_| invalid()),
            _ => {
                let text = as_text(untag(value)).ok_or_else(|| DccError::WrongType {
                    path: self.path(key),
                    expected: "a date-time text",
                    found: kind_of(value),
                })?;
                UnixTime::parse_rfc3339(text).map_err(|_| invalid())
            }
        }
    }
}

fn display_path(path: &str) -> String {
    if path.is_empty() { "/".into() } else { path.into() }
}

/// A key from the pass as a path segment: JSON-pointer escaping, control characters escaped,
/// at most 32 characters (keys are chosen by whoever wrote the pass).
fn escaped_key(key: &str) -> String {
    let mut shown: String =
        key.chars().take(32).flat_map(char::escape_debug).collect::<String>().replace('~', "~0").replace('/', "~1");
    if key.chars().count() > 32 {
        shown.push('…');
    }
    shown
}

/// The content of a tag 0 (date-time text) or 1004 (date text); other values unchanged.
pub(crate) fn untag(value: &Value) -> &Value {
    match value {
        Value::Tag(0 | 1004, inner) => inner,
        other => other,
    }
}

fn as_text(value: &Value) -> Option<&str> {
    match value {
        Value::Text(text) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcc::payload::{TEST_RESULT_NOT_DETECTED, TEST_TYPE_RAPID_ANTIGEN};

    fn sample_test_dcc() -> Dcc {
        Dcc {
            version: "1.3.0".into(),
            name: PersonName {
                family_name: Some("Musterfrau-Gößinger".into()),
                family_name_transliterated: Some("MUSTERFRAU<GOESSINGER".into()),
                given_name: Some("Gabriele".into()),
                given_name_transliterated: Some("GABRIELE".into()),
            },
            date_of_birth: DateOfBirth::Full(CivilDate::parse("1998-02-26").unwrap()),
            entry: Entry::Test(TestEntry {
                disease: "840539006".into(),
                test_type: TEST_TYPE_RAPID_ANTIGEN.into(),
                test_name: None,
                device: Some("1232".into()),
                sample_time: UnixTime::parse_rfc3339("2021-02-20T12:34:56Z").unwrap(),
                result: TEST_RESULT_NOT_DETECTED.into(),
                centre: Some("Testing centre Vienna 1".into()),
                country: "AT".into(),
                issuer: "Ministry of Health, Austria".into(),
                certificate_id: "URN:UVCI:01:AT:B5921A35D6A0D696421B3E2462178297#I".into(),
            }),
        }
    }

    fn text(value: &str) -> Value {
        Value::Text(value.into())
    }

    /// Sets `key` of the map at `path` (root when empty) to `value`, or removes it with None.
    fn edit(value: &mut Value, path: &[&str], key: &str, new: Option<Value>) {
        let mut current = value;
        for step in path {
            current = match current {
                Value::Map(entries) => &mut entries.iter_mut().find(|(k, _)| *k == text(step)).unwrap().1,
                Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
                _ => unreachable!(),
            };
        }
        let Value::Map(entries) = current else { unreachable!() };
        entries.retain(|(k, _)| *k != text(key));
        if let Some(new) = new {
            entries.push((text(key), new));
        }
    }

    fn kinds(reading: &Reading) -> Vec<(DeviationKind, &str)> {
        reading.deviations.iter().map(|deviation| (deviation.kind, deviation.path.as_str())).collect()
    }

    #[test]
    fn round_trips_through_cbor_without_deviations() {
        let dcc = sample_test_dcc();
        assert_eq!(Dcc::from_value(&dcc.to_value()).unwrap(), dcc);
        let reading = Dcc::read(&dcc.to_value(), Strictness::Tolerant).unwrap();
        assert!(reading.deviations.is_empty(), "{:?}", reading.deviations);
    }

    #[test]
    fn reads_partial_dates_of_birth() {
        assert_eq!(DateOfBirth::parse(""), Some(DateOfBirth::Unknown));
        assert_eq!(DateOfBirth::parse("1964"), Some(DateOfBirth::Year(1964)));
        assert_eq!(DateOfBirth::parse("1964-08"), Some(DateOfBirth::YearMonth(1964, 8)));
        assert_eq!(DateOfBirth::parse("1964-13"), None);
        assert_eq!(DateOfBirth::parse("1964-02-30"), None);
        assert_eq!(DateOfBirth::parse("64"), None);
        assert_eq!(DateOfBirth::parse("1978-01-26T00:00:00").map(|d| d.to_string()), Some("1978-01-26".into()));
    }

    #[test]
    fn a_date_of_birth_that_is_not_a_calendar_date_is_kept_as_written_when_tolerant() {
        let mut value = sample_test_dcc().to_value();
        edit(&mut value, &[], "dob", Some(text("1989-00-20")));
        assert!(matches!(Dcc::from_value(&value), Err(DccError::Invalid { .. })), "strict reading refuses it");
        let reading = Dcc::read(&value, Strictness::Tolerant).unwrap();
        assert_eq!(reading.dcc.date_of_birth.to_string(), "1989-00-20");
        assert_eq!(kinds(&reading), [(DeviationKind::DateAsWritten, "/dob")]);
    }

    #[test]
    fn display_fields_are_kept_and_noted_while_decision_fields_are_refused() {
        let mut value = sample_test_dcc().to_value();
        edit(&mut value, &["t", "0"], "is", None);
        edit(&mut value, &["t", "0"], "ma", Some(Value::Null));
        edit(&mut value, &["t", "0"], "co", Some(text(" FR ")));
        edit(&mut value, &["t", "0"], "xx", Some(text("unknown")));
        edit(&mut value, &[], "nam", Some(Value::Integer(3.into())));
        let reading = Dcc::read(&value, Strictness::Tolerant).unwrap();
        let found = kinds(&reading);
        for expected in [
            (DeviationKind::MissingField, "/t/0/is"),
            (DeviationKind::NullField, "/t/0/ma"),
            (DeviationKind::Whitespace, "/t/0/co"),
            (DeviationKind::UnknownField, "/t/0/xx"),
            (DeviationKind::UnreadableField, "/nam"),
        ] {
            assert!(found.contains(&expected), "{expected:?} not in {found:?}");
        }
        assert!(Dcc::from_value(&value).is_err(), "strict reading refuses the missing issuer");

        for (key, new) in [("tr", None), ("sc", Some(text("yesterday"))), ("ci", Some(Value::Integer(1.into())))] {
            let mut value = sample_test_dcc().to_value();
            edit(&mut value, &["t", "0"], key, new);
            assert!(Dcc::read(&value, Strictness::Tolerant).is_err(), "{key} decides");
        }
    }

    #[test]
    fn refuses_two_entries_and_names_missing_fields_without_content() {
        let mut value = sample_test_dcc().to_value();
        if let Value::Map(entries) = &mut value {
            let tests = entries.iter().find(|(key, _)| key == &text("t")).unwrap().1.clone();
            entries.push((text("v"), tests));
        }
        assert_eq!(Dcc::read(&value, Strictness::Tolerant), Err(DccError::MultipleEntries { count: 2 }));

        let mut value = sample_test_dcc().to_value();
        edit(&mut value, &[], "dob", None);
        let error = Dcc::from_value(&value).unwrap_err();
        assert_eq!(error.to_string(), "/dob is missing");
    }

    #[test]
    fn debug_output_carries_no_names_or_birth_dates() {
        let dcc = sample_test_dcc();
        let shown = format!("{dcc:?} {:?} {:?}", dcc.name, DateOfBirth::AsWritten("1989-00-20".into()));
        for secret in ["Musterfrau", "GOESSINGER", "Gabriele", "GABRIELE", "1998", "02-26", "1989"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<redacted>"));
    }
}
