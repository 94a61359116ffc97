//! Time as the passes carry it: whole seconds since the Unix epoch, UTC.
//!
//! Every time-dependent decision in the core takes a [`UnixTime`] from its caller; nothing in
//! here reads a clock. Civil-date conversion follows the proleptic Gregorian calendar
//! (H. Hinnant's `days_from_civil`), which covers every date a pass can hold (years 0–9999).

use std::fmt;

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

/// A point in time in milliseconds since the epoch: for schedules finer than a second (the
/// outbox's retries, whose first delays are fractions of a second).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(i64);

impl UnixMillis {
    /// The instant `millis` after the epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The whole second this instant falls in (rounded down).
    pub const fn unix_time(self) -> UnixTime {
        UnixTime(self.0.div_euclid(1000))
    }

    /// `millis` later, saturating.
    pub const fn saturating_add_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }

    /// Milliseconds from `earlier` to this instant (negative when `earlier` is later).
    pub const fn millis_since(self, earlier: UnixMillis) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl From<UnixTime> for UnixMillis {
    fn from(time: UnixTime) -> Self {
        Self(time.0.saturating_mul(1000))
    }
}

/// Why a date or date-time text could not be read.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("expected a date-time like 2021-05-06T18:00:00Z, found {found}")]
    Malformed { found: &'static str },
    #[error("{field} {value} is out of range")]
    OutOfRange { field: &'static str, value: i64 },
}

const SECONDS_PER_DAY: i64 = 86_400;
/// Years a pass can meaningfully carry; outside this a date is treated as malformed.
const MIN_YEAR: i64 = 0;
const MAX_YEAR: i64 = 9999;

impl UnixTime {
    /// The instant `seconds` after the epoch.
    pub const fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since the epoch.
    pub const fn seconds(self) -> i64 {
        self.0
    }

    /// The earliest and latest instants this type represents as calendar dates.
    pub const MIN: UnixTime = UnixTime(-62_167_219_200); // 0000-01-01T00:00:00Z
    /// The latest instant a calendar date holds.
    pub const MAX: UnixTime = UnixTime(253_402_300_799); // 9999-12-31T23:59:59Z

    /// Reads an RFC 3339 / ISO 8601 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM|±HH)`.
    ///
    /// The offset may be missing, in which case UTC is assumed: some issuers wrote DCC `sc`
    /// fields that way, and the DCC schema's own valid examples use every offset form above
    /// (eu-dcc-schema test/valid/T-rat-dates1..3). Fractions of a second are truncated.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let bytes = text.as_bytes();
        let date = CivilDate::parse_prefix(bytes)?;
        let rest = bytes.get(10..).unwrap_or_default();
        let Some((&separator, rest)) = rest.split_first() else {
            return Err(TimeError::Malformed { found: "a date without a time" });
        };
        if !matches!(separator, b'T' | b't' | b' ') {
            return Err(TimeError::Malformed { found: "no 'T' between date and time" });
        }
        let (hour, rest) = two_digits(rest, "hour")?;
        let rest = expect_byte(rest, b':', "no ':' after the hour")?;
        let (minute, rest) = two_digits(rest, "minute")?;
        // Seconds are optional in the wild ("2021-05-17T10:00+02:00").
        let (second, mut rest) = match rest.split_first() {
            Some((b':', after)) => two_digits(after, "second")?,
            _ => (0, rest),
        };
        if let Some((b'.' | b',', after)) = rest.split_first() {
            let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Err(TimeError::Malformed { found: "a decimal point without digits" });
            }
            rest = after.get(digits..).unwrap_or_default();
        }
        let offset_seconds = parse_offset(rest)?;
        check_range("hour", hour, 0, 23)?;
        check_range("minute", minute, 0, 59)?;
        // 60 allows a leap second; it folds into the next minute like POSIX time does.
        check_range("second", second, 0, 60)?;
        let seconds = date.days_since_epoch() * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
        Ok(Self(seconds))
    }

    /// The calendar date (UTC) this instant falls on.
    pub fn date(self) -> CivilDate {
        CivilDate::from_days_since_epoch(self.0.div_euclid(SECONDS_PER_DAY))
    }

    /// `2021-05-06T18:00:00Z`
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }

    /// `seconds` later, saturating.
    pub fn saturating_add(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    /// `seconds` earlier, saturating.
    pub fn saturating_sub(self, seconds: i64) -> Self {
        Self(self.0.saturating_sub(seconds))
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.date();
        let second_of_day = self.0.rem_euclid(SECONDS_PER_DAY);
        write!(f, "{}T{:02}:{:02}:{:02}Z", date, second_of_day / 3600, (second_of_day / 60) % 60, second_of_day % 60)
    }
}

