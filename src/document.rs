//! The documents of an archive: postmortems and premortems, as their front matter describes them.
//!
//! These types are the schema. Deserializing front matter into them is the first check: unknown
//! fields, wrong types and values outside a fixed set are refused by serde, with the position
//! the TOML parser reports.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize};

use crate::markdown::Body;

/// Whether a document is a postmortem or a premortem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Postmortem,
    Premortem,
}

impl Kind {
    /// The content directory and URL segment of this kind.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Postmortem => "postmortems",
            Kind::Premortem => "premortems",
        }
    }
}

/// One loaded file: where it came from, its front matter and its analysed body.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file stem, which is also the last segment of the page's URL.
    pub slug: String,
    /// Path relative to the archive root, such as `content/postmortems/x.md`.
    pub path: PathBuf,
    pub meta: Meta,
    pub body: Body,
    /// The body's Timeline section read into times (postmortems only; see
    /// [`Document::timeline`]), kept with the document once read.
    pub timeline: OnceLock<Option<crate::timeline::Timeline>>,
    /// What the document was made from, hashed with the identity of its file on this disk
    /// (see [`crate::load::Bodies::key`]): what later builds keep its body and the
    /// records made from it by. `None` when nothing made from it may be kept.
    pub key: Option<u64>,
}

/// The front matter of a document, by kind. It is read from TOML, and kept between builds in
/// a compact binary form (see `src/incremental/bodies.rs`): dates and the free-form `extra`
/// table are written as text there, since such a form cannot say what type comes next.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Meta {
    Postmortem(Box<Postmortem>),
    Premortem(Box<Premortem>),
}

/// The fields postmortems and premortems share, borrowed from either.
#[derive(Debug, Clone, Copy)]
pub struct Common<'a> {
    pub title: &'a str,
    /// When the document was published.
    pub date: NaiveDate,
    pub summary: &'a str,
    pub authors: &'a [String],
    pub services: &'a [String],
    pub tags: &'a [String],
    pub visibility: Visibility,
    /// Free-form values handed to templates as they are.
    pub extra: &'a toml::Table,
}

macro_rules! common_of {
    ($meta:expr) => {
        Common {
            title: &$meta.title,
            date: $meta.date.0,
            summary: &$meta.summary,
            authors: &$meta.authors,
            services: &$meta.services,
            tags: &$meta.tags,
            visibility: $meta.visibility,
            extra: &$meta.extra,
        }
    };
}

impl Document {
    /// The body's Timeline section read into times, for a postmortem that has one; read the
    /// first time something asks. Only the pages and files made again read it: reading
    /// every timeline was a tenth of the link of a one-change build.
    ///
    /// `zone` is the site's: the zone read the first time is kept, and every build has one.
    pub fn timeline(&self, zone: crate::zone::Zone) -> Option<&crate::timeline::Timeline> {
        self.timeline
            .get_or_init(|| crate::timeline::of(self, zone))
            .as_ref()
    }

    pub fn kind(&self) -> Kind {
        match self.meta {
            Meta::Postmortem(_) => Kind::Postmortem,
            Meta::Premortem(_) => Kind::Premortem,
        }
    }

    pub fn postmortem(&self) -> Option<&Postmortem> {
        match &self.meta {
            Meta::Postmortem(p) => Some(p),
            Meta::Premortem(_) => None,
        }
    }

    pub fn premortem(&self) -> Option<&Premortem> {
        match &self.meta {
            Meta::Premortem(p) => Some(p),
            Meta::Postmortem(_) => None,
        }
    }

    pub fn common(&self) -> Common<'_> {
        match &self.meta {
            Meta::Postmortem(p) => common_of!(p),
            Meta::Premortem(p) => common_of!(p),
        }
    }

    pub fn title(&self) -> &str {
        self.common().title
    }

    pub fn date(&self) -> NaiveDate {
        self.common().date
    }

    pub fn is_internal(&self) -> bool {
        self.common().visibility == Visibility::Internal
    }

    pub fn is_draft(&self) -> bool {
        self.postmortem()
            .is_some_and(|p| p.status == PostmortemStatus::Draft)
    }

    /// The site path of the document's page, such as `/postmortems/x/`.
    pub fn url_path(&self) -> String {
        format!("/{}/{}/", self.kind().dir(), self.slug)
    }
}

/// The front matter of a postmortem.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Postmortem {
    pub title: String,
    pub date: Date,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub status: PostmortemStatus,
    pub severity: String,
    pub services: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
    /// Premortem risks this incident realized, written `slug` or `slug#risk-id`.
    #[serde(default)]
    pub premortems: Vec<RiskRef>,
    /// Slugs of other postmortems.
    #[serde(default)]
    pub related: Vec<String>,
    pub incident: Incident,
    #[serde(default)]
    pub actions: Vec<ActionItem>,
    #[serde(default, with = "extra")]
    pub extra: toml::Table,
}

/// The front matter of a premortem.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Premortem {
    pub title: String,
    pub date: Date,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub status: PremortemStatus,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default)]
    pub risks: Vec<Risk>,
    #[serde(default, with = "extra")]
    pub extra: toml::Table,
}

