//! The load phase: walk an archive repository, read each content file, split its front matter,
//! deserialize it into the schema and analyse its Markdown body.
//!
//! Files are read and parsed in parallel. Nothing here stops at the first bad file: every
//! problem becomes a [`Diagnostic`] with the file and line, and the good files still load, so
//! that `check` can report a thousand broken files in one run.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use toml::de::{DeTable, DeValue};

use crate::cache::{BodyCache, HighlightCache};
use crate::config::{BASE_URL_HINT, CONFIG_FILE, Config, Edition, base_url_problem};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::document::{Document, Kind, Meta, Postmortem, Premortem};
use crate::markdown;
use crate::uptodate::Sources;

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

/// The front matter of a file and where it sits in the file.
///
/// Shared: `serve` hands every document's front matter to each linking, and copying 10,000
/// of them was a sixth of the time of a front-matter edit. A document whose file the build
/// did not read (its analysis was kept, see [`load_from`]) reads it only when
/// something asks, which is when a diagnostic points into it.
#[derive(Debug, Clone)]
pub struct FrontMatter(std::sync::Arc<LazyFrontMatter>);

#[derive(Debug)]
struct LazyFrontMatter {
    /// The file to read the front matter from, when it was not read with the document.
    file: Option<PathBuf>,
    /// The text, and its byte offset in the file.
    read: OnceLock<(String, usize)>,
}

