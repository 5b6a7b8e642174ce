//! Headings: their level and the anchor ids made from their words.

use pulldown_cmark::HeadingLevel;
use rustc_hash::{FxHashMap, FxHashSet};

pub(super) fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The anchor ids of a page's headings so far, to make each new one unique.
#[derive(Default)]
pub(super) struct HeadingIds {
    used: FxHashSet<String>,
    /// For each base id, the first number not yet tried after it: numbers below it are
    /// taken, and stay taken, so a page of ten thousand equal headings is numbered in
    /// linear time rather than cubic.
    next: FxHashMap<String, usize>,
}

impl HeadingIds {
    /// An anchor id for a heading: lower-case words joined by dashes, unique on the page;
    /// `root-causes`, then `root-causes-1`, `root-causes-2` for the same words again.
    pub(super) fn unique(&mut self, text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use crate::config::Edition;
    use crate::markdown::render_with;

    #[test]
    fn headings_get_unique_ids() {
        let body = render_with(
            "## Timeline\n\n## Timeline\n\n### Root *causes*",
            Edition::Internal,
        );
        let ids: Vec<_> = body.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["timeline", "timeline-1", "root-causes"]);
    }
}
