//! Machine-readable data: `/archive.json` (every document's metadata and metrics, and the
//! archive's figures) and `/postmortems/<slug>/index.json` (one postmortem with its parsed
//! timeline). The schema is documented and versioned in docs/data.md: a consumer checks
//! `schema` and `version`, and a field is only ever added within a version.
//!
//! Everything comes from the archive of the edition being built: references are the linked
//! ones (never the slugs as written, which could name a document the edition leaves out).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::feeds::absolute;
use super::views::{Views, kebab};
use super::{Emit, KeyedFiles, Memory, Reuse, key_of, keyed, keyed_with};
use crate::archive::DocId;
use crate::document::{ActionItem, Incident, Kind, Risk};
use crate::metrics::{GroupMetrics, IncidentMetrics};
use crate::timeline::Timeline;
use crate::timing::timed;

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

/// `/archive.json` and every `/postmortems/<slug>/index.json`, handed to `emit`. Each is
/// made like a page: kept when `reuse` says its key is the recorded one. The entries of
/// `archive.json` are taken from those `kept` holds, when given, and kept there.
///
/// Each document's entry in `archive.json` (as [`listed`] makes it) is kept by the key of
/// what it is made from ([`entry_key`]; see [`Memory::keep_entries`]), so that the next
/// build serializes only the entries whose key changed. Serializing every entry was the
/// longest part of the files made beside the pages. The entries are used where the kept
/// file was read into, not copied out of it.
pub fn all<E: Send>(
    views: &Views,
    reuse: &Reuse<'_>,
    kept: Option<&dyn Memory>,
    emit: &Emit<'_, E>,
) -> Result<KeyedFiles, E> {
    let archive = views.archive;
    let read = || kept?.last_entry_digests();
    let last_digests: FxHashMap<u64, u64> = timed("files: data: read kept", read)
        .map(|digests| digests.into_iter().collect())
        .unwrap_or_default();
    // Each document's entry key, and its entry when its digest is not kept.
    let entries: Vec<(Option<u64>, Option<String>)> = (0..archive.documents.len())
        .into_par_iter()
        .map(|id| {
            let data = document(views, id);
            let key = entry_key(&data, archive.documents[id].key);
            let kept_digest = key.and_then(|key| last_digests.get(&key));
            let made = kept_digest.is_none().then(|| listed(&to_json(&data)));
            (key, made)
        })
        .collect();
    let digests: Vec<u64> = entries
        .iter()
        .map(|(key, made)| match made {
            Some(entry) => crate::digest::digest(entry.as_bytes()),
            None => last_digests[&key.expect("a kept digest has a key")],
        })
        .collect();
    let frame = frame(views);
    // `archive.json` is keyed by its frame and its entries' digests: after an edit that
    // changes no entry (most of a postmortem is not in it), the file is kept as it is.
    let mut file_key = xxhash_rust::xxh3::Xxh3::new();
    file_key.update(frame.as_bytes());
    for digest in &digests {
        file_key.update(&digest.to_le_bytes());
    }
    let keys: Vec<Option<u64>> = entries.iter().map(|(key, _)| *key).collect();
    if let Some(kept) = kept {
        let keyed: Vec<(u64, u64)> = keys
            .iter()
            .zip(&digests)
            .filter_map(|(key, digest)| Some(((*key)?, *digest)))
            .collect();
        if crate::digest::digests_differ(&keyed, &last_digests) {
            timed("files: data: keep", || kept.keep_entry_digests(&keyed));
        }
    }
    let archive_file = keyed_with(
        PathBuf::from("archive.json"),
        file_key.digest(),
        reuse,
        |output| archive_json(views, &frame, entries, kept, |parts| emit(output, parts)),
    )?;
    let mut files = KeyedFiles::from_iter([archive_file]);
    archive
        .postmortems
        .par_iter()
        .map(|&id| {
            let d = &archive.documents[id];
            let data = || PostmortemData {
                schema: SCHEMA,
                version: VERSION,
                document: document(views, id),
                timeline: d.timeline(views.archive.zone).map(|t| TimelineData {
                    structured: t.is_structured(),
                    timeline: t,
                }),
            };
            // The entry's key stands for the file's timeline too, as it holds the file's key.
            // Writing the timelines only to hash them was a twentieth of a one-change build.
            let key = keys[id].unwrap_or_else(|| key_of(&data()));
            let output = PathBuf::from(format!("postmortems/{}/index.json", d.slug));
            keyed(output, key, reuse, emit, || to_json(&data()).into_bytes())
        })
        .collect::<Result<Vec<_>, E>>()
        .map(|each| {
            files.extend(KeyedFiles::from_iter(each));
            files
        })
}

