//! The typed content of the two health document types: what a verdict decides on and what a
//! controller compares with an identity document.

use super::message::{Message, MessageError};
use crate::dcc::{DateOfBirth, PersonName};
use crate::time::{CivilDate, UnixTime};

/// The holder's sex as written (F3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// `M`.
    Male,
    /// `F`.
    Female,
    /// `U`.
    Unspecified,
}

/// F5: the analysis result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOutcome {
    /// `P`.
    Positive,
    /// `N`: the only result a controller accepts.
    Negative,
    /// `I`.
    Inconclusive,
    /// `X`: the analysis could not be done (non-conforming sample).
    NotDone,
}

/// A B2 test result.
#[derive(Clone, PartialEq, Eq)]
pub struct TestResult {
    /// F1 and F0 (first names separated by `, ` where the code has `/`).
    pub name: PersonName,
    /// F2.
    pub date_of_birth: DateOfBirth,
    /// F3.
    pub sex: Sex,
    /// F4: the LOINC code of the analysis.
    pub analysis_code: String,
    /// F5.
    pub outcome: TestOutcome,
    /// F6 as written: French civil time, `DDMMYYYYHHmm`.
    pub sampled_local: String,
    /// F6 as an instant, reading it as the time in mainland France (Europe/Paris).
    pub sampled_at: UnixTime,
}

/// LA: where the vaccination cycle stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CycleState {
    /// `TE`: complete (terminé).
    Complete,
    /// `CO`: in progress (en cours).
    InProgress,
    /// Any other two characters: not a complete cycle.
    Other(String),
}

/// An L1 vaccination certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct Vaccination {
    /// L0 and L1.
    pub name: PersonName,
    /// L2 (a "lunar" date with `00` parts is kept as written).
    pub date_of_birth: DateOfBirth,
    /// L3.
    pub disease: String,
    /// L4: the ATC code (`J07BX03`).
    pub agent: String,
    /// L5.
    pub vaccine: String,
    /// L6.
    pub maker: String,
    /// L7.
    pub dose_rank: u8,
    /// L8.
    pub doses_expected: u8,
    /// L9.
    pub last_dose: CivilDate,
    /// LA.
    pub cycle: CycleState,
}

impl std::fmt::Debug for TestResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestResult")
            .field("name", &self.name)
            .field("date_of_birth", &self.date_of_birth)
            .field("outcome", &self.outcome)
            .field("sampled_at", &self.sampled_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Vaccination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vaccination")
            .field("name", &self.name)
            .field("date_of_birth", &self.date_of_birth)
            .field("dose_rank", &self.dose_rank)
            .field("doses_expected", &self.doses_expected)
            .field("cycle", &self.cycle)
            .finish_non_exhaustive()
    }
}

fn required<'a>(message: &'a Message, id: &'static str, label: &'static str) -> Result<&'a str, MessageError> {
    message.value(id).ok_or(MessageError::Missing { id, label })
}

fn name(surname: &str, first_names: &str) -> PersonName {
    let present = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
    PersonName {
        family_name: present(surname),
        family_name_transliterated: None,
        given_name: present(&first_names.split('/').map(str::trim).collect::<Vec<_>>().join(", ")),
        given_name_transliterated: None,
    }
}

/// `DDMMYYYY` into numbers; the message layer has checked the eight digits.
fn day_month_year(text: &str) -> Option<(i64, i64, i64)> {
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|part| part.parse::<i64>().ok());
    Some((number(0..2)?, number(2..4)?, number(4..8)?))
}

fn calendar_date(text: &str, id: &'static str, label: &'static str) -> Result<CivilDate, MessageError> {
    day_month_year(text)
        .and_then(|(day, month, year)| CivilDate::new(year, month, day).ok())
        .ok_or(MessageError::Value { id, label })
}

