//! Markdown bodies: one pass over a document's body yields everything later phases need.
//!
//! The HTML is made here rather than in the render phase because it depends on nothing but the
//! file itself (and the edition): that keeps it a pure function of the file, computed in
//! parallel at load time and cacheable by content hash. The same pass collects the headings
//! (for the table of contents and the section checks), the links to other content files (for
//! link checks), and the plain text (for search and related-incident scoring).

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};
use serde::{Deserialize, Serialize};

use crate::cache::HighlightCache;
use crate::config::Edition;
use crate::diagnostic::{Code, Diagnostic};
use crate::highlight;
use crate::packed::Packed;
use crate::timeline::{SectionCollector, TimelineSection};

/// What a body turned into; a body without diagnostics is kept between builds as it is
/// (see [`crate::cache::BodyCache`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Body {
    #[serde(with = "crate::packed::indexed")]
    pub html: Packed,
    /// Every heading, in order.
    pub headings: Vec<Heading>,
    /// Links to other content files (`../premortems/x.md`), for checking that they exist.
    pub content_links: Vec<ContentLink>,
    /// The text a reader sees, without markup, for search and similarity.
    #[serde(with = "crate::packed::indexed")]
    pub text: Packed,
    /// Whether the body held raw HTML (sanitized unless the archive allows it).
    pub had_raw_html: bool,
    /// Problems with internal blocks (unclosed, misplaced markers), found in either edition
    /// so that `check` reports what the public edition would trip on. The load phase moves
    /// them into its diagnostics; each is an error, so no edition is built from such a body.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
    /// The Timeline section as written, for [`crate::timeline::parse`].
    pub timeline: Option<TimelineSection>,
}

impl Body {
    /// What the body cache keeps after its index: the HTML, then the text.
    pub fn packed(&self) -> [&Packed; 2] {
        [&self.html, &self.text]
    }

    /// The same as [`Body::packed`], in the same order.
    pub fn packed_mut(&mut self) -> [&mut Packed; 2] {
        [&mut self.html, &mut self.text]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// The anchor id, unique within the page.
    pub id: String,
    /// Byte range of the heading in the file.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContentLink {
    /// The file the link points at, relative to the archive root (`content/premortems/x.md`).
    pub target: PathBuf,
    /// The link's destination as written.
    pub written: String,
    /// Byte range of the link in the file.
    pub span: Range<usize>,
}

/// What rendering a body needs to know besides the body itself.
pub struct Context<'a> {
    /// The document's path relative to the archive root, to resolve relative links.
    pub path: &'a Path,
    /// The path part of base_url, prefixed to every site link.
    pub base_path: &'a str,
    pub edition: Edition,
    pub unsafe_html: bool,
    /// Whether HTML is wanted at all; `check` only reads, and skips highlighting and keeping
    /// the HTML.
    pub render_html: bool,
    /// Highlighted code kept from earlier builds.
    pub highlights: Option<&'a HighlightCache>,
    /// Content files left out of this edition (internal documents, in the public edition):
    /// a link to one keeps its text but is not emitted as a link.
    pub withheld_targets: Option<&'a HashSet<PathBuf>>,
}

#[cfg(test)]
impl<'a> Context<'a> {
    /// What tests render with: the internal edition, HTML wanted, no base path, no caches.
    pub(crate) fn for_tests(path: &'a Path) -> Self {
        Context {
            path,
            base_path: "",
            edition: Edition::Internal,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: None,
        }
    }
}

const INTERNAL_LABEL: &str = "<div class=\"internal-block\" role=\"note\"><p class=\"internal-label\">Internal: left out of the public edition</p>\n";
/// The label of an internal region within a paragraph, list item or table cell.
const INTERNAL_INLINE_LABEL: &str =
    "<span class=\"internal-inline\" title=\"Internal: left out of the public edition\">";

/// One end of an internal region: `<!-- internal -->` or `<!-- /internal -->`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Open,
    Close,
}

