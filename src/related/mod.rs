//! Suggested related incidents: for each postmortem, up to five others that share its
//! services, tags and rare words. docs/related.md explains the scoring and its costs.
//!
//! Comparing every pair would be quadratic: 100,000 postmortems make five billion pairs. So
//! candidates come from an inverted index (feature → postmortems having it), and each
//! posting list contributes at most [`NEIGHBOURS`] postmortems, the ones nearest in time to
//! the one at hand. Work is then about N × features × NEIGHBOURS, linear in N.

use std::borrow::Cow;
use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use rustc_hash::FxHashMap;

use crate::archive::{Archive, DocId};
use crate::document::Document;

mod words;

use words::{Words, count_words, counts, fnv, hash_of};

/// How many suggestions a postmortem gets at most.
pub const MAX_SUGGESTIONS: usize = 5;
/// How many postmortems one shared feature may propose, nearest in time first.
pub const NEIGHBOURS: usize = 40;
/// Rare words kept per postmortem as features.
pub const TERMS_PER_DOCUMENT: usize = 12;
/// A suggestion must score at least this much: one shared service, or a shared tag and a
/// shared rare word; a few common words alone are not enough.
pub const MIN_SCORE: f64 = 3.0;

const SERVICE_WEIGHT: f64 = 3.0;
const TAG_WEIGHT: f64 = 2.0;
const TERM_WEIGHT: f64 = 1.0;

/// A feature a postmortem has: a service, a tag or a word, hashed to keep the index small.
type Feature = u64;

/// Maps keyed by values that are already hashes (features) or small integers (ranks): one
/// multiplication spreads them, where SipHash would spend most of the scoring time.
type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<SpreadHasher>>;

#[derive(Default)]
struct SpreadHasher(u64);

impl Hasher for SpreadHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv(self.0, bytes);
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
}

/// What the suggestions take from the last build of the edition and keep for the next: the
/// driver hands it in (see `src/incremental/`), and the phase never opens what is kept.
///
/// Each postmortem's words are kept by its document key ([`Document::key`]): the next build
/// reads the words only of the postmortems whose key changed. Reading words was two thirds
/// of the suggestions.
pub trait Memory: Sync {
    /// The last build's suggestions, with what they were made from.
    fn last_suggestions(&self) -> Option<LastSuggestions>;
    /// Keeps this build's suggestions, with what they were made from.
    fn keep_suggestions(&self, suggestions: &LastSuggestions);
    /// The words the last build kept, each postmortem's by its key, read where they lie.
    fn last_words(&self) -> Option<Box<dyn KeptWords + '_>>;
    /// Keeps each postmortem's words (see [`Words`]), by its document key.
    fn keep_words(&self, words: &[(u64, &[u8])]);
}

impl std::fmt::Debug for dyn Memory + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("related::Memory")
    }
}

/// Words kept by a build, borrowed from where they were read: the words of 10,000
/// postmortems are tens of megabytes, and copying each out of the file took longer than
/// reading it.
pub trait KeptWords {
    /// Each postmortem's words by its document key; `None` when they cannot be read.
    fn words(&self) -> Option<Vec<(u64, &[u8])>>;
}

/// The last build's suggestions, with what they were made from: a build whose edits leave
/// every postmortem's words, services, tags and related incidents as they were (an edit past
/// the opening text the words are read from, say) takes them as they are. Ranking every
/// postmortem again was a fifth of a one-change build.
#[derive(Debug, Clone, Default)]
pub struct LastSuggestions {
    /// Everything the suggestions are made from, hashed (see [`inputs_key`]).
    pub inputs: u64,
    /// Each postmortem's document key ([`Document::key`]), with the digest of its words.
    pub digests: Vec<(u64, u64)>,
    /// The suggestions of every document.
    pub suggested: Vec<Vec<DocId>>,
}

impl LastSuggestions {
    /// Whether these suggestions can be those of an archive of `documents`: one list per
    /// document, each of at most [`MAX_SUGGESTIONS`] other documents of it. Kept
    /// suggestions are sealed (see `src/incremental/seal.rs`); this keeps a damaged or stale
    /// file from reaching the pages all the same.
    fn fits(&self, documents: usize) -> bool {
        self.suggested.len() == documents
            && self.suggested.iter().enumerate().all(|(own, suggested)| {
                suggested.len() <= MAX_SUGGESTIONS
                    && suggested.iter().all(|&id| id < documents && id != own)
            })
    }
}

