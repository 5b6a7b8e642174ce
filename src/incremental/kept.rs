//! What the phases take from the last build, as the phases declare it: each phase says what
//! it can use in its own terms (a trait or plain data in its module), and this module keeps
//! it in `.hindsight-cache/` (see [`Kept`]) and hands it back.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::archive::DocId;
use crate::check::Clean;
use crate::config::{Config, Edition};
use crate::highlight::Highlighted;
use crate::load::{Bodies, Earlier, Loaded, Unread};
use crate::related::{KeptWords, LastSuggestions};
use crate::render::KeptEntries;
use crate::render::search::Postings;
use crate::timing::timed;

use super::cache::{BodyCache, HighlightCache, Kept, Payload};
use super::uptodate::Sources;

/// The documents the check rules found clean, kept by edition (see [`crate::check::check`]).
pub struct CleanList(Kept);

impl CleanList {
    pub fn of(root: &Path, edition: Edition) -> Self {
        CleanList(Kept::clean(root, edition))
    }

    /// The last build's list, when it is whole.
    pub fn read(&self) -> Option<Clean> {
        let (checked_at, marks) = self.0.read::<(i64, Vec<u64>)>()?;
        Some(Clean { checked_at, marks })
    }

    /// Keeps `clean` for the next build. Failures are ignored.
    pub fn save(&self, clean: &Clean) {
        self.0.save(&(clean.checked_at, &clean.marks));
    }
}

/// What the load takes from earlier builds (see [`crate::load::Earlier`]): the files the
/// fingerprint did not read, the bodies kept for this edition and settings, and the
/// highlighted code, read only when the load asks for it.
pub struct LoadMemo<'s> {
    root: PathBuf,
    sources: Option<&'s Sources>,
    /// Opened when the load asks, since which are read depends on the settings it reads.
    bodies: OnceLock<Option<BodyCache>>,
    highlights: OnceLock<HighlightCache>,
}

impl<'s> LoadMemo<'s> {
    /// What the archive at `root` keeps; `sources` are the source files as the fingerprint
    /// found them, when there is one. Nothing is read until the load asks.
    pub fn new(root: &Path, sources: Option<&'s Sources>) -> Self {
        LoadMemo {
            root: root.to_path_buf(),
            sources,
            bodies: OnceLock::new(),
            highlights: OnceLock::new(),
        }
    }

    /// Keeps what `loaded` made for the next build: each keyed document's front matter and
    /// body, and the code highlighted, when the load read the highlights. A build that took
    /// bodies did not see their code, and keeps the highlighted code it did not use.
    pub fn save(self, loaded: &Loaded) {
        let root = &self.root;
        let took_bodies = self.bodies.into_inner().flatten().is_some_and(|bodies| {
            let took = bodies.taken() > 0;
            let keyed = loaded
                .documents
                .iter()
                .filter_map(|d| Some((d.document.key?, (&d.document.meta, &d.document.body))));
            timed("load: keep bodies", || bodies.save(root, keyed));
            took
        });
        if let Some(highlights) = self.highlights.into_inner() {
            highlights.save(root, !took_bodies);
        }
    }
}

impl Earlier for LoadMemo<'_> {
    fn unread(&self, path: &Path) -> Option<Unread> {
        self.sources?.unread(path)
    }

    fn bodies(&self, config: &Config, edition: Edition) -> Option<&dyn Bodies> {
        let open = || {
            timed("load: open body cache", || {
                BodyCache::open(&self.root, config, edition)
            })
        };
        let bodies = self.bodies.get_or_init(open).as_ref()?;
        Some(bodies as &dyn Bodies)
    }

    fn highlights(&self) -> &dyn Highlighted {
        self.highlights
            .get_or_init(|| HighlightCache::open(&self.root))
    }
}

/// What the suggestions keep between builds of an edition (see [`crate::related::Memory`]):
/// each postmortem's words, and the suggestions with what they were made from.
pub struct SuggestionMemory {
    words: Kept,
    suggestions: Kept,
}

impl SuggestionMemory {
    pub fn of(root: &Path, edition: Edition) -> Self {
        SuggestionMemory {
            words: Kept::words(root, edition),
            suggestions: Kept::suggestions(root, edition),
        }
    }
}

/// The kept suggestions as the file holds them: what [`LastSuggestions`] says, written
/// without copying the suggestions.
#[derive(serde::Serialize, serde::Deserialize)]
struct SuggestionsFile<'a> {
    inputs: u64,
    digests: Cow<'a, [(u64, u64)]>,
    suggested: Cow<'a, [Vec<DocId>]>,
}

/// One postmortem's words as the file holds them: its document key, and its words.
#[derive(serde::Serialize, serde::Deserialize)]
struct WordsEntry<'a>(u64, &'a [u8]);

impl crate::related::Memory for SuggestionMemory {
    fn last_suggestions(&self) -> Option<LastSuggestions> {
        let file = self.suggestions.read::<SuggestionsFile>()?;
        Some(LastSuggestions {
            inputs: file.inputs,
            digests: file.digests.into_owned(),
            suggested: file.suggested.into_owned(),
        })
    }

