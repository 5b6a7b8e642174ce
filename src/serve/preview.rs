//! The incremental build behind `serve`: the same load → link → render phases as `build`,
//! with what each phase produced kept in memory between rebuilds, done in two steps so that
//! the writer sees the edited page first.
//!
//! - load: each content file's result is kept, keyed by its path, modification time and
//!   length; a rebuild re-reads only the files whose stamp changed.
//! - link: an edit of bodies alone swaps the new documents into the last good archive; any
//!   other edit links every document again.
//! - step one ([`Preview::rebuild`]): the edited documents' own pages, over the last good
//!   site.
//! - step two ([`Preview::finish`]): the other pages that can show the edit (related and
//!   realized documents, services and tags, listings when a front matter changed), then the
//!   site-wide files (feeds, JSON, search index, sitemap). It stops when a new edit is
//!   queued, and what it left is carried into the next rebuild.
//!
//! A rebuild whose archive has errors keeps the last good site; the edits it saw stay pending
//! until a rebuild succeeds, so a fix re-renders everything touched in between.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rayon::prelude::*;

use crate::archive::{self, Archive, DocId, LinkOptions};
use crate::cache::{BodyCache, HighlightCache};
use crate::check;
use crate::config::{Config, Edition};
use crate::diagnostic::{Code, Diagnostic};
use crate::document::{Document, Kind};
use crate::load::{self, FrontMatter, LoadOptions, Loaded, LoadedDocument};
use crate::render::views::{Summaries, Views};
use crate::render::{self, PageKind};
use crate::theme::{self, Theme};

/// The files of the site as served: output path to content, shared between the server's
/// threads and the next rebuild (which reuses the pages that did not change).
pub type Files = HashMap<PathBuf, Arc<Vec<u8>>>;

/// What changed on disk since the last rebuild, by the kind of work it calls for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// `hindsight.toml`: every file is loaded again, since Markdown output depends on it.
    pub config: bool,
    /// `templates/`, `themes/` or `static/`: the theme is loaded again and every page rendered.
    pub theme: bool,
    /// Content files (relative to the root) that were written, created or removed.
    pub content_files: BTreeSet<PathBuf>,
    /// Something under `content/` that is not one file (a folder moved, an event lost): the
    /// content files are listed and stamped again.
    pub rescan: bool,
}

impl Changes {
    /// Everything, as for the first build.
    pub fn everything() -> Changes {
        Changes {
            config: true,
            theme: true,
            content_files: BTreeSet::new(),
            rescan: true,
        }
    }

    /// Adds the changes of `other`, seen later.
    pub fn merge(&mut self, other: Changes) {
        self.config |= other.config;
        self.theme |= other.theme;
        self.rescan |= other.rescan;
        self.content_files.extend(other.content_files);
    }

    pub fn any(&self) -> bool {
        self.config || self.theme || self.rescan || !self.content_files.is_empty()
    }

    /// Adds the kind of change a path (relative to the archive `root`) stands for.
    pub fn add(&mut self, root: &Path, relative: &Path) {
        let mut components = relative.components();
        let first = components.next().map(|c| c.as_os_str().to_string_lossy());
        match first.as_deref() {
            Some(crate::config::CONFIG_FILE) if components.next().is_none() => self.config = true,
            Some("templates" | "themes" | "static") => self.theme = true,
            Some("content") => {
                let is_markdown = relative.extension().is_some_and(|e| e == "md");
                let metadata = std::fs::symlink_metadata(root.join(relative));
                match metadata {
                    Ok(meta) if meta.is_file() && is_markdown => {
                        self.content_files.insert(relative.to_path_buf());
                    }
                    Err(_) if is_markdown => {
                        self.content_files.insert(relative.to_path_buf());
                    }
                    // Another kind of file (an editor's swap file) is not content.
                    Ok(meta) if meta.is_file() => {}
                    // A folder or a link, or something gone that may have been a folder.
                    _ => self.rescan = true,
                }
            }
            _ => {}
        }
    }
}

/// When a file was last changed, as far as the cache can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}

/// One content file's load result, with the stamp of the file it was read from.
struct CachedFile {
    stamp: Option<Stamp>,
    result: Result<Parsed, Diagnostic>,
    /// What the Markdown pass found in the body and what the check rules found in the
    /// document (reported on every rebuild, as `check` would report them).
    notes: Vec<Diagnostic>,
}

/// A document that loaded. The document itself is lent to the archive during a rebuild and
/// given back after it, so that linking 10,000 documents moves them instead of copying them.
struct Parsed {
    document: Option<Document>,
    front_matter: FrontMatter,
}

/// A document's identity across rebuilds (ids change as documents are added or re-dated).
type DocKey = (Kind, String);

/// A page's identity across rebuilds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PageKey {
    Document(DocKey),
    /// A page of a service's index, by the service's id and the page's number.
    Service(String, usize),
    /// A page of a tag's index.
    Tag(String, usize),
    /// The home page, the indexes, the statistics, the action items and the 404 page: made
    /// from documents' front matter only.
    Listing(PageKind),
    /// Any other page: always rendered again.
    Other,
}

/// Where a document shows besides its own page.
#[derive(Debug, Default)]
struct Footprint {
    /// The documents whose pages show it (itself included): related postmortems in both
    /// directions, the premortems whose risks it realized, the postmortems that realized it.
    documents: Vec<DocKey>,
    /// The service and tag pages that list it.
    services: Vec<String>,
    tags: Vec<String>,
}

