//! The write phase, the only one that touches the output directory.
//!
//! Nothing is written into the output until every file of the new site is made: files go
//! to a staging directory beside it first, so a failed build leaves the previous site as it
//! was. Then:
//!
//! - with no site there yet, the staging directory holds every file and is renamed into
//!   place;
//! - over a previous site, it holds only the files whose bytes changed. A journal beside
//!   the output lists them, and the files the new site no longer has; the files are then
//!   moved in and the others deleted. A build cut off on the way leaves the site half
//!   updated only until the next build, which completes the journal before anything else.
//!   Unchanged files are not touched at all: a small edit writes a few files instead of
//!   replacing tens of thousands.
//!
//! Only paths that stay inside the output are written, and only a directory that is not the
//! archive (or a parent of it) is ever replaced.

use std::ffi::{OsStr, OsString};
use std::io::Write;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use serde::{Deserialize, Serialize};
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
    is_a_site(dir) || std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Whether `dir` holds a site some build wrote: every build writes an `index.html`.
fn is_a_site(dir: &Path) -> bool {
    dir.join("index.html").is_file()
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

/// Whether a site path stays inside the output: relative, with no `..` or root in it.
pub fn is_contained(path: &Path) -> bool {
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// What a build keeps beside `out`: the new site being written, the previous one while it
/// is being swapped out, and the journal of an update being applied.
///
/// Their names end with a tag made from the output's path with the key of [`crate::seal`],
/// which no one without the key can know: with the default `./public` they sit in the
/// archive's folder, where a pull request could otherwise commit a journal or an old site
/// for the next build to apply.
struct Beside {
    staging: PathBuf,
    previous: PathBuf,
    journal: PathBuf,
    /// What the journal is sealed for: the output, made absolute.
    purpose: Vec<u8>,
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
    let mut purpose = b"journal\0".to_vec();
    purpose.extend_from_slice(absolute(out).as_os_str().as_encoded_bytes());
    let tag = bookkeeping_tag(&purpose);
    Ok(Beside {
        staging: parent.join(format!(".{name}.hindsight-new-{tag}")),
        previous: parent.join(format!(".{name}.hindsight-old-{tag}")),
        journal: parent.join(format!(".{name}.hindsight-journal-{tag}")),
        purpose,
    })
}

/// The tag of the bookkeeping of the output `purpose` names (see [`Beside`]). Without a key,
/// a random one for this run: a build cut off then leaves its bookkeeping for the user to
/// remove, and the site as it was or half updated, until the next build writes it whole.
fn bookkeeping_tag(purpose: &[u8]) -> String {
    static RANDOM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match crate::seal::key() {
        Some(key) => key.name_tag(purpose),
        None => RANDOM
            .get_or_init(|| {
                let mut random = [0u8; 8];
                let _ = getrandom::fill(&mut random);
                random.iter().map(|byte| format!("{byte:02x}")).collect()
            })
            .clone(),
    }
}

/// Makes the site whole again after an interrupted build: completes an update whose journal
/// was written, or puts the previous site back if a build stopped between its two renames
/// (the old site moved aside, the new one not yet in). Only a journal sealed by this
/// program with this machine's key is followed (see [`crate::seal`]), and only when every
/// path in it stays inside the output; any other is removed, and the site left as it is
/// for the build to write whole.
pub fn recover(out: &Path) -> Result<(), WriteError> {
    let Beside {
        staging,
        previous,
        journal,
        purpose,
    } = beside(out)?;
    let Ok(bytes) = std::fs::read(&journal) else {
        return Ok(());
    };
    let read = crate::seal::open(&journal, &purpose, bytes)
        .and_then(|bytes| postcard::from_bytes::<Journal>(&bytes).ok())
        .filter(|read| read.format == JOURNAL_FORMAT && read.is_contained());
    let Some(read) = read else {
        return std::fs::remove_file(&journal)
            .map_err(|e| WriteError(format!("cannot remove {}: {e}", journal.display())));
    };
    if !read.swapping {
        return read.apply(out, &staging, &journal);
    }
    // Stopped between the renames of a swap: the old site is put back when the new one is
    // not in yet; the new one, half moved or not, is written again by this build.
    if !out.exists() && is_a_site(&previous) {
        std::fs::rename(&previous, out).map_err(|e| {
            WriteError(format!(
                "cannot restore the previous site from {}: {e}",
                previous.display()
            ))
        })?;
    }
    std::fs::remove_file(&journal)
        .map_err(|e| WriteError(format!("cannot remove {}: {e}", journal.display())))
}

/// Bumped whenever the journal's layout changes.
const JOURNAL_FORMAT: &str = "hindsight-journal-2";

/// An update of the site in place, written before any of it is done: the files to move in
/// from the staging directory and those to delete, relative to the output.
#[derive(Default, Serialize, Deserialize)]
struct Journal {
    format: String,
    removed: Vec<PathBuf>,
    moved: Vec<PathBuf>,
    /// Written before a swap (see [`swap`]) rather than an update: the previous site is
    /// aside, under the name [`Beside`] gives it, until the new one is in.
    swapping: bool,
}

impl Journal {
    /// Whether every path stays inside the output (the journal is read back from disk).
    fn is_contained(&self) -> bool {
        self.removed
            .iter()
            .chain(&self.moved)
            .all(|p| is_contained(p))
    }

    /// Writes the journal where [`recover`] finds it, whole or not at all, sealed for
    /// `purpose` (see [`Beside`]). Without a key it is written unsealed, which [`recover`]
    /// never follows: the next build then writes the site whole.
    fn write(&self, journal: &Path, purpose: &[u8]) -> Result<(), WriteError> {
        let cannot =
            |e: std::io::Error| WriteError(format!("cannot write {}: {e}", journal.display()));
        let bytes = postcard::to_stdvec(self).map_err(|e| cannot(std::io::Error::other(e)))?;
        let mut sealed = Vec::with_capacity(bytes.len() + crate::seal::SEAL_LEN);
        if crate::seal::write_sealed(&mut sealed, purpose, &bytes).is_err() {
            sealed = bytes;
        }
        let temporary = journal.with_extension("tmp");
        std::fs::write(&temporary, sealed).map_err(cannot)?;
        std::fs::rename(&temporary, journal).map_err(cannot)
    }

    /// Deletes the removed files, then moves the staged ones in. Each step can be done again:
    /// a file already moved is no longer staged, one already deleted is gone. The journal goes
    /// last, so an interruption anywhere leaves it for the next build to finish.
    fn apply(&self, out: &Path, staging: &Path, journal: &Path) -> Result<(), WriteError> {
        for path in &self.removed {
            let file = out.join(path);
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(WriteError(format!("cannot remove {}: {e}", file.display())));
                }
            }
            // Folders the removal emptied (a postmortem deleted) go too.
            for dir in file.ancestors().skip(1).take_while(|dir| *dir != out) {
                if std::fs::remove_dir(dir).is_err() {
                    break;
                }
            }
        }
        for path in &self.moved {
            let from = staging.join(path);
            if std::fs::symlink_metadata(&from).is_err() {
                continue;
            }
            let to = out.join(path);
            let cannot =
                |e: std::io::Error| WriteError(format!("cannot write {}: {e}", to.display()));
            // A file that takes the place of a folder of the previous site.
            if std::fs::symlink_metadata(&to).is_ok_and(|meta| meta.is_dir()) {
                std::fs::remove_dir_all(&to).map_err(cannot)?;
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(cannot)?;
            }
            std::fs::rename(&from, &to).map_err(cannot)?;
        }
        std::fs::remove_file(journal)
            .map_err(|e| WriteError(format!("cannot remove {}: {e}", journal.display())))?;
        remove_dir(staging)
    }
}

