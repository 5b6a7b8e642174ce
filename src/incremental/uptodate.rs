//! Knowing when a build has nothing to do.
//!
//! A build's output depends on the archive's sources (`hindsight.toml`, `content/`,
//! `templates/`, `static/`, `themes/`), on the options it was given, on the program itself
//! and on the day it runs (overdue action items, "this week in incident history"). A
//! successful build records a fingerprint of all of these in `.hindsight-cache/`, with the
//! list of the files it wrote (path, length and modification time) and of its folders
//! (with their times, see [`crate::write::Left`]). The next build computes
//! the fingerprint again: when it matches and the output directory still holds exactly those
//! files, untouched, the site on disk is already what the build would write, and it stops
//! there, reporting the warnings recorded with it.
//!
//! The fingerprint hashes every source file's bytes, not modification times, so a checkout
//! that touches files without changing them skips too, and an edit that keeps the length and
//! the time does not. Anything that cannot be read makes the build run in full: the record
//! only ever saves time.
//!
//! Reading every source is a gigabyte at 100,000 postmortems, so the record also keeps each
//! file's digest with its stamp (length, modification and change times, inode), as git's
//! index does: a file whose stamp is the recorded one is not read again. The change time
//! cannot be set back from user space, so an edit that restores the length and the
//! modification time still changes the stamp; and a file changed in the two seconds before
//! the stamps were taken is always read, since an edit in the same clock tick would leave
//! its stamp as it was.

use std::ffi::{OsStr, OsString};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::cache::CACHE_DIR;
use crate::config::Edition;
use crate::diagnostic::{Code, Diagnostic};
use crate::stamp::Stamp;
use crate::write::{Folders, Left, Written};

/// Bumped whenever the record's meaning changes.
const FORMAT: &str = "hindsight-last-build-8";

/// The folders of an archive that a build reads, besides `hindsight.toml`.
const SOURCE_DIRS: &[&str] = &["content", "templates", "static", "themes"];

/// Everything a build's output depends on, hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint(u64);

/// What the last successful build wrote, and from what.
#[derive(Serialize, Deserialize)]
struct Record {
    format: String,
    fingerprint: Fingerprint,
    /// What its pages were rendered with besides their views (see [`Sources::environment`]).
    environment: u64,
    out: PathBuf,
    outputs: Vec<Output>,
    documents: usize,
    warnings: Vec<Warning>,
    sources: Sources,
    /// Every folder of the output, with its modification time (see [`crate::write::Left`]).
    folders: Folders,
}

impl Record {
    /// Whether every path of the output it lists is relative and stays inside the output
    /// (a folder may be the output itself, the empty path).
    fn is_contained(&self) -> bool {
        self.outputs
            .iter()
            .all(|output| crate::write::is_contained(&output.path))
            && self.folders.is_contained()
    }
}

/// Every source file's digest as the fingerprint read it, with the file's stamp then.
#[derive(Default, Serialize, Deserialize)]
pub struct Sources {
    /// When the stamps were taken, in seconds since 1970.
    taken: i64,
    /// The program, hashed as the fingerprint has it.
    program: u64,
    files: Vec<Source>,
}

impl Sources {
    /// What a page's HTML depends on besides its view: the program (renderers, the default
    /// theme) and every source that is not content (configuration, templates, themes, static
    /// files), hashed. Content reaches pages only through their views, which page keys hash.
    pub fn environment(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        FORMAT.hash(&mut hasher);
        self.program.hash(&mut hasher);
        for source in &self.files {
            if !source.path.starts_with("content") {
                source.path.as_os_str().hash(&mut hasher);
                source.digest.hash(&mut hasher);
            }
        }
        hasher.finish()
    }

