//! The link phase: loaded documents become the [`Archive`], an immutable, in-memory database
//! of the site: documents in display order, indexes by service, tag, year and severity, and
//! the links between documents in both directions.
//!
//! References are resolved against every loaded document, so a reference to a missing
//! document is an error in either edition; the archive itself holds only the documents of the
//! edition being built. A reference from a public document to an internal one therefore
//! disappears from the public edition, leaving no title, link or count behind.

mod collisions;
mod references;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::{Config, Edition};
use crate::diagnostic::Diagnostic;
use crate::document::{Document, Kind};
use crate::load::Loaded;
use crate::timing::timed;
use crate::zone::Zone;

/// Which documents a build includes, and what linking computes.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkOptions<'a> {
    /// Include postmortems with `status = "draft"`.
    pub drafts: bool,
    /// Leave out the related-incident suggestions (`serve` carries them over between full
    /// rebuilds): on 10,000 postmortems they are most of the link phase.
    pub skip_suggestions: bool,
    /// Link only as far as what linking reports: `check` shows no pages, so the timelines,
    /// metrics and suggestions that pages show are left out.
    pub reports_only: bool,
    /// What the last build of the edition kept for the suggestions, where this one's are
    /// kept (see [`crate::related::Memory`]): `build` hands it in; `serve` links too often
    /// to write it, and `check` has no document keys.
    pub kept: Option<&'a dyn crate::related::Memory>,
    /// The day pages judge "overdue" and "this week" against: the pipeline sets it from its
    /// context's `now` (see [`crate::pipeline::Context`]).
    pub today: NaiveDate,
}

/// Index of a document in [`Archive::documents`].
pub type DocId = usize;

/// The linked archive, shared read-only by every renderer.
#[derive(Debug)]
pub struct Archive {
    pub config: Config,
    pub edition: Edition,
    /// The zone times are shown in.
    pub zone: Zone,
    /// Every included document, newest first (by date, then slug).
    pub documents: Vec<Document>,
    /// Postmortems, newest first.
    pub postmortems: Vec<DocId>,
    /// Premortems, newest first.
    pub premortems: Vec<DocId>,
    /// Services named in the catalogue or in any included document, by id.
    pub services: BTreeMap<String, Listing>,
    pub tags: BTreeMap<String, Listing>,
    /// Postmortems by year of the incident, newest year first when iterated in reverse.
    pub years: BTreeMap<i32, Vec<DocId>>,
    /// Postmortems per severity id.
    pub severities: BTreeMap<String, Vec<DocId>>,
    /// Related postmortems of each document, in both directions, newest first.
    pub related: Vec<Vec<DocId>>,
    /// For each postmortem, the premortem risks it realized.
    pub realized: Vec<Vec<RiskLink>>,
    /// For each premortem, the postmortems that realized each of its risks (by risk index),
    /// and those that named the premortem without a risk.
    pub came_true: Vec<CameTrue>,
    /// Incident metrics, per postmortem and per group.
    pub metrics: crate::metrics::Metrics,
    /// Up to five similar postmortems suggested for each postmortem, best first.
    pub suggested: Vec<Vec<DocId>>,
    /// The loaded documents this build leaves out (drafts, internal documents in the public
    /// edition). No page shows them; `serve` takes them back for its next rebuild.
    pub excluded: Vec<Document>,
    /// The day this archive is rendered on (see [`LinkOptions::today`]).
    pub today: NaiveDate,
    by_slug: FxHashMap<(Kind, String), DocId>,
}

/// The documents under one service or tag, newest first.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    pub postmortems: Vec<DocId>,
    pub premortems: Vec<DocId>,
}

/// A premortem, and optionally one of its risks, realized by a postmortem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskLink {
    pub premortem: DocId,
    pub risk: Option<usize>,
}

#[derive(Debug, Default, Clone)]
pub struct CameTrue {
    /// Per risk, in the premortem's order.
    pub by_risk: Vec<Vec<DocId>>,
    /// Postmortems naming the premortem as a whole.
    pub unspecified: Vec<DocId>,
}

impl Archive {
    /// The document with this slug, if the edition includes it.
    pub fn find(&self, kind: Kind, slug: &str) -> Option<DocId> {
        self.by_slug.get(&(kind, slug.to_string())).copied()
    }
}

