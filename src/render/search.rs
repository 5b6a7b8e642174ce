//! The search index: static JSON files that `search.js` queries in the browser, with no server.
//!
//! Why an index of our own rather than Pagefind: see docs/search.md (measurements included).
//! The index is made from the text the build already holds (title, summary, services, tags,
//! action items, premortem risks, and the body's plain text), never by parsing HTML again,
//! and only from the archive it is given, so the public edition never indexes internal text.
//!
//! Layout, under `search/`:
//! - `index.json`: what every query needs: the shard keys, and for every document its facet
//!   values (service, severity, tag, year, kind, open action items) as small integers.
//! - `terms/KEY.json`: the terms whose longest shard key is KEY (its UTF-8 bytes in hex),
//!   each with its postings. A query fetches only the shards its words can be in.
//! - `doc/ID.json`: what a result shows (title, link, date, summary, text for the excerpt),
//!   fetched only for the results on screen.
//!
//! Document ids count the documents oldest first, so a higher id is a newer document and
//! postings sorted by id are sorted by age. A new postmortem, usually the newest, takes the
//! next id, and every other document keeps its own: its result record, and the shards
//! that hold none of the new document's terms, are the files the last build wrote. (With
//! ids newest first, or shards named by their rank, adding one postmortem rewrote every
//! file under `search/`.)
//!
//! [`normalize`] and [`terms`] must do exactly what `normalize` and `terms` do in
//! `themes/default/static/search.js`: the browser looks up what the build wrote.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::views::{DocSummary, Views};
use super::{Emit, KeyedFile, KeyedFiles, Reuse, hash_parts, keyed};
use crate::archive::{Archive, DocId};
use crate::build::timed;
use crate::cache::Kept;
use crate::document::{Document, Kind};

/// Where in a document a term occurs, as bits of a posting. Ranking weighs them in this
/// order: a title hit outranks any combination of the others.
pub mod field {
    pub const TITLE: u8 = 1;
    pub const SUMMARY: u8 = 2;
    /// Services, tags, action items and premortem risks.
    pub const META: u8 = 4;
    pub const BODY: u8 = 8;
}

/// Terms longer than this (hashes, encoded blobs) are not indexed; nobody types them.
pub const MAX_TERM_CHARS: usize = 40;

/// A shard holding more postings than this is split by one more character of prefix, so the
/// file a query fetches stays small whatever the size of the archive.
const MAX_SHARD_POSTINGS: usize = 12_000;

/// The body text kept for excerpts, in bytes; a match further in shows the summary instead.
const EXCERPT_SOURCE_BYTES: usize = 8_000;

/// Documents per batch when collecting postings in parallel.
const BATCH: usize = 256;

/// Folds text for matching: canonical decomposition, combining marks removed, each character
/// lower-cased on its own (no context rules, so that JavaScript can do the same).
///
/// Character by character: canonical decomposition only reorders combining marks, which are
/// dropped, so decomposing each character alone gives the same text as decomposing the
/// whole, and ASCII (most of any archive) takes no table lookup at all.
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            });
        }
    }
    out
}

/// The terms of a text: runs of letters and digits of the normalized text, the over-long
/// ones left out.
pub fn terms(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for_each_term(text, |t| found.push(t.to_string()));
    found
}

/// Calls `f` with each term of a text, without allocating one string per occurrence.
fn for_each_term(text: &str, f: impl FnMut(&str)) {
    split_normalized(&normalize(text)).for_each(f);
}

/// The terms of a text already normalized.
fn split_normalized(normalized: &str) -> impl Iterator<Item = &str> {
    normalized
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty() && t.chars().count() <= MAX_TERM_CHARS)
}

