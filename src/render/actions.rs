//! The action item pages, the follow-through list for review meetings: `/actions/` holds
//! every open item (overdue ones first and marked), grouped by owner and by service;
//! `/actions/closed/` the done and dropped ones, by owner. Each links back to its postmortem.
//!
//! Closed items get their own page because they outnumber open ones about six to one in a
//! mature archive: on one page they made it 28 MB at 10,000 postmortems.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Page;
use super::views::{ActionView, NamedLink, Views, today};
use crate::archive::DocId;

/// An action item with the postmortem it came from.
#[derive(Serialize, Clone)]
pub struct ActionRow {
    pub action: ActionView,
    pub postmortem: NamedLink,
    pub services: Vec<NamedLink>,
    /// When the incident's postmortem was published, to order items of equal due date.
    pub date: String,
}

/// The action items of the postmortems `ids`, open first, then overdue first, then by due
/// date, then newest postmortem first.
pub fn rows(views: &Views, ids: &[DocId]) -> Vec<ActionRow> {
    let today = today();
    let archive = views.archive;
    let mut rows: Vec<ActionRow> = Vec::new();
    for &id in ids {
        let d = &archive.documents[id];
        let Some(p) = d.postmortem() else { continue };
        let summary = views.summary(id);
        for action in &p.actions {
            rows.push(ActionRow {
                action: ActionView::new(action, today),
                postmortem: NamedLink {
                    id: d.slug.clone(),
                    name: summary.title.clone(),
                    url: summary.url.clone(),
                },
                services: summary.services.clone(),
                date: summary.date.clone(),
            });
        }
    }
    rows.sort_by(|a, b| {
        b.action
            .open
            .cmp(&a.action.open)
            .then(b.action.overdue.cmp(&a.action.overdue))
            .then_with(|| match (&a.action.due, &b.action.due) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| b.date.cmp(&a.date))
            .then_with(|| a.postmortem.id.cmp(&b.postmortem.id))
    });
    rows
}

/// The items of one owner or service.
#[derive(Serialize)]
struct ActionGroup {
    name: String,
    /// A link to the service's page, for service groups.
    url: Option<String>,
    anchor: String,
    open: Vec<ActionRow>,
    closed: Vec<ActionRow>,
    overdue_count: usize,
}

#[derive(Serialize)]
struct ActionsView {
    /// Whether this is the page of closed items.
    closed_page: bool,
    open_count: usize,
    overdue_count: usize,
    closed_count: usize,
    today: String,
    closed_url: String,
    open_url: String,
    by_owner: Vec<ActionGroup>,
    /// Empty on the closed page.
    by_service: Vec<ActionGroup>,
}

const NO_OWNER: &str = "No owner";

/// `/actions/` (open items) or `/actions/closed/` (done and dropped ones).
pub fn page(views: &Views, closed_page: bool) -> Page {
    let all = rows(views, &views.archive.postmortems);
    let (open_count, closed_count) = (
        all.iter().filter(|r| r.action.open).count(),
        all.iter().filter(|r| !r.action.open).count(),
    );
    let overdue_count = all.iter().filter(|r| r.action.overdue).count();
    let listed: Vec<ActionRow> = all
        .into_iter()
        .filter(|r| r.action.open != closed_page)
        .collect();
    let mut owners: BTreeMap<String, Vec<ActionRow>> = BTreeMap::new();
    let mut services: BTreeMap<String, (NamedLink, Vec<ActionRow>)> = BTreeMap::new();
    // Rows move into their owner's group and are copied only into service groups: the
    // closed items of 100,000 postmortems are a quarter of a million rows.
    for row in listed {
        if !closed_page {
            for service in &row.services {
                services
                    .entry(service.id.clone())
                    .or_insert_with(|| (service.clone(), Vec::new()))
                    .1
                    .push(row.clone());
            }
        }
        let owner = row.action.owner.clone().unwrap_or_else(|| NO_OWNER.into());
        owners.entry(owner).or_default().push(row);
    }
    let group = |name: String, url: Option<String>, anchor: String, rows: Vec<ActionRow>| {
        let (open, closed): (Vec<ActionRow>, Vec<ActionRow>) =
            rows.into_iter().partition(|r| r.action.open);
        ActionGroup {
            overdue_count: open.iter().filter(|r| r.action.overdue).count(),
            name,
            url,
            anchor,
            open,
            closed,
        }
    };
    // Groups with the most items first: where the follow-through is lagging.
    let sort = |groups: &mut Vec<ActionGroup>| {
        groups.sort_by(|a, b| {
            (b.open.len() + b.closed.len())
                .cmp(&(a.open.len() + a.closed.len()))
                .then((a.name == NO_OWNER).cmp(&(b.name == NO_OWNER)))
                .then(a.name.cmp(&b.name))
        })
    };
    let mut by_owner: Vec<ActionGroup> = owners
        .into_iter()
        .map(|(owner, rows)| {
            let anchor = format!("owner-{}", super::views::path_segment(&owner));
            group(owner, None, anchor, rows)
        })
        .collect();
    sort(&mut by_owner);
    let mut by_service: Vec<ActionGroup> = services
        .into_values()
        .map(|(link, rows)| {
            let anchor = format!("service-{}", super::views::path_segment(&link.id));
            group(link.name, Some(link.url), anchor, rows)
        })
        .collect();
    sort(&mut by_service);
    let view = ActionsView {
        closed_page,
        open_count,
        overdue_count,
        closed_count,
        today: today().to_string(),
        closed_url: views.url("/actions/closed/"),
        open_url: views.url("/actions/"),
        by_owner,
        by_service,
    };
    let path = if closed_page {
        "/actions/closed/"
    } else {
        "/actions/"
    };
    Page::new(path, "actions.html", &view)
}
