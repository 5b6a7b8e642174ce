//! Staging and commit: the new site is written beside the output, then put in place whole
//! (a first build) or moved in file by file under a journal (an update).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rustc_hash::{FxHashMap, FxHashSet};

use super::guard::is_a_site;
use super::journal::{Beside, JOURNAL_FORMAT, Journal, beside, recover};
use super::listing::{Listing, files_under, list};
use super::written::{Folders, Left, Recorded, Written, folder_times, path_key};
use super::{WriteError, is_contained};

/// Bytes of a file of many parts written at once.
const WRITE_BUFFER: usize = 1 << 20;

/// Whether `bytes` are `parts` one after the other.
fn holds(bytes: &[u8], parts: &[&[u8]]) -> bool {
    let mut rest = bytes;
    for part in parts {
        match rest.strip_prefix(*part) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

/// A new site being written beside the output directory, put in place by
/// [`Staging::finish`]. Dropped unfinished (an error on the way), it removes itself and the
/// output stays as it was.
pub struct Staging {
    out: PathBuf,
    pub(super) dir: PathBuf,
    previous: PathBuf,
    pub(super) journal: PathBuf,
    /// What the journal is sealed for (see [`Beside`]).
    pub(super) purpose: Vec<u8>,
    /// The files of the previous site being updated, listed while the new one renders;
    /// `None` when there is none and a whole site is put in place.
    previous_files: Option<std::thread::JoinHandle<Result<Listing, WriteError>>>,
    pub(super) finished: bool,
    /// The directories made so far: asking the kernel again for every file costs two failing
    /// calls each (300,000 of them for 100,000 postmortems).
    made: Mutex<FxHashSet<PathBuf>>,
    /// Every file put so far, as it was left.
    pub(super) written: Mutex<Vec<Written>>,
    /// The files of the previous site as the last build recorded them, by [`path_key`].
    recorded: FxHashMap<u64, Recorded>,
}

impl Staging {
    /// Prepares an empty directory beside `out` for the new site. `left` is what the last
    /// build recorded of the site there, if anything.
    pub fn begin(out: &Path, mut left: Option<Left>) -> Result<Staging, WriteError> {
        recover(out)?;
        let Beside {
            staging,
            previous,
            journal,
            purpose,
        } = beside(out)?;
        for leftover in [&staging, &previous] {
            remove_dir(leftover)?;
        }
        std::fs::create_dir_all(&staging).map_err(WriteError::at(WriteError::Create, &staging))?;
        let recorded = left
            .as_mut()
            .map(|left| std::mem::take(&mut left.recorded))
            .unwrap_or_default();
        Ok(Staging {
            out: out.to_path_buf(),
            dir: staging,
            previous,
            journal,
            purpose,
            // An empty folder has nothing to update: the new site is renamed in whole.
            previous_files: is_a_site(out).then(|| {
                let out = out.to_path_buf();
                std::thread::spawn(move || match left {
                    Some(left) => left.list(&out),
                    None => list(&out),
                })
            }),
            finished: false,
            made: Mutex::default(),
            written: Mutex::default(),
            recorded,
        })
    }

    /// Writes one file of the new site; safe to call from many threads at once.
    ///
    /// When a previous site is being updated, a file whose bytes it already holds is left
    /// where it is, and not written at all. The build hands whole files in parts
    /// ([`Staging::put_parts`]); the tests write them in one.
    #[cfg(test)]
    pub fn put(&self, path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
        self.put_parts(path, &[bytes])
    }

    /// [`Staging::put`] for a file whose bytes are `parts`, one after the other: a file put
    /// together from many pieces (`archive.json`) is written without a copy of it whole.
    pub fn put_parts(&self, path: &Path, parts: &[&[u8]]) -> Result<(), WriteError> {
        if !is_contained(path) {
            return Err(WriteError::Escapes(path.to_path_buf()));
        }
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        parts.iter().for_each(|part| hasher.update(part));
        let digest = hasher.digest();
        if self.previous_files.is_some()
            && let Some(meta) = self.unchanged(path, parts, digest)
        {
            self.wrote(Written::new(path, &meta, Some(digest)));
            return Ok(());
        }
        let target = self.dir.join(path);
        if let Some(parent) = target.parent() {
            self.make_dir(parent)?;
        }
        let cannot = WriteError::at(WriteError::Write, &target);
        let mut file = std::fs::File::create(&target).map_err(cannot)?;
        if let [bytes] = parts {
            file.write_all(bytes).map_err(cannot)?;
        } else {
            let mut buffered = std::io::BufWriter::with_capacity(WRITE_BUFFER, &mut file);
            for part in parts {
                buffered.write_all(part).map_err(cannot)?;
            }
            buffered.flush().map_err(cannot)?;
        }
        let meta = file.metadata().map_err(cannot)?;
        self.wrote(Written::new(path, &meta, Some(digest)));
        Ok(())
    }

    /// The metadata of the output's file at `path` when it holds exactly `parts`, whose
    /// digest is `digest`. A file still as the last build recorded it is told by its digest;
    /// only another is read. When a new program renders every page again, nearly all come
    /// out the same, and reading each to compare was a tenth of the build.
    fn unchanged(&self, path: &Path, parts: &[&[u8]], digest: u64) -> Option<std::fs::Metadata> {
        let file = self.out.join(path);
        let meta = std::fs::symlink_metadata(&file).ok()?;
        let len: usize = parts.iter().map(|part| part.len()).sum();
        if !meta.is_file() || meta.len() != len as u64 {
            return None;
        }
        let same = match self.recorded_digest(path, &meta) {
            Some(recorded) => recorded == digest,
            None => std::fs::read(&file).is_ok_and(|old| holds(&old, parts)),
        };
        same.then_some(meta)
    }

    /// The digest the last build recorded for the output's file at `path`, when the file,
    /// with `meta`, is still as it was recorded.
    fn recorded_digest(&self, path: &Path, meta: &std::fs::Metadata) -> Option<u64> {
        self.recorded.get(&path_key(path))?.digest_of(meta)
    }

    /// Keeps a file of the previous site as it is, without writing it, when `is_current` says
    /// its metadata shows it is the file this site would write. Only a build that updates a
    /// previous site keeps anything.
    pub fn keep(&self, path: &Path, is_current: impl FnOnce(&std::fs::Metadata) -> bool) -> bool {
        if self.previous_files.is_none() || !is_contained(path) {
            return false;
        }
        match std::fs::symlink_metadata(self.out.join(path)) {
            Ok(meta) if is_current(&meta) => {
                let digest = self.recorded_digest(path, &meta);
                self.wrote(Written::new(path, &meta, digest));
                true
            }
            _ => false,
        }
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
        std::fs::create_dir_all(dir).map_err(WriteError::at(WriteError::Create, dir))?;
        self.made_dirs().insert(dir.to_path_buf());
        Ok(())
    }

    fn made_dirs(&self) -> MutexGuard<'_, FxHashSet<PathBuf>> {
        // A set of paths stays whole whatever panicked while holding it.
        self.made.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts the new site in place of the old one; every file it holds, in no particular order.
    /// Its folders are returned with their times, for the next build (see [`Left`]).
    pub fn finish(mut self) -> Result<(Vec<Written>, Folders), WriteError> {
        self.finished = true;
        let written = std::mem::take(
            self.written
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let result = match self.previous_files.take() {
            Some(listing) => listing
                .join()
                .unwrap_or(Err(WriteError::ListingLost))
                .and_then(|previous| self.commit_update(previous, &written)),
            None => self.swap().map(|()| None),
        };
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let (unchanged, journal) = result?.unwrap_or_default();
        // A folder the journal moved a file into, or removed one from, has changed.
        let touched: FxHashSet<&OsStr> = journal
            .removed
            .iter()
            .chain(&journal.moved)
            .flat_map(|path| path.ancestors().skip(1).map(Path::as_os_str))
            .collect();
        let reuse = |folder: &OsStr| {
            unchanged
                .get(folder)
                .copied()
                .filter(|_| !touched.contains(folder))
        };
        let folders = folder_times(&self.out, &written, reuse);
        Ok((written, folders))
    }

    /// Updates the previous site, whose files are `previous`, in place under a journal: the
    /// files staged move in, the files of the previous site that this one does not have are
    /// deleted. The folders the listing found unchanged, with the journal applied; `None`
    /// when the site was replaced whole.
    ///
    /// A site with symbolic links in it (no build writes one) is not updated through them:
    /// the files this site keeps from it are copied into the staging folder, which then
    /// replaces it whole, links and all.
    #[allow(clippy::type_complexity)]
    fn commit_update(
        &self,
        previous: Listing,
        written: &[Written],
    ) -> Result<Option<(FxHashMap<OsString, (u64, u32)>, Journal)>, WriteError> {
        if previous.links {
            self.copy_kept(written)?;
            return self.swap().map(|()| None);
        }
        let journal = self.journal(previous.files, written)?;
        journal.write(&self.journal, &self.purpose)?;
        journal.apply(&self.out, &self.dir, &self.journal)?;
        Ok(Some((previous.unchanged, journal)))
    }

    /// Puts the staged site in place of the output whole (see [`swap`]). Over a previous
    /// site, a journal says first that the old site is being moved aside, so that
    /// [`recover`] puts back only a site this program moved there.
    fn swap(&self) -> Result<(), WriteError> {
        let had_previous = self.out.exists();
        if had_previous {
            let swapping = Journal {
                format: JOURNAL_FORMAT.to_string(),
                swapping: true,
                ..Journal::default()
            };
            swapping.write(&self.journal, &self.purpose)?;
        }
        swap(&self.dir, &self.out, &self.previous)?;
        if had_previous {
            std::fs::remove_file(&self.journal)
                .map_err(WriteError::at(WriteError::Remove, &self.journal))?;
        }
        Ok(())
    }

    /// Copies into the staging folder the files of the site left as they were in the output.
    fn copy_kept(&self, written: &[Written]) -> Result<(), WriteError> {
        let staged: FxHashSet<PathBuf> = files_under(&self.dir)?.into_iter().collect();
        for file in written.iter().filter(|file| !staged.contains(&file.path)) {
            let target = self.dir.join(&file.path);
            if let Some(parent) = target.parent() {
                self.make_dir(parent)?;
            }
            std::fs::copy(self.out.join(&file.path), &target)
                .map_err(WriteError::at(WriteError::Write, &target))?;
        }
        Ok(())
    }

    /// What [`Staging::commit_update`] is about to do.
    pub(super) fn journal(
        &self,
        previous: Vec<PathBuf>,
        written: &[Written],
    ) -> Result<Journal, WriteError> {
        // By the paths' bytes: hashing a `Path` parses it into components each time.
        let kept: FxHashSet<&OsStr> = written.iter().map(|file| file.path.as_os_str()).collect();
        Ok(Journal {
            format: JOURNAL_FORMAT.to_string(),
            removed: previous
                .into_iter()
                .filter(|path| !kept.contains(path.as_os_str()))
                .collect(),
            moved: files_under(&self.dir)?,
            swapping: false,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Moves the new site into place: the old one aside, the new one in, the old one deleted.
fn swap(staging: &Path, out: &Path, previous: &Path) -> Result<(), WriteError> {
    let had_previous = out.exists();
    if had_previous {
        std::fs::rename(out, previous).map_err(WriteError::at(WriteError::MoveAside, out))?;
    }
    if let Err(e) = std::fs::rename(staging, out) {
        if had_previous {
            let _ = std::fs::rename(previous, out);
        }
        return Err(WriteError::MoveIn(out.to_path_buf(), e));
    }
    remove_dir(previous)
}

/// Removes `dir`, a folder or whatever took its name, without following links in it.
pub(super) fn remove_dir(dir: &Path) -> Result<(), WriteError> {
    let cannot = WriteError::at(WriteError::Remove, dir);
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(dir).map_err(cannot),
        Ok(_) => std::fs::remove_file(dir).map_err(cannot),
        Err(_) => Ok(()),
    }
}