/// A new site being written beside the output directory, put in place by
/// [`Staging::finish`]. Dropped unfinished (an error on the way), it removes itself and the
/// output stays as it was.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    previous: PathBuf,
    journal: PathBuf,
    /// What the journal is sealed for (see [`Beside`]).
    purpose: Vec<u8>,
    /// The files of the previous site being updated, listed while the new one renders;
    /// `None` when there is none and a whole site is put in place.
    previous_files: Option<std::thread::JoinHandle<Result<Listing, WriteError>>>,
    finished: bool,
    /// The directories made so far: asking the kernel again for every file costs two failing
    /// calls each (300,000 of them for 100,000 postmortems).
    made: Mutex<FxHashSet<PathBuf>>,
    /// Every file put so far, as it was left.
    written: Mutex<Vec<Written>>,
    /// The files of the previous site as the last build recorded them, by [`path_key`].
    recorded: FxHashMap<u64, Recorded>,
}

/// A file of the new site: its path in the output, length, modification time and the
/// digest of its bytes where the build knows it, so that a build can record what it wrote
/// without listing the output again (300,000 files at 100,000 postmortems).
pub struct Written {
    pub path: PathBuf,
    pub len: u64,
    pub modified: Option<(u64, u32)>,
    pub digest: Option<u64>,
}

