//! The files of `.hindsight-cache/`: where each lives, how one is written whole or not at
//! all, and how one is read back only when its seal is this machine's (see [`crate::seal`]).
//! A cache that cannot be read is ignored: it only ever saves time.
//!
//! [`Kept`] is what a build made from every document, one file per kind and edition: the
//! search postings, the words suggestions weigh, the entries of `archive.json` and their
//! digests, which documents the check rules found clean, and the suggestions with a hash of
//! what they were made from. Each is taken over for the documents whose key is unchanged.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::config::Edition;

pub use super::bodies::{BodyCache, identity};
pub use super::highlights::HighlightCache;

/// The directory of the cache, relative to the archive root.
pub const CACHE_DIR: &str = ".hindsight-cache";

/// Warns when git tracks files of the cache folder of the archive at `root`: a cache
/// belongs to one machine, and one committed (or brought by a pull request) is ignored, its
/// seal not being this machine's (see [`crate::seal`]). Git is asked only when the folder
/// exists in a repository.
pub fn warn_if_tracked(root: &Path) {
    let in_repository = root
        .canonicalize()
        .is_ok_and(|root| root.ancestors().any(|dir| dir.join(".git").exists()));
    if !in_repository || !root.join(CACHE_DIR).is_dir() {
        return;
    }
    let tracked = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--", CACHE_DIR])
        .stderr(std::process::Stdio::null())
        .output();
    if let Ok(tracked) = tracked
        && tracked.status.success()
        && !tracked.stdout.is_empty()
    {
        eprintln!(
            "warning: git tracks files in {CACHE_DIR}/, which is this machine's build cache; they are not used. Remove them with `git rm -r --cached {CACHE_DIR}` and add {CACHE_DIR}/ to .gitignore"
        );
    }
}

/// Writes one file of the cache (`name` is relative to the cache folder) whole or not at all:
/// into a temporary file of this process first, so that builds of one archive running side
/// by side never mix their bytes. Failures are ignored, since the cache only saves time.
pub fn write_entry(
    root: &Path,
    name: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) {
    let file = root.join(CACHE_DIR).join(name);
    let (Some(dir), Some(file_name)) = (file.parent(), file.file_name()) else {
        return;
    };
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| File::create(&temporary))
        .and_then(|created| {
            let mut created = BufWriter::new(created);
            write(&mut created)?;
            created.flush()
        })
        .and_then(|()| std::fs::rename(&temporary, &file));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}

/// Writes `value`, with the format it is written in, into the cache file `name` (see
/// [`write_entry`]), followed by its seal (see [`crate::seal`]), so that a file this program
/// did not write here, or a damaged one, is noticed (see [`read_checked`]). Streamed: a copy
/// in memory of the postings or words of 100,000 postmortems would raise the build's peak
/// memory by hundreds of megabytes. Nothing is written without a key.
pub fn write_checked(root: &Path, name: &str, format: &str, value: &impl serde::Serialize) {
    let Some(key) = crate::seal::key() else {
        return;
    };
    let purpose = crate::seal::purpose(root, name);
    write_entry(root, name, |file| {
        let mut hashed = BufWriter::new(Hashed {
            file: &mut *file,
            hasher: key.hasher(&purpose),
        });
        postcard::to_io(&(format, value), &mut hashed).map_err(std::io::Error::other)?;
        let hashed = hashed
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        let seal = hashed.hasher.finalize();
        file.write_all(seal.as_bytes())
    });
}

/// A writer that seals what it passes on.
pub(super) struct Hashed<W> {
    pub(super) file: W,
    pub(super) hasher: blake3::Hasher,
}

impl<W: Write> Write for Hashed<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// What the cache file `name` written by [`write_checked`] holds, when its seal is this
/// machine's and it is of `format`.
pub fn read_checked<T: serde::de::DeserializeOwned>(
    root: &Path,
    name: &str,
    format: &str,
) -> Option<T> {
    Payload::read(root, name, format)?.decode()
}

