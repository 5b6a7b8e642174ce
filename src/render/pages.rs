//! The HTML pages of the site, one builder each.

use serde::Serialize;

use super::paginate::{PagerView, Paging, anchor_link, page_path, pager};
use super::views::{
    ActionView, DocSummary, Listed, NamedLink, SeverityView, TocEntry, Views, format_duration,
    part_anchors, path_segment, rating, risk_anchor, toc,
};
use super::{Markup, Page};
use crate::archive::{Archive, DocId, Listing};

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
    pages.extend((0..postmortem_paging(archive).page_count()).map(PageKind::Postmortems));
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
        let count = index_paging(archive, listing).page_count();
        pages.extend((0..count).map(|page| PageKind::Service(id.clone(), page)));
    }
    for (tag, listing) in &archive.tags {
        let count = index_paging(archive, listing).page_count();
        pages.extend((0..count).map(|page| PageKind::Tag(tag.clone(), page)));
    }
    pages
}

pub fn build<'v>(kind: &PageKind, views: &'v Views) -> Page<'v> {
    match kind {
        PageKind::Home => home(views),
        PageKind::Postmortems(page) => postmortems(views, *page),
        PageKind::Postmortem(id) => postmortem(views, *id),
        PageKind::Premortems => premortems(views),
        PageKind::Premortem(id) => premortem(views, *id),
        PageKind::Services => services(views),
        PageKind::Service(id, page) => service(views, id, *page),
        PageKind::Tags => tags(views),
        PageKind::Tag(tag, page) => tag_page(views, tag, *page),
        PageKind::Stats => super::stats::page(views),
        PageKind::Actions(page) => super::actions::page(views, false, *page),
        PageKind::ClosedActions(page) => super::actions::page(views, true, *page),
        PageKind::NotFound => Page::new("/404.html", "404.html", serde_json::json!({})),
        PageKind::Search => Page::new("/search/", "search.html", serde_json::json!({})),
    }
}

#[derive(Serialize)]
struct SeverityCount {
    severity: SeverityView,
    count: usize,
}

#[derive(Serialize)]
struct ServiceCount {
    service: NamedLink,
    count: usize,
}

#[derive(Serialize)]
struct HomeView<'a> {
    latest: Vec<Listed<'a>>,
    severity_counts: Vec<SeverityCount>,
    top_services: Vec<ServiceCount>,
    postmortem_count: usize,
    premortem_count: usize,
    service_count: usize,
    tag_count: usize,
    /// Incidents of this ISO week in earlier years.
    this_week: Vec<Listed<'a>>,
}

fn home<'v>(views: &'v Views) -> Page<'v> {
    let archive = views.archive;
    let mut top_services: Vec<ServiceCount> = archive
        .services
        .iter()
        .filter(|(_, l)| !l.postmortems.is_empty())
        .map(|(id, l)| ServiceCount {
            service: views.service_link(id),
            count: l.postmortems.len(),
        })
        .collect();
    top_services.sort_by(|a, b| b.count.cmp(&a.count).then(a.service.id.cmp(&b.service.id)));
    top_services.truncate(8);
    let view = HomeView {
        latest: views.listed(&archive.postmortems[..archive.postmortems.len().min(10)]),
        severity_counts: severity_counts(views),
        top_services,
        postmortem_count: archive.postmortems.len(),
        premortem_count: archive.premortems.len(),
        service_count: archive.services.len(),
        tag_count: archive.tags.len(),
        this_week: super::stats::this_week_in_history(views, super::views::today()),
    };
    Page::new("/", "index.html", view)
}

fn severity_counts(views: &Views) -> Vec<SeverityCount> {
    let archive = views.archive;
    let mut counts: Vec<SeverityCount> = archive
        .config
        .severities
        .iter()
        .map(|s| SeverityCount {
            severity: views.severity(&s.id),
            count: archive.severities.get(&s.id).map_or(0, Vec::len),
        })
        .collect();
    // Severities used in documents but missing from the scale still count.
    for (id, ids) in &archive.severities {
        if archive.config.severity_rank(id).is_none() {
            counts.push(SeverityCount {
                severity: views.severity(id),
                count: ids.len(),
            });
        }
    }
    counts
}

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
fn postmortem_paging(archive: &Archive) -> Paging {
    Paging::new(
        archive.years.values().rev().map(Vec::len),
        archive.config.paginate_by.get(),
    )
}

fn postmortems<'v>(views: &'v Views, page: usize) -> Page<'v> {
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

