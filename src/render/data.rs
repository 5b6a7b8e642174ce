//! Machine-readable data: `/archive.json` (every document's metadata and metrics, and the
//! archive's figures) and `/postmortems/<slug>/index.json` (one postmortem with its parsed
//! timeline). The schema is documented and versioned in docs/data.md: a consumer checks
//! `schema` and `version`, and a field is only ever added within a version.
//!
//! Everything comes from the archive of the edition being built: references are the linked
//! ones (never the slugs as written, which could name a document the edition leaves out).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::feeds::absolute;
use super::views::{Views, kebab};
use super::{Emit, KeyedFiles, Reuse, key_of, keyed};
use crate::archive::DocId;
use crate::document::{ActionItem, Incident, Kind, Risk};
use crate::metrics::{GroupMetrics, IncidentMetrics};
use crate::timeline::Timeline;

/// The schema's name, in every file.
pub const SCHEMA: &str = "hindsight-archive";
/// Bumped when a field changes meaning or goes away; new fields do not bump it.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct ArchiveData<'a> {
    schema: &'static str,
    version: u32,
    site: SiteData<'a>,
    documents: Vec<DocumentData<'a>>,
    metrics: MetricsData<'a>,
}

#[derive(Serialize)]
struct SiteData<'a> {
    title: &'a str,
    base_url: &'a str,
    edition: &'static str,
}

#[derive(Serialize)]
struct MetricsData<'a> {
    archive: &'a GroupMetrics,
    services: &'a BTreeMap<String, GroupMetrics>,
    tags: &'a BTreeMap<String, GroupMetrics>,
    severities: &'a BTreeMap<String, GroupMetrics>,
}

/// One document: what its front matter says, resolved against the edition.
#[derive(Serialize)]
struct DocumentData<'a> {
    kind: Kind,
    slug: &'a str,
    url: String,
    title: &'a str,
    date: String,
    summary: &'a str,
    status: String,
    visibility: String,
    authors: &'a [String],
    services: &'a [String],
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    incident: Option<&'a Incident>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<&'a IncidentMetrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<&'a [ActionItem]>,
    /// Slugs of related postmortems, in both directions.
    #[serde(skip_serializing_if = "Option::is_none")]
    related: Option<Vec<&'a str>>,
    /// Slugs of suggested similar postmortems, best first.
    #[serde(skip_serializing_if = "Option::is_none")]
    suggested: Option<Vec<&'a str>>,
    /// Premortem risks this incident realized: `slug` or `slug#risk`.
    #[serde(skip_serializing_if = "Option::is_none")]
    realized: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risks: Option<Vec<RiskData<'a>>>,
}

#[derive(Serialize)]
struct RiskData<'a> {
    #[serde(flatten)]
    risk: &'a Risk,
    /// Slugs of the postmortems that realized this risk.
    came_true: Vec<&'a str>,
}

#[derive(Serialize)]
struct PostmortemData<'a> {
    schema: &'static str,
    version: u32,
    #[serde(flatten)]
    document: DocumentData<'a>,
    /// The parsed Timeline section, when the body has one.
    timeline: Option<TimelineData<'a>>,
}

#[derive(Serialize)]
struct TimelineData<'a> {
    /// Whether every entry parsed (the page then shows the visual timeline).
    structured: bool,
    #[serde(flatten)]
    timeline: &'a Timeline,
}

/// `/archive.json` and every `/postmortems/<slug>/index.json`, handed to `emit`. A
/// postmortem's file is made like a page: kept when `reuse` says its key is the recorded one.
pub fn all<E: Send>(views: &Views, reuse: &Reuse<'_>, emit: &Emit<'_, E>) -> Result<KeyedFiles, E> {
    let archive = views.archive;
    let documents: Vec<DocumentData> = (0..archive.documents.len())
        .into_par_iter()
        .map(|id| document(views, id))
        .collect();
    let site = || SiteData {
        title: &archive.config.title,
        base_url: archive.config.base_url.trim_end_matches('/'),
        edition: views.site().edition,
    };
    let data = ArchiveData {
        schema: SCHEMA,
        version: VERSION,
        site: site(),
        documents,
        metrics: MetricsData {
            archive: &archive.metrics.archive,
            services: &archive.metrics.services,
            tags: &archive.metrics.tags,
            severities: &archive.metrics.severities,
        },
    };
    emit(Path::new("archive.json"), &to_json(&data))?;
    drop(data);
    archive
        .postmortems
        .par_iter()
        .map(|&id| {
            let d = &archive.documents[id];
            let data = PostmortemData {
                schema: SCHEMA,
                version: VERSION,
                document: document(views, id),
                timeline: d.timeline.as_ref().map(|t| TimelineData {
                    structured: t.is_structured(),
                    timeline: t,
                }),
            };
            let output = PathBuf::from(format!("postmortems/{}/index.json", d.slug));
            keyed(output, data.key(d.key), reuse, emit, || to_json(&data))
        })
        .collect::<Result<Vec<_>, E>>()
        .map(KeyedFiles::from_iter)
}

impl PostmortemData<'_> {
    /// What the file is made from, hashed: the document's data, and its timeline, which is
    /// made from the document's file alone, so the file's key (`document_key`, see
    /// [`crate::document::Document::key`]) stands for it where there is one. Writing the
    /// timelines only to hash them was a twentieth of a one-change build.
    fn key(&self, document_key: Option<u64>) -> u64 {
        match document_key {
            Some(made_from) => key_of(&(&self.document, made_from)),
            None => key_of(self),
        }
    }
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_else(|e| {
        // Serializing plain structs with string keys cannot fail; say so if it ever does.
        format!("{{\"error\": \"{e}\"}}").into_bytes()
    });
    bytes.push(b'\n');
    bytes
}

fn document<'a>(views: &Views<'a>, id: DocId) -> DocumentData<'a> {
    let archive = views.archive;
    let d = &archive.documents[id];
    let common = d.common();
    let slugs = |ids: &[DocId]| {
        ids.iter()
            .map(|&i| archive.documents[i].slug.as_str())
            .collect()
    };
    let p = d.postmortem();
    DocumentData {
        kind: d.kind(),
        slug: &d.slug,
        url: absolute(views, &d.url_path()),
        title: common.title,
        date: common.date.to_string(),
        summary: common.summary,
        status: views.summary(id).status.clone(),
        visibility: kebab(&common.visibility),
        authors: common.authors,
        services: common.services,
        tags: common.tags,
        severity: p.map(|p| p.severity.as_str()),
        incident: p.map(|p| &p.incident),
        metrics: archive.metrics.incidents.get(id).and_then(Option::as_ref),
        actions: p.map(|p| &p.actions[..]),
        related: p.map(|_| slugs(&archive.related[id])),
        suggested: p.map(|_| slugs(archive.suggested.get(id).map_or(&[][..], |s| &s[..]))),
        realized: p.map(|_| {
            archive.realized[id]
                .iter()
                .map(|link| {
                    let premortem = &archive.documents[link.premortem];
                    let risk = link
                        .risk
                        .and_then(|r| premortem.premortem()?.risks.get(r))
                        .map(|r| format!("#{}", r.id))
                        .unwrap_or_default();
                    format!("{}{risk}", premortem.slug)
                })
                .collect()
        }),
        risks: d.premortem().map(|pre| {
            pre.risks
                .iter()
                .enumerate()
                .map(|(i, risk)| RiskData {
                    risk,
                    came_true: archive.came_true[id]
                        .by_risk
                        .get(i)
                        .map(|ids| slugs(ids))
                        .unwrap_or_default(),
                })
                .collect()
        }),
    }
}
