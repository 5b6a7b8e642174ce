//! The check rules: what `hindsight check` finds beyond what loading and linking already refuse.
//!
//! Loading reports files that cannot be read as documents (front matter, TOML, schema); linking
//! reports references that do not resolve. The rules here look at one loaded document at a
//! time, with the archive's configuration: incident times in order and not in the future,
//! services and tags known, the sections a severity requires, action items with owners, prompt
//! publication, blameless language, a Timeline section in order and in one zone, and values
//! that parse but cannot be meant (see [`plausible`]). [`levels`] then applies the levels
//! `[check.rules]` sets. Error-level findings stop `build` exactly as load and link errors
//! do: every command runs them on what it loads (see [`crate::pipeline::load_and_link`]), so
//! `build`, `check` and `serve` report alike; [`Rules`] checks one file at a time.

mod actions;
mod blame;
mod catalogue;
pub mod levels;
mod plausible;
mod sections;
mod timeline;
mod times;

use std::cell::OnceCell;
use std::ops::Range;
use std::path::Path;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::config::Config;
use crate::diagnostic::{Code, Diagnostic};
use crate::document::Document;
use crate::load::{FrontMatter, KeyPath, Loaded, LoadedDocument};

/// Which documents a check found clean: each one's mark (its key, see [`Document::key`],
/// hashed with the settings it was checked against), and the instant "in the future" was
/// measured from. Plain data: the driver keeps it between builds, and hands the last one in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clean {
    /// The `now` of the check, in seconds since the epoch.
    pub checked_at: i64,
    pub marks: Vec<u64>,
}

/// Runs every rule on every loaded document, in parallel, and returns what they found, with
/// the documents found clean.
///
/// `now` is the instant "in the future" is measured from; commands pass the clock's time.
///
/// A document that `last_clean` says was clean when last checked, with the same key (see
/// [`Document::key`]) and configuration, is not checked again: it is still clean, since a time
/// in the past stays in the past, and no rule finds more as time goes by. That holds only
/// while `now` moves forward, so a list made at a later `now` than this one's (a
/// `SOURCE_DATE_EPOCH` set back) is not used. A document without a key is always checked,
/// and never in the returned list.
pub fn check(
    loaded: &Loaded,
    now: DateTime<Utc>,
    last_clean: Option<&Clean>,
) -> (Vec<Diagnostic>, Clean) {
    let typical_year = typical_year(
        loaded
            .documents
            .iter()
            .filter_map(|d| incident_year(&d.document)),
    );
    let rules = Rules::new(&loaded.config, now, typical_year);
    // The typical year is part of what a document is checked against.
    let mut settings = serde_json::to_vec(&loaded.config).unwrap_or_default();
    settings.extend(typical_year.unwrap_or_default().to_le_bytes());
    let mark = |document: &LoadedDocument| {
        let key = document.document.key?;
        Some(crate::digest::hash_parts([
            &key.to_le_bytes()[..],
            &settings,
        ]))
    };
    let clean_before: FxHashSet<u64> = last_clean
        .filter(|last| last.checked_at <= now.timestamp())
        .map(|last| last.marks.iter().copied().collect())
        .unwrap_or_default();
    let checked: Vec<(Option<u64>, Vec<Diagnostic>)> = loaded
        .documents
        .par_iter()
        .map(|document| {
            let mark = mark(document);
            if mark.is_some_and(|mark| clean_before.contains(&mark)) {
                return (mark, Vec::new());
            }
            (mark, rules.check(&loaded.root, document))
        })
        .collect();
    let clean = Clean {
        checked_at: now.timestamp(),
        marks: checked
            .iter()
            .filter(|(_, diagnostics)| diagnostics.is_empty())
            .filter_map(|(mark, _)| *mark)
            .collect(),
    };
    let diagnostics = checked
        .into_iter()
        .flat_map(|(_, diagnostics)| diagnostics)
        .collect();
    (diagnostics, clean)
}

