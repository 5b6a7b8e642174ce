//! The render step of a session: which pages an edit can change (each document's footprint,
//! the pages by identity across rebuilds), rendering them and reusing the others, and the
//! site-wide files.

use super::{
    DocKey, Edited, Files, Footprint, Good, PageKey, RenderedSite, Session, StepOne, Stopped,
};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::archive::{Archive, DocId};
use crate::diagnostic::Diagnostic;
use crate::document::Kind;
use crate::render::views::Views;
use crate::render::{self, PageKind};
use crate::theme::Theme;

impl Session {
    /// Step one of an edit that was linked again: the edited documents' own pages, over the
    /// last good site (every other page and file is served as it was until `finish`).
    pub(super) fn render_edited(
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
    pub(super) fn render_whole(
        &self,
        archive: &Archive,
        theme: &Theme,
    ) -> Result<RenderedSite, Diagnostic> {
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
    pub(super) fn render_changed(
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
pub(super) fn generate(
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

pub(super) fn doc_key(archive: &Archive, id: usize) -> DocKey {
    let document = &archive.documents[id];
    (document.kind(), document.slug.clone())
}

/// A document's own page.
pub(super) fn document_page(archive: &Archive, id: DocId) -> PageKind {
    match archive.documents[id].kind() {
        Kind::Postmortem => PageKind::Postmortem(id),
        Kind::Premortem => PageKind::Premortem(id),
    }
}

pub(super) fn page_key(archive: &Archive, kind: &PageKind) -> PageKey {
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
pub(super) fn footprints(archive: &Archive) -> HashMap<PathBuf, Footprint> {
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

/// The postmortems suggested on each document's page.
pub(super) fn suggested(archive: &Archive) -> HashMap<DocKey, Vec<DocKey>> {
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
