//! Links: which URLs may be emitted, and how a link to another content file becomes a link
//! to its page.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark_escape::escape_href;

use super::{ContentLink, Context};
use crate::diagnostic::{Code, Diagnostic, LineStarts};
use crate::document::Kind;

pub(super) enum LinkTarget {
    /// A link to another content file, rewritten to its page.
    Content { url: String, target: PathBuf },
    /// A link written as a URL of the site that names a document's page or a file under it
    /// (`../x/`, `/postmortems/x/index.json`, the site's own absolute URL): left as written,
    /// and withheld with the document.
    Page { target: PathBuf },
    /// Any other safe link, left as written.
    Keep,
}

/// Decides what a link becomes: a page link, itself, or (for an unsafe scheme) no link at all.
pub(super) fn rewrite_link(dest: &str, context: &Context) -> Option<LinkTarget> {
    if !is_safe_url(dest) {
        return None;
    }
    let as_written = || {
        Some(match site_document(dest, context) {
            Some(target) => LinkTarget::Page { target },
            None => LinkTarget::Keep,
        })
    };
    if dest.starts_with('#') {
        return Some(LinkTarget::Keep);
    }
    if has_scheme(dest) || dest.starts_with("//") {
        return as_written();
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    // A query names no other file: `x.md?v=2` is a link to `x.md`, and is withheld with it.
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    if !path.ends_with(".md") {
        return as_written();
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

/// A link or image as the walk over a body meets it.
pub(super) struct Written<'a> {
    /// The destination as written.
    pub(super) dest: &'a str,
    /// Its byte range in the file.
    pub(super) span: &'a Range<usize>,
    /// Whether it is inside an internal block.
    pub(super) in_internal_block: bool,
}

/// What a link (or, for `image`, an image) becomes ([`rewrite_link`]), and whether this
/// edition withholds it: the document it names is left out. A link that names a document is
/// recorded in the body's content links.
pub(super) fn record_link(
    links: &mut Vec<ContentLink>,
    link: Written,
    image: bool,
    context: &Context,
) -> (Option<LinkTarget>, bool) {
    let rewritten = rewrite_link(link.dest, context);
    let (target, site_url) = match &rewritten {
        Some(LinkTarget::Content { target, .. }) => (target, image),
        Some(LinkTarget::Page { target }) => (target, true),
        Some(LinkTarget::Keep) | None => return (rewritten, false),
    };
    links.push(ContentLink {
        target: target.clone(),
        written: link.dest.to_string(),
        span: link.span.clone(),
        site_url,
        in_internal_block: link.in_internal_block,
    });
    let withheld = context
        .withheld_targets
        .is_some_and(|withheld| withheld.contains(target));
    (rewritten, withheld)
}

impl ContentLink {
    /// The warning for a public document's link to an internal one (in the file at `path`,
    /// whose text is `source`): the public edition keeps the link's words but not the link,
    /// which would publish the internal document's address.
    pub fn withheld_from_public(
        &self,
        path: &Path,
        source: &str,
        lines: &LineStarts,
    ) -> Diagnostic {
        Diagnostic::at_line(
            Code::LinkToInternal,
            path,
            source,
            lines,
            self.span.clone(),
            format!(
                "link to internal document withheld from the public edition: `{}` points at {}, which only the internal edition has",
                self.written,
                self.target.display()
            ),
        )
        .with_hint(
            "link to internal documents only from internal ones, or mark the linking text internal (`<!-- internal -->` ... `<!-- /internal -->`) so the public edition leaves out the words too",
        )
    }

    /// The warning for a link to a draft, in a build without drafts (in the file at `path`,
    /// whose text is `source`): the link's words stay, but not the link, which would lead
    /// nowhere.
    pub fn withheld_as_draft(&self, path: &Path, source: &str, lines: &LineStarts) -> Diagnostic {
        Diagnostic::at_line(
            Code::LinkToInternal,
            path,
            source,
            lines,
            self.span.clone(),
            format!(
                "link to a draft withheld: `{}` points at {}, a draft this build leaves out",
                self.written,
                self.target.display()
            ),
        )
        .with_hint(
            "publish the draft first (`status` other than \"draft\"), or build with --drafts; the link comes back once its page is built",
        )
    }
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

/// The content file of the document whose page, or a file under it, a URL of this site
/// names: `../x/`, `/postmortems/x/index.json`, `https://the.site/base/premortems/x/#risks`.
///
/// The URL is read as a browser reads it (backslashes as slashes, tabs and line breaks left
/// out, percent escapes decoded, `..` stopping at the root, the host in any case), and the
/// base path may be left out, so that no spelling of a page's address is missed.
fn site_document(dest: &str, context: &Context) -> Option<PathBuf> {
    let url: String = dest
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let path = if has_scheme(url) || url.starts_with("//") {
        let (host, path) = host_and_path(url)?;
        let (site_host, _) = host_and_path(context.base_url)?;
        if host != site_host {
            return None;
        }
        path.to_string()
    } else if url.starts_with('/') {
        url.to_string()
    } else {
        // Relative to the page, not to the file: the browser resolves it from the page's URL.
        format!("{}{url}", page_url_of(context.path, context.base_path)?)
    };
    let decoded = percent_decoded(&path);
    let segments = url_segments(&decoded);
    let base: Vec<&str> = context
        .base_path
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let within_site = segments.strip_prefix(base.as_slice()).unwrap_or(&segments);
    let [dir, slug, ..] = within_site else {
        return None;
    };
    let dir = [Kind::Postmortem, Kind::Premortem]
        .map(Kind::dir)
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(dir))?;
    let target = PathBuf::from(format!("content/{dir}/{}.md", slug.to_lowercase()));
    // A file of the page itself (`diagram.png` beside it) is no link to another document.
    (target != context.path).then_some(target)
}

/// The host (lower case, without user, port or a final dot) and the path of an absolute http
/// or https URL, or of one that starts with `//`.
fn host_and_path(url: &str) -> Option<(String, &str)> {
    let rest = match url.split_once(':') {
        Some((scheme, rest)) if has_scheme(url) => {
            if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
                return None;
            }
            rest
        }
        _ => url,
    };
    let rest = rest.trim_start_matches('/');
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    Some((host.trim_end_matches('.').to_ascii_lowercase(), path))
}

/// `text` with every `%XX` escape decoded (as UTF-8, lossily).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The segments of a URL path with `.` and `..` resolved, `..` stopping at the root as it does
/// in a browser.
fn url_segments(path: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    segments
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::config::Edition;
    use crate::markdown::{analyze, render_with};

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
    fn a_link_to_a_withheld_page_keeps_its_words_but_not_its_address() {
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
    fn every_form_of_a_link_to_a_withheld_page_loses_its_address() {
        let withheld = HashSet::from([PathBuf::from("content/postmortems/secret-slug.md")]);
        let context = Context {
            path: Path::new("content/postmortems/a.md"),
            base_path: "/base",
            base_url: "https://Example.com/base/",
            edition: Edition::Public,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: Some(&withheld),
        };
        for dest in [
            "secret-slug.md#timeline",
            "/base/postmortems/secret-slug/",
            "/postmortems/secret-slug/",
            "../secret-slug/",
            "../secret-slug",
            "../../../../../postmortems/secret-slug/",
            "./../secret-slug/index.json",
            "https://example.com/base/postmortems/secret-slug/#impact",
            "HTTP://EXAMPLE.COM.:443/base/postmortems/Secret-Slug/",
            "//example.com/base/postmortems/secret-slug/",
            "..\\secret-slug\\index.json",
            "/base/postmortems/secret%2Dslug/",
            "%2e%2e/secret-slug/",
        ] {
            for source in [
                format!("See [the words]({dest})."),
                format!("See ![the words]({dest})."),
                format!("See [the words][r].\n\n[r]: {dest}\n"),
            ] {
                let body = analyze(&source, 0..source.len(), &context);
                let html = body.html.get();
                assert!(
                    !html.to_lowercase().contains("secret"),
                    "{source:?}: {html}"
                );
                assert!(html.contains("the words"), "{source:?}: {html}");
                let targets: Vec<_> = body.content_links.iter().map(|l| &l.target).collect();
                assert_eq!(
                    targets,
                    [&withheld.iter().next().unwrap().clone()],
                    "{source:?}"
                );
            }
        }
        let autolink = "See <https://example.com/base/postmortems/secret-slug/>.";
        let html = analyze(autolink, 0..autolink.len(), &context).html.get();
        assert_eq!(html, "<p>See .</p>\n");

        for (kept, href) in [
            ("https://other.example/base/postmortems/secret-slug/", None),
            ("/base/services/secret-slug/", None),
            ("secret-slug/", Some("secret-slug/")),
            ("../b/", None),
            ("b.md", Some("/base/postmortems/b/")),
        ] {
            let source = format!("See [the words]({kept}).");
            let html = analyze(&source, 0..source.len(), &context).html.get();
            let href = href.unwrap_or(kept);
            assert!(html.contains(&format!("href=\"{href}\"")), "{kept}: {html}");
        }
    }
}
