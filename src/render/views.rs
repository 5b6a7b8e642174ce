//! View models: what templates see. Every lookup, filter and format happens here, in Rust, so
//! templates only lay out (logic in templates is what makes theme rendering slow).

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::archive::{Archive, DocId};
use crate::document::{ActionItem, Document, Kind, Rating, Timestamp};
use crate::markdown::{Heading, escape_url, is_safe_url};
use crate::theme::Theme;

/// What every page knows about the site.
#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub base_url: &'a str,
    /// Prefix of every site link: `""` or `"/archive"`.
    pub base: String,
    pub edition: &'static str,
    pub repo_url: Option<&'a str>,
}

/// A link with the name it is shown with.
#[derive(Serialize, Clone, Hash)]
pub struct NamedLink {
    pub id: String,
    pub name: String,
    pub url: String,
}

#[derive(Serialize, Clone, Hash)]
pub struct SeverityView {
    pub id: String,
    pub label: String,
    /// 1 for the most severe; the stylesheet colours by it.
    pub rank: usize,
}

/// A document as listings show it: its [`SummaryFields`], and their digest, which is all a
/// page's key writes of it (see [`DocSummary::serialize`]).
#[derive(Clone)]
pub struct DocSummary {
    fields: SummaryFields,
    digest: u64,
}

impl DocSummary {
    pub fn new(fields: SummaryFields) -> Self {
        use std::hash::{Hash, Hasher};
        // Hashed field by field: writing them as JSON first was a third of making a summary.
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        fields.hash(&mut hasher);
        DocSummary {
            fields,
            digest: hasher.finish(),
        }
    }

    /// A hash of every field.
    pub fn digest(&self) -> u64 {
        self.digest
    }
}

impl std::ops::Deref for DocSummary {
    type Target = SummaryFields;
    fn deref(&self) -> &SummaryFields {
        &self.fields
    }
}

impl Serialize for DocSummary {
    /// The fields, for a page's context; their digest, for a page's key. A summary shows up
    /// on many pages (listings, services, tags, related incidents), and writing it out for
    /// each of their keys was a twentieth of a one-change build.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serializer.is_human_readable() {
            true => self.fields.serialize(serializer),
            false => serializer.serialize_u64(self.digest),
        }
    }
}

/// What a document's summary shows.
#[derive(Serialize, Clone, Hash)]
pub struct SummaryFields {
    pub kind: Kind,
    pub slug: String,
    pub title: String,
    pub url: String,
    pub date: String,
    pub summary: String,
    pub severity: Option<SeverityView>,
    pub services: Vec<NamedLink>,
    pub tags: Vec<NamedLink>,
    pub status: String,
    pub internal: bool,
    pub draft: bool,
    /// When the incident started, in the site's zone.
    pub started: Option<String>,
    /// Started to resolved, as `1 h 5 min`.
    pub duration: Option<String>,
}

/// Every document's summary by id, each made the first time a page asks for it: `serve`'s
/// first step after an edit renders one page, which needs a handful of them, not 10,000.
pub type Summaries = Vec<OnceLock<DocSummary>>;

/// A document in a listing: its summary's fields, and `row`, the HTML the theme lists it
/// with (see [`Theme::doc_row`]), made the first time a page shows it.
pub struct Listed<'v> {
    views: &'v Views<'v>,
    id: DocId,
}

impl Serialize for Listed<'_> {
    /// For a page's key, the summary's digest: the row is made from the summary, by the
    /// templates the key's environment already holds.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let summary = self.views.summary(self.id);
        if !serializer.is_human_readable() {
            return summary.serialize(serializer);
        }
        #[derive(Serialize)]
        struct WithRow<'a> {
            #[serde(flatten)]
            fields: &'a SummaryFields,
            #[serde(skip_serializing_if = "Option::is_none")]
            row: Option<&'a str>,
        }
        WithRow {
            fields: &summary.fields,
            row: self.views.row(self.id),
        }
        .serialize(serializer)
    }
}

/// Helpers shared by the page builders.
pub struct Views<'a> {
    pub archive: &'a Archive,
    pub base: String,
    pub summaries: Summaries,
    theme: &'a Theme,
    /// Every document's row, by id, made when a page first lists it; made for this theme, so
    /// not kept with the summaries.
    rows: Vec<OnceLock<Option<String>>>,
    /// The action item listings, made for the first of their pages and used by all.
    action_plan: OnceLock<super::actions::ActionPlan>,
    /// The days of the archive's first and last incidents (see [`Views::incident_span`]).
    incident_span: OnceLock<Option<(NaiveDate, NaiveDate)>>,
    /// The link of each of the archive's services and tags, by id, made once: every
    /// summary and postmortem page names a few, and making them again for each (the URL
    /// slugified) took 3.4% of the instructions of a one-change build of 10,000.
    service_links: FxHashMap<&'a str, NamedLink>,
    tag_links: FxHashMap<&'a str, NamedLink>,
}

