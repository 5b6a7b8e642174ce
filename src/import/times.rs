//! Reading the times and durations other archives write, and refusing implausible ones.
//!
//! Sources spell an instant in many ways (`2021-04-19T18:50:00-00:00`, `2020-06-13 15:54:00`,
//! `2021-03-31 12:06`, `2021-12-10`); some name no zone. A year that is not four digits, a
//! date before 1970 or after today is refused with the text as written, so a `20202-01-16`
//! typo stops the file instead of becoming the year 202 or 20202.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

/// An instant read from a source, and how much of it the source gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadTime {
    pub at: DateTime<FixedOffset>,
    /// The source named no zone: `at` is in the zone the import assumed.
    pub zone_assumed: bool,
    /// The source gave a day without a time: `at` is midnight.
    pub day_only: bool,
}

/// The earliest year an incident or publication is believed to have: before it, a date is
/// a typo.
const EARLIEST_YEAR: i32 = 1970;

/// Reads `text` as an instant; times without a zone are taken to be in `assumed`. `now`
/// bounds what is plausible. The error says what is wrong with the text, for the report.
pub fn read_time(text: &str, assumed: FixedOffset, now: DateTime<Utc>) -> Result<ReadTime, String> {
    let text = text.trim().trim_matches('"').trim();
    let read = parse(text, assumed).ok_or_else(|| match year_of(text) {
        Some(year) if year.len() != 4 => {
            format!("`{text}` is not a plausible date: the year `{year}` does not have four digits")
        }
        _ => format!("`{text}` is not a date and time hindsight can read"),
    })?;
    plausible(text, read.at, now)?;
    Ok(read)
}

/// The leading run of digits before a `-`, `/` or `.`: what a date's year is written as.
fn year_of(text: &str) -> Option<&str> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    (digits > 0 && text[digits..].starts_with(['-', '/', '.'])).then(|| &text[..digits])
}

/// Refuses an instant before 1970 or after `now`: `check` refuses an incident time in the
/// future, so an import must not write one.
pub fn plausible(text: &str, at: DateTime<FixedOffset>, now: DateTime<Utc>) -> Result<(), String> {
    use chrono::Datelike;
    if at.year() < EARLIEST_YEAR {
        return Err(format!(
            "`{text}` is not a plausible date: it is before {EARLIEST_YEAR}"
        ));
    }
    if at.with_timezone(&Utc) > now {
        return Err(format!(
            "`{text}` is not a plausible date: it is in the future"
        ));
    }
    Ok(())
}

fn parse(text: &str, assumed: FixedOffset) -> Option<ReadTime> {
    if year_of(text).is_some_and(|year| year.len() != 4) {
        return None;
    }
    let exact = |at| ReadTime {
        at,
        zone_assumed: false,
        day_only: false,
    };
    // `-00:00` is RFC 3339's "UTC, local zone unknown"; chrono reads it as UTC.
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(exact(at));
    }
    let spaced = text.replacen(' ', "T", 1);
    if let Ok(at) = DateTime::parse_from_rfc3339(&spaced) {
        return Some(exact(at));
    }
    for format in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S %z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(&spaced, format) {
            return Some(exact(at));
        }
    }
    let (naive, utc) = match spaced
        .strip_suffix(" UTC")
        .or_else(|| spaced.strip_suffix("Z"))
    {
        Some(rest) => (rest, true),
        None => (spaced.as_str(), false),
    };
    let local = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(naive, format).ok());
    let offset = if utc {
        FixedOffset::east_opt(0)?
    } else {
        assumed
    };
    if let Some(local) = local {
        return Some(ReadTime {
            at: local.and_local_timezone(offset).single()?,
            zone_assumed: !utc,
            day_only: false,
        });
    }
    let day = ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())?;
    Some(ReadTime {
        at: day
            .and_time(NaiveTime::MIN)
            .and_local_timezone(offset)
            .single()?,
        zone_assumed: true,
        day_only: true,
    })
}