/// The marker an HTML comment is, forgiving of case and of spaces inside the comment, so that
/// `<!--Internal-->` withholds as surely as `<!-- internal -->`.
fn marker(html: &str) -> Option<Marker> {
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
fn holds_near_marker(html: &str) -> bool {
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

/// The markers among the comments of a piece of HTML, in order.
fn markers_in(html: &str) -> Vec<Marker> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        let Some(len) = rest[start..].find("-->") else {
            break;
        };
        let end = start + len + 3;
        found.extend(marker(&rest[start..end]));
        rest = &rest[end..];
    }
    found
}

/// An internal region the parser met: in the public edition everything in it is dropped.
struct OpenRegion {
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
/// The line scan in [`withhold_internal`] removes the usual blocks before parsing; this is
/// the net behind it, for markers it cannot see: within a paragraph or table cell, inside a
/// block quote, or deep in a list.
#[derive(Default)]
struct Regions {
    open: Option<OpenRegion>,
    /// The end of a label, due right after the event just passed.
    after: Option<Event<'static>>,
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
enum Verdict<'a> {
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
    fn judge<'a>(
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
    fn finish(&mut self, edition: Edition, problems: &mut Vec<Problem>) -> Option<Event<'static>> {
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

/// Analyses the body of a document. `source` is the whole file and `body` the byte range of
/// the body in it, so that every span is a position in the file.
pub fn analyze(source: &str, body: Range<usize>, context: &Context) -> Body {
    // The scan runs in both editions so an unclosed block is reported whichever is built.
    let scanned = withhold_internal(&source[body.clone()]);
    let markdown = match context.edition {
        Edition::Public => scanned.text,
        Edition::Internal => std::borrow::Cow::Borrowed(&source[body.clone()]),
    };
    let mut out = Body::default();
    let mut html = String::new();
    let mut text = String::new();
    let mut problems = Vec::new();
    let markdown = match context.edition {
        Edition::Public => blank_parsed_regions(markdown, body.start, &mut problems),
        Edition::Internal => markdown,
    };
    let mut rendered = Vec::new();
    render(
        &markdown,
        body.start,
        context,
        &mut out,
        (&mut html, &mut text),
        &mut rendered,
    );
    for problem in rendered {
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    if let Some(unclosed) = &scanned.unclosed {
        let opened = unclosed.opened + body.start;
        // The internal edition parses the marker too and finds it unclosed: report it once.
        problems.retain(|p| {
            !(p.kind == ProblemKind::Unclosed
                && source
                    .get(opened.min(p.at)..opened.max(p.at))
                    .is_some_and(|between| !between.contains('\n')))
        });
        problems.push(Problem {
            kind: ProblemKind::Unclosed,
            at: opened,
            fence: unclosed.fence,
        });
    }
    out.diagnostics = problems
        .iter()
        .map(|p| p.diagnostic(source, context.path))
        .collect();
    if out.had_raw_html && !context.unsafe_html {
        let depth = nesting_depth(&html);
        if depth > MAX_SANITIZED_DEPTH {
            // The sanitizer's parser takes time quadratic in nesting: a 1 MB file of nested
            // <div>s would stall the build for a minute. Refuse it instead.
            out.diagnostics.push(
                Diagnostic::file(
                    Code::TooLarge,
                    context.path,
                    format!(
                        "the body's HTML nests {depth} elements deep, over the limit of {MAX_SANITIZED_DEPTH}"
                    ),
                )
                .with_hint("close the raw HTML elements this body opens"),
            );
            html.clear();
        } else if context.render_html {
            html = sanitize_body(&html, &mut out.timeline);
        }
    }
    if context.render_html {
        out.html = Packed::pack(&html);
    }
    out.text = Packed::pack(&text);
    out
}

/// Sanitizes the HTML piece by piece around the timeline's blocks, so that their ranges still
/// point at them afterwards.
fn sanitize_body(html: &str, timeline: &mut Option<TimelineSection>) -> String {
    let Some(timeline) = timeline.as_mut().filter(|t| !t.html_blocks.is_empty()) else {
        return sanitize(html);
    };
    let mut clean = String::with_capacity(html.len());
    let mut done = 0;
    for block in &mut timeline.html_blocks {
        clean.push_str(&sanitize(&html[done..block.start]));
        let start = clean.len();
        clean.push_str(&sanitize(&html[block.clone()]));
        done = block.end;
        *block = start..clean.len();
    }
    clean.push_str(&sanitize(&html[done..]));
    clean
}

/// How deep raw HTML may nest before sanitizing it is refused (browsers' parsers give up on
/// deeper trees too).
const MAX_SANITIZED_DEPTH: usize = 512;

/// The deepest nesting of elements in `html`, counted from its tags alone: an estimate that
/// only has to be cheap and never far below the truth for well-formed markup.
fn nesting_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = html.as_bytes();
    // The first `>` at or after the tag being read, found once for every tag before it: a
    // search from each `<` of a run of unclosed ones took time quadratic in its length.
    let mut close: Option<usize> = None;
    for (i, _) in html.match_indices('<') {
        match bytes.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name: String = html[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                if close.is_none_or(|at| at < i) {
                    close = Some(html[i..].find('>').map_or(html.len(), |end| i + end));
                }
                let self_closing =
                    close.is_some_and(|at| at < html.len() && html[i..at].ends_with('/'));
                if !VOID.contains(&name.as_str()) && !self_closing {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
            _ => {}
        }
    }
    deepest
}

/// Something wrong with the internal-block markup of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProblemKind {
    /// Opened and never closed (for an inline marker: not closed in the block it opened in).
    Unclosed,
    /// A closing marker with nothing open, or a marker run together with other HTML.
    Misplaced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Problem {
    kind: ProblemKind,
    /// Byte offset of the marker in the file.
    at: usize,
    /// Whether the block is an ```internal fence rather than a comment region.
    fence: bool,
}

impl Problem {
    fn diagnostic(&self, source: &str, path: &Path) -> Diagnostic {
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

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Renders `markdown` (which starts at byte `offset` of its file): its HTML and plain text
/// onto `html` and `plain`, the rest into `out`.
fn render(
    markdown: &str,
    offset: usize,
    context: &Context,
    out: &mut Body,
    (html, plain): (&mut String, &mut String),
    problems: &mut Vec<Problem>,
) {
    let parser = Parser::new_ext(markdown, options()).into_offset_iter();
    let mut events: Vec<Event> = Vec::new();
    let mut heading: Option<(u8, usize, String, Vec<Event>)> = None;
    let mut heading_ids = HeadingIds::default();
    let mut code: Option<(String, String)> = None;
    let mut link_stack: Vec<bool> = Vec::new();
    let mut timeline = SectionCollector::default();
    let mut regions = Regions::default();
    // Where an event goes: into the heading being collected, or the page.
    fn emit<'a>(
        heading: &mut Option<(u8, usize, String, Vec<Event<'a>>)>,
        events: &mut Vec<Event<'a>>,
        event: Event<'a>,
    ) {
        match heading {
            Some((_, _, _, inner)) => inner.push(event),
            None => events.push(event),
        }
    }

    for (event, range) in parser {
        if let Some(after) = regions.after.take() {
            emit(&mut heading, &mut events, after);
        }
        let span = range.start + offset..range.end + offset;
        let event = match regions.judge(event, span.start, context.edition, problems) {
            Verdict::Pass(event) => event,
            Verdict::Replace(event) => {
                emit(&mut heading, &mut events, event);
                continue;
            }
            Verdict::Before(first, event) => {
                emit(&mut heading, &mut events, first);
                event
            }
            Verdict::Drop => continue,
        };
        timeline.observe(
            &event,
            &span,
            &markdown[range.clone()],
            heading_level,
            events.len(),
        );
        if let Some((lang, text)) = &mut code {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let internal = is_internal_lang(lang);
                    let withheld = internal && context.edition == Edition::Public;
                    if !withheld {
                        plain.push_str(text);
                        plain.push('\n');
                    }
                    let html = if withheld {
                        // Only a fence the line scan could not see gets here (in a block
                        // quote, say); it is withheld all the same.
                        String::new()
                    } else if internal {
                        internal_fence(text, offset, context, out, problems)
                    } else if context.render_html {
                        match context.highlights {
                            Some(cache) => cache
                                .get_or_insert(lang, text, || highlight::code_block(lang, text)),
                            None => highlight::code_block(lang, text),
                        }
                    } else {
                        String::new()
                    };
                    events.push(Event::Html(html.into()));
                    code = None;
                }
                _ => {}
            }
            continue;
        }
        let event = match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => fence_lang(&info).to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
                continue;
            }
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((heading_level(level), span.start, String::new(), Vec::new()));
                continue;
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, text, inner)) = heading.take() {
                    let id = heading_ids.unique(&text);
                    events.push(Event::Html(
                        format!("<h{level} id=\"{}\">", escape(&id)).into(),
                    ));
                    events.extend(inner);
                    events.push(Event::Html(
                        format!(
                            "<a class=\"anchor\" href=\"#{}\" aria-label=\"Link to this section\">#</a></h{level}>\n",
                            escape(&id)
                        )
                        .into(),
                    ));
                    plain.push_str(&text);
                    plain.push('\n');
                    out.headings.push(Heading {
                        level,
                        text,
                        id,
                        span: start..span.end,
                    });
                }
                continue;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => match rewrite_link(&dest_url, context) {
                Some(LinkTarget::Content { target, .. })
                    if context
                        .withheld_targets
                        .is_some_and(|withheld| withheld.contains(&target)) =>
                {
                    // A page this edition leaves out: keep the words, drop the link.
                    out.content_links.push(ContentLink {
                        target,
                        written: dest_url.to_string(),
                        span: span.clone(),
                    });
                    link_stack.push(false);
                    continue;
                }
                Some(LinkTarget::Content { url, target }) => {
                    out.content_links.push(ContentLink {
                        target,
                        written: dest_url.to_string(),
                        span: span.clone(),
                    });
                    link_stack.push(true);
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url: url.into(),
                        title,
                        id,
                    })
                }
                Some(LinkTarget::Keep) => {
                    link_stack.push(true);
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })
                }
                None => {
                    link_stack.push(false);
                    continue;
                }
            },
            Event::End(TagEnd::Link) => {
                if link_stack.pop() == Some(false) {
                    continue;
                }
                Event::End(TagEnd::Link)
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = if is_safe_url(&dest_url) {
                    dest_url
                } else {
                    CowStr::Borrowed("")
                };
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Html(html) => {
                out.had_raw_html = true;
                Event::Html(html)
            }
            Event::InlineHtml(html) => {
                out.had_raw_html = true;
                Event::InlineHtml(html)
            }
            // A heading's text goes into the plain text once, when the heading ends.
            Event::Text(t) => {
                if heading.is_none() {
                    plain.push_str(&t);
                }
                Event::Text(t)
            }
            Event::Code(t) => {
                if heading.is_none() {
                    plain.push_str(&t);
                }
                Event::Code(t)
            }
            Event::SoftBreak | Event::HardBreak => {
                plain.push(' ');
                event
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                plain.push('\n');
                event
            }
            other => other,
        };
        match &mut heading {
            Some((_, _, text, inner)) => {
                if let Event::Text(t) | Event::Code(t) = &event {
                    text.push_str(t);
                }
                inner.push(event);
            }
            None => events.push(event),
        }
    }
    if let Some(after) = regions.after.take() {
        events.push(after);
    }
    if let Some(end) = regions.finish(context.edition, problems) {
        events.push(end);
    }
    // `check` keeps no HTML: it is written only to measure raw HTML the sanitizer would get.
    let html_blocks = if context.render_html || (out.had_raw_html && !context.unsafe_html) {
        let boundaries: Vec<usize> = timeline
            .blocks()
            .iter()
            .flat_map(|b| [b.start, b.end])
            .collect();
        let offsets = push_html_locating(html, events, &boundaries);
        offsets.chunks_exact(2).map(|b| b[0]..b[1]).collect()
    } else {
        Vec::new()
    };
    out.timeline = timeline.finish(html_blocks);
}

