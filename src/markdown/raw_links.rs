//! Links in a body's raw HTML (`<a href>`, `<area href>`, `<img src>`, `srcset`): a link to a
//! document this edition leaves out is withheld as a Markdown link to it is (see
//! [`super::links`]), and recorded with the body's content links, so that `check` and every
//! build warn of it (W0016) at its line.
//!
//! The scan reads each piece of raw HTML the parser gives (an inline tag, or a line of an HTML
//! block) on its own. A tag written over several lines of a block is beyond it; the
//! sanitizer's own parser drops such a link's address all the same ([`withheld_url_filter`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;

use super::links::{Written, record_link};
use super::render::escape;
use super::{ContentLink, Context};

/// The tags whose attributes can link to a page, and those attributes.
fn linking_attributes(tag: &str) -> &'static [&'static str] {
    match tag {
        "a" | "area" => &["href"],
        "img" | "source" => &["src", "srcset"],
        _ => &[],
    }
}

/// One attribute of a tag: its whole text (with the space before it) and its value as
/// written, as byte ranges of the piece of HTML.
struct Attribute {
    whole: Range<usize>,
    name: String,
    value: Range<usize>,
}

/// Withholds from a piece of raw HTML every link to a document this edition leaves out, and
/// records each link to a document in `links`. `span` is where the piece is in the file and
/// `in_internal_block` whether it is inside an internal block. Returns the piece rewritten,
/// or `None` when it stays as it is.
pub(super) fn withhold_in_html(
    html: &str,
    span: &Range<usize>,
    in_internal_block: bool,
    context: &Context,
    links: &mut Vec<ContentLink>,
) -> Option<String> {
    if !html.contains('<') {
        return None;
    }
    let lower = html.to_ascii_lowercase();
    // Byte ranges of the piece to cut out, and what to put in their place.
    let mut cuts: Vec<(Range<usize>, String)> = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let start = at + found;
        if lower[start..].starts_with("<!--") {
            at = lower[start..]
                .find("-->")
                .map_or(lower.len(), |end| start + end + 3);
            continue;
        }
        let name_end = lower[start + 1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(lower.len(), |end| start + 1 + end);
        let name = &lower[start + 1..name_end];
        let wanted = linking_attributes(name);
        if wanted.is_empty() {
            at = start + 1;
            continue;
        }
        let (attributes, end) = attributes(html, name_end);
        at = end.max(start + 1);
        let mut withheld = false;
        for attribute in attributes
            .iter()
            .filter(|a| wanted.contains(&a.name.as_str()))
        {
            let written = &html[attribute.value.clone()];
            let value = decoded(written);
            let urls: Vec<&str> = if attribute.name == "srcset" {
                value
                    .split(',')
                    .filter_map(|candidate| candidate.split_whitespace().next())
                    .collect()
            } else {
                vec![value.trim()]
            };
            let link_span = span.start + attribute.value.start..span.start + attribute.value.end;
            let is_link = attribute.name == "href";
            let mut this_withheld = false;
            let mut page = None;
            for url in urls {
                let link = Written {
                    dest: url,
                    span: &link_span,
                    in_internal_block,
                };
                // A link to a content file (`x.md`) is checked and rewritten to its page as a
                // Markdown link is; an image's address, and a URL of the site, stay as
                // written and are never reported broken.
                let (target, withheld) = record_link(links, link, !is_link, context);
                this_withheld |= withheld;
                if let (true, Some(super::links::LinkTarget::Content { url, .. })) =
                    (is_link, &target)
                {
                    page = Some(url.clone()).filter(|url| !url.is_empty());
                }
            }
            if this_withheld && name.starts_with('a') {
                cuts.push((attribute.whole.clone(), String::new()));
            } else if let Some(page) = page {
                cuts.push((attribute.value.clone(), escape(&page)));
            }
            withheld |= this_withheld;
        }
        if withheld && (name == "img" || name == "source") {
            // An image of a page left out: its description stays, as text.
            let alt = attributes
                .iter()
                .find(|a| a.name == "alt" && name == "img")
                .map(|a| escape(&decoded(&html[a.value.clone()])))
                .unwrap_or_default();
            cuts.retain(|(cut, _)| cut.start < start);
            cuts.push((start..end, alt));
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let mut rewritten = String::with_capacity(html.len());
    let mut done = 0;
    for (cut, with) in cuts {
        rewritten.push_str(&html[done..cut.start]);
        rewritten.push_str(&with);
        done = cut.end;
    }
    rewritten.push_str(&html[done..]);
    Some(rewritten)
}

/// The attributes of the tag whose name ends at byte `from` of `html`, and where the tag
/// ends (after its `>`, or the end of the piece).
fn attributes(html: &str, from: usize) -> (Vec<Attribute>, usize) {
    let bytes = html.as_bytes();
    let mut found = Vec::new();
    let mut i = from;
    loop {
        let whole_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (found, bytes.len());
        }
        if bytes[i] == b'>' {
            return (found, i + 1);
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"=>/".contains(&bytes[i]) {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if bytes.get(j) != Some(&b'=') {
            found.push(Attribute {
                whole: whole_start..i,
                name,
                value: i..i,
            });
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let (value, end) = match bytes.get(j) {
            Some(&quote @ (b'"' | b'\'')) => {
                let close = html[j + 1..]
                    .find(quote as char)
                    .map_or(bytes.len(), |k| j + 1 + k);
                (j + 1..close, (close + 1).min(bytes.len()))
            }
            _ => {
                let close = html[j..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .map_or(bytes.len(), |k| j + k);
                (j..close, close)
            }
        };
        found.push(Attribute {
            whole: whole_start..end,
            name,
            value,
        });
        i = end;
    }
}

/// An attribute value with its character references decoded, as a browser reads it: numeric
/// ones, and the named ones for the characters of a URL's punctuation.
pub(super) fn decoded(value: &str) -> Cow<'_, str> {
    if !value.contains('&') {
        return Cow::Borrowed(value);
    }
    const NAMED: &[(&str, char)] = &[
        ("amp", '&'),
        ("period", '.'),
        ("sol", '/'),
        ("bsol", '\\'),
        ("colon", ':'),
        ("quest", '?'),
        ("num", '#'),
        ("percnt", '%'),
        ("equals", '='),
        ("commat", '@'),
        ("lowbar", '_'),
        ("excl", '!'),
        ("plus", '+'),
        ("comma", ','),
        ("semi", ';'),
        ("Tab", '\t'),
        ("NewLine", '\n'),
        ("quot", '"'),
        ("apos", '\''),
        ("lt", '<'),
        ("gt", '>'),
    ];
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let reference = rest[1..]
            .find(';')
            .filter(|&end| end <= 32)
            .map(|end| &rest[1..1 + end]);
        let character = reference.and_then(|name| {
            if let Some(number) = name.strip_prefix('#') {
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => number.parse().ok(),
                };
                code.and_then(char::from_u32)
            } else {
                NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
            }
        });
        match (reference, character) {
            (Some(name), Some(c)) => {
                out.push(c);
                rest = &rest[name.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// What the sanitizer is given to drop an address that names a document this edition leaves
/// out, whatever attribute holds it and however it is written: the net under
/// [`withhold_in_html`], for what its scan of pieces cannot see.
pub(super) fn withheld_url_filter(
    context: &Context,
) -> Option<impl Fn(&str, &str, &str) -> bool + Send + Sync + 'static> {
    let withheld: HashSet<PathBuf> = context.withheld_targets.filter(|w| !w.is_empty())?.clone();
    let path = context.path.to_path_buf();
    let base_path = context.base_path.to_string();
    let base_url = context.base_url.to_string();
    let edition = context.edition;
    Some(move |_element: &str, attribute: &str, value: &str| {
        if !matches!(attribute, "href" | "src" | "srcset" | "cite" | "action") {
            return false;
        }
        let context = Context {
            path: &path,
            base_path: &base_path,
            base_url: &base_url,
            edition,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: Some(&withheld),
        };
        let mut links = Vec::new();
        let span = 0..0;
        let urls: Vec<&str> = if attribute == "srcset" {
            value
                .split(',')
                .filter_map(|candidate| candidate.split_whitespace().next())
                .collect()
        } else {
            vec![value]
        };
        urls.into_iter().any(|url| {
            let link = Written {
                dest: url,
                span: &span,
                in_internal_block: false,
            };
            record_link(&mut links, link, true, &context).1
        })
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::{Path, PathBuf};

    use crate::config::Edition;
    use crate::markdown::{Context, analyze};

    #[test]
    fn a_raw_html_link_or_image_of_a_withheld_page_keeps_its_words_but_not_its_address() {
        let withheld = HashSet::from([PathBuf::from("content/postmortems/secret-slug.md")]);
        for unsafe_html in [false, true] {
            let context = Context {
                path: Path::new("content/postmortems/a.md"),
                base_path: "/base",
                base_url: "https://example.com/base/",
                edition: Edition::Public,
                unsafe_html,
                render_html: true,
                highlights: None,
                withheld_targets: Some(&withheld),
            };
            for source in [
                "See <a href=\"secret-slug.md\">the words</a>.",
                "See <a class=x href='/base/postmortems/secret-slug/?v=2#impact'>the words</a>.",
                "See <A HREF=https://example.com/base/postmortems/secret-slug/>the words</A>.",
                "See <a href=\"secret-slug&#46;md\">the words</a>.",
                "See <a href=\"../secret&#x2D;slug&sol;\">the words</a>.",
                "<div>\n<a href=\"../secret-slug/\">the words</a>\n</div>\n",
                "See <img alt=\"the words\" src=\"/postmortems/secret-slug/diagram.png\">.",
                "See <img src=\"a.png\" srcset=\"a.png 1x, ../secret-slug/b.png 2x\" alt=\"the words\">.",
                "<picture><source srcset=\"../secret-slug/b.webp\"><img src=\"a.png\" alt=\"the words\"></picture>\n",
            ] {
                let body = analyze(source, 0..source.len(), &context);
                let html = body.html.get();
                assert!(
                    !html.to_lowercase().contains("secret"),
                    "{unsafe_html} {source:?}: {html}"
                );
                assert!(html.contains("the words"), "{source:?}: {html}");
                assert!(
                    body.content_links
                        .iter()
                        .all(|l| l.target == Path::new("content/postmortems/secret-slug.md")),
                    "{source:?}"
                );
                assert!(!body.content_links.is_empty(), "{source:?}");
            }
        }
    }

    #[test]
    fn a_link_the_scan_cannot_see_is_dropped_by_the_sanitizer() {
        let withheld = HashSet::from([PathBuf::from("content/postmortems/secret-slug.md")]);
        let context = Context {
            path: Path::new("content/postmortems/a.md"),
            base_path: "",
            base_url: "https://example.com/",
            edition: Edition::Public,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: Some(&withheld),
        };
        for source in [
            "<div><a\nhref=\"../secret-slug/\">the words</a></div>\n",
            "<blockquote cite=\"/postmortems/secret-slug/\">the words</blockquote>\n",
        ] {
            let html = analyze(source, 0..source.len(), &context).html.get();
            assert!(!html.contains("secret"), "{source:?}: {html}");
            assert!(html.contains("the words"), "{source:?}: {html}");
        }
    }

    #[test]
    fn raw_html_links_to_other_pages_stay_as_written() {
        let withheld = HashSet::from([PathBuf::from("content/postmortems/secret-slug.md")]);
        let context = Context {
            withheld_targets: Some(&withheld),
            edition: Edition::Public,
            ..Context::for_tests(Path::new("content/postmortems/a.md"))
        };
        let source = "See <a href=\"../b/\">b</a> and <img src=\"x.png\" alt=\"x\">.";
        let html = analyze(source, 0..source.len(), &context).html.get();
        assert!(html.contains("href=\"../b/\""), "{html}");
        assert!(html.contains("src=\"x.png\""), "{html}");
    }

    #[test]
    fn a_raw_html_link_to_a_published_document_leads_to_its_page_and_a_missing_one_is_reported() {
        let context = Context::for_tests(Path::new("content/postmortems/a.md"));
        let source = "See <a href=\"b.md#impact\">b</a> and <a href=\"gone.md\">gone</a>.";
        let body = analyze(source, 0..source.len(), &context);
        let html = body.html.get();
        assert!(html.contains("href=\"/postmortems/b/#impact\""), "{html}");
        let written: Vec<(&str, bool)> = body
            .content_links
            .iter()
            .map(|l| (l.written.as_str(), l.site_url))
            .collect();
        // Not URLs of the site: the link check looks for both files, and reports the missing one.
        assert_eq!(written, [("b.md#impact", false), ("gone.md", false)]);
    }
}
