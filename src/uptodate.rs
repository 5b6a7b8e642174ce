//! Knowing when a build has nothing to do.
//!
//! A build's output depends on the archive's sources (`hindsight.toml`, `content/`,
//! `templates/`, `static/`, `themes/`), on the options it was given, on the program itself
//! and on the day it runs (overdue action items, "this week in incident history"). A
//! successful build records a fingerprint of all of these in `.hindsight-cache/`, with the
//! list of the files it wrote (path, length and modification time). The next build computes
//! the fingerprint again: when it matches and the output directory still holds exactly those
//! files, untouched, the site on disk is already what the build would write, and it stops
//! there, reporting the warnings recorded with it.
//!
//! The fingerprint hashes every source file's bytes, not modification times, so a checkout
//! that touches files without changing them skips too, and an edit that keeps the length and
//! the time does not. Anything that cannot be read makes the build run in full: the record
//! only ever saves time.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::build::BuildOptions;
use crate::cache::CACHE_DIR;
use crate::diagnostic::{Code, Diagnostic};

/// Bumped whenever the record's meaning changes.
const FORMAT: &str = "hindsight-last-build-1";

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
    out: PathBuf,
    outputs: Vec<Output>,
    documents: usize,
    warnings: Vec<Warning>,
}

/// One file of the output directory as the build left it.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Output {
    path: PathBuf,
    len: u64,
    modified: Option<(u64, u32)>,
}

/// A warning of the last build, to report again when it is skipped.
#[derive(Serialize, Deserialize)]
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

impl Fingerprint {
    /// The fingerprint of a build with these options, now; `None` when a source cannot be
    /// read (the build then runs, and reports it).
    pub fn of(options: &BuildOptions) -> Option<Fingerprint> {
        let mut hasher = DefaultHasher::new();
        FORMAT.hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        // The program itself: the default theme and every renderer are inside it.
        let program = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
        (program.len(), timestamp(program.modified().ok())).hash(&mut hasher);
        options.out_dir().hash(&mut hasher);
        format!("{:?}", options.edition).hash(&mut hasher);
        options.base_url.hash(&mut hasher);
        options.drafts.hash(&mut hasher);
        crate::render::views::today().hash(&mut hasher);
        for (path, digest) in source_digests(&options.root)? {
            path.hash(&mut hasher);
            digest.hash(&mut hasher);
        }
        Some(Fingerprint(hasher.finish()))
    }

    /// When the last build had this fingerprint and its output in `out` is untouched, what it
    /// reported; otherwise `None`, and the build must run.
    pub fn unchanged(self, root: &Path, out: &Path) -> Option<Unchanged> {
        let bytes = std::fs::read(record_file(root)).ok()?;
        let record: Record = postcard::from_bytes(&bytes).ok()?;
        if record.format != FORMAT || record.fingerprint != self || record.out != out {
            return None;
        }
        if list_outputs(out)? != record.outputs {
            return None;
        }
        let warnings = record
            .warnings
            .into_iter()
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
    pub fn record(self, root: &Path, out: &Path, documents: usize, warnings: &[Diagnostic]) {
        let Some(outputs) = list_outputs(out) else {
            return;
        };
        let record = Record {
            format: FORMAT.to_string(),
            fingerprint: self,
            out: out.to_path_buf(),
            outputs,
            documents,
            warnings: warnings.iter().map(Warning::from).collect(),
        };
        crate::cache::write_entry(root, RECORD, |file| {
            postcard::to_io(&record, file)
                .map(drop)
                .map_err(std::io::Error::other)
        });
    }
}

/// Every source file of the archive (relative path, hash of its bytes), in path order.
/// Symbolic links are hashed by their target, which the loader refuses to follow anyway.
fn source_digests(root: &Path) -> Option<Vec<(PathBuf, u64)>> {
    let mut paths = vec![PathBuf::from(crate::config::CONFIG_FILE)];
    for dir in SOURCE_DIRS {
        let dir = root.join(dir);
        if !dir.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let entry = entry.ok()?;
            if !entry.file_type().is_dir() {
                paths.push(entry.path().strip_prefix(root).ok()?.to_path_buf());
            }
        }
    }
    paths
        .into_par_iter()
        .map(|path| {
            let full = root.join(&path);
            let mut hasher = DefaultHasher::new();
            let meta = std::fs::symlink_metadata(&full);
            match meta {
                Ok(meta) if meta.file_type().is_symlink() => {
                    std::fs::read_link(&full).ok()?.hash(&mut hasher);
                }
                Ok(_) => std::fs::read(&full).ok()?.hash(&mut hasher),
                // A missing hindsight.toml is a state like any other.
                Err(_) => "absent".hash(&mut hasher),
            }
            Some((path, hasher.finish()))
        })
        .collect()
}

/// The files under `out`, in path order; `None` when it cannot be listed.
fn list_outputs(out: &Path) -> Option<Vec<Output>> {
    let mut outputs = Vec::new();
    for entry in walkdir::WalkDir::new(out).sort_by_file_name() {
        let entry = entry.ok()?;
        if entry.file_type().is_dir() {
            continue;
        }
        let meta = entry.metadata().ok()?;
        outputs.push(Output {
            path: entry.path().strip_prefix(out).ok()?.to_path_buf(),
            len: meta.len(),
            modified: timestamp(meta.modified().ok()),
        });
    }
    Some(outputs)
}

fn timestamp(time: Option<SystemTime>) -> Option<(u64, u32)> {
    let since = time?.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    Some((since.as_secs(), since.subsec_nanos()))
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
            file: self.file,
            line: self.line,
            column: self.column,
            span: self.span.map(|(start, end)| start..end),
            message: self.message,
            hint: self.hint,
        })
    }
}
