//! The load step of a session: which content files changed since the last rebuild, loading
//! them (with the check rules), and the public edition's links to internal documents.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::check;
use crate::config::Edition;
use crate::diagnostic::{Code, Diagnostic};
use crate::document::Kind;
use crate::incremental::cache::BodyCache;
use crate::load::{self, LoadedDocument};

use super::{CachedFile, Parsed, Session};
use crate::stamp::Stamp;

impl Session {
    /// Lists the content files again, forgets the removed ones and loads the new and changed
    /// ones; returns how many were loaded.
    pub(super) fn rescan_content(&mut self) -> usize {
        let root = self.context.root.clone();
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
    pub(super) fn refresh_files(&mut self, paths: &BTreeSet<PathBuf>) -> usize {
        let mut present = Vec::new();
        for path in paths {
            match kind_of(path) {
                Some(kind) if self.context.root.join(path).is_file() => {
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
    pub(super) fn load_stale(&mut self, files: Vec<(Kind, PathBuf)>) -> usize {
        let root = &self.context.root;
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
    /// becomes internal or public, the documents linking to it are loaded again (as the
    /// load's second pass does for a whole archive, with the same [`load::withheld_paths`]
    /// and [`load::links_to_any`]).
    pub(super) fn withhold_links(&mut self) -> usize {
        let documents = self
            .files
            .values()
            .filter_map(|cached| match &cached.result {
                Ok(Parsed {
                    document: Some(d), ..
                }) => Some(d),
                _ => None,
            });
        let internal = load::withheld_paths(documents, self.edition, self.context.drafts);
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
                load::links_to_any(d, |target| flipped.contains(target))
                    .then(|| (d.kind(), path.clone(), cached.stamp))
            })
            .collect();
        self.internal = internal;
        self.load(linking)
    }

    /// Loads the given files and caches the results; returns how many were loaded.
    pub(super) fn load(&mut self, files: Vec<(Kind, PathBuf, Option<Stamp>)>) -> usize {
        // The first load takes the bodies the last `build` kept, read only; after it, serve
        // keeps every body it analysed in memory, with its file's stamp.
        let bodies = (self.files.is_empty() && self.context.render_html)
            .then(|| BodyCache::open(&self.context.root, &self.config, self.edition))
            .flatten();
        let context = load::FileContext {
            root: &self.context.root,
            config: &self.config,
            edition: self.edition,
            render_html: self.context.render_html,
            highlights: Some(&self.highlights),
            bodies: bodies.as_ref().map(|b| b as &dyn load::Bodies),
            withheld_targets: (self.edition == Edition::Public).then_some(&self.internal),
        };
        let loaded: Vec<Loading> = files
            .into_par_iter()
            .map(|(kind, path, stamp)| {
                let result = load::load_file(&context, &path, kind);
                (path, stamp, result)
            })
            .collect();
        // The rules `check` and `build` run, on each file as it is loaded, with the typical
        // year of the archive as it now is.
        let typical_year = {
            let reloaded: HashSet<&PathBuf> = loaded.iter().map(|(path, _, _)| path).collect();
            let kept = self
                .files
                .iter()
                .filter(|(path, _)| !reloaded.contains(path))
                .filter_map(|(_, cached)| cached.year);
            let fresh = loaded
                .iter()
                .filter_map(|(_, _, result)| check::incident_year(&result.as_ref().ok()?.document));
            check::typical_year(kept.chain(fresh))
        };
        if typical_year != self.typical_year {
            self.typical_year = typical_year;
            self.check_again = self.files.len() > loaded.len();
        }
        let rules = check::Rules::new(&self.config, self.context.now, typical_year);
        let loaded: Vec<(PathBuf, CachedFile)> = loaded
            .into_par_iter()
            .map(|(path, stamp, result)| {
                let cached = match result {
                    Ok(mut loaded) => CachedFile {
                        stamp,
                        notes: std::mem::take(&mut loaded.document.body.diagnostics),
                        findings: rules.check(&self.context.root, &loaded),
                        year: check::incident_year(&loaded.document),
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
                            findings: Vec::new(),
                            year: None,
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

    /// Runs the rules again on every document, with the typical year as it now is; every
    /// document must be at hand (given back by the archive).
    pub(super) fn check_all_again(&mut self) {
        let rules = check::Rules::new(&self.config, self.context.now, self.typical_year);
        let root = &self.context.root;
        self.files.par_iter_mut().for_each(|(_, cached)| {
            let Ok(parsed) = &mut cached.result else {
                return;
            };
            let Some(document) = parsed.document.take() else {
                return;
            };
            let loaded = LoadedDocument {
                document,
                front_matter: parsed.front_matter.clone(),
            };
            cached.findings = rules.check(root, &loaded);
            parsed.document = Some(loaded.document);
        });
        self.check_again = false;
    }
}

/// A file just read: its path, its stamp, and the document or every error.
type Loading = (
    PathBuf,
    Option<Stamp>,
    Result<LoadedDocument, Vec<Diagnostic>>,
);

/// The kind of a content file by its folder: `content/postmortems/...` or
/// `content/premortems/...`.
pub(super) fn kind_of(path: &Path) -> Option<Kind> {
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
