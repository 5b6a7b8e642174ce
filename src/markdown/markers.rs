//! Internal markers: which HTML comments open or close an internal region, and which only
//! look as if they meant to.

use std::collections::VecDeque;
use std::ops::Range;

use pulldown_cmark::Event;

use super::code::{fence_lang, is_internal_lang};

/// The most lines a marker may be spread over (`<!--`, `internal`, `-->`, and a spare).
pub(super) const MARKER_LINES: usize = 4;

/// One end of an internal region: `<!-- internal -->` or `<!-- /internal -->`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Open,
    Close,
}

/// The marker an HTML comment is, forgiving of case and of spaces inside the comment, so that
/// `<!--Internal-->` withholds as surely as `<!-- internal -->`.
pub(super) fn marker(html: &str) -> Option<Marker> {
    let inner = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    if inner.eq_ignore_ascii_case("internal") {
        Some(Marker::Open)
    } else if inner.eq_ignore_ascii_case("/internal") {
        Some(Marker::Close)
    } else {
        None
    }
}

/// Whether an HTML comment reads like a marker without being one (`<!-- internal: why -->`,
/// `<!-- end internal -->`, `<!-- internal-only -->`): its author meant to withhold
/// something, and the public edition would publish it. Reported, never guessed at.
fn is_near_marker(comment: &str) -> bool {
    let Some(inner) = comment
        .trim()
        .strip_prefix("<!--")
        .and_then(|rest| rest.strip_suffix("-->"))
    else {
        return false;
    };
    let words: String = inner
        .trim()
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    let words = words.trim_start_matches(['/', ' ']);
    let words = words.strip_prefix("end").map_or(words, str::trim_start);
    let after_word = words.strip_prefix("internal");
    marker(comment).is_none()
        && after_word.is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// Whether a piece of HTML holds a comment that reads like a marker without being one.
pub(super) fn holds_near_marker(html: &str) -> bool {
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        let Some(len) = rest[start..].find("-->") else {
            return false;
        };
        let end = start + len + 3;
        if is_near_marker(&rest[start..end]) {
            return true;
        }
        rest = &rest[end..];
    }
    false
}

/// Whether a piece of text holds an internal marker in any form a body may write it (a
/// comment on one line or over several, one that reads like a marker without being one, or a
/// line opening an ```` ```internal ```` fence). Front matter is published in every edition,
/// so a marker in one of its strings would publish what its author meant to withhold.
pub fn holds_marker(text: &str) -> bool {
    if !text.contains("<!--") && !text.contains("```") && !text.contains("~~~") {
        return false;
    }
    !markers_in(text).is_empty()
        || holds_near_marker(text)
        || text.lines().any(|line| {
            super::withhold::fence_open(line)
                .is_some_and(|(_, info)| is_internal_lang(fence_lang(info)))
        })
}

/// The markers among the comments of a piece of HTML, in order.
pub(super) fn markers_in(html: &str) -> Vec<Marker> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        let Some(len) = rest[start..].find("-->") else {
            break;
        };
        let end = start + len + 3;
        let comment = &rest[start..end];
        found.extend(marker(comment).or_else(|| marker(&unquoted(comment))));
        rest = &rest[end..];
    }
    found
}

/// A comment written over several lines of a block quote or list item, without what opens
/// each line after its first there (spaces and `>`), as the Markdown parser reads it.
fn unquoted(comment: &str) -> String {
    let mut lines = comment.split('\n');
    let mut text = lines.next().unwrap_or_default().to_string();
    for line in lines {
        text.push('\n');
        text.push_str(line.trim_start_matches([' ', '\t', '>']));
    }
    text
}

/// The parser's events with a marker written over several lines of an HTML block (`<!--`,
/// `internal`, `-->`) as one event, the way a marker on one line comes: the parser gives each
/// line of an HTML block as an event of its own, and in a block quote or list item the line
/// scan of [`super::withhold`] cannot see such a marker. Any other comment passes as it came.
pub(super) struct JoinedMarkers<'a, I> {
    events: I,
    /// Events read ahead that turned out not to be a marker, to pass on first.
    ahead: VecDeque<(Event<'a>, Range<usize>)>,
}

impl<I> JoinedMarkers<'_, I> {
    pub(super) fn new(events: I) -> Self {
        JoinedMarkers {
            events,
            ahead: VecDeque::new(),
        }
    }
}

