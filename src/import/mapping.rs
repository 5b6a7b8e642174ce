//! Which of a source's keys means what, and the mapping file (`--map`) that lets a team name
//! its own keys and translate its values.
//!
//! Keys are compared without case, spaces, dashes, dots or underscores, so `start_time`,
//! `startTime` and `Start time` are one key. A mapping file's names win over the built-in ones.
//!
//! ```toml
//! timezone = "+01:00"          # the zone of source times that name none (default: UTC)
//! [keys]
//! "Incident owner" = "authors"  # a source key -> a hindsight field, or "extra", or "ignore"
//! [values.severity]
//! down = "sev1"                 # a source value -> an id of the archive
//! [values.services]
//! "get.jenkins.io" = "downloads"
//! [defaults]
//! severity = "sev3"             # when a source gives none
//! services = ["platform"]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use chrono::FixedOffset;
use serde::Deserialize;

/// What a source key becomes in a hindsight postmortem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Title,
    /// The publication date.
    Date,
    /// `date` in status pages and blogs: the incident's start unless a start is also given,
    /// then the publication date.
    DateOrStart,
    Started,
    Detected,
    Mitigated,
    Resolved,
    Severity,
    Services,
    Tags,
    Authors,
    Summary,
    Status,
    /// `visibility = "internal"`, or `internal: true`, `private: true`: who may read it.
    Visibility,
    /// `draft: true`.
    Draft,
    /// Where the source was published, shown as a link on the page.
    Url,
    TimeToDetect,
    TimeToResolve,
    /// Dropped on purpose (named `ignore` in the mapping file).
    Ignore,
    /// Kept under `[extra.import.fields]`.
    Extra,
}

impl Field {
    /// The field a mapping file names, such as `started` or `services`.
    fn named(name: &str) -> Option<Field> {
        Some(match name {
            "title" => Field::Title,
            "date" => Field::Date,
            "started" => Field::Started,
            "detected" => Field::Detected,
            "mitigated" => Field::Mitigated,
            "resolved" => Field::Resolved,
            "severity" => Field::Severity,
            "services" => Field::Services,
            "tags" => Field::Tags,
            "authors" => Field::Authors,
            "summary" => Field::Summary,
            "status" => Field::Status,
            "visibility" => Field::Visibility,
            "url" => Field::Url,
            "time_to_detect" => Field::TimeToDetect,
            "time_to_resolve" => Field::TimeToResolve,
            "ignore" => Field::Ignore,
            "extra" => Field::Extra,
            _ => return None,
        })
    }
}

/// The names a mapping file may give in `[keys]`, for its error message.
const FIELD_NAMES: &str = "title, date, started, detected, mitigated, resolved, severity, services, tags, authors, summary, status, visibility, url, time_to_detect, time_to_resolve, extra, ignore";

/// The spellings the archives this was made from use, normalized (see [`normalize`]).
const BUILT_IN: &[(&str, Field)] = &[
    ("title", Field::Title),
    ("name", Field::Title),
    ("headline", Field::Title),
    ("published", Field::Date),
    ("publishdate", Field::Date),
    ("publishedat", Field::Date),
    ("publicationdate", Field::Date),
    ("pubdate", Field::Date),
    ("date", Field::DateOrStart),
    ("starttime", Field::Started),
    ("start", Field::Started),
    ("started", Field::Started),
    ("startedat", Field::Started),
    ("startdate", Field::Started),
    ("incidentstart", Field::Started),
    ("incidentstarted", Field::Started),
    ("began", Field::Started),
    ("occurred", Field::Started),
    ("occurredat", Field::Started),
    ("impactstart", Field::Started),
    ("detected", Field::Detected),
    ("detectedat", Field::Detected),
    ("detectedwhen", Field::Detected),
    ("detectiontime", Field::Detected),
    ("incidentdetected", Field::Detected),
    ("mitigated", Field::Mitigated),
    ("mitigatedat", Field::Mitigated),
    ("incidentmitigated", Field::Mitigated),
    ("endtime", Field::Resolved),
    ("end", Field::Resolved),
    ("ended", Field::Resolved),
    ("endedat", Field::Resolved),
    ("enddate", Field::Resolved),
    ("resolved", Field::Resolved),
    ("resolvedat", Field::Resolved),
    ("resolvedwhen", Field::Resolved),
    ("resolutiontime", Field::Resolved),
    ("incidentresolved", Field::Resolved),
    ("severity", Field::Severity),
    ("sev", Field::Severity),
    ("level", Field::Severity),
    ("priority", Field::Severity),
    ("affected", Field::Services),
    ("affectedservices", Field::Services),
    ("services", Field::Services),
    ("service", Field::Services),
    ("product", Field::Services),
    ("products", Field::Services),
    ("component", Field::Services),
    ("components", Field::Services),
    ("system", Field::Services),
    ("systems", Field::Services),
    ("company", Field::Services),
    ("tags", Field::Tags),
    ("tag", Field::Tags),
    ("categories", Field::Tags),
    ("category", Field::Tags),
    ("keywords", Field::Tags),
    ("labels", Field::Tags),
    ("authors", Field::Authors),
    ("author", Field::Authors),
    ("owner", Field::Authors),
    ("owners", Field::Authors),
    ("summary", Field::Summary),
    ("description", Field::Summary),
    ("status", Field::Status),
    ("visibility", Field::Visibility),
    ("internal", Field::Visibility),
    ("private", Field::Visibility),
    ("confidential", Field::Visibility),
    ("draft", Field::Draft),
    ("url", Field::Url),
    ("link", Field::Url),
    ("sourceurl", Field::Url),
    ("permalink", Field::Url),
    ("timetodetection", Field::TimeToDetect),
    ("timetodetect", Field::TimeToDetect),
    ("ttd", Field::TimeToDetect),
    ("timetorecovery", Field::TimeToResolve),
    ("timetorecover", Field::TimeToResolve),
    ("timetoresolve", Field::TimeToResolve),
    ("timetoresolution", Field::TimeToResolve),
    ("ttr", Field::TimeToResolve),
];