/// Writes `events` as HTML, returning the byte offset in `html` at which each event index of
/// `boundaries` (ascending) begins. One writer does it all, so footnotes number across the page.
fn push_html_locating(html: &mut String, events: Vec<Event>, boundaries: &[usize]) -> Vec<usize> {
    use std::cell::Cell;

    /// Appends to the page and publishes its length, for the event iterator to read.
    struct Counting<'a> {
        html: &'a mut String,
        len: &'a Cell<usize>,
    }
    impl std::fmt::Write for Counting<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.html.push_str(s);
            self.len.set(self.html.len());
            Ok(())
        }
    }

    let len = Cell::new(html.len());
    let found = std::cell::RefCell::new(Vec::with_capacity(boundaries.len()));
    let count = events.len();
    // The writer handles each event before asking for the next, so when the iterator is asked
    // for event `i`, everything before it is written.
    let stream = events.into_iter().enumerate().map(|(i, event)| {
        let mut found = found.borrow_mut();
        while boundaries.get(found.len()) == Some(&i) {
            found.push(len.get());
        }
        event
    });
    let writer = Counting { html, len: &len };
    let written = pulldown_cmark::html::write_html_fmt(writer, stream);
    debug_assert!(written.is_ok(), "writing to a String cannot fail");
    let mut found = found.into_inner();
    while found.len() < boundaries.len() && boundaries[found.len()] >= count {
        found.push(len.get());
    }
    if found.len() != boundaries.len() {
        found.clear();
    }
    found
}

