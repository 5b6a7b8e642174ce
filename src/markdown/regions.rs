//! Internal regions the Markdown parser meets: what each event becomes inside one, in either
//! edition, and the problems (unclosed, misplaced markers) reported as diagnostics.

use std::path::Path;

use pulldown_cmark::Event;

use crate::config::Edition;
use crate::diagnostic::{Code, Diagnostic};

use super::markers::{Marker, holds_near_marker, marker, markers_in};

pub(super) const INTERNAL_LABEL: &str = "<div class=\"internal-block\" role=\"note\"><p class=\"internal-label\">Internal: left out of the public edition</p>\n";
/// The label of an internal region within a paragraph, list item or table cell.
const INTERNAL_INLINE_LABEL: &str =
    "<span class=\"internal-inline\" title=\"Internal: left out of the public edition\">";

/// An internal region the parser met: in the public edition everything in it is dropped.
pub(super) struct OpenRegion {
    /// Opened by a marker inside a paragraph, list item or table cell.
    inline: bool,
    /// How many elements opened inside the region are still open.
    depth: usize,
    /// Byte offset of the opening marker in the file.
    at: usize,
    /// Whether its problem was already reported.
    reported: bool,
    /// Its closing marker came inside an element opened within it: it ends with that element.
    closing: bool,
}

/// Whether an internal region whose marker met the parser (not the line scan) is open.
///
/// The line scan in [`super::withhold::withhold_internal`] removes the usual blocks before
/// parsing; this is the net behind it, for markers it cannot see: within a paragraph or table
/// cell, inside a block quote, or deep in a list.
#[derive(Default)]
pub(super) struct Regions {
    pub(super) open: Option<OpenRegion>,
    /// The end of a label, due right after the event just passed.
    pub(super) after: Option<Event<'static>>,
}

/// The end tag of an internal edition's label.
fn close_label(inline: bool) -> Event<'static> {
    if inline {
        Event::InlineHtml("</span>".into())
    } else {
        Event::Html("</div>\n".into())
    }
}

