//! The link phase: loaded documents become the [`Archive`], an immutable, in-memory database
//! of the site: documents in display order, indexes by service, tag, year and severity, and
//! the links between documents in both directions.
//!
//! References are resolved against every loaded document, so a reference to a missing
//! document is an error in either edition; the archive itself holds only the documents of the
//! edition being built. A reference from a public document to an internal one therefore
//! disappears from the public edition, leaving no title, link or count behind.

use std::collections::BTreeMap;

use chrono::FixedOffset;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::build::timed;
use crate::config::{Config, Edition};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::document::{Document, Kind};
use crate::load::{Loaded, LoadedDocument};
use crate::zone::Zone;

/// Which documents a build includes, and what linking computes.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkOptions {
    /// Include postmortems with `status = "draft"`.
    pub drafts: bool,
    /// Leave out the related-incident suggestions (`serve` carries them over between full
    /// rebuilds): on 10,000 postmortems they are most of the link phase.
    pub skip_suggestions: bool,
    /// Link only as far as what linking reports: `check` shows no pages, so the timelines,
    /// metrics and suggestions that pages show are left out.
    pub reports_only: bool,
    /// Take what the last build of the edition kept for checks and suggestions, and keep
    /// this one's (see [`crate::cache::Kept`]): `build` does; `serve` links too often to
    /// write it, and `check` has no document keys.
    pub kept: bool,
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
    let diagnostics = validate_references(&loaded);
    // A zone that is not one was reported with the configuration, at its line.
    let zone = Zone::parse(&loaded.config.timezone).unwrap_or_default();

    let edition = loaded.edition;
    let root = loaded.root.clone();
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
        let kept = options
            .kept
            .then(|| crate::related::KeptFiles::of(&root, archive.edition));
        archive.suggested = timed("link: suggestions", || {
            crate::related::suggest(&archive, kept.as_ref())
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
            .realized_risks()
            .filter_map(|(slug, risk)| {
                let premortem = archive.find(Kind::Premortem, slug)?;
                let risks = &archive.documents[premortem].premortem()?.risks;
                let risk = match risk {
                    Some(risk) => Some(risks.iter().position(|r| r.id == risk)?),
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

/// `UTC`, `Z` or a fixed offset such as `+02:00`.
pub fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let zone = zone.trim();
    if zone.eq_ignore_ascii_case("utc") || zone == "Z" || zone.eq_ignore_ascii_case("gmt") {
        return FixedOffset::east_opt(0);
    }
    let sign = match zone.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (hours, minutes) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
    let seconds = hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * seconds)
}

/// Whether a slug is made of lower-case letters, digits and dashes only.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks what must hold for the archive to link: valid, unique slugs; severities on the
/// scale; references to premortems, risks, related postmortems and content files that exist;
/// unique risk ids.
fn validate_references(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let documents = &loaded.documents;
    let mut by_slug: FxHashMap<(Kind, &str), &LoadedDocument> = FxHashMap::default();
    let mut paths: FxHashSet<&std::path::Path> = FxHashSet::default();
    let mut by_folded_slug: FxHashMap<(Kind, String), &Document> = FxHashMap::default();
    for loaded_document in documents {
        let d = &loaded_document.document;
        paths.insert(d.path.as_path());
        if !is_valid_slug(&d.slug) {
            diagnostics.push(
                Diagnostic::file(
                    Code::InvalidSlug,
                    &d.path,
                    format!(
                        "`{}` is not a valid slug: the file name becomes the page's URL",
                        d.slug
                    ),
                )
                .with_hint(format!(
                    "rename the file to `{}.md`: lower-case letters, digits and dashes",
                    crate::markdown::slugify(&d.slug)
                )),
            );
        }
        let folded = (d.kind(), d.slug.to_lowercase());
        match by_folded_slug.get(&folded) {
            Some(first) if first.slug != d.slug => diagnostics.push(
                Diagnostic::file(
                    Code::DuplicateSlug,
                    &d.path,
                    format!(
                        "the slug `{}` differs only in case from `{}` ({}): on a file system that ignores case, as macOS and Windows do by default, both pages are one file",
                        d.slug,
                        first.slug,
                        first.path.display()
                    ),
                )
                .with_hint("rename the file with lower-case letters, digits and dashes"),
            ),
            Some(_) => {}
            None => {
                by_folded_slug.insert(folded, d);
            }
        }
        if let Some(first) = by_slug.insert((d.kind(), d.slug.as_str()), loaded_document) {
            diagnostics.push(
                Diagnostic::file(
                    Code::DuplicateSlug,
                    &d.path,
                    format!(
                        "the slug `{}` is also used by {}",
                        d.slug,
                        first.document.path.display()
                    ),
                )
                .with_hint("rename one of the two files"),
            );
        }
    }

    diagnostics.extend(id_collisions(loaded));

    // Each document's references are checked on their own: in parallel.
    diagnostics.par_extend(documents.par_iter().flat_map_iter(|loaded_document| {
        let mut diagnostics = Vec::new();
        let d = &loaded_document.document;
        let fm = &loaded_document.front_matter;
        let source = || std::fs::read_to_string(loaded.root.join(&d.path)).unwrap_or_default();
        let at = |code: Code, keys: &[&str], message: String| {
            let text = source();
            Diagnostic::at(code, &d.path, &text, fm.span_of(keys), message)
        };
        if let Some(p) = d.postmortem() {
            if loaded.config.severity_rank(&p.severity).is_none() {
                let ids: Vec<&str> = loaded
                    .config
                    .severities
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect();
                let hint = match did_you_mean(&p.severity, ids.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use one of: {}", ids.join(", ")),
                };
                diagnostics.push(
                    at(
                        Code::UnknownSeverity,
                        &["severity"],
                        format!("`{}` is not a severity of this archive", p.severity),
                    )
                    .with_hint(hint),
                );
            }
            for (i, slug) in p.related.iter().enumerate() {
                if !by_slug.contains_key(&(Kind::Postmortem, slug.as_str())) {
                    let index = i.to_string();
                    diagnostics.push(
                        at(
                            Code::UnknownRelated,
                            &["related", &index],
                            format!("there is no postmortem `{slug}`"),
                        )
                        .with_hint(closest_slug(
                            slug,
                            Kind::Postmortem,
                            &by_slug,
                        )),
                    );
                }
            }
            for (i, (slug, risk)) in p.realized_risks().enumerate() {
                let index = i.to_string();
                let keys = ["premortems", index.as_str()];
                let Some(premortem) = by_slug.get(&(Kind::Premortem, slug)) else {
                    diagnostics.push(
                        at(
                            Code::UnknownPremortem,
                            &keys,
                            format!("there is no premortem `{slug}`"),
                        )
                        .with_hint(closest_slug(
                            slug,
                            Kind::Premortem,
                            &by_slug,
                        )),
                    );
                    continue;
                };
                let risks = premortem
                    .document
                    .premortem()
                    .map_or(&[][..], |p| &p.risks[..]);
                if let Some(risk) = risk
                    && !risks.iter().any(|r| r.id == risk)
                {
                    let ids: Vec<&str> = risks.iter().map(|r| r.id.as_str()).collect();
                    let hint = match did_you_mean(risk, ids.iter().copied()) {
                        Some(s) => format!("did you mean `{slug}#{s}`?"),
                        None => format!("the risks of `{slug}` are: {}", ids.join(", ")),
                    };
                    diagnostics.push(
                        at(
                            Code::UnknownRisk,
                            &keys,
                            format!("the premortem `{slug}` has no risk `{risk}`"),
                        )
                        .with_hint(hint),
                    );
                }
            }
        }
        if let Some(p) = d.premortem() {
            let mut seen = FxHashSet::default();
            for (i, risk) in p.risks.iter().enumerate() {
                if !seen.insert(risk.id.as_str()) {
                    let index = i.to_string();
                    diagnostics.push(
                        at(
                            Code::DuplicateRisk,
                            &["risks", &index, "id"],
                            format!("the risk id `{}` is used twice", risk.id),
                        )
                        .with_hint("give every risk of a premortem its own id"),
                    );
                }
            }
        }
        for link in &d.body.content_links {
            if !paths.contains(link.target.as_path()) {
                let text = source();
                // Only a path inside the archive is looked at on disk: nothing outside is read.
                let inside = crate::write::is_contained(&link.target);
                let (what, hint) = if !inside {
                    (
                        "which is outside the archive",
                        "links to other documents are relative to this file and stay in content/",
                    )
                } else if loaded.root.join(&link.target).is_file() {
                    (
                        "which is not a document of the archive, so it has no page",
                        "link to the file by its full URL, such as its page on the repository host",
                    )
                } else {
                    (
                        "which does not exist",
                        "fix the path: links to other documents are relative to this file",
                    )
                };
                diagnostics.push(
                    Diagnostic::at(
                        Code::BrokenLink,
                        &d.path,
                        &text,
                        link.span.clone(),
                        format!(
                            "the link `{}` points at {}, {what}",
                            link.written,
                            link.target.display()
                        ),
                    )
                    .with_hint(hint),
                );
            }
        }
        diagnostics
    }));
    diagnostics
}

/// Services and tags spelled two ways that make one URL (`github comment ops` and
/// `github-comment-ops`): one page would take the other's place, so each is an error,
/// reported where the other spelling is first used.
fn id_collisions(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let config = &loaded.config;
    let lists: [(&str, &str, Vec<&str>); 2] = [
        (
            "services",
            "service",
            config.services.keys().map(String::as_str).collect(),
        ),
        (
            "tags",
            "tag",
            config
                .check
                .tags
                .iter()
                .flatten()
                .map(String::as_str)
                .collect(),
        ),
    ];
    for (key, noun, catalogue) in lists {
        // Each spelling once, in the order first met, with its uses; then by URL segment.
        let mut spellings: Vec<Spelling> = Vec::new();
        let mut index: FxHashMap<&str, usize> = FxHashMap::default();
        for id in &catalogue {
            meet(&mut spellings, &mut index, id);
        }
        let mut uses = Vec::new();
        for d in &loaded.documents {
            let common = d.document.common();
            let values = match key {
                "services" => common.services,
                _ => common.tags,
            };
            for (i, value) in values.iter().enumerate() {
                uses.push((meet(&mut spellings, &mut index, value), d, i));
            }
        }
        for (at, d, i) in uses {
            spellings[at].uses.push((d, i));
        }
        let mut groups: BTreeMap<String, Vec<Spelling>> = BTreeMap::new();
        for spelling in spellings {
            let segment = crate::render::views::path_segment(spelling.text);
            groups.entry(segment).or_default().push(spelling);
        }
        for (segment, group) in groups.iter().filter(|(_, group)| group.len() > 1) {
            let kept = group
                .iter()
                .find(|s| catalogue.contains(&s.text))
                .or_else(|| group.iter().find(|s| is_valid_slug(s.text)))
                .unwrap_or(&group[0]);
            let kept_in = kept.uses.first().map_or_else(
                || crate::config::CONFIG_FILE.to_string(),
                |(d, _)| d.document.path.display().to_string(),
            );
            for other in group.iter().filter(|s| s.text != kept.text) {
                let Some((d, i)) = other.uses.first() else {
                    continue;
                };
                let others = match other.uses.len() - 1 {
                    0 => String::new(),
                    1 => " (and 1 other file)".to_string(),
                    n => format!(" (and {n} other files)"),
                };
                let text =
                    std::fs::read_to_string(loaded.root.join(&d.document.path)).unwrap_or_default();
                let span = d.front_matter.span_of(&[key, &i.to_string()]);
                let message = format!(
                    "the {noun} `{}`{others} and `{}` ({kept_in}) both end up at /{key}/{segment}/: one page would take the other's place",
                    other.text, kept.text
                );
                diagnostics.push(
                    Diagnostic::at(Code::IdCollision, &d.document.path, &text, span, message)
                        .with_hint(format!("write `{}` here, as {kept_in} does", kept.text)),
                );
            }
        }
    }
    diagnostics
}

/// One way a service or tag is written, and where: each document and the index in its list.
struct Spelling<'a> {
    text: &'a str,
    uses: Vec<(&'a LoadedDocument, usize)>,
}

/// The index in `spellings` of `text`, added when first met.
fn meet<'a>(
    spellings: &mut Vec<Spelling<'a>>,
    index: &mut FxHashMap<&'a str, usize>,
    text: &'a str,
) -> usize {
    *index.entry(text).or_insert_with(|| {
        spellings.push(Spelling {
            text,
            uses: Vec::new(),
        });
        spellings.len() - 1
    })
}

fn closest_slug(
    slug: &str,
    kind: Kind,
    by_slug: &FxHashMap<(Kind, &str), &LoadedDocument>,
) -> String {
    let candidates = by_slug.keys().filter(|(k, _)| *k == kind).map(|(_, s)| *s);
    match did_you_mean(slug, candidates) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "name the file stem of a document in content/{}/",
            kind.dir()
        ),
    }
}