#[derive(Serialize)]
struct IncidentView {
    started: String,
    detected: Option<String>,
    mitigated: Option<String>,
    resolved: Option<String>,
    duration: Option<String>,
    time_to_detect: Option<String>,
    time_to_mitigate: Option<String>,
    time_to_resolve: Option<String>,
    /// Resolved to published, in days.
    time_to_publish: Option<String>,
}

#[derive(Serialize)]
struct RealizedRisk {
    premortem: NamedLink,
    /// The risk's title and link, when the reference names one.
    risk: Option<NamedLink>,
}

/// An action item on its postmortem's page, with the id a link to it uses.
#[derive(Serialize)]
struct AnchoredAction {
    #[serde(flatten)]
    action: ActionView,
    anchor: String,
}

#[derive(Serialize)]
struct PostmortemView<'a> {
    doc: &'a DocSummary,
    actions: Vec<AnchoredAction>,
    /// The postmortems published just before and just after this one, for reading on.
    previous: Option<NamedLink>,
    next: Option<NamedLink>,
    realized: Vec<RealizedRisk>,
    related: Vec<Listed<'a>>,
    /// Similar postmortems found by scoring, shown as suggestions.
    suggested: Vec<Listed<'a>>,
    edit_url: Option<String>,
    /// Made only when the page renders (see [`postmortem`]).
    #[serde(flatten)]
    own: Option<OwnView>,
}

/// What a postmortem page shows that is made from its document alone, with the site's zone.
#[derive(Serialize)]
struct OwnView {
    /// Whether the body has a code block, which needs the highlighting stylesheet.
    has_code: bool,
    authors: Vec<String>,
    incident: IncidentView,
    toc: Vec<TocEntry>,
    /// The body, or its part before the timeline when the timeline is shown visually.
    body: Markup,
    timeline: Option<super::timeline::TimelineView>,
    /// The body after the timeline, when the timeline is shown visually.
    body_after: Markup,
    extra: toml::Table,
    /// Where `hindsight import` brought the document from, shown as a small table.
    imported: Option<ImportedView>,
}

/// The `[extra.import]` table an imported postmortem records: its source, the source's URL
/// (a link only when it is http or https) and the source's keys the schema has no place for.
#[derive(Serialize)]
struct ImportedView {
    source: String,
    url: Option<String>,
    fields: Vec<(String, String)>,
}

impl ImportedView {
    fn of(extra: &toml::Table) -> Option<ImportedView> {
        let import = extra.get("import")?.as_table()?;
        let source = import.get("source")?.as_str()?.to_string();
        let url = import
            .get("url")
            .and_then(toml::Value::as_str)
            .filter(|u| {
                (u.starts_with("https://") || u.starts_with("http://"))
                    && crate::markdown::is_safe_url(u)
            })
            .map(String::from);
        let fields = import
            .get("fields")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flatten()
            .map(|(key, value)| {
                let shown = match value {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (key.clone(), shown)
            })
            .collect();
        Some(ImportedView {
            source,
            url,
            fields,
        })
    }
}

fn postmortem<'v>(views: &'v Views, id: DocId) -> Page<'v> {
    let archive = views.archive;
    let d = &archive.documents[id];
    let p = d
        .postmortem()
        .expect("postmortem pages are made for postmortems");
    let today = super::views::today();
    let anchors = part_anchors("action", p.actions.iter().map(|a| a.title.as_str()));
    let [previous, next] = neighbouring_postmortems(archive, id).map(|neighbour| {
        neighbour.map(|other| {
            let summary = views.summary(other);
            NamedLink {
                id: archive.documents[other].slug.clone(),
                name: summary.title.clone(),
                url: summary.url.clone(),
            }
        })
    });
    let view = PostmortemView {
        doc: views.summary(id),
        actions: p
            .actions
            .iter()
            .zip(anchors)
            .map(|(a, anchor)| AnchoredAction {
                action: ActionView::new(a, today),
                anchor,
            })
            .collect(),
        previous,
        next,
        realized: archive.realized[id]
            .iter()
            .map(|link| {
                let premortem_doc = &archive.documents[link.premortem];
                let url = views.url(&premortem_doc.url_path());
                RealizedRisk {
                    risk: link.risk.and_then(|r| {
                        let risk = premortem_doc.premortem()?.risks.get(r)?;
                        Some(NamedLink {
                            id: risk.id.clone(),
                            name: risk.title.clone(),
                            url: format!("{url}#{}", risk_anchor(&risk.id)),
                        })
                    }),
                    premortem: NamedLink {
                        id: premortem_doc.slug.clone(),
                        name: premortem_doc.title().to_string(),
                        url,
                    },
                }
            })
            .collect(),
        related: views.listed(&archive.related[id]),
        suggested: views.listed(&archive.suggested[id]),
        edit_url: edit_url(views, d),
        own: None,
    };
    // The part made from the document alone (its body unpacked, its times written out, its
    // visual timeline) is made only when the page renders: a page kept by its key does not
    // need it, and a one-change build keeps nearly every page. The document's key and the
    // site's zone stand for it in the page's key; writing these parts out only to hash them
    // was 3% of a one-change build. A document without a key hashes them.
    let own = move || own_view(views, id);
    let made_from = match d.key {
        Some(key) => super::hash_parts([&key.to_le_bytes()[..], archive.zone.name().as_bytes()]),
        None => super::key_of(&own()),
    };
    Page::deferred(
        d.url_path(),
        "postmortem.html",
        view,
        made_from,
        move |view: &mut PostmortemView| view.own = Some(own()),
    )
}

