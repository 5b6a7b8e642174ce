//! Withholding internal blocks before the Markdown parser sees them: the line scan of
//! ```` ```internal ```` fences and `<!-- internal -->` regions, and the blanking of regions
//! only the parser can find.

use std::ops::Range;

use pulldown_cmark::Parser;

use crate::config::Edition;

use super::code::{fence_lang, is_internal_lang};
use super::markers::{JoinedMarkers, MARKER_LINES, Marker, marker, markers_in};
use super::options;
use super::regions::{Problem, Regions};

/// The public edition's text with every internal region the Markdown parser finds blanked
/// out too: those the line scan of [`withhold_internal`] cannot see (a marker inside a block
/// quote, or in raw HTML after a fence line, or written over several lines). Blanked
/// before the parse that renders, so that nothing in a region, not even a link reference
/// definition, a footnote or an abbreviation, can be referred to from outside it. The
/// problems the regions have go to `problems`; the body starts at `offset` of its file.
///
/// A region's bytes become spaces (line breaks and the `>` of block quotes before a line's
/// text stay, so the blocks around it keep their shape), which keeps every position true.
/// Only a body with a marker left in it is parsed twice, and only regions that can define
/// something are blanked.
pub(super) fn blank_parsed_regions<'a>(
    markdown: std::borrow::Cow<'a, str>,
    offset: usize,
    problems: &mut Vec<Problem>,
) -> std::borrow::Cow<'a, str> {
    if markers_in(&markdown).is_empty() {
        return markdown;
    }
    let mut regions = Regions::default();
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut opened = None;
    for (event, range) in
        JoinedMarkers::new(Parser::new_ext(&markdown, options()).into_offset_iter())
    {
        let was_open = regions.open.is_some();
        let _ = regions.judge(event, range.start + offset, Edition::Public, problems);
        match (was_open, regions.open.is_some()) {
            (false, true) => opened = Some(range.start),
            (true, false) => spans.push(opened.take().unwrap_or(range.start)..range.end),
            _ => {}
        }
    }
    if let Some(start) = opened {
        spans.push(start..markdown.len());
    }
    regions.finish(Edition::Public, problems);
    // Only a region that can define something (`[label]: url`, `[^note]: text`) need be
    // blanked: the parse that renders drops the events of every other one as it meets them,
    // and leaves the text around it as it was.
    spans.retain(|span| markdown[span.clone()].contains("]:"));
    if spans.is_empty() {
        return markdown;
    }
    std::borrow::Cow::Owned(blanked(&markdown, &spans))
}

/// `text` with the bytes of `spans` (in order) made spaces, but for line breaks and the
/// block quote markers that open a line.
fn blanked(text: &str, spans: &[Range<usize>]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut spans = spans.iter().peekable();
    let mut line_prefix = true;
    for (at, byte) in bytes.iter_mut().enumerate() {
        while spans.next_if(|span| span.end <= at).is_some() {}
        let original = *byte;
        let inside = spans.peek().is_some_and(|span| span.start <= at);
        let keep = original == b'\n' || (line_prefix && original == b'>');
        if inside && !keep {
            *byte = b' ';
        }
        line_prefix = match original {
            b'\n' => true,
            b' ' | b'\t' | b'>' => line_prefix,
            _ => false,
        };
    }
    // Only ASCII bytes were written, over whole characters or parts of them, and every
    // byte of a character in a span is replaced: the text is still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A body with its internal blocks blanked out, line breaks kept so positions stay true.
pub(super) struct Withheld<'a> {
    pub(super) text: std::borrow::Cow<'a, str>,
    /// An internal block opened and never closed: everything after it was withheld.
    pub(super) unclosed: Option<Unclosed>,
}

pub(super) struct Unclosed {
    /// Byte offset in the body of the line that opened the block.
    pub(super) opened: usize,
    /// Whether the block is an ```internal fence.
    pub(super) fence: bool,
}