/// A key path into front matter: `["incident", "started"]` or `["actions", "2", "kind"]`.
pub type KeyPath<'a> = &'a [&'a str];

impl FrontMatter {
    /// Front matter read with its file, at byte `offset` in it.
    fn read(text: &str, offset: usize) -> Self {
        FrontMatter(std::sync::Arc::new(LazyFrontMatter {
            file: None,
            read: OnceLock::from((text.to_string(), offset)),
        }))
    }

    /// The front matter of `file`, read from it on first use; empty when the file can no
    /// longer be read or split.
    fn unread(file: PathBuf) -> Self {
        FrontMatter(std::sync::Arc::new(LazyFrontMatter {
            file: Some(file),
            read: OnceLock::new(),
        }))
    }

    fn get(&self) -> &(String, usize) {
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

/// Reads the configuration and every content file under `root`.
///
/// Returns `Err` only when the archive cannot be read at all (the root is missing); every
/// problem with a file is a diagnostic in [`Loaded`].
pub fn load(options: &LoadOptions) -> Result<Loaded, String> {
    load_from(options, None)
}

/// [`load`], with the source files as a build's fingerprint found them: the files it did
/// not read, whose bodies are kept, are not read either.
pub fn load_from(options: &LoadOptions, sources: Option<&Sources>) -> Result<Loaded, String> {
    let root = &options.root;
    if !root.is_dir() {
        return Err(format!("{} is not a directory", root.display()));
    }
    let mut diagnostics = Vec::new();
    let (config, edition) = load_settings(options, &mut diagnostics);
    let files = content_files(root, &mut diagnostics);
    let bodies = crate::build::timed("load: open body cache", || {
        options
            .render_html
            .then(|| BodyCache::open(root, &config, edition))
            .flatten()
    });
    let without_highlights = FileContext {
        root,
        config: &config,
        edition,
        render_html: options.render_html,
        highlights: None,
        bodies: bodies.as_ref(),
        withheld_targets: None,
    };
    // First the documents whose files are as the last build read them, and whose bodies it
    // kept: they are not read at all.
    let unread: Vec<Option<LoadedDocument>> = files
        .par_iter()
        .map(|(_, path)| unread_document(&without_highlights, path, sources?))
        .collect();
    // Reading the highlighted code costs about what analysing a hundredth of the documents
    // does: a build that analyses fewer highlights their code afresh.
    let to_analyse = unread.iter().filter(|d| d.is_none()).count();
    let highlights = (options.render_html && to_analyse * 64 > files.len())
        .then(|| crate::build::timed("load: open highlight cache", || HighlightCache::open(root)));
    let load_one = |kind: Kind, path: &Path, withheld_targets: Option<&HashSet<PathBuf>>| {
        let context = FileContext {
            highlights: highlights.as_ref(),
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
    if edition == Edition::Public {
        // Which documents are internal is known only now: the few public ones linking to one
        // are rendered again, so that the link (and the page's URL) stays out of the edition.
        let internal: HashSet<PathBuf> = documents
            .iter()
            .filter(|d| d.document.is_internal())
            .map(|d| d.document.path.clone())
            .collect();
        let to_relink: Vec<usize> = documents
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                !d.document.is_internal()
                    && d.document
                        .body
                        .content_links
                        .iter()
                        .any(|link| internal.contains(&link.target))
            })
            .map(|(i, _)| i)
            .collect();
        let relinked: Vec<(usize, Result<LoadedDocument, Vec<Diagnostic>>)> = to_relink
            .into_par_iter()
            .map(|i| {
                let d = &documents[i].document;
                (i, load_one(d.kind(), &d.path, Some(&internal)))
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
    let took_bodies = bodies.is_some_and(|bodies| {
        let took = bodies.taken() > 0;
        let keyed = documents
            .iter()
            .filter_map(|d| Some((d.document.key?, (&d.document.meta, &d.document.body))));
        crate::build::timed("load: keep bodies", || bodies.save(root, keyed));
        took
    });
    if let Some(highlights) = highlights {
        highlights.save(root, !took_bodies);
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

/// The configuration with the command line's overrides applied, and the edition to build.
pub fn load_settings(
    options: &LoadOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Config, Edition) {
    let mut config = load_config(&options.root, diagnostics);
    let edition = options.edition.unwrap_or(config.edition);
    if let Some(problem) = options.base_url.as_deref().and_then(base_url_problem) {
        diagnostics.push(Diagnostic::file(
            Code::InvalidConfig,
            CONFIG_FILE,
            format!("--base-url: {problem}"),
        ));
    }
    if let Err(message) = config.settle_base_url(options.base_url.as_deref(), edition) {
        diagnostics.push(
            Diagnostic::file(Code::InvalidConfig, CONFIG_FILE, message).with_hint(BASE_URL_HINT),
        );
    }
    (config, edition)
}

/// What loading one file needs besides its path: the archive's settings for this build.
pub struct FileContext<'a> {
    pub root: &'a Path,
    pub config: &'a Config,
    pub edition: Edition,
    pub render_html: bool,
    pub highlights: Option<&'a HighlightCache>,
    /// Bodies analysed by earlier builds.
    pub bodies: Option<&'a BodyCache>,
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
/// (see [`Sources::unread`]), and its body is kept.
fn unread_document(
    context: &FileContext,
    path: &Path,
    sources: &Sources,
) -> Option<LoadedDocument> {
    let bodies = context.bodies?;
    let unread = sources
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

/// Reads `hindsight.toml`; a missing file means every default.
pub fn load_config(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Config {
    let path = root.join(CONFIG_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        if path.exists() {
            diagnostics.push(Diagnostic::file(
                Code::Unreadable,
                CONFIG_FILE,
                format!("{CONFIG_FILE} cannot be read as UTF-8 text"),
            ));
        }
        return Config::default();
    };
    match toml::from_str::<Config>(&text) {
        Ok(config) => {
            if let Some(problem) =
                base_url_problem(&config.base_url).filter(|_| !config.base_url.is_empty())
            {
                diagnostics.push(base_url_diagnostic(&text, problem));
            }
            // A setting that is refused is reported; the rest of the file still applies, so
            // that one mistake does not bring every unknown-service warning with it.
            diagnostics.extend(crate::config::problems(&config, &text));
            config
        }
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let (code, message, hint) = classify_toml_error(error.message(), CONFIG_KEYS);
            let mut diagnostic = Diagnostic::at(
                Code::InvalidConfig,
                CONFIG_FILE,
                &text,
                span,
                format!("{CONFIG_FILE}: {message}"),
            );
            diagnostic.hint = hint.or_else(|| {
                (code == Code::TomlSyntax).then(|| "fix the TOML syntax on this line".to_string())
            });
            diagnostics.push(diagnostic);
            Config::default()
        }
    }
}

/// A `base_url` in the file that cannot be used, pointed at on its line.
fn base_url_diagnostic(text: &str, problem: String) -> Diagnostic {
    let mut offset = 0;
    let mut span = 0..0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("base_url") {
            span = offset..offset + line.trim_end().len();
            break;
        }
        offset += line.len();
    }
    Diagnostic::at(
        Code::InvalidConfig,
        CONFIG_FILE,
        text,
        span,
        format!("{CONFIG_FILE}: base_url {problem}"),
    )
    .with_hint("write the address the site is published at, such as `base_url = \"https://postmortems.example.com/\"`")
}

const CONFIG_KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "repo_url",
    "repo_branch",
    "timezone",
    "edition",
    "theme",
    "severities",
    "services",
    "markdown",
    "check",
    "max_document_bytes",
    "paginate_by",
];

/// Every `.md` file under `content/postmortems/` and `content/premortems/`, sorted.
///
/// Symbolic links are not followed, so a link cannot pull in a file from outside the archive
/// or loop; each one to a document or a directory is reported.
pub fn content_files(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<(Kind, PathBuf)> {
    let mut files = Vec::new();
    for kind in [Kind::Postmortem, Kind::Premortem] {
        let dir = Path::new("content").join(kind.dir());
        for entry in walkdir::WalkDir::new(root.join(&dir)).follow_links(false) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    if error.io_error().map(|e| e.kind()) != Some(std::io::ErrorKind::NotFound) {
                        let path = error.path().unwrap_or(root);
                        diagnostics.push(Diagnostic::file(
                            Code::Unreadable,
                            relative(root, path),
                            format!("cannot read: {error}"),
                        ));
                    }
                    continue;
                }
            };
            let path = relative(root, entry.path());
            let is_markdown = path.extension().is_some_and(|e| e == "md");
            if entry.path_is_symlink() {
                // A link to a document or a directory would silently lose documents; a link
                // that loops or cannot be resolved is worth knowing about too. A link to some
                // other file is simply not content.
                let target = std::fs::metadata(entry.path());
                let what = match &target {
                    _ if is_markdown => Some("this file is a symbolic link"),
                    Ok(meta) if meta.is_dir() => Some("this directory is a symbolic link"),
                    Ok(_) => None,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(_) => Some("this symbolic link cannot be resolved (does it loop?)"),
                };
                if let Some(what) = what {
                    diagnostics.push(
                        Diagnostic::file(
                            Code::UnsafePath,
                            path,
                            format!("{what}; links are not followed, so nothing outside the archive is read"),
                        )
                        .with_hint("replace the link with the file or directory itself"),
                    );
                }
                continue;
            }
            if entry.file_type().is_file() {
                match is_markdown {
                    true => files.push((kind, path)),
                    false => diagnostics.extend(not_a_document(&path)),
                }
            }
        }
    }
    diagnostics.extend(outside_the_document_folders(root));
    // Sorted once here rather than by the walk, which compares file names it parses out of
    // each path again at every comparison (a fifth of listing 100,000 files). In the order
    // of paths compared component by component, so that of a walk sorted by name.
    files.sort_unstable_by(|(a_kind, a), (b_kind, b)| {
        a_kind.cmp(b_kind).then_with(|| component_order(a, b))
    });
    files
}

/// The warning for a file in a document folder that is not read, unless it is hidden (such
/// as `.gitkeep`): a document saved as `.MD` or `.markdown` would otherwise be lost without
/// a word.
fn not_a_document(path: &Path) -> Option<Diagnostic> {
    let name = path.file_name()?.to_string_lossy();
    if name.starts_with('.') {
        return None;
    }
    let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    let (message, hint) = match extension.as_deref() {
        Some("md" | "markdown" | "mdown" | "mkd") => (
            "this file is not read: only files ending in `.md` (lower case) are documents",
            format!(
                "rename it to `{}.md`",
                path.file_stem()?.to_string_lossy()
            ),
        ),
        _ => (
            "this file is not read: only `.md` files in content/ are documents",
            "if it is a document, give it the `.md` extension; if it is an image or an attachment, keep it elsewhere and link to it by its full URL".to_string(),
        ),
    };
    Some(Diagnostic::file(Code::NotADocument, path, message).with_hint(hint))
}

/// Warnings for what sits in content/ outside content/postmortems/ and content/premortems/,
/// where nothing is read.
fn outside_the_document_folders(root: &Path) -> Vec<Diagnostic> {
    let Ok(entries) = std::fs::read_dir(root.join("content")) else {
        return Vec::new();
    };
    let mut found: Vec<Diagnostic> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.')
                && name != Kind::Postmortem.dir()
                && name != Kind::Premortem.dir()
        })
        .map(|entry| {
            let path = Path::new("content").join(entry.file_name());
            Diagnostic::file(
                Code::NotADocument,
                path,
                "nothing here is read: documents go in content/postmortems/ or content/premortems/",
            )
            .with_hint(
                "move postmortems to content/postmortems/ and premortems to content/premortems/",
            )
        })
        .collect();
    found.sort_by(|a, b| a.file.cmp(&b.file));
    found
}

/// The order of `Path`'s own comparison, component by component, from the paths' bytes: a
/// separator sorts before any other byte, as a shorter name before a longer one it begins.
/// `Path` parses the components out of both paths at every comparison, which was 4% of a
/// build of 10,000 postmortems that changed one file.
fn component_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    fn bytes(path: &Path) -> impl Iterator<Item = u8> + '_ {
        let bytes = path.as_os_str().as_encoded_bytes().iter();
        bytes.map(|&byte| match std::path::is_separator(char::from(byte)) {
            true => 0,
            false => byte,
        })
    }
    bytes(a).cmp(bytes(b))
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Reads, splits and deserializes one file.
pub fn load_document(
    root: &Path,
    path: &Path,
    kind: Kind,
    config: &Config,
    context: &markdown::Context,
    bodies: Option<&BodyCache>,
) -> Result<LoadedDocument, Vec<Diagnostic>> {
    let (bytes, file) = read_limited(&root.join(path), config.max_document_bytes)
        .map_err(|(code, message)| vec![Diagnostic::file(code, path, message)])?;
    let source = String::from_utf8(bytes)
        .map_err(|error| {
            let offset = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            Diagnostic::at(
                Code::NotUtf8,
                path,
                &text,
                offset..offset + 1,
                "this file is not valid UTF-8",
            )
            .with_hint("save the file as UTF-8")
        })
        .map_err(|diagnostic| vec![diagnostic])?;
    let key =
        bodies.and_then(|bodies| Some((bodies, bodies.key_of_read(&source, &file, context)?)));
    let Some((bodies, key)) = key else {
        return parse_document(path, kind, &source, context);
    };
    let mut loaded = parse_with(path, &source, |front_matter, body| match bodies.take(key) {
        Some(kept) => Ok(kept),
        None => {
            let (meta, errors) = parse_meta(path, kind, &source, front_matter)?;
            Ok(with_errors(
                meta,
                markdown::analyze(&source, body, context),
                errors,
            ))
        }
    })?;
    // A body with problems is analysed again each time, so that they are reported each time.
    loaded.document.key = loaded.document.body.diagnostics.is_empty().then_some(key);
    Ok(loaded)
}

/// Reads a file, refusing one larger than `limit` bytes before reading it; its bytes, and
/// its metadata as it was opened.
fn read_limited(path: &Path, limit: u64) -> Result<(Vec<u8>, std::fs::Metadata), (Code, String)> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| (Code::Unreadable, format!("cannot read the file: {e}"));
    // The size of the open file, not of the path: one lookup of the path instead of three.
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    let size = meta.len();
    if size > limit {
        return Err((
            Code::TooLarge,
            format!("the file is {size} bytes, over the limit of {limit} bytes"),
        ));
    }
    // A file that grew since is read only up to the limit, and then refused below.
    let mut bytes = Vec::with_capacity(size as usize);
    file.by_ref()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err((
            Code::TooLarge,
            format!("the file grew past the limit of {limit} bytes while it was read"),
        ));
    }
    Ok((bytes, meta))
}

