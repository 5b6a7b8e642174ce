//! The build cache: highlighted code blocks kept between builds, in `.hindsight-cache/`.
//!
//! Highlighting is the most expensive step of a build (more than half of a cold build of the
//! benchmark corpus), and a code block's highlighted HTML depends only on its language and
//! text. Entries are keyed by exactly those, so a hit can never be stale; a build writes back
//! only the entries it used, so the cache never outgrows the archive. A cache that cannot be
//! read is ignored: it only ever saves time.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::markdown::Html;

/// Bumped whenever the highlighted HTML would change for the same input.
const FORMAT: &str = "hindsight-highlight-cache-2";

/// The directory of the cache, relative to the archive root.
pub const CACHE_DIR: &str = ".hindsight-cache";

type Key = (String, String);

/// Highlighted code from the previous build, and what this build highlights or reuses. The
/// HTML is kept compressed, as bodies are: uncompressed, the cache of 10,000 postmortems held
/// 152 MB through the load.
#[derive(Default)]
pub struct HighlightCache {
    /// Shared with `current`, so a hit costs no copy of the HTML.
    previous: HashMap<Key, Arc<Html>>,
    current: Mutex<HashMap<Key, Arc<Html>>>,
}

impl HighlightCache {
    fn file(root: &Path) -> PathBuf {
        root.join(CACHE_DIR).join(Self::NAME)
    }

    const NAME: &str = "highlight.bin";

    /// The cache of the archive at `root`, empty when there is none or it cannot be read.
    pub fn open(root: &Path) -> Self {
        let previous = std::fs::read(Self::file(root))
            .ok()
            .and_then(|bytes| {
                postcard::from_bytes::<(String, HashMap<Key, Arc<Html>>)>(&bytes).ok()
            })
            .filter(|(format, _)| format == FORMAT)
            .map(|(_, entries)| entries)
            .unwrap_or_default();
        HighlightCache {
            previous,
            current: Mutex::new(HashMap::new()),
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
            .filter(|(_, html)| crate::highlight::is_code_block_markup(html));
        let (packed, html) = reused.unwrap_or_else(|| {
            let html = highlight();
            (Arc::new(Html::pack(&html)), html)
        });
        self.current
            .lock()
            .expect("no thread panics while holding the cache")
            .insert(key, packed);
        html
    }

    /// Writes what this build used, when it differs from what was read. Failures are
    /// ignored: the next build is merely slower.
    pub fn save(self, root: &Path) {
        let current = self
            .current
            .into_inner()
            .expect("no thread panics while holding the cache");
        if current == self.previous {
            return;
        }
        write_entries(root, &current);
    }
}

/// Writes the cache file holding `entries` (a map from key to packed HTML). Streamed to the
/// file: a copy of every highlighted block in one buffer would raise the build's peak memory
/// by as much again.
fn write_entries(root: &Path, entries: &impl serde::Serialize) {
    write_entry(root, HighlightCache::NAME, |file| {
        postcard::to_io(&(FORMAT, entries), file)
            .map(drop)
            .map_err(std::io::Error::other)
    });
}

/// Writes one file of the cache whole or not at all: into a temporary file of this process
/// first, so that builds of one archive running side by side never mix their bytes. Failures
/// are ignored, since the cache only saves time.
pub fn write_entry(
    root: &Path,
    name: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) {
    let dir = root.join(CACHE_DIR);
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| File::create(&temporary))
        .and_then(|file| {
            let mut file = BufWriter::new(file);
            write(&mut file)?;
            file.flush()
        })
        .and_then(|()| std::fs::rename(&temporary, dir.join(name)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
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
        let planted: HashMap<Key, Html> =
            HashMap::from([(("bash".into(), code.into()), Html::pack(script))]);
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
        let damaged: HashMap<Key, Vec<u8>> = HashMap::from([(key, vec![200, 1, 2, 3])]);
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
        cache.save(root.path());

        let cache = HighlightCache::open(root.path());
        let reused = cache.get_or_insert("rust", a, || panic!("a hit must not highlight"));
        assert_eq!(reused, highlighted(a));
        cache.save(root.path());

        let cache = HighlightCache::open(root.path());
        let mut highlighted_again = false;
        cache.get_or_insert("rust", b, || {
            highlighted_again = true;
            highlighted(b)
        });
        assert!(highlighted_again, "b was not used by the last build");
    }
}
