//! Making a hindsight postmortem from what a source says: its entries (front matter or
//! metadata bullets), its heading, its timeline and its Stats durations.
//!
//! Where the source gives a value, it is used, or the file is refused with the line and the
//! reason when the value cannot be right (a date that cannot be read or is implausible, an end
//! before a start, a severity the archive has no place for). Where a required value has no
//! source, the best one is written and listed as a [`Guess`], which the front matter marks
//! with a comment: an incident time is never made up silently.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};

use crate::config::{Config, Edition};
use crate::document::{PostmortemStatus, Visibility};
use crate::markdown;
use crate::timeline::{self, Precision, ZoneSource};

use super::mapping::{Field, Mapping};
use super::shape::{Entry, Parsed, Refusal, Shape};
use super::times::{self, ReadTime, line_at};

/// A postmortem ready to be written, and what the import had to guess for it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub title: String,
    pub date: NaiveDate,
    pub summary: Option<String>,
    pub authors: Vec<String>,
    pub status: Option<PostmortemStatus>,
    /// Written only when internal: a document is public unless it says otherwise.
    pub visibility: Visibility,
    pub severity: String,
    /// Ids, each with the spellings that became it.
    pub services: Vec<Id>,
    pub tags: Vec<Id>,
    pub started: DateTime<FixedOffset>,
    pub detected: Option<DateTime<FixedOffset>>,
    pub mitigated: Option<DateTime<FixedOffset>>,
    pub resolved: Option<DateTime<FixedOffset>>,
    /// The source's URL, when it gives an http(s) one.
    pub url: Option<String>,
    /// Keys the schema has no place for, as written.
    pub fields: toml::Table,
    pub shape: Shape,
    pub guesses: Vec<Guess>,
    pub body: String,
}

/// A service or tag id and the spellings it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id {
    pub id: String,
    pub spellings: Vec<String>,
}

/// A value written without a source for it, or made from one with an assumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    /// The front-matter key it is written at: `date`, `severity`, `incident.started`.
    pub key: &'static str,
    /// Why, in a few words for the comment and the report.
    pub why: String,
}

/// What composing needs besides the source: the archive's scale, the mapping and the clock.
pub struct Context<'a> {
    pub config: &'a Config,
    pub mapping: &'a Mapping,
    pub now: DateTime<Utc>,
    /// The source file, for its name's date and its modification time when nothing else
    /// dates it.
    pub file: &'a Path,
}

impl Context<'_> {
    fn zone(&self) -> FixedOffset {
        self.mapping
            .timezone
            .or_else(|| super::mapping::offset_of(&self.config.timezone))
            .unwrap_or(FixedOffset::east_opt(0).expect("zero is a valid offset"))
    }

    fn read_time(&self, entry: &Entry) -> Result<ReadTime, Refusal> {
        let text = match &entry.value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => other.to_string(),
        };
        times::read_time(&text, self.zone(), self.now)
            .map_err(|why| (Some(entry.line), format!("`{}`: {why}", entry.key)))
    }
}

/// The times the source gives, each with the line it is on.
#[derive(Default)]
struct Times {
    date: Option<(ReadTime, usize)>,
    date_or_start: Option<(ReadTime, usize)>,
    started: Option<(ReadTime, usize)>,
    detected: Option<(ReadTime, usize)>,
    mitigated: Option<(ReadTime, usize)>,
    resolved: Option<(ReadTime, usize)>,
    to_detect: Option<TimeDelta>,
    to_resolve: Option<TimeDelta>,
}