/// Links loaded documents into an archive, reporting every reference that does not resolve.
pub fn link(loaded: Loaded, options: LinkOptions) -> (Archive, Vec<Diagnostic>) {
    let diagnostics = references::validate_references(&loaded, options.drafts);
    // A zone that is not one was reported with the configuration, at its line.
    let zone = Zone::parse(&loaded.config.timezone).unwrap_or_default();

    let edition = loaded.edition;
    let (mut documents, excluded): (Vec<Document>, Vec<Document>) = loaded
        .documents
        .into_iter()
        .map(|d| d.document)
        .partition(|d| {
            !(edition == Edition::Public && d.is_internal()) && (options.drafts || !d.is_draft())
        });
    documents.sort_by(|a, b| b.date().cmp(&a.date()).then_with(|| a.slug.cmp(&b.slug)));
    let mut by_slug = FxHashMap::with_capacity_and_hasher(documents.len(), Default::default());
    for (id, d) in documents.iter().enumerate() {
        by_slug.entry((d.kind(), d.slug.clone())).or_insert(id);
    }

    let mut archive = Archive {
        today: options.today,
        edition,
        zone,
        postmortems: Vec::new(),
        premortems: Vec::new(),
        services: loaded
            .config
            .services
            .keys()
            .map(|id| (id.clone(), Listing::default()))
            .collect(),
        tags: BTreeMap::new(),
        years: BTreeMap::new(),
        severities: BTreeMap::new(),
        related: vec![Vec::new(); documents.len()],
        realized: vec![Vec::new(); documents.len()],
        came_true: vec![CameTrue::default(); documents.len()],
        metrics: crate::metrics::Metrics::default(),
        suggested: Vec::new(),
        by_slug,
        config: loaded.config,
        documents,
        excluded,
    };
    index(&mut archive);
    if options.reports_only {
        return (archive, diagnostics);
    }
    // What the archive learns across documents, once the indexes are in place.
    archive.metrics = crate::metrics::compute(&archive);
    if !options.skip_suggestions {
        archive.suggested = timed("link: suggestions", || {
            crate::related::suggest(&archive, options.kept)
        });
    }
    (archive, diagnostics)
}

/// Fills the indexes and backlinks of an archive whose documents are in place and sorted.
fn index(archive: &mut Archive) {
    for (id, d) in archive.documents.iter().enumerate() {
        let common = d.common();
        let listing_of = |listing: &mut Listing| match d.kind() {
            Kind::Postmortem => listing.postmortems.push(id),
            Kind::Premortem => listing.premortems.push(id),
        };
        for service in unique(common.services) {
            listing_of(archive.services.entry(service.clone()).or_default());
        }
        for tag in unique(common.tags) {
            listing_of(archive.tags.entry(tag.clone()).or_default());
        }
        match d.kind() {
            Kind::Postmortem => archive.postmortems.push(id),
            Kind::Premortem => {
                archive.premortems.push(id);
                let risks = d.premortem().map_or(0, |p| p.risks.len());
                archive.came_true[id].by_risk = vec![Vec::new(); risks];
            }
        }
        if let Some(p) = d.postmortem() {
            archive
                .years
                .entry(chrono::Datelike::year(&p.incident.started.0))
                .or_default()
                .push(id);
            archive
                .severities
                .entry(p.severity.clone())
                .or_default()
                .push(id);
        }
    }

    for id in archive.postmortems.clone() {
        let p = archive.documents[id]
            .postmortem()
            .expect("postmortem ids hold postmortems");
        let related: Vec<DocId> = p
            .related
            .iter()
            .filter_map(|slug| archive.find(Kind::Postmortem, slug))
            .filter(|&other| other != id)
            .collect();
        let realized: Vec<RiskLink> = p
            .premortems
            .iter()
            .filter_map(|reference| {
                let premortem = archive.find(Kind::Premortem, &reference.premortem)?;
                let risks = &archive.documents[premortem].premortem()?.risks;
                let risk = match &reference.risk {
                    Some(risk) => Some(risks.iter().position(|r| &r.id == risk)?),
                    None => None,
                };
                Some(RiskLink { premortem, risk })
            })
            .collect();
        for other in related {
            push_unique(&mut archive.related[id], other);
            push_unique(&mut archive.related[other], id);
        }
        for link in realized {
            push_unique(&mut archive.realized[id], link);
            let came_true = &mut archive.came_true[link.premortem];
            match link.risk {
                Some(risk) => push_unique(&mut came_true.by_risk[risk], id),
                None => push_unique(&mut came_true.unspecified, id),
            }
        }
    }
    // Backlinks were pushed in the order their sources were visited; show them newest first.
    for related in &mut archive.related {
        related.sort_unstable();
    }
    for came_true in &mut archive.came_true {
        for ids in &mut came_true.by_risk {
            ids.sort_unstable();
        }
        came_true.unspecified.sort_unstable();
    }
}

fn unique(values: &[String]) -> impl Iterator<Item = &String> {
    let mut seen = FxHashSet::default();
    values.iter().filter(move |v| seen.insert(v.as_str()))
}

fn push_unique<T: PartialEq>(values: &mut Vec<T>, value: T) {
    if !values.contains(&value) {
        values.push(value);
    }
}

/// Whether a slug is made of lower-case letters, digits and dashes only.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
