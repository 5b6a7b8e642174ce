//! Watching the archive's sources: `content/`, `templates/`, `static/`, `themes/` and
//! `hindsight.toml`.
//!
//! Editors save in bursts (a temporary file, a rename, a change of permissions), so events are
//! gathered until the sources have been quiet for a moment and then handed over as one
//! [`Changes`].

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::pipeline::session::Changes;

/// How long the sources must stay quiet before a rebuild starts.
const QUIET: Duration = Duration::from_millis(20);
/// The longest a rebuild waits for quiet while events keep coming.
const MAX_WAIT: Duration = Duration::from_millis(300);

/// The folders watched, recursively, when they exist.
const SOURCE_DIRS: &[&str] = &["content", "templates", "static", "themes"];

/// A running watch on an archive.
pub struct SourceWatcher {
    root: PathBuf,
    watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    /// The source folders being watched (a folder created later is added when it appears).
    watched: Vec<PathBuf>,
}

impl SourceWatcher {
    pub fn new(root: &Path) -> Result<SourceWatcher, String> {
        // Events carry absolute paths; compare them with an absolute root.
        let root = root
            .canonicalize()
            .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        let (sender, events) = channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(event);
        })
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        // The root itself, not recursively: `hindsight.toml`, and source folders that appear.
        watcher
            .watch(&root, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        let mut source_watcher = SourceWatcher {
            root,
            watcher,
            events,
            watched: Vec::new(),
        };
        source_watcher.watch_source_dirs();
        Ok(source_watcher)
    }

    /// Starts watching the source folders that exist and are not watched yet; returns
    /// whether one was added.
    fn watch_source_dirs(&mut self) -> bool {
        let mut added = false;
        for name in SOURCE_DIRS {
            let dir = self.root.join(name);
            if self.watched.contains(&dir) || !dir.is_dir() {
                continue;
            }
            if self.watcher.watch(&dir, RecursiveMode::Recursive).is_ok() {
                self.watched.push(dir);
                added = true;
            }
        }
        added
    }

    /// Blocks until the sources change, then waits for them to settle; `None` when the
    /// watch has ended.
    pub fn next_changes(&mut self) -> Option<Changes> {
        let mut changes = Changes::default();
        // Wait for a change that matters; reads and unrelated files are noise.
        while !changes.any() {
            let event = self.events.recv().ok()?;
            self.add(&mut changes, event);
        }
        let started = Instant::now();
        loop {
            let left = MAX_WAIT.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            match self.events.recv_timeout(QUIET.min(left)) {
                Ok(event) => self.add(&mut changes, event),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        if self.watch_source_dirs() {
            changes = Changes::everything();
        }
        Some(changes)
    }

    fn add(&self, changes: &mut Changes, event: notify::Result<notify::Event>) {
        let Ok(event) = event else {
            // The watch lost track (an overflow): look at everything again.
            *changes = Changes::everything();
            return;
        };
        if event.need_rescan() {
            *changes = Changes::everything();
            return;
        }
        // Reading files (ours included) is not a change.
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        for path in &event.paths {
            if let Ok(relative) = path.strip_prefix(&self.root) {
                changes.add(&self.root, relative);
            }
        }
    }
}