impl<'a> Views<'a> {
    /// The day "overdue" and "this week in history" are judged against: the archive's.
    pub fn today(&self) -> NaiveDate {
        self.archive.today
    }

    pub fn new(archive: &'a Archive, theme: &'a Theme) -> Self {
        let summaries = archive.documents.iter().map(|_| OnceLock::new()).collect();
        Views::with_summaries(archive, theme, summaries)
    }

    /// Views with the summaries made so far for the same documents' front matter: `serve`
    /// keeps them between the steps of a rebuild, and across rebuilds that change bodies
    /// only.
    pub fn with_summaries(archive: &'a Archive, theme: &'a Theme, summaries: Summaries) -> Self {
        let mut views = Views {
            archive,
            base: archive.config.base_path(),
            summaries,
            theme,
            rows: archive.documents.iter().map(|_| OnceLock::new()).collect(),
            action_plan: OnceLock::new(),
            incident_span: OnceLock::new(),
            service_links: FxHashMap::default(),
            tag_links: FxHashMap::default(),
        };
        views.service_links = (archive.services.keys())
            .map(|id| (id.as_str(), views.make_service_link(id)))
            .collect();
        views.tag_links = (archive.tags.keys())
            .map(|tag| (tag.as_str(), views.make_tag_link(tag)))
            .collect();
        views
    }

    /// The days, in the site's zone, of the archive's first and last incidents: the time
    /// axis every chart shares. Made once: each service's page made it again from every
    /// postmortem.
    pub fn incident_span(&self) -> Option<(NaiveDate, NaiveDate)> {
        *self.incident_span.get_or_init(|| {
            let archive = self.archive;
            let days = archive.postmortems.iter().filter_map(|&id| {
                let p = archive.documents[id].postmortem()?;
                Some(archive.zone.local(&p.incident.started.0).date_naive())
            });
            days.fold(None, |span, day| match span {
                None => Some((day, day)),
                Some((first, last)) => Some((day.min(first), day.max(last))),
            })
        })
    }

    pub fn action_plan(&self) -> &super::actions::ActionPlan {
        self.action_plan
            .get_or_init(|| super::actions::ActionPlan::new(self))
    }

    pub fn site(&self) -> SiteView<'a> {
        let config = &self.archive.config;
        SiteView {
            title: &config.title,
            description: &config.description,
            base_url: config.base_url.trim_end_matches('/'),
            base: self.base.clone(),
            edition: match self.archive.edition {
                crate::config::Edition::Internal => "internal",
                crate::config::Edition::Public => "public",
            },
            repo_url: config.repo_url.as_deref(),
        }
    }

    /// A site link to `path`, which starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Makes every summary not made yet, in parallel: a whole build needs them all, and
    /// making them before the pages keeps their many small strings together instead of
    /// scattered between the pages' large buffers, which slows the allocator at 10,000
    /// documents (docs/performance.md).
    pub fn make_all_summaries(&self) {
        (0..self.summaries.len()).into_par_iter().for_each(|id| {
            self.summary(id);
        });
    }

    /// The summary of document `id`.
    pub fn summary(&self, id: DocId) -> &DocSummary {
        self.summaries[id].get_or_init(|| self.make_summary(&self.archive.documents[id]))
    }

    /// The documents `ids` as a listing shows them. Nothing is copied: listings hold thousands
    /// of rows, and a copy of each summary was a tenth of rendering them.
    pub fn listed(&self, ids: &[DocId]) -> Vec<Listed<'_>> {
        ids.iter().map(|&id| Listed { views: self, id }).collect()
    }

    /// Frees the rows made so far, once the pages that list documents are rendered: at
    /// 100,000 postmortems they are 100 MB, held into the peak of the site-wide files.
    pub fn forget_rows(&mut self) {
        self.rows.iter_mut().for_each(|row| drop(row.take()));
    }

    /// The row document `id` is listed with, made by the theme the first time it is asked for.
    fn row(&self, id: DocId) -> Option<&str> {
        self.rows[id]
            .get_or_init(|| self.theme.doc_row(&self.summary(id).fields))
            .as_deref()
    }

    pub fn service_link(&self, id: &str) -> NamedLink {
        match self.service_links.get(id) {
            Some(link) => link.clone(),
            None => self.make_service_link(id),
        }
    }

    pub fn tag_link(&self, tag: &str) -> NamedLink {
        match self.tag_links.get(tag) {
            Some(link) => link.clone(),
            None => self.make_tag_link(tag),
        }
    }

    fn make_service_link(&self, id: &str) -> NamedLink {
        let name = self
            .archive
            .config
            .services
            .get(id)
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string());
        NamedLink {
            id: id.to_string(),
            name,
            url: self.url(&format!("/services/{}/", path_segment(id))),
        }
    }

    fn make_tag_link(&self, tag: &str) -> NamedLink {
        NamedLink {
            id: tag.to_string(),
            name: tag.to_string(),
            url: self.url(&format!("/tags/{}/", path_segment(tag))),
        }
    }

    pub fn severity(&self, id: &str) -> SeverityView {
        let config = &self.archive.config;
        SeverityView {
            id: id.to_string(),
            label: config.severity_label(id).to_string(),
            rank: config
                .severity_rank(id)
                .map_or(config.severities.len() + 1, |r| r + 1),
        }
    }

    fn make_summary(&self, d: &Document) -> DocSummary {
        let common = d.common();
        let postmortem = d.postmortem();
        DocSummary::new(SummaryFields {
            kind: d.kind(),
            slug: d.slug.clone(),
            title: common.title.to_string(),
            url: self.url(&d.url_path()),
            date: common.date.to_string(),
            summary: common.summary.to_string(),
            severity: postmortem.map(|p| self.severity(&p.severity)),
            services: common
                .services
                .iter()
                .map(|s| self.service_link(s))
                .collect(),
            tags: common.tags.iter().map(|t| self.tag_link(t)).collect(),
            status: match (postmortem, d.premortem()) {
                (Some(p), _) => kebab(&p.status),
                (_, Some(p)) => kebab(&p.status),
                _ => String::new(),
            },
            internal: d.is_internal(),
            draft: d.is_draft(),
            started: postmortem.map(|p| self.time(p.incident.started)),
            duration: postmortem.and_then(|p| {
                p.incident
                    .resolved
                    .map(|r| format_duration(r.0 - p.incident.started.0))
            }),
        })
    }

    /// A time in the site's zone: `2016-09-05 09:29 UTC`.
    pub fn time(&self, t: Timestamp) -> String {
        let local = self.archive.zone.local(&t.0);
        format_time(local, *local.offset())
    }
}

