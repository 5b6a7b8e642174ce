//! Atom feeds (`/feed.xml`, `/services/<id>/feed.xml`) and `/sitemap.xml`.
//!
//! Written by hand: the formats are small and fixed, and an XML library would add a
//! dependency to escape five characters. Every URL is absolute (from `base_url`), and no
//! time is the build's: a feed's `updated` is its newest entry's date, so two builds of the
//! same archive are byte-identical.

use std::fmt::Write as _;

use rayon::prelude::*;

use super::views::{Views, path_segment};
use super::{Emit, KeyedFiles, Reuse, hash_parts, keyed};
use crate::archive::DocId;

/// Entries in a feed: the newest postmortems only, as feed readers expect.
pub const FEED_ENTRIES: usize = 50;

/// Every feed of the site, handed to `emit`, except those `reuse` keeps by their key.
pub fn all<E: Send>(views: &Views, reuse: &Reuse<'_>, emit: &Emit<'_, E>) -> Result<KeyedFiles, E> {
    let archive = views.archive;
    let mut feeds = vec![(
        "/feed.xml".to_string(),
        archive.config.title.clone(),
        &archive.postmortems[..],
    )];
    for (id, listing) in &archive.services {
        let segment = path_segment(id);
        let title = format!("{}: {}", archive.config.title, views.service_link(id).name);
        feeds.push((
            format!("/services/{segment}/feed.xml"),
            title,
            &listing.postmortems[..],
        ));
    }
    feeds
        .par_iter()
        .map(|(path, title, ids)| {
            let ids = &ids[..ids.len().min(FEED_ENTRIES)];
            let key = feed_key(views, path, title, ids);
            keyed(super::output_path(path), key, reuse, emit, || {
                feed(views, path, title, ids).into_bytes()
            })
        })
        .collect::<Result<Vec<_>, E>>()
        .map(KeyedFiles::from_iter)
}

/// Everything [`feed`] writes, hashed: the site's settings, the feed's path and title, and
/// each entry's summary, authors and body. Escaping fifty bodies per feed was a twentieth of
/// a build that changed one file, and kept every feed as it was.
fn feed_key(views: &Views, path: &str, title: &str, ids: &[DocId]) -> u64 {
    let config = &views.archive.config;
    let site = [
        &config.base_url,
        &config.title,
        &config.description,
        path,
        title,
    ];
    let mut parts: Vec<Vec<u8>> = site.iter().map(|part| part.as_bytes().to_vec()).collect();
    for &id in ids {
        let d = &views.archive.documents[id];
        parts.push(views.summary(id).digest().to_le_bytes().to_vec());
        parts.push(d.url_path().into_bytes());
        parts.extend(d.common().authors.iter().map(|a| a.as_bytes().to_vec()));
        parts.push(d.body.html.digest().to_le_bytes().to_vec());
    }
    hash_parts(parts.iter().map(Vec::as_slice))
}

/// The absolute URL of a site path (`/postmortems/x/`, without the base path: base_url
/// holds it).
pub fn absolute(views: &Views, path: &str) -> String {
    let base = views.archive.config.base_url.trim_end_matches('/');
    format!("{base}{path}")
}

/// An Atom feed of `ids` (the newest postmortems, newest first).
fn feed(views: &Views, path: &str, title: &str, ids: &[DocId]) -> String {
    let archive = views.archive;
    let updated = ids
        .iter()
        .map(|&id| archive.documents[id].date())
        .max()
        .map_or_else(
            || "1970-01-01T00:00:00Z".to_string(),
            |d| format!("{d}T00:00:00Z"),
        );
    let self_url = absolute(views, path);
    let home = absolute(views, "/");
    let mut xml = String::with_capacity(1024 + ids.len() * 2048);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(xml, "  <title>{}</title>", xml_escape(title));
    if !archive.config.description.is_empty() {
        let _ = writeln!(
            xml,
            "  <subtitle>{}</subtitle>",
            xml_escape(&archive.config.description)
        );
    }
    let _ = writeln!(xml, "  <id>{}</id>", xml_escape(&self_url));
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" href=\"{}\"/>",
        xml_escape(&self_url)
    );
    let _ = writeln!(xml, "  <link href=\"{}\"/>", xml_escape(&home));
    let _ = writeln!(xml, "  <updated>{updated}</updated>");
    let _ = writeln!(
        xml,
        "  <author><name>{}</name></author>",
        xml_escape(&archive.config.title)
    );
    for &id in ids {
        let d = &archive.documents[id];
        let summary = views.summary(id);
        let url = absolute(views, &d.url_path());
        let date = format!("{}T00:00:00Z", d.date());
        xml.push_str("  <entry>\n");
        let _ = writeln!(xml, "    <title>{}</title>", xml_escape(&summary.title));
        let _ = writeln!(xml, "    <id>{}</id>", xml_escape(&url));
        let _ = writeln!(xml, "    <link href=\"{}\"/>", xml_escape(&url));
        let _ = writeln!(xml, "    <published>{date}</published>");
        let _ = writeln!(xml, "    <updated>{date}</updated>");
        for author in d.common().authors {
            let _ = writeln!(
                xml,
                "    <author><name>{}</name></author>",
                xml_escape(author)
            );
        }
        if let Some(severity) = &summary.severity {
            let _ = writeln!(
                xml,
                "    <category term=\"{}\" label=\"{}\"/>",
                xml_escape(&severity.id),
                xml_escape(&severity.label)
            );
        }
        for service in &summary.services {
            let _ = writeln!(
                xml,
                "    <category term=\"service:{}\" label=\"{}\"/>",
                xml_escape(&service.id),
                xml_escape(&service.name)
            );
        }
        if !summary.summary.is_empty() {
            let _ = writeln!(
                xml,
                "    <summary>{}</summary>",
                xml_escape(&summary.summary)
            );
        }
        let _ = writeln!(
            xml,
            "    <content type=\"html\">{}</content>",
            xml_escape(&d.body.html.get())
        );
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// `/sitemap.xml` listing `paths` (site paths of pages, without the base path).
pub fn sitemap(views: &Views, paths: &[String]) -> Vec<u8> {
    let mut xml = String::with_capacity(128 + paths.len() * 96);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for path in paths {
        let _ = writeln!(
            xml,
            "  <url><loc>{}</loc></url>",
            xml_escape(&absolute(views, path))
        );
    }
    xml.push_str("</urlset>\n");
    xml.into_bytes()
}

/// Escapes text for XML content and attributes, dropping characters XML 1.0 forbids (control
/// characters can come from any file and would make the whole feed unreadable).
pub fn xml_escape(s: &str) -> String {
    let mut out = crate::theme::replace_ascii(s, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&apos;"),
        b'\t' | b'\n' | b'\r' => None,
        0..0x20 => Some(""),
        _ => None,
    });
    // U+FFFE and U+FFFF are not XML characters either; both start with the byte 0xEF.
    if s.as_bytes().contains(&0xEF) {
        out.retain(|c| c != '\u{FFFE}' && c != '\u{FFFF}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}d\u{FFFF}"),
            "a&lt;b&gt;&amp;&quot;c&apos;d"
        );
        assert_eq!(
            xml_escape("Crème\t<é>\u{FFFE}\u{FFFD}\n✓\u{1F}"),
            "Crème\t&lt;é&gt;\u{FFFD}\n✓"
        );
    }
}