impl Written {
    fn new(path: &Path, meta: &std::fs::Metadata, digest: Option<u64>) -> Self {
        Written {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: modified_time(meta),
            digest,
        }
    }
}

/// What the last build left in the output, as it recorded it, so that an update lists only
/// the folders changed since, and tells a file it would write again unchanged without
/// reading it (see [`Staging::begin`]).
pub struct Left {
    /// Every file, relative to the output.
    pub files: Vec<PathBuf>,
    pub folders: Folders,
    /// Every file's stamp and digest, by [`path_key`].
    pub recorded: FxHashMap<u64, Recorded>,
}

/// A file of the output as the last build recorded it.
#[derive(Clone, Copy)]
pub struct Recorded {
    pub len: u64,
    pub modified: Option<(u64, u32)>,
    pub digest: Option<u64>,
}

impl Recorded {
    /// The recorded digest, when a file with `meta` is still as recorded: the same length
    /// and modification time.
    fn digest_of(&self, meta: &std::fs::Metadata) -> Option<u64> {
        self.digest
            .filter(|_| is_as_recorded(meta, self.len, self.modified))
    }
}

/// Whether a file with `meta` is still as it was recorded with `len` and `modified`; never
/// when no time was recorded.
pub fn is_as_recorded(meta: &std::fs::Metadata, len: u64, modified: Option<(u64, u32)>) -> bool {
    modified.is_some() && meta.len() == len && modified_time(meta) == modified
}

/// A path of the output, hashed by its bytes, to look up what was recorded of it.
pub fn path_key(path: &Path) -> u64 {
    xxhash_rust::xxh3::xxh3_64(path.as_os_str().as_encoded_bytes())
}

/// Every folder of a site, relative to the output (which is the empty path), with its
/// modification time (seconds and nanoseconds since 1970) as [`folder_time`] takes it.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Folders {
    times: Vec<(PathBuf, Option<(u64, u32)>)>,
    /// When the times were taken, in nanoseconds since 1970.
    taken: u128,
}

impl Folders {
    /// Whether every folder is the output itself or stays inside it.
    pub fn is_contained(&self) -> bool {
        self.times
            .iter()
            .all(|(folder, _)| folder.as_os_str().is_empty() || is_contained(folder))
    }
}

/// Whether a folder's `time`, read at `taken`, shows every change made to the folder since:
/// unless the folder changed in the same tick of the file system's clock as the time was
/// read, after which an entry added leaves the time as it was. A file system that keeps
/// whole seconds (no nanoseconds) may tick every two seconds (FAT); the others tick every
/// few milliseconds, and the margin here is a tenth of a second. After a cold build the
/// folders made in its last seconds are then trusted by the next update, which lists only
/// the few that changed.
fn is_settled(time: (u64, u32), taken: u128) -> bool {
    let margin: u128 = if time.1 == 0 {
        2_000_000_000
    } else {
        100_000_000
    };
    nanoseconds_of(time) + margin < taken
}

fn nanoseconds_of((seconds, nanoseconds): (u64, u32)) -> u128 {
    u128::from(seconds) * 1_000_000_000 + u128::from(nanoseconds)
}

