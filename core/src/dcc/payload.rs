//! The typed EU DCC payload (eu-dcc-schema, every release 1.0.0–1.3.x).
//!
//! Reading is tolerant where real issuers were (dates tagged or untagged, a vaccination date
//! written as a date-time, null for an absent entry list); everything read is a well-formed
//! value. Whether the payload obeys the schema of its version is a separate check
//! ([`super::schema`]), so a pass can be shown *and* reported as non-conforming.

use std::fmt;

use ciborium::Value;

use super::certificate_type::CertificateType;
use crate::codec::cbor::kind_of;
use crate::time::{CivilDate, UnixTime};

/// SNOMED CT codes of the test-result value set (`covid-19-lab-result`).
pub const TEST_RESULT_NOT_DETECTED: &str = "260415000";
pub const TEST_RESULT_DETECTED: &str = "260373001";
/// LOINC codes of the test-type value set (`covid-19-lab-test-type`).
pub const TEST_TYPE_NAAT: &str = "LP6464-4";
pub const TEST_TYPE_RAPID_ANTIGEN: &str = "LP217198-3";

/// Why a DCC map could not be read as a certificate. Paths are JSON pointers; no field
/// content is ever included, since it may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DccError {
    #[error("{path} is missing")]
    Missing { path: String },
    #[error("{path} must be {expected}, found {found}")]
    WrongType { path: String, expected: &'static str, found: &'static str },
    #[error("{path} is not a valid {expected}")]
    Invalid { path: String, expected: &'static str },
    #[error("the DCC holds no vaccination, test or recovery entry")]
    NoEntry,
    #[error("the DCC holds {count} entries; exactly one is allowed")]
    MultipleEntries { count: usize },
}

/// A health certificate: who it is about and the one statement it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dcc {
    /// Schema version the issuer declares (`ver`), e.g. "1.3.0".
    pub version: String,
    pub name: PersonName,
    pub date_of_birth: DateOfBirth,
    pub entry: Entry,
}

/// `nam`: names as printed and in ICAO 9303 machine-readable form. `Debug` shows which names
/// are present, never their content (logs and panics must not carry personal data).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PersonName {
    pub family_name: Option<String>,
    pub family_name_transliterated: Option<String>,
    pub given_name: Option<String>,
    pub given_name_transliterated: Option<String>,
}

/// `dob`: a full date, a year and month, a year, or empty when unknown (schema 1.3.0+).
/// `Debug` shows the precision, never the date.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DateOfBirth {
    Unknown,
    Year(u16),
    YearMonth(u16, u8),
    Full(CivilDate),
}