/// What to do with an event, given the internal regions.
pub(super) enum Verdict<'a> {
    /// Not internal markup, and not inside a withheld region: render as usual.
    Pass(Event<'a>),
    /// Emit this instead (a label, or an end tag that keeps the HTML balanced).
    Replace(Event<'a>),
    /// Emit the first, then render the second as usual.
    Before(Event<'a>, Event<'a>),
    /// Emit nothing.
    Drop,
}

impl Regions {
    pub(super) fn judge<'a>(
        &mut self,
        event: Event<'a>,
        at: usize,
        edition: Edition,
        problems: &mut Vec<Problem>,
    ) -> Verdict<'a> {
        let public = edition == Edition::Public;
        let misplaced = |problems: &mut Vec<Problem>| {
            problems.push(Problem {
                kind: ProblemKind::Misplaced,
                at,
                fence: false,
            })
        };
        if let Event::Html(html) | Event::InlineHtml(html) = &event {
            let inline = matches!(event, Event::InlineHtml(_));
            match marker(html) {
                Some(Marker::Open) if self.open.is_none() => {
                    self.open = Some(OpenRegion {
                        inline,
                        depth: 0,
                        at,
                        reported: false,
                        closing: false,
                    });
                    return match (public, inline) {
                        (true, _) => Verdict::Drop,
                        (false, true) => {
                            Verdict::Replace(Event::InlineHtml(INTERNAL_INLINE_LABEL.into()))
                        }
                        (false, false) => Verdict::Replace(Event::Html(INTERNAL_LABEL.into())),
                    };
                }
                Some(Marker::Close) if self.open.is_some() => {
                    let region = self.open.as_mut().expect("checked above");
                    if region.depth > 0 {
                        // Closed inside an element opened within the region (`*a <!--
                        // /internal --> b*`, or a paragraph the marker line continues): the
                        // region ends with that element, so the tags still nest.
                        region.closing = true;
                        return Verdict::Drop;
                    }
                    let region = self.open.take().expect("checked above");
                    return if public {
                        Verdict::Drop
                    } else {
                        Verdict::Replace(close_label(region.inline))
                    };
                }
                Some(_) => {
                    misplaced(problems);
                    return Verdict::Drop;
                }
                None if holds_near_marker(html) => misplaced(problems),
                None => {
                    let found = markers_in(html);
                    if !found.is_empty() {
                        misplaced(problems);
                        if public {
                            if found.last() == Some(&Marker::Open) && self.open.is_none() {
                                self.open = Some(OpenRegion {
                                    inline,
                                    depth: 0,
                                    at,
                                    // Already reported as misplaced.
                                    reported: true,
                                    closing: false,
                                });
                            }
                            return Verdict::Drop;
                        }
                    }
                }
            }
        }
        let Some(region) = &mut self.open else {
            return Verdict::Pass(event);
        };
        match &event {
            Event::Start(_) => region.depth += 1,
            Event::End(_) if region.depth > 0 => {
                region.depth -= 1;
                if region.depth == 0 && region.closing {
                    let inline = region.inline;
                    self.open = None;
                    if public {
                        return Verdict::Drop;
                    }
                    self.after = Some(close_label(inline));
                    return Verdict::Pass(event);
                }
            }
            Event::End(_) => {
                // The element the region opened in ends here; its end tag is always emitted so
                // the HTML stays balanced. An inline region must close before it.
                if region.inline && !region.reported {
                    problems.push(Problem {
                        kind: ProblemKind::Unclosed,
                        at: region.at,
                        fence: false,
                    });
                    region.reported = true;
                    if !public {
                        self.open = None;
                        return Verdict::Before(close_label(true), event);
                    }
                }
                return Verdict::Pass(event);
            }
            _ => {}
        }
        if public {
            Verdict::Drop
        } else {
            Verdict::Pass(event)
        }
    }

    /// At the end of the body: a region still open was never closed. Returns the end tag the
    /// internal edition's label needs.
    pub(super) fn finish(
        &mut self,
        edition: Edition,
        problems: &mut Vec<Problem>,
    ) -> Option<Event<'static>> {
        let region = self.open.take()?;
        if !region.reported {
            problems.push(Problem {
                kind: ProblemKind::Unclosed,
                at: region.at,
                fence: false,
            });
        }
        match edition {
            Edition::Public => None,
            Edition::Internal => Some(close_label(region.inline)),
        }
    }
}

/// Something wrong with the internal-block markup of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProblemKind {
    /// Opened and never closed (for an inline marker: not closed in the block it opened in).
    Unclosed,
    /// A closing marker with nothing open, or a marker run together with other HTML.
    Misplaced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Problem {
    pub(super) kind: ProblemKind,
    /// Byte offset of the marker in the file.
    pub(super) at: usize,
    /// Whether the block is an ```internal fence rather than a comment region.
    pub(super) fence: bool,
}