/// Splits and deserializes a document held in memory.
pub fn parse_document(
    path: &Path,
    kind: Kind,
    source: &str,
    context: &markdown::Context,
) -> Result<LoadedDocument, Vec<Diagnostic>> {
    parse_with(path, source, |front_matter, body| {
        let (meta, errors) = parse_meta(path, kind, source, front_matter)?;
        Ok(with_errors(
            meta,
            markdown::analyze(source, body, context),
            errors,
        ))
    })
}

/// A document's front matter and body, with the front-matter errors that did not stop it
/// from loading carried by the body, as its own problems are: they are reported with the
/// file's, and the body is analysed again each time, so that they are reported each time.
fn with_errors(
    meta: Meta,
    mut body: markdown::Body,
    mut errors: Vec<Diagnostic>,
) -> (Meta, markdown::Body) {
    body.diagnostics.append(&mut errors);
    (meta, body)
}

/// Splits a document and makes its front matter and body with `made`, from the front matter
/// and the byte range of the body.
fn parse_with(
    path: &Path,
    source: &str,
    made: impl FnOnce(&FrontMatter, Range<usize>) -> Result<(Meta, markdown::Body), Vec<Diagnostic>>,
) -> Result<LoadedDocument, Vec<Diagnostic>> {
    let split = split_front_matter(source).map_err(|(code, span, message, hint)| {
        vec![Diagnostic::at(code, path, source, span, message).with_hint(hint)]
    })?;
    let front_matter = FrontMatter::read(
        &source[split.front_matter.clone()],
        split.front_matter.start,
    );
    let (meta, body) = made(&front_matter, split.body)?;
    Ok(LoadedDocument {
        document: document(path, meta, body),
        front_matter,
    })
}

