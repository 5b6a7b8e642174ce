//! Markdown bodies: one pass over a document's body yields everything later phases need.
//!
//! The HTML is made here rather than in the render phase because it depends on nothing but the
//! file itself (and the edition): that keeps it a pure function of the file, computed in
//! parallel at load time and cacheable by content hash. The same pass collects the headings
//! (for the table of contents and the section checks), the links to other content files (for
//! link checks), and the plain text (for search and related-incident scoring).

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};
use serde::Serialize;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use crate::cache::HighlightCache;
use crate::config::Edition;
use crate::timeline::{SectionCollector, TimelineSection};

/// The CSS class prefix of highlighted code tokens; the theme's stylesheet uses the same.
pub const HIGHLIGHT_CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// What a body turned into.
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub html: String,
    /// Every heading, in order.
    pub headings: Vec<Heading>,
    /// Links to other content files (`../premortems/x.md`), for checking that they exist.
    pub content_links: Vec<ContentLink>,
    /// The text a reader sees, without markup, for search and similarity.
    pub text: String,
    /// Whether the body held raw HTML (sanitized unless the archive allows it).
    pub had_raw_html: bool,
    /// Byte ranges of internal blocks that never closed (the rest of the body was withheld).
    pub unclosed_internal: Option<Range<usize>>,
    /// The Timeline section as written, for [`crate::timeline::parse`].
    pub timeline: Option<TimelineSection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// The anchor id, unique within the page.
    pub id: String,
    /// Byte range of the heading in the file.
    #[serde(skip)]
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
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
    /// Whether HTML is wanted at all; `check` only reads, and skips highlighting.
    pub render_html: bool,
    /// Highlighted code kept from earlier builds.
    pub highlights: Option<&'a HighlightCache>,
}

const INTERNAL_OPEN: &str = "<!-- internal -->";
const INTERNAL_CLOSE: &str = "<!-- /internal -->";
const INTERNAL_LABEL: &str = "<div class=\"internal-block\" role=\"note\"><p class=\"internal-label\">Internal: left out of the public edition</p>\n";

/// Analyses the body of a document. `source` is the whole file and `body` the byte range of
/// the body in it, so that every span is a position in the file.
pub fn analyze(source: &str, body: Range<usize>, context: &Context) -> Body {
    let markdown = match context.edition {
        Edition::Public => withhold_internal(&source[body.clone()]),
        Edition::Internal => Withheld {
            text: std::borrow::Cow::Borrowed(&source[body.clone()]),
            unclosed: None,
        },
    };
    let mut out = Body {
        unclosed_internal: markdown
            .unclosed
            .map(|r| r.start + body.start..r.end + body.start),
        ..Body::default()
    };
    render(&markdown.text, body.start, context, &mut out);
    if out.had_raw_html && !context.unsafe_html {
        sanitize_body(&mut out);
    }
    out
}