pub use crate::site_path::path_segment;

/// The serde name of an enum value (`in-review`).
pub fn kebab<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn format_time(t: DateTime<FixedOffset>, offset: FixedOffset) -> String {
    let local = t.with_timezone(&offset);
    let zone = if offset.local_minus_utc() == 0 {
        "UTC".to_string()
    } else {
        offset.to_string()
    };
    format!("{} {zone}", local.format("%Y-%m-%d %H:%M"))
}

/// A duration for people: `45 min`, `3 h 5 min`, `2 d 4 h`.
pub fn format_duration(d: TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// An action item as the postmortem page and the actions index show it.
#[derive(Serialize, Clone)]
pub struct ActionView {
    pub title: String,
    pub owner: Option<String>,
    pub kind: Option<String>,
    pub status: String,
    pub open: bool,
    /// The link, only when its scheme is safe to emit.
    pub link: Option<String>,
    pub due: Option<String>,
    pub overdue: bool,
}

impl ActionView {
    pub fn new(action: &ActionItem, today: NaiveDate) -> Self {
        let open = action.status.is_open();
        ActionView {
            title: action.title.clone(),
            owner: action.owner.clone(),
            kind: action.kind.as_ref().map(kebab),
            status: kebab(&action.status),
            open,
            link: action
                .link
                .as_deref()
                .filter(|l| is_safe_url(l))
                .map(escape_url),
            due: action.due.map(|d| d.0.to_string()),
            overdue: open && action.due.is_some_and(|d| d.0 < today),
        }
    }
}

#[derive(Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub text: String,
    pub id: String,
}

/// The headings of levels 2 and 3, for the table of contents.
pub fn toc(headings: &[Heading]) -> Vec<TocEntry> {
    headings
        .iter()
        .filter(|h| (2..=3).contains(&h.level))
        .map(|h| TocEntry {
            level: h.level,
            text: h.text.clone(),
            id: h.id.clone(),
        })
        .collect()
}

pub fn rating(r: Option<Rating>) -> Option<String> {
    r.as_ref().map(kebab)
}

/// The anchor of a risk on its premortem's page.
pub fn risk_anchor(id: &str) -> String {
    format!("risk-{}", path_segment(id))
}

/// Ids for the parts of one page that a reader may link to (action items, timeline
/// entries): `prefix`, `_` and each part's `stem` made into a slug, with `-2`, `-3`... after
/// a repeat. A link to an item keeps working when items are added after it or around it, and
/// the `_`, which no heading's slug has, keeps these ids apart from the headings' ids.
pub fn part_anchors<'s>(prefix: &str, stems: impl IntoIterator<Item = &'s str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    stems
        .into_iter()
        .map(|stem| {
            let slug = crate::markdown::slugify(stem);
            let slug = if slug.is_empty() { "item".into() } else { slug };
            let base = format!("{prefix}_{slug}");
            let mut anchor = base.clone();
            let mut n = 1;
            while !seen.insert(anchor.clone()) {
                n += 1;
                anchor = format!("{base}-{n}");
            }
            anchor
        })
        .collect()
}

#[cfg(test)]
mod part_anchor_tests {
    use super::part_anchors;

    #[test]
    fn repeated_and_empty_stems_still_get_distinct_ids() {
        assert_eq!(
            part_anchors("action", ["Add a canary", "Add a canary", "", "!!"]),
            [
                "action_add-a-canary",
                "action_add-a-canary-2",
                "action_item",
                "action_item-2"
            ]
        );
    }
}