/// The last site that built without errors.
struct Good {
    files: Arc<Files>,
    /// The site path and output file of each page that may be reused.
    pages: HashMap<PageKey, (String, PathBuf)>,
    /// Every page's site path, in the order of `all_pages` (for the sitemap); `None` for a
    /// page not rendered yet.
    page_paths: Vec<Option<String>>,
    /// The site-wide files (everything but pages), as last made.
    generated: Vec<PathBuf>,
    /// For each document's file, where it shows.
    footprints: HashMap<PathBuf, Footprint>,
    /// The postmortems suggested on each postmortem's page. Suggestions weigh words across
    /// the whole archive, so any edit can change those of pages it is not on: they are
    /// compared, not predicted.
    suggested: HashMap<DocKey, Vec<DocKey>>,
}

/// The archive the last good site was rendered from. Its documents stay in it (the cache
/// holds `None` for them) until a rebuild that links again takes them back.
struct Linked {
    archive: Archive,
    /// Every document's summary, as listings show it.
    summaries: Summaries,
    /// What linking reported (warnings only: the site was good).
    diagnostics: Vec<Diagnostic>,
}

/// What a rebuild left for [`Preview::finish`].
enum Deferred {
    /// The site-wide files (after an edit of bodies only, or a `finish` told to stop).
    Files,
    /// The pages that show the edited documents, then the site-wide files; the edited
    /// documents' own pages, rendered in step one, by key.
    Pages(StepOne),
}

/// The pages rendered in step one: each one's site path and output file, by key.
type StepOne = HashMap<PageKey, (String, PathBuf)>;

/// What one rebuild did.
#[derive(Debug)]
pub struct Rebuild {
    /// The new site, or `None` when the archive has errors and the last good site stays.
    pub files: Option<Arc<Files>>,
    /// Every error and warning of the archive as it now is.
    pub diagnostics: Vec<Diagnostic>,
    /// Content files read again.
    pub loaded: usize,
    /// Pages rendered (the others were reused).
    pub rendered: usize,
    /// Their output files, when some pages were reused; `None` when every page was rendered.
    pub pages: Option<HashSet<PathBuf>>,
    /// How long each phase took, in order: shown by the terminal line of each rebuild.
    pub phases: Vec<(&'static str, Duration)>,
}

impl Rebuild {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The archive being previewed, with everything kept between rebuilds.
pub struct Preview {
    options: LoadOptions,
    config: Config,
    edition: Edition,
    config_diagnostics: Vec<Diagnostic>,
    theme: Result<Theme, Diagnostic>,
    /// Problems met while listing the content files (symbolic links, unreadable folders).
    listing_diagnostics: Vec<Diagnostic>,
    files: HashMap<PathBuf, CachedFile>,
    /// Highlighted code from the last `build`, read once; serve writes no cache back.
    highlights: HighlightCache,
    /// In the public edition, the internal documents' files: links to them are withheld.
    internal: HashSet<PathBuf>,
    good: Option<Good>,
    /// Content files changed since the last good site.
    pending: HashSet<PathBuf>,
    /// Those of `pending` whose front matter changed (or that appeared, vanished, or stopped
    /// or started loading). When there are none, only the bodies changed, and a body shows
    /// on its own page only.
    front_matter_changed: HashSet<PathBuf>,
    /// Whether the next good site must render every page (first build, config or theme change).
    render_all: bool,
    /// The archive of the last good site, while no rebuild has taken its documents back.
    linked: Option<Linked>,
    /// The work the last rebuild left for [`Preview::finish`].
    deferred: Option<Deferred>,
    /// What step one no longer needs, freed in step two rather than in the writer's way.
    garbage: Vec<Box<dyn Send>>,
}

impl Preview {
    /// Prepares a preview of the archive at `options.root`; nothing is read until
    /// [`Preview::rebuild`].
    pub fn new(options: LoadOptions) -> Result<Preview, String> {
        if !options.root.is_dir() {
            return Err(format!("{} is not a directory", options.root.display()));
        }
        Ok(Preview {
            config: Config::default(),
            edition: Edition::Internal,
            config_diagnostics: Vec::new(),
            theme: Err(Diagnostic::file(
                crate::diagnostic::Code::Template,
                "templates",
                "the theme is not loaded yet",
            )),
            listing_diagnostics: Vec::new(),
            files: HashMap::new(),
            highlights: HighlightCache::open(&options.root),
            internal: HashSet::new(),
            good: None,
            pending: HashSet::new(),
            front_matter_changed: HashSet::new(),
            render_all: true,
            linked: None,
            deferred: None,
            garbage: Vec::new(),
            options,
        })
    }

    pub fn root(&self) -> &Path {
        &self.options.root
    }

