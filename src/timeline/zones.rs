//! Zones as timelines write them: `Z`, `UTC`, abbreviations such as `CET`, offsets, and the
//! zone a section's notes declare for all its entries.

use chrono::FixedOffset;

use super::Zone;
use super::stamp::digits;

/// `Z`, `UTC`, `GMT`, a known abbreviation, or an offset, optionally after `UTC`/`GMT`.
pub(super) fn read_zone(s: &str) -> Option<(Zone, &str)> {
    if let Some(after) = s.strip_prefix('Z')
        && !after.starts_with(|c: char| c.is_alphanumeric())
    {
        return Some((utc(), after));
    }
    let trimmed = s.trim_start();
    if trimmed.starts_with(['+', '-']) {
        return read_offset(trimmed);
    }
    let word_len = trimmed
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(trimmed.len());
    let (word, after) = trimmed.split_at(word_len);
    let zone = named_zone(word)?;
    if zone.offset.local_minus_utc() == 0
        && after.starts_with(['+', '-'])
        && let Some((offset, after_offset)) = read_offset(after)
    {
        return Some((offset, after_offset));
    }
    Some((zone, after))
}

/// `+02:00`, `+0200`, `+2`, `-05`.
fn read_offset(s: &str) -> Option<(Zone, &str)> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let body = &s[1..];
    let len = body.len()
        - body
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == ':')
            .len();
    let written = &body[..len];
    let (hours, minutes) = match written.split_once(':') {
        Some((h, m)) => (digits(h)?, digits(m)?),
        None if written.len() == 4 => (digits(&written[..2])?, digits(&written[2..])?),
        None if (1..=2).contains(&written.len()) => (digits(written)?, 0),
        None => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60) as i32)?;
    Some((
        Zone {
            label: zone_label(offset),
            offset,
        },
        &body[len..],
    ))
}

/// Zone abbreviations timelines use. They are fixed offsets: `CET` is always +01:00, even in
/// summer, because that is what the writer wrote.
const NAMED_ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("WET", 0),
    ("BST", 60),
    ("IST", 330),
    ("CET", 60),
    ("CEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("JST", 540),
    ("KST", 540),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
];

fn named_zone(word: &str) -> Option<Zone> {
    let (label, minutes) = NAMED_ZONES.iter().find(|(label, _)| *label == word)?;
    Some(Zone {
        label: (*label).to_string(),
        offset: FixedOffset::east_opt(minutes * 60)?,
    })
}

fn utc() -> Zone {
    Zone {
        label: "UTC".to_string(),
        offset: FixedOffset::east_opt(0).expect("zero is a valid offset"),
    }
}

pub(super) fn zone_label(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".to_string()
    } else {
        offset.to_string()
    }
}

/// The zone a note declares: the first zone abbreviation or `UTC±N` among its words.
pub(super) fn declared_zone(note: &str) -> Option<Zone> {
    note.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | ':')))
        .find_map(|word| {
            let word = word.trim_end_matches(':');
            let (zone, rest) = read_zone(word)?;
            (rest.is_empty() && word.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
                .then_some(zone)
        })
}
