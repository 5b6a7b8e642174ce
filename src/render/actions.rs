//! The action item pages, the follow-through list for review meetings: `/actions/` holds
//! every open item (overdue ones first and marked), grouped by owner and by service;
//! `/actions/closed/` the done and dropped ones, by owner. Each links back to its postmortem.
//!
//! Closed items get their own listing because they outnumber open ones about six to one in
//! a mature archive. Both are paginated (`paginate_by` items a page): the closed items of
//! 100,000 postmortems are a quarter of a million rows.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::Page;
use super::paginate::{PagerView, Paging, anchor_link, page_path, pager};
use super::views::{ActionView, NamedLink, Views, path_segment};
use crate::archive::{Archive, DocId};
use crate::document::ActionItem;

/// An action item with the postmortem it came from.
#[derive(Serialize, Clone)]
pub struct ActionRow {
    pub action: ActionView,
    pub postmortem: NamedLink,
    pub services: Vec<NamedLink>,
    /// When the incident's postmortem was published, to order items of equal due date.
    pub date: String,
}

/// An action item by where it is written: its postmortem and its place in the list.
#[derive(Clone, Copy)]
struct Item {
    doc: DocId,
    index: usize,
}

fn action(archive: &Archive, item: Item) -> &ActionItem {
    let p = archive.documents[item.doc]
        .postmortem()
        .expect("action items come from postmortems");
    &p.actions[item.index]
}

fn is_overdue(action: &ActionItem, today: NaiveDate) -> bool {
    action.status.is_open() && action.due.is_some_and(|d| d.0 < today)
}

