//! From what a pharmacist types to a well-formed test certificate (DCC `t` entry).
//!
//! Every input problem is a specific, actionable error naming the field, what is wrong and what
//! is allowed; none of them repeats a name or a date of birth.

use crate::dcc::payload::{TEST_RESULT_DETECTED, TEST_RESULT_NOT_DETECTED, TEST_TYPE_NAAT, TEST_TYPE_RAPID_ANTIGEN};
use crate::dcc::value_sets::{self, DISEASE_COVID_19};
use crate::dcc::{DateOfBirth, Dcc, Entry, PersonName, TestEntry};
use crate::time::{CivilDate, UnixTime};

use super::transliteration::{TransliterationError, transliterate};

/// The DCC schema release issued passes declare.
pub const ISSUED_SCHEMA_VERSION: &str = "1.3.0";
/// maxLength of names, `tc`, `is`, `ci` and `nm` in schema 1.3.
pub const MAX_FIELD_LENGTH: usize = 80;

/// The test types a pharmacy issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestType {
    /// Rapid antigen test (LOINC LP217198-3).
    RapidAntigen,
    /// NAAT, e.g. PCR (LOINC LP6464-4).
    Naat,
}

impl TestType {
    /// The LOINC code.
    pub fn code(self) -> &'static str {
        match self {
            Self::RapidAntigen => TEST_TYPE_RAPID_ANTIGEN,
            Self::Naat => TEST_TYPE_NAAT,
        }
    }
    /// `rat`, `antigen`, `naat`, `pcr` or the LOINC code.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "rat" | "antigen" | "rapid-antigen" | "lp217198-3" => Some(Self::RapidAntigen),
            "naat" | "pcr" | "lp6464-4" => Some(Self::Naat),
            _ => None,
        }
    }
}

/// A test result as entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestResult {
    /// Not detected.
    Negative,
    /// Detected.
    Positive,
}

impl TestResult {
    /// The SNOMED CT code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Negative => TEST_RESULT_NOT_DETECTED,
            Self::Positive => TEST_RESULT_DETECTED,
        }
    }
    /// `negative`, `positive`, `not-detected`, `detected` or the SNOMED CT code.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "negative" | "not-detected" | "260415000" => Some(Self::Negative),
            "positive" | "detected" | "260373001" => Some(Self::Positive),
            _ => None,
        }
    }
}

/// What the pharmacist enters. `Debug` leaves out names and the date of birth.
#[derive(Clone, PartialEq, Eq)]
pub struct TestCertificateRequest {
    /// As on the identity document.
    pub family_name: String,
    /// As on the identity document; empty for people with a single name.
    pub given_name: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: String,
    /// Rapid antigen or NAAT.
    pub test_type: TestType,
    /// Rapid antigen device id from the value set; not used for NAAT.
    pub device: Option<String>,
    /// Free-text NAAT test name (`nm`), optional.
    pub test_name: Option<String>,
    /// When the sample was taken.
    pub sampled_at: UnixTime,
    /// The result.
    pub result: TestResult,
    /// The testing centre (pharmacy).
    pub centre: String,
    /// ISO 3166-1 alpha-2 country of the test.
    pub country: String,
    /// The issuing authority's name (`is`).
    pub issuer: String,
}

impl std::fmt::Debug for TestCertificateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCertificateRequest")
            .field("family_name", &format_args!("<redacted>"))
            .field("given_name", &format_args!("<redacted>"))
            .field("date_of_birth", &format_args!("<redacted>"))
            .field("test_type", &self.test_type)
            .field("device", &self.device)
            .field("test_name", &self.test_name)
            .field("sampled_at", &self.sampled_at)
            .field("result", &self.result)
            .field("centre", &self.centre)
            .field("country", &self.country)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// How an issuer sets times and identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuingPolicy {
    /// A pass expires this long after the sample was taken.
    pub pass_lifetime_seconds: i64,
    /// A sample older than this when issuing is refused.
    pub max_sample_age_seconds: i64,
    /// Tolerated clock difference for a sample time slightly ahead of the device clock.
    pub clock_skew_seconds: i64,
    /// Placed in every UVCI after the country: identifies the issuing system.
    pub uvci_prefix: String,
    /// Verify every pass with the issuer's own certificate before handing it out. On for
    /// platform signers (a Keystore key can fail in ways a software key cannot); the central
    /// service turns it off, having checked its software key against its certificate at start.
    pub verify_issued: bool,
}

