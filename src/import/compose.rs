//! Making a hindsight postmortem from what a source says: its entries (front matter or
//! metadata bullets), its heading, its timeline and its Stats durations.
//!
//! Where the source gives a value, it is used, or the file is refused with the line and the
//! reason when the value cannot be right (a date that cannot be read or is implausible, an end
//! before a start, a severity the archive has no place for). Where a required value has no
//! source, the best one is written and listed as a [`Guess`], which the front matter marks
//! with a comment: an incident time is never made up silently.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::config::Config;
use crate::document::{PostmortemStatus, Visibility};
use crate::markdown;

use super::incident::{Times, incident_times, publication_date};
use super::mapping::{Field, Mapping};
use super::shape::{Entry, Parsed, Refusal, Shape};
use super::times::{self, ReadTime};

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
    /// The zone of source times that name none: the mapping file's, else the archive's.
    pub(super) fn zone(&self) -> FixedOffset {
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
