//! A file's stamp: what changes when its content may have. `build` records it for every
//! source file, so that a file whose stamp is the recorded one is not read again
//! (`incremental::uptodate`), and `serve` keeps it with each file's load result, so that a
//! rescan loads only the files that changed. Ground floor: it imports nothing of the program.

use std::fs::Metadata;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Length, modification and change times (seconds, nanoseconds), device and inode. The
/// change time moves on any write, even one that sets the modification time back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub modified: (i64, i64),
    pub changed: (i64, i64),
    pub device: u64,
    pub inode: u64,
}

impl Stamp {
    /// The stamp of the file at `path`; `None` when it cannot be read.
    pub fn of(path: &Path) -> Option<Stamp> {
        Some(Stamp::of_metadata(&std::fs::metadata(path).ok()?))
    }

    /// The stamp of a file with this metadata.
    #[cfg(unix)]
    pub fn of_metadata(meta: &Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: meta.len(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
            device: meta.dev(),
            inode: meta.ino(),
        }
    }

    /// Elsewhere there is no change time, device or inode: the length and the modification
    /// time alone, which is enough within one process (`serve`) but not for a record that
    /// a later build trusts (see [`Stamp::is_trusted_across_runs`]).
    #[cfg(not(unix))]
    pub fn of_metadata(meta: &Metadata) -> Stamp {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
            .map_or((0, 0), |d| {
                (d.as_secs() as i64, i64::from(d.subsec_nanos()))
            });
        Stamp {
            len: meta.len(),
            modified,
            changed: (0, 0),
            device: 0,
            inode: 0,
        }
    }

    /// Whether a stamp can stand for the file's content from one run to the next: only
    /// where it holds the change time.
    pub const fn is_trusted_across_runs() -> bool {
        cfg!(unix)
    }
}
