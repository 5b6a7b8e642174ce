//! `hindsight import`: bringing an existing archive in.
//!
//! Each source file is found ([`sources`]), recognized by its shape ([`shape`]: YAML or TOML
//! front matter, or plain Markdown read by [`plain`]), mapped to hindsight's schema through
//! the key names and the team's mapping file ([`mapping`]), composed into a postmortem with
//! every guess listed ([`compose`], its times by [`incident`] and [`times`]), named from its
//! date and title ([`slug`]), its links to other imported files rewritten ([`links`]), and
//! written without replacing anything ([`write`]).
//! The [`report`] says what happened to every file.
//!
//! Sources are only read. A file that cannot become a valid postmortem is skipped with the
//! line and the reason, and nothing is written for it.

mod compose;
mod incident;
mod links;
mod mapping;
mod plain;
mod report;
mod shape;
mod slug;
mod sources;
mod times;
mod write;

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::config::Config;

pub use mapping::Mapping;
pub use report::{Outcome, Report};

/// What `import` is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The archive to write into.
    pub root: PathBuf,
    /// Files and folders to read.
    pub paths: Vec<PathBuf>,
    pub mapping: Mapping,
    /// Report without writing.
    pub dry_run: bool,
}

/// Imports every source under the request's paths into the archive.
///
/// `Err` only when the import cannot run at all (a path that does not exist); everything
/// about a single file is in the [`Report`]. `now` bounds plausible dates.
pub fn import(request: &Request, config: &Config, now: DateTime<Utc>) -> Result<Report, String> {
    let found = sources::find(&request.paths)?;
    let mut existing = write::Existing::read(&request.root);
    let mut report = Report::default();
    // Composed first, all of them, so that links between them can be rewritten.
    let mut drafts = Vec::new();
    for source in found {
        if let Some(reason) = &source.refused {
            report.push(Outcome::skipped(&source.name, None, reason));
            continue;
        }
        let text = match sources::read(&source, config.max_document_bytes) {
            Ok(text) => text,
            Err(reason) => {
                report.push(Outcome::skipped(&source.name, None, &reason));
                continue;
            }
        };
        let digest = write::digest(text.as_bytes());
        if let Some(slug) = existing.by_digest.get(&digest) {
            report.push(Outcome::Already {
                source: source.name.clone(),
                slug: slug.clone(),
            });
            continue;
        }
        if let Some(slug) = existing.by_source.get(&source.name) {
            let reason = format!(
                "imported before as `{slug}`, and the source has changed since; delete content/postmortems/{slug}.md to import it again"
            );
            report.push(Outcome::skipped(&source.name, None, &reason));
            continue;
        }
        let context = compose::Context {
            config,
            mapping: &request.mapping,
            now,
            file: &source.path,
        };
        match shape::parse(&text).and_then(|parsed| compose::compose(parsed, &context)) {
            Ok(draft) => drafts.push((source, digest, draft)),
            Err((line, reason)) => report.push(Outcome::skipped(&source.name, line, &reason)),
        }
    }
    let slugs: Vec<String> = drafts
        .iter()
        .map(|(source, _, draft)| {
            let slug = slug::unique(draft, &mut existing.slugs);
            if slug != slug::base(draft) {
                report.notes.push(format!(
                    "{}: `{}` was taken, so it is `{slug}`",
                    source.name,
                    slug::base(draft)
                ));
            }
            slug
        })
        .collect();
    let by_source: HashMap<PathBuf, String> = drafts
        .iter()
        .zip(&slugs)
        .filter_map(|((source, _, _), slug)| Some((source.path.canonicalize().ok()?, slug.clone())))
        .collect();
    for ((source, digest, mut draft), slug) in drafts.into_iter().zip(slugs) {
        let rewritten = links::rewrite(&draft.body, &source.path, &by_source);
        draft.body = rewritten.body;
        for link in rewritten.left {
            report.notes.push(format!(
                "{}: the link to `{link}` leads to no imported document; `check` reports it as broken until it points at one (or at a web address)",
                source.name
            ));
        }
        report.merge_ids(&draft);
        let text = write::document_text(&draft, &source.name, &digest);
        let outcome = if request.dry_run {
            Outcome::imported(&source.name, &slug, &draft)
        } else {
            match write::write_new(&request.root, &slug, &text) {
                Ok(_) => Outcome::imported(&source.name, &slug, &draft),
                Err(error) => Outcome::skipped(
                    &source.name,
                    None,
                    &format!("cannot write {}/{slug}.md: {error}", write::POSTMORTEMS),
                ),
            }
        };
        report.push(outcome);
    }
    Ok(report)
}
