//! The load phase: walk an archive repository, read each content file, split its front matter,
//! deserialize it into the schema and analyse its Markdown body.
//!
//! Files are read and parsed in parallel. Nothing here stops at the first bad file: every
//! problem becomes a [`Diagnostic`] with the file and line, and the good files still load, so
//! that `check` can report a thousand broken files in one run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::{Config, Edition};
use crate::diagnostic::Diagnostic;
use crate::document::{Document, Kind, Meta};
use crate::highlight::Highlighted;
use crate::markdown;

mod files;
mod front_matter;
mod parse;
mod settings;

pub use files::content_files;
pub use front_matter::{FrontMatter, KeyPath, span_in};
use parse::document;
pub use parse::{load_document, parse_document};
pub use settings::{load_config, load_settings};

/// What earlier builds made that the load may take instead of making it again: handed in by
/// the driver, which keeps it (see `src/incremental/`). The load never opens, reads or
/// writes what is kept itself.
pub trait Earlier: Sync {
    /// What the last build recorded of the file at `path` (relative to the archive), when
    /// this build found its stamp unchanged and so did not read it: a file whose body is
    /// kept need not be read at all.
    fn unread(&self, path: &Path) -> Option<Unread>;
    /// The bodies earlier builds analysed with `config` for `edition`, when any are kept.
    fn bodies(&self, config: &Config, edition: Edition) -> Option<&dyn Bodies>;
    /// The code earlier builds highlighted, read on the first call: the load asks only when
    /// it analyses enough bodies for reading it to pay.
    fn highlights(&self) -> &dyn Highlighted;
}

/// What the record says of a source file this build did not read (see [`Earlier::unread`]).
#[derive(Debug, Clone, Copy)]
pub struct Unread {
    /// The XXH3 digest of its bytes.
    pub digest: u64,
    pub len: u64,
    /// Its device, inode and change time, as bytes: which file on this disk it is.
    pub identity: [u8; 32],
}

/// Documents' front matter and analysed bodies, by a key of everything they are made from:
/// a document whose key is kept is not parsed again, nor its code highlighted.
pub trait Bodies: Sync {
    /// The key of the body of a file whose bytes have `digest` and whose `identity` on this
    /// disk is given, analysed with `context`; `None` when such a body is never kept.
    fn key(&self, digest: u64, identity: &[u8; 32], context: &markdown::Context) -> Option<u64>;
    /// [`Bodies::key`] for the bytes `source`, read from the file whose metadata is `file`.
    fn key_of_read(
        &self,
        source: &str,
        file: &std::fs::Metadata,
        context: &markdown::Context,
    ) -> Option<u64>;
    /// The front matter and body made from what `key` hashes, if kept; taken once.
    fn take(&self, key: u64) -> Option<(Meta, markdown::Body)>;
}

/// What the load phase is asked to do.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub root: PathBuf,
    /// The edition overriding the configuration's, if any.
    pub edition: Option<Edition>,
    /// The base URL overriding the configuration's, if any.
    pub base_url: Option<String>,
    /// Render HTML bodies (not needed by `check`, which only reads).
    pub render_html: bool,
    /// Whether drafts are built: when they are not, a link to one is withheld.
    pub drafts: bool,
}

/// Everything read from an archive repository.
#[derive(Debug)]
pub struct Loaded {
    pub root: PathBuf,
    pub config: Config,
    pub edition: Edition,
    pub documents: Vec<LoadedDocument>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A document together with the front matter text, kept to point diagnostics at its keys.
#[derive(Debug, Clone)]
pub struct LoadedDocument {
    pub document: Document,
    pub front_matter: FrontMatter,
}

/// Why an archive could not be read at all. Every problem with a file is a diagnostic in
/// [`Loaded`] instead.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The archive's root is missing or not a folder.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
}

/// Whether a build of `edition`, with or without `drafts`, leaves the document out.
pub fn is_withheld(document: &Document, edition: Edition, drafts: bool) -> bool {
    (edition == Edition::Public && document.is_internal()) || (!drafts && document.is_draft())
}

