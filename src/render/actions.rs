//! The `/actions/` page: every action item of the archive, the follow-through list for review
//! meetings. Open items come first, overdue ones marked, grouped by owner and by service,
//! each linking back to its postmortem.

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
        let summary = &views.summaries[id];
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
    open_count: usize,
    overdue_count: usize,
    closed_count: usize,
    today: String,
    by_owner: Vec<ActionGroup>,
    by_service: Vec<ActionGroup>,
}

const NO_OWNER: &str = "No owner";

/// The `/actions/` page.
pub fn page(views: &Views) -> Page {
    let all = rows(views, &views.archive.postmortems);
    let mut owners: BTreeMap<String, Vec<ActionRow>> = BTreeMap::new();
    let mut services: BTreeMap<String, (NamedLink, Vec<ActionRow>)> = BTreeMap::new();
    for row in &all {
        let owner = row.action.owner.clone().unwrap_or_else(|| NO_OWNER.into());
        owners.entry(owner).or_default().push(row.clone());
        for service in &row.services {
            services
                .entry(service.id.clone())
                .or_insert_with(|| (service.clone(), Vec::new()))
                .1
                .push(row.clone());
        }
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
    // Groups with the most open items first: where the follow-through is lagging.
    let sort = |groups: &mut Vec<ActionGroup>| {
        groups.sort_by(|a, b| {
            b.open
                .len()
                .cmp(&a.open.len())
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
        open_count: all.iter().filter(|r| r.action.open).count(),
        overdue_count: all.iter().filter(|r| r.action.overdue).count(),
        closed_count: all.iter().filter(|r| !r.action.open).count(),
        today: today().to_string(),
        by_owner,
        by_service,
    };
    Page::new("/actions/", "actions.html", &view)
}
