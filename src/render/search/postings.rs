//! The postings of the search index: every term of the archive with the documents it
//! occurs in, the fields it occurs in there and how often its body has it; collected from
//! the documents' texts, or carried over from the last build for the documents unchanged.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::words::{for_each_term, normalize};
use super::{field, from_far_end};
use crate::archive::{Archive, DocId};
use crate::document::Document;

/// The bits of a posting that hold its fields.
pub(super) const FIELD_BITS: u32 = 5;
/// The bits of a posting that hold how often the body has the term, in steps.
const COUNT_BITS: u32 = 2;
/// The bits below a posting's document id.
pub(super) const ID_SHIFT: u32 = FIELD_BITS + COUNT_BITS;

/// Documents per batch when collecting postings in parallel.
const BATCH: usize = 256;

/// One term and the documents it occurs in, ids ascending.
pub(super) type TermPostings = (String, Vec<Posting>);

/// A document id, how often its body has a term (in steps: see [`count_step`]) and the
/// fields it occurs in, as `id << 7 | step << 5 | fields`: half the memory of a tuple, which
/// at 100,000 postmortems is 40 million postings held at once. (Ids stay below 2^25: an
/// archive that large would not fit in memory anyway.)
pub(super) type Posting = u32;

pub(super) fn posting(id: u32, fields: u8) -> Posting {
    (id << ID_SHIFT) | Posting::from(fields)
}

/// The document id of a posting.
pub(super) fn posting_id(p: Posting) -> u32 {
    p >> ID_SHIFT
}

/// A posting's bits below its id: body count step and fields.
pub(super) fn posting_detail(p: Posting) -> u32 {
    p & ((1 << ID_SHIFT) - 1)
}

/// How often a body has a term, in four steps (once, 2 to 3, 4 to 7, 8 or more): enough for
/// ranking to prefer the document about a thing over one that mentions it in passing, in
/// two bits.
pub(super) fn count_step(count: u32) -> u32 {
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
    pub(super) terms: Vec<TermPostings>,
}

/// An id no document has.
const NO_ID: u32 = u32::MAX;

impl Postings {
    /// The postings of the archive: those of `last` for every document whose key is
    /// unchanged, the others' collected from their texts. And whether `last` is worth
    /// writing again (see [`crate::digest::is_worth_writing`]).
    pub(super) fn of(archive: &Archive, last: Option<Postings>) -> (Postings, bool) {
        let keys: Vec<Option<u64>> = archive.documents.iter().rev().map(|d| d.key).collect();
        let carried = last.and_then(|last| last.carry_over(&keys));
        let unused = carried.as_ref().map_or(0, |carried| carried.unused);
        let (kept, fresh) = carried.map_or_else(
            || (Vec::new(), (0..keys.len()).collect()),
            |carried| (carried.terms, carried.fresh),
        );
        let worth_keeping = crate::digest::is_worth_writing(fresh.len(), unused, keys.len());

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