/// The suggestions of every document (empty for premortems), best first. What the last
/// build made them from is taken from `kept`, when given, and this build's kept there.
pub fn suggest(archive: &Archive, kept: Option<&dyn Memory>) -> Vec<Vec<DocId>> {
    let postmortems = &archive.postmortems;
    let documents = &archive.documents;
    if postmortems.len() < 2 {
        return vec![Vec::new(); documents.len()];
    }
    let read = || kept?.last_suggestions();
    let last = crate::timing::timed("link: suggestions: read kept", read);
    let last_digests: FxHashMap<u64, u64> = last
        .as_ref()
        .map(|last| last.digests.iter().copied().collect())
        .unwrap_or_default();
    let kept_digest = |id: DocId| last_digests.get(&documents[id].key?).copied();
    // The words of the postmortems whose digest is not kept are counted, to be digested.
    let counted: Vec<Option<Vec<u8>>> = postmortems
        .par_iter()
        .map(|&id| {
            kept_digest(id)
                .is_none()
                .then(|| count_words(&documents[id]))
        })
        .collect();
    let digests: Vec<u64> = postmortems
        .iter()
        .zip(&counted)
        .map(|(&id, counted)| match counted {
            Some(words) => crate::digest::digest(words),
            None => kept_digest(id).expect("a postmortem whose words are not counted has a digest"),
        })
        .collect();
    let inputs = inputs_key(archive, &digests);
    let keyed_digests: Vec<(u64, u64)> = postmortems
        .iter()
        .zip(&digests)
        .filter_map(|(&id, &digest)| Some((documents[id].key?, digest)))
        .collect();
    let changed = crate::digest::digests_differ(&keyed_digests, &last_digests);
    let suggested = match last.filter(|last| last.inputs == inputs && last.fits(documents.len())) {
        Some(last) if !changed => return last.suggested,
        Some(last) => last.suggested,
        None => ranked(archive, kept, counted),
    };
    if let Some(kept) = kept {
        crate::timing::timed("link: suggestions: keep", || {
            let suggestions = LastSuggestions {
                inputs,
                digests: keyed_digests,
                suggested,
            };
            kept.keep_suggestions(&suggestions);
            suggestions.suggested
        })
    } else {
        suggested
    }
}

/// Everything the suggestions are made from, hashed: the postmortems in the archive's order,
/// each with its id among the documents, the `digests` of its words, its services and
/// tags (whose counts weigh them), and the postmortems it names as related (never
/// suggested).
fn inputs_key(archive: &Archive, digests: &[u64]) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut add = |bytes: &[u8]| {
        hasher.update(&bytes.len().to_le_bytes());
        hasher.update(bytes);
    };
    add(&archive.documents.len().to_le_bytes());
    for (&id, digest) in archive.postmortems.iter().zip(digests) {
        let common = archive.documents[id].common();
        let related = &archive.related[id];
        for number in [id as u64, *digest]
            .into_iter()
            .chain([common.services.len(), common.tags.len(), related.len()].map(|n| n as u64))
        {
            add(&number.to_le_bytes());
        }
        for name in common.services.iter().chain(common.tags) {
            add(name.as_bytes());
        }
        for related in related {
            add(&related.to_le_bytes());
        }
    }
    hasher.digest()
}