/// The single statement of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Vaccination(VaccinationEntry),
    Test(TestEntry),
    Recovery(RecoveryEntry),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaccinationEntry {
    pub disease: String,
    pub vaccine_type: String,
    pub product: String,
    pub manufacturer: String,
    pub dose_number: u32,
    pub total_doses: u32,
    pub date: CivilDate,
    pub country: String,
    pub issuer: String,
    pub certificate_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestEntry {
    pub disease: String,
    pub test_type: String,
    pub test_name: Option<String>,
    /// Rapid-test device identifier (`ma`), from the `covid-19-lab-test-manufacturer-and-name` value set.
    pub device: Option<String>,
    pub sample_time: UnixTime,
    pub result: String,
    pub centre: Option<String>,
    pub country: String,
    pub issuer: String,
    pub certificate_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryEntry {
    pub disease: String,
    pub first_positive: CivilDate,
    pub country: String,
    pub issuer: String,
    pub valid_from: CivilDate,
    pub valid_until: CivilDate,
    pub certificate_id: String,
}

impl Dcc {
    /// Reads a DCC map.
    pub fn from_value(value: &Value) -> Result<Self, DccError> {
        let root = Fields::of(value, "")?;
        let version = root.text("ver")?;
        let name = PersonName::from_value(root.required("nam")?)?;
        let date_of_birth = DateOfBirth::from_value(root.required("dob")?)?;
        let declared = CertificateType::declared_in(value);
        let kind = match declared.as_slice() {
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
        let fields = Fields::of(item, &entry_path)?;
        let entry = match kind {
            CertificateType::Vaccination => Entry::Vaccination(VaccinationEntry::from_fields(&fields)?),
            CertificateType::Test => Entry::Test(TestEntry::from_fields(&fields)?),
            CertificateType::Recovery => Entry::Recovery(RecoveryEntry::from_fields(&fields)?),
        };
        Ok(Self { version, name, date_of_birth, entry })
    }

    pub fn certificate_type(&self) -> CertificateType {
        match self.entry {
            Entry::Vaccination(_) => CertificateType::Vaccination,
            Entry::Test(_) => CertificateType::Test,
            Entry::Recovery(_) => CertificateType::Recovery,
        }
    }

    /// The unique certificate identifier (UVCI) of the entry.
    pub fn certificate_id(&self) -> &str {
        match &self.entry {
            Entry::Vaccination(entry) => &entry.certificate_id,
            Entry::Test(entry) => &entry.certificate_id,
            Entry::Recovery(entry) => &entry.certificate_id,
        }
    }

    /// The country the entry names (`co`).
    pub fn entry_country(&self) -> &str {
        match &self.entry {
            Entry::Vaccination(entry) => &entry.country,
            Entry::Test(entry) => &entry.country,
            Entry::Recovery(entry) => &entry.country,
        }
    }

    /// Encodes the DCC as the CBOR map issuers sign (date-times as RFC 3339 text, untagged).
    pub fn to_value(&self) -> Value {
        let entry = match &self.entry {
            Entry::Vaccination(entry) => entry.to_value(),
            Entry::Test(entry) => entry.to_value(),
            Entry::Recovery(entry) => entry.to_value(),
        };
        map(vec![
            ("ver", text(&self.version)),
            ("nam", self.name.to_value()),
            ("dob", text(&self.date_of_birth.to_string())),
            (self.certificate_type().key(), Value::Array(vec![entry])),
        ])
    }
}

impl PersonName {
    fn from_value(value: &Value) -> Result<Self, DccError> {
        let fields = Fields::of(value, "/nam")?;
        Ok(Self {
            family_name: fields.optional_text("fn")?,
            family_name_transliterated: fields.optional_text("fnt")?,
            given_name: fields.optional_text("gn")?,
            given_name_transliterated: fields.optional_text("gnt")?,
        })
    }

    fn to_value(&self) -> Value {
        let mut entries = Vec::new();
        for (key, field) in [
            ("fn", &self.family_name),
            ("fnt", &self.family_name_transliterated),
            ("gn", &self.given_name),
            ("gnt", &self.given_name_transliterated),
        ] {
            if let Some(field) = field {
                entries.push((key, text(field)));
            }
        }
        map(entries)
    }
}

impl DateOfBirth {
    /// Reads `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or the empty string.
    ///
    /// Schema 1.0.0 wanted a full date; 1.3.0 allows the partial forms and "" (unknown).
    /// dgc-testdata BG/1 writes a date-time ("1978-01-26T00:00:00"); its date is read.
    pub fn parse(text: &str) -> Option<Self> {
        let date_part = text.split_once('T').map_or(text, |(date, _)| date);
        let parts: Vec<&str> = date_part.split('-').collect();
        let number = |part: &str, width: usize| {
            (part.len() == width && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
        };
        match parts.as_slice() {
            [""] => Some(Self::Unknown),
            [year] => number(year, 4).map(Self::Year),
            [year, month] => {
                let (year, month) = (number(year, 4)?, number(month, 2)?);
                (1..=12).contains(&month).then_some(Self::YearMonth(year, month as u8))
            }
            [_, _, _] => CivilDate::parse(date_part).ok().map(Self::Full),
            _ => None,
        }
    }

    fn from_value(value: &Value) -> Result<Self, DccError> {
        let text = as_text(untag(value)).ok_or(DccError::WrongType {
            path: "/dob".into(),
            expected: "a text string",
            found: kind_of(value),
        })?;
        Self::parse(text)
            .ok_or(DccError::Invalid { path: "/dob".into(), expected: "date of birth (YYYY, YYYY-MM or YYYY-MM-DD)" })
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |field: &Option<String>| if field.is_some() { "<redacted>" } else { "None" };
        f.debug_struct("PersonName")
            .field("family_name", &format_args!("{}", shown(&self.family_name)))
            .field("family_name_transliterated", &format_args!("{}", shown(&self.family_name_transliterated)))
            .field("given_name", &format_args!("{}", shown(&self.given_name)))
            .field("given_name_transliterated", &format_args!("{}", shown(&self.given_name_transliterated)))
            .finish()
    }
}

impl fmt::Debug for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unknown => "DateOfBirth::Unknown",
            Self::Year(_) => "DateOfBirth::Year(<redacted>)",
            Self::YearMonth(..) => "DateOfBirth::YearMonth(<redacted>)",
            Self::Full(_) => "DateOfBirth::Full(<redacted>)",
        })
    }
}

