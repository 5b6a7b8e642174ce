//! Highlighted code blocks kept between builds, in `highlight.bin`. Highlighting was the
//! most expensive step of a build (more than half of a cold build of the benchmark corpus),
//! and a code block's highlighted HTML depends only on its language and text. Entries are
//! keyed by exactly those, so a hit can never be stale; an entry is used only when it holds
//! nothing but the highlighter's own markup for that very code.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use crate::packed::Packed;

use super::cache::{read_checked, write_checked};

/// Bumped whenever the highlighted HTML would change for the same input.
const FORMAT: &str = "hindsight-highlight-cache-3";

type Key = (String, String);

/// Highlighted code from the previous build, and what this build highlights or reuses. The
/// HTML is kept compressed, as bodies are: uncompressed, the cache of 10,000 postmortems held
/// 152 MB through the load.
#[derive(Default)]
pub struct HighlightCache {
    /// Shared with `current`, so a hit costs no copy of the HTML.
    previous: FxHashMap<Key, Arc<Packed>>,
    current: Mutex<FxHashMap<Key, Arc<Packed>>>,
}

impl HighlightCache {
    const NAME: &str = "highlight.bin";

    /// The cache of the archive at `root`, empty when there is none or it cannot be read.
    pub fn open(root: &Path) -> Self {
        let previous = read_checked(root, Self::NAME, FORMAT).unwrap_or_default();
        HighlightCache {
            previous,
            current: Mutex::new(FxHashMap::default()),
        }
    }

    /// The highlighted HTML of a code block, computed by `highlight` on a miss.
    pub fn get_or_insert(
        &self,
        lang: &str,
        code: &str,
        highlight: impl FnOnce() -> String,
    ) -> String {
        let key = (lang.to_string(), code.to_string());
        let reused = self
            .previous
            .get(&key)
            .and_then(|packed| Some((Arc::clone(packed), packed.unpack()?)))
            .filter(|(_, html)| crate::highlight::is_code_block_of(html, lang, code));
        let (packed, html) = reused.unwrap_or_else(|| {
            let html = highlight();
            (Arc::new(Packed::pack(&html)), html)
        });
        self.current
            .lock()
            .expect("no thread panics while holding the cache")
            .insert(key, packed);
        html
    }

    /// Writes what this build used, when it differs from what was read. Failures are
    /// ignored: the next build is merely slower.
    ///
    /// A build that took some bodies from the [`BodyCache`] did not see their code blocks:
    /// unless it analysed `every_body`, it keeps the entries it did not use, and writes only
    /// when it highlighted something new. The next build that analyses every body (after an
    /// upgrade of the program, say) drops what no document holds any more.
    pub fn save(self, root: &Path, every_body: bool) {
        let mut current = self
            .current
            .into_inner()
            .expect("no thread panics while holding the cache");
        if every_body {
            if current != self.previous {
                write_entries(root, &current);
            }
            return;
        }
        if current.keys().all(|key| self.previous.contains_key(key)) {
            return;
        }
        for (key, html) in self.previous {
            current.entry(key).or_insert(html);
        }
        write_entries(root, &current);
    }
}

impl crate::highlight::Highlighted for HighlightCache {
    fn get_or_insert(&self, lang: &str, code: &str, highlight: &dyn Fn() -> String) -> String {
        HighlightCache::get_or_insert(self, lang, code, highlight)
    }
}

/// Writes the cache file holding `entries` (a map from key to packed HTML).
fn write_entries(root: &Path, entries: &impl serde::Serialize) {
    write_checked(root, HighlightCache::NAME, FORMAT, entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_with_other_markup_is_highlighted_again() {
        let root = tempfile::tempdir().unwrap();
        let code = "echo hi\n";
        let script =
            "<pre class=\"code\" data-lang=\"bash\"><code><script>alert(1)</script></code></pre>\n";
        let planted: std::collections::HashMap<Key, Packed> =
            std::collections::HashMap::from([(("bash".into(), code.into()), Packed::pack(script))]);
        write_entries(root.path(), &planted);
        let cache = HighlightCache::open(root.path());
        assert_eq!(cache.previous.len(), 1, "the planted file is read");
        let html = cache.get_or_insert("bash", code, || crate::highlight::code_block("bash", code));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("echo"), "{html}");
    }

    #[test]
    fn a_damaged_entry_is_highlighted_again() {
        let root = tempfile::tempdir().unwrap();
        let key = ("rust".to_string(), "fn a() {}".to_string());
        // Postcard writes bytes and a vector of u8 alike: this is an entry whose HTML is not
        // LZ4 at all.
        let damaged: std::collections::HashMap<Key, Vec<u8>> =
            std::collections::HashMap::from([(key, vec![200, 1, 2, 3])]);
        write_entries(root.path(), &damaged);
        let cache = HighlightCache::open(root.path());
        assert_eq!(cache.previous.len(), 1, "the damaged file is read");
        assert_eq!(cache.get_or_insert("rust", "fn a() {}", || "A".into()), "A");
    }

    #[test]
    fn a_saved_entry_is_reused_and_unused_entries_are_dropped() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = ("fn a() {}\n", "fn b() {}\n");
        let highlighted = |code| crate::highlight::code_block("rust", code);
        let cache = HighlightCache::open(root.path());
        assert_eq!(
            cache.get_or_insert("rust", a, || highlighted(a)),
            highlighted(a)
        );
        cache.get_or_insert("rust", b, || highlighted(b));
        cache.save(root.path(), true);

        let cache = HighlightCache::open(root.path());
        let reused = cache.get_or_insert("rust", a, || panic!("a hit must not highlight"));
        assert_eq!(reused, highlighted(a));
        cache.save(root.path(), true);

        let cache = HighlightCache::open(root.path());
        let mut highlighted_again = false;
        cache.get_or_insert("rust", b, || {
            highlighted_again = true;
            highlighted(b)
        });
        assert!(highlighted_again, "b was not used by the last build");
    }

    #[test]
    fn entries_kept_by_a_build_that_took_bodies_from_the_body_cache_survive() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = ("fn a() {}\n", "fn b() {}\n");
        let highlighted = |code| crate::highlight::code_block("rust", code);
        let cache = HighlightCache::open(root.path());
        cache.get_or_insert("rust", a, || highlighted(a));
        cache.save(root.path(), true);

        // The body holding `a` came from the body cache; another body brought `b`.
        let cache = HighlightCache::open(root.path());
        cache.get_or_insert("rust", b, || highlighted(b));
        cache.save(root.path(), false);

        let cache = HighlightCache::open(root.path());
        cache.get_or_insert("rust", a, || panic!("a is still kept"));
        cache.get_or_insert("rust", b, || panic!("b was added"));
    }
}