/// The postmortems published just before and just after `id`, in the archive's date order:
/// `[previous, next]`. Each one's page shows the other's title, so an edit to one changes
/// its neighbours' pages too.
pub fn neighbouring_postmortems(archive: &Archive, id: DocId) -> [Option<DocId>; 2] {
    // Postmortems are listed newest first, in the order of their ids.
    let Ok(i) = archive.postmortems.binary_search(&id) else {
        return [None, None];
    };
    [
        archive.postmortems.get(i + 1).copied(),
        i.checked_sub(1).map(|j| archive.postmortems[j]),
    ]
}

/// What a postmortem's page shows that is made from its document alone.
fn own_view(views: &Views, id: DocId) -> OwnView {
    let d = &views.archive.documents[id];
    let p = d
        .postmortem()
        .expect("postmortem pages are made for postmortems");
    let incident = &p.incident;
    let since_start = |t: Option<crate::document::Timestamp>| {
        t.map(|t| format_duration(t.0 - incident.started.0))
    };
    let mut own = OwnView {
        has_code: false,
        authors: p.authors.clone(),
        incident: IncidentView {
            started: views.time(incident.started),
            detected: incident.detected.map(|t| views.time(t)),
            mitigated: incident.mitigated.map(|t| views.time(t)),
            resolved: incident.resolved.map(|t| views.time(t)),
            duration: since_start(incident.resolved),
            time_to_detect: since_start(incident.detected),
            time_to_mitigate: since_start(incident.mitigated),
            time_to_resolve: since_start(incident.resolved),
            time_to_publish: views.archive.metrics.incidents[id]
                .and_then(|m| m.time_to_publish)
                .map(super::stats::format_days),
        },
        toc: toc(&d.body.headings),
        body: Markup(String::new()),
        timeline: None,
        body_after: Markup(String::new()),
        extra: p.extra.clone(),
        imported: ImportedView::of(&p.extra),
    };
    let html = d.body.html.get();
    let section = d.body.timeline.as_ref();
    let visual = section
        .zip(d.timeline(views.archive.zone))
        .and_then(|(section, timeline)| super::timeline::structured(section, timeline, incident));
    // The written blocks the visual timeline takes the place of.
    let blocks = match (&visual, section) {
        (Some(_), Some(section)) => section.html_blocks.as_slice(),
        _ => &[],
    };
    match (super::timeline::split(&html, blocks), visual) {
        (Some(split), Some(mut visual)) => {
            own.body = Markup(split.before);
            own.body_after = Markup(split.after);
            visual.written_html = Markup(split.written);
            own.timeline = Some(visual);
        }
        _ => own.body = Markup(html),
    }
    own.has_code = crate::highlight::has_code_block(&own.body.0)
        || crate::highlight::has_code_block(&own.body_after.0);
    own
}

fn edit_url(views: &Views, d: &crate::document::Document) -> Option<String> {
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

fn premortems<'v>(views: &'v Views) -> Page<'v> {
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

fn premortem<'v>(views: &'v Views, id: DocId) -> Page<'v> {
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

#[derive(Serialize)]
struct ServiceView<'a> {
    link: NamedLink,
    description: String,
    owner: Option<String>,
    tier: Option<u32>,
    in_catalogue: bool,
    postmortem_count: usize,
    premortem_count: usize,
    latest: Option<&'a DocSummary>,
}

