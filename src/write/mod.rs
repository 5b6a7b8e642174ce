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

mod guard;
mod journal;
mod listing;
mod staging;
#[cfg(test)]
mod tests;
mod written;

use std::path::{Path, PathBuf};

pub use guard::check_output_dir;
pub use journal::recover;
pub use staging::Staging;
pub use written::{Folders, Left, Recorded, Written, is_as_recorded, modified_time, path_key};

/// Why the output could not be written: what failed, on which path, and the system's reason.
/// Each variant's text is the message the user reads.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output folder would replace sources or files that no build wrote.
    #[error(
        "refusing to write the site to {}: it is {why}; choose an empty or generated directory such as {}",
        out.display(),
        instead.display()
    )]
    Refused {
        out: PathBuf,
        why: &'static str,
        instead: PathBuf,
    },
    /// The output path ends in `..` or is a root: there is nowhere beside it to stage.
    #[error("{} has no directory name", .0.display())]
    Unnamed(PathBuf),
    /// A path the site would write climbs out of the output.
    #[error("refusing to write {}: the path leaves the output directory", .0.display())]
    Escapes(PathBuf),
    /// A folder of the new site could not be made.
    #[error("cannot create {path}: {1}", path = .0.display())]
    Create(PathBuf, #[source] std::io::Error),
    /// A file of the new site, or the journal, could not be written or moved in.
    #[error("cannot write {path}: {1}", path = .0.display())]
    Write(PathBuf, #[source] std::io::Error),
    /// A file or folder the update or the cleanup deletes could not be deleted.
    #[error("cannot remove {path}: {1}", path = .0.display())]
    Remove(PathBuf, #[source] std::io::Error),
    /// A folder of the previous site could not be read.
    #[error("cannot list {path}: {1}", path = .0.display())]
    List(PathBuf, #[source] std::io::Error),
    /// A folder could not be walked whole.
    #[error("cannot list {path}: {1}", path = .0.display())]
    Walk(PathBuf, #[source] walkdir::Error),
    /// The thread listing the previous site stopped without an answer.
    #[error("listing the previous site failed")]
    ListingLost,
    /// The previous site could not be moved aside for the new one.
    #[error("cannot move the previous {path} aside: {1}", path = .0.display())]
    MoveAside(PathBuf, #[source] std::io::Error),
    /// The new site could not be renamed into place (the previous one is put back).
    #[error("cannot move the new site into {path}: {1}", path = .0.display())]
    MoveIn(PathBuf, #[source] std::io::Error),
    /// The previous site, moved aside by an interrupted build, could not be put back.
    #[error("cannot restore the previous site from {path}: {1}", path = .0.display())]
    Restore(PathBuf, #[source] std::io::Error),
}

impl WriteError {
    /// A maker of the error `variant` names for `path`, for `map_err`.
    fn at<E: 'static>(
        variant: fn(PathBuf, E) -> WriteError,
        path: &Path,
    ) -> impl Fn(E) -> WriteError + Copy + '_ {
        move |source| variant(path.to_path_buf(), source)
    }
}

pub(crate) use crate::site_path::is_contained;
