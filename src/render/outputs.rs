//! One output per path. Two sources that would be written to one path of the site (two
//! spellings of a service, a theme's static file where a page goes) would leave one of them
//! silently lost, so the build refuses, naming both. Paths are compared ignoring case: on the
//! file systems of macOS and Windows, `Foo/index.html` and `foo/index.html` are one file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use crate::archive::Archive;
use crate::diagnostic::{Code, Diagnostic};

use super::pages::PageKind;

/// The outputs of one rendering so far, by path, with what each was made from.
#[derive(Default)]
pub struct Outputs {
    claimed: Mutex<FxHashMap<String, (PathBuf, String)>>,
}

impl Outputs {
    /// Records that `source` makes the output at `path`, or refuses when something else does.
    pub fn claim(&self, path: &Path, source: impl FnOnce() -> String) -> Result<(), Diagnostic> {
        let folded = path.to_string_lossy().to_lowercase();
        let mut claimed = self
            .claimed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match claimed.get(&folded) {
            Some((first_path, first)) => {
                let second = source();
                let (first, second) = if first <= &second {
                    (first.as_str(), second.as_str())
                } else {
                    (second.as_str(), first.as_str())
                };
                Err(Diagnostic::file(
                    Code::DuplicateOutput,
                    first_path,
                    format!(
                        "{first} and {second} would both be written to {}: one would be lost",
                        path.display()
                    ),
                )
                .with_hint("rename one of the two, so that each has a path of its own"))
            }
            None => {
                claimed.insert(folded, (path.to_path_buf(), source()));
                Ok(())
            }
        }
    }
}

/// What a page is made from, in words: `the page of content/postmortems/x.md`.
pub fn page_source(kind: &PageKind, archive: &Archive) -> String {
    match kind {
        PageKind::Postmortem(id) | PageKind::Premortem(id) => {
            format!("the page of {}", archive.documents[*id].path.display())
        }
        PageKind::Service(id, page) => format!("page {} of the service `{id}`", page + 1),
        PageKind::Tag(tag, page) => format!("page {} of the tag `{tag}`", page + 1),
        other => format!("the {other:?} page"),
    }
}

/// What a file other than a page is made from, in words.
pub fn file_source(path: &Path, theme: &crate::theme::Theme) -> String {
    if theme.assets.iter().any(|(asset, _)| asset == path) {
        format!(
            "the static file {} (of the theme or static/)",
            path.display()
        )
    } else {
        format!("hindsight's own {}", path.display())
    }
}
