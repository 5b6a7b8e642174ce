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
//!   fetched only for the results on screen, and read for phrases.
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
pub mod words;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use words::for_each_term;
pub use words::{normalize, stem, terms};

use super::views::{DocSummary, Views};
use super::{Emit, KeyedFile, KeyedFiles, Reuse, hash_parts, keyed};
use crate::archive::{Archive, DocId};
use crate::build::timed;
use crate::cache::Kept;
use crate::document::Document;

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

/// The bits of a posting that hold its fields.
const FIELD_BITS: u32 = 5;
/// The bits of a posting that hold how often the body has the term, in steps.
const COUNT_BITS: u32 = 2;
/// The bits below a posting's document id.
const ID_SHIFT: u32 = FIELD_BITS + COUNT_BITS;

/// Words shorter than this are not offered as corrections: too many are one edit apart.
const MIN_VOCABULARY_CHARS: usize = 4;

/// A shard holding more postings than this is split by one more character of prefix, so the
/// file a query fetches stays small whatever the size of the archive.
const MAX_SHARD_POSTINGS: usize = 12_000;

/// The body text kept for excerpts, in bytes; a match further in shows the summary instead.
const EXCERPT_SOURCE_BYTES: usize = 8_000;

/// Documents per batch when collecting postings in parallel.
const BATCH: usize = 256;

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
        version: 2,
        count: archive.documents.len(),
        shards: shards.iter().map(|s| s.key).collect(),
        facets: facets::facets(archive, views),
    };
    emit(
        Path::new("search/index.json"),
        &[&serde_json::to_vec(&index).unwrap_or_default()],
    )?;
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
fn from_far_end(count: usize, n: usize) -> usize {
    count - 1 - n
}

/// One term and the documents it occurs in, ids ascending.
type TermPostings = (String, Vec<Posting>);

/// A document id, how often its body has a term (in steps: see [`count_step`]) and the
/// fields it occurs in, as `id << 7 | step << 5 | fields`: half the memory of a tuple, which
/// at 100,000 postmortems is 40 million postings held at once. (Ids stay below 2^25: an
/// archive that large would not fit in memory anyway.)
type Posting = u32;

fn posting(id: u32, fields: u8) -> Posting {
    (id << ID_SHIFT) | Posting::from(fields)
}

/// The document id of a posting.
fn posting_id(p: Posting) -> u32 {
    p >> ID_SHIFT
}

/// A posting's bits below its id: body count step and fields.
fn posting_detail(p: Posting) -> u32 {
    p & ((1 << ID_SHIFT) - 1)
}

/// How often a body has a term, in four steps (once, 2 to 3, 4 to 7, 8 or more): enough for
/// ranking to prefer the document about a thing over one that mentions it in passing, in
/// two bits.
fn count_step(count: u32) -> u32 {
    match count {
        0 | 1 => 0,
        2..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
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
        let old = posting_id(*p);
        sorted &= previous.is_none_or(|previous| old > previous);
        previous = Some(old);
        match new_id.get(old as usize) {
            Some(&id) if id != NO_ID => {
                *p = (id << ID_SHIFT) | posting_detail(*p);
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
                    for (term, (fields, count)) in document_terms(&texts) {
                        let posting =
                            posting(id as u32, fields) | (count_step(count) << FIELD_BITS);
                        match map.get_mut(term.as_ref()) {
                            Some(list) => list.push(posting),
                            // A term is copied once per batch, not once per document.
                            None => drop(map.insert(term.into_owned(), vec![posting])),
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
    for heading in &d.body.headings {
        add(&heading.text, field::HEADING);
    }
    if let Some(p) = d.postmortem() {
        for action in &p.actions {
            add(&action.title, field::BODY);
        }
    }
    if let Some(p) = d.premortem() {
        for risk in &p.risks {
            add(&risk.title, field::BODY);
            add(&risk.mitigation, field::BODY);
        }
    }
    let mut extra = String::new();
    extra_text(&toml::Value::Table(common.extra.clone()), &mut extra);
    add(&extra, field::BODY);
    let mut urls = String::new();
    for url in link_addresses(&d.body.html.get()) {
        urls.push_str(&url);
        urls.push('\n');
    }
    add(&urls, field::BODY);
    add(&d.body.text.get(), field::BODY);
    texts
}

/// The text of the extra fields an import keeps (strings, in tables and lists), one a line.
fn extra_text(value: &toml::Value, out: &mut String) {
    match value {
        toml::Value::String(text) => {
            out.push_str(text);
            out.push('\n');
        }
        toml::Value::Array(items) => items.iter().for_each(|v| extra_text(v, out)),
        toml::Value::Table(table) => table.values().for_each(|v| extra_text(v, out)),
        _ => {}
    }
}

/// The addresses the links of a body's HTML (as the build made it) point to elsewhere, so
/// that a word only in a link, such as `log4j` in a linked advisory, is found.
fn link_addresses(html: &str) -> Vec<String> {
    const HREF: &str = "href=\"";
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(HREF) {
        rest = &rest[at + HREF.len()..];
        let Some(end) = rest.find('"') else { break };
        let address = &rest[..end];
        rest = &rest[end..];
        if address.contains("://") || address.starts_with("mailto:") {
            found.push(address.replace("&amp;", "&"));
        }
    }
    found
}

/// The distinct terms of a document's texts with the fields each occurs in, and how often
/// its body has it.
fn document_terms(texts: &[(String, u8)]) -> FxHashMap<Cow<'_, str>, (u8, u32)> {
    let mut found: FxHashMap<Cow<'_, str>, (u8, u32)> = FxHashMap::default();
    for (text, bit) in texts {
        for_each_term(text, |term| {
            let entry = found.entry(term).or_default();
            entry.0 |= bit;
            if *bit == field::BODY {
                entry.1 += 1;
            }
        });
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
    facets: Vec<facets::Facet>,
}

#[cfg(test)]
mod tests {
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