    /// What the record says of a source file (a path relative to the archive) whose stamp
    /// this build found as recorded, so that it did not read it: the loader need not read it
    /// either when what it makes of the file is kept (see [`super::cache::BodyCache`]).
    pub fn unread(&self, path: &Path) -> Option<Unread> {
        let at = self
            .files
            .binary_search_by(|source| path_order(&source.path, path))
            .ok()?;
        let source = &self.files[at];
        let stamp = source.stamp.filter(|_| source.unread)?;
        Some(Unread {
            digest: source.digest,
            len: stamp.len,
            identity: super::cache::identity(stamp.device, stamp.inode, stamp.changed),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct Source {
    path: PathBuf,
    stamp: Option<Stamp>,
    digest: u64,
    /// Whether this build took the digest from the record, the stamp being the one recorded,
    /// instead of reading the file.
    #[serde(skip)]
    unread: bool,
}

pub use crate::load::Unread;

/// A file changed this close to the taking of the stamps is read again whatever its stamp.
const RACY_SECONDS: i64 = 2;

/// One file of the output directory as the build left it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Output {
    path: PathBuf,
    len: u64,
    modified: Option<(u64, u32)>,
    /// For a page, its key (see [`crate::render::Reuse`]).
    key: Option<u64>,
    /// The digest of its bytes, where the build knew it (see [`crate::write::Recorded`]).
    digest: Option<u64>,
}

impl Output {
    /// Whether `other` is this file as it was left: same path, length and modification time.
    fn is(&self, other: &Output) -> bool {
        (&self.path, self.len, self.modified) == (&other.path, other.len, other.modified)
    }

    /// Whether a file of the output with `meta` is still this page as its key rendered it.
    pub fn is_page(&self, key: u64, meta: &std::fs::Metadata) -> bool {
        self.key == Some(key)
            && meta.is_file()
            && crate::write::is_as_recorded(meta, self.len, self.modified)
    }
}

/// A warning of the last build, to report again when it is skipped.
#[derive(Clone, Serialize, Deserialize)]
struct Warning {
    code: String,
    file: PathBuf,
    line: usize,
    column: usize,
    span: Option<(usize, usize)>,
    message: String,
    hint: Option<String>,
}

/// A build that had nothing to do: what the one before it reported.
pub struct Unchanged {
    pub files: usize,
    pub documents: usize,
    pub warnings: Vec<Diagnostic>,
}

/// The record's file in the cache folder.
const RECORD: &str = "last-build.bin";

fn record_file(root: &Path) -> PathBuf {
    root.join(CACHE_DIR).join(RECORD)
}

/// What a build was asked for, as the fingerprint holds it: the archive, the output folder,
/// and every option that changes what is written.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub root: &'a Path,
    pub out: &'a Path,
    /// The edition overriding the configuration's, if any.
    pub edition: Option<Edition>,
    /// The base URL overriding the configuration's, if any.
    pub base_url: Option<&'a str>,
    pub drafts: bool,
}

impl Fingerprint {
    /// The fingerprint of a build `asked` so on the day `today` (pages mark items overdue
    /// against it), with the digests it is made of; `None` when a source cannot be read (the
    /// build then runs, and reports it).
    pub fn of(asked: Asked, today: NaiveDate, last: &LastBuild) -> Option<(Fingerprint, Sources)> {
        let mut hasher = DefaultHasher::new();
        FORMAT.hash(&mut hasher);
        let program = program()?;
        program.hash(&mut hasher);
        asked.out.hash(&mut hasher);
        format!("{:?}", asked.edition).hash(&mut hasher);
        asked.base_url.hash(&mut hasher);
        asked.drafts.hash(&mut hasher);
        today.hash(&mut hasher);
        let no_sources = Sources::default();
        let last_sources = last.0.as_ref().map_or(&no_sources, |r| &r.sources);
        let mut sources = source_digests(asked.root, last_sources)?;
        sources.program = program;
        for source in &sources.files {
            source.path.as_os_str().hash(&mut hasher);
            source.digest.hash(&mut hasher);
        }
        Some((Fingerprint(hasher.finish()), sources))
    }

    /// When the last build had this fingerprint and its output in `out` is untouched, what it
    /// reported; otherwise `None`, and the build must run.
    pub fn unchanged(self, last: &LastBuild, out: &Path) -> Option<Unchanged> {
        let record = last.0.as_ref()?;
        if record.fingerprint != self || record.out != out {
            return None;
        }
        let listed = list_outputs(out)?;
        let untouched = listed.len() == record.outputs.len()
            && listed.iter().zip(&record.outputs).all(|(l, r)| l.is(r));
        if !untouched {
            return None;
        }
        let warnings = record
            .warnings
            .iter()
            .cloned()
            .map(Warning::into_diagnostic)
            .collect::<Option<_>>()?;
        Some(Unchanged {
            files: record.outputs.len(),
            documents: record.documents,
            warnings,
        })
    }

    /// Records a successful build into `out`. Failures are ignored: the next build merely
    /// runs in full.
    ///
    /// `written` is every file of the output as the build left it, `folders` its folders.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        self,
        sources: Sources,
        (written, folders): (Vec<Written>, Folders),
        page_keys: Vec<(PathBuf, u64)>,
        root: &Path,
        out: &Path,
        documents: usize,
        warnings: &[Diagnostic],
    ) {
        let environment = sources.environment();
        // Paths by their bytes: hashing a `Path` parses it into components each time.
        let page_keys: FxHashMap<OsString, u64> = page_keys
            .into_iter()
            .map(|(path, key)| (path.into_os_string(), key))
            .collect();
        // Latest first, so that a file written twice is as the last write left it.
        let mut outputs: Vec<Output> = written
            .into_iter()
            .rev()
            .map(|file| Output {
                key: page_keys.get(file.path.as_os_str()).copied(),
                path: file.path,
                len: file.len,
                modified: file.modified,
                digest: file.digest,
            })
            .collect();
        outputs.sort_by(|a, b| path_order(&a.path, &b.path));
        outputs.dedup_by(|a, b| a.path == b.path);
        let record = Record {
            format: FORMAT.to_string(),
            fingerprint: self,
            environment,
            out: out.to_path_buf(),
            outputs,
            documents,
            warnings: warnings.iter().map(Warning::from).collect(),
            sources,
            folders,
        };
        super::cache::write_checked(root, RECORD, FORMAT, &record);
    }
}

/// What the last successful build recorded, when it can be read and is of this format.
pub struct LastBuild(Option<Record>);

impl LastBuild {
    /// The pages the last build left in `out`, by output file, when they were rendered in
    /// this `environment` (see [`Sources::environment`]); none otherwise.
    /// The map is keyed by the paths' bytes (see [`Fingerprint::record`]).
    pub fn into_pages(self, out: &Path, environment: u64) -> FxHashMap<OsString, Output> {
        self.0
            .filter(|record| record.out == out && record.environment == environment)
            .map(|record| record.outputs)
            .unwrap_or_default()
            .into_iter()
            .filter(|output| output.key.is_some())
            .map(|output| (output.path.clone().into_os_string(), output))
            .collect()
    }