impl<'a, I: Iterator<Item = (Event<'a>, Range<usize>)>> Iterator for JoinedMarkers<'a, I> {
    type Item = (Event<'a>, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(ahead) = self.ahead.pop_front() {
            return Some(ahead);
        }
        let (event, range) = self.events.next()?;
        let mut joined = match &event {
            Event::Html(line) if line.trim_start().starts_with("<!--") && !line.contains("-->") => {
                line.to_string()
            }
            _ => return Some((event, range)),
        };
        // The lines after the first, up to the one that ends the comment.
        while self.ahead.len() + 1 < MARKER_LINES {
            let Some((next, next_range)) = self.events.next() else {
                break;
            };
            let line = match &next {
                Event::Html(line) => Some(line.to_string()),
                _ => None,
            };
            let end = next_range.end;
            self.ahead.push_back((next, next_range));
            let Some(line) = line else {
                break;
            };
            joined.push_str(&line);
            if line.contains("-->") {
                if marker(&joined).is_some() {
                    self.ahead.clear();
                    return Some((Event::Html(joined.into()), range.start..end));
                }
                break;
            }
        }
        Some((event, range))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Edition;
    use crate::diagnostic::Code;
    use crate::markdown::render_with;

    #[test]
    fn a_comment_that_reads_like_a_marker_without_being_one_is_an_error() {
        for source in [
            "<!-- internal: until the fix ships -->\nSECRET\n",
            "A.\n\n<!-- internal-only -->\nSECRET\n",
            "Words <!-- end internal --> more.\n",
        ] {
            for edition in [Edition::Public, Edition::Internal] {
                let body = render_with(source, edition);
                let codes: Vec<_> = body.diagnostics.iter().map(|d| d.code).collect();
                assert_eq!(codes, [Code::MisplacedInternalMarker], "{source:?}");
            }
        }
        for ordinary in [
            "<!-- TODO: internal links -->\n",
            "<!-- internals of the cache -->\n",
        ] {
            let body = render_with(ordinary, Edition::Public);
            assert!(body.diagnostics.is_empty(), "{ordinary:?}");
        }
    }

    #[test]
    fn a_marker_in_any_form_is_found_in_a_string() {
        use super::holds_marker;
        for marked in [
            "<!-- internal -->",
            "Slow. <!--/INTERNAL--> after",
            "<!--\n  internal\n-->",
            "<!-- internal: why -->",
            "before\n```internal\n",
            "  ~~~ Internal\n",
        ] {
            assert!(holds_marker(marked), "{marked:?}");
        }
        for plain in [
            "The internal API was slow.",
            "<!-- a note -->",
            "```sh\nsystemctl restart api\n```",
            "",
        ] {
            assert!(!holds_marker(plain), "{plain:?}");
        }
    }

    #[test]
    fn a_marker_spread_over_lines_of_a_block_quote_or_list_item_withholds_its_region() {
        for source in [
            "> A.\n>\n> <!--\n> internal\n> -->\n> SECRET\n> <!--\n> /internal\n> -->\n\nAfter.\n",
            "> <!--\n> internal -->\n> SECRET\n> <!-- /internal\n> -->\n\nAfter.\n",
            "> <!--\n>   internal\n> -->\n> [r]: https://secret.example/\n> <!--\n> /internal\n> -->\n\nSee [x][r]. After.\n",
            "- a\n\n  <!--\n  internal\n  -->\n  SECRET\n  <!--\n  /internal\n  -->\n- b\n\nAfter.\n",
            "- a\n  <!--\n  internal\n  -->\n  SECRET\n  <!--\n  /internal\n  -->\n- b\n\nAfter.\n",
            "1. a\n\n   > <!--\n   > internal\n   > -->\n   > SECRET\n   > <!--\n   > /internal\n   > -->\n\nAfter.\n",
        ] {
            let public = render_with(source, Edition::Public);
            let html = public.html.get();
            assert!(
                !html.to_lowercase().contains("secret"),
                "{source:?}: {html}"
            );
            assert!(html.contains("After."), "{source:?}: {html}");
            assert!(
                public.diagnostics.is_empty(),
                "{source:?}: {:?}",
                public.diagnostics
            );
            let internal = render_with(source, Edition::Internal);
            let html = internal.html.get();
            assert!(html.to_lowercase().contains("secret"), "{source:?}: {html}");
            assert!(
                html.contains("class=\"internal-block\""),
                "the internal edition marks the region: {source:?}: {html}"
            );
            assert!(
                internal.diagnostics.is_empty(),
                "{source:?}: {:?}",
                internal.diagnostics
            );
        }
        // A comment over several lines that is no marker stays as it was.
        let ordinary = "> <!--\n> a note\n> -->\n> Words.\n";
        let body = render_with(ordinary, Edition::Public);
        assert!(body.html.get().contains("Words."));
        assert!(body.diagnostics.is_empty());
    }
}