/// The language of a fence from its info string: ```` ```rust,ignore ```` → `rust`.
fn fence_lang(info: &str) -> &str {
    info.trim().split([' ', ',', '{']).next().unwrap_or("")
}

/// Whether a fence's language marks it internal (`internal`, in any case).
fn is_internal_lang(lang: &str) -> bool {
    lang.eq_ignore_ascii_case("internal")
}

/// An ```internal fence: its text is Markdown, shown in a marked box in the internal edition.
/// (The public edition never gets here: the fence was withheld before parsing.)
fn internal_fence(
    text: &str,
    offset: usize,
    context: &Context,
    out: &mut Body,
    problems: &mut Vec<Problem>,
) -> String {
    let mut inner = Body::default();
    let mut html = String::new();
    // The block's plain text is not kept: only its HTML is.
    let mut left_out = String::new();
    render(
        text,
        offset,
        context,
        &mut inner,
        (&mut html, &mut left_out),
        problems,
    );
    out.had_raw_html |= inner.had_raw_html;
    format!("{INTERNAL_LABEL}{html}</div>\n")
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html(&mut out, s).expect("writing to a String cannot fail");
    out
}

/// The anchor ids of a page's headings so far, to make each new one unique.
#[derive(Default)]
struct HeadingIds {
    used: FxHashSet<String>,
    /// For each base id, the first number not yet tried after it: numbers below it are
    /// taken, and stay taken, so a page of ten thousand equal headings is numbered in
    /// linear time rather than cubic.
    next: FxHashMap<String, usize>,
}

