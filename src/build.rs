//! The driver of `build`: the shared pipeline (see [`crate::pipeline`]), then write, with
//! what the last build left reused.

use std::path::PathBuf;

use crate::archive::{Archive, LinkOptions};
use crate::config::Edition;
use crate::diagnostic::Diagnostic;
use crate::incremental::kept::{Keep, RenderMemory};
use crate::incremental::uptodate::{Asked, Fingerprint, LastBuild};
use crate::load::LoadError;
use crate::pipeline::{self, Context};
use crate::render::{self, Site};
use crate::theme::{self, Theme};
use crate::timing::timed;
use crate::write;

/// What `hindsight build` was asked for.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Where the site goes; `<root>/public` when not given.
    pub out: Option<PathBuf>,
    pub edition: Option<Edition>,
    pub base_url: Option<String>,
    pub drafts: bool,
}

impl BuildOptions {
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| self.root.join("public"))
    }

    /// What the phases are told, with the clock read once, now.
    pub fn context(&self) -> Context {
        Context {
            edition: self.edition,
            base_url: self.base_url.clone(),
            drafts: self.drafts,
            ..Context::new(self.root.clone())
        }
    }
}

/// Why a build stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The archive could not be read at all.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The output could not be written; what was there is as it was.
    #[error(transparent)]
    Write(#[from] write::WriteError),
    /// The archive has errors; the diagnostics include warnings too.
    #[error("the archive has errors")]
    Invalid(Vec<Diagnostic>),
}

/// A finished build: what was written, and the warnings met on the way.
#[derive(Debug)]
pub struct BuildReport {
    pub out: PathBuf,
    pub files: usize,
    pub documents: usize,
    pub warnings: Vec<Diagnostic>,
    /// Whether nothing had changed since the last build, so nothing was written
    /// (see [`crate::incremental::uptodate`]).
    pub unchanged: bool,
}

/// Loads, checks and links the archive and loads its theme: everything before rendering.
/// What the last build kept is taken, and this one's kept, when `keep` is given.
fn prepare(
    context: &Context,
    keep: Option<&Keep>,
) -> Result<(Archive, Theme, Vec<Diagnostic>), BuildError> {
    let (archive, diagnostics) = pipeline::load_and_link(context, keep, LinkOptions::default())?;
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(BuildError::Invalid(diagnostics));
    }
    let theme = timed("theme", || {
        theme::load(&context.root, archive.config.theme.as_deref())
    })
    .map_err(|d| BuildError::Invalid(vec![d]))?;
    Ok((archive, theme, diagnostics))
}

/// Builds the site in memory, without writing it.
pub fn render_site(options: &BuildOptions) -> Result<(Site, Archive, Vec<Diagnostic>), BuildError> {
    let (archive, theme, diagnostics) = prepare(&options.context(), None)?;
    let site = timed("render", || render::render(&archive, &theme))
        .map_err(|d| BuildError::Invalid(vec![d]))?;
    Ok((site, archive, diagnostics))
}

/// Builds the site and writes it to the output directory.
///
/// Pages are written beside the output as they render, so the site is never held in memory
/// whole, and put in place only once every file is written (see [`write`]).
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let out = options.out_dir();
    write::check_output_dir(&options.root, &out)?;
    write::recover(&out)?;
    let context = options.context();
    let last = LastBuild::read(&options.root);
    let today = context.now.date_naive();
    let asked = Asked {
        root: &options.root,
        out: &out,
        edition: options.edition,
        base_url: options.base_url.as_deref(),
        drafts: options.drafts,
    };
    let fingerprint = timed("fingerprint", || Fingerprint::of(asked, today, &last));
    let unchanged = fingerprint
        .as_ref()
        .and_then(|(f, _)| f.unchanged(&last, &out));
    if let Some(unchanged) = unchanged {
        return Ok(BuildReport {
            out,
            files: unchanged.files,
            documents: unchanged.documents,
            warnings: unchanged.warnings,
            unchanged: true,
        });
    }
    let keep = Keep {
        sources: fingerprint.as_ref().map(|(_, sources)| sources),
    };
    let (archive, theme, warnings) = prepare(&context, Some(&keep))?;
    let staging = write::Staging::begin(&out, last.left(&out))?;
    // Pages whose key is the one the last build recorded for the file, with the same program
    // and templates, are kept as they are. Without a fingerprint nothing is recorded, and
    // every page renders.
    let environment = fingerprint
        .as_ref()
        .map(|(_, sources)| sources.environment());
    let kept = environment.map_or_else(Default::default, |e| last.into_pages(&out, e));
    let keep = |path: &std::path::Path, key: u64| {
        kept.get(path.as_os_str())
            .is_some_and(|page| staging.keep(path, |meta| page.is_page(key, meta)))
    };
    let kept_files = RenderMemory::of(&options.root, archive.edition);
    let rendered = timed("render+write", || {
        render::render_each(&archive, &theme, &keep, Some(&kept_files), |path, parts| {
            staging.put_parts(path, parts)
        })
    })
    .map_err(|stop| match stop {
        render::Stop::Render(diagnostic) => BuildError::Invalid(vec![diagnostic]),
        render::Stop::Emit(error) => BuildError::Write(error),
    })?;
    let written = timed("commit", || staging.finish())?;
    let documents = archive.documents.len();
    if let Some((fingerprint, sources)) = fingerprint {
        timed("record", || {
            let keys = rendered.page_keys;
            fingerprint.record(
                sources,
                written,
                keys,
                &options.root,
                &out,
                documents,
                &warnings,
            )
        });
    }
    // Freeing every document one allocation at a time took 1.5 s of a 100,000-postmortem
    // build: the caller need not wait for it, and `hindsight build` exits before it is done.
    std::thread::spawn(move || drop(archive));
    Ok(BuildReport {
        out,
        files: rendered.files,
        documents,
        warnings,
        unchanged: false,
    })
}
