//! The whole pipeline, load → link → render → write, as `build` and `serve` run it.

use std::path::PathBuf;

use crate::archive::{self, Archive, LinkOptions};
use crate::cache::Kept;
use crate::config::Edition;
use crate::diagnostic::Diagnostic;
use crate::load::{self, LoadOptions};
use crate::render::{self, Site};
use crate::theme::{self, Theme};
use crate::uptodate::{Fingerprint, LastBuild, Sources};
use crate::{check, write};

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
}

/// Why a build stopped.
#[derive(Debug)]
pub enum BuildError {
    /// The archive could not be read at all, or the output could not be written.
    Fatal(String),
    /// The archive has errors; the diagnostics include warnings too.
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
    /// (see [`crate::uptodate`]).
    pub unchanged: bool,
}

/// Prints how long a phase took when `HINDSIGHT_TIMINGS` is set: the numbers profiling and
/// docs/performance.md start from.
pub fn timed<T>(phase: &str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let cpu_before = cpu_seconds();
    let value = f();
    if std::env::var_os("HINDSIGHT_TIMINGS").is_some() {
        let wall = started.elapsed().as_secs_f64();
        let mut notes = Vec::new();
        if let Some(mb) = resident_mb() {
            notes.push(format!("RSS {mb} MB"));
        }
        // CPU time over wall time: how many cores the phase kept busy.
        if let (Some(after), Some(before)) = (cpu_seconds(), cpu_before)
            && wall > 0.05
        {
            notes.push(format!("{:.1} cores", (after - before) / wall));
        }
        let notes = match notes.is_empty() {
            true => String::new(),
            false => format!("  ({})", notes.join(", ")),
        };
        eprintln!("timing: {phase:<8} {:>8.1} ms{notes}", wall * 1e3);
    }
    value
}

/// The process's CPU time so far (user and system), where the system says (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum::<Option<f64>>()?;
    // Clock ticks are a hundredth of a second on every Linux this runs on.
    Some(ticks / 100.0)
}

/// The process's resident memory now, where the system says (Linux).
fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Loads and links an archive, with every diagnostic of both phases and of the check rules.
///
/// `build`, `check` and `serve` all come through here, so an archive that `check` rejects
/// never builds, and both show the same diagnostics.
pub fn load_and_link(
    load_options: &LoadOptions,
    link_options: LinkOptions,
) -> Result<(Archive, Vec<Diagnostic>), String> {
    load_and_link_from(load_options, None, link_options)
}

/// [`load_and_link`], with the source files as a build's fingerprint found them (see
/// [`load::load_from`]).
fn load_and_link_from(
    load_options: &LoadOptions,
    sources: Option<&Sources>,
    link_options: LinkOptions,
) -> Result<(Archive, Vec<Diagnostic>), String> {
    let loaded = timed("load", || load::load_from(load_options, sources))?;
    let mut diagnostics = loaded.diagnostics.clone();
    let kept = link_options
        .kept
        .then(|| Kept::clean(&loaded.root, loaded.edition));
    diagnostics.extend(timed("check", || {
        check::check(&loaded, crate::clock::now(), kept.as_ref())
    }));
    let (archive, link_diagnostics) = timed("link", || archive::link(loaded, link_options));
    diagnostics.extend(link_diagnostics);
    check::levels::Levels::new(&archive.config.check).apply(&mut diagnostics);
    Diagnostic::sort(&mut diagnostics);
    Ok((archive, diagnostics))
}

/// Loads, checks and links the archive and loads its theme: everything before rendering.
fn prepare(
    options: &BuildOptions,
    sources: Option<&Sources>,
) -> Result<(Archive, Theme, Vec<Diagnostic>), BuildError> {
    let load_options = LoadOptions {
        root: options.root.clone(),
        edition: options.edition,
        base_url: options.base_url.clone(),
        render_html: true,
    };
    let (archive, diagnostics) = load_and_link_from(
        &load_options,
        sources,
        LinkOptions {
            drafts: options.drafts,
            kept: true,
            ..LinkOptions::default()
        },
    )
    .map_err(BuildError::Fatal)?;
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(BuildError::Invalid(diagnostics));
    }
    let theme = timed("theme", || {
        theme::load(&options.root, archive.config.theme.as_deref())
    })
    .map_err(|d| BuildError::Invalid(vec![d]))?;
    Ok((archive, theme, diagnostics))
}

/// Builds the site in memory, without writing it.
pub fn render_site(options: &BuildOptions) -> Result<(Site, Archive, Vec<Diagnostic>), BuildError> {
    let (archive, theme, diagnostics) = prepare(options, None)?;
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
    let fatal = |e: write::WriteError| BuildError::Fatal(e.to_string());
    write::check_output_dir(&options.root, &out).map_err(fatal)?;
    write::recover(&out).map_err(fatal)?;
    let last = LastBuild::read(&options.root);
    let fingerprint = timed("fingerprint", || Fingerprint::of(options, &last));
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
    let sources = fingerprint.as_ref().map(|(_, sources)| sources);
    let (archive, theme, warnings) = prepare(options, sources)?;
    let staging = write::Staging::begin(&out, last.left(&out)).map_err(fatal)?;
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
    let kept_files = render::KeptFiles::of(&options.root, archive.edition);
    let rendered = timed("render+write", || {
        render::render_each(&archive, &theme, &keep, Some(&kept_files), |path, parts| {
            staging.put_parts(path, parts)
        })
    })
    .map_err(|stop| match stop {
        render::Stop::Render(diagnostic) => BuildError::Invalid(vec![diagnostic]),
        render::Stop::Emit(error) => fatal(error),
    })?;
    let written = timed("commit", || staging.finish()).map_err(fatal)?;
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
