//! The render phase: the linked [`Archive`] becomes a [`Site`], a map from output paths to
//! bytes. Every page is a pure function of the archive, rendered in parallel.

mod actions;
pub mod charts;
mod data;
pub mod feeds;
mod key_bytes;
mod outputs;
mod pages;
mod paginate;
pub mod search;
mod stats;
mod timeline;
pub mod views;

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::archive::Archive;
use crate::diagnostic::Diagnostic;
use crate::theme::{Theme, template_error};
use crate::timing::timed;
use views::Views;

pub use crate::digest::hash_parts;
pub use pages::{PageKind, all as all_pages, neighbouring_postmortems};

/// The generated site: output path (relative, `/`-separated) to content.
#[derive(Debug, Default)]
pub struct Site {
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

/// One page to render: where it goes, with which template, and what the template sees.
pub struct Page<'a> {
    /// The site path, such as `/postmortems/x/` or `/404.html`.
    pub path: String,
    pub template: &'static str,
    view: Box<dyn View + 'a>,
}

/// A page's view, of whatever type its builder made: hashed when a build may keep the page,
/// turned into a Tera context only when it renders. A view that cannot be turned into one
/// stops the build naming its page, rather than rendering the template with nothing.
trait View: Send {
    fn key(&self) -> u64;
    fn into_context(self: Box<Self>) -> tera::Result<tera::Context>;
}

impl<V: Serialize + Send> View for V {
    fn key(&self) -> u64 {
        key_of(self)
    }

    fn into_context(self: Box<Self>) -> tera::Result<tera::Context> {
        tera::Context::from_serialize(*self)
    }
}

/// A view finished only when its page renders: `finish` adds what is costly to make (a body
/// unpacked from its packed HTML), and the key hashes `view` with `made_from`, a hash of what
/// `finish` reads. A page kept by its key never pays for it.
struct Deferred<V, F> {
    view: V,
    made_from: u64,
    finish: F,
}

impl<V: Serialize + Send, F: FnOnce(&mut V) + Send> View for Deferred<V, F> {
    fn key(&self) -> u64 {
        key_of(&(&self.view, self.made_from))
    }

    fn into_context(self: Box<Self>) -> tera::Result<tera::Context> {
        let Deferred {
            mut view, finish, ..
        } = *self;
        finish(&mut view);
        tera::Context::from_serialize(view)
    }
}

impl<'a> Page<'a> {
    /// A page whose view `finish` completes when it renders (see [`Deferred`]).
    pub fn deferred<V: Serialize + Send + 'a>(
        path: impl Into<String>,
        template: &'static str,
        view: V,
        made_from: u64,
        finish: impl FnOnce(&mut V) + Send + 'a,
    ) -> Self {
        Page {
            path: path.into(),
            template,
            view: Box::new(Deferred {
                view,
                made_from,
                finish,
            }),
        }
    }

    pub fn new(
        path: impl Into<String>,
        template: &'static str,
        view: impl Serialize + Send + 'a,
    ) -> Self {
        Page {
            path: path.into(),
            template,
            view: Box::new(view),
        }
    }

    /// What the page's HTML is made from, hashed: the same key renders the same bytes as long
    /// as the templates and the program are the same.
    fn key(&self, site_key: u64) -> u64 {
        let mut hasher = DefaultHasher::new();
        (site_key, self.view.key(), self.template, &self.path).hash(&mut hasher);
        hasher.finish()
    }

    /// The file a site path is written to: directories get an `index.html`.
    pub fn output_path(&self) -> PathBuf {
        output_path(&self.path)
    }
}

/// The file a site path is written to: directories get an `index.html`.
pub fn output_path(site_path: &str) -> PathBuf {
    let relative = site_path.trim_start_matches('/');
    if relative.is_empty() || relative.ends_with('/') {
        PathBuf::from(format!("{relative}index.html"))
    } else {
        PathBuf::from(relative)
    }
}

/// A hash of a value's bytes as [`key_bytes`] writes them, with XXH3 (SipHash was an eighth
/// of a key's cost; writing the bytes is most of the rest).
fn key_of(value: &impl Serialize) -> u64 {
    thread_local! {
        /// The bytes being hashed, kept for the next page: hashing the serializer's many
        /// small writes one by one cost more than making the whole page's view.
        static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BYTES.with_borrow_mut(|bytes| {
        bytes.clear();
        // A view that cannot be serialized renders as an empty context; its key says so.
        let _ = key_bytes::write(value, bytes);
        xxhash_rust::xxh3::xxh3_64(bytes)
    })
}

/// A hash standing for everything a document's file says: its key where it has one (see
/// [`crate::document::Document::key`]), else its front matter, written out.
pub fn file_key(d: &crate::document::Document) -> u64 {
    d.key.unwrap_or_else(|| key_of(&d.meta))
}

/// HTML a view carries whole (a body, a timeline as written): the page's context gets the
/// text, and the page's key only the text's hash. Bodies are most of a postmortem view's
/// bytes, and escaping them into JSON only to hash them was nearly half of the key's cost.
pub struct Markup(pub String);

impl Serialize for Markup {
    /// The text, to a template's context; its XXH3, to the key writer, the one compact
    /// serializer a view meets (see [`key_bytes`]).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serializer.is_human_readable() {
            true => serializer.serialize_str(&self.0),
            false => serializer.serialize_u64(xxhash_rust::xxh3::xxh3_64(self.0.as_bytes())),
        }
    }
}