    /// What the last build left in `out`, when it wrote there (see [`Left`]).
    pub fn left(&self, out: &Path) -> Option<crate::write::Left> {
        let record = self.0.as_ref().filter(|record| record.out == out)?;
        Some(Left {
            files: record
                .outputs
                .iter()
                .map(|output| output.path.clone())
                .collect(),
            folders: record.folders.clone(),
            recorded: record
                .outputs
                .iter()
                .map(|output| {
                    let recorded = crate::write::Recorded {
                        len: output.len,
                        modified: output.modified,
                        digest: output.digest,
                    };
                    (crate::write::path_key(&output.path), recorded)
                })
                .collect(),
        })
    }

    /// The record of the archive at `root`, when this program sealed it on this machine
    /// (see [`crate::seal`]) and every path in it stays inside the output: the update of
    /// the output deletes what the record lists and the output no longer needs.
    pub fn read(root: &Path) -> Self {
        // The first thing a build reads from the cache: the place to say a committed one
        // is not used.
        super::cache::warn_if_tracked(root);
        let record = super::cache::read_checked::<Record>(root, RECORD, FORMAT)
            .filter(|record| record.format == FORMAT);
        let record = record.filter(|record| {
            let contained = record.is_contained();
            if !contained {
                crate::seal::ignored(&record_file(root));
            }
            contained
        });
        LastBuild(record)
    }
}

/// The program itself, hashed: its version and the executable's length and modification
/// time. The default theme and every renderer are inside it. `None` when the executable
/// cannot be found.
pub fn program() -> Option<u64> {
    let meta = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let mut hasher = DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    (meta.len(), crate::write::modified_time(&meta)).hash(&mut hasher);
    Some(hasher.finish())
}

/// Every source file of the archive (relative path, stamp, hash of its bytes), in path
/// order, reusing the digests of `last` for files whose stamp is the one recorded there.
/// Symbolic links are hashed by their target, which the loader refuses to follow anyway.
fn source_digests(root: &Path, last: &Sources) -> Option<Sources> {
    let taken = now_seconds();
    let mut paths = vec![PathBuf::from(crate::config::CONFIG_FILE)];
    for dir in SOURCE_DIRS {
        let dir = root.join(dir);
        if !dir.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&dir) {
            let entry = entry.ok()?;
            if !entry.file_type().is_dir() {
                paths.push(entry.path().strip_prefix(root).ok()?.to_path_buf());
            }
        }
    }
    // Sorted once, not by the walk, and by bytes (see [`path_order`]): the order only
    // decides the fingerprint.
    paths.sort_unstable_by(|a, b| path_order(a, b));
    let known: FxHashMap<&OsStr, &Source> = last
        .files
        .iter()
        .filter(|source| {
            source
                .stamp
                .is_some_and(|stamp| stamp.changed.0 < last.taken - RACY_SECONDS)
        })
        .map(|source| (source.path.as_os_str(), source))
        .collect();
    let files = paths
        .into_par_iter()
        .map(|path| {
            let full = root.join(&path);
            let meta = std::fs::symlink_metadata(&full);
            let stamp = meta.as_ref().ok().and_then(stamp);
            if let Some(source) = known.get(path.as_os_str())
                && stamp.is_some()
                && source.stamp == stamp
            {
                return Some(Source {
                    path,
                    stamp,
                    digest: source.digest,
                    unread: true,
                });
            }
            // A link's target is hashed with another seed than a file's bytes, so that a file
            // replaced by a link to a path spelled as its text still changes the digest.
            let digest = match meta {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let target = std::fs::read_link(&full).ok()?;
                    xxhash_rust::xxh3::xxh3_64_with_seed(target.as_os_str().as_encoded_bytes(), 1)
                }
                Ok(_) => digest(&std::fs::read(&full).ok()?),
                // A missing hindsight.toml is a state like any other.
                Err(_) => 0,
            };
            Some(Source {
                path,
                stamp,
                digest,
                unread: false,
            })
        })
        .collect::<Option<Vec<Source>>>()?;
    Some(Sources {
        taken,
        program: 0,
        files,
    })
}

