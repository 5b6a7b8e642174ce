//! A postmortem's page: its incident's times, actions, realized risks, neighbours and body.

use serde::Serialize;

use super::edit_url;
use crate::archive::{Archive, DocId};
use crate::render::views::{
    ActionView, DocSummary, Listed, NamedLink, TocEntry, Views, format_duration, part_anchors,
    risk_anchor, toc,
};
use crate::render::{Markup, Page};

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
    timeline: Option<crate::render::timeline::TimelineView>,
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

pub(super) fn postmortem<'v>(views: &'v Views, id: DocId) -> Page<'v> {
    let archive = views.archive;
    let d = &archive.documents[id];
    let p = d
        .postmortem()
        .expect("postmortem pages are made for postmortems");
    let today = views.today();
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
        Some(key) => {
            crate::render::hash_parts([&key.to_le_bytes()[..], archive.zone.name().as_bytes()])
        }
        None => crate::render::key_of(&own()),
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
                .map(crate::render::stats::format_days),
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
        .and_then(|(section, timeline)| {
            crate::render::timeline::structured(section, timeline, incident)
        });
    // The written blocks the visual timeline takes the place of.
    let blocks = match (&visual, section) {
        (Some(_), Some(section)) => section.html_blocks.as_slice(),
        _ => &[],
    };
    match (crate::render::timeline::split(&html, blocks), visual) {
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