/// Composes the postmortem of one parsed source, or says why it cannot.
pub fn compose(parsed: Parsed, context: &Context) -> Result<Draft, Refusal> {
    let mapping = context.mapping;
    let mut times = Times::default();
    let mut title = None;
    let mut summary = None;
    let mut severity: Option<(String, usize)> = None;
    let mut services = Vec::new();
    let mut tags = Vec::new();
    let mut authors = Vec::new();
    let mut status = None;
    let mut visibility = context.mapping.default_visibility;
    let mut url = None;
    let mut fields = toml::Table::new();
    let mut guesses = Vec::new();
    for entry in &parsed.entries {
        let field = mapping.field(&entry.key);
        let read = || context.read_time(entry).map(|t| (t, entry.line));
        match field {
            Field::Title => title = text_of(&entry.value),
            Field::Summary => summary = text_of(&entry.value),
            Field::Severity => severity = text_of(&entry.value).map(|s| (s, entry.line)),
            Field::Services => services.extend(list_of(&entry.value)),
            Field::Tags => tags.extend(list_of(&entry.value)),
            Field::Authors => authors.extend(list_of(&entry.value)),
            Field::Status => {
                status = text_of(&entry.value).and_then(|s| status_of(&s));
                if status.is_none() {
                    fields.insert(entry.key.clone(), entry.value.clone());
                }
            }
            Field::Draft => {
                if entry.value.as_bool() == Some(true) {
                    status = Some(PostmortemStatus::Draft);
                } else {
                    fields.insert(entry.key.clone(), entry.value.clone());
                }
            }
            Field::Visibility => {
                let seen = visibility_of(&entry.key, &entry.value);
                // Of two keys that disagree, the one that keeps the document in wins.
                if visibility != Some(Visibility::Internal) {
                    visibility = Some(seen);
                }
                if seen == Visibility::Internal
                    && !matches!(&entry.value, toml::Value::String(v) if v == "internal")
                {
                    guesses.push(Guess {
                        key: "visibility",
                        why: format!("the source's `{}` says it is not for everyone", entry.key),
                    });
                }
            }
            Field::Url => match text_of(&entry.value) {
                Some(u) if u.starts_with("https://") || u.starts_with("http://") => url = Some(u),
                _ => {
                    fields.insert(entry.key.clone(), entry.value.clone());
                }
            },
            // `resolved: true` says whether, not when.
            Field::Resolved if matches!(entry.value, toml::Value::Boolean(_)) => {
                fields.insert(entry.key.clone(), entry.value.clone());
            }
            Field::Date => times.date = Some(read()?),
            Field::DateOrStart => times.date_or_start = Some(read()?),
            Field::Started => times.started = Some(read()?),
            Field::Detected => times.detected = Some(read()?),
            Field::Mitigated => times.mitigated = Some(read()?),
            Field::Resolved => times.resolved = Some(read()?),
            Field::TimeToDetect => {
                times.to_detect = text_of(&entry.value).and_then(|t| times::read_duration(&t))
            }
            Field::TimeToResolve => {
                times.to_resolve = text_of(&entry.value).and_then(|t| times::read_duration(&t))
            }
            Field::Ignore => {}
            Field::Extra => {
                fields.insert(entry.key.clone(), entry.value.clone());
            }
        }
    }
    let title = title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| parsed.heading.as_ref().map(|(h, _)| h.clone()))
        .ok_or((
            None,
            "no title anywhere: no `title` key and no `# ` heading; add one and import again"
                .to_string(),
        ))?;
    if markdown::slugify(&title).is_empty() {
        return Err((
            parsed.heading.as_ref().map(|(_, line)| *line),
            format!("the title \"{title}\" has no letters or digits to name the page after"),
        ));
    }
    let incident = incident_times(&parsed, &mut times, context, &mut guesses)?;
    let date = publication_date(&times, &incident, &mut guesses);
    let severity = severity_of(severity, context, &mut guesses)?;
    let services = if services.is_empty() {
        mapping.default_services.clone()
    } else {
        services
    };
    if services.is_empty() {
        guesses.push(Guess {
            key: "services",
            why: "no service named in the source".into(),
        });
    }
    Ok(Draft {
        title: title.trim().to_string(),
        date,
        summary,
        authors,
        status,
        visibility: visibility.unwrap_or_default(),
        severity,
        services: ids(services, "services", mapping),
        tags: ids(tags, "tags", mapping),
        started: incident.started,
        detected: incident.detected,
        mitigated: incident.mitigated,
        resolved: incident.resolved,
        url,
        fields,
        shape: parsed.shape,
        guesses,
        body: parsed.body,
    })
}

struct Incident {
    started: DateTime<FixedOffset>,
    detected: Option<DateTime<FixedOffset>>,
    mitigated: Option<DateTime<FixedOffset>>,
    resolved: Option<DateTime<FixedOffset>>,
}