pub use crate::digest::digest;

/// A source file's stamp for the record; `None` where a stamp cannot be trusted from one
/// run to the next, so that every file is read.
fn stamp(meta: &std::fs::Metadata) -> Option<Stamp> {
    Stamp::is_trusted_across_runs().then(|| Stamp::of_metadata(meta))
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The files under `out`, in path order; `None` when it cannot be listed.
fn list_outputs(out: &Path) -> Option<Vec<Output>> {
    let mut outputs = Vec::new();
    for entry in walkdir::WalkDir::new(out) {
        let entry = entry.ok()?;
        if entry.file_type().is_dir() {
            continue;
        }
        let meta = entry.metadata().ok()?;
        outputs.push(Output {
            path: entry.path().strip_prefix(out).ok()?.to_path_buf(),
            len: meta.len(),
            modified: crate::write::modified_time(&meta),
            key: None,
            digest: None,
        });
    }
    // The order `record` keeps them in.
    outputs.sort_unstable_by(|a, b| path_order(&a.path, &b.path));
    Some(outputs)
}

/// The order outputs are recorded in: by the bytes of their paths. Comparing paths component
/// by component was most of the time the record took.
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    a.as_os_str()
        .as_encoded_bytes()
        .cmp(b.as_os_str().as_encoded_bytes())
}

impl From<&Diagnostic> for Warning {
    fn from(d: &Diagnostic) -> Self {
        Warning {
            code: d.code.code().to_string(),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            span: d.span.as_ref().map(|span| (span.start, span.end)),
            message: d.message.clone(),
            hint: d.hint.clone(),
        }
    }
}

impl Warning {
    fn into_diagnostic(self) -> Option<Diagnostic> {
        let code = *Code::ALL.iter().find(|code| code.code() == self.code)?;
        Some(Diagnostic {
            code,
            level: code.level(),
            file: self.file,
            line: self.line,
            column: self.column,
            span: self.span.map(|(start, end)| start..end),
            message: self.message,
            hint: self.hint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An archive of one file, and what the last build recorded of it with `digest`.
    fn recorded(digest: u64, taken_after_change: i64) -> (tempfile::TempDir, Sources) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(crate::config::CONFIG_FILE), "title = \"T\"").unwrap();
        let last = source_digests(dir.path(), &Sources::default()).unwrap();
        let file = &last.files[0];
        let changed = file.stamp.unwrap().changed.0;
        let sources = Sources {
            taken: changed + taken_after_change,
            program: 0,
            files: vec![Source {
                path: file.path.clone(),
                stamp: file.stamp,
                digest,
                unread: false,
            }],
        };
        (dir, sources)
    }

    #[test]
    fn a_file_with_its_recorded_stamp_is_not_read_again() {
        let (dir, last) = recorded(42, RACY_SECONDS + 1);
        let now = source_digests(dir.path(), &last).unwrap();
        assert_eq!(now.files[0].digest, 42);
    }

    #[test]
    fn a_file_changed_just_before_the_stamps_were_taken_is_read_again() {
        let (dir, last) = recorded(42, RACY_SECONDS);
        let now = source_digests(dir.path(), &last).unwrap();
        assert_ne!(now.files[0].digest, 42);
    }

    #[test]
    fn an_edit_that_keeps_length_and_modification_time_is_read_again() {
        let (dir, last) = recorded(42, RACY_SECONDS + 1);
        let path = dir.path().join(crate::config::CONFIG_FILE);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        // A coarse clock could give the edit the change time of the write before it (in a
        // real build, the racy rule covers that).
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::fs::write(&path, "title = \"U\"").unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(modified).unwrap();
        let now = source_digests(dir.path(), &last).unwrap();
        assert_ne!(now.files[0].digest, 42);
    }
}
