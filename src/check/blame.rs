//! The rule on blameless language: postmortems are about how the system allowed a reasonable
//! action to do harm, and "human error" is never a root cause. `[check] blame_phrases` lists
//! the phrases that read as blame; each occurrence in the title, the summary or the prose of
//! the body is reported at its own line.
//!
//! A phrase matches case-insensitively and as whole words, so "blame" does not match
//! "blameless". Code (blocks and inline) is not prose and is skipped: `git blame` is fine.

use std::ops::Range;

use aho_corasick::AhoCorasick;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::diagnostic::Code;

use super::Found;

pub(super) struct Phrases {
    /// Lower case, with single spaces between words.
    phrases: Vec<String>,
    /// Finds the first word of every phrase in one pass over a text, in any ASCII case.
    first_words: Option<AhoCorasick>,
}

/// A phrase found: which one, and where in the file.
struct Occurrence {
    phrase: usize,
    span: Range<usize>,
}

impl Phrases {
    pub(super) fn new(configured: &[String]) -> Self {
        let phrases = configured
            .iter()
            .map(|p| {
                p.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_ascii_lowercase()
            })
            .filter(|p| !p.is_empty())
            .collect::<Vec<String>>();
        let first_words = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(phrases.iter().map(|p| p.split(' ').next().unwrap_or(p)))
            .ok();
        Phrases {
            phrases,
            first_words,
        }
    }

    pub(super) fn check(&self, found: &mut Found) {
        if self.phrases.is_empty() || !self.may_occur(found) {
            return;
        }
        let mut occurrences = Vec::new();
        for key in ["title", "summary"] {
            let span = found.front_matter.span_of(&[key]);
            if span.start < found.front_matter.offset() {
                continue; // the key is absent
            }
            let source = found.source();
            if let Some(value) = source.get(span.clone()) {
                self.find(value, |phrase, at| {
                    occurrences.push(Occurrence {
                        phrase,
                        span: span.start + at.start..span.start + at.end,
                    });
                });
            }
        }
        occurrences.extend(self.find_in_body(found.source(), body_start(found)));
        for occurrence in occurrences {
            let phrase = &self.phrases[occurrence.phrase];
            found
                .at_span(
                    Code::BlameLanguage,
                    occurrence.span,
                    format!("\"{phrase}\" reads as blame"),
                )
                .hint = Some(
                "postmortems are blameless: describe what made the action look reasonable at the time and what the system allowed, not who was at fault"
                    .into(),
            );
        }
    }

    /// A cheap test on text already in memory, so that only documents that may hold a phrase
    /// are read and parsed again to find where. (Where the phrase's first word occurs, the
    /// rest is matched allowing any whitespace, so a phrase broken over lines is not missed.)
    fn may_occur(&self, found: &Found) -> bool {
        let Some(first_words) = &self.first_words else {
            return true;
        };
        let common = found.document.common();
        let text = found.text();
        [common.title, common.summary, text].iter().any(|text| {
            first_words.find_overlapping_iter(*text).any(|hit| {
                let phrase = &self.phrases[hit.pattern().as_usize()];
                match_at(text.as_bytes(), hit.start(), phrase.as_bytes()).is_some()
            })
        })
    }

    /// Calls `report(phrase index, byte range)` for every whole-word occurrence in `text`.
    fn find(&self, text: &str, mut report: impl FnMut(usize, Range<usize>)) {
        for (index, phrase) in self.phrases.iter().enumerate() {
            for at in whole_word_matches(text, phrase) {
                report(index, at);
            }
        }
    }

    /// Occurrences in the prose of the body, which starts at byte `start` of `source`.
    ///
    /// The text of each block (paragraph, heading, list item, table cell) is gathered with
    /// line breaks as spaces, so a phrase broken over two lines is still found, and each
    /// piece remembers where it came from in the file.
    fn find_in_body(&self, source: &str, start: usize) -> Vec<Occurrence> {
        let mut occurrences = Vec::new();
        let mut block = Block::default();
        let mut in_code = false;
        let body = &source[start..];
        for (event, range) in Parser::new(body).into_offset_iter() {
            let range = range.start + start..range.end + start;
            match event {
                Event::Start(Tag::CodeBlock(kind)) => {
                    // An ```internal fence holds prose for the internal edition.
                    in_code =
                        !matches!(kind, CodeBlockKind::Fenced(info) if info.trim() == "internal");
                }
                Event::End(TagEnd::CodeBlock) => {
                    self.flush(&mut block, &mut occurrences);
                    in_code = false;
                }
                Event::Text(text) if !in_code => block.push(&text, range, source),
                Event::SoftBreak | Event::HardBreak => {
                    block.push(" ", range.start..range.start, "")
                }
                Event::Code(_) => block.push("\u{1}", range.start..range.start, ""),
                Event::Start(tag) if !is_inline(&tag) => self.flush(&mut block, &mut occurrences),
                Event::End(tag) if !is_inline_end(tag) => self.flush(&mut block, &mut occurrences),
                _ => {}
            }
        }
        self.flush(&mut block, &mut occurrences);
        occurrences
    }