/// A calendar date in the proleptic Gregorian calendar.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i32,
    month: u8,
    day: u8,
}

impl CivilDate {
    /// A valid date, or an error naming the field that is out of range.
    pub fn new(year: i64, month: i64, day: i64) -> Result<Self, TimeError> {
        check_range("year", year, MIN_YEAR, MAX_YEAR)?;
        check_range("month", month, 1, 12)?;
        check_range("day", day, 1, i64::from(days_in_month(year, month)))?;
        Ok(Self { year: year as i32, month: month as u8, day: day as u8 })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }
    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Reads exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        if text.len() != 10 {
            return Err(TimeError::Malformed { found: "a date that is not YYYY-MM-DD" });
        }
        Self::parse_prefix(text.as_bytes())
    }

    /// Reads `YYYY-MM-DD` at the start of `bytes`.
    fn parse_prefix(bytes: &[u8]) -> Result<Self, TimeError> {
        let (year, rest) = digits(bytes, 4, "year")?;
        let rest = expect_byte(rest, b'-', "no '-' after the year")?;
        let (month, rest) = two_digits(rest, "month")?;
        let rest = expect_byte(rest, b'-', "no '-' after the month")?;
        let (day, _) = two_digits(rest, "day")?;
        Self::new(year, month, day)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        let (year, month, day) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let year = if month <= 2 { year - 1 } else { year };
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month_index = (month + 9) % 12; // March = 0
        let day_of_year = (153 * month_index + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let days = days + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self { year: year as i32, month: month as u8, day: day as u8 }
    }

    /// Midnight UTC at the start of this date.
    pub fn start(self) -> UnixTime {
        UnixTime(self.days_since_epoch() * SECONDS_PER_DAY)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Why a duration text could not be read.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("expected a whole number and a unit (s, m, h, d or w), e.g. 48h or 2d")]
    Malformed,
    #[error("the duration must be more than zero and at most 100 years")]
    OutOfRange,
}

/// Reads `30s`, `15m`, `48h`, `2d` or `1w` as seconds.
pub fn parse_duration_seconds(text: &str) -> Result<i64, DurationError> {
    const MAX_SECONDS: i64 = 100 * 366 * 86_400;
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.len() > 12 {
        return Err(DurationError::Malformed);
    }
    let number: i64 = number.parse().map_err(|_| DurationError::Malformed)?;
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => SECONDS_PER_DAY,
        "w" => 7 * SECONDS_PER_DAY,
        _ => return Err(DurationError::Malformed),
    };
    number
        .checked_mul(unit_seconds)
        .filter(|seconds| (1..=MAX_SECONDS).contains(seconds))
        .ok_or(DurationError::OutOfRange)
}

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i64, month: i64) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn check_range(field: &'static str, value: i64, low: i64, high: i64) -> Result<(), TimeError> {
    if (low..=high).contains(&value) { Ok(()) } else { Err(TimeError::OutOfRange { field, value }) }
}

fn digits<'a>(bytes: &'a [u8], count: usize, field: &'static str) -> Result<(i64, &'a [u8]), TimeError> {
    let Some(head) = bytes.get(..count) else {
        return Err(TimeError::Malformed { found: too_short(field) });
    };
    let mut value = 0i64;
    for &byte in head {
        if !byte.is_ascii_digit() {
            return Err(TimeError::Malformed { found: not_digits(field) });
        }
        value = value * 10 + i64::from(byte - b'0');
    }
    Ok((value, bytes.get(count..).unwrap_or_default()))
}

fn two_digits<'a>(bytes: &'a [u8], field: &'static str) -> Result<(i64, &'a [u8]), TimeError> {
    digits(bytes, 2, field)
}

fn expect_byte<'a>(bytes: &'a [u8], expected: u8, found: &'static str) -> Result<&'a [u8], TimeError> {
    match bytes.split_first() {
        Some((&byte, rest)) if byte == expected => Ok(rest),
        _ => Err(TimeError::Malformed { found }),
    }
}