/// A date of birth: a calendar date, or — with `00` for an unknown day or month, as French
/// civil registries write "lunar" dates (FORMAT.md, L2) — the partial form or the text.
fn date_of_birth(text: &str, id: &'static str) -> Result<DateOfBirth, MessageError> {
    let label = "date of birth (DDMMYYYY)";
    let (day, month, year) = day_month_year(text).ok_or(MessageError::Value { id, label })?;
    if day == 0 && month == 0 {
        return Ok(DateOfBirth::Year(year as u16));
    }
    if day == 0 && (1..=12).contains(&month) {
        return Ok(DateOfBirth::YearMonth(year as u16, month as u8));
    }
    match CivilDate::new(year, month, day) {
        Ok(date) => Ok(DateOfBirth::Full(date)),
        Err(_) if month == 0 && (1..=31).contains(&day) => {
            Ok(DateOfBirth::AsWritten(format!("{year:04}-{month:02}-{day:02}")))
        }
        Err(_) => Err(MessageError::Value { id, label }),
    }
}

/// The UTC offset of mainland France at a UTC instant, in seconds: CET, or CEST from the last
/// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC (Directive 2000/84/EC).
fn paris_offset_seconds(instant: UnixTime) -> i64 {
    let year = i64::from(instant.date().year());
    let last_sunday = |month: i64| {
        let last = CivilDate::new(year, month, 31).map(CivilDate::days_since_epoch).unwrap_or_default();
        // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
        last - (last + 4).rem_euclid(7)
    };
    let summer_starts = last_sunday(3) * 86_400 + 3_600;
    let summer_ends = last_sunday(10) * 86_400 + 3_600;
    if (summer_starts..summer_ends).contains(&instant.seconds()) { 7_200 } else { 3_600 }
}

/// F6 (`DDMMYYYYHHmm`, French civil time, the zone is not written) as an instant. In the
/// autumn hour that occurs twice, the earlier instant is taken.
fn sampling_instant(text: &str) -> Result<UnixTime, MessageError> {
    let invalid = MessageError::Value { id: "F6", label: "sampling date-time (DDMMYYYYHHmm)" };
    let date = calendar_date(text.get(..8).unwrap_or_default(), "F6", "sampling date-time (DDMMYYYYHHmm)")?;
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|part| part.parse::<i64>().ok());
    let (hour, minute) = (number(8..10).ok_or(invalid.clone())?, number(10..12).ok_or(invalid.clone())?);
    if hour > 23 || minute > 59 {
        return Err(invalid);
    }
    let local = date.start().saturating_add(hour * 3_600 + minute * 60);
    let summer = local.saturating_sub(7_200);
    Ok(if paris_offset_seconds(summer) == 7_200 { summer } else { local.saturating_sub(3_600) })
}

impl TestResult {
    /// The typed B2 content of a message.
    pub fn from_message(message: &Message) -> Result<Self, MessageError> {
        let sex = match required(message, "F3", "sex (M, F or U)")? {
            "M" => Sex::Male,
            "F" => Sex::Female,
            _ => Sex::Unspecified,
        };
        let outcome = match required(message, "F5", "result (P, N, I or X)")? {
            "P" => TestOutcome::Positive,
            "N" => TestOutcome::Negative,
            "I" => TestOutcome::Inconclusive,
            _ => TestOutcome::NotDone,
        };
        let sampled_local = required(message, "F6", "sampling date-time (DDMMYYYYHHmm)")?;
        Ok(Self {
            name: name(required(message, "F1", "surname")?, required(message, "F0", "first names")?),
            date_of_birth: date_of_birth(required(message, "F2", "date of birth (DDMMYYYY)")?, "F2")?,
            sex,
            analysis_code: required(message, "F4", "analysis code (LOINC)")?.to_owned(),
            outcome,
            sampled_local: sampled_local.to_owned(),
            sampled_at: sampling_instant(sampled_local)?,
        })
    }
}