impl Default for IssuingPolicy {
    fn default() -> Self {
        Self {
            pass_lifetime_seconds: 72 * 3600,
            max_sample_age_seconds: 48 * 3600,
            clock_skew_seconds: 5 * 60,
            uvci_prefix: "HP".into(),
            verify_issued: true,
        }
    }
}

/// A field of the request, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The family name.
    FamilyName,
    /// The given name.
    GivenName,
    /// The date of birth.
    DateOfBirth,
    /// The test device.
    Device,
    /// The test name.
    TestName,
    /// The sample time.
    SampledAt,
    /// The testing centre.
    Centre,
    /// The country.
    Country,
    /// The issuer.
    Issuer,
}

impl Field {
    /// The field's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::FamilyName => "family name",
            Self::GivenName => "given name",
            Self::DateOfBirth => "date of birth",
            Self::Device => "test device",
            Self::TestName => "test name",
            Self::SampledAt => "sample time",
            Self::Centre => "test centre",
            Self::Country => "country",
            Self::Issuer => "issuer",
        }
    }
}

/// Why a request cannot become a certificate.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("the family name is empty; enter it as on the identity document")]
    FamilyNameEmpty,
    #[error("the {} {source}", field.name())]
    NameNotTransliterable { field: Field, source: TransliterationError },
    #[error("the {} is {length} characters long ({form}); at most {MAX_FIELD_LENGTH} are allowed", field.name())]
    TooLong { field: Field, length: usize, form: &'static str },
    #[error("the {} is empty", field.name())]
    Empty { field: Field },
    #[error("the date of birth is not a date: use YYYY-MM-DD, or YYYY-MM or YYYY when the day or month is unknown")]
    DateOfBirthMalformed,
    #[error("the date of birth is in the future")]
    DateOfBirthInFuture,
    #[error("the date of birth is before 1900; the DCC schema accepts years 1900 to 2099")]
    DateOfBirthTooEarly,
    #[error("the sample time is {minutes} minutes in the future; enter when the sample was taken")]
    SampleInFuture { minutes: i64 },
    #[error("the sample was taken {hours} hours ago; at most {max_hours} hours are allowed")]
    SampleTooOld { hours: i64, max_hours: i64 },
    #[error(
        "test device {id:?} is not in the rapid antigen test value set; choose a listed device (e.g. 1232, Abbott Panbio)"
    )]
    UnknownDevice { id: String },
    #[error("test device {id:?} ({name}) is no longer approved; choose an active device")]
    InactiveDevice { id: String, name: &'static str },
    #[error("a rapid antigen test needs the test device")]
    DeviceMissing,
    #[error("a NAAT (PCR) test has no device id; give the test name instead, or choose a rapid antigen test")]
    DeviceNotForNaat,
    #[error("country {code:?} is not an ISO 3166-1 alpha-2 code in the value set (e.g. FR)")]
    UnknownCountry { code: String },
}

/// Builds the DCC for a request at time `now`, with the given UVCI.
pub fn build_test_dcc(
    request: &TestCertificateRequest,
    policy: &IssuingPolicy,
    now: UnixTime,
    certificate_id: String,
) -> Result<Dcc, InputError> {
    let name = person_name(&request.family_name, &request.given_name)?;
    let date_of_birth = date_of_birth(&request.date_of_birth, now)?;
    check_sample_time(request.sampled_at, policy, now)?;
    let device = match (request.test_type, request.device.as_deref().map(str::trim).filter(|id| !id.is_empty())) {
        (TestType::RapidAntigen, None) => return Err(InputError::DeviceMissing),
        (TestType::RapidAntigen, Some(id)) => {
            let entry = value_sets::TEST_DEVICES.get(id).ok_or_else(|| InputError::UnknownDevice { id: id.into() })?;
            if !entry.active {
                return Err(InputError::InactiveDevice { id: id.into(), name: entry.display });
            }
            Some(entry.code.to_owned())
        }
        (TestType::Naat, Some(_)) => return Err(InputError::DeviceNotForNaat),
        (TestType::Naat, None) => None,
    };
    let test_name = match request.test_name.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => Some(bounded(text, Field::TestName)?),
        None => None,
    };
    let country = request.country.trim().to_ascii_uppercase();
    if !value_sets::COUNTRIES.contains(&country) {
        return Err(InputError::UnknownCountry { code: request.country.trim().into() });
    }
    Ok(Dcc {
        version: ISSUED_SCHEMA_VERSION.into(),
        name,
        date_of_birth,
        entry: Entry::Test(TestEntry {
            disease: DISEASE_COVID_19.into(),
            test_type: request.test_type.code().into(),
            test_name,
            device,
            sample_time: request.sampled_at,
            result: request.result.code().into(),
            centre: Some(required(&request.centre, Field::Centre)?),
            country,
            issuer: required(&request.issuer, Field::Issuer)?,
            certificate_id,
        }),
    })
}

