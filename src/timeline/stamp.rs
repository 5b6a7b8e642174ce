//! The time at the start of a timeline entry: date, time of day and zone as written, and
//! the entry's text after it.

use chrono::{NaiveDate, NaiveTime};

use super::Precision;
use super::Zone;
use super::zones::read_zone;

/// A time read from the start of an entry.
#[derive(Debug, PartialEq)]
pub(super) struct Stamp {
    pub(super) date: Option<NaiveDate>,
    pub(super) time: Option<NaiveTime>,
    pub(super) zone: Option<Zone>,
    pub(super) precision: Precision,
    pub(super) written: String,
}

/// An entry's time and text: a list item's single cell begins with the time; a table row's
/// first cell is the time and the other cells are the text.
pub(super) fn read_entry(cells: &[String]) -> Option<(Stamp, String)> {
    let first = cells.first()?;
    let (stamp, rest) = read_stamp(first)?;
    if cells.len() == 1 {
        let text = strip_separator(rest);
        return (!text.is_empty()).then(|| (stamp, text.to_string()));
    }
    // A table cell may give a range (`09:00 - 11:00`): the event is at its start.
    let after = strip_separator(rest);
    if !after.is_empty()
        && !read_stamp(after).is_some_and(|(_, end)| end.trim().is_empty())
        && read_placeholder_time(after) != Some("")
    {
        return None;
    }
    let text: Vec<&str> = cells[1..]
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    Some((stamp, text.join(" — ")))
}

/// Reads `[date] [time] [zone]` from the start of `s`; returns it and what follows.
fn read_stamp(s: &str) -> Option<(Stamp, &str)> {
    // `~` marks an approximate time: `~09:30`.
    let trimmed = s.trim_start().trim_start_matches('~');
    let bracketed = trimmed.starts_with('[');
    let start = if bracketed { &trimmed[1..] } else { trimmed };
    let mut rest = start;

    let date = read_date(rest).map(|(date, after)| {
        rest = after;
        date
    });
    let mut precision = Precision::Day;
    let mut time = None;
    if date.is_some() {
        let after_sep = rest
            .strip_prefix('T')
            .or_else(|| rest.strip_prefix(", "))
            .or_else(|| rest.strip_prefix(' '))
            .map(str::trim_start);
        if let Some(after_sep) = after_sep {
            if let Some((t, p, after)) = read_time(after_sep) {
                time = Some(t);
                precision = p;
                rest = after;
            } else if let Some(after) = read_placeholder_time(after_sep) {
                rest = after;
            }
        }
    } else {
        let (t, p, after) = read_time(rest)?;
        time = Some(t);
        precision = p;
        rest = after;
    }
    let zone = read_zone(rest).map(|(zone, after)| {
        rest = after;
        zone
    });
    let written = start[..start.len() - rest.len()].trim().to_string();
    rest = rest.strip_prefix('~').unwrap_or(rest);
    if bracketed {
        rest = rest.trim_start().strip_prefix(']')?;
    }
    // The time must end at a word boundary: `09:29am` was read whole, `12:00x` is not a time.
    if rest.chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    Some((
        Stamp {
            date,
            time,
            zone,
            precision,
            written,
        },
        rest,
    ))
}

/// `2016-09-05` or `2016/09/05`.
fn read_date(s: &str) -> Option<(NaiveDate, &str)> {
    let bytes = s.as_bytes();
    if bytes.len() < 10 {
        return None;
    }
    let sep = bytes[4];
    if !(sep == b'-' || sep == b'/') || bytes[7] != sep {
        return None;
    }
    let year = digits(&s[0..4])?;
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    if bytes.get(10).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some((date, &s[10..]))
}

/// `9:29`, `09:29`, `09:29:30`, `09:29:30.123`, `9:29 pm`.
fn read_time(s: &str) -> Option<(NaiveTime, Precision, &str)> {
    let colon = s.find(':')?;
    if !(1..=2).contains(&colon) {
        return None;
    }
    let mut hour = digits(&s[..colon])?;
    let minute = digits(s.get(colon + 1..colon + 3)?)?;
    let mut rest = &s[colon + 3..];
    let mut second = 0;
    let mut precision = Precision::Minute;
    if let Some(sec) = rest
        .strip_prefix(':')
        .and_then(|r| r.get(..2))
        .and_then(digits)
    {
        second = sec;
        precision = Precision::Second;
        rest = &rest[3..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let len = fraction.len()
                - fraction
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            rest = &fraction[len..];
        }
    }
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let after_space = rest.trim_start();
    for (suffix, add) in [("am", 0), ("pm", 12), ("a.m.", 0), ("p.m.", 12)] {
        if let Some(after) = strip_prefix_ignore_case(after_space, suffix)
            && !after.starts_with(|c: char| c.is_alphanumeric())
        {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = hour % 12 + add;
            rest = after;
            break;
        }
    }
    let time = NaiveTime::from_hms_opt(hour, minute, second)?;
    Some((time, precision, rest))
}

/// A time left to be filled in: `--:--`, `HH:mm`, `??:??`, `xx:xx`.
/// (Smart punctuation has already turned `--` into `–`.)
fn read_placeholder_time(s: &str) -> Option<&str> {
    let len = s.find(char::is_whitespace).unwrap_or(s.len());
    let (h, m) = s[..len].split_once(':')?;
    let is_placeholder = |part: &str, letter: char| {
        (1..=2).contains(&part.chars().count())
            && part.chars().all(|c| {
                matches!(c, '-' | '–' | '—' | '?' | 'x' | 'X') || c.eq_ignore_ascii_case(&letter)
            })
    };
    (is_placeholder(h, 'h') && is_placeholder(m, 'm')).then(|| &s[len..])
}

/// Drops the separator between a time and its text: `-`, `–`, `—`, `:`, `|`, `,`.
fn strip_separator(s: &str) -> &str {
    let s = s.trim_start();
    let s = s.strip_prefix(['-', '–', '—', ':', '|', ',']).unwrap_or(s);
    s.trim()
}

pub(super) fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}