impl Problem {
    pub(super) fn diagnostic(&self, source: &str, path: &Path) -> Diagnostic {
        let line_end = source[self.at..]
            .find('\n')
            .map_or(source.len(), |i| self.at + i);
        let span = self.at..line_end;
        match (self.kind, self.fence) {
            (ProblemKind::Unclosed, true) => Diagnostic::at(
                Code::UnclosedInternalBlock,
                path,
                source,
                span,
                "this ```internal block is never closed: the public edition would withhold everything after it",
            )
            .with_hint("close the block with a fence line such as ``` where the internal part ends"),
            (ProblemKind::Unclosed, false) => Diagnostic::at(
                Code::UnclosedInternalBlock,
                path,
                source,
                span,
                "this internal block is never closed: the public edition would withhold everything after it",
            )
            .with_hint(
                "put `<!-- /internal -->` where the internal part ends (an inline block must end in the same paragraph, list item or table cell)",
            ),
            (ProblemKind::Misplaced, _) => Diagnostic::at(
                Code::MisplacedInternalMarker,
                path,
                source,
                span,
                "this internal marker is not understood here: a closing marker with no open block, or a marker run together with other HTML",
            )
            .with_hint(
                "write `<!-- internal -->` and `<!-- /internal -->` each as a comment of its own, on its own line or around words within one paragraph",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Edition;
    use crate::diagnostic::Code;
    use crate::markdown::render_with;

    #[test]
    fn internal_markers_the_line_scan_cannot_see_are_withheld_by_the_parser() {
        let cases = [
            "Words <!-- internal -->SECRET<!-- /internal --> more.\n",
            "| a | b |\n|---|---|\n| x | <!-- internal -->SECRET<!-- /internal --> |\n",
            "> <!-- internal -->\n> SECRET\n> <!-- /internal -->\n\nAfter.\n",
            "> ```internal\n> SECRET\n> ```\n",
            "- a\n    - b\n\n        ```internal\n        SECRET\n        ```\n",
            "<!--Internal-->\nSECRET\n<!-- /INTERNAL -->\n",
            "~~~ internal\nSECRET\n~~~\n",
            "```Internal\nSECRET\n```\n",
        ];
        for source in cases {
            let public = render_with(source, Edition::Public);
            assert!(
                !public.html.get().contains("SECRET"),
                "{source:?}: {}",
                public.html.get()
            );
            assert!(!public.text.get().contains("SECRET"), "{source:?}");
            assert!(
                public.diagnostics.is_empty(),
                "{source:?}: {:?}",
                public.diagnostics
            );
            let internal = render_with(source, Edition::Internal);
            assert!(
                internal.html.get().contains("SECRET"),
                "{source:?}: {}",
                internal.html.get()
            );
            assert!(
                internal.html.get().contains("internal-"),
                "{source:?}: {}",
                internal.html.get()
            );
            assert!(internal.diagnostics.is_empty(), "{source:?}");
        }
    }

    #[test]
    fn an_inline_internal_region_left_open_is_an_error_in_both_editions() {
        let source = "Words <!-- internal -->SECRET\n\nNext paragraph.\n";
        for edition in [Edition::Public, Edition::Internal] {
            let body = render_with(source, edition);
            let codes: Vec<_> = body.diagnostics.iter().map(|d| d.code).collect();
            assert_eq!(codes, [Code::UnclosedInternalBlock], "{edition:?}");
        }
        assert!(
            !render_with(source, Edition::Public)
                .html
                .get()
                .contains("SECRET")
        );
    }

    #[test]
    fn markers_run_together_with_other_html_or_closing_nothing_are_errors() {
        for source in [
            "<!-- internal --> SECRET on the same line\n",
            "<!-- /internal -->\n",
        ] {
            for edition in [Edition::Public, Edition::Internal] {
                let body = render_with(source, edition);
                let codes: Vec<_> = body.diagnostics.iter().map(|d| d.code).collect();
                assert_eq!(
                    codes,
                    [Code::MisplacedInternalMarker],
                    "{source:?} {edition:?}"
                );
            }
            assert!(
                !render_with(source, Edition::Public)
                    .html
                    .get()
                    .contains("SECRET")
            );
        }
    }

    #[test]
    fn a_region_closed_inside_an_element_it_opened_ends_with_that_element() {
        let source = "Words <!-- internal -->*SECRET <!-- /internal --> more*, after.\n";
        let public = render_with(source, Edition::Public);
        assert!(public.diagnostics.is_empty());
        assert_eq!(public.html.get(), "<p>Words , after.</p>\n");
        let internal = render_with(source, Edition::Internal);
        assert!(internal.diagnostics.is_empty());
        assert!(
            internal
                .html
                .get()
                .contains("<em>SECRET  more</em></span>, after."),
            "{}",
            internal.html.get()
        );
    }
}
