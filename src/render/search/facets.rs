//! The facets of search: for every document its service(s), severity, tags, year, kind and
//! whether it has open action items, as small integers, so the browser counts them exactly
//! for any set of results.
//!
//! The facets of one value a document (severity, year, kind, open action items) are a few
//! bits a document and go in `search/index.json`. Services and tags, several a document
//! and hundreds of values, were three quarters of that file: they are written apart, in
//! `search/facets/K.json` for the documents `K * FACET_CHUNK ..`, which the page fetches
//! after the first results are on screen (docs/search.md).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::archive::Archive;
use crate::document::{Document, Kind};
use crate::render::views::Views;

/// Documents per file of the facets of several values a document: a new postmortem, which
/// takes the last id, changes only the last file.
pub const FACET_CHUNK: usize = 10_000;

/// A facet: its values, and for every document the index of its value (or -1 when it has
/// none), or the list of indexes where a document can have several.
#[derive(Serialize)]
pub struct Facet {
    /// The URL parameter, such as `service` in `?service=deployer-api`.
    name: &'static str,
    label: &'static str,
    /// (id, label) of each value, in the order they are listed.
    values: Vec<(String, String)>,
    /// Each document's value, in `index.json`, as a character a document ([`one_char`]);
    /// absent for a facet of several values a document, whose values are in the facet files
    /// ([`chunks`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    docs: Option<String>,
    #[serde(skip)]
    many: Option<Vec<Vec<u32>>>,
}

/// The facet files: for the documents of each [`FACET_CHUNK`], by id, the values of every
/// facet that has several a document, as `{"service": [[0, 3], ...], "tag": [...]}`.
pub fn chunks(facets: &[Facet], count: usize) -> Vec<Vec<u8>> {
    (0..count.div_ceil(FACET_CHUNK))
        .map(|k| {
            let range = k * FACET_CHUNK..count.min((k + 1) * FACET_CHUNK);
            let columns: BTreeMap<&str, &[Vec<u32>]> = facets
                .iter()
                .filter_map(|f| Some((f.name, &f.many.as_ref()?[range.clone()])))
                .collect();
            serde_json::to_vec(&columns).unwrap_or_default()
        })
        .collect()
}

/// The facets of the archive, values and documents, for `search/index.json`.
pub fn facets(archive: &Archive, views: &Views) -> Vec<Facet> {
    let docs = &archive.documents;
    let position = |ids: &[String]| -> FxHashMap<String, u32> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect()
    };

    let service_ids: Vec<String> = archive.services.keys().cloned().collect();
    let service_index = position(&service_ids);
    let tag_ids: Vec<String> = archive.tags.keys().cloned().collect();
    let tag_index = position(&tag_ids);
    let many = |index: &FxHashMap<String, u32>, of: &dyn Fn(&Document) -> &[String]| {
        docs.iter()
            .rev()
            .map(|d| of(d).iter().filter_map(|v| index.get(v).copied()).collect())
            .collect()
    };

    let severity_ids = crate::render::stats::severity_order(views);
    let severity_index = position(&severity_ids);

    let years: Vec<i32> = {
        let mut years: Vec<i32> = docs.iter().map(year_of).collect();
        years.sort_unstable_by(|a, b| b.cmp(a));
        years.dedup();
        years
    };
    let year_index: BTreeMap<i32, i32> = years
        .iter()
        .enumerate()
        .map(|(i, &y)| (y, i as i32))
        .collect();

    let one =
        |f: &dyn Fn(&Document) -> i32| Some(docs.iter().rev().map(|d| one_char(f(d))).collect());
    vec![
        Facet {
            name: "service",
            label: "Service",
            values: service_ids
                .iter()
                .map(|id| (id.clone(), views.service_link(id).name))
                .collect(),
            docs: None,
            many: Some(many(&service_index, &|d| d.common().services)),
        },
        Facet {
            name: "severity",
            label: "Severity",
            values: severity_ids
                .iter()
                .map(|id| (id.clone(), archive.config.severity_label(id).to_string()))
                .collect(),
            docs: one(&|d| {
                d.postmortem()
                    .and_then(|p| severity_index.get(&p.severity))
                    .map_or(-1, |&i| i as i32)
            }),
            many: None,
        },
        Facet {
            name: "tag",
            label: "Tag",
            values: tag_ids.iter().map(|t| (t.clone(), t.clone())).collect(),
            docs: None,
            many: Some(many(&tag_index, &|d| d.common().tags)),
        },
        Facet {
            name: "year",
            label: "Year",
            values: years
                .iter()
                .map(|y| (y.to_string(), y.to_string()))
                .collect(),
            docs: one(&|d| year_index[&year_of(d)]),
            many: None,
        },
        Facet {
            name: "kind",
            label: "Kind",
            values: vec![
                ("postmortem".into(), "Postmortem".into()),
                ("premortem".into(), "Premortem".into()),
            ],
            docs: one(&|d| match d.kind() {
                Kind::Postmortem => 0,
                Kind::Premortem => 1,
            }),
            many: None,
        },
        Facet {
            name: "actions",
            label: "Action items",
            values: vec![("open".into(), "Has open action items".into())],
            docs: one(&|d| {
                let open = d
                    .postmortem()
                    .is_some_and(|p| p.actions.iter().any(|a| a.status.is_open()));
                if open { 0 } else { -1 }
            }),
            many: None,
        },
    ]
}

/// A document's value in a facet of one value a document (-1 for none) as one character,
/// code 48 + value (`/` for none, `0` for the first value): a string of them is about half
/// the bytes of a JSON list of numbers and the browser parses it many times faster.
fn one_char(value: i32) -> char {
    u32::try_from(48 + value)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('/')
}

/// The year a document is filed under: the incident's for a postmortem (as the postmortems
/// index groups them), the publication date's for a premortem.
fn year_of(d: &Document) -> i32 {
    use chrono::Datelike;
    match d.postmortem() {
        Some(p) => p.incident.started.0.year(),
        None => d.date().year(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_tags_are_cut_into_files_of_facet_chunk_documents() {
        let count = FACET_CHUNK + 2;
        let facets = [
            Facet {
                name: "service",
                label: "Service",
                values: vec![("edge".into(), "Edge".into())],
                docs: None,
                many: Some((0..count).map(|id| vec![(id % 2) as u32]).collect()),
            },
            Facet {
                name: "severity",
                label: "Severity",
                values: vec![("sev1".into(), "SEV-1".into())],
                docs: Some("0".repeat(count)),
                many: None,
            },
        ];
        let files = chunks(&facets, count);
        assert_eq!(files.len(), 2);
        let last: serde_json::Value = serde_json::from_slice(&files[1]).unwrap();
        // Ids FACET_CHUNK and FACET_CHUNK + 1; the severity stays in index.json.
        assert_eq!(last, serde_json::json!({"service": [[0], [1]]}));
    }

    #[test]
    fn a_value_is_one_character_from_48_and_none_is_a_slash() {
        assert_eq!(one_char(-1), '/');
        assert_eq!(one_char(0), '0');
        assert_eq!(one_char(10), ':');
    }
}
