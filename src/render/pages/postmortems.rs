//! The postmortem listing: every postmortem by year of its incident, cut into pages.

use serde::Serialize;

use crate::archive::{Archive, DocId};
use crate::render::Page;
use crate::render::paginate::{PagerView, Paging, anchor_link, page_path, pager};
use crate::render::views::{Listed, Views};

#[derive(Serialize)]
struct YearGroup<'a> {
    year: i32,
    /// The year's postmortems on all pages.
    count: usize,
    /// Whether the year began on an earlier page.
    continued: bool,
    postmortems: Vec<Listed<'a>>,
}

/// A year in the listing's navigation, linked to the page it begins on.
#[derive(Serialize)]
struct YearLink {
    year: i32,
    url: String,
}

#[derive(Serialize)]
struct PostmortemsView<'a> {
    years: Vec<YearGroup<'a>>,
    year_links: Vec<YearLink>,
    count: usize,
    pager: Option<PagerView>,
}

const POSTMORTEMS: &str = "/postmortems/";

/// The postmortems by year of the incident, newest year first, cut into pages.
pub(super) fn postmortem_paging(archive: &Archive) -> Paging {
    Paging::new(
        archive.years.values().rev().map(Vec::len),
        archive.config.paginate_by.get(),
    )
}

pub(super) fn postmortems<'v>(views: &'v Views, page: usize) -> Page<'v> {
    let archive = views.archive;
    let years: Vec<(&i32, &Vec<DocId>)> = archive.years.iter().rev().collect();
    let paging = postmortem_paging(archive);
    let year_links = years
        .iter()
        .enumerate()
        .map(|(group, &(&year, _))| YearLink {
            year,
            url: anchor_link(
                views,
                POSTMORTEMS,
                page,
                paging.page_of(group),
                &format!("y{year}"),
            ),
        })
        .collect();
    let view = PostmortemsView {
        years: paging
            .slices(page)
            .into_iter()
            .map(|slice| {
                let (&year, ids) = years[slice.group];
                YearGroup {
                    year,
                    count: ids.len(),
                    continued: !slice.first,
                    postmortems: views.listed(&ids[slice.rows]),
                }
            })
            .collect(),
        year_links,
        count: archive.postmortems.len(),
        pager: pager(views, POSTMORTEMS, page, paging.page_count()),
    };
    Page::new(page_path(POSTMORTEMS, page), "postmortems.html", view)
}