    /// Brings the site up to date with the files on disk; `None` when nothing that matters
    /// changed (an editor's swap file, a save without changes).
    ///
    /// After an edit, the pages of the edited documents come first: [`Preview::finish`] does
    /// the rest. What a rebuild leaves unfinished is carried into the next one.
    pub fn rebuild(&mut self, changes: Changes) -> Option<Rebuild> {
        let started = Instant::now();
        // Left by rebuilds that had errors (no step two followed): freed on the side.
        if !self.garbage.is_empty() {
            let garbage = std::mem::take(&mut self.garbage);
            std::thread::spawn(move || drop(garbage));
        }
        if changes.config {
            let mut diagnostics = Vec::new();
            (self.config, self.edition) = load::load_settings(&self.options, &mut diagnostics);
            self.config_diagnostics = diagnostics;
            // Markdown output depends on the configuration: nothing cached still holds.
            self.pending.extend(self.files.keys().cloned());
            self.files.clear();
            self.render_all = true;
        }
        if changes.config || changes.theme {
            self.theme = theme::load(&self.options.root, self.config.theme.as_deref());
            self.render_all = true;
        }
        let loaded = if changes.config || changes.rescan {
            self.rescan_content()
        } else {
            self.refresh_files(&changes.content_files)
        };
        if !(changes.config || changes.theme) && loaded == 0 && self.pending.is_empty() {
            return None;
        }
        Some(self.link_and_render(loaded, started.elapsed()))
    }

    /// Lists the content files again, forgets the removed ones and loads the new and changed
    /// ones; returns how many were loaded.
    fn rescan_content(&mut self) -> usize {
        let root = self.options.root.clone();
        let mut listing_diagnostics = Vec::new();
        let listed = load::content_files(&root, &mut listing_diagnostics);
        self.listing_diagnostics = listing_diagnostics;
        let listed_paths: HashSet<&PathBuf> = listed.iter().map(|(_, path)| path).collect();
        let removed: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|path| !listed_paths.contains(path))
            .cloned()
            .collect();
        for path in removed {
            self.files.remove(&path);
            self.front_matter_changed.insert(path.clone());
            self.pending.insert(path);
        }
        self.load_stale(listed)
    }

    /// Looks at the given content files only: loads those that changed, forgets those gone.
    fn refresh_files(&mut self, paths: &BTreeSet<PathBuf>) -> usize {
        let mut present = Vec::new();
        for path in paths {
            match kind_of(path) {
                Some(kind) if self.options.root.join(path).is_file() => {
                    present.push((kind, path.clone()));
                }
                // The file is gone: forget it, if it was known.
                Some(_) if self.files.remove(path).is_some() => {
                    self.front_matter_changed.insert(path.clone());
                    self.pending.insert(path.clone());
                }
                _ => {}
            }
        }
        self.load_stale(present)
    }

    /// Loads, in parallel, the files whose stamp differs from the cached one.
    fn load_stale(&mut self, files: Vec<(Kind, PathBuf)>) -> usize {
        let root = &self.options.root;
        let cache = &self.files;
        let stale: Vec<(Kind, PathBuf, Option<Stamp>)> = files
            .into_par_iter()
            .filter_map(|(kind, path)| {
                let stamp = Stamp::of(&root.join(&path));
                let fresh = cache
                    .get(&path)
                    .is_some_and(|cached| stamp.is_some() && cached.stamp == stamp);
                (!fresh).then_some((kind, path, stamp))
            })
            .collect();
        let mut count = self.load(stale);
        if self.edition == Edition::Public {
            count += self.withhold_links();
        }
        count
    }

    /// In the public edition, links to internal documents are not emitted: when a document
    /// becomes internal or public, the documents linking to it are loaded again.
    fn withhold_links(&mut self) -> usize {
        let internal: HashSet<PathBuf> = self
            .files
            .iter()
            .filter(|(_, cached)| {
                matches!(&cached.result, Ok(Parsed { document: Some(d), .. }) if d.is_internal())
            })
            .map(|(path, _)| path.clone())
            .collect();
        if internal == self.internal {
            return 0;
        }
        let flipped: HashSet<&PathBuf> = internal.symmetric_difference(&self.internal).collect();
        let linking: Vec<(Kind, PathBuf, Option<Stamp>)> = self
            .files
            .iter()
            .filter_map(|(path, cached)| {
                let Ok(Parsed {
                    document: Some(d), ..
                }) = &cached.result
                else {
                    return None;
                };
                d.body
                    .content_links
                    .iter()
                    .any(|link| flipped.contains(&link.target))
                    .then(|| (d.kind(), path.clone(), cached.stamp))
            })
            .collect();
        self.internal = internal;
        self.load(linking)
    }