/// Blanks every internal block: ```internal fences and `<!-- internal -->` regions.
///
/// This works on lines, before Markdown parsing, so nothing inside such a block can reach the
/// public edition through any Markdown construct. Other fenced code blocks are skipped, so an
/// example of the syntax inside one stays as written. Where this scan and the Markdown parser
/// could disagree, the scan errs towards withholding more, and the parser's own net
/// ([`Regions`]) catches markers the scan cannot see.
pub(super) fn withhold_internal(body: &str) -> Withheld<'_> {
    // Every internal block starts with a comment or a fence.
    let may_hold_blocks = body.contains("<!--") || body.contains("```") || body.contains("~~~");
    if !may_hold_blocks {
        return Withheld {
            text: std::borrow::Cow::Borrowed(body),
            unclosed: None,
        };
    }
    enum State {
        Prose,
        /// Inside an ordinary fence of this marker.
        Fence(String),
        /// Inside an ```internal fence of this marker.
        InternalFence(String, usize),
        /// Between `<!-- internal -->` and `<!-- /internal -->`, perhaps inside a fence there
        /// (where a closing marker is only an example).
        InternalRegion(usize, Option<String>),
    }
    let mut out = String::with_capacity(body.len());
    let mut state = State::Prose;
    let mut offset = 0;
    let mut withheld_any = false;
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    // Lines of a marker written over several, still to withhold after its first.
    let mut marker_rest = 0;
    for (at, line) in lines.iter().copied().enumerate() {
        let start = offset;
        offset += line.len();
        if marker_rest > 0 {
            marker_rest -= 1;
            if line.ends_with('\n') {
                out.push('\n');
            }
            continue;
        }
        let spread = spread_marker(&lines[at..]);
        let (withhold, next) = match state {
            State::Prose if spread.is_some_and(|(marker, _)| marker == Marker::Open) => {
                marker_rest = spread.map_or(0, |(_, lines)| lines - 1);
                (true, State::InternalRegion(start, None))
            }
            State::InternalRegion(_, None)
                if spread.is_some_and(|(marker, _)| marker == Marker::Close) =>
            {
                marker_rest = spread.map_or(0, |(_, lines)| lines - 1);
                (true, State::Prose)
            }
            State::Prose => {
                if let Some((fence, info)) = fence_open(line) {
                    if is_internal_lang(fence_lang(info)) {
                        (true, State::InternalFence(fence, start))
                    } else {
                        (false, State::Fence(fence))
                    }
                } else if marker(line) == Some(Marker::Open) {
                    (true, State::InternalRegion(start, None))
                } else {
                    (false, State::Prose)
                }
            }
            State::Fence(fence) => {
                if fence_closes(line, &fence) {
                    (false, State::Prose)
                } else {
                    (false, State::Fence(fence))
                }
            }
            State::InternalFence(fence, opened) => {
                if fence_closes(line, &fence) {
                    (true, State::Prose)
                } else {
                    (true, State::InternalFence(fence, opened))
                }
            }
            State::InternalRegion(opened, None) => {
                if marker(line) == Some(Marker::Close) {
                    (true, State::Prose)
                } else if let Some((fence, _)) = fence_open(line) {
                    (true, State::InternalRegion(opened, Some(fence)))
                } else {
                    (true, State::InternalRegion(opened, None))
                }
            }
            State::InternalRegion(opened, Some(fence)) => {
                if fence_closes(line, &fence) {
                    (true, State::InternalRegion(opened, None))
                } else {
                    (true, State::InternalRegion(opened, Some(fence)))
                }
            }
        };
        state = next;
        withheld_any |= withhold;
        if withhold {
            if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    if !withheld_any {
        // Nothing was withheld: spare the copy.
        return Withheld {
            text: std::borrow::Cow::Borrowed(body),
            unclosed: None,
        };
    }
    let unclosed = match state {
        State::InternalFence(_, opened) => Some(Unclosed {
            opened,
            fence: true,
        }),
        State::InternalRegion(opened, _) => Some(Unclosed {
            opened,
            fence: false,
        }),
        State::Prose | State::Fence(_) => None,
    };
    Withheld {
        text: std::borrow::Cow::Owned(out),
        unclosed,
    }
}

/// A marker written over several lines at the start of `lines`, such as `<!--` / `internal`
/// / `-->`, and how many lines it takes; `None` for a marker on one line (which the scan
/// reads line by line) or anything else.
fn spread_marker(lines: &[&str]) -> Option<(Marker, usize)> {
    let first = lines.first()?;
    if !first.trim_start().starts_with("<!--") || first.contains("-->") {
        return None;
    }
    let end = lines
        .iter()
        .take(MARKER_LINES)
        .position(|line| line.contains("-->"))?;
    let joined: String = lines[..=end].concat();
    Some((marker(&joined)?, end + 1))
}

/// The indentation of a line in columns, a tab reaching the next multiple of four (as
/// CommonMark counts it), and the rest of the line.
fn indentation(line: &str) -> (usize, &str) {
    let mut columns = 0;
    for (i, c) in line.char_indices() {
        match c {
            ' ' => columns += 1,
            '\t' => columns += 4 - columns % 4,
            _ => return (columns, &line[i..]),
        }
    }
    (columns, "")
}

/// If `line` opens a fenced code block, its fence marker and info string.
pub(super) fn fence_open(line: &str) -> Option<(String, &str)> {
    let (indent, rest) = indentation(line);
    if indent > 3 {
        return None;
    }
    let fence_char = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.len() - rest.trim_start_matches(fence_char).len();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if fence_char == '`' && info.contains('`') {
        return None;
    }
    Some((rest[..len].to_string(), info))
}

/// Whether `line` closes a fence opened with `marker`. A line indented four columns or more
/// never does, so the scan cannot end an internal fence before the parser would.
fn fence_closes(line: &str, marker: &str) -> bool {
    let (indent, rest) = indentation(line);
    let trimmed = rest.trim_end();
    let fence_char = marker.chars().next().unwrap_or('`');
    indent <= 3 && trimmed.len() >= marker.len() && trimmed.chars().all(|c| c == fence_char)
}

#[cfg(test)]
mod tests {
    use crate::config::Edition;
    use crate::diagnostic::Code;
    use crate::markdown::render_with;

    #[test]
    fn internal_blocks_are_marked_in_the_internal_edition_and_gone_from_the_public_one() {
        let source = "Before.\n\n```internal\nSECRET-ONE\n```\n\n<!-- internal -->\nSECRET-TWO\n<!-- /internal -->\n\nAfter.\n";
        let internal = render_with(source, Edition::Internal);
        assert!(
            internal.html.get().contains("SECRET-ONE")
                && internal.html.get().contains("SECRET-TWO")
        );
        assert_eq!(
            internal
                .html
                .get()
                .matches("class=\"internal-block\"")
                .count(),
            2
        );
        let public = render_with(source, Edition::Public);
        assert!(
            !public.html.get().contains("SECRET"),
            "{}",
            public.html.get()
        );
        assert!(!public.text.get().contains("SECRET"));
        assert!(public.html.get().contains("Before.") && public.html.get().contains("After."));
    }

    #[test]
    fn an_unclosed_internal_region_withholds_the_rest() {
        let public = render_with("A.\n\n<!-- internal -->\nSECRET\n", Edition::Public);
        assert!(!public.html.get().contains("SECRET"));
        assert_eq!(public.diagnostics.len(), 1);
        assert_eq!(public.diagnostics[0].code, Code::UnclosedInternalBlock);
        assert_eq!(public.diagnostics[0].line, 3);
    }

    #[test]
    fn internal_markers_inside_ordinary_code_stay_as_written() {
        let source = "````markdown\n```internal\nexample\n```\n````\n";
        let public = render_with(source, Edition::Public);
        assert!(
            public.html.get().contains("example"),
            "{}",
            public.html.get()
        );
    }

    #[test]
    fn a_definition_in_a_region_the_line_scan_cannot_see_resolves_nothing_outside_it() {
        for source in [
            "> <!-- internal -->\n> [r]: https://secret.example/\n> <!-- /internal -->\n\nSee [x][r].\n",
            "<div>\n```\n</div>\n\n<!-- internal -->\n[r]: https://secret.example/\n<!-- /internal -->\n\nSee [x][r].\n",
        ] {
            let public = render_with(source, Edition::Public);
            let html = public.html.get();
            assert!(!html.contains("secret"), "{source:?}: {html}");
            assert!(html.contains("See [x][r]."), "{source:?}: {html}");
            let internal = render_with(source, Edition::Internal);
            assert!(internal.html.get().contains("https://secret.example/"));
        }
    }

    #[test]
    fn a_marker_spread_over_lines_withholds_its_region() {
        let source = "A.\n\n<!--\n  internal\n-->\nSECRET\n<!--\n/internal\n-->\n\nB.\n";
        let public = render_with(source, Edition::Public);
        assert!(
            !public.html.get().contains("SECRET"),
            "{}",
            public.html.get()
        );
        assert!(public.html.get().contains("B."));
    }

    #[test]
    fn an_unclosed_block_is_reported_once_in_the_internal_edition_too() {
        for source in [
            "A.\n\n<!-- internal -->\nSECRET\n",
            "A.\n\n```internal\nSECRET\n",
        ] {
            let body = render_with(source, Edition::Internal);
            let codes: Vec<_> = body.diagnostics.iter().map(|d| d.code).collect();
            assert_eq!(codes, [Code::UnclosedInternalBlock], "{source:?}");
            assert_eq!(body.diagnostics[0].line, 3);
        }
    }

    #[test]
    fn a_closing_marker_inside_a_code_example_does_not_end_the_region() {
        let source = "<!-- internal -->\nSECRET\n```text\n<!-- /internal -->\nSECRET TOO\n```\n<!-- /internal -->\nAfter.\n";
        let public = render_with(source, Edition::Public);
        assert!(
            !public.html.get().contains("SECRET"),
            "{}",
            public.html.get()
        );
        assert!(public.html.get().contains("After."));
        assert!(public.diagnostics.is_empty());
    }

    #[test]
    fn an_indented_fence_line_does_not_end_an_internal_fence_early() {
        let source = "```internal\n    ```\nSECRET\n```\nAfter.\n";
        let public = render_with(source, Edition::Public);
        assert!(
            !public.html.get().contains("SECRET"),
            "{}",
            public.html.get()
        );
        assert!(public.html.get().contains("After."));
    }
}