impl Vaccination {
    /// The typed L1 content of a message.
    pub fn from_message(message: &Message) -> Result<Self, MessageError> {
        let count =
            |id, label| required(message, id, label)?.parse::<u8>().map_err(|_| MessageError::Value { id, label });
        let cycle = match required(message, "LA", "cycle state (CO or TE)")? {
            "TE" => CycleState::Complete,
            "CO" => CycleState::InProgress,
            other => CycleState::Other(other.to_owned()),
        };
        Ok(Self {
            name: name(required(message, "L0", "surname")?, required(message, "L1", "first names")?),
            date_of_birth: date_of_birth(required(message, "L2", "date of birth (DDMMYYYY)")?, "L2")?,
            disease: required(message, "L3", "disease")?.to_owned(),
            agent: required(message, "L4", "prophylactic agent (ATC code)")?.to_owned(),
            vaccine: required(message, "L5", "vaccine")?.to_owned(),
            maker: required(message, "L6", "maker")?.to_owned(),
            dose_rank: count("L7", "rank of the last dose")?,
            doses_expected: count("L8", "number of doses expected")?,
            last_dose: calendar_date(
                required(message, "L9", "date of the last dose (DDMMYYYY)")?,
                "L9",
                "date of the last dose (DDMMYYYY)",
            )?,
            cycle,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twoddoc::header::DocumentType;

    fn at(text: &str) -> UnixTime {
        UnixTime::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn sampling_times_are_read_as_paris_time_winter_and_summer() {
        assert_eq!(sampling_instant("110320211452").unwrap(), at("2021-03-11T13:52:00Z"));
        assert_eq!(sampling_instant("120420210800").unwrap(), at("2021-04-12T06:00:00Z"));
        // 2021-03-28: clocks went forward at 01:00 UTC; 2021-10-31: back at 01:00 UTC.
        assert_eq!(sampling_instant("280320210130").unwrap(), at("2021-03-28T00:30:00Z"));
        assert_eq!(sampling_instant("280320210330").unwrap(), at("2021-03-28T01:30:00Z"));
        assert_eq!(sampling_instant("311020210230").unwrap(), at("2021-10-31T00:30:00Z"), "earlier of the two");
        assert_eq!(sampling_instant("311020210330").unwrap(), at("2021-10-31T02:30:00Z"));
        assert!(sampling_instant("320120211200").is_err());
        assert!(sampling_instant("010120212460").is_err());
    }

    #[test]
    fn lunar_birth_dates_keep_their_unknown_parts() {
        assert_eq!(date_of_birth("00001962", "L2").unwrap(), DateOfBirth::Year(1962));
        assert_eq!(date_of_birth("00051962", "L2").unwrap(), DateOfBirth::YearMonth(1962, 5));
        assert_eq!(date_of_birth("15001962", "L2").unwrap(), DateOfBirth::AsWritten("1962-00-15".into()));
        assert_eq!(
            date_of_birth("31051962", "L2").unwrap(),
            DateOfBirth::Full(CivilDate::parse("1962-05-31").unwrap())
        );
        assert!(date_of_birth("31021962", "L2").is_err());
        assert!(date_of_birth("00131962", "L2").is_err());
    }

    #[test]
    fn first_names_are_split_at_slashes() {
        let body = "F0JEAN LOUIS/EDOUARD\u{1d}F1DUPOND\u{1d}F225111980F3MF494309\u{1d}F5NF6110320211452";
        let message = Message::parse(DocumentType::TestResult, body).unwrap();
        let result = TestResult::from_message(&message).unwrap();
        assert_eq!(result.name.given_name.as_deref(), Some("JEAN LOUIS, EDOUARD"));
        assert_eq!(result.name.family_name.as_deref(), Some("DUPOND"));
        assert_eq!(result.outcome, TestOutcome::Negative);
        assert_eq!(result.sex, Sex::Male);
        assert!(!format!("{result:?}").contains("DUPOND"), "Debug never shows names");
    }

    #[test]
    fn a_vaccination_reads_its_cycle() {
        let body = "L0DUPONT\u{1d}L1PAUL\u{1d}L201011951L3COVID-19\u{1d}L4J07BX03\u{1d}L5PFIZER/BIONTECH - COMIRNATY\u{1d}L6PFIZER/BIONTECH - COMIRNATY\u{1d}L72L82L930042021LATE";
        let message = Message::parse(DocumentType::Vaccination, body).unwrap();
        let vaccination = Vaccination::from_message(&message).unwrap();
        assert_eq!(vaccination.cycle, CycleState::Complete);
        assert_eq!((vaccination.dose_rank, vaccination.doses_expected), (2, 2));
        assert_eq!(vaccination.last_dose, CivilDate::parse("2021-04-30").unwrap());
        let bad_dose_date = body.replace("L930042021", "L931042021");
        let message = Message::parse(DocumentType::Vaccination, &bad_dose_date).unwrap();
        assert!(Vaccination::from_message(&message).is_err());
    }
}
