//! Listing the previous site: every file the output holds now, listing again only the
//! folders whose time changed since the last build recorded them.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap, FxHashSet};

use super::WriteError;
use super::written::{Folders, Left, is_settled, modified};

impl Left {
    /// The files of the output as they are now. A folder whose modification time is the
    /// recorded one holds the entries it held then (adding, removing or renaming an entry
    /// changes it), so only the other folders are listed: listing 10,000 folders was a tenth
    /// of the time of a build that changed one file.
    pub(super) fn list(self, out: &Path) -> Result<Listing, WriteError> {
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
    let cannot = WriteError::at(WriteError::List, &dir);
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

/// Every file under `dir` (anything but a folder), relative to it.
pub(super) fn files_under(dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    list(dir).map(|listing| listing.files)
}

/// The files of a folder, and whether any of them is a symbolic link; and the folders found
/// as the last build left them, with their times (see [`Left::list`]).
#[derive(Default)]
pub(super) struct Listing {
    pub(super) files: Vec<PathBuf>,
    pub(super) links: bool,
    pub(super) unchanged: FxHashMap<OsString, (u64, u32)>,
}

/// Every file under `dir`, walked whole.
pub(super) fn list(dir: &Path) -> Result<Listing, WriteError> {
    let mut listing = Listing::default();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.map_err(WriteError::at(WriteError::Walk, dir))?;
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