/// The action items of the postmortems `ids`, open first, then overdue first, then by due
/// date, then newest postmortem first.
fn sorted_items(archive: &Archive, ids: &[DocId], today: NaiveDate) -> Vec<Item> {
    let mut items: Vec<Item> = ids
        .iter()
        .filter_map(|&doc| Some((doc, archive.documents[doc].postmortem()?)))
        .flat_map(|(doc, p)| (0..p.actions.len()).map(move |index| Item { doc, index }))
        .collect();
    items.sort_by(|&a, &b| {
        let (x, y) = (action(archive, a), action(archive, b));
        let (dx, dy) = (&archive.documents[a.doc], &archive.documents[b.doc]);
        y.status
            .is_open()
            .cmp(&x.status.is_open())
            .then(is_overdue(y, today).cmp(&is_overdue(x, today)))
            .then_with(|| match (x.due, y.due) {
                (Some(x), Some(y)) => x.0.cmp(&y.0),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| dy.common().date.cmp(&dx.common().date))
            .then_with(|| dx.slug.cmp(&dy.slug))
    });
    items
}

fn row(views: &Views, item: Item, today: NaiveDate) -> ActionRow {
    let d = &views.archive.documents[item.doc];
    let summary = views.summary(item.doc);
    ActionRow {
        action: ActionView::new(action(views.archive, item), today),
        postmortem: NamedLink {
            id: d.slug.clone(),
            name: summary.title.clone(),
            url: summary.url.clone(),
        },
        services: summary.services.clone(),
        date: summary.date.clone(),
    }
}

/// The open action items of the postmortems `ids`, in the order of [`sorted_items`]. Only
/// these are made into rows: on a service's page most items are closed.
pub fn open_rows(views: &Views, ids: &[DocId]) -> Vec<ActionRow> {
    let today = views.today();
    sorted_items(views.archive, ids, today)
        .into_iter()
        .filter(|&item| action(views.archive, item).status.is_open())
        .map(|item| row(views, item, today))
        .collect()
}

/// The items of one owner or service.
struct Group {
    name: String,
    /// A link to the service's page, for service groups.
    url: Option<String>,
    anchor: String,
    items: Vec<Item>,
    overdue_count: usize,
}

impl Group {
    fn new(
        archive: &Archive,
        today: NaiveDate,
        (name, url, anchor): (String, Option<String>, String),
        items: Vec<Item>,
    ) -> Self {
        let overdue_count = items
            .iter()
            .filter(|&&i| is_overdue(action(archive, i), today))
            .count();
        Group {
            name,
            url,
            anchor,
            items,
            overdue_count,
        }
    }
}

/// One of the two listings, its groups in the order shown.
struct Listing {
    path: &'static str,
    groups: Vec<Group>,
    /// How many of `groups` are owners; the service groups follow.
    owner_groups: usize,
    paging: Paging,
}

/// Both listings with the figures their pages show, made once for all their pages.
pub struct ActionPlan {
    open: Listing,
    closed: Listing,
    open_count: usize,
    overdue_count: usize,
    closed_count: usize,
}

const NO_OWNER: &str = "No owner";

impl ActionPlan {
    /// How many pages `/actions/` and `/actions/closed/` have.
    pub fn page_counts(&self) -> [usize; 2] {
        [&self.open, &self.closed].map(|listing| listing.paging.page_count())
    }

    pub fn new(views: &Views) -> Self {
        let archive = views.archive;
        let today = views.today();
        let items = sorted_items(archive, &archive.postmortems, today);
        let open_count = items
            .iter()
            .filter(|&&i| action(archive, i).status.is_open())
            .count();
        let overdue_count = items
            .iter()
            .filter(|&&i| is_overdue(action(archive, i), today))
            .count();
        // Open items sort first.
        let (open, closed) = items.split_at(open_count);
        let mut open_groups = by_owner(archive, open, today);
        let owner_groups = open_groups.len();
        open_groups.extend(by_service(views, open, today));
        let per_page = archive.config.paginate_by.get();
        let listing = |path, groups: Vec<Group>, owner_groups| Listing {
            path,
            paging: Paging::new(groups.iter().map(|g| g.items.len()), per_page),
            groups,
            owner_groups,
        };
        let closed_groups = by_owner(archive, closed, today);
        let closed_owners = closed_groups.len();
        ActionPlan {
            open: listing("/actions/", open_groups, owner_groups),
            closed: listing("/actions/closed/", closed_groups, closed_owners),
            open_count,
            overdue_count,
            closed_count: items.len() - open_count,
        }
    }
}

fn by_owner(archive: &Archive, items: &[Item], today: NaiveDate) -> Vec<Group> {
    let mut owners: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for &item in items {
        let owner = action(archive, item).owner.as_deref().unwrap_or(NO_OWNER);
        owners.entry(owner).or_default().push(item);
    }
    let groups = owners
        .into_iter()
        .map(|(owner, items)| {
            let anchor = format!("owner-{}", path_segment(owner));
            Group::new(archive, today, (owner.to_string(), None, anchor), items)
        })
        .collect();
    sorted(groups)
}

fn by_service(views: &Views, items: &[Item], today: NaiveDate) -> Vec<Group> {
    let archive = views.archive;
    let mut services: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for &item in items {
        for service in archive.documents[item.doc].common().services.iter() {
            services.entry(service).or_default().push(item);
        }
    }
    let groups = services
        .into_iter()
        .map(|(id, items)| {
            let link = views.service_link(id);
            let anchor = format!("service-{}", path_segment(&link.id));
            Group::new(archive, today, (link.name, Some(link.url), anchor), items)
        })
        .collect();
    sorted(groups)
}

/// Groups with the most items first (where the follow-through is lagging), items without
/// an owner after the others of their size.
fn sorted(mut groups: Vec<Group>) -> Vec<Group> {
    groups.sort_by(|a, b| {
        b.items
            .len()
            .cmp(&a.items.len())
            .then((a.name == NO_OWNER).cmp(&(b.name == NO_OWNER)))
            .then(a.name.cmp(&b.name))
    });
    groups
}

/// The part of a group on one page.
#[derive(Serialize)]
struct GroupView<'a> {
    name: &'a str,
    url: Option<&'a str>,
    anchor: &'a str,
    /// Whether the group began on an earlier page.
    continued: bool,
    count: usize,
    overdue_count: usize,
    rows: Vec<ActionRow>,
}

#[derive(Serialize)]
struct ActionsView<'a> {
    /// Whether this is the page of closed items.
    closed_page: bool,
    open_count: usize,
    overdue_count: usize,
    closed_count: usize,
    today: String,
    closed_url: String,
    open_url: String,
    /// Whether the listing has no item at all.
    empty: bool,
    by_owner: Vec<GroupView<'a>>,
    /// Always empty on the closed page.
    by_service: Vec<GroupView<'a>>,
    /// Where the groupings begin, for the links between them; only on the open page.
    by_owner_url: Option<String>,
    by_service_url: Option<String>,
    /// This page, from 1.
    page_number: usize,
    /// Whether the service groups began on an earlier page.
    by_service_continued: bool,
    pager: Option<PagerView>,
}

