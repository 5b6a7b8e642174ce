//! The incident's times and the publication date of an imported postmortem: as the source
//! names them, else from its Stats durations, else from its Timeline section, read as the
//! pages read it. An entry whose date is a typo, a time that is implausible, or an end before
//! a start refuses the file; a time read with an assumed zone or day is listed as a guess.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};

use crate::config::Edition;
use crate::markdown;
use crate::timeline::{self, Precision, ZoneSource};

use super::compose::{Context, Guess, rfc3339};
use super::shape::{Parsed, Refusal};
use super::times::{self, ReadTime, line_at};

/// The times the source gives, each with the line it is on.
#[derive(Default)]
pub(super) struct Times {
    pub(super) date: Option<(ReadTime, usize)>,
    pub(super) date_or_start: Option<(ReadTime, usize)>,
    pub(super) started: Option<(ReadTime, usize)>,
    pub(super) detected: Option<(ReadTime, usize)>,
    pub(super) mitigated: Option<(ReadTime, usize)>,
    pub(super) resolved: Option<(ReadTime, usize)>,
    pub(super) to_detect: Option<TimeDelta>,
    pub(super) to_resolve: Option<TimeDelta>,
}

/// The incident's times, in order.
pub(super) struct Incident {
    pub(super) started: DateTime<FixedOffset>,
    pub(super) detected: Option<DateTime<FixedOffset>>,
    pub(super) mitigated: Option<DateTime<FixedOffset>>,
    pub(super) resolved: Option<DateTime<FixedOffset>>,
}

/// The incident's times: as the source names them, else from its Stats durations, else from
/// its timeline; refused when they are out of order.
pub(super) fn incident_times(
    parsed: &Parsed,
    times: &mut Times,
    context: &Context,
    guesses: &mut Vec<Guess>,
) -> Result<Incident, Refusal> {
    // `date` is the start when nothing else is, and the publication date otherwise.
    if times.started.is_none() {
        times.started = times.date_or_start.take();
    } else if times.date.is_none() {
        times.date = times.date_or_start.take();
    }
    let anchor = times
        .started
        .or(times.date)
        .map_or(DateTime::UNIX_EPOCH.fixed_offset(), |(t, _)| t.at);
    let timeline = timeline_of(parsed, anchor.with_timezone(&context.zone()), context.now)?;
    let mut started = match times.started {
        Some((t, _)) if !t.day_only => Some(t),
        _ => None,
    };
    if started.is_none() {
        started = timeline.as_ref().and_then(|t| t.first);
    }
    let started = match started.or(times.started.map(|(t, _)| t)) {
        Some(t) => {
            guesses.extend(assumption("incident.started", t, context.zone()));
            t.at
        }
        None => undated_start(context, guesses),
    };
    for (key, time) in [
        ("incident.detected", times.detected),
        ("incident.mitigated", times.mitigated),
        ("incident.resolved", times.resolved),
    ] {
        if let Some(guess) = time.and_then(|(t, _)| assumption(key, t, context.zone())) {
            guesses.push(guess);
        }
    }
    let after_start = |delta: Option<TimeDelta>| delta.map(|d| started + d);
    let detected = times
        .detected
        .map(|(t, _)| t.at)
        .or_else(|| after_start(times.to_detect));
    let mitigated = times.mitigated.map(|(t, _)| t.at);
    let resolved = times
        .resolved
        .map(|(t, _)| t.at)
        .or_else(|| after_start(times.to_resolve))
        .or_else(|| {
            timeline
                .as_ref()
                .and_then(|t| t.last)
                .filter(|last| *last > started)
        });
    let marks = [
        ("started", Some(started), times.started.map(|(_, l)| l)),
        ("detected", detected, times.detected.map(|(_, l)| l)),
        ("mitigated", mitigated, times.mitigated.map(|(_, l)| l)),
        ("resolved", resolved, times.resolved.map(|(_, l)| l)),
    ];
    let mut latest: Option<(&str, DateTime<FixedOffset>)> = None;
    for (name, time, line) in marks {
        let Some(time) = time else { continue };
        if let Some((earlier_name, earlier)) = latest
            && time < earlier
        {
            return Err((
                line,
                format!(
                    "the incident ends before it starts: {name} {} is before {earlier_name} {}; fix the times and import again",
                    rfc3339(time),
                    rfc3339(earlier)
                ),
            ));
        }
        latest = Some((name, time));
    }
    Ok(Incident {
        started,
        detected,
        mitigated,
        resolved,
    })
}

/// What was assumed to read `time`, written at `key`: its zone, or its time of day.
fn assumption(key: &'static str, time: ReadTime, zone: FixedOffset) -> Option<Guess> {
    let why = if time.day_only {
        "the source gives the day only: midnight".to_string()
    } else if time.zone_assumed {
        format!(
            "the source names no time zone: taken as {}",
            zone_label(zone)
        )
    } else {
        return None;
    };
    Some(Guess { key, why })
}

