//! The write phase, the only one that touches the output directory.
//!
//! The site is written into a fresh directory beside the output and swapped in with renames,
//! so a failed or interrupted build leaves the previous site whole. Only paths that stay
//! inside the output are written, and only a directory that is not the archive (or a parent
//! of it) is ever replaced.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Why the output could not be written.
#[derive(Debug)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Refuses an output directory whose replacement would destroy sources: the archive root,
/// its content directory, a parent of either, a file system root, an existing file, or a
/// directory of other files that is not a previous build.
pub fn check_output_dir(root: &Path, out: &Path) -> Result<(), WriteError> {
    let root = absolute(root);
    let out = absolute(out);
    let content = root.join("content");
    let refuse = |why: &str| {
        Err(WriteError(format!(
            "refusing to write the site to {}: it is {why}; choose an empty or generated directory such as {}",
            out.display(),
            root.join("public").display()
        )))
    };
    if out.exists() && !out.is_dir() {
        return refuse("an existing file, not a directory");
    }
    if out.parent().is_none() {
        return refuse("the root of the file system");
    }
    if root.starts_with(&out) {
        return refuse("the archive root or a parent of it");
    }
    if content.starts_with(&out) || out.starts_with(&content) {
        return refuse("the content directory, inside it, or a parent of it");
    }
    for source_dir in ["templates", "static", "themes"] {
        if out.starts_with(root.join(source_dir)) {
            return refuse("inside a source directory of the archive");
        }
    }
    if out.is_dir() && !is_empty_or_a_site(&out) {
        return refuse("a directory holding files but no generated site (it has no index.html)");
    }
    Ok(())
}

/// Whether replacing `dir` can only lose a previous build: it is empty, or it has the
/// `index.html` every build writes. This keeps `--out ~/Documents` from deleting documents.
fn is_empty_or_a_site(dir: &Path) -> bool {
    dir.join("index.html").is_file()
        || std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// An absolute, lexically normalized path, following symbolic links where the path exists.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let joined = std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    // The path does not exist yet: canonicalize its nearest existing ancestor.
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    out
}

/// Whether a site path stays inside the output: relative, with no `..` or root in it.
pub fn is_contained(path: &Path) -> bool {
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The two directories beside `out` that a build uses: the new site being written, and the
/// previous one while it is being swapped out.
struct Beside {
    staging: PathBuf,
    previous: PathBuf,
}

fn beside(out: &Path) -> Result<Beside, WriteError> {
    let name = out
        .file_name()
        .ok_or_else(|| WriteError(format!("{} has no directory name", out.display())))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Beside {
        staging: parent.join(format!(".{name}.hindsight-new")),
        previous: parent.join(format!(".{name}.hindsight-old")),
    })
}

/// Puts the previous site back if a build was interrupted between its two renames (the old
/// site moved aside, the new one not yet in), so the site is never left missing.
pub fn recover(out: &Path) -> Result<(), WriteError> {
    let Beside { previous, .. } = beside(out)?;
    if !out.exists() && previous.is_dir() {
        std::fs::rename(&previous, out).map_err(|e| {
            WriteError(format!(
                "cannot restore the previous site from {}: {e}",
                previous.display()
            ))
        })?;
    }
    Ok(())
}

/// A new site being written beside the output directory, swapped in by [`Staging::finish`].
/// Dropped unfinished (an error on the way), it removes itself and the output stays as it was.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    previous: PathBuf,
    finished: bool,
    /// The directories made so far: asking the kernel again for every file costs two failing
    /// calls each (300,000 of them for 100,000 postmortems).
    made: Mutex<HashSet<PathBuf>>,
    /// Every file put so far, as it was left.
    written: Mutex<Vec<Written>>,
}

/// A file of the new site: its path in the output, length and modification time, so that a
/// build can record what it wrote without listing the output again (300,000 files at
/// 100,000 postmortems).
pub struct Written {
    pub path: PathBuf,
    pub len: u64,
    pub modified: Option<std::time::SystemTime>,
}