/// The incident's times: as the source names them, else from its Stats durations, else from
/// its timeline; refused when they are out of order.
fn incident_times(
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
    let timeline = timeline::parse(&section, anchor);
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
fn publication_date(times: &Times, incident: &Incident, guesses: &mut Vec<Guess>) -> NaiveDate {
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

/// The severity on the archive's scale: the source's, through the mapping file, or matched
/// by id or label; the mapping's default or the least severe level when the source has none.
fn severity_of(
    written: Option<(String, usize)>,
    context: &Context,
    guesses: &mut Vec<Guess>,
) -> Result<String, Refusal> {
    let scale = &context.config.severities;
    let ids: Vec<&str> = scale.iter().map(|s| s.id.as_str()).collect();
    let on_scale = |mapped: &str, from: &str, line: Option<usize>| {
        if ids.contains(&mapped) {
            Ok(mapped.to_string())
        } else {
            Err((
                line,
                format!(
                    "the mapping file gives {from} as `{mapped}`, which is not on this archive's scale ({}); fix the mapping file",
                    ids.join(", ")
                ),
            ))
        }
    };
    let Some((written, line)) = written else {
        if let Some(default) = &context.mapping.default_severity {
            return on_scale(default, "the default severity", None);
        }
        let least = scale.last().map(|s| s.id.clone()).unwrap_or_default();
        guesses.push(Guess {
            key: "severity",
            why: "no severity in the source: the least severe of the scale".into(),
        });
        return Ok(least);
    };
    if let Some(mapped) = context.mapping.value("severity", &written) {
        return on_scale(mapped, &format!("the severity `{written}`"), Some(line));
    }
    let plain = written.trim().to_lowercase();
    if let Some(level) = scale
        .iter()
        .find(|s| s.id.to_lowercase() == plain || s.label.to_lowercase() == plain)
    {
        return Ok(level.id.clone());
    }
    Err((
        Some(line),
        format!(
            "the severity `{written}` is not on this archive's scale ({}); map it in a mapping file: `[values.severity]` `{written} = \"{}\"`, and pass it with --map",
            ids.join(", "),
            ids.first().unwrap_or(&"sev1")
        ),
    ))
}

/// Service or tag ids: the mapping file's, or the written name as a slug.
fn ids(written: Vec<String>, field: &str, mapping: &Mapping) -> Vec<Id> {
    let mut ids: Vec<Id> = Vec::new();
    for spelling in written {
        let id = mapping
            .value(field, &spelling)
            .map_or_else(|| markdown::slugify(&spelling), str::to_string);
        if id.is_empty() {
            continue;
        }
        match ids.iter_mut().find(|known| known.id == id) {
            Some(known) => known.spellings.push(spelling),
            None => ids.push(Id {
                id,
                spellings: vec![spelling],
            }),
        }
    }
    ids
}

/// What a visibility key says: `visibility = "internal"`, `internal: true`, `private: true`.
/// A value it cannot read keeps the document internal: leaving out a public document is
/// easily undone, publishing an internal one is not.
fn visibility_of(key: &str, value: &toml::Value) -> Visibility {
    match value {
        toml::Value::Boolean(false) => Visibility::Public,
        toml::Value::Boolean(true) => Visibility::Internal,
        toml::Value::String(text) if super::mapping::normalize(key) == "visibility" => {
            match markdown::slugify(text).as_str() {
                "public" | "external" => Visibility::Public,
                _ => Visibility::Internal,
            }
        }
        _ => Visibility::Internal,
    }
}

fn status_of(written: &str) -> Option<PostmortemStatus> {
    match markdown::slugify(written).as_str() {
        "draft" => Some(PostmortemStatus::Draft),
        "in-review" | "review" => Some(PostmortemStatus::InReview),
        "published" | "final" => Some(PostmortemStatus::Published),
        _ => None,
    }
}

fn text_of(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        toml::Value::Array(items) => items.first().and_then(text_of),
        toml::Value::Table(_) => None,
        other => Some(other.to_string()),
    }
}

/// A list, or a comma-separated text, as its items.
fn list_of(value: &toml::Value) -> Vec<String> {
    match value {
        toml::Value::Array(items) => items.iter().filter_map(text_of).collect(),
        toml::Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        other => text_of(other).into_iter().collect(),
    }
}

/// An instant as the front matter writes it: `2021-03-31T12:06:00Z`.
pub fn rfc3339(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn zone_label(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".into()
    } else {
        offset.to_string()
    }
}
