//! The one walk over the parser's events: HTML and plain text, with headings, links, code
//! blocks and the Timeline section collected on the way.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Parser, Tag, TagEnd};
use pulldown_cmark_escape::escape_html;

use crate::config::Edition;
use crate::timeline::SectionCollector;

use super::code::{fence_lang, highlighted, is_internal_lang};
use super::headings::{HeadingIds, heading_level};
use super::links::{LinkTarget, Written, is_safe_url, record_link};
use super::markers::JoinedMarkers;
use super::raw_links::withhold_in_html;
use super::regions::{INTERNAL_LABEL, Problem, Regions, Verdict};
use super::{Body, Context, Heading, options};

/// What became of a link whose end is still to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opened {
    /// Emitted as a link.
    Emitted,
    /// Not a link, but its words stay.
    Unlinked,
    /// Withheld with its words: an autolink, whose words are its address.
    Dropped,
}

/// Renders `markdown` (which starts at byte `offset` of its file): its HTML and plain text
/// onto `html` and `plain`, the rest into `out`.
pub(super) fn render(
    markdown: &str,
    offset: usize,
    context: &Context,
    out: &mut Body,
    (html, plain): (&mut String, &mut String),
    problems: &mut Vec<Problem>,
) {
    let parser = JoinedMarkers::new(Parser::new_ext(markdown, options()).into_offset_iter());
    let mut events: Vec<Event> = Vec::new();
    let mut heading: Option<(u8, usize, String, Vec<Event>)> = None;
    let mut heading_ids = HeadingIds::default();
    let mut code: Option<(String, String)> = None;
    let mut link_stack: Vec<Opened> = Vec::new();
    // Whether each image still open was emitted.
    let mut image_stack: Vec<bool> = Vec::new();
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
                        highlighted(lang, text, context)
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
            }) => {
                let link = Written {
                    dest: &dest_url,
                    span: &span,
                    in_internal_block: regions.open.is_some(),
                };
                let (rewritten, withheld) =
                    record_link(&mut out.content_links, link, false, context);
                if withheld {
                    // A page this edition leaves out: keep the words, drop the link. An
                    // autolink's words are its address, so they go too.
                    link_stack.push(if link_type == LinkType::Autolink {
                        Opened::Dropped
                    } else {
                        Opened::Unlinked
                    });
                    continue;
                }
                let dest_url = match rewritten {
                    Some(LinkTarget::Content { url, .. }) => url.into(),
                    Some(LinkTarget::Page { .. } | LinkTarget::Keep) => dest_url,
                    None => {
                        link_stack.push(Opened::Unlinked);
                        continue;
                    }
                };
                link_stack.push(Opened::Emitted);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Link) => {
                if link_stack.pop() != Some(Opened::Emitted) {
                    continue;
                }
                Event::End(TagEnd::Link)
            }
            Event::Text(_) | Event::Code(_) if link_stack.last() == Some(&Opened::Dropped) => {
                continue;
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let link = Written {
                    dest: &dest_url,
                    span: &span,
                    in_internal_block: regions.open.is_some(),
                };
                if record_link(&mut out.content_links, link, true, context).1 {
                    // An image of a page this edition leaves out: its description stays.
                    image_stack.push(false);
                    continue;
                }
                image_stack.push(true);
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
            Event::End(TagEnd::Image) => {
                if image_stack.pop() == Some(false) {
                    continue;
                }
                Event::End(TagEnd::Image)
            }
            Event::Html(html) => {
                out.had_raw_html = true;
                let in_block = regions.open.is_some();
                match withhold_in_html(&html, &span, in_block, context, &mut out.content_links) {
                    Some(rewritten) => Event::Html(rewritten.into()),
                    None => Event::Html(html),
                }
            }
            Event::InlineHtml(html) => {
                out.had_raw_html = true;
                let in_block = regions.open.is_some();
                match withhold_in_html(&html, &span, in_block, context, &mut out.content_links) {
                    Some(rewritten) => Event::InlineHtml(rewritten.into()),
                    None => Event::InlineHtml(html),
                }
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

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html(&mut out, s).expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use crate::config::Edition;
    use crate::markdown::render_with;

    #[test]
    fn plain_text_holds_each_heading_once() {
        let body = render_with("## Impact\n\nEvery request failed.\n", Edition::Internal);
        assert_eq!(body.text.get(), "Impact\nEvery request failed.\n");
    }
}