/// Names as typed, plus their ICAO 9303 transliteration; the family name is required, the
/// given name may be empty (people with a single name).
pub fn person_name(family_name: &str, given_name: &str) -> Result<PersonName, InputError> {
    let family = collapse_spaces(family_name);
    if family.is_empty() {
        return Err(InputError::FamilyNameEmpty);
    }
    let given = collapse_spaces(given_name);
    let family_machine = machine_name(&family, Field::FamilyName)?;
    let given_machine = if given.is_empty() { None } else { Some(machine_name(&given, Field::GivenName)?) };
    check_length(&family, Field::FamilyName, "as typed")?;
    check_length(&given, Field::GivenName, "as typed")?;
    Ok(PersonName {
        family_name: Some(family),
        family_name_transliterated: Some(family_machine),
        given_name: (!given.is_empty()).then_some(given),
        given_name_transliterated: given_machine,
    })
}

fn machine_name(name: &str, field: Field) -> Result<String, InputError> {
    let machine = transliterate(name).map_err(|source| InputError::NameNotTransliterable { field, source })?;
    check_length(&machine, field, "transliterated")?;
    Ok(machine)
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_length(text: &str, field: Field, form: &'static str) -> Result<(), InputError> {
    let length = text.chars().count();
    if length > MAX_FIELD_LENGTH { Err(InputError::TooLong { field, length, form }) } else { Ok(()) }
}

fn bounded(text: &str, field: Field) -> Result<String, InputError> {
    let text = collapse_spaces(text);
    check_length(&text, field, "as typed")?;
    Ok(text)
}

fn required(text: &str, field: Field) -> Result<String, InputError> {
    let text = bounded(text, field)?;
    if text.is_empty() { Err(InputError::Empty { field }) } else { Ok(text) }
}

/// A full or partial date of birth, not in the future and within the schema's 1900–2099.
pub fn date_of_birth(text: &str, now: UnixTime) -> Result<DateOfBirth, InputError> {
    let text = text.trim();
    let parsed = DateOfBirth::parse(text)
        .filter(|date| !matches!(date, DateOfBirth::Unknown) && !text.contains('T'))
        .ok_or(InputError::DateOfBirthMalformed)?;
    let today = now.date();
    let (year, month, day) = match parsed {
        DateOfBirth::Year(year) => (i32::from(year), 1, 1),
        DateOfBirth::YearMonth(year, month) => (i32::from(year), month, 1),
        DateOfBirth::Full(date) => (date.year(), date.month(), date.day()),
        DateOfBirth::Unknown | DateOfBirth::AsWritten(_) => return Err(InputError::DateOfBirthMalformed),
    };
    if year < 1900 {
        return Err(InputError::DateOfBirthTooEarly);
    }
    let earliest = CivilDate::new(i64::from(year), i64::from(month), i64::from(day))
        .map_err(|_| InputError::DateOfBirthMalformed)?;
    if earliest > today {
        return Err(InputError::DateOfBirthInFuture);
    }
    Ok(parsed)
}

fn check_sample_time(sampled_at: UnixTime, policy: &IssuingPolicy, now: UnixTime) -> Result<(), InputError> {
    let ahead = sampled_at.seconds() - now.seconds();
    if ahead > policy.clock_skew_seconds {
        return Err(InputError::SampleInFuture { minutes: (ahead + 59) / 60 });
    }
    let age = now.seconds() - sampled_at.seconds();
    if age > policy.max_sample_age_seconds {
        return Err(InputError::SampleTooOld { hours: age / 3600, max_hours: policy.max_sample_age_seconds / 3600 });
    }
    Ok(())
}
