//! The service and tag pages: the lists of both, and each one's index of documents, cut
//! into pages.

use serde::Serialize;

use crate::archive::{Archive, Listing};
use crate::render::Page;
use crate::render::paginate::{PagerView, Paging, page_path, pager};
use crate::render::views::{DocSummary, Listed, NamedLink, Views, path_segment};

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

pub(super) fn services<'v>(views: &'v Views) -> Page<'v> {
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
    insights: Option<crate::render::stats::ServiceInsights>,
    /// The service's Atom feed, on every page of a service.
    feed_url: Option<String>,
    pager: Option<PagerView>,
}

/// The postmortems of a service's or tag's index, cut into pages.
pub(super) fn index_paging(archive: &Archive, listing: &Listing) -> Paging {
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

pub(super) fn service<'v>(views: &'v Views, id: &str, page: usize) -> Page<'v> {
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
    let made_from = crate::render::hash_parts([
        &crate::render::actions::documents_key(views, &listing.postmortems).to_le_bytes()[..],
        views.today().to_string().as_bytes(),
        format!("{:?}", views.incident_span()).as_bytes(),
    ]);
    let id = id.to_string();
    Page::deferred(
        page_path(&path, page),
        "service.html",
        view,
        made_from,
        move |view| view.insights = Some(crate::render::stats::service_insights(views, &id)),
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

pub(super) fn tags<'v>(views: &'v Views) -> Page<'v> {
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

pub(super) fn tag_page<'v>(views: &'v Views, tag: &str, page: usize) -> Page<'v> {
    let listing = &views.archive.tags[tag];
    let path = format!("/tags/{}/", path_segment(tag));
    let view = ListingView {
        tag: Some(views.tag_link(tag)),
        ..listing_page(views, &path, listing, page)
    };
    Page::new(page_path(&path, page), "tag.html", view)
}