    fn keep_suggestions(&self, suggestions: &LastSuggestions) {
        self.suggestions.save(&SuggestionsFile {
            inputs: suggestions.inputs,
            digests: Cow::Borrowed(&suggestions.digests),
            suggested: Cow::Borrowed(&suggestions.suggested),
        });
    }

    fn last_words(&self) -> Option<Box<dyn KeptWords + '_>> {
        Some(Box::new(WordsFile(self.words.read_in_place()?)))
    }

    fn keep_words(&self, words: &[(u64, &[u8])]) {
        let entries: Vec<WordsEntry> = words
            .iter()
            .map(|&(key, words)| WordsEntry(key, words))
            .collect();
        self.words.save(&entries);
    }
}

/// The kept words, decoded where they lie.
struct WordsFile(Payload);

impl KeptWords for WordsFile {
    fn words(&self) -> Option<Vec<(u64, &[u8])>> {
        let entries: Vec<WordsEntry> = self.0.decode()?;
        Some(
            entries
                .into_iter()
                .map(|WordsEntry(key, words)| (key, words))
                .collect(),
        )
    }
}

/// What render keeps between builds of an edition (see [`crate::render::Memory`]): the
/// search postings, and each document's entry of `archive.json` with its digest.
pub struct RenderMemory {
    postings: Kept,
    entries: Kept,
    entry_digests: Kept,
}

impl RenderMemory {
    pub fn of(root: &Path, edition: Edition) -> Self {
        RenderMemory {
            postings: Kept::postings(root, edition),
            entries: Kept::entries(root, edition),
            entry_digests: Kept::entry_digests(root, edition),
        }
    }
}

impl crate::render::Memory for RenderMemory {
    fn last_postings(&self) -> Option<Postings> {
        self.postings.read()
    }

    fn keep_postings(&self, postings: &Postings) {
        self.postings.save(postings);
    }

    fn last_entry_digests(&self) -> Option<Vec<(u64, u64)>> {
        self.entry_digests.read()
    }

    fn keep_entry_digests(&self, digests: &[(u64, u64)]) {
        self.entry_digests.save(&digests);
    }

    fn last_entries(&self) -> Option<Box<dyn KeptEntries + '_>> {
        Some(Box::new(EntriesFile(self.entries.read_in_place()?)))
    }

    fn keep_entries(&self, entries: &[(u64, &str)]) {
        self.entries.save(&entries);
    }
}

/// The kept entries of `archive.json`, decoded where they lie.
struct EntriesFile(Payload);

impl KeptEntries for EntriesFile {
    fn entries(&self) -> Option<Vec<(u64, &str)>> {
        self.0.decode()
    }
}

/// A build's wish to take what the last one kept and keep its own, handed by the driver to
/// the pipeline (see [`crate::pipeline::load_and_link`]).
#[derive(Clone, Copy, Default)]
pub struct Keep<'s> {
    /// The source files as the build's fingerprint found them, when it has one: the files
    /// it did not read, whose bodies are kept, are not read by the load either.
    pub sources: Option<&'s Sources>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::related::Memory as _;
    use crate::render::Memory as _;

    #[test]
    fn a_clean_list_comes_back_as_kept_and_only_for_its_edition() {
        let root = tempfile::tempdir().unwrap();
        let clean = Clean {
            checked_at: 1_700_000_000,
            marks: vec![3, 1, 2],
        };
        CleanList::of(root.path(), Edition::Internal).save(&clean);
        assert_eq!(
            CleanList::of(root.path(), Edition::Internal).read(),
            Some(clean)
        );
        assert_eq!(CleanList::of(root.path(), Edition::Public).read(), None);
    }

    #[test]
    fn suggestions_and_words_come_back_as_kept() {
        let root = tempfile::tempdir().unwrap();
        let memory = SuggestionMemory::of(root.path(), Edition::Internal);
        assert!(memory.last_suggestions().is_none());
        let kept = LastSuggestions {
            inputs: 7,
            digests: vec![(1, 10), (2, 20)],
            suggested: vec![vec![1], vec![0]],
        };
        memory.keep_suggestions(&kept);
        memory.keep_words(&[(1, &[1, 2, 3][..]), (2, &[][..])]);
        let again = SuggestionMemory::of(root.path(), Edition::Internal);
        let last = again.last_suggestions().unwrap();
        assert_eq!(
            (last.inputs, last.digests, last.suggested),
            (kept.inputs, kept.digests, kept.suggested)
        );
        let words = again.last_words().unwrap();
        assert_eq!(
            words.words().unwrap(),
            vec![(1, &[1, 2, 3][..]), (2, &[][..])]
        );
    }

    #[test]
    fn entries_and_their_digests_come_back_as_kept() {
        let root = tempfile::tempdir().unwrap();
        let memory = RenderMemory::of(root.path(), Edition::Public);
        assert!(memory.last_entries().is_none());
        memory.keep_entries(&[(5, "{\"slug\":\"a\"}")]);
        memory.keep_entry_digests(&[(5, 55)]);
        let again = RenderMemory::of(root.path(), Edition::Public);
        let entries = again.last_entries().unwrap();
        assert_eq!(entries.entries().unwrap(), vec![(5, "{\"slug\":\"a\"}")]);
        assert_eq!(again.last_entry_digests(), Some(vec![(5, 55)]));
    }
}