/// What a document's entry is made from, hashed: its file, for which the file's key
/// (`made_from`, see [`crate::document::Document::key`]) stands, and what the entry takes
/// from elsewhere: the site's address, the status its summary shows, its incident's
/// metrics (in the site's time zone) and the documents it links to. `None` for a document
/// without a key.
fn entry_key(data: &DocumentData, made_from: Option<u64>) -> Option<u64> {
    let came_true: Option<Vec<&Vec<&str>>> = data
        .risks
        .as_ref()
        .map(|risks| risks.iter().map(|risk| &risk.came_true).collect());
    Some(key_of(&(
        made_from?,
        &data.url,
        &data.status,
        data.metrics,
        (&data.related, &data.suggested, &data.realized, came_true),
    )))
}

/// `/archive.json` without its documents: the list is empty.
fn frame(views: &Views) -> String {
    let archive = views.archive;
    to_json(&ArchiveData {
        schema: SCHEMA,
        version: VERSION,
        site: SiteData {
            title: &archive.config.title,
            base_url: archive.config.base_url.trim_end_matches('/'),
            edition: views.site().edition,
        },
        documents: Vec::new(),
        metrics: MetricsData {
            archive: &archive.metrics.archive,
            services: &archive.metrics.services,
            tags: &archive.metrics.tags,
            severities: &archive.metrics.severities,
        },
    })
}

/// `/archive.json`, handed to `emit` in parts: the `frame` with each document's entry in
/// its list, as made by this build or taken from those `kept` holds (see [`Memory`]),
/// which are kept again when worth it. An entry neither made nor kept is made now. The
/// entries are never copied into one buffer: at 100,000 postmortems the file is 234 MB, and
/// holding it beside its entries was the highest point of a build's memory.
fn archive_json<E>(
    views: &Views,
    frame: &str,
    entries: Vec<(Option<u64>, Option<String>)>,
    kept: Option<&dyn Memory>,
    emit: impl FnOnce(&[&[u8]]) -> Result<(), E>,
) -> Result<(), E> {
    let last = kept.and_then(|kept| timed("files: data: read entries", || kept.last_entries()));
    let mut last: FxHashMap<u64, &str> = last
        .as_ref()
        .and_then(|last| last.entries())
        .map(|last| last.into_iter().collect())
        .unwrap_or_default();
    let listed: Vec<(Option<u64>, Cow<str>, bool)> = entries
        .into_iter()
        .enumerate()
        .map(|(id, (key, made))| {
            let taken = key.and_then(|key| last.remove(&key));
            match (made, taken) {
                (Some(made), _) => (key, Cow::Owned(made), false),
                (None, Some(taken)) => (key, Cow::Borrowed(taken), true),
                (None, None) => (
                    key,
                    Cow::Owned(listed(&to_json(&document(views, id)))),
                    false,
                ),
            }
        })
        .collect();
    if let Some(kept) = kept {
        let taken = listed.iter().filter(|(_, _, taken)| *taken).count();
        if crate::digest::is_worth_writing(listed.len() - taken, last.len(), listed.len()) {
            let keyed: Vec<(u64, &str)> = listed
                .iter()
                .filter_map(|(key, entry, _)| Some(((*key)?, entry.as_ref())))
                .collect();
            timed("files: data: keep entries", || kept.keep_entries(&keyed));
        }
    }
    // The first `"documents": []` is the empty list: no string in JSON holds a quote that
    // is not escaped.
    let empty = "\n  \"documents\": []";
    let Some(at) = frame.find(empty) else {
        return emit(&[frame.as_bytes()]);
    };
    let (head, tail) = frame.split_at(at + empty.len() - 1);
    let mut parts: Vec<&[u8]> = Vec::with_capacity(2 * listed.len() + 3);
    parts.push(head.as_bytes());
    for (i, (_, entry, _)) in listed.iter().enumerate() {
        parts.push(if i == 0 { b"\n" } else { b",\n" });
        parts.push(entry.as_bytes());
    }
    if !listed.is_empty() {
        parts.push(b"\n  ");
    }
    parts.push(tail.as_bytes());
    emit(&parts)
}

/// A document's JSON, as [`to_json`] makes it, as the list of `archive.json` holds it: two
/// levels deeper, and without its last newline. A newline in pretty JSON is never in a
/// string.
fn listed(json: &str) -> String {
    let lines = json.strip_suffix('\n').unwrap_or(json);
    let mut listed = String::with_capacity(lines.len() + lines.len() / 4);
    for (i, line) in lines.split('\n').enumerate() {
        if i > 0 {
            listed.push('\n');
        }
        listed.push_str("    ");
        listed.push_str(line);
    }
    listed
}

fn to_json(value: &impl Serialize) -> String {
    let mut json = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        // Serializing plain structs with string keys cannot fail; say so if it ever does.
        format!("{{\"error\": \"{e}\"}}")
    });
    json.push('\n');
    json
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
                        .map(|r| r.id.clone());
                    let reference = crate::document::RiskRef {
                        premortem: premortem.slug.clone(),
                        risk,
                    };
                    reference.to_string()
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
