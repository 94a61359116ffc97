//! CertLogic date-times: UTC milliseconds, parsed from the formats the specification lists and
//! offset with JavaScript `Date` semantics (`setUTCFullYear(get + n)` and friends), which do
//! not clamp: 2020-02-29 plus one year is 2021-03-01, 2021-01-31 plus one month is 2021-03-03.

use crate::time::{CivilDate, days_in_month};

/// Milliseconds since 1970-01-01T00:00:00.000Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub i64);

const MS_PER_DAY: i64 = 86_400_000;

/// The unit of a `plusTime` offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Years.
    Year,
    /// Months.
    Month,
    /// Days.
    Day,
    /// Hours.
    Hour,
}

impl TimeUnit {
    /// `year`, `month`, `day` or `hour`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "year" => Self::Year,
            "month" => Self::Month,
            "day" => Self::Day,
            "hour" => Self::Hour,
            _ => return None,
        })
    }
}

impl DateTime {
    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and date-times with optional fraction and
    /// offset (`Z`, `±h`, `±hh`, `±hmm`, `±hhmm`, `±h:mm`, `±hh:mm`); a missing offset is UTC.
    /// Partial dates take the last day they allow, as `dccDateOfBirth` does.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let year = number(bytes.get(0..4)?)?;
        let (month, day, rest) = match bytes.get(4) {
            None => (12, 31, bytes.get(4..)?),
            Some(b'-') => {
                let month = number(bytes.get(5..7)?)?;
                match bytes.get(7) {
                    None => (month, i64::from(days_in_month(year, month.clamp(1, 12))), bytes.get(7..)?),
                    Some(b'-') => (month, number(bytes.get(8..10)?)?, bytes.get(10..)?),
                    _ => return None,
                }
            }
            _ => return None,
        };
        let date = CivilDate::new(year, month, day).ok()?;
        let mut millis = date.days_since_epoch() * MS_PER_DAY;
        if rest.is_empty() {
            return Some(Self(millis));
        }
        let (&separator, rest) = rest.split_first()?;
        if separator != b'T' {
            return None;
        }
        let hour = number(rest.get(0..2)?)?;
        let minute = number(rest.get(3..5)?)?;
        let second = number(rest.get(6..8)?)?;
        if rest.get(2) != Some(&b':') || rest.get(5) != Some(&b':') || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        millis += ((hour * 60 + minute) * 60 + second) * 1000;
        let mut rest = rest.get(8..)?;
        if let Some((b'.', after)) = rest.split_first() {
            let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            // Milliseconds: the first three decimals, rounding down.
            let fraction = after.get(..digits.min(3))?;
            let scale = [100, 10, 1];
            for (index, digit) in fraction.iter().enumerate() {
                millis += i64::from(digit - b'0') * scale.get(index).copied().unwrap_or(0);
            }
            rest = after.get(digits..)?;
        }
        millis -= offset_minutes(rest)? * 60_000;
        Some(Self(millis))
    }

    /// `plusTime`: JavaScript's non-clamping `Date` arithmetic in UTC.
    pub fn plus(self, amount: i64, unit: TimeUnit) -> Option<Self> {
        match unit {
            unit @ (TimeUnit::Year | TimeUnit::Month) => {
                let day_number = self.0.div_euclid(MS_PER_DAY);
                let time_of_day = self.0.rem_euclid(MS_PER_DAY);
                let date = CivilDate::from_days_since_epoch(day_number);
                let (mut year, mut month) = (i64::from(date.year()), i64::from(date.month()));
                if unit == TimeUnit::Year {
                    year = year.checked_add(amount)?;
                } else {
                    let months = (year * 12 + month - 1).checked_add(amount)?;
                    year = months.div_euclid(12);
                    month = months.rem_euclid(12) + 1;
                }
                // The day of month is kept; beyond the month's end it rolls into the next.
                let first = CivilDate::new(year, month, 1).ok()?;
                let days = first.days_since_epoch() + i64::from(date.day()) - 1;
                Some(Self(days * MS_PER_DAY + time_of_day))
            }
            TimeUnit::Day => self.0.checked_add(amount.checked_mul(MS_PER_DAY)?).map(Self),
            TimeUnit::Hour => self.0.checked_add(amount.checked_mul(3_600_000)?).map(Self),
        }
    }

    /// `dccDateOfBirth`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` to midnight UTC of the last day
    /// consistent with it.
    pub fn from_date_of_birth(text: &str) -> Option<Self> {
        if !matches!(text.len(), 4 | 7 | 10) {
            return None;
        }
        Self::parse(text)
    }

    /// `YYYY-MM-DDTHH:MM:SS.sssZ`, as JavaScript's `toISOString`.
    pub fn to_iso_string(self) -> String {
        let date = CivilDate::from_days_since_epoch(self.0.div_euclid(MS_PER_DAY));
        let ms = self.0.rem_euclid(MS_PER_DAY);
        format!("{date}T{:02}:{:02}:{:02}.{:03}Z", ms / 3_600_000, (ms / 60_000) % 60, (ms / 1000) % 60, ms % 1000)
    }
}

