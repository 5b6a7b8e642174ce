//! The pipeline every command runs: load → check → link → render, with write after it for
//! `build`.
//!
//! ```text
//! content files --load--> documents + diagnostics --link--> Archive --render--> files --write--> output
//!                               |
//!                               +--check rules--> diagnostics
//! ```
//!
//! `check` stops after the rules and link, `build` (in [`crate::build`]) renders and writes,
//! and `serve` keeps a [`session::Session`]: the same phases, with what each produced kept
//! in memory between rebuilds.

pub mod session;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::archive::{self, Archive, LinkOptions};
use crate::check;
use crate::config::Edition;
use crate::diagnostic::Diagnostic;
use crate::incremental::kept::{CleanList, Keep, LoadMemo, SuggestionMemory};
use crate::load::{self, LoadError, LoadOptions};
use crate::timing::timed;

/// What every phase is told, made once by a command's driver: the phases read neither the
/// clock nor the environment.
#[derive(Debug, Clone)]
pub struct Context {
    pub root: PathBuf,
    /// The instant every rule and page measures "now" from (see [`crate::clock`]).
    pub now: DateTime<Utc>,
    /// The edition overriding the configuration's, if any.
    pub edition: Option<Edition>,
    /// The base URL overriding the configuration's, if any.
    pub base_url: Option<String>,
    /// Include postmortems with `status = "draft"`.
    pub drafts: bool,
    /// Render HTML bodies: `check` shows no pages, so it leaves them out.
    pub render_html: bool,
}

impl Context {
    /// The archive at `root` as its configuration describes it, now.
    pub fn new(root: PathBuf) -> Context {
        Context {
            root,
            now: crate::clock::now(),
            edition: None,
            base_url: None,
            drafts: false,
            render_html: true,
        }
    }

    /// What `check` looks at: the internal edition (it holds everything, so internal-only
    /// text is checked too) with drafts, and no HTML.
    pub fn for_check(root: PathBuf) -> Context {
        Context {
            edition: Some(Edition::Internal),
            drafts: true,
            render_html: false,
            ..Context::new(root)
        }
    }

    /// What the load phase needs of the context.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            root: self.root.clone(),
            edition: self.edition,
            base_url: self.base_url.clone(),
            render_html: self.render_html,
            drafts: self.drafts,
        }
    }
}

/// Loads, checks and links an archive: every diagnostic of the three, with the rule levels
/// of the configuration applied and in file order.
///
/// `build`, `check` and `serve` (for a whole rebuild) all come through here, so an archive
/// that `check` rejects never builds, and each shows the same diagnostics. With `keep`,
/// what the last build kept for the load, the rules and the suggestions is taken, and this
/// one's kept (see [`crate::incremental::kept`]); `keep.sources` are the source files as a
/// build's fingerprint found them (see [`load::load_from`]).
pub fn load_and_link(
    context: &Context,
    keep: Option<&Keep>,
    link_options: LinkOptions,
) -> Result<(Archive, Vec<Diagnostic>), LoadError> {
    let load_options = context.load_options();
    let memo = keep
        .filter(|_| context.render_html)
        .map(|keep| LoadMemo::new(&context.root, keep.sources));
    let loaded = timed("load", || {
        let earlier = memo.as_ref().map(|memo| memo as &dyn load::Earlier);
        let loaded = load::load_from(&load_options, earlier)?;
        if let Some(memo) = memo {
            memo.save(&loaded);
        }
        Ok::<_, LoadError>(loaded)
    })?;
    let mut diagnostics = loaded.diagnostics.clone();
    let clean = keep.map(|_| CleanList::of(&loaded.root, loaded.edition));
    diagnostics.extend(timed("check", || {
        let last_clean = clean.as_ref().and_then(CleanList::read);
        let (found, found_clean) = check::check(&loaded, context.now, last_clean.as_ref());
        if let Some(clean) = clean {
            clean.save(&found_clean);
        }
        found
    }));
    let suggestions = keep.map(|_| SuggestionMemory::of(&loaded.root, loaded.edition));
    let link_options = LinkOptions {
        drafts: context.drafts,
        today: context.now.date_naive(),
        kept: suggestions
            .as_ref()
            .map(|kept| kept as &dyn crate::related::Memory),
        ..link_options
    };
    let (archive, link_diagnostics) = timed("link", || archive::link(loaded, link_options));
    diagnostics.extend(link_diagnostics);
    check::levels::Levels::new(&archive.config.check).apply(&mut diagnostics);
    Diagnostic::sort(&mut diagnostics);
    Ok((archive, diagnostics))
}

/// What `hindsight check` reports: [`load_and_link`] of [`Context::for_check`], linked only as
/// far as linking reports (no metrics, no suggestions).
pub fn check(context: &Context) -> Result<(Archive, Vec<Diagnostic>), LoadError> {
    let link_options = LinkOptions {
        reports_only: true,
        ..LinkOptions::default()
    };
    load_and_link(context, None, link_options)
}