    fn flush(&self, block: &mut Block, occurrences: &mut Vec<Occurrence>) {
        self.find(&block.text, |phrase, at| {
            let start = block.position_in_file(at.start);
            let end = block.position_in_file(at.end - 1) + 1;
            occurrences.push(Occurrence {
                phrase,
                span: start..end.max(start + 1),
            });
        });
        *block = Block::default();
    }
}

/// The text of one block of the body and where its pieces are in the file.
#[derive(Default)]
struct Block {
    text: String,
    /// (offset in `text`, offset in the file, whether the piece is written as is in the file)
    pieces: Vec<(usize, usize, bool)>,
}

impl Block {
    fn push(&mut self, text: &str, range: Range<usize>, source: &str) {
        let verbatim = source.get(range.clone()) == Some(text);
        self.pieces.push((self.text.len(), range.start, verbatim));
        self.text.push_str(text);
    }

    /// The file offset of byte `at` of the block's text.
    fn position_in_file(&self, at: usize) -> usize {
        let index = self.pieces.partition_point(|&(offset, _, _)| offset <= at);
        match index.checked_sub(1).map(|i| self.pieces[i]) {
            Some((offset, file, true)) => file + (at - offset),
            Some((_, file, false)) => file,
            None => 0,
        }
    }
}

fn is_inline(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Link { .. }
            | Tag::Image { .. }
            | Tag::Superscript
            | Tag::Subscript
    )
}

fn is_inline_end(tag: TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::Superscript
            | TagEnd::Subscript
    )
}

/// The byte offset in the file where the body starts: after the line closing the front matter.
fn body_start(found: &Found) -> usize {
    let source = found.source();
    let closing = (found.front_matter.offset() + found.front_matter.text().len()).min(source.len());
    let Some(rest) = source.get(closing..) else {
        return source.len();
    };
    closing + rest.find('\n').map_or(rest.len(), |i| i + 1)
}

/// Byte ranges of the occurrences of `phrase` (lower-case ASCII words separated by single
/// spaces) in `text`, ignoring ASCII case, where the match is not part of a longer word and
/// any run of whitespace in `text` may stand for a space of the phrase.
fn whole_word_matches(text: &str, phrase: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80 || b == b'_';
    let mut matches = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let preceded_by_word = start > 0 && is_word(bytes[start - 1]);
        if !preceded_by_word && let Some(end) = match_at(bytes, start, phrase.as_bytes()) {
            let followed_by_word = end < bytes.len() && is_word(bytes[end]);
            if !followed_by_word {
                matches.push(start..end);
            }
        }
        start += 1;
    }
    matches
}

/// Where a match of `phrase` starting at `start` of `bytes` ends, if there is one.
fn match_at(bytes: &[u8], start: usize, phrase: &[u8]) -> Option<usize> {
    let mut i = start;
    for &p in phrase {
        if p == b' ' {
            let spaces = bytes[i.min(bytes.len())..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            if spaces == 0 {
                return None;
            }
            i += spaces;
        } else {
            if bytes.get(i).map(u8::to_ascii_lowercase) != Some(p) {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_in_any_case() {
        assert_eq!(
            whole_word_matches("It was Human  Error.", "human error"),
            vec![7..19]
        );
        assert!(whole_word_matches("a blameless review", "blame").is_empty());
        assert_eq!(
            whole_word_matches("blame, and blame", "blame"),
            vec![0..5, 11..16]
        );
        assert!(whole_word_matches("nonblame", "blame").is_empty());
    }

    #[test]
    fn prose_is_searched_and_code_is_not() {
        let phrases = Phrases::new(&["blame".to_string(), "human error".to_string()]);
        let source = "+++\n+++\nWe do not blame.\n\n```\ngit blame x\n```\n\nA `blame` and a human\nerror.\n";
        let found = phrases.find_in_body(source, 8);
        let at: Vec<&str> = found.iter().map(|o| &source[o.span.clone()]).collect();
        assert_eq!(at, vec!["blame", "human\nerror"]);
    }
}