    /// Loads the given files and caches the results; returns how many were loaded.
    fn load(&mut self, files: Vec<(Kind, PathBuf, Option<Stamp>)>) -> usize {
        // The first load takes the bodies the last `build` kept, read only; after it, serve
        // keeps every body it analysed in memory, with its file's stamp.
        let bodies = (self.files.is_empty() && self.options.render_html)
            .then(|| BodyCache::open(&self.options.root, &self.config, self.edition))
            .flatten();
        let context = load::FileContext {
            root: &self.options.root,
            config: &self.config,
            edition: self.edition,
            render_html: self.options.render_html,
            highlights: Some(&self.highlights),
            bodies: bodies.as_ref(),
            withheld_targets: (self.edition == Edition::Public).then_some(&self.internal),
        };
        // The rules `check` and `build` run, on each file as it is loaded: a document's
        // findings depend on it and the configuration alone, but for the one comparison
        // with the archive's typical year, which a preview leaves out (its documents are
        // lent to the archive between rebuilds).
        let rules = check::Rules::new(&self.config, crate::clock::now(), None);
        let loaded: Vec<(PathBuf, CachedFile)> = files
            .into_par_iter()
            .map(|(kind, path, stamp)| {
                let cached = match load::load_file(&context, &path, kind) {
                    Ok(mut loaded) => CachedFile {
                        stamp,
                        notes: {
                            let mut notes = std::mem::take(&mut loaded.document.body.diagnostics);
                            notes.extend(rules.check(&self.options.root, &loaded));
                            notes
                        },
                        result: Ok(Parsed {
                            document: Some(loaded.document),
                            front_matter: loaded.front_matter,
                        }),
                    },
                    Err(errors) => {
                        // Every error of the file is shown: the first as the reason, the
                        // others with it. Loading never refuses a file without one.
                        let mut errors = errors.into_iter();
                        let first = errors.next().unwrap_or_else(|| {
                            Diagnostic::file(Code::Unreadable, &path, "the file cannot be loaded")
                        });
                        CachedFile {
                            stamp,
                            result: Err(first),
                            notes: errors.collect(),
                        }
                    }
                };
                (path, cached)
            })
            .collect();
        let count = loaded.len();
        for (path, cached) in loaded {
            let same_front_matter = match (self.files.get(&path), &cached.result) {
                (
                    Some(CachedFile {
                        result: Ok(before), ..
                    }),
                    Ok(after),
                ) => before.front_matter.text() == after.front_matter.text(),
                _ => false,
            };
            if !same_front_matter {
                self.front_matter_changed.insert(path.clone());
            }
            self.pending.insert(path.clone());
            self.files.insert(path, cached);
        }
        count
    }

    /// Renders what the pending edits can have changed, starting with the edited documents'
    /// own pages: the other pages that show them, and the site-wide files, wait for
    /// [`Preview::finish`].
    fn link_and_render(&mut self, loaded: usize, load_time: Duration) -> Rebuild {
        let started = Instant::now();
        if let Some(pages) = self.swap_bodies() {
            let mut diagnostics = self.file_diagnostics();
            if let Some(linked) = &self.linked {
                diagnostics.extend(linked.diagnostics.iter().cloned());
            }
            crate::check::levels::Levels::new(&self.config.check).apply(&mut diagnostics);
            Diagnostic::sort(&mut diagnostics);
            self.pending.clear();
            return Rebuild {
                files: self.good.as_ref().map(|good| Arc::clone(&good.files)),
                diagnostics,
                loaded,
                rendered: pages.len(),
                pages: Some(pages),
                phases: vec![("load", load_time), ("render", started.elapsed())],
            };
        }
        self.relink_and_render(loaded, load_time)
    }

    /// An edit of bodies alone, with the last good site's archive at hand: the edited
    /// documents (with their timelines) are swapped into it and their own pages rendered,
    /// without linking again, since other pages show front matter only. Returns the pages
    /// rendered, or `None` when the edit needs linking: a front matter changed, a file does
    /// not load or is not in the archive, a body links to a file that is not a document, a
    /// rule finds an error, or there is no good site yet.
    fn swap_bodies(&mut self) -> Option<HashSet<PathBuf>> {
        if self.render_all || !self.front_matter_changed.is_empty() || self.pending.is_empty() {
            return None;
        }
        let linked = self.linked.as_mut()?;
        let good = self.good.as_mut()?;
        let theme = self.theme.as_ref().ok()?;
        let is_document =
            |path: &PathBuf| matches!(self.files.get(path), Some(CachedFile { result: Ok(_), .. }));
        let mut swaps = Vec::with_capacity(self.pending.len());
        for path in &self.pending {
            let Some(CachedFile {
                result:
                    Ok(Parsed {
                        document: Some(document),
                        ..
                    }),
                notes,
                ..
            }) = self.files.get(path)
            else {
                return None;
            };
            // An edit that a rule refuses: the full way keeps the last good site under the
            // overlay, as it does for any error.
            if notes.iter().any(Diagnostic::is_error) {
                return None;
            }
            let id = linked.archive.find(document.kind(), &document.slug)?;
            let links_resolve = document
                .body
                .content_links
                .iter()
                .all(|link| is_document(&link.target));
            if linked.archive.documents[id].path != *path || !links_resolve {
                return None;
            }
            swaps.push((path.clone(), id));
        }
        let archive = &mut linked.archive;
        let mut kinds = Vec::with_capacity(swaps.len());
        for (path, id) in swaps {
            let cached = self.files.get_mut(&path)?;
            let document = cached.result.as_mut().ok()?.document.take()?;
            archive.documents[id] = document;
            kinds.push(document_page(archive, id));
        }
        let views = Views::with_summaries(archive, theme, std::mem::take(&mut linked.summaries));
        let rendered = render::render_pages(&views, theme, &kinds);
        linked.summaries = views.summaries;
        // A template that fails on the new body: the full way reports it.
        let rendered = rendered.ok()?;
        let pages = rendered.iter().map(|page| page.output.clone()).collect();
        let mut files = Files::clone(&good.files);
        for page in rendered {
            files.insert(page.output, Arc::new(page.html));
        }
        good.files = Arc::new(files);
        // What an unfinished rebuild left stays left: the archive's ids have not moved.
        self.deferred.get_or_insert(Deferred::Files);
        Some(pages)
    }