/// Reads the configuration and every content file under `root`.
///
/// Returns `Err` only when the archive cannot be read at all (the root is missing); every
/// problem with a file is a diagnostic in [`Loaded`].
pub fn load(options: &LoadOptions) -> Result<Loaded, LoadError> {
    load_from(options, None)
}

/// [`load`], taking what `earlier` builds made: the files the driver did not read, whose
/// bodies are kept, are not read either. What this load made is in the documents (each with
/// its key, see [`Document::key`]) for the driver to keep.
pub fn load_from(
    options: &LoadOptions,
    earlier: Option<&dyn Earlier>,
) -> Result<Loaded, LoadError> {
    let root = &options.root;
    if !root.is_dir() {
        return Err(LoadError::NotADirectory(root.clone()));
    }
    let mut diagnostics = Vec::new();
    let (config, edition) = load_settings(options, &mut diagnostics);
    let files = content_files(root, &mut diagnostics);
    let earlier = earlier.filter(|_| options.render_html);
    let bodies = earlier.and_then(|earlier| earlier.bodies(&config, edition));
    let without_highlights = FileContext {
        root,
        config: &config,
        edition,
        render_html: options.render_html,
        highlights: None,
        bodies,
        withheld_targets: None,
    };
    // First the documents whose files are as the last build read them, and whose bodies it
    // kept: they are not read at all.
    let unread: Vec<Option<LoadedDocument>> = files
        .par_iter()
        .map(|(_, path)| unread_document(&without_highlights, path, earlier?))
        .collect();
    // Reading the highlighted code costs about what analysing a hundredth of the documents
    // does: a build that analyses fewer highlights their code afresh.
    let to_analyse = unread.iter().filter(|d| d.is_none()).count();
    let highlights = earlier
        .filter(|_| to_analyse * 64 > files.len())
        .map(|earlier| crate::timing::timed("load: open highlight cache", || earlier.highlights()));
    let load_one = |kind: Kind, path: &Path, withheld_targets: Option<&HashSet<PathBuf>>| {
        let context = FileContext {
            highlights,
            withheld_targets,
            ..without_highlights
        };
        load_file(&context, path, kind)
    };
    let results: Vec<Result<LoadedDocument, Vec<Diagnostic>>> = files
        .par_iter()
        .zip(unread)
        .map(|((kind, path), unread)| unread.map_or_else(|| load_one(*kind, path, None), Ok))
        .collect();
    let mut documents = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(document) => documents.push(document),
            Err(mut refused) => diagnostics.append(&mut refused),
        }
    }
    // Which documents this build leaves out (internal ones in the public edition, drafts in
    // a build without them) is known only now: the few others linking to one are rendered
    // again, so that the link (and the page's URL) stays out of the site.
    let withheld = withheld_paths(
        documents.iter().map(|d| &d.document),
        edition,
        options.drafts,
    );
    if !withheld.is_empty() {
        let to_relink: Vec<usize> = documents
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                !withheld.contains(&d.document.path)
                    && links_to_any(&d.document, |t| withheld.contains(t))
            })
            .map(|(i, _)| i)
            .collect();
        let relinked: Vec<(usize, Result<LoadedDocument, Vec<Diagnostic>>)> = to_relink
            .into_par_iter()
            .map(|i| {
                let d = &documents[i].document;
                (i, load_one(d.kind(), &d.path, Some(&withheld)))
            })
            .collect();
        for (i, result) in relinked {
            match result {
                Ok(relinked) => documents[i] = relinked,
                Err(mut refused) => diagnostics.append(&mut refused),
            }
        }
    }
    for d in &mut documents {
        diagnostics.append(&mut d.document.body.diagnostics);
    }
    crate::highlight::forget_lines();
    Ok(Loaded {
        root: root.clone(),
        config,
        edition,
        documents,
        diagnostics,
    })
}

