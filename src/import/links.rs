//! Rewriting the links between imported documents: a link from one source file to another
//! that is imported too points, after import, at that document's new file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};

/// A body with its links rewritten, and the links to Markdown files that are not imported.
pub struct Rewritten {
    pub body: String,
    /// Destinations as written of links to `.md` files no imported document was made from:
    /// `check` reports each as a broken link until it is fixed.
    pub left: Vec<String>,
}

/// `body` with every link to a file in `slugs` (canonical source path → new slug) pointing
/// at `<slug>.md` instead; `from` is the source file the body was read from. Other links and
/// every other byte stay as written.
pub fn rewrite(body: &str, from: &Path, slugs: &HashMap<PathBuf, String>) -> Rewritten {
    let folder = from.parent().unwrap_or(Path::new(""));
    let mut left = Vec::new();
    let mut target_of = |dest: &str| -> Option<String> {
        let (path, fragment) = match dest.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (dest, None),
        };
        if path.is_empty() || path.contains("://") || path.starts_with('/') {
            return None;
        }
        let slug = folder
            .join(percent_decode(path))
            .canonicalize()
            .ok()
            .and_then(|target| slugs.get(&target));
        let Some(slug) = slug else {
            if path.ends_with(".md") {
                left.push(dest.to_string());
            }
            return None;
        };
        Some(match fragment {
            Some(fragment) => format!("{slug}.md#{fragment}"),
            None => format!("{slug}.md"),
        })
    };
    let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    // The destination as written sits at the end of its span: `](dest)` or `]: dest`.
    let mut replace_in = |span: std::ops::Range<usize>, dest: &str| {
        let Some(new) = target_of(dest) else { return };
        let written = &body[span.clone()];
        if let Some(at) = written.rfind(dest) {
            let start = span.start + at;
            replacements.push((start..start + dest.len(), new));
        }
    };
    let parser = Parser::new_ext(body, Options::all());
    let definitions: Vec<(std::ops::Range<usize>, String)> = parser
        .reference_definitions()
        .iter()
        .map(|(_, definition)| (definition.span.clone(), definition.dest.to_string()))
        .collect();
    for (event, span) in parser.into_offset_iter() {
        if let Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url,
            ..
        }) = event
        {
            replace_in(span, &dest_url);
        }
    }
    for (span, dest) in definitions {
        replace_in(span, &dest);
    }
    replacements.sort_by_key(|(range, _)| range.start);
    replacements.dedup_by_key(|(range, _)| range.start);
    let mut out = body.to_string();
    for (range, new) in replacements.into_iter().rev() {
        out.replace_range(range, &new);
    }
    Rewritten { body: out, left }
}

/// `%20` and the like as the bytes they stand for; a malformed escape stays as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_another_imported_file_points_at_its_new_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("PM1 - First.md");
        let b = dir.path().join("PM2 - Second.md");
        std::fs::write(&a, "").unwrap();
        std::fs::write(&b, "").unwrap();
        let slugs = HashMap::from([(b.canonicalize().unwrap(), "2021-01-02-second".to_string())]);
        let body = "See [the second](PM2%20-%20Second.md#timeline), [again][2], [a third](PM3.md) and [elsewhere](https://x.org/PM2%20-%20Second.md).\n\n[2]: PM2%20-%20Second.md\n";
        let rewritten = rewrite(body, &a, &slugs);
        assert_eq!(rewritten.left, ["PM3.md"]);
        assert_eq!(
            rewritten.body,
            "See [the second](2021-01-02-second.md#timeline), [again][2], [a third](PM3.md) and [elsewhere](https://x.org/PM2%20-%20Second.md).\n\n[2]: 2021-01-02-second.md\n"
        );
    }
}