impl Left {
    /// The files of the output as they are now. A folder whose modification time is the
    /// recorded one holds the entries it held then (adding, removing or renaming an entry
    /// changes it), so only the other folders are listed: listing 10,000 folders was a tenth
    /// of the time of a build that changed one file.
    fn list(self, out: &Path) -> Result<Listing, WriteError> {
        let Folders { times, taken } = self.folders;
        // Paths by their bytes: hashing a `Path` parses it into components each time.
        let unchanged: FxHashMap<OsString, (u64, u32)> = times
            .iter()
            .filter_map(|(folder, time)| {
                let time = time.filter(|&time| is_settled(time, taken))?;
                let same = modified(&out.join(folder)) == Some(time);
                same.then(|| (folder.clone().into_os_string(), time))
            })
            .collect();
        let recorded: FxHashSet<&OsStr> =
            times.iter().map(|(folder, _)| folder.as_os_str()).collect();
        let mut listing = Listing::default();
        for (folder, _) in &times {
            if !unchanged.contains_key(folder.as_os_str()) {
                list_folder(out, folder, &recorded, &mut listing)?;
            }
        }
        let in_unchanged_folder = |file: &PathBuf| {
            file.parent()
                .is_some_and(|folder| unchanged.contains_key(folder.as_os_str()))
        };
        listing
            .files
            .extend(self.files.into_iter().filter(in_unchanged_folder));
        listing.unchanged = unchanged;
        Ok(listing)
    }
}

/// The folders of the site made of the files `written`, with their times: those `reuse`
/// gives, the others taken now.
fn folder_times(
    out: &Path,
    written: &[Written],
    reuse: impl Fn(&OsStr) -> Option<(u64, u32)> + Sync,
) -> Folders {
    let taken = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let mut folders: Vec<&Path> = written
        .iter()
        .flat_map(|file| file.path.ancestors().skip(1))
        .collect();
    folders.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    folders.dedup_by(|a, b| a.as_os_str() == b.as_os_str());
    let mut subfolders: FxHashMap<&OsStr, usize> = FxHashMap::default();
    for folder in &folders {
        if let Some(parent) = folder.parent() {
            *subfolders.entry(parent.as_os_str()).or_default() += 1;
        }
    }
    let times = folders
        .into_par_iter()
        .map(|folder| {
            let time = reuse(folder.as_os_str()).or_else(|| {
                let count = subfolders.get(folder.as_os_str()).copied().unwrap_or(0);
                folder_time(&out.join(folder), count)
            });
            (folder.to_path_buf(), time)
        })
        .collect();
    Folders { times, taken }
}

/// The files of one folder of the output, and every file under those of its folders that
/// `recorded` does not hold; nothing when the folder is gone, or is a folder no more (its
/// parent, changed with it, lists what took its place).
fn list_folder(
    out: &Path,
    folder: &Path,
    recorded: &FxHashSet<&OsStr>,
    listing: &mut Listing,
) -> Result<(), WriteError> {
    let dir = out.join(folder);
    if !std::fs::symlink_metadata(&dir).is_ok_and(|meta| meta.is_dir()) {
        return Ok(());
    }
    let cannot = |e: std::io::Error| WriteError(format!("cannot list {}: {e}", dir.display()));
    let entries = std::fs::read_dir(&dir).map_err(cannot)?;
    for entry in entries {
        let entry = entry.map_err(cannot)?;
        let path = folder.join(entry.file_name());
        let kind = entry.file_type().map_err(cannot)?;
        if !kind.is_dir() {
            listing.links |= kind.is_symlink();
            listing.files.push(path);
        } else if !recorded.contains(path.as_os_str()) {
            let under = list(&out.join(&path))?;
            listing.links |= under.links;
            listing
                .files
                .extend(under.files.into_iter().map(|file| path.join(file)));
        }
    }
    Ok(())
}

/// A folder's modification time (seconds and nanoseconds since 1970).
fn modified(folder: &Path) -> Option<(u64, u32)> {
    std::fs::symlink_metadata(folder)
        .ok()
        .and_then(|meta| folder_modified(&meta))
}