/// `Z`, `+HH:MM`, `+HHMM`, `+HH` or nothing (UTC); returns the offset east of UTC in seconds.
fn parse_offset(bytes: &[u8]) -> Result<i64, TimeError> {
    let Some((&first, rest)) = bytes.split_first() else {
        return Ok(0);
    };
    let sign = match first {
        b'Z' | b'z' if rest.is_empty() => return Ok(0),
        b'+' => 1,
        b'-' => -1,
        _ => return Err(TimeError::Malformed { found: "unexpected text after the time" }),
    };
    let (hours, rest) = two_digits(rest, "offset hour")?;
    let rest = match rest.split_first() {
        Some((b':', after)) => after,
        _ => rest,
    };
    let minutes = if rest.is_empty() {
        0
    } else {
        let (minutes, rest) = two_digits(rest, "offset minute")?;
        if !rest.is_empty() {
            return Err(TimeError::Malformed { found: "unexpected text after the offset" });
        }
        minutes
    };
    check_range("offset hour", hours, 0, 23)?;
    check_range("offset minute", minutes, 0, 59)?;
    Ok(sign * (hours * 3600 + minutes * 60))
}

fn too_short(field: &'static str) -> &'static str {
    match field {
        "year" => "text too short for a year",
        "month" => "text too short for a month",
        "day" => "text too short for a day",
        "hour" => "text too short for an hour",
        "minute" => "text too short for a minute",
        "second" => "text too short for a second",
        _ => "text too short for an offset",
    }
}

fn not_digits(field: &'static str) -> &'static str {
    match field {
        "year" => "a year that is not 4 digits",
        "month" => "a month that is not 2 digits",
        "day" => "a day that is not 2 digits",
        "hour" => "an hour that is not 2 digits",
        "minute" => "a minute that is not 2 digits",
        "second" => "a second that is not 2 digits",
        _ => "an offset that is not digits",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_durations_with_units() {
        assert_eq!(parse_duration_seconds("30s"), Ok(30));
        assert_eq!(parse_duration_seconds("48h"), Ok(48 * 3600));
        assert_eq!(parse_duration_seconds(" 2d "), Ok(2 * 86_400));
        assert_eq!(parse_duration_seconds("1w"), Ok(7 * 86_400));
        assert_eq!(parse_duration_seconds("0h"), Err(DurationError::OutOfRange));
        assert_eq!(parse_duration_seconds("99999999999w"), Err(DurationError::OutOfRange));
        for bad in ["", "h", "12", "1.5h", "-3h", "3 h", "3y", "99999999999999999999s"] {
            assert_eq!(parse_duration_seconds(bad), Err(DurationError::Malformed), "{bad}");
        }
    }

    #[test]
    fn parses_every_offset_form_the_schema_examples_use() {
        let utc = UnixTime::parse_rfc3339("2021-05-06T18:00:00Z").unwrap();
        assert_eq!(utc.seconds(), 1_620_324_000);
        for text in [
            "2021-05-06T20:00:00+02:00",
            "2021-05-06T20:00:00+0200",
            "2021-05-06T20:00:00+02",
            "2021-05-06T18:00:00.9906293Z",
            "2021-05-06T18:00:00",
            "2021-05-06T16:00:00-02:00",
            "2021-05-06T18:00Z",
        ] {
            assert_eq!(UnixTime::parse_rfc3339(text), Ok(utc), "{text}");
        }
    }

    #[test]
    fn rejects_impossible_dates_and_junk() {
        for text in [
            "2021-02-29T00:00:00Z",
            "2021-13-01T00:00:00Z",
            "2021-05-06",
            "2021-05-06T25:00:00Z",
            "2021-05-06T18:00:00Zjunk",
            "2021-05-06T18:00:00.Z",
            "",
            "20x1-05-06T18:00:00Z",
        ] {
            assert!(UnixTime::parse_rfc3339(text).is_err(), "{text}");
        }
    }

    #[test]
    fn civil_dates_round_trip_across_four_centuries() {
        for days in (-800_000..800_000).step_by(37) {
            let date = CivilDate::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days);
        }
        assert_eq!(CivilDate::parse("2020-02-29").unwrap().days_since_epoch(), 18_321);
        assert_eq!(UnixTime::from_seconds(1_620_324_000).to_string(), "2021-05-06T18:00:00Z");
        assert_eq!(UnixTime::MIN.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(UnixTime::MAX.to_string(), "9999-12-31T23:59:59Z");
    }
}