impl HeadingIds {
    /// An anchor id for a heading: lower-case words joined by dashes, unique on the page;
    /// `root-causes`, then `root-causes-1`, `root-causes-2` for the same words again.
    fn unique(&mut self, text: &str) -> String {
        let base = slugify(text);
        let base = if base.is_empty() {
            "section".to_string()
        } else {
            base
        };
        let mut id = base.clone();
        if self.used.contains(&id) {
            let n = self.next.entry(base.clone()).or_insert(1);
            loop {
                id = format!("{base}-{n}");
                *n += 1;
                if !self.used.contains(&id) {
                    break;
                }
            }
        }
        self.used.insert(id.clone());
        id
    }
}

/// Lower-case ASCII letters and digits joined by single dashes: `Root causes` → `root-causes`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

enum LinkTarget {
    /// A link to another content file, rewritten to its page.
    Content { url: String, target: PathBuf },
    /// Any other safe link, left as written.
    Keep,
}

/// Decides what a link becomes: a page link, itself, or (for an unsafe scheme) no link at all.
fn rewrite_link(dest: &str, context: &Context) -> Option<LinkTarget> {
    if !is_safe_url(dest) {
        return None;
    }
    if has_scheme(dest) || dest.starts_with('#') || dest.starts_with("//") {
        return Some(LinkTarget::Keep);
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    // A query names no other file: `x.md?v=2` is a link to `x.md`, and is withheld with it.
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    if !path.ends_with(".md") {
        return Some(LinkTarget::Keep);
    }
    let target = if let Some(from_root) = path.strip_prefix('/') {
        normalize(Path::new(from_root))
    } else {
        normalize(&context.path.parent().unwrap_or(Path::new("")).join(path))
    };
    // A path that climbs out of the archive, or to a file that is not a document, is kept as a
    // content link with no page, so that the link check reports it as broken.
    let Some(target) = target else {
        return Some(LinkTarget::Content {
            url: String::new(),
            target: PathBuf::from(path),
        });
    };
    let Some(url) = page_url_of(&target, context.base_path) else {
        return Some(LinkTarget::Content {
            url: String::new(),
            target,
        });
    };
    let url = match fragment {
        Some(f) => format!("{url}#{f}"),
        None => url,
    };
    Some(LinkTarget::Content { url, target })
}

/// The page URL of a content file: `content/premortems/x.md` → `/premortems/x/`.
fn page_url_of(target: &Path, base_path: &str) -> Option<String> {
    let mut parts = target.iter().map(|p| p.to_str());
    let (Some(Some("content")), Some(Some(dir)), Some(Some(file)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let slug = file.strip_suffix(".md")?;
    Some(format!("{base_path}/{dir}/{slug}/"))
}

/// Resolves `.` and `..` without touching the file system; `None` if it climbs above the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !url[..i].contains('/')
        }
        None => false,
    }
}