/// The archive's usual incident year, from its postmortems' [`incident_year`]s: a date far
/// from it is likely mistyped. `None` while there are too few incidents to tell.
pub fn typical_year(years: impl IntoIterator<Item = i32>) -> Option<i32> {
    plausible::typical_year(years)
}

/// The year a postmortem's incident started in; `None` for a premortem.
pub fn incident_year(document: &Document) -> Option<i32> {
    use chrono::Datelike;
    document.postmortem().map(|p| p.incident.started.0.year())
}

/// The rules, with what they need from the configuration prepared once for all documents.
///
/// [`check`] runs them over a whole archive; `serve` runs them on each file it loads again,
/// so a preview reports what `check` and `build` would.
pub struct Rules<'a> {
    config: &'a Config,
    now: DateTime<Utc>,
    catalogue: catalogue::Catalogue<'a>,
    sections: sections::RequiredSections,
    blame: blame::Phrases,
    zone: crate::zone::Zone,
    typical_year: Option<i32>,
    placeholders: plausible::Placeholders,
}

impl<'a> Rules<'a> {
    /// Prepares the rules for an archive's configuration; `now` is the instant "in the
    /// future" is measured from, and `typical_year` the archive's usual incident year (see
    /// [`plausible::typical_year`]), when it has one.
    pub fn new(config: &'a Config, now: DateTime<Utc>, typical_year: Option<i32>) -> Self {
        Rules {
            config,
            now,
            catalogue: catalogue::Catalogue::new(config),
            sections: sections::RequiredSections::new(&config.check.required_sections),
            blame: blame::Phrases::new(&config.check.blame_phrases),
            zone: crate::zone::Zone::parse(&config.timezone).unwrap_or_default(),
            typical_year,
            placeholders: plausible::Placeholders::new(),
        }
    }

    /// What the rules find in one loaded document of the archive at `root`.
    pub fn check(&self, root: &Path, document: &LoadedDocument) -> Vec<Diagnostic> {
        let mut found = Found::new(root, document);
        self.run(&mut found);
        found.diagnostics
    }

    fn run(&self, found: &mut Found) {
        times::check(found, self.config, self.now);
        self.catalogue.check(found);
        self.sections.check(found);
        actions::check(found, self.config);
        self.blame.check(found);
        timeline::check(found, self.zone);
        plausible::check(found, self.typical_year, &self.placeholders);
    }
}

/// One document under check, and what the rules found in it.
///
/// The file's text is read again only when a finding needs a line number (or when a rule
/// needs positions in the body), so a clean archive is checked without a second read.
struct Found<'a> {
    root: &'a Path,
    document: &'a Document,
    front_matter: &'a FrontMatter,
    source: OnceCell<String>,
    text: OnceCell<String>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Found<'a> {
    fn new(root: &'a Path, loaded: &'a LoadedDocument) -> Self {
        Found {
            root,
            document: &loaded.document,
            front_matter: &loaded.front_matter,
            source: OnceCell::new(),
            text: OnceCell::new(),
            diagnostics: Vec::new(),
        }
    }

    /// The text of the file, read on first use.
    fn source(&self) -> &str {
        self.source.get_or_init(|| {
            std::fs::read(self.root.join(&self.document.path))
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default()
        })
    }

    /// The text a reader sees of the body, unpacked once for the rules that search it.
    fn text(&self) -> &str {
        self.text
            .get_or_init(|| self.document.body.text.unpack().unwrap_or_default())
    }

    /// Reports `message` at the value of a front-matter key (or at the opening `+++` when the
    /// key is absent), returning the diagnostic so a hint can be added.
    fn at_key(&mut self, code: Code, keys: KeyPath, message: String) -> &mut Diagnostic {
        let span = self.front_matter.span_of(keys);
        self.at_span(code, span, message)
    }

    /// Reports `message` at a byte range of the file.
    fn at_span(&mut self, code: Code, span: Range<usize>, message: String) -> &mut Diagnostic {
        let diagnostic = Diagnostic::at(code, &self.document.path, self.source(), span, message);
        self.diagnostics.push(diagnostic);
        self.diagnostics
            .last_mut()
            .expect("a diagnostic was just pushed")
    }
}