/// Asked with each page's output file and key: whether the output already holds that page
/// as a page of this key rendered it, with the same program and templates, in which case it
/// is kept without rendering.
pub type Reuse<'a> = dyn Fn(&Path, u64) -> bool + Sync + 'a;

/// Nothing to reuse: every page is rendered.
pub const RENDER_ALL: &Reuse<'static> = &|_, _| false;

/// What [`render_each`] made.
pub struct Rendered {
    /// How many files the site has, kept pages included.
    pub files: usize,
    /// Every page's output file and key, for the next build's [`Reuse`].
    pub page_keys: Vec<(PathBuf, u64)>,
}

/// Renders every page, asset and data file of the site into memory.
pub fn render(archive: &Archive, theme: &Theme) -> Result<Site, Diagnostic> {
    let files = std::sync::Mutex::new(BTreeMap::new());
    render_each(archive, theme, RENDER_ALL, None, |path, parts| {
        files
            .lock()
            .expect("no thread panics while holding the site")
            .insert(path.to_path_buf(), parts.concat());
        Ok::<(), std::convert::Infallible>(())
    })
    .map_err(|stop| match stop {
        Stop::Render(diagnostic) => diagnostic,
        Stop::Emit(never) => match never {},
    })?;
    Ok(Site {
        files: files
            .into_inner()
            .expect("no thread panics while holding the site"),
    })
}

/// Why [`render_each`] stopped: a template failed, or `emit` did.
#[derive(Debug)]
pub enum Stop<E> {
    Render(Diagnostic),
    Emit(E),
}

/// What render takes from the last build of the edition, besides the files the output
/// holds (see [`Reuse`]), and keeps for the next: what it made from each document, by the
/// document's key ([`crate::document::Document::key`]). The driver hands it in (see
/// `src/incremental/`); render never opens what is kept.
pub trait Memory: Sync {
    /// The search postings the last build made.
    fn last_postings(&self) -> Option<search::Postings>;
    /// Keeps this build's search postings.
    fn keep_postings(&self, postings: &search::Postings);
    /// The digest of each document's entry in `archive.json`, by the entry's key.
    fn last_entry_digests(&self) -> Option<Vec<(u64, u64)>>;
    /// Keeps the digest of each document's entry, by the entry's key.
    fn keep_entry_digests(&self, digests: &[(u64, u64)]);
    /// The entries of `archive.json` the last build made, read where they lie.
    fn last_entries(&self) -> Option<Box<dyn KeptEntries + '_>>;
    /// Keeps each document's entry of `archive.json`, by the entry's key.
    fn keep_entries(&self, entries: &[(u64, &str)]);
}

/// Entries of `archive.json` kept by a build, borrowed from where they were read: the entries
/// of 10,000 postmortems are tens of megabytes, and copying each out took longer than reading.
pub trait KeptEntries {
    /// Each entry by its key; `None` when they cannot be read.
    fn entries(&self) -> Option<Vec<(u64, &str)>>;
}