/// Page `page` (from 0) of `/actions/` (open items) or `/actions/closed/` (done and dropped).
/// Its rows are made only when it renders: what they are made from is hashed instead (see
/// [`rows_key`]), and a page kept by its key never makes them.
pub fn page<'v>(views: &'v Views, closed_page: bool, page: usize) -> Page<'v> {
    let plan = views.action_plan();
    let listing = if closed_page {
        &plan.closed
    } else {
        &plan.open
    };
    let today = views.today();
    let (mut by_owner, mut by_service) = (Vec::new(), Vec::new());
    // The items of each group on the page, owners' then services', as the view lists them.
    let mut items: Vec<&'v [Item]> = Vec::new();
    for slice in listing.paging.slices(page) {
        let g = &listing.groups[slice.group];
        items.push(&g.items[slice.rows]);
        let view = GroupView {
            name: &g.name,
            url: g.url.as_deref(),
            anchor: &g.anchor,
            continued: !slice.first,
            count: g.items.len(),
            overdue_count: g.overdue_count,
            rows: Vec::new(),
        };
        match slice.group < listing.owner_groups {
            true => by_owner.push(view),
            false => by_service.push(view),
        }
    }
    let link = |group: usize, anchor: &str| {
        anchor_link(
            views,
            listing.path,
            page,
            listing.paging.page_of(group),
            anchor,
        )
    };
    let has_services = listing.groups.len() > listing.owner_groups;
    let view = ActionsView {
        closed_page,
        open_count: plan.open_count,
        overdue_count: plan.overdue_count,
        closed_count: plan.closed_count,
        today: today.to_string(),
        closed_url: views.url("/actions/closed/"),
        open_url: views.url("/actions/"),
        empty: listing.groups.is_empty(),
        by_owner,
        by_service,
        by_owner_url: has_services.then(|| link(0, "by-owner")),
        by_service_url: has_services.then(|| link(listing.owner_groups, "by-service")),
        page_number: page + 1,
        by_service_continued: has_services && listing.paging.page_of(listing.owner_groups) < page,
        pager: pager(views, listing.path, page, listing.paging.page_count()),
    };
    let made_from = rows_key(views, items.iter().copied().flatten());
    let finish = move |view: &mut ActionsView| {
        let groups = view.by_owner.iter_mut().chain(&mut view.by_service);
        for (group, items) in groups.zip(items) {
            group.rows = items.iter().map(|&item| row(views, item, today)).collect();
        }
    };
    Page::deferred(
        page_path(listing.path, page),
        "actions.html",
        view,
        made_from,
        finish,
    )
}

/// What the rows of `items` are made from, hashed: each item's place in its postmortem,
/// and the postmortem (see [`documents_key`]). The day, which marks items overdue, is in
/// the page's view. Writing every row as JSON only to hash it was a tenth of a one-change
/// build of 1,000 postmortems.
fn rows_key<'a>(views: &Views, items: impl Iterator<Item = &'a Item>) -> u64 {
    let mut parts = Vec::new();
    for &item in items {
        parts.extend_from_slice(&item.index.to_le_bytes());
        push_document(&mut parts, views, item.doc);
    }
    xxhash_rust::xxh3::xxh3_64(&parts)
}

/// The documents `ids`, in order, hashed: each one's summary and file (see
/// [`super::file_key`]), which is all a row of its action items, a point of a chart or a
/// figure made from it reads besides the site's settings.
pub fn documents_key(views: &Views, ids: &[DocId]) -> u64 {
    let mut parts = Vec::with_capacity(ids.len() * 16);
    for &id in ids {
        push_document(&mut parts, views, id);
    }
    xxhash_rust::xxh3::xxh3_64(&parts)
}

/// Adds what [`documents_key`] hashes of document `id` to `parts`.
fn push_document(parts: &mut Vec<u8>, views: &Views, id: DocId) {
    let d = &views.archive.documents[id];
    parts.extend_from_slice(&views.summary(id).digest().to_le_bytes());
    parts.extend_from_slice(&super::file_key(d).to_le_bytes());
}