    /// The diagnostics of the configuration, of listing the content and of every file.
    fn file_diagnostics(&self) -> Vec<Diagnostic> {
        let mut diagnostics = self.config_diagnostics.clone();
        diagnostics.extend(self.listing_diagnostics.iter().cloned());
        for cached in self.files.values() {
            if let Err(diagnostic) = &cached.result {
                diagnostics.push(diagnostic.clone());
            }
            diagnostics.extend(cached.notes.iter().cloned());
        }
        diagnostics
    }

    /// Links every cached document and renders the edited documents' pages (or, for a first
    /// build or a change of configuration or theme, the whole site).
    fn relink_and_render(&mut self, loaded: usize, load_time: Duration) -> Rebuild {
        if let Some(linked) = self.linked.take() {
            self.garbage.push(Box::new(linked.summaries));
            self.give_back(linked.archive);
        }
        // What an unfinished rebuild left is redone: its edits are still pending.
        self.deferred = None;
        // A document the last rebuild did not give back (none should be) is read again.
        let missing: Vec<(Kind, PathBuf, Option<Stamp>)> = self
            .files
            .iter()
            .filter(|(_, c)| matches!(c.result, Ok(Parsed { document: None, .. })))
            .filter_map(|(path, c)| Some((kind_of(path)?, path.clone(), c.stamp)))
            .collect();
        let loaded = loaded + self.load(missing);
        let mut phases = vec![("load", load_time)];
        let mut started = Instant::now();
        let mut phase = |name: &'static str| {
            phases.push((name, started.elapsed()));
            started = Instant::now();
        };
        let mut diagnostics = self.file_diagnostics();
        let mut documents = Vec::with_capacity(self.files.len());
        for cached in self.files.values_mut() {
            // Every document was given back after the last rebuild.
            if let Ok(parsed) = &mut cached.result
                && let Some(document) = parsed.document.take()
            {
                documents.push(LoadedDocument {
                    document,
                    front_matter: parsed.front_matter.clone(),
                });
            }
        }
        // Link in path order, as `build` does, so duplicate slugs are reported the same way.
        documents.sort_by(|a, b| a.document.path.cmp(&b.document.path));
        // Suggestions are worked out on full rebuilds only (they weigh every body's words);
        // in between, each page keeps the ones it had.
        let previous = self.good.as_ref().filter(|_| !self.render_all);
        let (mut archive, link_diagnostics) = archive::link(
            Loaded {
                root: self.options.root.clone(),
                config: self.config.clone(),
                edition: self.edition,
                documents,
                diagnostics: Vec::new(),
            },
            LinkOptions {
                drafts: true,
                skip_suggestions: previous.is_some(),
                ..LinkOptions::default()
            },
        );
        if let Some(good) = previous {
            archive.suggested = carried_suggestions(&archive, &good.suggested);
        }
        diagnostics.extend(link_diagnostics.iter().cloned());
        crate::check::levels::Levels::new(&self.config.check).apply(&mut diagnostics);
        phase("link");
        if let Err(diagnostic) = &self.theme {
            diagnostics.push(diagnostic.clone());
        }
        let mut rendered = None;
        if !diagnostics.iter().any(Diagnostic::is_error)
            && let Ok(theme) = &self.theme
        {
            let step = match self.good.as_ref().filter(|_| !self.render_all) {
                // An edit: the edited documents' own pages now, the rest in `finish`.
                Some(good) => self.render_edited(&archive, theme, good).map(Step::Edited),
                None => self.render_whole(&archive, theme).map(Step::Whole),
            };
            match step {
                Ok(step) => rendered = Some(step),
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
        phase("render");
        Diagnostic::sort(&mut diagnostics);
        let mut rebuild = Rebuild {
            files: None,
            diagnostics,
            loaded,
            rendered: 0,
            pages: None,
            phases: Vec::new(),
        };
        let summaries = match rendered {
            Some(Step::Whole(site)) => {
                rebuild.files = Some(Arc::clone(&site.good.files));
                rebuild.rendered = site.rendered.len();
                let previous = self.good.replace(site.good);
                // Freeing 10,000 entries is not worth making the writer wait for.
                std::thread::spawn(move || drop(previous));
                self.pending.clear();
                self.front_matter_changed.clear();
                self.render_all = false;
                Some(site.summaries)
            }
            Some(Step::Edited(edited)) => {
                // The edits stay pending until `finish` has rendered what shows them.
                let good = self
                    .good
                    .as_mut()
                    .expect("an edit is rendered over a good site");
                good.files = Arc::new(edited.files);
                rebuild.files = Some(Arc::clone(&good.files));
                rebuild.rendered = edited.pages.len();
                rebuild.pages = Some(edited.pages.values().map(|(_, o)| o.clone()).collect());
                self.deferred = Some(Deferred::Pages(edited.pages));
                Some(edited.summaries)
            }
            None => None,
        };
        match summaries {
            Some(summaries) => {
                self.linked = Some(Linked {
                    archive,
                    summaries,
                    diagnostics: link_diagnostics,
                });
            }
            None => self.give_back(archive),
        }
        phase("keep");
        rebuild.phases = phases;
        rebuild
    }

    /// Puts the archive's documents back in the cache for the next rebuild, except where
    /// the file was loaded again since.
    fn give_back(&mut self, mut archive: Archive) {
        let documents = std::mem::take(&mut archive.documents);
        let excluded = std::mem::take(&mut archive.excluded);
        // The indexes and links of 10,000 documents take a while to free: later, in step two.
        self.garbage.push(Box::new(archive));
        for document in documents.into_iter().chain(excluded) {
            if let Some(CachedFile {
                result: Ok(parsed), ..
            }) = self.files.get_mut(&document.path)
                && parsed.document.is_none()
            {
                parsed.document = Some(document);
            }
        }
    }

    /// Step one of an edit that was linked again: the edited documents' own pages, over the
    /// last good site (every other page and file is served as it was until `finish`).
    fn render_edited(
        &self,
        archive: &Archive,
        theme: &Theme,
        good: &Good,
    ) -> Result<Edited, Diagnostic> {
        let kinds: Vec<PageKind> = (0..archive.documents.len())
            .filter(|&id| self.pending.contains(&archive.documents[id].path))
            .map(|id| document_page(archive, id))
            .collect();
        let views = Views::new(archive, theme);
        let rendered = render::render_pages(&views, theme, &kinds)?;
        let mut files = Files::clone(&good.files);
        let mut pages = HashMap::with_capacity(kinds.len());
        for (kind, page) in kinds.iter().zip(rendered) {
            pages.insert(
                page_key(archive, kind),
                (page.path.clone(), page.output.clone()),
            );
            files.insert(page.output, Arc::new(page.html));
        }
        Ok(Edited {
            files,
            pages,
            summaries: views.summaries,
        })
    }

    /// The whole site at once: a first build, or a change of configuration or theme.
    fn render_whole(&self, archive: &Archive, theme: &Theme) -> Result<RenderedSite, Diagnostic> {
        let views = Views::new(archive, theme);
        views.make_all_summaries();
        let (mut good, mut files, rendered) = self.render_changed(archive, &views, theme, None)?;
        if let Ok(generated) = generate(&good.page_paths, &mut files, &views, theme, &|| false) {
            good.generated = generated;
        }
        good.files = Arc::new(files);
        Ok(RenderedSite {
            good,
            rendered,
            summaries: views.summaries,
        })
    }

    /// Renders every page the pending edits can have changed since `previous` (every page
    /// when there is none) and reuses the others, with the pages step one rendered. Returns
    /// the new site's bookkeeping, its pages (without the site-wide files) and the pages
    /// rendered.
    fn render_changed(
        &self,
        archive: &Archive,
        views: &Views,
        theme: &Theme,
        previous: Option<(&Good, &StepOne)>,
    ) -> Result<(Good, Files, HashSet<PathBuf>), Diagnostic> {
        let (now_footprints, now_suggested) =
            rayon::join(|| footprints(archive), || suggested(archive));
        let mut changed = Footprint::default();
        let bodies_only = previous.is_some() && self.front_matter_changed.is_empty();
        if let Some((good, _)) = previous {
            if bodies_only {
                // Other pages show a document's front matter (title, summary, severity...),
                // never its body: only the edited documents' own pages change.
                changed.documents = archive
                    .documents
                    .iter()
                    .filter(|document| self.pending.contains(&document.path))
                    .map(|document| (document.kind(), document.slug.clone()))
                    .collect();
            } else {
                for path in &self.pending {
                    for footprints in [&good.footprints, &now_footprints] {
                        if let Some(footprint) = footprints.get(path) {
                            changed.extend(footprint);
                        }
                    }
                }
            }
            for (key, now) in &now_suggested {
                if good.suggested.get(key) != Some(now) {
                    changed.documents.push(key.clone());
                }
            }
        }
        let changed_documents: HashSet<&DocKey> = changed.documents.iter().collect();
        let changed_services: HashSet<&String> = changed.services.iter().collect();
        let changed_tags: HashSet<&String> = changed.tags.iter().collect();

        let mut files = Files::with_capacity(archive.documents.len() + 64);
        let mut good = Good {
            files: Arc::new(Files::new()),
            pages: HashMap::with_capacity(archive.documents.len() + 64),
            page_paths: Vec::new(),
            generated: Vec::new(),
            footprints: now_footprints,
            suggested: now_suggested,
        };
        let mut to_render = Vec::new();
        for kind in render::all_pages(views) {
            let key = page_key(archive, &kind);
            let unchanged = match &key {
                PageKey::Document(document) => !changed_documents.contains(document),
                PageKey::Service(id, _) => !changed_services.contains(id),
                PageKey::Tag(tag, _) => !changed_tags.contains(tag),
                PageKey::Listing(_) => bodies_only,
                PageKey::Other => false,
            };
            // Pages rendered in step one are current; unchanged ones are reused.
            let reused = previous.and_then(|(last, step_one)| {
                let (path, output) = match step_one.get(&key) {
                    Some(page) => page,
                    None if unchanged => last.pages.get(&key)?,
                    None => return None,
                };
                Some((path.clone(), output.clone(), last.files.get(output)?))
            });
            good.page_paths.push(None);
            let index = good.page_paths.len() - 1;
            match reused {
                Some((path, output, bytes)) => {
                    files.insert(output.clone(), Arc::clone(bytes));
                    good.page_paths[index] = Some(path.clone());
                    good.pages.insert(key, (path, output));
                }
                None => to_render.push((index, key, kind)),
            }
        }
        let kinds: Vec<PageKind> = to_render.iter().map(|(_, _, kind)| kind.clone()).collect();
        let rendered = render::render_pages(views, theme, &kinds)?;
        let outputs = rendered.iter().map(|page| page.output.clone()).collect();
        good.store(&mut files, to_render, rendered);
        Ok((good, files, outputs))
    }

    /// Whether [`Preview::rebuild`] left work for [`Preview::finish`].
    pub fn is_unfinished(&self) -> bool {
        self.deferred.is_some()
    }

    /// The second step of a rebuild: renders the other pages that show the edited documents
    /// (listings, neighbours), then the site-wide files: feeds, JSON data, search index and
    /// sitemap. `None` when nothing was left.
    ///
    /// `stop` is asked before each of the two and as each site-wide file is made, so that a
    /// new edit does not wait for them: when it says so, the rest is left for later and
    /// [`Finished::complete`] is false.
    pub fn finish(
        &mut self,
        stop: impl Fn() -> bool + Sync,
    ) -> Option<Result<Finished, Diagnostic>> {
        if stop() {
            return None;
        }
        self.garbage.clear();
        let deferred = self.deferred.take()?;
        let theme = self.theme.as_ref().ok()?;
        let started = Instant::now();
        let summaries = std::mem::take(&mut self.linked.as_mut()?.summaries);
        let linked = self.linked.as_ref()?;
        let views = Views::with_summaries(&linked.archive, theme, summaries);
        let last = self.good.as_ref()?;
        // The pages that show the edits, as a new site; for bodies only, the last site's.
        let (replacement, mut files, pages) = match &deferred {
            Deferred::Files => {
                let mut files = Files::clone(&last.files);
                for path in &last.generated {
                    files.remove(path);
                }
                (None, files, HashSet::new())
            }
            Deferred::Pages(step_one) => {
                match self.render_changed(&linked.archive, &views, theme, Some((last, step_one))) {
                    Ok((good, files, pages)) => (Some(good), files, pages),
                    Err(diagnostic) => {
                        let summaries = views.summaries;
                        self.linked.as_mut()?.summaries = summaries;
                        // The next rebuild starts over, and shows the error until it is fixed.
                        self.render_all = true;
                        return Some(Err(diagnostic));
                    }
                }
            }
        };
        let page_paths = replacement
            .as_ref()
            .map_or(&last.page_paths, |good| &good.page_paths);
        let made = match stop() {
            true => Err(Stopped),
            false => generate(page_paths, &mut files, &views, theme, &stop),
        };
        let complete = made.is_ok();
        let generated = made.unwrap_or_else(|Stopped| {
            // The last site-wide files, until the next rebuild makes them again.
            for path in &last.generated {
                if let Some(bytes) = last.files.get(path) {
                    files.insert(path.clone(), Arc::clone(bytes));
                }
            }
            last.generated.clone()
        });
        let summaries = views.summaries;
        let last = self.good.as_mut()?;
        match replacement {
            Some(mut good) => {
                good.generated = generated;
                good.files = Arc::new(files);
                let previous = std::mem::replace(last, good);
                std::thread::spawn(move || drop(previous));
            }
            None => {
                last.generated = generated;
                last.files = Arc::new(files);
            }
        }
        self.linked.as_mut()?.summaries = summaries;
        self.pending.clear();
        self.front_matter_changed.clear();
        if !complete {
            self.deferred = Some(Deferred::Files);
        }
        let good = self.good.as_ref()?;
        Some(Ok(Finished {
            files: Arc::clone(&good.files),
            rendered: pages.len(),
            pages,
            complete,
            elapsed: started.elapsed(),
        }))
    }
}

impl Good {
    /// Adds rendered pages to `files`, remembering their paths for reuse and the sitemap.
    fn store(
        &mut self,
        files: &mut Files,
        rendered_as: Vec<(usize, PageKey, PageKind)>,
        rendered: Vec<render::RenderedPage>,
    ) {
        for ((index, key, _), page) in rendered_as.into_iter().zip(rendered) {
            self.page_paths[index] = Some(page.path.clone());
            if key != PageKey::Other {
                self.pages.insert(key, (page.path, page.output.clone()));
            }
            files.insert(page.output, Arc::new(page.html));
        }
    }
}

/// Makes the site-wide files of a site with these pages into `files`, unless `stop` says to
/// leave them (asked as each file is made); the paths it made.
fn generate(
    page_paths: &[Option<String>],
    files: &mut Files,
    views: &Views,
    theme: &Theme,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<PathBuf>, Stopped> {
    let page_paths: Vec<String> = page_paths.iter().flatten().cloned().collect();
    let made = std::sync::Mutex::new(Vec::new());
    render::render_files(
        views,
        theme,
        &page_paths,
        render::RENDER_ALL,
        None,
        &|path, parts| {
            if stop() {
                return Err(Stopped);
            }
            let mut made = made
                .lock()
                .expect("no thread panics while holding the files");
            made.push((path.to_path_buf(), Arc::new(parts.concat())));
            Ok(())
        },
    )?;
    let made = made
        .into_inner()
        .expect("no thread panics while holding the files");
    let mut generated = Vec::with_capacity(made.len());
    for (path, bytes) in made {
        generated.push(path.clone());
        files.insert(path, bytes);
    }
    Ok(generated)
}

/// Why making the site-wide files was left off: a new edit is waiting.
struct Stopped;

/// What [`Preview::finish`] did.
#[derive(Debug)]
pub struct Finished {
    /// The site, complete.
    pub files: Arc<Files>,
    /// The pages rendered (by output file): open pages among them reload.
    pub pages: HashSet<PathBuf>,
    pub rendered: usize,
    /// Whether the site-wide files were made too (not when `stop` said to leave them).
    pub complete: bool,
    pub elapsed: Duration,
}

/// A whole site rendered, and its pages (by output file).
struct RenderedSite {
    good: Good,
    rendered: HashSet<PathBuf>,
    summaries: Summaries,
}

/// Step one of an edit that was linked again: the last good site with the edited
/// documents' pages, by key.
struct Edited {
    files: Files,
    pages: StepOne,
    summaries: Summaries,
}

/// What a rebuild rendered.
enum Step {
    Whole(RenderedSite),
    Edited(Edited),
}

impl Footprint {
    fn extend(&mut self, other: &Footprint) {
        self.documents.extend(other.documents.iter().cloned());
        self.services.extend(other.services.iter().cloned());
        self.tags.extend(other.tags.iter().cloned());
    }
}

/// The kind of a content file by its folder: `content/postmortems/...` or
/// `content/premortems/...`.
fn kind_of(path: &Path) -> Option<Kind> {
    let mut components = path.components().map(|c| c.as_os_str());
    if components.next()? != "content" {
        return None;
    }
    let folder = components.next()?;
    let is_markdown = path.extension().is_some_and(|e| e == "md");
    [Kind::Postmortem, Kind::Premortem]
        .into_iter()
        .find(|kind| folder == kind.dir() && is_markdown)
}

fn doc_key(archive: &Archive, id: usize) -> DocKey {
    let document = &archive.documents[id];
    (document.kind(), document.slug.clone())
}

/// A document's own page.
fn document_page(archive: &Archive, id: DocId) -> PageKind {
    match archive.documents[id].kind() {
        Kind::Postmortem => PageKind::Postmortem(id),
        Kind::Premortem => PageKind::Premortem(id),
    }
}

fn page_key(archive: &Archive, kind: &PageKind) -> PageKey {
    match kind {
        PageKind::Postmortem(id) | PageKind::Premortem(id) => {
            PageKey::Document(doc_key(archive, *id))
        }
        PageKind::Service(id, page) => PageKey::Service(id.clone(), *page),
        PageKind::Tag(tag, page) => PageKey::Tag(tag.clone(), *page),
        PageKind::Home
        | PageKind::Postmortems(_)
        | PageKind::Premortems
        | PageKind::Services
        | PageKind::Tags
        | PageKind::Stats
        | PageKind::Actions(_)
        | PageKind::ClosedActions(_)
        | PageKind::NotFound => PageKey::Listing(kind.clone()),
        // A page kind added later is rendered on every rebuild until it is listed here.
        #[allow(unreachable_patterns)]
        _ => PageKey::Other,
    }
}

/// Where each document shows, by its file.
fn footprints(archive: &Archive) -> HashMap<PathBuf, Footprint> {
    // The pages that suggest each document.
    let mut suggested_on: Vec<Vec<DocId>> = vec![Vec::new(); archive.documents.len()];
    for (id, suggestions) in archive.suggested.iter().enumerate() {
        for &other in suggestions {
            suggested_on[other].push(id);
        }
    }
    archive
        .documents
        .par_iter()
        .enumerate()
        .map(|(id, document)| {
            let came_true = &archive.came_true[id];
            let documents = std::iter::once(id)
                .chain(archive.related[id].iter().copied())
                .chain(archive.realized[id].iter().map(|link| link.premortem))
                .chain(came_true.by_risk.iter().flatten().copied())
                .chain(came_true.unspecified.iter().copied())
                .chain(suggested_on[id].iter().copied())
                // Its neighbours in date order link to it by title (previous and next).
                .chain(
                    crate::render::neighbouring_postmortems(archive, id)
                        .into_iter()
                        .flatten(),
                )
                .map(|id| doc_key(archive, id))
                .collect();
            let common = document.common();
            let footprint = Footprint {
                documents,
                services: common.services.to_vec(),
                tags: common.tags.to_vec(),
            };
            (document.path.clone(), footprint)
        })
        .collect()
}

/// The last good site's suggestions, for the documents of `archive`.
fn carried_suggestions(
    archive: &Archive,
    previous: &HashMap<DocKey, Vec<DocKey>>,
) -> Vec<Vec<DocId>> {
    archive
        .documents
        .iter()
        .map(|document| {
            previous
                .get(&(document.kind(), document.slug.clone()))
                .into_iter()
                .flatten()
                .filter_map(|(kind, slug)| archive.find(*kind, slug))
                .collect()
        })
        .collect()
}

/// The postmortems suggested on each document's page.
fn suggested(archive: &Archive) -> HashMap<DocKey, Vec<DocKey>> {
    archive
        .suggested
        .par_iter()
        .enumerate()
        .map(|(id, suggestions)| {
            let keys = suggestions
                .iter()
                .map(|&other| doc_key(archive, other))
                .collect();
            (doc_key(archive, id), keys)
        })
        .collect()
}