/// The suggestions of every document, ranked from the postmortems' words: those `counted`
/// holds, the others taken from `kept` or counted now.
fn ranked(
    archive: &Archive,
    kept: Option<&dyn Memory>,
    counted: Vec<Option<Vec<u8>>>,
) -> Vec<Vec<DocId>> {
    let postmortems = &archive.postmortems;
    let count = postmortems.len();
    let documents = &archive.documents;
    let read = || crate::timing::timed("link: suggestions: read words", || kept?.last_words());
    let last = read();
    let (words, worth_keeping) = words_of(
        archive,
        last.as_ref().and_then(|last| last.words()),
        counted,
    );

    // Pass 1: in how many postmortems each word occurs.
    let word_frequency: HashMap<u64, u32> = words
        .par_iter()
        .fold(HashMap::default, |mut df: HashMap<u64, u32>, words| {
            for (word, _) in counts(words) {
                *df.entry(word).or_default() += 1;
            }
            df
        })
        .reduce(HashMap::default, merge_counts);

    // Pass 2: each postmortem's features with their weights.
    let idf = |df: u32| (1.0 + count as f64 / f64::from(df.max(1))).ln();
    let features: Vec<Vec<(Feature, f64)>> = postmortems
        .par_iter()
        .zip(&words)
        .map(|(&id, words)| features_of(archive, &documents[id], words, &word_frequency, idf))
        .collect();
    let keep = || {
        if let Some(kept) = kept.filter(|_| worth_keeping) {
            let keyed: Vec<(u64, &[u8])> = postmortems
                .iter()
                .zip(&words)
                .filter_map(|(&id, words)| Some((documents[id].key?, &words[..])))
                .collect();
            crate::timing::timed("link: suggestions: keep words", || kept.keep_words(&keyed));
        }
    };
    let (ranked, ()) = rayon::join(|| rank(archive, &features), keep);
    drop(words);
    let mut suggested = vec![Vec::new(); documents.len()];
    for (rank, ids) in ranked.into_iter().enumerate() {
        suggested[postmortems[rank]] = ids;
    }
    suggested
}

/// The suggestions of each postmortem, in the order of [`Archive::postmortems`], from the
/// features of each.
fn rank(archive: &Archive, features: &[Vec<(Feature, f64)>]) -> Vec<Vec<DocId>> {
    let postmortems = &archive.postmortems;
    let count = postmortems.len();
    // The inverted index; posting lists follow `postmortems` (newest first), so a position
    // in a list is a position in time.
    let mut postings: HashMap<Feature, Vec<usize>> = HashMap::default();
    for (rank, doc_features) in features.iter().enumerate() {
        for (feature, _) in doc_features {
            postings.entry(*feature).or_default().push(rank);
        }
    }

    let explicit = &archive.related;
    // Scores by rank, all zero between postmortems, and the ranks scored: an array indexed
    // by rank instead of a map from it took a third off the ranking.
    let scratch = || (vec![0.0_f64; count], Vec::new());
    (0..count)
        .into_par_iter()
        .map_init(scratch, |(scores, scored), rank| {
            let id = postmortems[rank];
            for (feature, weight) in &features[rank] {
                let Some(list) = postings.get(feature) else {
                    continue;
                };
                for &other in nearest(list, rank, NEIGHBOURS) {
                    if other != rank {
                        // Weights are above zero: a score of zero was not touched yet.
                        if scores[other] == 0.0 {
                            scored.push(other);
                        }
                        scores[other] += weight;
                    }
                }
            }
            let mut best: Vec<(usize, f64)> = scored
                .drain(..)
                .map(|other| (other, std::mem::take(&mut scores[other])))
                .filter(|&(other, score)| {
                    score >= MIN_SCORE && !explicit[id].contains(&postmortems[other])
                })
                .collect();
            // Highest score first; among equals, nearest in time, then the archive's order.
            let order = |a: &(usize, f64), b: &(usize, f64)| {
                b.1.total_cmp(&a.1)
                    .then_with(|| a.0.abs_diff(rank).cmp(&b.0.abs_diff(rank)))
                    .then_with(|| a.0.cmp(&b.0))
            };
            if best.len() > MAX_SUGGESTIONS {
                best.select_nth_unstable_by(MAX_SUGGESTIONS, order);
                best.truncate(MAX_SUGGESTIONS);
            }
            best.sort_by(order);
            best.into_iter()
                .map(|(other, _)| postmortems[other])
                .collect()
        })
        .collect()
}

/// At most `n` entries of a sorted posting list, those nearest to `rank`.
fn nearest(list: &[usize], rank: usize, n: usize) -> &[usize] {
    if list.len() <= n {
        return list;
    }
    let at = list.partition_point(|&r| r < rank);
    let start = at.saturating_sub(n / 2).min(list.len() - n);
    &list[start..start + n]
}

fn merge_counts(mut a: HashMap<u64, u32>, b: HashMap<u64, u32>) -> HashMap<u64, u32> {
    let (mut big, small) = if a.len() >= b.len() {
        (a, b)
    } else {
        (b, std::mem::take(&mut a))
    };
    for (k, v) in small {
        *big.entry(k).or_default() += v;
    }
    big
}

