//! The link step of a session: an edit of bodies alone is swapped into the last archive;
//! any other edit links every document again, then renders what it changed.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::archive::{self, Archive, DocId, LinkOptions};
use crate::diagnostic::Diagnostic;
use crate::document::Kind;
use crate::load::{Loaded, LoadedDocument};
use crate::render;
use crate::render::views::Views;

use super::files::kind_of;
use super::pages::document_page;
use super::{CachedFile, Deferred, DocKey, Files, Linked, Parsed, Rebuild, Session, Step};
use crate::stamp::Stamp;

impl Session {
    /// Renders what the pending edits can have changed, starting with the edited documents'
    /// own pages: the other pages that show them, and the site-wide files, wait for
    /// [`Session::finish`].
    pub(super) fn link_and_render(&mut self, loaded: usize, load_time: Duration) -> Rebuild {
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
    pub(super) fn swap_bodies(&mut self) -> Option<HashSet<PathBuf>> {
        if self.render_all
            || self.check_again
            || !self.front_matter_changed.is_empty()
            || self.pending.is_empty()
        {
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
                findings,
                ..
            }) = self.files.get(path)
            else {
                return None;
            };
            // An edit that a rule refuses: the full way keeps the last good site under the
            // overlay, as it does for any error.
            if notes.iter().chain(findings).any(Diagnostic::is_error) {
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
    pub(super) fn file_diagnostics(&self) -> Vec<Diagnostic> {
        let mut diagnostics = self.config_diagnostics.clone();
        diagnostics.extend(self.listing_diagnostics.iter().cloned());
        for cached in self.files.values() {
            if let Err(diagnostic) = &cached.result {
                diagnostics.push(diagnostic.clone());
            }
            diagnostics.extend(cached.notes.iter().cloned());
            diagnostics.extend(cached.findings.iter().cloned());
        }
        diagnostics
    }

    /// Links every cached document and renders the edited documents' pages (or, for a first
    /// build or a change of configuration or theme, the whole site).
    pub(super) fn relink_and_render(&mut self, loaded: usize, load_time: Duration) -> Rebuild {
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
        if self.check_again {
            self.check_all_again();
        }
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
                root: self.context.root.clone(),
                config: self.config.clone(),
                edition: self.edition,
                documents,
                diagnostics: Vec::new(),
            },
            LinkOptions {
                drafts: self.context.drafts,
                today: self.context.now.date_naive(),
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
    pub(super) fn give_back(&mut self, mut archive: Archive) {
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
}

/// The last good site's suggestions, for the documents of `archive`.
pub(super) fn carried_suggestions(
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