/// The document of the file at `path`, with its front matter and body.
fn document(path: &Path, meta: Meta, body: markdown::Body) -> Document {
    let slug = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Document {
        slug,
        path: path.to_path_buf(),
        meta,
        body,
        timeline: Default::default(),
        key: None,
    }
}

/// Deserializes a document's front matter, field by field: every error of it, and the
/// document when what was written could still be read (see [`crate::field_errors`]).
fn parse_meta(
    path: &Path,
    kind: Kind,
    source: &str,
    front_matter: &FrontMatter,
) -> Result<(Meta, Vec<Diagnostic>), Vec<Diagnostic>> {
    let located = |error: &toml::de::Error, keys: &[&str]| {
        let span = error.span().unwrap_or(0..0);
        let offset = front_matter.offset();
        let span = span.start + offset..span.end + offset;
        let (code, message, hint) = classify_toml_error(error.message(), keys);
        let mut diagnostic = Diagnostic::at(code, path, source, span, message);
        diagnostic.hint = hint;
        diagnostic
    };
    let table = DeTable::parse(front_matter.text()).map_err(|e| vec![located(&e, &[])])?;
    let (meta, errors, keys) = match kind {
        Kind::Postmortem => {
            let collected = crate::field_errors::deserialize::<Postmortem>(table);
            let meta = collected.value.map(|p| Meta::Postmortem(Box::new(p)));
            (meta, collected.errors, POSTMORTEM_KEYS)
        }
        Kind::Premortem => {
            let collected = crate::field_errors::deserialize::<Premortem>(table);
            let meta = collected.value.map(|p| Meta::Premortem(Box::new(p)));
            (meta, collected.errors, PREMORTEM_KEYS)
        }
    };
    let mut diagnostics: Vec<Diagnostic> = errors
        .iter()
        .map(|(error, hint)| {
            let mut diagnostic = located(error, keys);
            if hint.is_some() {
                diagnostic.hint = hint.clone();
            }
            diagnostic
        })
        .collect();
    Diagnostic::sort(&mut diagnostics);
    match meta {
        Some(meta) => Ok((meta, diagnostics)),
        None => Err(diagnostics),
    }
}

