//! Markdown bodies: one pass over a document's body yields everything later phases need.
//!
//! The HTML is made here rather than in the render phase because it depends on nothing but the
//! file itself (and the edition): that keeps it a pure function of the file, computed in
//! parallel at load time and cacheable by content hash. The same pass collects the headings
//! (for the table of contents and the section checks), the links to other content files (for
//! link checks), and the plain text (for search and related-incident scoring).
//!
//! The pass is split by job: [`withhold`] blanks internal blocks before parsing,
//! [`markers`] and [`regions`] recognise and withhold the regions the parser meets,
//! [`render`] walks the parser's events into HTML and text, with [`headings`], [`links`] and
//! [`code`] for those elements, and [`sanitize`] cleans raw HTML afterwards.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use pulldown_cmark::Options;
use serde::{Deserialize, Serialize};

use crate::config::Edition;
use crate::diagnostic::{Code, Diagnostic};
use crate::packed::Packed;
use crate::timeline::TimelineSection;

mod code;
mod headings;
mod links;
mod markers;
mod raw_links;
mod regions;
mod render;
mod sanitize;
mod withhold;

pub use headings::slugify;
pub use links::{escape_url, is_safe_url};
pub use markers::holds_marker;
pub use render::escape;

use regions::{Problem, ProblemKind};
use render::render;
use sanitize::{MAX_SANITIZED_DEPTH, nesting_depth, sanitize_body};
use withhold::{blank_parsed_regions, withhold_internal};

/// What a body turned into; a body without diagnostics is kept between builds as it is
/// (see [`crate::load::Bodies`]).
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
    /// Written as a URL of the site (the document's page or a file under it, or an image
    /// there) rather than as the file's path: withheld with the document like any other, but
    /// not reported broken when no document has that page, since the site has pages that are
    /// not documents.
    pub site_url: bool,
    /// Inside an internal block, which the public edition leaves out with the link.
    pub in_internal_block: bool,
}

/// What rendering a body needs to know besides the body itself.
pub struct Context<'a> {
    /// The document's path relative to the archive root, to resolve relative links.
    pub path: &'a Path,
    /// The path part of base_url, prefixed to every site link.
    pub base_path: &'a str,
    /// The site's base_url, to know a link written as an absolute URL of the site.
    pub base_url: &'a str,
    pub edition: Edition,
    pub unsafe_html: bool,
    /// Whether HTML is wanted at all; `check` only reads, and skips highlighting and keeping
    /// the HTML.
    pub render_html: bool,
    /// Highlighted code kept from earlier builds.
    pub highlights: Option<&'a dyn crate::highlight::Highlighted>,
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
            base_url: "",
            edition: Edition::Internal,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: None,
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
            let filter = raw_links::withheld_url_filter(context);
            html = sanitize_body(&html, &mut out.timeline, filter);
        }
    }
    if context.render_html {
        out.html = Packed::pack(&html);
    }
    out.text = Packed::pack(&text);
    out
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// What tests render with: a postmortem at `content/postmortems/a.md`, under `/base`.
#[cfg(test)]
fn render_with(body: &str, edition: Edition) -> Body {
    let context = Context {
        path: Path::new("content/postmortems/a.md"),
        base_path: "/base",
        base_url: "https://example.com/base/",
        edition,
        unsafe_html: false,
        render_html: true,
        highlights: None,
        withheld_targets: None,
    };
    analyze(body, 0..body.len(), &context)
}
