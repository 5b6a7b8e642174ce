//! The list of what was written: every file of the new site with its stamp and digest, and
//! the output's folders with their times, which the next build's record keeps.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::is_contained;

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
    pub(super) fn new(path: &Path, meta: &std::fs::Metadata, digest: Option<u64>) -> Self {
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
    pub(super) fn digest_of(&self, meta: &std::fs::Metadata) -> Option<u64> {
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
    pub(super) times: Vec<(PathBuf, Option<(u64, u32)>)>,
    /// When the times were taken, in nanoseconds since 1970.
    pub(super) taken: u128,
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
pub(super) fn is_settled(time: (u64, u32), taken: u128) -> bool {
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

/// The folders of the site made of the files `written`, with their times: those `reuse`
/// gives, the others taken now.
pub(super) fn folder_times(
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

/// A folder's modification time (seconds and nanoseconds since 1970).
pub(super) fn modified(folder: &Path) -> Option<(u64, u32)> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