/// The free-form `extra` table: as it is in TOML and JSON, as TOML text in the build cache.
mod extra {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(table: &toml::Table, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return table.serialize(serializer);
        }
        let text = toml::to_string(table).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<toml::Table, D::Error> {
        if deserializer.is_human_readable() {
            return toml::Table::deserialize(deserializer);
        }
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A postmortem's reference to a premortem, or to one risk of it: written `slug` or
/// `slug#risk-id` in the front matter, split once when the file is read so that linking and
/// its diagnostics read the two parts rather than the text. It is written back as it was
/// read (the build cache keeps documents), whatever it names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "String", into = "String")]
pub struct RiskRef {
    /// The premortem's slug: the text before the first `#`.
    pub premortem: String,
    /// The risk's id, when a `#` follows the slug: the text after it.
    pub risk: Option<String>,
}

impl From<String> for RiskRef {
    fn from(text: String) -> Self {
        match text.split_once('#') {
            Some((premortem, risk)) => RiskRef {
                premortem: premortem.to_string(),
                risk: Some(risk.to_string()),
            },
            None => RiskRef {
                premortem: text,
                risk: None,
            },
        }
    }
}

impl From<RiskRef> for String {
    fn from(reference: RiskRef) -> Self {
        reference.to_string()
    }
}

impl std::fmt::Display for RiskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.premortem)?;
        match &self.risk {
            Some(risk) => write!(f, "#{risk}"),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostmortemStatus {
    Draft,
    InReview,
    #[default]
    Published,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PremortemStatus {
    #[default]
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    #[default]
    Public,
    Internal,
}

/// When the incident happened; only `started` is required.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    pub started: Timestamp,
    pub detected: Option<Timestamp>,
    pub mitigated: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
}

impl Incident {
    /// The named times in their required order, the missing ones left out.
    pub fn marks(&self) -> Vec<(&'static str, Timestamp)> {
        [
            ("started", Some(self.started)),
            ("detected", self.detected),
            ("mitigated", self.mitigated),
            ("resolved", self.resolved),
        ]
        .into_iter()
        .filter_map(|(name, t)| t.map(|t| (name, t)))
        .collect()
    }
}

/// A follow-up the team committed to.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    pub title: String,
    pub owner: Option<String>,
    #[serde(default)]
    pub kind: Option<ActionKind>,
    #[serde(default)]
    pub status: ActionStatus,
    pub link: Option<String>,
    pub due: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Prevent,
    Mitigate,
    Detect,
    Process,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    #[default]
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ActionStatus {
    /// Whether the item still needs work.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// A way a premortem imagined the project failing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    pub id: String,
    pub title: String,
    pub likelihood: Option<Rating>,
    pub impact: Option<Rating>,
    #[serde(default)]
    pub mitigation: String,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rating {
    Low,
    Medium,
    High,
}

/// A calendar date, written in TOML as `2016-09-12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Date(pub NaiveDate);

/// An instant with the offset it was written in, written in TOML as `2016-09-05T09:29:00Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Timestamp(pub DateTime<FixedOffset>);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if !deserializer.is_human_readable() {
            // As the build cache keeps it (see [`Meta`]).
            return NaiveDate::deserialize(deserializer).map(Date);
        }
        let value = toml::value::Datetime::deserialize(deserializer)?;
        let date = value
            .date
            .ok_or_else(|| D::Error::custom("expected a date such as 2016-09-12, found a time"))?;
        NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
            .map(Date)
            .ok_or_else(|| D::Error::custom(format!("{value} is not a calendar date")))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if !deserializer.is_human_readable() {
            // As the build cache keeps it (see [`Meta`]).
            return DateTime::<FixedOffset>::deserialize(deserializer).map(Timestamp);
        }
        let value = toml::value::Datetime::deserialize(deserializer)?;
        let (Some(date), Some(time)) = (value.date, value.time) else {
            return Err(D::Error::custom(format!(
                "expected a date and time such as 2016-09-05T09:29:00Z, found {value}"
            )));
        };
        let Some(offset) = value.offset else {
            return Err(D::Error::custom(format!(
                "{value} has no time zone: add `Z` for UTC or an offset such as `+02:00`"
            )));
        };
        let seconds = match offset {
            toml::value::Offset::Z => 0,
            toml::value::Offset::Custom { minutes } => i32::from(minutes) * 60,
        };
        let naive = NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
            .zip(NaiveTime::from_hms_nano_opt(
                time.hour.into(),
                time.minute.into(),
                time.second.unwrap_or(0).into(),
                time.nanosecond.unwrap_or(0),
            ))
            .map(|(d, t)| d.and_time(t));
        let offset = FixedOffset::east_opt(seconds);
        match (naive, offset) {
            (Some(naive), Some(offset)) => naive
                .and_local_timezone(offset)
                .single()
                .map(Timestamp)
                .ok_or_else(|| D::Error::custom(format!("{value} is not a valid time"))),
            _ => Err(D::Error::custom(format!("{value} is not a valid time"))),
        }
    }
}

#[cfg(test)]
mod risk_ref_tests {
    use super::RiskRef;

    /// The build cache keeps documents: a reference comes back from it as it was written,
    /// split the same way, whatever its shape.
    #[test]
    fn a_risk_reference_is_split_at_its_first_hash_and_written_back_as_it_was() {
        for (text, premortem, risk) in [
            ("launch", "launch", None),
            ("launch#slow-database", "launch", Some("slow-database")),
            ("launch#", "launch", Some("")),
            ("#slow-database", "", Some("slow-database")),
            ("a#b#c", "a", Some("b#c")),
        ] {
            let reference = RiskRef::from(text.to_string());
            assert_eq!(
                (reference.premortem.as_str(), reference.risk.as_deref()),
                (premortem, risk)
            );
            let bytes = postcard::to_stdvec(&reference).unwrap();
            assert_eq!(postcard::from_bytes::<String>(&bytes).unwrap(), text);
            assert_eq!(postcard::from_bytes::<RiskRef>(&bytes).unwrap(), reference);
        }
    }
}