/// Sanitizes the HTML piece by piece around the timeline's blocks, so that their ranges still
/// point at them afterwards.
fn sanitize_body(out: &mut Body) {
    let Some(timeline) = out.timeline.as_mut().filter(|t| !t.html_blocks.is_empty()) else {
        out.html = sanitize(&out.html);
        return;
    };
    let mut html = String::with_capacity(out.html.len());
    let mut done = 0;
    for block in &mut timeline.html_blocks {
        html.push_str(&sanitize(&out.html[done..block.start]));
        let start = html.len();
        html.push_str(&sanitize(&out.html[block.clone()]));
        done = block.end;
        *block = start..html.len();
    }
    html.push_str(&sanitize(&out.html[done..]));
    out.html = html;
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Renders `markdown` (which starts at byte `offset` of its file) into `out`.
fn render(markdown: &str, offset: usize, context: &Context, out: &mut Body) {
    let parser = Parser::new_ext(markdown, options()).into_offset_iter();
    let mut events: Vec<Event> = Vec::new();
    let mut heading: Option<(u8, usize, String, Vec<Event>)> = None;
    let mut code: Option<(String, String)> = None;
    let mut link_stack: Vec<bool> = Vec::new();
    let mut timeline = SectionCollector::default();

    for (event, range) in parser {
        let span = range.start + offset..range.end + offset;
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
                    out.text.push_str(text);
                    out.text.push('\n');
                    let html = if lang == "internal" {
                        internal_fence(text, offset, context, out)
                    } else if context.render_html {
                        match context.highlights {
                            Some(cache) => {
                                cache.get_or_insert(lang, text, || highlight(lang, text))
                            }
                            None => highlight(lang, text),
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
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
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
                    let id = unique_id(&text, &out.headings);
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
                    out.text.push_str(&text);
                    out.text.push('\n');
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
            Event::Html(html) | Event::InlineHtml(html) => match html.trim() {
                INTERNAL_OPEN => Event::Html(INTERNAL_LABEL.into()),
                INTERNAL_CLOSE => Event::Html("</div>\n".into()),
                _ => {
                    out.had_raw_html = true;
                    Event::Html(html)
                }
            },
            Event::Text(t) => {
                out.text.push_str(&t);
                Event::Text(t)
            }
            Event::Code(t) => {
                out.text.push_str(&t);
                Event::Code(t)
            }
            Event::SoftBreak | Event::HardBreak => {
                out.text.push(' ');
                event
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                out.text.push('\n');
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
    let boundaries: Vec<usize> = timeline
        .blocks()
        .iter()
        .flat_map(|b| [b.start, b.end])
        .collect();
    let offsets = push_html_locating(&mut out.html, events, &boundaries);
    let html_blocks = offsets.chunks_exact(2).map(|b| b[0]..b[1]).collect();
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

/// An ```internal fence: its text is Markdown, shown in a marked box in the internal edition.
/// (The public edition never gets here: the fence was withheld before parsing.)
fn internal_fence(text: &str, offset: usize, context: &Context, out: &mut Body) -> String {
    let mut inner = Body::default();
    render(text, offset, context, &mut inner);
    out.had_raw_html |= inner.had_raw_html;
    format!("{INTERNAL_LABEL}{}</div>\n", inner.html)
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

/// An anchor id for a heading: lower-case words joined by dashes, unique on the page.
fn unique_id(text: &str, earlier: &[Heading]) -> String {
    let base = slugify(text);
    let base = if base.is_empty() {
        "section".to_string()
    } else {
        base
    };
    let mut id = base.clone();
    let mut n = 1;
    while earlier.iter().any(|h| h.id == id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
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
    if !path.ends_with(".md") {
        return Some(LinkTarget::Keep);
    }
    let target = if let Some(from_root) = path.strip_prefix('/') {
        normalize(Path::new(from_root))
    } else {
        normalize(&context.path.parent().unwrap_or(Path::new("")).join(path))
    };
    let target = target?;
    let url = page_url_of(&target, context.base_path)?;
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
pub fn is_safe_url(url: &str) -> bool {
    let trimmed: String = url
        .trim()
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    if !has_scheme(&trimmed) {
        return true;
    }
    let scheme = trimmed.split(':').next().unwrap_or("").to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto")
}

/// Escapes a URL for an `href` attribute.
pub fn escape_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    escape_href(&mut out, url).expect("writing to a String cannot fail");
    out
}

fn syntax_set() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Highlights a code block with CSS classes (the stylesheet is `highlight.css`).
fn highlight(lang: &str, code: &str) -> String {
    let lang_class = slugify(lang);
    let mut html = format!("<pre class=\"code\" data-lang=\"{lang_class}\"><code>");
    let syntaxes = syntax_set();
    let syntax = (!lang.is_empty())
        .then(|| syntaxes.find_syntax_by_token(lang))
        .flatten();
    match syntax {
        Some(syntax) => {
            let mut generator =
                ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, HIGHLIGHT_CLASS_STYLE);
            let highlighted = LinesWithEndings::from(code).all(|line| {
                generator
                    .parse_html_for_line_which_includes_newline(line)
                    .is_ok()
            });
            if highlighted {
                html.push_str(&generator.finalize());
            } else {
                html.push_str(&escape(code));
            }
        }
        None => html.push_str(&escape(code)),
    }
    html.push_str("</code></pre>\n");
    html
}

/// The highlighting stylesheet: a light theme, and a dark one under `prefers-color-scheme`.
pub fn highlight_css() -> String {
    use syntect::highlighting::ThemeSet;
    use syntect::html::css_for_theme_with_class_style;
    let themes = ThemeSet::load_defaults();
    let light =
        css_for_theme_with_class_style(&themes.themes["InspiredGitHub"], HIGHLIGHT_CLASS_STYLE)
            .unwrap_or_default();
    let dark =
        css_for_theme_with_class_style(&themes.themes["base16-ocean.dark"], HIGHLIGHT_CLASS_STYLE)
            .unwrap_or_default();
    format!("{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n")
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

/// A body with its internal blocks blanked out, line breaks kept so positions stay true.
struct Withheld<'a> {
    text: std::borrow::Cow<'a, str>,
    /// An internal block opened and never closed: everything after it was withheld.
    unclosed: Option<Range<usize>>,
}

/// Blanks every internal block: ```internal fences and `<!-- internal -->` regions.
///
/// This works on lines, before Markdown parsing, so nothing inside such a block can reach the
/// public edition through any Markdown construct. Other fenced code blocks are skipped, so an
/// example of the syntax inside one stays as written.
fn withhold_internal(body: &str) -> Withheld<'_> {
    if !body.contains("internal") {
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
        /// Between `<!-- internal -->` and `<!-- /internal -->`.
        InternalRegion(usize),
    }
    let mut out = String::with_capacity(body.len());
    let mut state = State::Prose;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        let (withhold, next) = match state {
            State::Prose => {
                if let Some((marker, info)) = fence_open(line) {
                    if info.split_whitespace().next() == Some("internal") {
                        (true, State::InternalFence(marker, start))
                    } else {
                        (false, State::Fence(marker))
                    }
                } else if trimmed == INTERNAL_OPEN {
                    (true, State::InternalRegion(start))
                } else {
                    (false, State::Prose)
                }
            }
            State::Fence(marker) => {
                if fence_closes(line, &marker) {
                    (false, State::Prose)
                } else {
                    (false, State::Fence(marker))
                }
            }
            State::InternalFence(marker, opened) => {
                if fence_closes(line, &marker) {
                    (true, State::Prose)
                } else {
                    (true, State::InternalFence(marker, opened))
                }
            }
            State::InternalRegion(opened) => {
                if trimmed == INTERNAL_CLOSE {
                    (true, State::Prose)
                } else {
                    (true, State::InternalRegion(opened))
                }
            }
        };
        state = next;
        if withhold {
            if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    let unclosed = match state {
        State::InternalFence(_, opened) | State::InternalRegion(opened) => Some(opened..body.len()),
        State::Prose | State::Fence(_) => None,
    };
    Withheld {
        text: std::borrow::Cow::Owned(out),
        unclosed,
    }
}

/// If `line` opens a fenced code block, its fence marker and info string.
fn fence_open(line: &str) -> Option<(String, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
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

fn fence_closes(line: &str, marker: &str) -> bool {
    let trimmed = line.trim();
    let fence_char = marker.chars().next().unwrap_or('`');
    trimmed.len() >= marker.len() && trimmed.chars().all(|c| c == fence_char)
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
                .contains("href=\"/base/premortems/launch/#risks\""),
            "{}",
            body.html
        );
        assert!(body.html.contains("href=\"/base/postmortems/b/\""));
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
    fn javascript_links_lose_their_href_but_keep_their_text() {
        let body = render_with(
            "[click](javascript:alert(1)) [x](JaVaScRiPt:alert(2))",
            Edition::Internal,
        );
        assert!(
            !body.html.to_lowercase().contains("javascript"),
            "{}",
            body.html
        );
        assert!(body.html.contains("click"));
    }

    #[test]
    fn raw_html_is_sanitized() {
        let body = render_with(
            "<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>",
            Edition::Internal,
        );
        assert!(!body.html.contains("onerror"), "{}", body.html);
        assert!(!body.html.contains("<script"), "{}", body.html);
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
        assert!(body.html.contains("class=\"hl-"), "{}", body.html);
        assert!(!body.html.contains("style="));
    }

    #[test]
    fn internal_blocks_are_marked_in_the_internal_edition_and_gone_from_the_public_one() {
        let source = "Before.\n\n```internal\nSECRET-ONE\n```\n\n<!-- internal -->\nSECRET-TWO\n<!-- /internal -->\n\nAfter.\n";
        let internal = render_with(source, Edition::Internal);
        assert!(internal.html.contains("SECRET-ONE") && internal.html.contains("SECRET-TWO"));
        assert_eq!(internal.html.matches("class=\"internal-block\"").count(), 2);
        let public = render_with(source, Edition::Public);
        assert!(!public.html.contains("SECRET"), "{}", public.html);
        assert!(!public.text.contains("SECRET"));
        assert!(public.html.contains("Before.") && public.html.contains("After."));
    }

    #[test]
    fn an_unclosed_internal_region_withholds_the_rest() {
        let public = render_with("A.\n\n<!-- internal -->\nSECRET\n", Edition::Public);
        assert!(!public.html.contains("SECRET"));
        assert!(public.unclosed_internal.is_some());
    }

    #[test]
    fn internal_markers_inside_ordinary_code_stay_as_written() {
        let source = "````markdown\n```internal\nexample\n```\n````\n";
        let public = render_with(source, Edition::Public);
        assert!(public.html.contains("example"), "{}", public.html);
    }
}
