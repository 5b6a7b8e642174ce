//! The HTML pages of the site: every page an archive has, and the builder of each kind, one
//! file per kind.

mod home;
mod indexes;
mod postmortem;
mod postmortems;
mod premortem;

pub use postmortem::neighbouring_postmortems;

use super::Page;
use super::views::Views;
use crate::archive::DocId;

/// Every page the site has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageKind {
    Home,
    /// A page of the postmortem listing, from 0.
    Postmortems(usize),
    Postmortem(DocId),
    Premortems,
    Premortem(DocId),
    Services,
    /// A page of a service's index, from 0.
    Service(String, usize),
    Tags,
    /// A page of a tag's index, from 0.
    Tag(String, usize),
    Stats,
    /// A page of the open action items, from 0.
    Actions(usize),
    /// A page of the closed action items, from 0.
    ClosedActions(usize),
    NotFound,
    Search,
}

/// The pages of an archive, in a stable order.
pub fn all(views: &Views) -> Vec<PageKind> {
    let archive = views.archive;
    let [open_actions, closed_actions] = views.action_plan().page_counts();
    let mut pages = vec![PageKind::Home];
    pages.extend(
        (0..postmortems::postmortem_paging(archive).page_count()).map(PageKind::Postmortems),
    );
    pages.extend([
        PageKind::Premortems,
        PageKind::Services,
        PageKind::Tags,
        PageKind::Stats,
    ]);
    pages.extend((0..open_actions).map(PageKind::Actions));
    pages.extend((0..closed_actions).map(PageKind::ClosedActions));
    pages.extend([PageKind::NotFound, PageKind::Search]);
    pages.extend(
        archive
            .postmortems
            .iter()
            .map(|&id| PageKind::Postmortem(id)),
    );
    pages.extend(archive.premortems.iter().map(|&id| PageKind::Premortem(id)));
    for (id, listing) in &archive.services {
        let count = indexes::index_paging(archive, listing).page_count();
        pages.extend((0..count).map(|page| PageKind::Service(id.clone(), page)));
    }
    for (tag, listing) in &archive.tags {
        let count = indexes::index_paging(archive, listing).page_count();
        pages.extend((0..count).map(|page| PageKind::Tag(tag.clone(), page)));
    }
    pages
}

/// The page of `kind`: its path, template and view, built by the file of its kind.
pub fn build<'v>(kind: &PageKind, views: &'v Views) -> Page<'v> {
    match kind {
        PageKind::Home => home::home(views),
        PageKind::Postmortems(page) => postmortems::postmortems(views, *page),
        PageKind::Postmortem(id) => postmortem::postmortem(views, *id),
        PageKind::Premortems => premortem::premortems(views),
        PageKind::Premortem(id) => premortem::premortem(views, *id),
        PageKind::Services => indexes::services(views),
        PageKind::Service(id, page) => indexes::service(views, id, *page),
        PageKind::Tags => indexes::tags(views),
        PageKind::Tag(tag, page) => indexes::tag_page(views, tag, *page),
        PageKind::Stats => super::stats::page(views),
        PageKind::Actions(page) => super::actions::page(views, false, *page),
        PageKind::ClosedActions(page) => super::actions::page(views, true, *page),
        PageKind::NotFound => Page::new("/404.html", "404.html", serde_json::json!({})),
        PageKind::Search => Page::new("/search/", "search.html", serde_json::json!({})),
    }
}

/// Where the repository shows the document's source, when the site names a repository
/// with a safe URL.
pub(super) fn edit_url(views: &Views, d: &crate::document::Document) -> Option<String> {
    let config = &views.archive.config;
    let repo = config.repo_url.as_deref()?.trim_end_matches('/');
    crate::markdown::is_safe_url(repo).then(|| {
        format!(
            "{repo}/blob/{}/{}",
            config.repo_branch,
            d.path.to_string_lossy().replace('\\', "/")
        )
    })
}