/// Renders every page, asset and data file of the site, handing each to `emit` as soon as it
/// is made, so that a build writes pages as they render instead of holding the whole site in
/// memory. A page that `reuse` keeps is not rendered, nor emitted; what is made from each
/// document is taken from `kept`, and kept there (see [`render_files`]).
pub fn render_each<E: Send>(
    archive: &Archive,
    theme: &Theme,
    reuse: &Reuse<'_>,
    kept: Option<&dyn Memory>,
    emit: impl Fn(&Path, &[&[u8]]) -> Result<(), E> + Sync,
) -> Result<Rendered, Stop<E>> {
    let mut views = Views::new(archive, theme);
    timed("summaries", || views.make_all_summaries());
    let site_view = site_context(&views).map_err(Stop::Render)?;
    let site_key = key_of(&views.site());
    let outputs = outputs::Outputs::default();
    let pages: Vec<(String, PathBuf, u64)> = timed("pages", || {
        pages::all(&views)
            .par_iter()
            .map(|kind| {
                let page = pages::build(kind, &views);
                let key = page.key(site_key);
                let output = page.output_path();
                outputs
                    .claim(&output, || outputs::page_source(kind, archive))
                    .map_err(Stop::Render)?;
                if reuse(&output, key) {
                    return Ok((page.path, output, key));
                }
                let page = render_built(page, theme, &site_view).map_err(Stop::Render)?;
                emit(&page.output, &[&page.html]).map_err(Stop::Emit)?;
                Ok((page.path, page.output, key))
            })
            .collect::<Result<_, Stop<E>>>()
    })?;
    views.forget_rows();
    let (page_paths, mut page_keys): (Vec<String>, Vec<(PathBuf, u64)>) = pages
        .into_iter()
        .map(|(path, output, key)| (path, (output, key)))
        .unzip();
    let files = AtomicUsize::new(0);
    let keyed = render_files(&views, theme, &page_paths, reuse, kept, &|path, parts| {
        outputs
            .claim(path, || outputs::file_source(path, theme))
            .map_err(Stop::Render)?;
        files.fetch_add(1, Ordering::Relaxed);
        emit(path, parts).map_err(Stop::Emit)
    })?;
    page_keys.extend(keyed.keys);
    Ok(Rendered {
        // A kept file is not emitted, but is part of the site all the same.
        files: page_paths.len() + files.into_inner() + keyed.kept,
        page_keys,
    })
}

/// Where files go as they are made: a build writes each into the staging folder at once,
/// serve keeps them in memory. An error stops the rendering.
///
/// A file is handed over as its bytes in parts, one after the other: most files are one
/// part, and `archive.json` is its entries, never copied into one buffer.
pub type Emit<'a, E> = dyn Fn(&Path, &[&[u8]]) -> Result<(), E> + Sync + 'a;

/// What every page's template sees besides its own view.
fn site_context(views: &Views) -> Result<tera::Context, Diagnostic> {
    tera::Context::from_serialize(serde_json::json!({ "site": views.site() }))
        .map_err(|e| template_error(&e))
}

/// Builds one page's view and renders it with its template.
fn render_page(
    kind: &PageKind,
    views: &Views,
    theme: &Theme,
    site_view: &tera::Context,
) -> Result<RenderedPage, Diagnostic> {
    render_built(pages::build(kind, views), theme, site_view)
}

/// Renders a page whose view is built.
fn render_built(
    page: Page,
    theme: &Theme,
    site_view: &tera::Context,
) -> Result<RenderedPage, Diagnostic> {
    let output = page.output_path();
    let Page {
        path,
        template,
        view,
    } = page;
    let mut context = view.into_context().map_err(|e| {
        let mut d = template_error(&e);
        d.message = format!("making the view of {path} for {template}: {}", d.message);
        d.hint = Some("a page's view that cannot be made is a bug in hindsight: please report it with this message".to_string());
        d
    })?;
    context.extend(site_view.clone());
    context.insert("page_path", &path);
    match theme.templates.render(template, &context) {
        Ok(html) => Ok(RenderedPage {
            output,
            path,
            html: html.into_bytes(),
        }),
        Err(e) => {
            let mut d = template_error(&e);
            d.message = format!("rendering {path}: {}", d.message);
            Err(d)
        }
    }
}

/// A page rendered to HTML.
pub struct RenderedPage {
    /// The site path, such as `/postmortems/x/`.
    pub path: String,
    /// The file it is written to, such as `postmortems/x/index.html`.
    pub output: PathBuf,
    pub html: Vec<u8>,
}

/// Renders the given pages, in parallel.
///
/// `serve` calls this with only the pages an edit can change, so one render loop serves both
/// the full build and the incremental one.
pub fn render_pages(
    views: &Views,
    theme: &Theme,
    kinds: &[PageKind],
) -> Result<Vec<RenderedPage>, Diagnostic> {
    let site_view = site_context(views)?;
    kinds
        .par_iter()
        .map(|kind| render_page(kind, views, theme, &site_view))
        .collect()
}