/// Whether a URL may be emitted as a link: relative, or http, https or mailto.
///
/// Browsers ignore whitespace and control characters inside a scheme, so they are left out
/// before reading it. The scheme ends at the first colon; a character no scheme has before
/// it makes the URL relative, and the rest of the URL is not read.
pub fn is_safe_url(url: &str) -> bool {
    let mut scheme = String::new();
    for c in url.trim().chars() {
        if c.is_ascii_whitespace() || c.is_control() {
            continue;
        }
        if c == ':' {
            let scheme = scheme.to_ascii_lowercase();
            return scheme.is_empty() || matches!(scheme.as_str(), "http" | "https" | "mailto");
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
            return true;
        }
        scheme.push(c);
    }
    true
}

/// Escapes a URL for an `href` attribute.
pub fn escape_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    escape_href(&mut out, url).expect("writing to a String cannot fail");
    out
}

/// Cleans raw HTML: scripts, event handlers and unsafe URLs go; classes and ids stay.
fn sanitize(html: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER
        .get_or_init(|| {
            let mut builder = ammonia::Builder::default();
            builder
                .add_generic_attributes(["class", "id", "role", "aria-label"])
                .add_tag_attributes("pre", ["data-lang"])
                .add_tags(["input"])
                .add_tag_attributes("input", ["type", "checked", "disabled"])
                .url_schemes(["http", "https", "mailto"].into())
                .link_rel(None);
            builder
        })
        .clean(html)
        .to_string()
}

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
fn blank_parsed_regions<'a>(
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
    for (event, range) in Parser::new_ext(&markdown, options()).into_offset_iter() {
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
struct Withheld<'a> {
    text: std::borrow::Cow<'a, str>,
    /// An internal block opened and never closed: everything after it was withheld.
    unclosed: Option<Unclosed>,
}

struct Unclosed {
    /// Byte offset in the body of the line that opened the block.
    opened: usize,
    /// Whether the block is an ```internal fence.
    fence: bool,
}

/// Blanks every internal block: ```internal fences and `<!-- internal -->` regions.
///
/// This works on lines, before Markdown parsing, so nothing inside such a block can reach the
/// public edition through any Markdown construct. Other fenced code blocks are skipped, so an
/// example of the syntax inside one stays as written. Where this scan and the Markdown parser
/// could disagree, the scan errs towards withholding more, and the parser's own net
/// ([`Regions`]) catches markers the scan cannot see.
fn withhold_internal(body: &str) -> Withheld<'_> {
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