impl fmt::Display for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown => Ok(()),
            Self::Year(year) => write!(f, "{year:04}"),
            Self::YearMonth(year, month) => write!(f, "{year:04}-{month:02}"),
            Self::Full(date) => write!(f, "{date}"),
        }
    }
}

impl VaccinationEntry {
    fn from_fields(fields: &Fields<'_>) -> Result<Self, DccError> {
        Ok(Self {
            disease: fields.text("tg")?,
            vaccine_type: fields.text("vp")?,
            product: fields.text("mp")?,
            manufacturer: fields.text("ma")?,
            dose_number: fields.count("dn")?,
            total_doses: fields.count("sd")?,
            date: fields.date("dt")?,
            country: fields.text("co")?,
            issuer: fields.text("is")?,
            certificate_id: fields.text("ci")?,
        })
    }

    fn to_value(&self) -> Value {
        map(vec![
            ("tg", text(&self.disease)),
            ("vp", text(&self.vaccine_type)),
            ("mp", text(&self.product)),
            ("ma", text(&self.manufacturer)),
            ("dn", Value::Integer(self.dose_number.into())),
            ("sd", Value::Integer(self.total_doses.into())),
            ("dt", text(&self.date.to_string())),
            ("co", text(&self.country)),
            ("is", text(&self.issuer)),
            ("ci", text(&self.certificate_id)),
        ])
    }
}

impl TestEntry {
    fn from_fields(fields: &Fields<'_>) -> Result<Self, DccError> {
        Ok(Self {
            disease: fields.text("tg")?,
            test_type: fields.text("tt")?,
            test_name: fields.optional_text("nm")?,
            device: fields.optional_text("ma")?,
            sample_time: fields.date_time("sc")?,
            result: fields.text("tr")?,
            centre: fields.optional_text("tc")?,
            country: fields.text("co")?,
            issuer: fields.text("is")?,
            certificate_id: fields.text("ci")?,
        })
    }

    pub fn is_positive(&self) -> bool {
        self.result == TEST_RESULT_DETECTED
    }

    fn to_value(&self) -> Value {
        let mut entries = vec![("tg", text(&self.disease)), ("tt", text(&self.test_type))];
        if let Some(name) = &self.test_name {
            entries.push(("nm", text(name)));
        }
        if let Some(device) = &self.device {
            entries.push(("ma", text(device)));
        }
        entries.push(("sc", text(&self.sample_time.to_rfc3339())));
        entries.push(("tr", text(&self.result)));
        if let Some(centre) = &self.centre {
            entries.push(("tc", text(centre)));
        }
        entries.extend([("co", text(&self.country)), ("is", text(&self.issuer)), ("ci", text(&self.certificate_id))]);
        map(entries)
    }
}

impl RecoveryEntry {
    fn from_fields(fields: &Fields<'_>) -> Result<Self, DccError> {
        Ok(Self {
            disease: fields.text("tg")?,
            first_positive: fields.date("fr")?,
            country: fields.text("co")?,
            issuer: fields.text("is")?,
            valid_from: fields.date("df")?,
            valid_until: fields.date("du")?,
            certificate_id: fields.text("ci")?,
        })
    }

    fn to_value(&self) -> Value {
        map(vec![
            ("tg", text(&self.disease)),
            ("fr", text(&self.first_positive.to_string())),
            ("co", text(&self.country)),
            ("is", text(&self.issuer)),
            ("df", text(&self.valid_from.to_string())),
            ("du", text(&self.valid_until.to_string())),
            ("ci", text(&self.certificate_id)),
        ])
    }
}