/// A key without case, spaces, dashes, dots or underscores: `Time to detection` → `timetodetection`.
pub fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The built-in names with a mapping file's on top.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    keys: BTreeMap<String, Field>,
    /// Source values to archive values, by field: `severity`, `services`, `tags`.
    values: BTreeMap<String, BTreeMap<String, String>>,
    /// The zone of times that name none.
    pub timezone: Option<FixedOffset>,
    pub default_severity: Option<String>,
    pub default_services: Vec<String>,
    /// `internal` keeps every imported document out of the public edition.
    pub default_visibility: Option<crate::document::Visibility>,
}

/// The mapping file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    timezone: Option<String>,
    #[serde(default)]
    keys: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    defaults: Defaults,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    severity: Option<String>,
    #[serde(default)]
    visibility: Option<crate::document::Visibility>,
    #[serde(default)]
    services: Vec<String>,
}

impl Mapping {
    /// Reads a mapping file; the error names the file, the line and what to change.
    pub fn read(path: &Path) -> Result<Mapping, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the mapping file: {e}", path.display()))?;
        let at = |span: Option<std::ops::Range<usize>>| {
            let line = span.map_or(1, |s| super::times::line_at(&text, s.start));
            format!("{}:{line}", path.display())
        };
        let file: MappingFile = toml::from_str(&text)
            .map_err(|e| format!("{}: {}", at(e.span()), e.message().trim()))?;
        let mut mapping = Mapping {
            default_severity: file.defaults.severity,
            default_services: file.defaults.services,
            default_visibility: file.defaults.visibility,
            ..Mapping::default()
        };
        for (key, name) in file.keys {
            let field = Field::named(&name).ok_or_else(|| {
                format!(
                    "{}: `{key} = \"{name}\"`: `{name}` is not a field import knows; use one of: {FIELD_NAMES}",
                    path.display()
                )
            })?;
            mapping.keys.insert(normalize(&key), field);
        }
        for (field, values) in file.values {
            if !["severity", "services", "tags"].contains(&field.as_str()) {
                return Err(format!(
                    "{}: `[values.{field}]`: only severity, services and tags values can be mapped",
                    path.display()
                ));
            }
            let values = values
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v))
                .collect();
            mapping.values.insert(field, values);
        }
        if let Some(zone) = file.timezone {
            mapping.timezone = Some(offset_of(&zone).ok_or_else(|| {
                format!(
                    "{}: timezone = \"{zone}\" is not a zone import can use; write `UTC` or an offset such as `+01:00`",
                    path.display()
                )
            })?);
        }
        Ok(mapping)
    }

    /// What the source key `key` becomes.
    pub fn field(&self, key: &str) -> Field {
        let key = normalize(key);
        self.keys.get(&key).copied().unwrap_or_else(|| {
            BUILT_IN
                .iter()
                .find(|(name, _)| *name == key)
                .map_or(Field::Extra, |(_, field)| *field)
        })
    }

    /// The archive's value for a source value of `field` (`severity`, `services`, `tags`),
    /// when the mapping file names one; values are compared without case.
    pub fn value(&self, field: &str, value: &str) -> Option<&str> {
        self.values
            .get(field)?
            .get(&value.trim().to_lowercase())
            .map(String::as_str)
    }
}

/// `UTC`, `Z` or an offset such as `+01:00`, `-0500`.
pub fn offset_of(zone: &str) -> Option<FixedOffset> {
    let zone = zone.trim();
    if ["utc", "z", "gmt"].contains(&zone.to_lowercase().as_str()) {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let (hours, minutes) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_key_are_one_key() {
        let mapping = Mapping::default();
        for key in ["start_time", "startTime", "Start time", "start-time"] {
            assert_eq!(mapping.field(key), Field::Started, "{key}");
        }
        assert_eq!(mapping.field("resolvedWhen"), Field::Resolved);
        assert_eq!(mapping.field("Time to detection"), Field::TimeToDetect);
        assert_eq!(mapping.field("section"), Field::Extra);
    }

    #[test]
    fn a_mapping_file_names_keys_and_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.toml");
        std::fs::write(
            &path,
            "timezone = \"+01:00\"\n[keys]\nsection = \"ignore\"\n[values.severity]\nDown = \"sev1\"\n",
        )
        .unwrap();
        let mapping = Mapping::read(&path).unwrap();
        assert_eq!(mapping.field("section"), Field::Ignore);
        assert_eq!(mapping.value("severity", "down"), Some("sev1"));
        assert_eq!(mapping.timezone, FixedOffset::east_opt(3600));
    }

    #[test]
    fn a_mapping_file_naming_an_unknown_field_says_which_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.toml");
        std::fs::write(&path, "[keys]\nsection = \"chapter\"\n").unwrap();
        let error = Mapping::read(&path).unwrap_err();
        assert!(error.contains("`chapter` is not a field"), "{error}");
        assert!(error.contains("time_to_detect"), "{error}");
    }
}
