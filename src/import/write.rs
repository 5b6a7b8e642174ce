//! Writing imported postmortems: the front matter in hindsight's schema with every guess
//! marked, the body as written, and a file that never replaces one already there.
//!
//! Also what the archive already holds from earlier imports, so that importing the same
//! sources again adds nothing: each imported document records its source's name and a
//! digest of its bytes under `[extra.import]`.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::compose::{Draft, Guess, rfc3339};
use crate::document::{PostmortemStatus, Visibility};

/// Where imported postmortems go, relative to the archive root.
pub const POSTMORTEMS: &str = "content/postmortems";

/// What the archive holds: the slugs taken, and the documents earlier imports wrote.
#[derive(Debug, Default)]
pub struct Existing {
    pub slugs: HashSet<String>,
    /// Source digest → slug of the document imported from it.
    pub by_digest: HashMap<String, String>,
    /// Source name → slug, to tell a changed source from a new one.
    pub by_source: HashMap<String, String>,
}

impl Existing {
    /// Reads the postmortems under `root`; a file that cannot be read still takes its slug.
    pub fn read(root: &Path) -> Existing {
        let mut existing = Existing::default();
        let Ok(files) = std::fs::read_dir(root.join(POSTMORTEMS)) else {
            return existing;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let Some(slug) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            existing.slugs.insert(slug.clone());
            let Some(import) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| recorded_import(&text))
            else {
                continue;
            };
            if let Some(digest) = import.get("digest").and_then(toml::Value::as_str) {
                existing.by_digest.insert(digest.to_string(), slug.clone());
            }
            if let Some(source) = import.get("source").and_then(toml::Value::as_str) {
                existing.by_source.insert(source.to_string(), slug);
            }
        }
        existing
    }
}

/// The `[extra.import]` table of a document's front matter.
fn recorded_import(text: &str) -> Option<toml::Table> {
    let rest = text.strip_prefix("+++")?;
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))?;
    let end = rest.find("\n+++")?;
    let table: toml::Table = toml::from_str(&rest[..end]).ok()?;
    table.get("extra")?.get("import")?.as_table().cloned()
}

/// The digest an imported document records of its source's bytes.
pub fn digest(bytes: &[u8]) -> String {
    format!("xxh3:{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// The file a draft becomes: TOML front matter, then the body as written.
pub fn document_text(draft: &Draft, source: &str, digest: &str) -> String {
    let mut out = String::from("+++\n");
    let guess_of = |key: &str| draft.guesses.iter().find(|g| g.key == key);
    let line = |out: &mut String, key: &str, value: String, guess: Option<&Guess>| {
        out.push_str(&format!("{key} = {value}"));
        if let Some(guess) = guess {
            out.push_str(&format!(" # guessed: {}", guess.why));
        }
        out.push('\n');
    };
    line(&mut out, "title", quoted(&draft.title), None);
    line(&mut out, "date", draft.date.to_string(), guess_of("date"));
    if let Some(summary) = &draft.summary {
        line(&mut out, "summary", quoted(summary), None);
    }
    if !draft.authors.is_empty() {
        line(&mut out, "authors", list(draft.authors.iter()), None);
    }
    if let Some(status) = draft.status {
        let status = match status {
            PostmortemStatus::Draft => "draft",
            PostmortemStatus::InReview => "in-review",
            PostmortemStatus::Published => "published",
        };
        line(&mut out, "status", quoted(status), None);
    }
    if draft.visibility == Visibility::Internal {
        line(
            &mut out,
            "visibility",
            quoted("internal"),
            guess_of("visibility"),
        );
    }
    line(
        &mut out,
        "severity",
        quoted(&draft.severity),
        guess_of("severity"),
    );
    line(
        &mut out,
        "services",
        list(draft.services.iter().map(|s| &s.id)),
        guess_of("services"),
    );
    if !draft.tags.is_empty() {
        line(
            &mut out,
            "tags",
            list(draft.tags.iter().map(|t| &t.id)),
            None,
        );
    }
    out.push_str("\n[incident]\n");
    line(
        &mut out,
        "started",
        rfc3339(draft.started),
        guess_of("incident.started"),
    );
    for (key, time) in [
        ("detected", draft.detected),
        ("mitigated", draft.mitigated),
        ("resolved", draft.resolved),
    ] {
        if let Some(time) = time {
            let guess = draft
                .guesses
                .iter()
                .find(|g| g.key.strip_prefix("incident.") == Some(key));
            line(&mut out, key, rfc3339(time), guess);
        }
    }
    out.push_str("\n[extra.import]\n");
    line(&mut out, "source", quoted(source), None);
    if let Some(url) = &draft.url {
        line(&mut out, "url", quoted(url), None);
    }
    line(&mut out, "shape", quoted(draft.shape.describe()), None);
    line(&mut out, "digest", quoted(digest), None);
    if !draft.fields.is_empty() {
        let mut fields = toml::Table::new();
        fields.insert("fields".into(), toml::Value::Table(draft.fields.clone()));
        let mut import = toml::Table::new();
        import.insert("import".into(), toml::Value::Table(fields));
        let mut extra = toml::Table::new();
        extra.insert("extra".into(), toml::Value::Table(import));
        if let Ok(text) = toml::to_string(&extra) {
            out.push('\n');
            out.push_str(&text);
        }
    }
    out.push_str("+++\n");
    if !draft.body.starts_with('\n') {
        out.push('\n');
    }
    out.push_str(&draft.body);
    out
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    toml::Value::Array(items.map(|s| toml::Value::String(s.clone())).collect()).to_string()
}

/// Writes `text` at `root/content/postmortems/<slug>.md` whole or not at all, never
/// replacing a file: it is written beside, then linked into place, which fails if the name
/// is taken.
pub fn write_new(root: &Path, slug: &str, text: &str) -> std::io::Result<PathBuf> {
    let folder = root.join(POSTMORTEMS);
    // A folder that is a link could lead out of the archive: import writes only inside it.
    for inside in ["content", POSTMORTEMS] {
        if std::fs::symlink_metadata(root.join(inside)).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(std::io::Error::other(format!(
                "{inside} is a symbolic link; import writes only into real folders of the archive"
            )));
        }
    }
    std::fs::create_dir_all(&folder)?;
    let path = folder.join(format!("{slug}.md"));
    let staging = folder.join(format!(".{slug}.md.import"));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staging)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::hard_link(&staging, &path)
    })();
    let _ = std::fs::remove_file(&staging);
    written.map(|()| path)
}
