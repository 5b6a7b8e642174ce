//! A document's front matter: split from its body, kept as text to point diagnostics at its
//! keys, and read from the file only when asked for a document whose analysis was kept.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Code, Diagnostic};

/// The front matter of a file and where it sits in the file.
///
/// Shared: `serve` hands every document's front matter to each linking, and copying 10,000
/// of them was a sixth of the time of a front-matter edit. A document whose file the build
/// did not read (its analysis was kept, see [`load_from`]) reads it only when
/// something asks, which is when a diagnostic points into it.
#[derive(Debug, Clone)]
pub struct FrontMatter(std::sync::Arc<LazyFrontMatter>);

#[derive(Debug)]
pub(super) struct LazyFrontMatter {
    /// The file to read the front matter from, when it was not read with the document.
    file: Option<PathBuf>,
    /// The text, and its byte offset in the file.
    read: OnceLock<(String, usize)>,
}

/// A key path into front matter: `["incident", "started"]` or `["actions", "2", "kind"]`.
pub type KeyPath<'a> = &'a [&'a str];

impl FrontMatter {
    /// Front matter read with its file, at byte `offset` in it.
    pub(super) fn read(text: &str, offset: usize) -> Self {
        FrontMatter(std::sync::Arc::new(LazyFrontMatter {
            file: None,
            read: OnceLock::from((text.to_string(), offset)),
        }))
    }

    /// The front matter of `file`, read from it on first use; empty when the file can no
    /// longer be read or split.
    pub(super) fn unread(file: PathBuf) -> Self {
        FrontMatter(std::sync::Arc::new(LazyFrontMatter {
            file: Some(file),
            read: OnceLock::new(),
        }))
    }

    pub(super) fn get(&self) -> &(String, usize) {
        self.0.read.get_or_init(|| {
            let source = self
                .0
                .file
                .as_ref()
                .and_then(|file| std::fs::read(file).ok())
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            split_front_matter(&source).map_or_else(
                |_| Default::default(),
                |split| {
                    (
                        source[split.front_matter.clone()].to_string(),
                        split.front_matter.start,
                    )
                },
            )
        })
    }

    pub fn text(&self) -> &str {
        &self.get().0
    }

    /// Byte offset of the text in the file.
    pub fn offset(&self) -> usize {
        self.get().1
    }

    /// Whether the front matter has `key` at its top level.
    pub fn has_key(&self, key: &str) -> bool {
        DeTable::parse(self.text()).is_ok_and(|table| table.get_ref().contains_key(key))
    }

    /// A diagnostic at the value of `path` in `file`, or at the opening `+++` when the key
    /// is absent. Front matter starts on the file's second line, after the opening `+++`, so
    /// it places the diagnostic in the file without reading anything else of it.
    pub fn diagnostic_at(
        &self,
        code: Code,
        file: &Path,
        path: KeyPath,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (text, offset) = self.get();
        let Some(span) = span_in(text, path) else {
            return Diagnostic::at(code, file, "+++", 0..3, message);
        };
        let mut diagnostic = Diagnostic::at(code, file, text, span, message);
        diagnostic.line += 1;
        diagnostic.span = diagnostic
            .span
            .map(|span| span.start + offset..span.end + offset);
        diagnostic
    }

    /// The byte range in the file of the value at `path`, or of the opening `+++` line when
    /// the key is absent.
    pub fn span_of(&self, path: KeyPath) -> Range<usize> {
        let offset = self.offset();
        span_in(self.text(), path).map_or(0..3, |s| s.start + offset..s.end + offset)
    }
}

/// The byte range in TOML `text` of the value at `path`, or of the deepest part of the path
/// that is there; `None` when not even its first key is.
pub fn span_in(text: &str, path: KeyPath) -> Option<Range<usize>> {
    let table = DeTable::parse(text).ok()?;
    let mut span = None;
    let mut current: Option<&DeValue> = None;
    for (i, key) in path.iter().enumerate() {
        let next = match current {
            None if i == 0 => table.get_ref().get(*key),
            Some(value) => match key.parse::<usize>() {
                Ok(index) => value.get(index),
                Err(_) => value.get(*key),
            },
            None => None,
        };
        let Some(next) = next else { break };
        span = Some(next.span());
        current = Some(next.get_ref());
    }
    span
}

pub(super) struct Split {
    pub(super) front_matter: Range<usize>,
    pub(super) body: Range<usize>,
}

pub(super) type SplitError = (Code, Range<usize>, String, String);

/// Finds the front matter between the `+++` lines at the top of a file.
pub(super) fn split_front_matter(source: &str) -> Result<Split, SplitError> {
    if source.trim().is_empty() {
        return Err((
            Code::EmptyFile,
            0..0,
            "the file is empty".into(),
            "start it with `hindsight new`, or delete it".into(),
        ));
    }
    let start = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let first_line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i + 1);
    let first_line = source[start..first_line_end].trim_end();
    if first_line != "+++" {
        let (message, hint) = if first_line == "---" {
            (
                "the file starts with YAML front matter, which hindsight does not read",
                "`hindsight import` converts files from Jekyll, Hugo and other archives (docs/guide/import.md); or write the front matter in TOML between two lines of `+++`",
            )
        } else {
            (
                "the file does not start with front matter",
                "put the TOML front matter between two lines of `+++` at the top of the file; `hindsight import` converts postmortems written without it (docs/guide/import.md)",
            )
        };
        return Err((
            Code::MissingFrontMatter,
            start..first_line_end,
            message.into(),
            hint.into(),
        ));
    }
    let mut offset = first_line_end;
    for line in source[first_line_end..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Ok(Split {
                front_matter: first_line_end..offset,
                body: offset + line.len()..source.len(),
            });
        }
        offset += line.len();
    }
    Err((
        Code::UnclosedFrontMatter,
        start..first_line_end,
        "the front matter opened here is never closed".into(),
        "end the front matter with a line of `+++`".into(),
    ))
}