/// The bytes of a value in a file written by `write_checked`, checked: values that borrow
/// their text or numbers from them are decoded without copying them (see
/// [`Kept::read_in_place`]).
pub struct Payload {
    bytes: Vec<u8>,
    /// Where the value starts, after the format.
    start: usize,
}

impl Payload {
    /// The value in the cache file `name`, when its seal is this machine's and it is of
    /// `format`.
    fn read(root: &Path, name: &str, format: &str) -> Option<Payload> {
        let file = root.join(CACHE_DIR).join(name);
        let bytes = std::fs::read(&file).ok()?;
        let bytes = crate::seal::open(&file, &crate::seal::purpose(root, name), bytes)?;
        // The format first, so that a file of another format is not decoded at all.
        let (written_as, value) = postcard::take_from_bytes::<&str>(&bytes).ok()?;
        if written_as != format {
            return None;
        }
        let start = bytes.len() - value.len();
        Some(Payload { bytes, start })
    }

    pub fn decode<'a, T: serde::Deserialize<'a>>(&'a self) -> Option<T> {
        postcard::from_bytes(&self.bytes[self.start..]).ok()
    }
}

/// What a build made from every document, kept in one file of the cache for the next build
/// of the same edition, which takes over what was made from each document whose key
/// ([`crate::document::Document::key`]) is unchanged. The key holds the identity of each
/// file on this disk, so what was made elsewhere never matches a document.
pub struct Kept {
    root: PathBuf,
    name: String,
    /// Bumped whenever what the file holds, or how it is made, changes; with the program
    /// that wrote the file, since a document's key holds the program, and no entry another
    /// program made can match. Such a file is not even decoded: at 100,000 postmortems, the
    /// first build by a new program held hundreds of megabytes of them for nothing.
    format: String,
}

impl Kept {
    /// The search postings ([`crate::render::search::Postings`]).
    pub fn postings(root: &Path, edition: Edition) -> Self {
        Kept::file(root, "search", edition, "hindsight-search-postings-2")
    }

    /// Each document's entry in `archive.json`.
    pub fn entries(root: &Path, edition: Edition) -> Self {
        Kept::file(root, "entries", edition, "hindsight-archive-entries-1")
    }

    /// The digest of each document's entry in `archive.json`.
    pub fn entry_digests(root: &Path, edition: Edition) -> Self {
        Kept::file(root, "entry-digests", edition, "hindsight-entry-digests-1")
    }

    /// The words of each postmortem that suggestions weigh (see [`crate::related`]).
    pub fn words(root: &Path, edition: Edition) -> Self {
        Kept::file(root, "words", edition, "hindsight-words-2")
    }

    /// What the last suggestions were made from, and what they were (see
    /// [`crate::related::suggest`]).
    pub fn suggestions(root: &Path, edition: Edition) -> Self {
        Kept::file(root, "suggestions", edition, "hindsight-suggestions-1")
    }

    /// Which documents were clean when last checked (see [`crate::check::check`]).
    pub fn clean(root: &Path, edition: Edition) -> Self {
        Kept::file(root, "clean", edition, "hindsight-clean-1")
    }

    fn file(root: &Path, what: &str, edition: Edition, format: &'static str) -> Self {
        let edition = match edition {
            Edition::Internal => "internal",
            Edition::Public => "public",
        };
        let program = super::uptodate::program().unwrap_or_default();
        Kept {
            root: root.to_path_buf(),
            name: format!("{what}-{edition}.bin"),
            format: format!("{format} {program:016x}"),
        }
    }

    /// What the last build kept, when it is whole.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.read_in_place()?.decode()
    }

    /// What the last build kept, when it is whole, for values that borrow from it: the
    /// words or entries of 10,000 postmortems are tens of megabytes, and copying each out of
    /// the file took longer than reading it.
    pub fn read_in_place(&self) -> Option<Payload> {
        Payload::read(&self.root, &self.name, &self.format)
    }

    /// Keeps `value` for the next build. Failures are ignored.
    pub fn save(&self, value: &impl serde::Serialize) {
        write_checked(&self.root, &self.name, &self.format, value);
    }
}
