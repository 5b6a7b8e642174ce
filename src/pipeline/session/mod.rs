//! The incremental build behind `serve`: the same load → link → render phases as `build`,
//! with what each phase produced kept in memory between rebuilds, done in two steps so that
//! the writer sees the edited page first.
//!
//! - load: each content file's result is kept, keyed by its path, modification time and
//!   length; a rebuild re-reads only the files whose stamp changed.
//! - link: an edit of bodies alone swaps the new documents into the last good archive; any
//!   other edit links every document again.
//! - step one ([`Session::rebuild`]): the edited documents' own pages, over the last good
//!   site.
//! - step two ([`Session::finish`]): the other pages that can show the edit (related and
//!   realized documents, services and tags, listings when a front matter changed), then the
//!   site-wide files (feeds, JSON, search index, sitemap). It stops when a new edit is
//!   queued, and what it left is carried into the next rebuild.
//!
//! A rebuild whose archive has errors keeps the last good site; the edits it saw stay pending
//! until a rebuild succeeds, so a fix re-renders everything touched in between.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::archive::Archive;
use crate::config::{Config, Edition};
use crate::diagnostic::Diagnostic;
use crate::document::{Document, Kind};
use crate::incremental::cache::HighlightCache;
use crate::load::{self, FrontMatter, LoadError};
use crate::pipeline::Context;
use crate::render::PageKind;
use crate::render::views::{Summaries, Views};
use crate::stamp::Stamp;
use crate::theme::{self, Theme};

use self::pages::generate;

mod files;
mod link;
mod pages;

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

/// One content file's load result, with the stamp of the file it was read from.
struct CachedFile {
    stamp: Option<Stamp>,
    result: Result<Parsed, Diagnostic>,
    /// What loading found besides the first error, and what the Markdown pass found in the
    /// body (reported on every rebuild, as `check` would report them).
    notes: Vec<Diagnostic>,
    /// What the check rules found in the document.
    findings: Vec<Diagnostic>,
    /// The year its incident started, for the archive's typical year (see
    /// [`crate::check::typical_year`]); kept here since the document is lent to the archive.
    year: Option<i32>,
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

/// What a rebuild left for [`Session::finish`].
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
pub struct Session {
    /// What the phases are told; `now` stays that of the session's start, as for `build`.
    context: Context,
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
    /// The archive's typical incident year the rules last ran with.
    typical_year: Option<i32>,
    /// Whether the typical year moved since some files were checked: the rules run again on
    /// every document at the next link, when all are at hand.
    check_again: bool,
    /// Whether the next good site must render every page (first build, config or theme change).
    render_all: bool,
    /// The archive of the last good site, while no rebuild has taken its documents back.
    linked: Option<Linked>,
    /// The work the last rebuild left for [`Session::finish`].
    deferred: Option<Deferred>,
    /// What step one no longer needs, freed in step two rather than in the writer's way.
    garbage: Vec<Box<dyn Send>>,
}

impl Session {
    /// Prepares a preview of the archive at `context.root`; nothing is read until
    /// [`Session::rebuild`].
    pub fn new(context: Context) -> Result<Session, LoadError> {
        if !context.root.is_dir() {
            return Err(LoadError::NotADirectory(context.root.clone()));
        }
        Ok(Session {
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
            highlights: HighlightCache::open(&context.root),
            internal: HashSet::new(),
            good: None,
            pending: HashSet::new(),
            front_matter_changed: HashSet::new(),
            typical_year: None,
            check_again: false,
            render_all: true,
            linked: None,
            deferred: None,
            garbage: Vec::new(),
            context,
        })
    }

    pub fn root(&self) -> &Path {
        &self.context.root
    }

    /// Brings the site up to date with the files on disk; `None` when nothing that matters
    /// changed (an editor's swap file, a save without changes).
    ///
    /// After an edit, the pages of the edited documents come first: [`Session::finish`] does
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
            (self.config, self.edition) =
                load::load_settings(&self.context.load_options(), &mut diagnostics);
            self.config_diagnostics = diagnostics;
            // Markdown output depends on the configuration: nothing cached still holds.
            self.pending.extend(self.files.keys().cloned());
            self.files.clear();
            self.render_all = true;
        }
        if changes.config || changes.theme {
            self.theme = theme::load(&self.context.root, self.config.theme.as_deref());
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

    /// Whether [`Session::rebuild`] left work for [`Session::finish`].
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

/// Why making the site-wide files was left off: a new edit is waiting.
struct Stopped;

/// What [`Session::finish`] did.
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
