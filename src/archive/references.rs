//! What must hold for the archive to link: valid, unique slugs; severities on the scale;
//! references to premortems, risks, related postmortems and content files that exist;
//! unique risk ids. Each broken one is a diagnostic at its line.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::collisions::id_collisions;
use super::is_valid_slug;
use crate::config::Edition;
use crate::diagnostic::{Code, Diagnostic, LineStarts, did_you_mean};
use crate::document::{Document, Kind};
use crate::load::{Loaded, LoadedDocument, is_withheld};

/// Checks what must hold for the archive to link: valid, unique slugs; severities on the
/// scale; references to premortems, risks, related postmortems and content files that exist;
/// unique risk ids.
///
/// Without `drafts`, a link to a draft from a document the build publishes is withheld, and
/// reported.
pub(super) fn validate_references(loaded: &Loaded, drafts: bool) -> Vec<Diagnostic> {
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
    // A public document's link to one of these is withheld from the public edition.
    let internal: FxHashSet<&std::path::Path> = documents
        .iter()
        .filter(|l| l.document.is_internal())
        .map(|l| l.document.path.as_path())
        .collect();
    // Without drafts, a link to one of these is withheld from every edition.
    let withheld_drafts: FxHashSet<&std::path::Path> = documents
        .iter()
        .filter(|l| !drafts && l.document.is_draft())
        .map(|l| l.document.path.as_path())
        .collect();

    // Each document's references are checked on their own: in parallel.
    diagnostics.par_extend(documents.par_iter().flat_map_iter(|loaded_document| {
        let mut diagnostics = Vec::new();
        let d = &loaded_document.document;
        let fm = &loaded_document.front_matter;
        // A body link's place is a span of the body: the file is read, once, when the first
        // broken or withheld link needs a line. Front matter places its own diagnostics.
        let text = std::cell::OnceCell::new();
        let read = || {
            text.get_or_init(|| {
                let text = std::fs::read_to_string(loaded.root.join(&d.path)).unwrap_or_default();
                let lines = LineStarts::of(&text);
                (text, lines)
            })
        };
        let source = || read().0.as_str();
        let at = |code: Code, keys: &[&str], message: String| {
            fm.diagnostic_at(code, &d.path, keys, message)
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
            for (i, reference) in p.premortems.iter().enumerate() {
                let index = i.to_string();
                let keys = ["premortems", index.as_str()];
                let slug = reference.premortem.as_str();
                if slug.is_empty() {
                    diagnostics.push(
                        at(
                            Code::UnknownPremortem,
                            &keys,
                            format!("`{reference}` names no premortem before `#`"),
                        )
                        .with_hint(
                            "write the premortem's file stem before `#`, such as `launch#slow-database`",
                        ),
                    );
                    continue;
                }
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
                if let Some(risk) = reference.risk.as_deref()
                    && !risks.iter().any(|r| r.id == risk)
                {
                    let ids: Vec<&str> = risks.iter().map(|r| r.id.as_str()).collect();
                    let (message, hint) = if risk.is_empty() {
                        (
                            format!("`{reference}` names no risk after `#`"),
                            format!(
                                "write `{slug}` for the premortem as a whole, or one of its risks: {}",
                                ids.join(", ")
                            ),
                        )
                    } else {
                        let hint = match did_you_mean(risk, ids.iter().copied()) {
                            Some(s) => format!("did you mean `{slug}#{s}`?"),
                            None => format!("the risks of `{slug}` are: {}", ids.join(", ")),
                        };
                        (format!("the premortem `{slug}` has no risk `{risk}`"), hint)
                    };
                    diagnostics.push(at(Code::UnknownRisk, &keys, message).with_hint(hint));
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
            if !d.is_internal()
                && !link.in_internal_block
                && internal.contains(link.target.as_path())
            {
                diagnostics.push(link.withheld_from_public(&d.path, source(), &read().1));
            } else if withheld_drafts.contains(link.target.as_path())
                && !is_withheld(d, loaded.edition, drafts)
                && !(link.in_internal_block && loaded.edition == Edition::Public)
            {
                diagnostics.push(link.withheld_as_draft(&d.path, source(), &read().1));
            }
            if !link.site_url && !paths.contains(link.target.as_path()) {
                let text = source();
                // Only a path inside the archive is looked at on disk: nothing outside is read.
                let inside = crate::site_path::is_contained(&link.target);
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
                    Diagnostic::at_line(
                        Code::BrokenLink,
                        &d.path,
                        text,
                        &read().1,
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

/// A hint for a slug no document of `kind` has: the closest one, or where slugs come from.
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