/// The search files of the site, handed to `emit`. The shards and the result records are
/// made like pages: kept when `reuse` says their key is the recorded one. The postings are
/// made from those `kept` holds where it holds any, and kept there for the next build.
pub fn files<E: Send>(
    archive: &Archive,
    views: &Views,
    reuse: &Reuse<'_>,
    kept: Option<&Kept>,
    emit: &Emit<'_, E>,
) -> Result<KeyedFiles, E> {
    let last = kept.and_then(|kept| timed("files: search: read kept", || kept.read::<Postings>()));
    let (made, worth_keeping) = Postings::of(archive, last);
    let keep = || {
        if let Some(kept) = kept.filter(|_| worth_keeping) {
            timed("files: search: keep", || kept.save(&made));
        }
    };
    let (shard_files, ()) = rayon::join(|| shard_files(archive, views, &made, reuse, emit), keep);
    drop(made);
    let shard_files = shard_files?;
    let count = archive.documents.len();
    let record_files = archive
        .documents
        .par_iter()
        .enumerate()
        .map(|(position, d)| {
            let summary = views.summary(position);
            // The packed text stands for the text: the same text packs the same way.
            let key = hash_parts([
                summary.title.as_bytes(),
                summary.url.as_bytes(),
                summary.date.as_bytes(),
                summary.summary.as_bytes(),
                &d.body.text.digest().to_le_bytes(),
            ]);
            keyed(
                doc_path(from_far_end(count, position)),
                key,
                reuse,
                emit,
                || {
                    let text = d.body.text.get();
                    serde_json::to_vec(&doc_record(summary, &text)).unwrap_or_default()
                },
            )
        })
        .collect::<Result<Vec<_>, E>>()?;
    Ok(shard_files.into_iter().chain(record_files).collect())
}

/// `search/index.json` and the shards of the postings.
fn shard_files<E: Send>(
    archive: &Archive,
    views: &Views,
    made: &Postings,
    reuse: &Reuse<'_>,
    emit: &Emit<'_, E>,
) -> Result<Vec<KeyedFile>, E> {
    let postings = &made.terms;
    let shards = shard(postings);
    let index = IndexFile {
        version: 1,
        count: archive.documents.len(),
        shards: shards.iter().map(|s| s.key).collect(),
        facets: facets(archive, views),
    };
    emit(
        Path::new("search/index.json"),
        &[&serde_json::to_vec(&index).unwrap_or_default()],
    )?;
    shards
        .par_iter()
        .map(|shard| {
            let postings = &postings[shard.terms.clone()];
            keyed(
                shard_path(shard.key),
                shard_key(postings),
                reuse,
                emit,
                || shard_json(postings).into_bytes(),
            )
        })
        .collect()
}

