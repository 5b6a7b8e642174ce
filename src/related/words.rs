//! The words suggestions are made from: a postmortem's title, summary and opening text,
//! lower-cased and hashed, each with how often it occurs.

use std::borrow::Cow;

use crate::document::Document;

use super::HashMap;

/// Bytes of body text read for words: the opening sections (summary, impact, causes) say
/// what an incident was about; the rest adds cost more than signal.
pub(super) const TEXT_BYTES: usize = 4000;

/// FNV-1a, continuing from `state`.
pub(super) fn fnv(state: u64, bytes: &[u8]) -> u64 {
    let mut hash = if state == 0 {
        0xcbf2_9ce4_8422_2325
    } else {
        state
    };
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A postmortem's words (see [`for_each_word`]), each with how often it occurs, sorted by
/// word: 12 bytes each, the word's hash and its count, little-endian (see [`counts`]). So the
/// cache keeps them, and the words of an unchanged postmortem are used where its file was
/// read into, instead of copied out of it.
pub(super) type Words<'a> = Cow<'a, [u8]>;

pub(super) const WORD_BYTES: usize = 12;

/// Each word of `words`, with how often it occurs.
pub(super) fn counts(words: &[u8]) -> impl Iterator<Item = (u64, u32)> + '_ {
    words.chunks_exact(WORD_BYTES).map(|word| {
        let (hash, count) = word.split_at(8);
        (
            u64::from_le_bytes(hash.try_into().expect("eight bytes")),
            u32::from_le_bytes(count.try_into().expect("four bytes")),
        )
    })
}

/// A postmortem's words, each with how often it occurs (see [`Words`]).
pub(super) fn count_words(d: &Document) -> Vec<u8> {
    let mut counts: HashMap<u64, u32> = HashMap::default();
    for_each_word(d, |word| *counts.entry(word).or_default() += 1);
    let mut counted: Vec<(u64, u32)> = counts.into_iter().collect();
    counted.sort_unstable();
    let mut words = Vec::with_capacity(counted.len() * WORD_BYTES);
    for (word, count) in counted {
        words.extend_from_slice(&word.to_le_bytes());
        words.extend_from_slice(&count.to_le_bytes());
    }
    words
}

/// Calls `f` with each word of a postmortem's title, summary and opening text: lower-cased,
/// four letters or more, not all digits, not a stop word, hashed. One buffer serves every
/// word: this loop is most of the cost of suggestions.
pub(super) fn for_each_word(d: &Document, f: impl FnMut(u64)) {
    let common = d.common();
    let text = d.body.text.get();
    let mut end = text.len().min(TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    for_each_word_in(&[common.title, common.summary, &text[..end]], f);
}

pub(super) fn for_each_word_in(parts: &[&str], mut f: impl FnMut(u64)) {
    let stop_words = stop_word_hashes();
    let mut word = String::with_capacity(32);
    for part in parts {
        // Words are runs of ASCII letters and digits and of any non-ASCII characters (so
        // accented words stay whole). Scanning bytes keeps the ASCII majority off the
        // Unicode paths.
        let bytes = part.as_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b >= 0x80;
            let Some(offset) = bytes[start..].iter().position(is_word) else {
                break;
            };
            let from = start + offset;
            let to = bytes[from..]
                .iter()
                .position(|b| !is_word(b))
                .map_or(bytes.len(), |n| from + n);
            start = to;
            // Both ends sit on ASCII bytes or the ends of the text: char boundaries.
            let raw = &part[from..to];
            if raw.len() < 4 || raw.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            word.clear();
            if raw.is_ascii() {
                word.extend(raw.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            } else {
                word.extend(raw.chars().flat_map(char::to_lowercase));
                if word.chars().count() < 4 {
                    continue;
                }
            }
            let hash = hash_of(b'w', &word);
            if stop_words.binary_search(&hash).is_err() {
                f(hash);
            }
        }
    }
}

/// The hashes of [`STOP_WORDS`], sorted: checking a word's hash is cheaper than its text.
pub(super) fn stop_word_hashes() -> &'static [u64] {
    static HASHES: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    HASHES.get_or_init(|| {
        let mut hashes: Vec<u64> = STOP_WORDS.iter().map(|w| hash_of(b'w', w)).collect();
        hashes.sort_unstable();
        hashes
    })
}

/// Words too common in postmortems to say what one is about.
pub(super) const STOP_WORDS: &[&str] = &[
    "about",
    "action",
    "after",
    "again",
    "also",
    "because",
    "been",
    "before",
    "being",
    "both",
    "but",
    "cause",
    "causes",
    "could",
    "detection",
    "does",
    "down",
    "during",
    "each",
    "every",
    "from",
    "have",
    "having",
    "here",
    "hours",
    "impact",
    "incident",
    "information",
    "into",
    "items",
    "just",
    "learned",
    "lessons",
    "like",
    "lucky",
    "minutes",
    "more",
    "most",
    "much",
    "only",
    "other",
    "over",
    "resolution",
    "root",
    "same",
    "should",
    "some",
    "such",
    "summary",
    "supporting",
    "than",
    "that",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "time",
    "timeline",
    "trigger",
    "under",
    "until",
    "very",
    "well",
    "went",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "would",
    "wrong",
    "your",
];

pub(super) fn hash_of(kind: u8, value: &str) -> u64 {
    fnv(fnv(0, &[kind]), value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_and_stop_words_dropped() {
        let mut seen = Vec::new();
        let text = "Disk FULL on the Ürünler node (2024); timeline 1234 db";
        let expected: Vec<u64> = ["disk", "full", "ürünler", "node"]
            .iter()
            .map(|w| hash_of(b'w', w))
            .collect();
        for_each_word_in(&[text], |h| seen.push(h));
        assert_eq!(seen, expected);
    }
}
