//! Services and tags spelled two ways that end up at one URL, found before either page is
//! made.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::is_valid_slug;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::{Loaded, LoadedDocument};

/// Services and tags spelled two ways that make one URL (`github comment ops` and
/// `github-comment-ops`): one page would take the other's place, so each is an error,
/// reported where the other spelling is first used.
pub(super) fn id_collisions(loaded: &Loaded) -> Vec<Diagnostic> {
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
            let segment = crate::site_path::path_segment(spelling.text);
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
                let index = i.to_string();
                let message = format!(
                    "the {noun} `{}`{others} and `{}` ({kept_in}) both end up at /{key}/{segment}/: one page would take the other's place",
                    other.text, kept.text
                );
                diagnostics.push(
                    d.front_matter
                        .diagnostic_at(Code::IdCollision, &d.document.path, &[key, &index], message)
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