/// What a shard's file is made from, hashed: its terms and their postings, as bytes.
fn shard_key(postings: &[TermPostings]) -> u64 {
    let mut bytes = Vec::new();
    for (term, list) in postings {
        bytes.extend_from_slice(&term.len().to_le_bytes());
        bytes.extend_from_slice(term.as_bytes());
        bytes.extend_from_slice(&list.len().to_le_bytes());
        bytes.extend(list.iter().flat_map(|p| p.to_le_bytes()));
    }
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// The output path of a document's result record.
fn doc_path(id: DocId) -> PathBuf {
    PathBuf::from(format!("search/doc/{id}.json"))
}

/// The output path of the shard with `key`: named by the key, not by its rank among the
/// keys, so that a new key leaves the others' files as they were. In hex, since a key can
/// be any letters, and a file name such as `con.json` is not allowed everywhere.
fn shard_path(key: &str) -> PathBuf {
    let mut name = String::with_capacity(key.len() * 2);
    for byte in key.bytes() {
        let _ = write!(name, "{byte:02x}");
    }
    PathBuf::from(format!("search/terms/{name}.json"))
}

/// Search ids count the documents from the oldest, positions in [`Archive::documents`] from
/// the newest: each is the other counted from the far end of the `count` documents.
fn from_far_end(count: usize, n: usize) -> usize {
    count - 1 - n
}

/// One term and the documents it occurs in, ids ascending.
type TermPostings = (String, Vec<Posting>);

/// A document id and the fields a term occurs in, as `id << 4 | fields`: half the memory of
/// a pair, which at 100,000 postmortems is 40 million postings held at once. (Ids stay
/// below 2^28: an archive that large would not fit in memory anyway.)
type Posting = u32;

fn posting(id: u32, fields: u8) -> Posting {
    (id << 4) | Posting::from(fields)
}

/// Every term of the archive, sorted, with its postings, and the key of the document each
/// id stood for ([`Document::key`]). A build keeps them for the next one, which takes over
/// the postings of every document whose key is unchanged and reads only the others' terms:
/// after a one-file edit, reading every document's terms again was a fifth of the build.
#[derive(Serialize, Deserialize, Default)]
pub struct Postings {
    keys: Vec<Option<u64>>,
    terms: Vec<TermPostings>,
}

/// An id no document has.
const NO_ID: u32 = u32::MAX;

impl Postings {
    /// The postings of the archive: those of `last` for every document whose key is
    /// unchanged, the others' collected from their texts. And whether `last` is worth
    /// writing again (see [`Kept::is_worth_writing`]).
    fn of(archive: &Archive, last: Option<Postings>) -> (Postings, bool) {
        let keys: Vec<Option<u64>> = archive.documents.iter().rev().map(|d| d.key).collect();
        let carried = last.and_then(|last| last.carry_over(&keys));
        let unused = carried.as_ref().map_or(0, |carried| carried.unused);
        let (kept, fresh) = carried.map_or_else(
            || (Vec::new(), (0..keys.len()).collect()),
            |carried| (carried.terms, carried.fresh),
        );
        let worth_keeping = Kept::is_worth_writing(fresh.len(), unused, keys.len());

        let collected = collect(archive, &fresh);
        let terms = merge_sorted(
            kept,
            collected,
            |a, b| a.0.cmp(&b.0),
            |a, b| (a.0, merge_sorted(a.1, b.1, Ord::cmp, |p, _| p)),
        );
        (Postings { keys, terms }, worth_keeping)
    }

    /// The postings of the documents that `keys` still has, under their new ids; `None`
    /// when the postings are not sorted, as no build writes them.
    fn carry_over(self, keys: &[Option<u64>]) -> Option<Carried> {
        let was: FxHashMap<u64, u32> = self
            .keys
            .iter()
            .enumerate()
            .filter_map(|(id, key)| Some(((*key)?, id as u32)))
            .collect();
        let mut new_id = vec![NO_ID; self.keys.len()];
        let mut fresh = Vec::new();
        let mut last_kept = None;
        for (id, key) in keys.iter().enumerate() {
            match key.and_then(|key| was.get(&key).copied()) {
                // Kept documents keep their order, so every posting list stays sorted.
                Some(old) if last_kept.is_none_or(|last| old > last) => {
                    new_id[old as usize] = id as u32;
                    last_kept = Some(old);
                }
                _ => fresh.push(id),
            }
        }
        let unused = self.keys.len() - (keys.len() - fresh.len());
        let mut terms = self.terms;
        let sorted = terms.windows(2).all(|pair| pair[0].0 < pair[1].0)
            && terms
                .par_iter_mut()
                .all(|(_, list)| renumber(list, &new_id));
        terms.retain(|(_, list)| !list.is_empty());
        sorted.then_some(Carried {
            terms,
            fresh,
            unused,
        })
    }
}

/// What [`Postings::carry_over`] takes from the last build's postings.
struct Carried {
    /// The postings of the documents still there, under their new ids.
    terms: Vec<TermPostings>,
    /// The ids of the documents whose terms must be read.
    fresh: Vec<DocId>,
    /// How many of the last build's documents are gone or changed.
    unused: usize,
}

/// Gives the postings of a list their documents' new ids, leaving out the documents without
/// one; false when the list was not sorted by id.
fn renumber(list: &mut Vec<Posting>, new_id: &[u32]) -> bool {
    let mut sorted = true;
    let mut previous = None;
    list.retain_mut(|p| {
        let old = *p >> 4;
        sorted &= previous.is_none_or(|previous| old > previous);
        previous = Some(old);
        match new_id.get(old as usize) {
            Some(&id) if id != NO_ID => {
                *p = posting(id, (*p & 0xf) as u8);
                true
            }
            _ => false,
        }
    });
    sorted
}

/// Two lists sorted by `order` as one sorted list; `both` makes one item of two equal ones.
fn merge_sorted<T>(
    a: Vec<T>,
    b: Vec<T>,
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
    both: impl Fn(T, T) -> T,
) -> Vec<T> {
    if b.is_empty() {
        return a;
    }
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for item in a {
        while let Some(before) = b.next_if(|other| order(other, &item).is_lt()) {
            merged.push(before);
        }
        match b.next_if(|other| order(other, &item).is_eq()) {
            Some(equal) => merged.push(both(item, equal)),
            None => merged.push(item),
        }
    }
    merged.extend(b);
    merged
}

/// The terms of the documents of search `ids` (ascending), sorted, with their postings.
fn collect(archive: &Archive, ids: &[DocId]) -> Vec<TermPostings> {
    let mut merged: FxHashMap<String, Vec<Posting>> = FxHashMap::default();
    // Batches are collected in parallel a round at a time and merged in id order, which keeps
    // every posting list sorted. Collecting every batch before merging held each batch's copy
    // of its terms at once: the search phase of 100,000 postmortems grew memory by 760 MB,
    // against 350 MB now.
    let round = BATCH * 4 * rayon::current_num_threads();
    for ids in ids.chunks(round) {
        let batches: Vec<FxHashMap<String, Vec<Posting>>> = ids
            .par_chunks(BATCH)
            .map(|ids| {
                let mut map: FxHashMap<String, Vec<Posting>> = FxHashMap::default();
                for &id in ids {
                    let position = from_far_end(archive.documents.len(), id);
                    let texts = document_texts(&archive.documents[position]);
                    for (term, fields) in document_terms(&texts) {
                        let posting = posting(id as u32, fields);
                        match map.get_mut(term) {
                            Some(list) => list.push(posting),
                            // A term is copied once per batch, not once per document.
                            None => drop(map.insert(term.to_string(), vec![posting])),
                        }
                    }
                }
                map
            })
            .collect();
        for batch in batches {
            for (term, list) in batch {
                merged.entry(term).or_default().extend(list);
            }
        }
    }
    let mut sorted: Vec<TermPostings> = merged.into_iter().collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    sorted
}

/// The texts of a document that search reads, normalized, each with its field.
fn document_texts(d: &Document) -> Vec<(String, u8)> {
    let mut texts = Vec::new();
    let mut add = |text: &str, bit: u8| texts.push((normalize(text), bit));
    let common = d.common();
    add(common.title, field::TITLE);
    add(common.summary, field::SUMMARY);
    for text in common.services.iter().chain(common.tags) {
        add(text, field::META);
    }
    if let Some(p) = d.postmortem() {
        for action in &p.actions {
            add(&action.title, field::META);
        }
    }
    if let Some(p) = d.premortem() {
        for risk in &p.risks {
            add(&risk.title, field::META);
            add(&risk.mitigation, field::META);
        }
    }
    add(&d.body.text.get(), field::BODY);
    texts
}

/// The distinct terms of a document's texts with the fields each occurs in.
fn document_terms(texts: &[(String, u8)]) -> FxHashMap<&str, u8> {
    let mut found: FxHashMap<&str, u8> = FxHashMap::default();
    for (text, bit) in texts {
        for term in split_normalized(text) {
            *found.entry(term).or_default() |= bit;
        }
    }
    found
}

/// A shard: its key and the range of (sorted) terms it holds.
struct Shard<'a> {
    key: &'a str,
    terms: std::ops::Range<usize>,
}

