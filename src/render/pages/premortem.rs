//! The premortem listing and a premortem's page: its risks and the postmortems that
//! realized them.

use serde::Serialize;

use super::edit_url;
use crate::archive::DocId;
use crate::render::views::{DocSummary, Listed, TocEntry, Views, rating, risk_anchor, toc};
use crate::render::{Markup, Page};

#[derive(Serialize)]
struct PremortemSummary<'a> {
    doc: &'a DocSummary,
    risk_count: usize,
    came_true_count: usize,
}

#[derive(Serialize)]
struct PremortemsView<'a> {
    premortems: Vec<PremortemSummary<'a>>,
}

pub(super) fn premortems<'v>(views: &'v Views) -> Page<'v> {
    let archive = views.archive;
    let view = PremortemsView {
        premortems: archive
            .premortems
            .iter()
            .map(|&id| {
                let came_true = &archive.came_true[id];
                PremortemSummary {
                    doc: views.summary(id),
                    risk_count: came_true.by_risk.len(),
                    came_true_count: came_true
                        .by_risk
                        .iter()
                        .filter(|ids| !ids.is_empty())
                        .count(),
                }
            })
            .collect(),
    };
    Page::new("/premortems/", "premortems.html", view)
}

#[derive(Serialize)]
struct RiskView<'a> {
    id: String,
    anchor: String,
    title: String,
    likelihood: Option<String>,
    impact: Option<String>,
    mitigation: String,
    owner: Option<String>,
    came_true: Vec<Listed<'a>>,
}

#[derive(Serialize)]
struct PremortemView<'a> {
    doc: &'a DocSummary,
    authors: Vec<String>,
    risks: Vec<RiskView<'a>>,
    /// Postmortems that named this premortem without naming a risk.
    came_true: Vec<Listed<'a>>,
    toc: Vec<TocEntry>,
    body: Markup,
    /// Whether the body has a code block, which needs the highlighting stylesheet.
    has_code: bool,
    edit_url: Option<String>,
    extra: toml::Table,
}

pub(super) fn premortem<'v>(views: &'v Views, id: DocId) -> Page<'v> {
    let archive = views.archive;
    let d = &archive.documents[id];
    let p = d
        .premortem()
        .expect("premortem pages are made for premortems");
    let came_true = &archive.came_true[id];
    let view = PremortemView {
        doc: views.summary(id),
        authors: p.authors.clone(),
        risks: p
            .risks
            .iter()
            .enumerate()
            .map(|(i, r)| RiskView {
                id: r.id.clone(),
                anchor: risk_anchor(&r.id),
                title: r.title.clone(),
                likelihood: rating(r.likelihood),
                impact: rating(r.impact),
                mitigation: r.mitigation.clone(),
                owner: r.owner.clone(),
                came_true: came_true
                    .by_risk
                    .get(i)
                    .map(|ids| views.listed(ids))
                    .unwrap_or_default(),
            })
            .collect(),
        came_true: views.listed(&came_true.unspecified),
        toc: toc(&d.body.headings),
        body: Markup(String::new()),
        has_code: false,
        edit_url: edit_url(views, d),
        extra: p.extra.clone(),
    };
    Page::deferred(
        d.url_path(),
        "premortem.html",
        view,
        d.body.html.digest(),
        move |view: &mut PremortemView| {
            view.body = Markup(d.body.html.get());
            view.has_code = crate::highlight::has_code_block(&view.body.0);
        },
    )
}
