//! The typed EU DCC payload (eu-dcc-schema, every release 1.0.0–1.3.x) and its CBOR form.
//!
//! Reading lives in [`super::reading`]: strict for conformance and issuing, tolerant for
//! verification, where a field that is only shown (names, date of birth, issuer, centre,
//! manufacturer, dates only business rules read) keeps what the issuer wrote. Whether the
//! payload obeys the schema of its version is a separate check ([`super::schema`]).

use std::fmt;

use ciborium::Value;

use super::certificate_type::CertificateType;
use crate::time::{CivilDate, UnixTime};

/// SNOMED CT codes of the test-result value set (`covid-19-lab-result`).
pub const TEST_RESULT_NOT_DETECTED: &str = "260415000";
/// `260373001`: detected (positive).
pub const TEST_RESULT_DETECTED: &str = "260373001";
/// LOINC codes of the test-type value set (`covid-19-lab-test-type`).
pub const TEST_TYPE_NAAT: &str = "LP6464-4";
/// `LP217198-3`: rapid antigen test.
pub const TEST_TYPE_RAPID_ANTIGEN: &str = "LP217198-3";

/// Why a DCC map could not be read as a certificate. Paths are JSON pointers; no field
/// content is ever included, since it may be personal data.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
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
    /// The holder's names (`nam`).
    pub name: PersonName,
    /// The holder's date of birth (`dob`).
    pub date_of_birth: DateOfBirth,
    /// The one statement the certificate makes.
    pub entry: Entry,
}

/// `nam`: names as printed and in ICAO 9303 machine-readable form. `Debug` shows which names
/// are present, never their content (logs and panics must not carry personal data).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PersonName {
    /// `fn`: the family name as printed.
    pub family_name: Option<String>,
    /// `fnt`: the family name in ICAO 9303 form.
    pub family_name_transliterated: Option<String>,
    /// `gn`: the given names as printed.
    pub given_name: Option<String>,
    /// `gnt`: the given names in ICAO 9303 form.
    pub given_name_transliterated: Option<String>,
}

/// `dob`: a full date, a year and month, a year, empty when unknown (schema 1.3.0+), or — read
/// tolerantly — exactly what the issuer wrote when it is none of these (`1989-00-20`: the
/// schema's own pattern allows zero parts, which some issuers used for unknown ones). A
/// controller compares it with an identity document, so it is shown as written, never guessed.
/// `Debug` shows the precision, never the date.
#[derive(Clone, PartialEq, Eq)]
pub enum DateOfBirth {
    /// Empty: unknown (schema 1.3.0+).
    Unknown,
    /// `YYYY`.
    Year(u16),
    /// `YYYY-MM`.
    YearMonth(u16, u8),
    /// `YYYY-MM-DD`.
    Full(CivilDate),
    /// Anything else, exactly as written.
    AsWritten(String),
}

/// A date that only people and business rules read (a vaccination date, a first positive
/// test): a calendar date, or — read tolerantly — the text as the issuer wrote it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DccDate {
    /// A calendar date.
    Calendar(CivilDate),
    /// The text as the issuer wrote it.
    AsWritten(String),
}

/// The single statement of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `v`: a vaccination.
    Vaccination(VaccinationEntry),
    /// `t`: a test.
    Test(TestEntry),
    /// `r`: a recovery.
    Recovery(RecoveryEntry),
}

/// A vaccination entry. Only business rules decide on its fields; read tolerantly, a field
/// that is missing or unreadable is empty (or `None`) and the reading notes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaccinationEntry {
    /// `tg`: the disease (SNOMED CT).
    pub disease: String,
    /// `vp`: the vaccine or prophylaxis (SNOMED CT).
    pub vaccine_type: String,
    /// `mp`: the medicinal product (EU authorisation number).
    pub product: String,
    /// `ma`: the marketing authorisation holder or manufacturer.
    pub manufacturer: String,
    /// `dn`: the dose number, when readable.
    pub dose_number: Option<u32>,
    /// `sd`: the doses in the series, when readable.
    pub total_doses: Option<u32>,
    /// `dt`: the date of vaccination.
    pub date: DccDate,
    /// `co`: the country of vaccination.
    pub country: String,
    /// `is`: the certificate issuer.
    pub issuer: String,
    /// `ci`: the unique certificate identifier (UVCI).
    pub certificate_id: String,
}

/// A test entry. The result, the sample time and the identifier decide; the rest is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestEntry {
    /// `tg`: the disease (SNOMED CT).
    pub disease: String,
    /// `tt`: the test type (LOINC).
    pub test_type: String,
    /// `nm`: a NAAT test's name.
    pub test_name: Option<String>,
    /// Rapid-test device identifier (`ma`), from the `covid-19-lab-test-manufacturer-and-name` value set.
    pub device: Option<String>,
    /// `sc`: when the sample was taken.
    pub sample_time: UnixTime,
    /// `tr`: the result (SNOMED CT).
    pub result: String,
    /// `tc`: the testing centre.
    pub centre: Option<String>,
    /// `co`: the country of the test.
    pub country: String,
    /// `is`: the certificate issuer.
    pub issuer: String,
    /// `ci`: the unique certificate identifier (UVCI).
    pub certificate_id: String,
}

/// A recovery entry. Its validity window and identifier decide; the rest is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryEntry {
    /// `tg`: the disease (SNOMED CT).
    pub disease: String,
    /// `fr`: the date of the first positive test.
    pub first_positive: DccDate,
    /// `co`: the country of the test.
    pub country: String,
    /// `is`: the certificate issuer.
    pub issuer: String,
    /// `df`: valid from.
    pub valid_from: CivilDate,
    /// `du`: valid until (inclusive).
    pub valid_until: CivilDate,
    /// `ci`: the unique certificate identifier (UVCI).
    pub certificate_id: String,
}

impl Dcc {
    /// Which of the three types the entry is.
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
    /// Reads `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or the empty string, strictly: a calendar date,
    /// month 1–12.
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

    /// Whether this is a calendar date or one of the partial forms (not text kept as written).
    pub fn is_calendar(&self) -> bool {
        !matches!(self, Self::AsWritten(_))
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
            Self::AsWritten(_) => "DateOfBirth::AsWritten(<redacted>)",
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
            Self::AsWritten(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for DccDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Calendar(date) => write!(f, "{date}"),
            Self::AsWritten(text) => f.write_str(text),
        }
    }
}

impl VaccinationEntry {
    fn to_value(&self) -> Value {
        let mut entries = vec![
            ("tg", text(&self.disease)),
            ("vp", text(&self.vaccine_type)),
            ("mp", text(&self.product)),
            ("ma", text(&self.manufacturer)),
        ];
        if let Some(dose_number) = self.dose_number {
            entries.push(("dn", Value::Integer(dose_number.into())));
        }
        if let Some(total_doses) = self.total_doses {
            entries.push(("sd", Value::Integer(total_doses.into())));
        }
        entries.extend([
            ("dt", text(&self.date.to_string())),
            ("co", text(&self.country)),
            ("is", text(&self.issuer)),
            ("ci", text(&self.certificate_id)),
        ]);
        map(entries)
    }
}

impl TestEntry {
    /// Whether the result is "detected".
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

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(key, value)| (Value::Text(key.to_owned()), value)).collect())
}