/// Every output that is not a page: the theme's static files, the highlighting stylesheet,
/// the feeds, the JSON data, the search index and the sitemap (of `page_paths`, the site
/// path of every page), each handed to `emit` as soon as it is made: together they are
/// hundreds of megabytes on a large archive, never held at once.
///
/// `serve` makes all of these again after each edit, so a site-wide output belongs here, not
/// in [`render`].
///
/// Feeds, postmortems' JSON and search files are kept like pages when `reuse` says their key is the recorded
/// one; their keys are returned, for the next build's [`Reuse`]. The search postings and
/// the entries of `archive.json` are made from those `kept`, when given, and kept there for
/// the next build.
pub fn render_files<E: Send>(
    views: &Views,
    theme: &Theme,
    page_paths: &[String],
    reuse: &Reuse<'_>,
    kept: Option<&dyn Memory>,
    emit: &Emit<'_, E>,
) -> Result<KeyedFiles, E> {
    for (path, bytes) in &theme.assets {
        emit(path, &[bytes])?;
    }
    emit(
        Path::new("highlight.css"),
        &[crate::highlight::stylesheet().as_bytes()],
    )?;
    let mut keys = timed("files: feeds", || feeds::all(views, reuse, emit))?;
    // `archive.json` is written on one thread: the search files are made beside it.
    let (data, search) = rayon::join(
        || timed("files: data", || data::all(views, reuse, kept, emit)),
        || {
            timed("files: search", || {
                search::files(views.archive, views, reuse, kept, emit)
            })
        },
    );
    keys.extend(data?);
    keys.extend(search?);
    let directories: Vec<String> = page_paths
        .iter()
        .filter(|path| path.ends_with('/'))
        .cloned()
        .collect();
    emit(
        Path::new("sitemap.xml"),
        &[&feeds::sitemap(views, &directories)],
    )?;
    Ok(keys)
}

/// The files [`render_files`] makes like pages, by key: every one's output path and key,
/// and how many of them `reuse` kept.
#[derive(Default)]
pub struct KeyedFiles {
    pub keys: Vec<(PathBuf, u64)>,
    pub kept: usize,
}

impl KeyedFiles {
    fn extend(&mut self, other: KeyedFiles) {
        self.keys.extend(other.keys);
        self.kept += other.kept;
    }
}

/// One file made like a page, by [`keyed`]: its output, its key, and whether it was kept.
pub struct KeyedFile(PathBuf, u64, bool);

impl FromIterator<KeyedFile> for KeyedFiles {
    fn from_iter<I: IntoIterator<Item = KeyedFile>>(files: I) -> Self {
        let mut keyed = KeyedFiles::default();
        for KeyedFile(output, key, kept) in files {
            keyed.kept += usize::from(kept);
            keyed.keys.push((output, key));
        }
        keyed
    }
}

/// A file that is not a page, made like one: kept when `reuse` says the output holds it as
/// `key` made it, otherwise made by `make` and handed to `emit`. `key` must hash everything
/// `make` reads.
pub fn keyed<E>(
    output: PathBuf,
    key: u64,
    reuse: &Reuse<'_>,
    emit: &Emit<'_, E>,
    make: impl FnOnce() -> Vec<u8>,
) -> Result<KeyedFile, E> {
    keyed_with(output, key, reuse, |output| emit(output, &[&make()]))
}

/// [`keyed`] for a file that `write` makes and hands to `emit` itself, when it is not kept.
pub fn keyed_with<E>(
    output: PathBuf,
    key: u64,
    reuse: &Reuse<'_>,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<KeyedFile, E> {
    let kept = reuse(&output, key);
    if !kept {
        write(&output)?;
    }
    Ok(KeyedFile(output, key, kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Shown {
        body: Markup,
    }

    #[test]
    fn markup_is_text_in_a_context_and_its_digest_in_a_key() {
        let shown = |body: &str| Shown {
            body: Markup(body.to_string()),
        };
        let context = tera::Context::from_serialize(shown("<p>outage</p>")).unwrap();
        assert_eq!(
            context.get("body").and_then(|v| v.as_str()),
            Some("<p>outage</p>")
        );
        let mut written = Vec::new();
        key_bytes::write(&shown("<p>outage</p>"), &mut written).unwrap();
        let text = b"<p>outage</p>";
        assert!(!written.windows(text.len()).any(|w| w == text));
        assert_ne!(
            key_of(&shown("<p>outage</p>")),
            key_of(&shown("<p>outages</p>"))
        );
        assert_eq!(
            key_of(&shown("<p>outage</p>")),
            key_of(&shown("<p>outage</p>"))
        );
    }

    /// A view Tera cannot take (anything but a map) stops the page with an error naming it,
    /// instead of rendering its template with an empty context.
    #[test]
    fn a_view_that_cannot_be_made_is_an_error_naming_its_page() {
        let root = tempfile::tempdir().unwrap();
        let theme = crate::theme::load(root.path(), None).unwrap();
        let page = Page::new("/broken/", "404.html", [1, 2, 3]);
        let error = match render_built(page, &theme, &tera::Context::new()) {
            Ok(_) => panic!("a page rendered from a view that is not a map"),
            Err(error) => error,
        };
        assert_eq!(error.code, crate::diagnostic::Code::Template);
        assert!(
            error
                .message
                .contains("making the view of /broken/ for 404.html"),
            "{}",
            error.message
        );
    }
}
