//! The search index: static JSON files that `search.js` queries in the browser, with no server.
//!
//! Why an index of our own rather than Pagefind: see docs/search.md (measurements included).
//! The index is made from the text the build already holds (title, summary, services, tags,
//! action items, premortem risks, and the body's plain text), never by parsing HTML again,
//! and only from the archive it is given, so the public edition never indexes internal text.
//!
//! Layout, under `search/`:
//! - `index.json`: what every query needs: the shard keys, the facets' values, and for
//!   every document its severity, year, kind and open action items, a character each.
//! - `facets/K.json`: the services and tags of the documents `K * FACET_CHUNK ..`, fetched
//!   after the first results are on screen (or before, when the URL filters on them).
//! - `terms/KEY.json`: the terms whose longest shard key is KEY (its UTF-8 bytes in hex),
//!   each with its postings. A query fetches only the shards its words can be in.
//! - `doc/ID.json`: what a result shows (title, link, date, summary, the body's first 8 KB
//!   for the excerpt), fetched only for the results on screen, and read for phrases.
//! - `text/ID.json`: the rest of a body longer than its record holds, fetched only to look
//!   for a phrase in it.
//! - `vocab/KEY.json`: the words that start with the letter KEY and how many documents have
//!   each, fetched only to correct a query word found nowhere.
//!
//! Document ids count the documents oldest first, so a higher id is a newer document and
//! postings sorted by id are sorted by age. A new postmortem, usually the newest, takes the
//! next id, and every other document keeps its own: its result record, and the shards
//! that hold none of the new document's terms, are the files the last build wrote. (With
//! ids newest first, or shards named by their rank, adding one postmortem rewrote every
//! file under `search/`.)
//!
//! Terms are indexed as written (folded), each with its stem ([`words`]), so the browser
//! finds a word's other forms without a vocabulary of its own.

mod facets;
mod postings;
pub mod words;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use postings::Postings;
use postings::{ID_SHIFT, TermPostings, posting_detail, posting_id};
pub use words::{normalize, stem, terms};

use super::views::{DocSummary, Views};
use super::{Emit, KeyedFile, KeyedFiles, Reuse, hash_parts, keyed};
use crate::archive::{Archive, DocId};
use crate::timing::timed;

/// Where in a document a term occurs, as bits of a posting. The browser weighs them title,
/// then services and tags, then summary, then headings, then body (docs/search.md).
pub mod field {
    pub const TITLE: u8 = 1;
    pub const SUMMARY: u8 = 2;
    /// Services and tags.
    pub const META: u8 = 4;
    /// The body's text, action items, premortem risks, link addresses and the extra fields.
    pub const BODY: u8 = 8;
    pub const HEADING: u8 = 16;
}

/// Words shorter than this are not offered as corrections: too many are one edit apart.
const MIN_VOCABULARY_CHARS: usize = 4;

/// A shard holding more postings than this is split by one more character of prefix, so the
/// file a query fetches stays small whatever the size of the archive.
const MAX_SHARD_POSTINGS: usize = 12_000;

/// The layout of a result record and the rest of its text, in their keys: a build that
/// changes it makes every record again rather than keeping those of the last build.
const RECORD_FORMAT: &[u8] = b"record 3";

/// The body text kept for excerpts, in bytes; a match further in shows the summary instead.
const EXCERPT_SOURCE_BYTES: usize = 8_000;

/// The search files of the site, handed to `emit`. The shards and the result records are
/// made like pages: kept when `reuse` says their key is the recorded one. The postings are
/// made from those `kept` holds where it holds any, and kept there for the next build.
pub fn files<E: Send>(
    archive: &Archive,
    views: &Views,
    reuse: &Reuse<'_>,
    kept: Option<&dyn super::Memory>,
    emit: &Emit<'_, E>,
) -> Result<KeyedFiles, E> {
    let last = kept.and_then(|kept| timed("files: search: read kept", || kept.last_postings()));
    let (made, worth_keeping) = Postings::of(archive, last);
    let keep = || {
        if let Some(kept) = kept.filter(|_| worth_keeping) {
            timed("files: search: keep", || kept.keep_postings(&made));
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
                RECORD_FORMAT,
                summary.title.as_bytes(),
                summary.url.as_bytes(),
                summary.date.as_bytes(),
                summary.summary.as_bytes(),
                &d.body.text.digest().to_le_bytes(),
            ]);
            let id = from_far_end(count, position);
            let mut text = None;
            let mut body = || text.get_or_insert_with(|| d.body.text.get()).clone();
            let record = keyed(doc_path(id), key, reuse, emit, || {
                serde_json::to_vec(&doc_record(summary, &body())).unwrap_or_default()
            })?;
            // Only a body that goes on past its record has the rest in a file of its own (the
            // record says `more`): most bodies fit, and each file costs the build its creation.
            let goes_on = d
                .body
                .text
                .unpacked_len()
                .is_none_or(|len| len > EXCERPT_SOURCE_BYTES as u64);
            let rest = goes_on
                .then(|| {
                    keyed(rest_path(id), key, reuse, emit, || {
                        let body = body();
                        let rest = &body[excerpt_end(&body)..];
                        serde_json::to_vec(rest).unwrap_or_default()
                    })
                })
                .transpose()?;
            Ok(std::iter::once(record).chain(rest))
        })
        .collect::<Result<Vec<_>, E>>()?;
    Ok(shard_files
        .into_iter()
        .chain(record_files.into_iter().flatten())
        .collect())
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
    let count = archive.documents.len();
    let index = IndexFile {
        version: 3,
        count,
        shards: shards.iter().map(|s| s.key).collect(),
        facet_chunk: facets::FACET_CHUNK,
        facets: facets::facets(archive, views),
    };
    emit(
        Path::new("search/index.json"),
        &[&serde_json::to_vec(&index).unwrap_or_default()],
    )?;
    let facet_files = facets::chunks(&index.facets, count)
        .into_iter()
        .enumerate()
        .map(|(k, json)| {
            let path = PathBuf::from(format!("search/facets/{k}.json"));
            keyed(path, xxhash_rust::xxh3::xxh3_64(&json), reuse, emit, || {
                json
            })
        })
        .collect::<Result<Vec<_>, E>>()?;
    let vocabulary = vocabulary(postings);
    let vocabulary_files = vocabulary.par_iter().map(|(first, text)| {
        let path = PathBuf::from(format!("search/vocab/{}.json", hex(&first.to_string())));
        keyed(
            path,
            xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
            reuse,
            emit,
            || text.clone().into_bytes(),
        )
    });
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
        .chain(vocabulary_files)
        .collect::<Result<Vec<_>, E>>()
        .map(|files| files.into_iter().chain(facet_files).collect())
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