fn service_view<'v>(views: &'v Views, id: &str, listing: &Listing) -> ServiceView<'v> {
    let info = views.archive.config.services.get(id);
    ServiceView {
        link: views.service_link(id),
        description: info.map(|i| i.description.clone()).unwrap_or_default(),
        owner: info.and_then(|i| i.owner.clone()),
        tier: info.and_then(|i| i.tier),
        in_catalogue: info.is_some(),
        postmortem_count: listing.postmortems.len(),
        premortem_count: listing.premortems.len(),
        latest: listing.postmortems.first().map(|&id| views.summary(id)),
    }
}

#[derive(Serialize)]
struct ServicesView<'a> {
    services: Vec<ServiceView<'a>>,
}

fn services<'v>(views: &'v Views) -> Page<'v> {
    let view = ServicesView {
        services: views
            .archive
            .services
            .iter()
            .map(|(id, listing)| service_view(views, id, listing))
            .collect(),
    };
    Page::new("/services/", "services.html", view)
}

#[derive(Serialize)]
struct ListingView<'a> {
    service: Option<ServiceView<'a>>,
    tag: Option<NamedLink>,
    /// The postmortems of this page.
    postmortems: Vec<Listed<'a>>,
    /// On the first page only.
    premortems: Vec<Listed<'a>>,
    /// Figures, chart and open action items, on the first page of a service.
    insights: Option<super::stats::ServiceInsights>,
    /// The service's Atom feed, on every page of a service.
    feed_url: Option<String>,
    pager: Option<PagerView>,
}

/// The postmortems of a service's or tag's index, cut into pages.
fn index_paging(archive: &Archive, listing: &Listing) -> Paging {
    Paging::new(
        [listing.postmortems.len()],
        archive.config.paginate_by.get(),
    )
}

/// Page `page` of the index of a service or tag at `path`: a slice of its postmortems; its
/// premortems and the service's insights on the first page.
fn listing_page<'v>(
    views: &'v Views,
    path: &str,
    listing: &Listing,
    page: usize,
) -> ListingView<'v> {
    let paging = index_paging(views.archive, listing);
    let rows = paging
        .slices(page)
        .into_iter()
        .next()
        .map_or(0..0, |s| s.rows);
    ListingView {
        service: None,
        tag: None,
        postmortems: views.listed(&listing.postmortems[rows]),
        premortems: match page {
            0 => views.listed(&listing.premortems),
            _ => Vec::new(),
        },
        insights: None,
        feed_url: None,
        pager: pager(views, path, page, paging.page_count()),
    }
}

fn service<'v>(views: &'v Views, id: &str, page: usize) -> Page<'v> {
    let listing = &views.archive.services[id];
    let path = format!("/services/{}/", path_segment(id));
    let view = ListingView {
        service: Some(service_view(views, id, listing)),
        insights: None,
        feed_url: Some(views.url(&format!("{path}feed.xml"))),
        ..listing_page(views, &path, listing, page)
    };
    if page > 0 {
        return Page::new(page_path(&path, page), "service.html", view);
    }
    // The first page's insights are made only when it renders; the key hashes what they
    // are made from: the service's postmortems, the day (which marks items overdue), and
    // the days the charts of every service span.
    let made_from = super::hash_parts([
        &super::actions::documents_key(views, &listing.postmortems).to_le_bytes()[..],
        super::views::today().to_string().as_bytes(),
        format!("{:?}", views.incident_span()).as_bytes(),
    ]);
    let id = id.to_string();
    Page::deferred(
        page_path(&path, page),
        "service.html",
        view,
        made_from,
        move |view| view.insights = Some(super::stats::service_insights(views, &id)),
    )
}

#[derive(Serialize)]
struct TagCount {
    tag: NamedLink,
    postmortem_count: usize,
    premortem_count: usize,
}

#[derive(Serialize)]
struct TagsView {
    tags: Vec<TagCount>,
}

fn tags<'v>(views: &'v Views) -> Page<'v> {
    let view = TagsView {
        tags: views
            .archive
            .tags
            .iter()
            .map(|(tag, listing)| TagCount {
                tag: views.tag_link(tag),
                postmortem_count: listing.postmortems.len(),
                premortem_count: listing.premortems.len(),
            })
            .collect(),
    };
    Page::new("/tags/", "tags.html", view)
}

fn tag_page<'v>(views: &'v Views, tag: &str, page: usize) -> Page<'v> {
    let listing = &views.archive.tags[tag];
    let path = format!("/tags/{}/", path_segment(tag));
    let view = ListingView {
        tag: Some(views.tag_link(tag)),
        ..listing_page(views, &path, listing, page)
    };
    Page::new(page_path(&path, page), "tag.html", view)
}
