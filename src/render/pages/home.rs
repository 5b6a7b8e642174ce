//! The home page: the latest postmortems, counts by severity, the busiest services.

use serde::Serialize;

use crate::render::Page;
use crate::render::views::{Listed, NamedLink, SeverityView, Views};

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

pub(super) fn home<'v>(views: &'v Views) -> Page<'v> {
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
        this_week: crate::render::stats::this_week_in_history(views, views.today()),
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