/// The paths of the documents among `documents` that a build of `edition`, with or without
/// `drafts`, leaves out. A body that links to one is made again with them as
/// [`FileContext::withheld_targets`]: which documents are left out is known only once every
/// file is read.
pub fn withheld_paths<'a>(
    documents: impl Iterator<Item = &'a Document>,
    edition: Edition,
    drafts: bool,
) -> HashSet<PathBuf> {
    documents
        .filter(|d| is_withheld(d, edition, drafts))
        .map(|d| d.path.clone())
        .collect()
}

/// Whether `document`'s body links to a content file for which `target` holds.
pub fn links_to_any(document: &Document, target: impl Fn(&PathBuf) -> bool) -> bool {
    document
        .body
        .content_links
        .iter()
        .any(|link| target(&link.target))
}

/// What loading one file needs besides its path: the archive's settings for this build.
pub struct FileContext<'a> {
    pub root: &'a Path,
    pub config: &'a Config,
    pub edition: Edition,
    pub render_html: bool,
    pub highlights: Option<&'a dyn Highlighted>,
    /// Bodies analysed by earlier builds.
    pub bodies: Option<&'a dyn Bodies>,
    /// Content files this edition leaves out: links to them are not emitted.
    pub withheld_targets: Option<&'a HashSet<PathBuf>>,
}

impl FileContext<'_> {
    /// `made` with what analysing the body of the file at `path` takes.
    fn markdown<T>(&self, path: &Path, made: impl FnOnce(&markdown::Context) -> T) -> T {
        let base_path = self.config.base_path();
        made(&markdown::Context {
            path,
            base_path: &base_path,
            base_url: &self.config.base_url,
            edition: self.edition,
            unsafe_html: self.config.markdown.unsafe_html,
            render_html: self.render_html,
            highlights: self.highlights,
            withheld_targets: self.withheld_targets,
        })
    }
}

/// Loads one content file: what [`load`] does for each file, and what `serve` repeats for
/// each file that changed. A file that cannot be loaded gives every error found in it.
pub fn load_file(
    context: &FileContext,
    path: &Path,
    kind: Kind,
) -> Result<LoadedDocument, Vec<Diagnostic>> {
    context.markdown(path, |markdown| {
        load_document(
            context.root,
            path,
            kind,
            context.config,
            markdown,
            context.bodies,
        )
    })
}

/// The document of the file at `path` as an earlier build analysed it, without reading the
/// file: when the fingerprint did not read it either, its stamp being the one recorded
/// (see [`Earlier::unread`]), and its body is kept.
fn unread_document(
    context: &FileContext,
    path: &Path,
    earlier: &dyn Earlier,
) -> Option<LoadedDocument> {
    let bodies = context.bodies?;
    let unread = earlier
        .unread(path)
        .filter(|unread| unread.len <= context.config.max_document_bytes)?;
    let key = context.markdown(path, |markdown| {
        bodies.key(unread.digest, &unread.identity, markdown)
    })?;
    let (meta, body) = bodies.take(key)?;
    let mut document = document(path, meta, body);
    document.key = Some(key);
    Some(LoadedDocument {
        document,
        front_matter: FrontMatter::unread(context.root.join(path)),
    })
}

#[cfg(test)]
mod tests {
    use super::files::*;
    use super::parse::*;
    use super::*;
    use crate::diagnostic::Code;

    fn parse(source: &str) -> Result<LoadedDocument, Vec<Diagnostic>> {
        let path = Path::new("content/postmortems/x.md");
        parse_document(
            path,
            Kind::Postmortem,
            source,
            &markdown::Context::for_tests(path),
        )
    }

    /// Every error of a file, whether or not it still loaded.
    fn errors(source: &str) -> Vec<Diagnostic> {
        match parse(source) {
            Ok(loaded) => loaded.document.body.diagnostics,
            Err(errors) => errors,
        }
    }