/// The most lines a marker may be spread over (`<!--`, `internal`, `-->`, and a spare).
const MARKER_LINES: usize = 4;

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
fn fence_open(line: &str) -> Option<(String, &str)> {
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
    use super::*;

    fn render_with(body: &str, edition: Edition) -> Body {
        let context = Context {
            path: Path::new("content/postmortems/a.md"),
            base_path: "/base",
            edition,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: None,
        };
        analyze(body, 0..body.len(), &context)
    }

    #[test]
    fn links_to_content_files_become_page_links() {
        let body = render_with(
            "See [plan](../premortems/launch.md#risks) and [b](b.md).",
            Edition::Internal,
        );
        assert!(
            body.html
                .get()
                .contains("href=\"/base/premortems/launch/#risks\""),
            "{}",
            body.html.get()
        );
        assert!(body.html.get().contains("href=\"/base/postmortems/b/\""));
        let targets: Vec<_> = body
            .content_links
            .iter()
            .map(|l| l.target.clone())
            .collect();
        assert_eq!(
            targets,
            [
                PathBuf::from("content/premortems/launch.md"),
                PathBuf::from("content/postmortems/b.md")
            ]
        );
    }

    #[test]
    fn only_http_https_mailto_and_relative_urls_are_safe() {
        for safe in [
            "https://example.com/a:b",
            "HTTP://example.com",
            "mailto:ops@example.com",
            "../x.md",
            "/path/with:colon",
            "#anchor",
            ":nothing-before",
            "a b/c:d",
        ] {
            assert!(is_safe_url(safe), "{safe}");
        }
        for unsafe_url in [
            "javascript:alert(1)",
            " JaVa\tScRiPt:alert(1)",
            "java\u{0}script:x",
            "\u{a0}data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            assert!(!is_safe_url(unsafe_url), "{unsafe_url}");
        }
    }

    #[test]
    fn javascript_links_lose_their_href_but_keep_their_text() {
        let body = render_with(
            "[click](javascript:alert(1)) [x](JaVaScRiPt:alert(2))",
            Edition::Internal,
        );
        assert!(
            !body.html.get().to_lowercase().contains("javascript"),
            "{}",
            body.html.get()
        );
        assert!(body.html.get().contains("click"));
    }

    #[test]
    fn raw_html_is_sanitized() {
        let body = render_with(
            "<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>",
            Edition::Internal,
        );
        assert!(!body.html.get().contains("onerror"), "{}", body.html.get());
        assert!(!body.html.get().contains("<script"), "{}", body.html.get());
    }

    #[test]
    fn plain_text_holds_each_heading_once() {
        let body = render_with("## Impact\n\nEvery request failed.\n", Edition::Internal);
        assert_eq!(body.text.get(), "Impact\nEvery request failed.\n");
    }

    #[test]
    fn headings_get_unique_ids() {
        let body = render_with(
            "## Timeline\n\n## Timeline\n\n### Root *causes*",
            Edition::Internal,
        );
        let ids: Vec<_> = body.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["timeline", "timeline-1", "root-causes"]);
    }

    #[test]
    fn code_is_highlighted_with_classes() {
        let body = render_with("```rust\nfn main() {}\n```\n", Edition::Internal);
        assert!(
            body.html.get().contains("class=\"hl-"),
            "{}",
            body.html.get()
        );
        assert!(!body.html.get().contains("style="));
    }

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

    #[test]
    fn a_link_to_a_withheld_page_keeps_its_words_but_not_its_address() {
        let withheld = HashSet::from([PathBuf::from("content/postmortems/secret-slug.md")]);
        let context = Context {
            path: Path::new("content/postmortems/a.md"),
            base_path: "",
            edition: Edition::Public,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: Some(&withheld),
        };
        let source =
            "See [the other one](secret-slug.md), [again](secret-slug.md?v=2#x) and [b](b.md).";
        let body = analyze(source, 0..source.len(), &context);
        assert!(
            !body.html.get().contains("secret-slug"),
            "{}",
            body.html.get()
        );
        assert!(body.html.get().contains("the other one"));
        assert!(body.html.get().contains("href=\"/postmortems/b/\""));
        assert_eq!(body.content_links.len(), 3, "all are still checked");
    }

    #[test]
    fn deeply_nested_raw_html_is_refused_rather_than_sanitized() {
        let source = format!("{}x{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
        let body = render_with(&source, Edition::Public);
        let codes: Vec<_> = body.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::TooLarge]);
        assert!(body.html.get().is_empty());

        let shallow = render_with("<div><p>a<br>b</p><img src=x></div>", Edition::Public);
        assert!(shallow.diagnostics.is_empty());
        assert_eq!(nesting_depth("<div><p>a<br>b</p><img src=x></div>"), 2);
    }
}