fn number(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0i64, |value, digit| value * 10 + i64::from(digit - b'0')))
}

/// `Z`, nothing, or `±h`, `±hh`, `±hmm`, `±hhmm`, `±h:mm`, `±hh:mm`, in minutes east of UTC.
fn offset_minutes(text: &[u8]) -> Option<i64> {
    let Some((&sign, rest)) = text.split_first() else { return Some(0) };
    let sign = match sign {
        b'Z' if rest.is_empty() => return Some(0),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = match rest {
        [h] => (number(&[*h])?, 0),
        [h1, h2] => (number(&[*h1, *h2])?, 0),
        [h, b':', m1, m2] => (number(&[*h])?, number(&[*m1, *m2])?),
        [h, m1, m2] => (number(&[*h])?, number(&[*m1, *m2])?),
        [h1, h2, b':', m1, m2] => (number(&[*h1, *h2])?, number(&[*m1, *m2])?),
        [h1, h2, m1, m2] => (number(&[*h1, *h2])?, number(&[*m1, *m2])?),
        _ => return None,
    };
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 60 + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime {
        DateTime::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn offsets_like_javascript_dates() {
        // The specification's leap-day table.
        assert_eq!(at("2020-02-29").plus(1, TimeUnit::Day).unwrap(), at("2020-03-01"));
        assert_eq!(at("2020-02-29").plus(1, TimeUnit::Month).unwrap(), at("2020-03-29"));
        assert_eq!(at("2020-02-29").plus(1, TimeUnit::Year).unwrap(), at("2021-03-01"));
        assert_eq!(at("2021-01-31").plus(1, TimeUnit::Month).unwrap(), at("2021-03-03"));
        assert_eq!(at("2021-03-31T10:00:00Z").plus(-1, TimeUnit::Month).unwrap(), at("2021-03-03T10:00:00Z"));
        assert_eq!(at("2021-06-01T00:00:00Z").plus(40, TimeUnit::Hour).unwrap(), at("2021-06-02T16:00:00Z"));
    }

    #[test]
    fn parses_every_listed_format() {
        let utc = at("2021-05-06T18:00:00Z").0;
        for text in [
            "2021-05-06T18:00:00",
            "2021-05-06T20:00:00+2",
            "2021-05-06T20:00:00+02",
            "2021-05-06T20:30:00+230",
            "2021-05-06T20:00:00+0200",
            "2021-05-06T20:00:00+2:00",
            "2021-05-06T16:00:00-02:00",
            "2021-05-06T18:00:00.0004Z",
        ] {
            assert_eq!(at(text).0, utc, "{text}");
        }
        assert_eq!(at("2021-05-06T18:00:00.1239Z").0, utc + 123);
        assert_eq!(at("2004").to_iso_string(), "2004-12-31T00:00:00.000Z");
        assert_eq!(at("2004-02").to_iso_string(), "2004-02-29T00:00:00.000Z");
        assert_eq!(DateTime::parse("2021-13-01"), None);
        assert_eq!(DateTime::parse("2021-05-06 18:00:00"), None);
        assert_eq!(DateTime::parse("yesterday"), None);
    }
}