const POSTMORTEM_KEYS: &[&str] = &[
    "title",
    "date",
    "summary",
    "authors",
    "status",
    "severity",
    "services",
    "tags",
    "visibility",
    "premortems",
    "related",
    "incident",
    "actions",
    "extra",
    "started",
    "detected",
    "mitigated",
    "resolved",
    "owner",
    "kind",
    "link",
    "due",
];

const PREMORTEM_KEYS: &[&str] = &[
    "title",
    "date",
    "summary",
    "authors",
    "status",
    "services",
    "tags",
    "visibility",
    "risks",
    "extra",
    "id",
    "likelihood",
    "impact",
    "mitigation",
    "owner",
];

struct Split {
    front_matter: Range<usize>,
    body: Range<usize>,
}

type SplitError = (Code, Range<usize>, String, String);

/// Finds the front matter between the `+++` lines at the top of a file.
fn split_front_matter(source: &str) -> Result<Split, SplitError> {
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

/// Sorts a TOML or serde error into a diagnostic code, a message and a hint.
///
/// serde's messages are stable in shape (`unknown field `x`, expected one of ...`), which is
/// what lets a did-you-mean hint be given for a misspelled key.
fn classify_toml_error(message: &str, keys: &[&str]) -> (Code, String, Option<String>) {
    let message = message.trim().to_string();
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_string);
    if message.starts_with("missing field") {
        let field = quoted(&message).unwrap_or_default();
        return (
            Code::MissingField,
            format!("the required field `{field}` is missing"),
            Some(format!("add `{field} = ...` to the front matter")),
        );
    }
    if message.starts_with("unknown field") {
        let field = quoted(&message).unwrap_or_default();
        let expected: Vec<&str> = message
            .split("expected")
            .nth(1)
            .map(|rest| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let candidates = if expected.is_empty() {
            keys.to_vec()
        } else {
            expected
        };
        let hint = match did_you_mean(&field, candidates.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("the known fields here are: {}", candidates.join(", ")),
        };
        return (
            Code::UnknownField,
            format!("unknown field `{field}`"),
            Some(hint),
        );
    }
    if message.starts_with("unknown variant") {
        let value = quoted(&message).unwrap_or_default();
        let expected: Vec<&str> = message
            .split("expected")
            .nth(1)
            .map(|rest| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let hint = match did_you_mean(&value, expected.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("use one of: {}", expected.join(", ")),
        };
        return (
            Code::ValueNotAllowed,
            format!("`{value}` is not an allowed value here"),
            Some(hint),
        );
    }
    if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
        || message.starts_with("expected a date")
        || message.contains("has no time zone")
        || message.contains("is not a")
    {
        return (Code::WrongType, message, None);
    }
    (Code::TomlSyntax, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

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