/// Reads a duration as the DFDS Stats lists and others write it: `20 minutes`,
/// `4 hours 42 minutes`, `22 hours`, `1h 30m`, `90 min`. `None` for `?`, `N/A` and other
/// words that say nobody measured it.
pub fn read_duration(text: &str) -> Option<TimeDelta> {
    let text = text.trim().trim_end_matches('.');
    let mut total = TimeDelta::zero();
    let mut read_any = false;
    let mut number: Option<i64> = None;
    for word in split_number_words(text) {
        if let Ok(n) = word.parse::<i64>() {
            if number.is_some() {
                return None;
            }
            number = Some(n);
            continue;
        }
        let unit = match word.to_ascii_lowercase().as_str() {
            "d" | "day" | "days" => TimeDelta::try_days(1)?,
            "h" | "hr" | "hrs" | "hour" | "hours" => TimeDelta::try_hours(1)?,
            "m" | "min" | "mins" | "minute" | "minutes" => TimeDelta::try_minutes(1)?,
            "s" | "sec" | "secs" | "second" | "seconds" => TimeDelta::try_seconds(1)?,
            "and" | "," => continue,
            _ if word.starts_with("[^") => break,
            _ => return None,
        };
        let n = number.take()?;
        total = total.checked_add(&unit.checked_mul(i32::try_from(n).ok()?)?)?;
        read_any = true;
    }
    (read_any && number.is_none()).then_some(total)
}

/// `4 hours 42m` → `4`, `hours`, `42`, `m`: numbers and words apart.
fn split_number_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in text.split_whitespace() {
        let mut current = String::new();
        let mut digits = None;
        for c in chunk.chars() {
            let is_digit = c.is_ascii_digit();
            if digits.is_some_and(|d| d != is_digit) && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            digits = Some(is_digit);
            current.push(c);
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    words
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().expect("a valid instant")
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).expect("zero is a valid offset")
    }

    #[test]
    fn the_spellings_of_an_instant_read_alike() {
        for text in [
            "2021-04-19T18:50:00-00:00",
            "2021-04-19T18:50:00Z",
            "2021-04-19 18:50:00",
            "2021-04-19 18:50",
            "2021-04-19T20:50:00+02:00",
        ] {
            let read = read_time(text, utc(), now()).expect(text);
            assert_eq!(
                read.at.to_utc().to_rfc3339(),
                "2021-04-19T18:50:00+00:00",
                "{text}"
            );
        }
        assert!(
            read_time("2021-04-19 18:50", utc(), now())
                .unwrap()
                .zone_assumed
        );
        assert!(
            !read_time("2021-04-19T18:50:00Z", utc(), now())
                .unwrap()
                .zone_assumed
        );
        assert!(read_time("2021-12-10", utc(), now()).unwrap().day_only);
    }

    #[test]
    fn a_five_digit_year_is_refused_with_the_text_as_written() {
        let error = read_time("20202-01-16 12:00", utc(), now()).unwrap_err();
        assert!(error.contains("`20202-01-16 12:00`"), "{error}");
        assert!(error.contains("four digits"), "{error}");
        let error = read_time("202-01-16", utc(), now()).unwrap_err();
        assert!(error.contains("four digits"), "{error}");
    }

    #[test]
    fn dates_before_1970_or_in_the_future_are_refused() {
        assert!(
            read_time("1969-12-31", utc(), now())
                .unwrap_err()
                .contains("before 1970")
        );
        assert!(
            read_time("2031-01-01", utc(), now())
                .unwrap_err()
                .contains("future")
        );
    }

    #[test]
    fn durations_read_as_the_stats_lists_write_them() {
        let minutes = |text| read_duration(text).map(|d| d.num_minutes());
        assert_eq!(minutes("20 minutes"), Some(20));
        assert_eq!(minutes(" 87 minutes"), Some(87));
        assert_eq!(minutes("4 hours 42 minutes"), Some(282));
        assert_eq!(minutes("20 hours 20 minutes."), Some(1220));
        assert_eq!(minutes("22 hours"), Some(1320));
        assert_eq!(minutes("279 minutes [^3]"), Some(279));
        assert_eq!(minutes("1h 30m"), Some(90));
        assert_eq!(minutes("0 minutes"), Some(0));
        for unknown in ["?", "N/A", "YYY", "", "soon"] {
            assert_eq!(minutes(unknown), None, "{unknown}");
        }
    }
}