/// The output path of the rest of a document's body, after what its record holds: a JSON
/// string, written only when the record says `more`.
fn rest_path(id: DocId) -> PathBuf {
    PathBuf::from(format!("search/text/{id}.json"))
}

/// The output path of the shard with `key`: named by the key, not by its rank among the
/// keys, so that a new key leaves the others' files as they were. In hex, since a key can
/// be any letters, and a file name such as `con.json` is not allowed everywhere.
fn shard_path(key: &str) -> PathBuf {
    PathBuf::from(format!("search/terms/{}.json", hex(key)))
}

/// A key's UTF-8 bytes in hex, as file names under `search/` spell it.
fn hex(key: &str) -> String {
    let mut name = String::with_capacity(key.len() * 2);
    for byte in key.bytes() {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// Search ids count the documents from the oldest, positions in [`Archive::documents`] from
/// the newest: each is the other counted from the far end of the `count` documents.
pub(super) fn from_far_end(count: usize, n: usize) -> usize {
    count - 1 - n
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

/// A shard as JSON: `{"term":[p,...],...}`, or `{"term":["stem",p,...]}` where the term's
/// stem is not the term itself. Each posting `p` is the id gap from the previous posting,
/// shifted above the body count step and the field bits: gaps keep the numbers short.
fn shard_json(postings: &[TermPostings]) -> String {
    let mut out = String::from("{");
    for (i, (term, list)) in postings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(term).unwrap_or_default());
        out.push_str(":[");
        let stem = stem(term);
        if stem != term.as_str() {
            out.push_str(&serde_json::to_string(&stem).unwrap_or_default());
            if !list.is_empty() {
                out.push(',');
            }
        }
        let mut previous = 0;
        for (j, &p) in list.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let id = posting_id(p);
            let _ = write!(
                out,
                "{}",
                (u64::from(id - previous) << ID_SHIFT) | u64::from(posting_detail(p))
            );
            previous = id;
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// The words offered as corrections, by first letter: `[["word", documents], ...]`, words
/// of letters alone and long enough to be worth correcting to.
fn vocabulary(postings: &[TermPostings]) -> BTreeMap<char, String> {
    let mut files: BTreeMap<char, String> = BTreeMap::new();
    for (term, list) in postings {
        let Some(first) = term.chars().next() else {
            continue;
        };
        if term.len() < MIN_VOCABULARY_CHARS || !term.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        let file = files.entry(first).or_insert_with(|| String::from("["));
        if file.len() > 1 {
            file.push(',');
        }
        let _ = write!(
            file,
            "[{},{}]",
            serde_json::to_string(term).unwrap_or_default(),
            list.len()
        );
    }
    for file in files.values_mut() {
        file.push(']');
    }
    files
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
    /// Whether the body goes on, in `text/ID.json`: a phrase is looked for there too.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    more: bool,
}

/// What a document's result record shows: its summary, and the start of its text.
fn doc_record<'a>(summary: &'a DocSummary, text: &'a str) -> DocRecord<'a> {
    let end = excerpt_end(text);
    DocRecord {
        title: &summary.title,
        url: &summary.url,
        date: &summary.date,
        summary: &summary.summary,
        text: &text[..end],
        more: end < text.len(),
    }
}

/// Where the text a record holds ends: [`EXCERPT_SOURCE_BYTES`] in, at a character's start.
fn excerpt_end(text: &str) -> usize {
    let mut end = text.len().min(EXCERPT_SOURCE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[derive(Serialize)]
struct IndexFile<'a> {
    version: u32,
    /// Number of documents; ids are `0..count`, oldest first.
    count: usize,
    /// Shard keys: the shard of key `k` is `terms/` and the hex of `k`'s UTF-8 bytes.
    shards: Vec<&'a str>,
    /// Documents per facet file: `facets/K.json` holds the services and tags of the
    /// documents `K * facet_chunk ..`.
    facet_chunk: usize,
    facets: Vec<facets::Facet>,
}

#[cfg(test)]
mod tests {
    use super::postings::{FIELD_BITS, count_step, posting};
    use super::*;

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
    fn shards_store_id_gaps_with_field_bits() {
        let list = vec![posting(2, 1), posting(3, 8), posting(10, 9)];
        let step = count_step(5) << FIELD_BITS;
        let postings = vec![
            ("dns".to_string(), list),
            ("outages".to_string(), vec![posting(4, 8) | step]),
        ];
        assert_eq!(
            shard_json(&postings),
            r#"{"dns":[257,136,905],"outages":["outag",584]}"#
        );
    }
}