    /// `(code, line)` of every error of a file.
    fn found(source: &str) -> Vec<(Code, usize)> {
        errors(source).iter().map(|d| (d.code, d.line)).collect()
    }

    const GOOD: &str = "+++\ntitle = \"T\"\ndate = 2020-01-02\nseverity = \"sev2\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2020-01-01T10:00:00Z\n+++\n\n## Summary\n\nText.\n";

    #[test]
    fn a_good_document_loads() {
        let loaded = parse(GOOD).unwrap();
        assert_eq!(loaded.document.title(), "T");
        assert_eq!(loaded.document.slug, "x");
        assert!(
            loaded
                .document
                .body
                .html
                .get()
                .contains("<h2 id=\"summary\">")
        );
    }

    #[test]
    fn a_misspelled_field_is_reported_on_its_line_with_a_hint() {
        let errors = errors(&GOOD.replace("services =", "servics ="));
        let [error] = errors.as_slice() else {
            panic!("one error, not {errors:?}")
        };
        assert_eq!(error.code, Code::UnknownField);
        assert_eq!(error.line, 5);
        assert_eq!(error.hint.as_deref(), Some("did you mean `services`?"));
    }

    #[test]
    fn a_toml_syntax_error_is_reported_at_its_line_in_the_file() {
        let errors = errors(&GOOD.replace("date = 2020-01-02", "date = = 2020"));
        assert_eq!(
            errors.iter().map(|e| (e.code, e.line)).collect::<Vec<_>>(),
            [(Code::TomlSyntax, 3)]
        );
    }

    #[test]
    fn every_front_matter_error_of_a_file_is_reported_in_one_run() {
        let source = GOOD
            .replace("date = 2020-01-02", "date = \"2020-01-02\"")
            .replace("severity =", "severty =")
            .replace("[incident]", "status = \"publishd\"\n[incident]");
        assert_eq!(
            found(&source),
            [
                (Code::WrongType, 3),
                (Code::UnknownField, 4),
                (Code::ValueNotAllowed, 7)
            ]
        );
        // The quoted date and the misspelled key are read as meant, so the document still
        // loads for the rules to look at, its errors with it.
        let quoted = GOOD.replace("date = 2020-01-02", "date = \"2020-01-02\"");
        let loaded = parse(&quoted).expect("loads with its error");
        assert_eq!(loaded.document.date().to_string(), "2020-01-02");
        let hint = loaded.document.body.diagnostics[0].hint.clone();
        assert_eq!(
            hint.as_deref(),
            Some("write `2020-01-02` without quotes: TOML dates and times are not strings")
        );
    }

    #[test]
    fn a_value_set_aside_does_not_also_count_as_missing() {
        let source = GOOD.replace("severity = \"sev2\"", "severity = 2").replace(
            "started = 2020-01-01T10:00:00Z",
            "started = 2020-01-01T10:00:00Z\nowner = 1",
        );
        assert_eq!(
            found(&source),
            [(Code::WrongType, 4), (Code::UnknownField, 9)]
        );
        assert!(
            parse(&source).is_err(),
            "a value set aside is not what was written"
        );
    }

    #[test]
    fn paths_are_ordered_from_their_bytes_as_by_their_components() {
        let paths = [
            "a",
            "a-b",
            "a.md",
            "a/b",
            "a/b-c.md",
            "a/b/c.md",
            "a/b.md",
            "ab/c",
            "b",
            "é/x.md",
            "e/x.md",
            "2024/x.md",
            "2024-notes.md",
            "2024.md",
            "2024/a/b.md",
        ];
        for a in paths {
            for b in paths {
                let (a, b) = (Path::new(a), Path::new(b));
                assert_eq!(component_order(a, b), a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }

    #[test]
    fn span_of_finds_nested_keys() {
        let loaded = parse(GOOD).unwrap();
        let span = loaded.front_matter.span_of(&["incident", "started"]);
        assert_eq!(&GOOD[span], "2020-01-01T10:00:00Z");
    }
}