/// Splits the sorted terms into shards by prefix. A term belongs to the shard with the
/// longest key that is a prefix of it; keys start at one character and grow by one where a
/// shard would be too large. The client relies only on that rule, not on key lengths.
fn shard(postings: &[TermPostings]) -> Vec<Shard<'_>> {
    let mut shards = Vec::new();
    let mut start = 0;
    while start < postings.len() {
        let key = prefix(&postings[start].0, 1);
        let end = start + postings[start..].partition_point(|(t, _)| t.starts_with(key));
        split(postings, start..end, key, &mut shards);
        start = end;
    }
    shards
}

/// Adds the shards of the terms in `range`, which all start with `key`.
fn split<'a>(
    postings: &'a [TermPostings],
    range: std::ops::Range<usize>,
    key: &'a str,
    shards: &mut Vec<Shard<'a>>,
) {
    let size: usize = postings[range.clone()].iter().map(|(_, p)| p.len()).sum();
    let key_chars = key.chars().count();
    let longer = range.start
        + postings[range.clone()].partition_point(|(t, _)| t.chars().count() <= key_chars);
    if size <= MAX_SHARD_POSTINGS || longer == range.end {
        shards.push(Shard { key, terms: range });
        return;
    }
    // Terms no longer than the key stay in its shard; the others go one character deeper.
    // Sorted terms with a common prefix are contiguous, and a term equal to the key sorts
    // before every longer term that starts with it.
    if longer > range.start {
        shards.push(Shard {
            key,
            terms: range.start..longer,
        });
    }
    let mut start = longer;
    while start < range.end {
        let deeper = prefix(&postings[start].0, key_chars + 1);
        let end =
            start + postings[start..range.end].partition_point(|(t, _)| t.starts_with(deeper));
        split(postings, start..end, deeper, shards);
        start = end;
    }
}

