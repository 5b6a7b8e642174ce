//! What an import did, file by file, then what it guessed and what else a reader should
//! know, then a summary and what to do next.

use std::collections::{BTreeMap, BTreeSet};

use super::compose::{Draft, Guess};

/// What happened to one source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written (or, in a dry run, would be) as `content/postmortems/<slug>.md`.
    Imported {
        source: String,
        slug: String,
        guesses: Vec<Guess>,
    },
    /// An earlier import already wrote it; nothing was written.
    Already { source: String, slug: String },
    /// Not imported, and why; nothing was written for it.
    Skipped {
        source: String,
        line: Option<usize>,
        reason: String,
    },
}

impl Outcome {
    /// A source written as `slug`, with what was guessed for it.
    pub fn imported(source: &str, slug: &str, draft: &Draft) -> Outcome {
        Outcome::Imported {
            source: source.to_string(),
            slug: slug.to_string(),
            guesses: draft.guesses.clone(),
        }
    }

    /// A source not written, with the line (if any) and the reason the report prints.
    pub fn skipped(source: &str, line: Option<usize>, reason: &str) -> Outcome {
        Outcome::Skipped {
            source: source.to_string(),
            line,
            reason: reason.to_string(),
        }
    }
}

/// Everything an import found, in the order the files were read.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Other things worth knowing: a slug that was taken, spellings that became one id.
    pub notes: Vec<String>,
    /// `(services|tags, id)` → the spellings that became it, across documents.
    ids: BTreeMap<(&'static str, String), BTreeSet<String>>,
}

impl Report {
    /// Adds a file's outcome, in the order the files were read.
    pub fn push(&mut self, outcome: Outcome) {
        self.outcomes.push(outcome);
    }

    /// Records the spellings a draft's services and tags were made from.
    pub fn merge_ids(&mut self, draft: &Draft) {
        for (field, ids) in [("services", &draft.services), ("tags", &draft.tags)] {
            for id in ids {
                self.ids
                    .entry((field, id.id.clone()))
                    .or_default()
                    .extend(id.spellings.iter().cloned());
            }
        }
    }

    /// Whether every file was imported, now or before.
    pub fn all_imported(&self) -> bool {
        !self
            .outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Skipped { .. }))
    }

    fn count(&self, pick: fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| pick(o)).count()
    }

    /// The report as printed: one line a file, the guesses, the notes, the summary.
    pub fn render(&self, root: &str, dry_run: bool) -> String {
        let mut out = String::new();
        for outcome in &self.outcomes {
            match outcome {
                Outcome::Imported { source, slug, .. } => {
                    out.push_str(&format!("imported  {source} as {slug}\n"));
                }
                Outcome::Already { source, slug } => {
                    out.push_str(&format!(
                        "already   {source} as {slug} (imported before; nothing written)\n"
                    ));
                }
                Outcome::Skipped {
                    source,
                    line,
                    reason,
                } => {
                    let at = line.map_or(String::new(), |l| format!(":{l}"));
                    out.push_str(&format!("skipped   {source}{at}: {reason}\n"));
                }
            }
        }
        let guessed = self.guessed();
        if !guessed.is_empty() {
            out.push_str(
                "\nGuessed, where the source gives no value (each marked `# guessed:` in the front matter; replace it with the real value):\n",
            );
            for ((key, why), slugs) in &guessed {
                out.push_str(&format!(
                    "  {key}: {why}, in {}:\n",
                    plural(slugs.len(), "document")
                ));
                for line in crate::new::comma_lines(slugs, 96) {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
        let merged: Vec<String> = self
            .ids
            .iter()
            .filter(|(_, spellings)| spellings.len() > 1)
            .map(|((field, id), spellings)| {
                let written: Vec<String> = spellings.iter().map(|s| format!("`{s}`")).collect();
                format!("{field}: {} all became `{id}`", written.join(", "))
            })
            .collect();
        if !self.notes.is_empty() || !merged.is_empty() {
            out.push_str("\nNotes:\n");
            for note in self.notes.iter().chain(&merged) {
                out.push_str(&format!("  {note}\n"));
            }
        }
        let imported = self.count(|o| matches!(o, Outcome::Imported { .. }));
        let already = self.count(|o| matches!(o, Outcome::Already { .. }));
        let skipped = self.count(|o| matches!(o, Outcome::Skipped { .. }));
        out.push_str(&format!(
            "\n{} {}, {already} already imported, {skipped} skipped\n",
            imported,
            if dry_run {
                "to import (dry run: nothing was written)"
            } else {
                "imported"
            },
        ));
        if skipped > 0 {
            out.push_str("Skipped files were not written: fix each as its line says, or leave it out, and import again.\n");
        }
        if imported > 0 && !dry_run {
            out.push_str(&format!(
                "Next: `hindsight check --root {root}`. What to do about the usual warnings after an import: docs/guide/import.md\n"
            ));
        }
        out
    }

    /// The imported documents by what was guessed for them.
    fn guessed(&self) -> BTreeMap<(&'static str, String), Vec<String>> {
        let mut guessed: BTreeMap<(&'static str, String), Vec<String>> = BTreeMap::new();
        for outcome in &self.outcomes {
            if let Outcome::Imported { slug, guesses, .. } = outcome {
                for guess in guesses {
                    guessed
                        .entry((guess.key, guess.why.clone()))
                        .or_default()
                        .push(slug.clone());
                }
            }
        }
        guessed
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