fn folder_modified(meta: &std::fs::Metadata) -> Option<(u64, u32)> {
    meta.is_dir().then(|| modified_time(meta)).flatten()
}

/// A file's or folder's modification time (seconds and nanoseconds since 1970), as the
/// record keeps it.
pub fn modified_time(meta: &std::fs::Metadata) -> Option<(u64, u32)> {
    let since = meta
        .modified()
        .ok()?
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .ok()?;
    Some((since.as_secs(), since.subsec_nanos()))
}

/// A folder's modification time as [`Left`] records it, when the folder holds no folders
/// but its `subfolders` the site has (a folder's link count is two and one per folder in
/// it); `None` otherwise, and the folder is listed on every update, so that a folder put
/// into it by hand and filled later is still found. Elsewhere than Unix, `None`.
#[cfg(unix)]
pub fn folder_time(folder: &Path, subfolders: usize) -> Option<(u64, u32)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(folder).ok()?;
    (meta.nlink() == 2 + subfolders as u64)
        .then(|| folder_modified(&meta))
        .flatten()
}

#[cfg(not(unix))]
pub fn folder_time(_folder: &Path, _subfolders: usize) -> Option<(u64, u32)> {
    None
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
        std::fs::create_dir_all(&staging)
            .map_err(|e| WriteError(format!("cannot create {}: {e}", staging.display())))?;
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
    /// where it is, and not written at all.
    pub fn put(&self, path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
        self.put_parts(path, &[bytes])
    }

    /// [`Staging::put`] for a file whose bytes are `parts`, one after the other: a file put
    /// together from many pieces (`archive.json`) is written without a copy of it whole.
    pub fn put_parts(&self, path: &Path, parts: &[&[u8]]) -> Result<(), WriteError> {
        if !is_contained(path) {
            return Err(WriteError(format!(
                "refusing to write {}: the path leaves the output directory",
                path.display()
            )));
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
        let cannot =
            |e: std::io::Error| WriteError(format!("cannot write {}: {e}", target.display()));
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
        std::fs::create_dir_all(dir)
            .map_err(|e| WriteError(format!("cannot create {}: {e}", dir.display())))?;
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
                .unwrap_or_else(|_| Err(WriteError("listing the previous site failed".into())))
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
            std::fs::remove_file(&self.journal).map_err(|e| {
                WriteError(format!("cannot remove {}: {e}", self.journal.display()))
            })?;
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
                .map_err(|e| WriteError(format!("cannot write {}: {e}", target.display())))?;
        }
        Ok(())
    }

    /// What [`Staging::commit_update`] is about to do.
    fn journal(&self, previous: Vec<PathBuf>, written: &[Written]) -> Result<Journal, WriteError> {
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

/// Every file under `dir` (anything but a folder), relative to it.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    list(dir).map(|listing| listing.files)
}

/// The files of a folder, and whether any of them is a symbolic link; and the folders found
/// as the last build left them, with their times (see [`Left::list`]).
#[derive(Default)]
struct Listing {
    files: Vec<PathBuf>,
    links: bool,
    unchanged: FxHashMap<OsString, (u64, u32)>,
}

fn list(dir: &Path) -> Result<Listing, WriteError> {
    let mut listing = Listing::default();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.map_err(|e| WriteError(format!("cannot list {}: {e}", dir.display())))?;
        if !entry.file_type().is_dir() {
            listing.links |= entry.path_is_symlink();
            let path = entry.path().strip_prefix(dir);
            listing
                .files
                .push(path.expect("the walk stays under its root").to_path_buf());
        }
    }
    Ok(listing)
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

    /// Writes `files` (path, content) under `dir`.
    fn plant(dir: &Path, files: &[(&str, &str)]) {
        for (path, content) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
    }

    /// Every file under `dir`, with its content.
    fn contents(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = files_under(dir)
            .unwrap()
            .into_iter()
            .map(|path| {
                let content = std::fs::read_to_string(dir.join(&path)).unwrap();
                (path.to_string_lossy().into_owned(), content)
            })
            .collect();
        files.sort();
        files
    }

    fn owned(files: &[(&str, &str)]) -> Vec<(String, String)> {
        files
            .iter()
            .map(|(path, content)| (path.to_string(), content.to_string()))
            .collect()
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A previous site of three pages, and a new one that changes the home page, keeps `a`,
    /// drops `b` and adds `c`: staged, not yet in place.
    fn staged_update(out: &Path) -> (Staging, Vec<(String, String)>) {
        plant(
            out,
            &[
                ("index.html", "home"),
                ("a/index.html", "a"),
                ("b/index.html", "b"),
            ],
        );
        let staging = Staging::begin(out, None).unwrap();
        staging.put(Path::new("index.html"), b"home 2").unwrap();
        staging.put(Path::new("a/index.html"), b"a").unwrap();
        staging.put(Path::new("c/index.html"), b"c").unwrap();
        let expected = owned(&[
            ("a/index.html", "a"),
            ("c/index.html", "c"),
            ("index.html", "home 2"),
        ]);
        (staging, expected)
    }

    #[test]
    fn an_update_moves_in_what_changed_and_deletes_what_went() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("public");
        let (staging, expected) = staged_update(&out);
        #[cfg(unix)]
        let inode = |path: &str| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(out.join(path)).unwrap().ino()
        };
        #[cfg(unix)]
        let kept_inode = inode("a/index.html");
        let (written, _) = staging.finish().unwrap();

        assert_eq!(contents(&out), expected);
        assert!(!out.join("b").exists(), "the emptied folder stays");
        assert_eq!(written.len(), 3);
        #[cfg(unix)]
        assert_eq!(
            inode("a/index.html"),
            kept_inode,
            "an unchanged file was rewritten"
        );
        assert_eq!(
            names_in(root.path()),
            ["public"],
            "something was left beside the site"
        );
    }

    /// A file put in parts is its parts one after the other. An update that puts the bytes
    /// the file holds, in other parts, leaves it in place; parts of the same length that
    /// differ replace it.
    #[test]
    fn a_file_put_in_parts_is_compared_and_written_whole() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("public");
        plant(
            &out,
            &[
                ("index.html", "home"),
                ("same.json", "[1,\n2]"),
                ("other.json", "[1,\n2]"),
            ],
        );
        #[cfg(unix)]
        let inode = |path: &str| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(out.join(path)).unwrap().ino()
        };
        #[cfg(unix)]
        let same_inode = inode("same.json");
        let staging = Staging::begin(&out, None).unwrap();
        let parts = |text: &'static str| {
            text.split_inclusive(',')
                .map(str::as_bytes)
                .collect::<Vec<_>>()
        };
        staging.put(Path::new("index.html"), b"home").unwrap();
        staging
            .put_parts(Path::new("same.json"), &parts("[1,\n2]"))
            .unwrap();
        staging
            .put_parts(Path::new("other.json"), &parts("[3,\n4]"))
            .unwrap();
        staging
            .put_parts(Path::new("new.json"), &parts("[5,\n6,\n7]"))
            .unwrap();
        staging.finish().unwrap();

        assert_eq!(
            contents(&out),
            owned(&[
                ("index.html", "home"),
                ("new.json", "[5,\n6,\n7]"),
                ("other.json", "[3,\n4]"),
                ("same.json", "[1,\n2]"),
            ])
        );
        #[cfg(unix)]
        assert_eq!(
            inode("same.json"),
            same_inode,
            "the same bytes were written again"
        );
    }

    #[test]
    fn an_update_interrupted_after_its_journal_is_finished_by_the_next_build() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("public");
        let (mut staging, expected) = staged_update(&out);
        let previous = files_under(&out).unwrap();
        let written = std::mem::take(staging.written.get_mut().unwrap());
        let journal = staging.journal(previous, &written).unwrap();
        journal.write(&staging.journal, &staging.purpose).unwrap();
        // The process dies after moving one file in.
        std::fs::rename(staging.dir.join("index.html"), out.join("index.html")).unwrap();
        staging.finished = true;
        drop(staging);

        recover(&out).unwrap();
        assert_eq!(contents(&out), expected);
        assert_eq!(names_in(root.path()), ["public"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_site_with_a_symbolic_link_in_it_is_replaced_whole_and_nothing_is_written_through_it() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("public");
        let elsewhere = root.path().join("elsewhere");
        plant(&out, &[("index.html", "home")]);
        plant(&elsewhere, &[("index.html", "a")]);
        std::os::unix::fs::symlink(&elsewhere, out.join("a")).unwrap();
        let staging = Staging::begin(&out, None).unwrap();
        // The same bytes as the file behind the link: left where it is, then copied.
        staging.put(Path::new("a/index.html"), b"a").unwrap();
        staging.put(Path::new("b/index.html"), b"b").unwrap();
        staging.put(Path::new("index.html"), b"home").unwrap();
        staging.finish().unwrap();

        let expected = owned(&[
            ("a/index.html", "a"),
            ("b/index.html", "b"),
            ("index.html", "home"),
        ]);
        assert_eq!(contents(&out), expected);
        assert!(!out.join("a").is_symlink(), "the link is still in the site");
        assert_eq!(
            contents(&elsewhere),
            [("index.html".to_string(), "a".to_string())]
        );
        assert_eq!(names_in(root.path()), ["elsewhere", "public"]);
    }

    #[test]
    fn a_journal_naming_a_path_outside_the_output_is_removed_unapplied() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("public");
        plant(&out, &[("index.html", "home")]);
        plant(root.path(), &[("victim.txt", "kept")]);
        let journal = Journal {
            format: JOURNAL_FORMAT.to_string(),
            removed: vec![PathBuf::from("../victim.txt")],
            ..Journal::default()
        };
        let beside = beside(&out).unwrap();
        journal.write(&beside.journal, &beside.purpose).unwrap();
        recover(&out).unwrap();
        assert!(root.path().join("victim.txt").exists());
        assert!(!beside.journal.exists());
        assert_eq!(contents(&out), owned(&[("index.html", "home")]));
    }

    #[test]
    fn a_journal_this_program_did_not_seal_is_removed_unapplied() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("public");
        plant(&out, &[("index.html", "home"), ("sitemap.xml", "map")]);
        let beside = beside(&out).unwrap();
        plant(&beside.staging, &[("index.html", "defaced")]);
        let journal = Journal {
            format: JOURNAL_FORMAT.to_string(),
            removed: vec![PathBuf::from("sitemap.xml")],
            moved: vec![PathBuf::from("index.html")],
            swapping: false,
        };
        let bytes = postcard::to_stdvec(&journal).unwrap();
        std::fs::write(&beside.journal, [&bytes[..], &[0; 32]].concat()).unwrap();
        recover(&out).unwrap();
        assert_eq!(
            contents(&out),
            owned(&[("index.html", "home"), ("sitemap.xml", "map")])
        );
    }

    #[test]
    fn an_old_site_is_put_back_only_after_a_swap_this_program_journaled() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("public");
        let beside = beside(&out).unwrap();
        plant(&beside.previous, &[("index.html", "planted")]);
        recover(&out).unwrap();
        assert!(
            !out.exists(),
            "an old site without a journal is not put in place"
        );

        let swapping = Journal {
            format: JOURNAL_FORMAT.to_string(),
            swapping: true,
            ..Journal::default()
        };
        swapping.write(&beside.journal, &beside.purpose).unwrap();
        recover(&out).unwrap();
        assert_eq!(contents(&out), owned(&[("index.html", "planted")]));
        assert!(!beside.journal.exists());
    }

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
    fn a_folder_time_is_trusted_once_past_the_ticks_of_its_file_systems_clock() {
        let at = |seconds: u64, nanoseconds: u32| nanoseconds_of((seconds, nanoseconds));
        // Nanoseconds: a clock of milliseconds.
        assert!(!is_settled((100, 5), at(100, 50_000_000)));
        assert!(is_settled((100, 5), at(100, 200_000_000)));
        // Whole seconds: a clock that may tick every two seconds.
        assert!(!is_settled((100, 0), at(101, 900_000_000)));
        assert!(is_settled((100, 0), at(102, 100_000_000)));
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