/// The start of an incident whose source gives no time at all: the date in the file's name,
/// else the file's modification time; both are guesses the report lists.
fn undated_start(context: &Context, guesses: &mut Vec<Guess>) -> DateTime<FixedOffset> {
    let name = context
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let from_name = (0..name.len().saturating_sub(9)).find_map(|i| {
        let candidate = name.get(i..i + 10)?;
        NaiveDate::parse_from_str(candidate, "%Y-%m-%d").ok()
    });
    if let Some(day) = from_name
        && let Some(at) = day
            .and_time(chrono::NaiveTime::MIN)
            .and_local_timezone(context.zone())
            .single()
    {
        guesses.push(Guess {
            key: "incident.started",
            why: "no time in the source: midnight of the date in the file's name".into(),
        });
        return at;
    }
    let modified = std::fs::symlink_metadata(context.file)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or(context.now);
    guesses.push(Guess {
        key: "incident.started",
        why: "no date anywhere in the source: the file's modification time".into(),
    });
    let local = modified.with_timezone(&context.zone());
    local
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(context.zone())
        .single()
        .unwrap_or(local)
}

/// What the source's timeline says about the incident's start and end.
struct TimelineTimes {
    /// The first entry that gives a date.
    first: Option<ReadTime>,
    /// The last entry's instant, when it has a time of day.
    last: Option<DateTime<FixedOffset>>,
}

/// Reads the body's Timeline section as the pages will, refusing an entry whose date is a
/// typo (`20202-01-16`) or implausible.
fn timeline_of(
    parsed: &Parsed,
    anchor: DateTime<FixedOffset>,
    now: DateTime<Utc>,
) -> Result<Option<TimelineTimes>, Refusal> {
    let path = Path::new("content/postmortems/import.md");
    let markdown_context = markdown::Context {
        path,
        base_path: "",
        base_url: "",
        edition: Edition::Internal,
        unsafe_html: false,
        render_html: false,
        highlights: None,
        withheld_targets: None,
    };
    let body = &parsed.body;
    let Some(section) = markdown::analyze(body, 0..body.len(), &markdown_context).timeline else {
        return Ok(None);
    };
    let line_of = |offset: usize| parsed.body_line + line_at(body, offset);
    // Entries that name no zone are in the anchor's offset, as import has always read them.
    let timeline = timeline::parse(&section, anchor, crate::zone::Zone::default());
    for span in &timeline.unparsed {
        let Some(entry) = section.entries.iter().find(|e| e.span == *span) else {
            continue;
        };
        let first = entry.cells.first().map(String::as_str).unwrap_or("").trim();
        let year: String = first.chars().take_while(char::is_ascii_digit).collect();
        if !year.is_empty() && year.len() != 4 && first[year.len()..].starts_with(['-', '/']) {
            let written = first
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            return Err((
                Some(line_of(span.start)),
                format!(
                    "timeline entry `{written}` is not a plausible date: the year `{year}` does not have four digits; fix it and import again"
                ),
            ));
        }
    }
    let dated = |written: &str| {
        let year: String = written.chars().take_while(char::is_ascii_digit).collect();
        year.len() == 4
    };
    for event in &timeline.events {
        if dated(&event.written) {
            times::plausible(&event.written, event.at, now).map_err(|why| {
                (
                    Some(line_of(event.span.start)),
                    format!("timeline entry {why}"),
                )
            })?;
        }
    }
    let first = timeline
        .events
        .iter()
        .find(|e| dated(&e.written))
        .map(|e| ReadTime {
            at: e.at,
            zone_assumed: e.zone_source == ZoneSource::Incident,
            day_only: e.precision == Precision::Day,
        });
    let last = timeline
        .events
        .iter()
        .filter(|e| e.precision != Precision::Day)
        .map(|e| e.at)
        .max();
    Ok(Some(TimelineTimes { first, last }))
}

/// The publication date: as the source gives it, else the day the incident ended (or
/// started), listed as a guess.
pub(super) fn publication_date(
    times: &Times,
    incident: &Incident,
    guesses: &mut Vec<Guess>,
) -> NaiveDate {
    if let Some((date, _)) = times.date {
        return date.at.date_naive();
    }
    let (day, when) = match incident.resolved {
        Some(resolved) => (resolved.date_naive(), "ended"),
        None => (incident.started.date_naive(), "started"),
    };
    guesses.push(Guess {
        key: "date",
        why: format!("no publication date in the source: the day the incident {when}"),
    });
    day
}

fn zone_label(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".into()
    } else {
        offset.to_string()
    }
}