/// The first `chars` characters of a term (the whole term when it is shorter).
fn prefix(term: &str, chars: usize) -> &str {
    match term.char_indices().nth(chars) {
        Some((i, _)) => &term[..i],
        None => term,
    }
}

/// A shard as JSON: `{"term":[p,...],...}` where each posting `p` is the id gap from the
/// previous posting times 16 plus the field bits. Gaps keep the numbers short.
fn shard_json(postings: &[TermPostings]) -> String {
    let mut out = String::from("{");
    for (i, (term, list)) in postings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(term).unwrap_or_default());
        out.push_str(":[");
        let mut previous = 0;
        for (j, &p) in list.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let (id, fields) = (p >> 4, p & 0xf);
            let _ = write!(
                out,
                "{}",
                (u64::from(id - previous) << 4) | u64::from(fields)
            );
            previous = id;
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// What a result shows; fetched only for the results on screen.
#[derive(Serialize)]
struct DocRecord<'a> {
    title: &'a str,
    url: &'a str,
    date: &'a str,
    summary: &'a str,
    /// The start of the body's plain text, for the excerpt.
    text: &'a str,
}

/// What a document's result record shows: its summary, and the start of its text.
fn doc_record<'a>(summary: &'a DocSummary, text: &'a str) -> DocRecord<'a> {
    let mut end = text.len().min(EXCERPT_SOURCE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    DocRecord {
        title: &summary.title,
        url: &summary.url,
        date: &summary.date,
        summary: &summary.summary,
        text: &text[..end],
    }
}

#[derive(Serialize)]
struct IndexFile<'a> {
    version: u32,
    /// Number of documents; ids are `0..count`, oldest first.
    count: usize,
    /// Shard keys: the shard of key `k` is `terms/` and the hex of `k`'s UTF-8 bytes.
    shards: Vec<&'a str>,
    facets: Vec<Facet>,
}

/// A facet: its values, and for every document the index of its value (or -1 when it has
/// none), or the list of indexes where a document can have several.
#[derive(Serialize)]
struct Facet {
    /// The URL parameter, such as `service` in `?service=deployer-api`.
    name: &'static str,
    label: &'static str,
    /// (id, label) of each value, in the order they are listed.
    values: Vec<(String, String)>,
    docs: FacetDocs,
}

#[derive(Serialize)]
#[serde(untagged)]
enum FacetDocs {
    One(Vec<i32>),
    Many(Vec<Vec<u32>>),
}