/// The words of every postmortem, in the order of [`Archive::postmortems`]: those
/// `counted` holds, those the last build kept for its key, and the others read from its text.
/// And whether the kept words are worth writing again (see [`crate::digest::is_worth_writing`]).
fn words_of<'a>(
    archive: &Archive,
    last: Option<Vec<(u64, &'a [u8])>>,
    counted: Vec<Option<Vec<u8>>>,
) -> (Vec<Words<'a>>, bool) {
    let documents = &archive.documents;
    let mut last: FxHashMap<u64, &[u8]> = last
        .map(|last| last.into_iter().collect())
        .unwrap_or_default();
    let taken: Vec<Option<&[u8]>> = archive
        .postmortems
        .iter()
        .map(|&id| last.remove(&documents[id].key?))
        .collect();
    let missed = taken.iter().filter(|words| words.is_none()).count();
    let worth_keeping = crate::digest::is_worth_writing(missed, last.len(), taken.len());
    drop(last);
    let words = taken
        .into_par_iter()
        .zip(counted)
        .zip(&archive.postmortems)
        .map(|((taken, counted), &id)| match (counted, taken) {
            (Some(counted), _) => Cow::Owned(counted),
            (None, Some(taken)) => Cow::Borrowed(taken),
            (None, None) => Cow::Owned(count_words(&documents[id])),
        })
        .collect();
    (words, worth_keeping)
}

/// A postmortem's services, tags and rarest words, each weighted by its kind and rarity.
fn features_of(
    archive: &Archive,
    d: &Document,
    words: &[u8],
    word_frequency: &HashMap<u64, u32>,
    idf: impl Fn(u32) -> f64,
) -> Vec<(Feature, f64)> {
    let count = archive.postmortems.len();
    let common = d.common();
    let frequency = |listing: Option<&crate::archive::Listing>| {
        listing.map_or(1, |l| l.postmortems.len() as u32)
    };
    let mut features: Vec<(Feature, f64)> = Vec::new();
    for service in common.services {
        let df = frequency(archive.services.get(service));
        features.push((hash_of(b's', service), SERVICE_WEIGHT * idf(df)));
    }
    for tag in common.tags {
        let df = frequency(archive.tags.get(tag));
        features.push((hash_of(b't', tag), TAG_WEIGHT * idf(df)));
    }
    features.sort_by_key(|f| f.0);
    features.dedup_by_key(|f| f.0);

    // Words in one postmortem only can match nothing; words in over a tenth of them are
    // the archive's vocabulary, not this incident's.
    let common_limit = (count / 10).max(2) as u32;
    let mut terms: Vec<(u64, f64)> = counts(words)
        .filter_map(|(word, tf)| {
            let df = *word_frequency.get(&word)?;
            (df >= 2 && df <= common_limit).then(|| (word, f64::from(tf).sqrt() * idf(df)))
        })
        .collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    terms.truncate(TERMS_PER_DOCUMENT);
    features.extend(terms.into_iter().map(|(word, _)| {
        let df = word_frequency.get(&word).copied().unwrap_or(1);
        (word, TERM_WEIGHT * idf(df) / 2.0)
    }));
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_suggestions_naming_documents_the_archive_has_not_are_not_used() {
        let kept = |suggested: Vec<Vec<DocId>>| LastSuggestions {
            inputs: 0,
            digests: Vec::new(),
            suggested,
        };
        assert!(kept(vec![vec![1], vec![0, 2], vec![]]).fits(3));
        for forged in [
            vec![vec![1], vec![0, 7], vec![]],
            vec![vec![0], vec![], vec![]],
            vec![vec![1], vec![0]],
            vec![vec![1, 2, 1, 2, 1, 2], vec![], vec![]],
        ] {
            assert!(!kept(forged.clone()).fits(3), "{forged:?}");
        }
    }

    #[test]
    fn nearest_takes_a_window_around_the_position() {
        let list: Vec<usize> = (0..100).map(|i| i * 2).collect();
        assert_eq!(nearest(&list, 100, 4), &[96, 98, 100, 102]);
        assert_eq!(nearest(&list, 0, 4), &[0, 2, 4, 6]);
        assert_eq!(nearest(&list, 500, 4), &[192, 194, 196, 198]);
        assert_eq!(nearest(&list[..3], 2, 4), &[0, 2, 4]);
    }
}
