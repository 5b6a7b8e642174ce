//! Words as search sees them: text folded, split into terms, and terms reduced to stems.
//!
//! The browser does the same to a query (`normalize`, `tokens`, `terms` and `stem` in
//! `themes/default/static/search.js`): it looks up what the build wrote, so the two must
//! agree term for term. `tests/search_browser.rs` checks that they do on every word of the
//! real corpora.

use std::borrow::Cow;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Terms longer than this (hashes, encoded blobs) are not indexed; nobody types them.
pub const MAX_TERM_CHARS: usize = 40;

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

/// Characters that join two runs of letters and digits into one identifier, such as
/// `ebs-csi-driver`, `snake_case` or `1.1.1.1`.
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

/// An apostrophe inside a word is dropped: `king's` is `kings`, which stems to `king`.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// Calls `f` with each term of a text already normalized: every run of letters and digits,
/// and each identifier (runs joined by a joiner) whole as well, joiners kept. Over-long terms
/// are left out. A term is a slice of the text unless an apostrophe was dropped from it.
pub fn for_each_term<'a>(normalized: &'a str, mut f: impl FnMut(Cow<'a, str>)) {
    let mut emit = |term: &'a str| {
        if term.chars().count() > MAX_TERM_CHARS {
            return;
        }
        if term.contains(is_apostrophe) {
            f(term.replace(is_apostrophe, "").into());
        } else {
            f(term.into());
        }
    };
    // Where the identifier being read starts, how many parts it has, where its part starts.
    let mut token_start = None;
    let mut parts = 0;
    let mut part_start = None;
    let mut chars = normalized.char_indices().peekable();
    loop {
        let (at, c) = match chars.next() {
            Some((at, c)) => (at, Some(c)),
            None => (normalized.len(), None),
        };
        if c.is_some_and(char::is_alphanumeric) {
            if part_start.is_none() {
                part_start = Some(at);
                token_start.get_or_insert(at);
            }
            continue;
        }
        let inner = part_start.is_some() && chars.peek().is_some_and(|(_, n)| n.is_alphanumeric());
        if inner && c.is_some_and(is_apostrophe) {
            continue;
        }
        if let Some(start) = part_start.take() {
            emit(&normalized[start..at]);
            parts += 1;
        }
        if !(inner && c.is_some_and(is_joiner)) {
            if let Some(start) = token_start.take().filter(|_| parts > 1) {
                emit(&normalized[start..at]);
            }
            parts = 0;
            if c.is_none() {
                return;
            }
        }
    }
}

/// The terms of a text, in order (see [`for_each_term`]).
pub fn terms(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for_each_term(&normalize(text), |t| found.push(t.into_owned()));
    found
}

/// The stem of a term: Snowball English for words of the letters a to z alone, so that
/// `exhausted`, `exhaustion` and `exhausting` meet; any other term is its own stem.
pub fn stem(term: &str) -> Cow<'_, str> {
    static ENGLISH: OnceLock<Stemmer> = OnceLock::new();
    if term.is_empty() || !term.bytes().all(|b| b.is_ascii_lowercase()) {
        return term.into();
    }
    ENGLISH
        .get_or_init(|| Stemmer::create(Algorithm::English))
        .stem(term)
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
        let found: Vec<String> = terms("deployer api: 502s, TLS/SSL (café)");
        assert_eq!(found, ["deployer", "api", "502s", "tls", "ssl", "cafe"]);
        let long = "a".repeat(MAX_TERM_CHARS + 1);
        assert!(terms(&long).is_empty());
    }

    #[test]
    fn identifiers_are_split_and_kept_whole() {
        assert_eq!(
            terms("the ebs-csi-driver, 1.1.1.1 and CVE-2021-44228."),
            [
                "the",
                "ebs",
                "csi",
                "driver",
                "ebs-csi-driver",
                "1",
                "1",
                "1",
                "1",
                "1.1.1.1",
                "and",
                "cve",
                "2021",
                "44228",
                "cve-2021-44228"
            ]
        );
        assert_eq!(
            terms("the king's log4j - end."),
            ["the", "kings", "log4j", "end"]
        );
        assert_eq!(
            terms("https://www.jenkins.io/blog/log4j2-rce/"),
            [
                "https",
                "www",
                "jenkins",
                "io",
                "www.jenkins.io",
                "blog",
                "log4j2",
                "rce",
                "log4j2-rce"
            ]
        );
    }

    #[test]
    fn word_forms_share_a_stem_and_other_terms_are_their_own() {
        for forms in [
            ["exhausted", "exhaustion", "exhausting"],
            ["timeout", "timeouts", "timeout"],
            ["expired", "expiration", "expire"],
        ] {
            let stems: Vec<_> = forms.iter().map(|f| stem(f)).collect();
            assert!(stems.iter().all(|s| *s == stems[0]), "{forms:?}: {stems:?}");
        }
        assert_eq!(stem("kings"), "king");
        assert_eq!(stem("log4j"), "log4j");
        assert_eq!(stem("ebs-csi-driver"), "ebs-csi-driver");
        assert_eq!(stem("кэша"), "кэша");
    }
}
