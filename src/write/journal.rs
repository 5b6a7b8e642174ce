//! The journal of an update and the recovery from an interrupted one: the bookkeeping a
//! build keeps beside the output, named with a tag only this machine's key makes, and the
//! journal sealed with it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::guard::{absolute, is_a_site};
use super::staging::remove_dir;
use super::{WriteError, is_contained};

/// What a build keeps beside `out`: the new site being written, the previous one while it
/// is being swapped out, and the journal of an update being applied.
///
/// Their names end with a tag made from the output's path with the key of [`crate::seal`],
/// which no one without the key can know: with the default `./public` they sit in the
/// archive's folder, where a pull request could otherwise commit a journal or an old site
/// for the next build to apply.
pub(super) struct Beside {
    pub(super) staging: PathBuf,
    pub(super) previous: PathBuf,
    pub(super) journal: PathBuf,
    /// What the journal is sealed for: the output, made absolute.
    pub(super) purpose: Vec<u8>,
}

/// Where the bookkeeping of the output `out` goes (see [`Beside`]).
pub(super) fn beside(out: &Path) -> Result<Beside, WriteError> {
    let name = out
        .file_name()
        .ok_or_else(|| WriteError::Unnamed(out.to_path_buf()))?
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
            .map_err(WriteError::at(WriteError::Remove, &journal));
    };
    if !read.swapping {
        return read.apply(out, &staging, &journal);
    }
    // Stopped between the renames of a swap: the old site is put back when the new one is
    // not in yet; the new one, half moved or not, is written again by this build.
    if !out.exists() && is_a_site(&previous) {
        std::fs::rename(&previous, out).map_err(WriteError::at(WriteError::Restore, &previous))?;
    }
    std::fs::remove_file(&journal).map_err(WriteError::at(WriteError::Remove, &journal))
}

/// Bumped whenever the journal's layout changes.
pub(super) const JOURNAL_FORMAT: &str = "hindsight-journal-2";

/// An update of the site in place, written before any of it is done: the files to move in
/// from the staging directory and those to delete, relative to the output.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct Journal {
    pub(super) format: String,
    pub(super) removed: Vec<PathBuf>,
    pub(super) moved: Vec<PathBuf>,
    /// Written before a swap (see [`swap`]) rather than an update: the previous site is
    /// aside, under the name [`Beside`] gives it, until the new one is in.
    pub(super) swapping: bool,
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
    pub(super) fn write(&self, journal: &Path, purpose: &[u8]) -> Result<(), WriteError> {
        let cannot = WriteError::at(WriteError::Write, journal);
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
    pub(super) fn apply(
        &self,
        out: &Path,
        staging: &Path,
        journal: &Path,
    ) -> Result<(), WriteError> {
        for path in &self.removed {
            let file = out.join(path);
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(WriteError::Remove(file, e)),
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
            let cannot = WriteError::at(WriteError::Write, &to);
            // A file that takes the place of a folder of the previous site.
            if std::fs::symlink_metadata(&to).is_ok_and(|meta| meta.is_dir()) {
                std::fs::remove_dir_all(&to).map_err(cannot)?;
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(cannot)?;
            }
            std::fs::rename(&from, &to).map_err(cannot)?;
        }
        std::fs::remove_file(journal).map_err(WriteError::at(WriteError::Remove, journal))?;
        remove_dir(staging)
    }
}