impl Written {
    fn new(path: &Path, meta: &std::fs::Metadata) -> Self {
        Written {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

impl Staging {
    /// Prepares an empty directory beside `out` for the new site.
    pub fn begin(out: &Path) -> Result<Staging, WriteError> {
        recover(out)?;
        let Beside { staging, previous } = beside(out)?;
        for leftover in [&staging, &previous] {
            remove_dir(leftover)?;
        }
        std::fs::create_dir_all(&staging)
            .map_err(|e| WriteError(format!("cannot create {}: {e}", staging.display())))?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir: staging,
            previous,
            finished: false,
            made: Mutex::default(),
            written: Mutex::default(),
        })
    }

    /// Writes one file of the new site; safe to call from many threads at once.
    ///
    /// A file whose bytes are those of the same file in the site being replaced is
    /// hard-linked instead of written: an unchanged rebuild then writes no data, and removing
    /// the previous site frees none.
    pub fn put(&self, path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
        if !is_contained(path) {
            return Err(WriteError(format!(
                "refusing to write {}: the path leaves the output directory",
                path.display()
            )));
        }
        let target = self.dir.join(path);
        if let Some(parent) = target.parent() {
            self.make_dir(parent)?;
        }
        let old = self.out.join(path);
        if let Some(meta) = unchanged(&old, bytes)
            && std::fs::hard_link(&old, &target).is_ok()
        {
            self.wrote(Written::new(path, &meta));
            return Ok(());
        }
        let cannot =
            |e: std::io::Error| WriteError(format!("cannot write {}: {e}", target.display()));
        let mut file = std::fs::File::create(&target).map_err(cannot)?;
        file.write_all(bytes).map_err(cannot)?;
        let meta = file.metadata().map_err(cannot)?;
        self.wrote(Written::new(path, &meta));
        Ok(())
    }

    fn wrote(&self, file: Written) {
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(file);
    }

    /// Makes `dir` and its parents unless this staging made it already.
    fn make_dir(&self, dir: &Path) -> Result<(), WriteError> {
        if self.made_dirs().contains(dir) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| WriteError(format!("cannot create {}: {e}", dir.display())))?;
        self.made_dirs().insert(dir.to_path_buf());
        Ok(())
    }

    fn made_dirs(&self) -> MutexGuard<'_, HashSet<PathBuf>> {
        // A set of paths stays whole whatever panicked while holding it.
        self.made.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Swaps the new site in for the old one; every file it holds, in no particular order.
    pub fn finish(mut self) -> Result<Vec<Written>, WriteError> {
        self.finished = true;
        let result = swap(&self.dir, &self.out, &self.previous);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let written = std::mem::take(
            self.written
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        result.map(|()| written)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The metadata of `path` when it is a regular file holding exactly `bytes`.
fn unchanged(path: &Path, bytes: &[u8]) -> Option<std::fs::Metadata> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let same = meta.is_file()
        && meta.len() == bytes.len() as u64
        && std::fs::read(path).is_ok_and(|old| old == bytes);
    same.then_some(meta)
}

/// Moves the new site into place: the old one aside, the new one in, the old one deleted.
fn swap(staging: &Path, out: &Path, previous: &Path) -> Result<(), WriteError> {
    let had_previous = out.exists();
    if had_previous {
        std::fs::rename(out, previous).map_err(|e| {
            WriteError(format!(
                "cannot move the previous {} aside: {e}",
                out.display()
            ))
        })?;
    }
    if let Err(e) = std::fs::rename(staging, out) {
        if had_previous {
            let _ = std::fs::rename(previous, out);
        }
        return Err(WriteError(format!(
            "cannot move the new site into {}: {e}",
            out.display()
        )));
    }
    remove_dir(previous)
}

fn remove_dir(dir: &Path) -> Result<(), WriteError> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(dir)
            .map_err(|e| WriteError(format!("cannot remove {}: {e}", dir.display()))),
        Ok(_) => std::fs::remove_file(dir)
            .map_err(|e| WriteError(format!("cannot remove {}: {e}", dir.display()))),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_removed_without_following_its_links() {
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep.txt"), "kept").unwrap();
        let site = root.path().join("site");
        std::fs::create_dir_all(site.join("postmortems/a")).unwrap();
        std::fs::write(site.join("postmortems/a/index.html"), "a").unwrap();
        std::fs::write(site.join("index.html"), "home").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, site.join("postmortems/link")).unwrap();

        remove_dir(&site).unwrap();
        assert!(!site.exists());
        assert_eq!(
            std::fs::read_to_string(outside.join("keep.txt")).unwrap(),
            "kept"
        );
    }

    #[test]
    fn paths_that_climb_out_are_not_contained() {
        assert!(is_contained(Path::new("postmortems/x/index.html")));
        assert!(!is_contained(Path::new("../x")));
        assert!(!is_contained(Path::new("a/../../x")));
        assert!(!is_contained(Path::new("/etc/passwd")));
        assert!(!is_contained(Path::new("")));
    }

    #[test]
    fn the_archive_and_its_content_are_refused_as_output() {
        let root = std::env::temp_dir().join("hindsight-write-test");
        std::fs::create_dir_all(root.join("content")).unwrap();
        assert!(check_output_dir(&root, &root).is_err());
        assert!(check_output_dir(&root, &root.join("content")).is_err());
        assert!(check_output_dir(&root, root.parent().unwrap()).is_err());
        assert!(check_output_dir(&root, Path::new("/")).is_err());
        assert!(check_output_dir(&root, &root.join("public")).is_ok());
    }
}