/// Looks up text-keyed fields of a CBOR map, building error paths lazily.
struct Fields<'a> {
    entries: &'a [(Value, Value)],
    path: &'a str,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, path: &'a str) -> Result<Self, DccError> {
        match value {
            Value::Map(entries) => Ok(Self { entries, path }),
            other => Err(DccError::WrongType { path: display_path(path), expected: "a map", found: kind_of(other) }),
        }
    }

    fn path(&self, key: &str) -> String {
        format!("{}/{key}", self.path)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(entry_key, value)| matches!(entry_key, Value::Text(text) if text == key) && !value.is_null())
            .map(|(_, value)| value)
    }

    fn required(&self, key: &str) -> Result<&'a Value, DccError> {
        self.get(key).ok_or_else(|| DccError::Missing { path: self.path(key) })
    }

    fn text(&self, key: &str) -> Result<String, DccError> {
        let value = self.required(key)?;
        as_text(untag(value)).map(str::to_owned).ok_or_else(|| DccError::WrongType {
            path: self.path(key),
            expected: "a text string",
            found: kind_of(value),
        })
    }

    fn optional_text(&self, key: &str) -> Result<Option<String>, DccError> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.text(key).map(Some),
        }
    }

    fn count(&self, key: &str) -> Result<u32, DccError> {
        let value = self.required(key)?;
        let number = match value {
            Value::Integer(integer) => i128::from(*integer),
            Value::Float(float) if float.fract() == 0.0 && float.is_finite() => *float as i128,
            other => {
                return Err(DccError::WrongType {
                    path: self.path(key),
                    expected: "an integer",
                    found: kind_of(other),
                });
            }
        };
        u32::try_from(number).map_err(|_| DccError::Invalid { path: self.path(key), expected: "dose count" })
    }

    /// A date: `YYYY-MM-DD`, tagged 1004 or untagged; a date-time's date is accepted
    /// (dgc-testdata PL/*/11: `"dt": "2021-03-18T22:54:00+02:00"`).
    fn date(&self, key: &str) -> Result<CivilDate, DccError> {
        let value = self.required(key)?;
        let text = as_text(untag(value)).ok_or_else(|| DccError::WrongType {
            path: self.path(key),
            expected: "a date text",
            found: kind_of(value),
        })?;
        let date_part = text.get(..10).filter(|_| text.len() == 10 || text.as_bytes().get(10) == Some(&b'T'));
        date_part
            .and_then(|date| CivilDate::parse(date).ok())
            .ok_or_else(|| DccError::Invalid { path: self.path(key), expected: "date (YYYY-MM-DD)" })
    }

    /// A date-time: RFC 3339 text, tagged 0 or untagged, or an epoch number under tag 1.
    fn date_time(&self, key: &str) -> Result<UnixTime, DccError> {
        let value = self.required(key)?;
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

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(key, value)| (Value::Text(key.to_owned()), value)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn debug_output_carries_no_names_or_birth_dates() {
        let dcc = sample_test_dcc();
        let shown = format!("{dcc:?} {:?}", dcc.name);
        for secret in ["Musterfrau", "GOESSINGER", "Gabriele", "GABRIELE", "1998", "02-26"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn round_trips_through_cbor() {
        let dcc = sample_test_dcc();
        assert_eq!(Dcc::from_value(&dcc.to_value()).unwrap(), dcc);
        assert_eq!(dcc.certificate_type(), CertificateType::Test);
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
    fn refuses_two_entries_and_names_missing_fields_without_content() {
        let mut value = sample_test_dcc().to_value();
        if let Value::Map(entries) = &mut value {
            let tests = entries.iter().find(|(key, _)| key == &Value::Text("t".into())).unwrap().1.clone();
            entries.push((Value::Text("v".into()), tests));
        }
        assert_eq!(Dcc::from_value(&value), Err(DccError::MultipleEntries { count: 2 }));

        let mut value = sample_test_dcc().to_value();
        if let Value::Map(entries) = &mut value {
            entries.retain(|(key, _)| key != &Value::Text("dob".into()));
        }
        let error = Dcc::from_value(&value).unwrap_err();
        assert_eq!(error.to_string(), "/dob is missing");
    }
}