fn facets(archive: &Archive, views: &Views) -> Vec<Facet> {
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
        FacetDocs::Many(
            docs.iter()
                .rev()
                .map(|d| of(d).iter().filter_map(|v| index.get(v).copied()).collect())
                .collect(),
        )
    };

    let severity_ids = super::stats::severity_order(views);
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

    let one = |f: &dyn Fn(&Document) -> i32| FacetDocs::One(docs.iter().rev().map(f).collect());
    vec![
        Facet {
            name: "service",
            label: "Service",
            values: service_ids
                .iter()
                .map(|id| (id.clone(), views.service_link(id).name))
                .collect(),
            docs: many(&service_index, &|d| d.common().services),
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
        },
        Facet {
            name: "tag",
            label: "Tag",
            values: tag_ids.iter().map(|t| (t.clone(), t.clone())).collect(),
            docs: many(&tag_index, &|d| d.common().tags),
        },
        Facet {
            name: "year",
            label: "Year",
            values: years
                .iter()
                .map(|y| (y.to_string(), y.to_string()))
                .collect(),
            docs: one(&|d| year_index[&year_of(d)]),
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
        },
    ]
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
    fn normalization_folds_case_and_accents() {
        assert_eq!(normalize("Crème BRÛLÉE Ångström"), "creme brulee angstrom");
        assert_eq!(normalize("İSTANBUL ΣΟΦΊΑ"), "istanbul σοφια");
    }

    #[test]
    fn terms_split_on_anything_but_letters_and_digits() {
        let found: Vec<String> = terms("deployer-api: 502s, TLS/SSL (café)");
        assert_eq!(found, ["deployer", "api", "502s", "tls", "ssl", "cafe"]);
        let long = "a".repeat(MAX_TERM_CHARS + 1);
        assert!(terms(&long).is_empty());
    }

    fn postings_of(terms: &[(&str, usize)]) -> Vec<TermPostings> {
        let mut list: Vec<TermPostings> = terms
            .iter()
            .map(|&(t, n)| {
                let list = (0..n as u32).map(|i| posting(i, field::BODY)).collect();
                (t.to_string(), list)
            })
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }

    /// The shard a client looks in for a term: the longest key that is a prefix of it.
    fn shard_of<'a>(shards: &'a [Shard], term: &str) -> &'a str {
        shards
            .iter()
            .filter(|s| term.starts_with(s.key))
            .max_by_key(|s| s.key.len())
            .map(|s| s.key)
            .unwrap_or_default()
    }

    #[test]
    fn every_term_is_in_the_shard_of_its_longest_key() {
        let big = MAX_SHARD_POSTINGS / 2 + 1;
        let postings = postings_of(&[
            ("a", 3),
            ("the", big),
            ("then", big),
            ("th", 1),
            ("thus", 2),
            ("cert", 5),
            ("certificate", 5),
        ]);
        let shards = shard(&postings);
        let keys: Vec<&str> = shards.iter().map(|s| s.key).collect();
        assert_eq!(keys, ["a", "c", "th", "the", "then", "thu"]);
        for (i, (term, _)) in postings.iter().enumerate() {
            let holder = shards.iter().find(|s| s.terms.contains(&i)).unwrap();
            assert_eq!(holder.key, shard_of(&shards, term), "{term}");
        }
    }

    #[test]
    fn kept_postings_are_renumbered_and_unsorted_ones_refused() {
        let kept = |list: Vec<Posting>| Postings {
            keys: vec![Some(10), Some(11), Some(12)],
            terms: vec![("dns".to_string(), list)],
        };
        // Document 11 is gone and 13 is new, before 12: 10 keeps id 0, 12 takes id 2.
        let keys = [Some(10), Some(13), Some(12)];
        let sorted = vec![posting(0, 1), posting(1, 8), posting(2, 9)];
        let carried = kept(sorted).carry_over(&keys).unwrap();
        assert_eq!(
            carried.terms,
            [("dns".to_string(), vec![posting(0, 1), posting(2, 9)])]
        );
        assert_eq!(carried.fresh, [1]);
        assert_eq!(carried.unused, 1, "document 11");
        let unsorted = vec![posting(2, 9), posting(0, 1)];
        assert!(kept(unsorted).carry_over(&keys).is_none());
    }

    #[test]
    fn shards_store_id_gaps_with_field_bits() {
        let list = vec![posting(2, 1), posting(3, 8), posting(10, 9)];
        let postings = vec![("dns".to_string(), list)];
        assert_eq!(shard_json(&postings), r#"{"dns":[33,24,121]}"#);
    }
}
