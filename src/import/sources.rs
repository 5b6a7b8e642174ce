//! Finding the source files under the paths given to `import`, and reading each one as text
//! or saying why it is not a document.
//!
//! Folders are walked without following symbolic links: a link that leads out of its folder
//! is reported and never read, so an import reads only what it was pointed at. Every file
//! found is either read or listed with the reason it was not.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// A file found under a path given to `import`.
#[derive(Debug, Clone)]
pub struct Source {
    /// Where it is on disk.
    pub path: PathBuf,
    /// How the report and the imported document name it: relative to the folder given,
    /// prefixed with that folder's name (`dfds-postmortems/PM2021-004 - ADFS outage.md`).
    pub name: String,
    /// Why it is not read, when it is not.
    pub refused: Option<String>,
}

/// The files under `paths`, in a stable order. `Err` when a path does not exist.
pub fn find(paths: &[PathBuf]) -> Result<Vec<Source>, String> {
    let mut found = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path)
            .map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
        if metadata.is_file() {
            found.push(Source {
                path: path.clone(),
                name: file_name(path),
                refused: None,
            });
        } else {
            walk(path, &mut found)?;
        }
    }
    Ok(found)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn walk(folder: &Path, found: &mut Vec<Source>) -> Result<(), String> {
    let root = folder
        .canonicalize()
        .map_err(|e| format!("{}: cannot read it: {e}", folder.display()))?;
    let prefix = file_name(&root);
    let name_of = |path: &Path| {
        let relative = path.strip_prefix(folder).unwrap_or(path);
        format!("{prefix}/{}", relative.to_string_lossy())
    };
    let mut walker = WalkDir::new(folder)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().map(Path::to_path_buf).unwrap_or_default();
                found.push(Source {
                    name: name_of(&path),
                    path,
                    refused: Some(format!("cannot be read: {error}")),
                });
                continue;
            }
        };
        let path = entry.path();
        let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
        if entry.file_type().is_dir() {
            if hidden {
                walker.skip_current_dir();
                found.push(Source {
                    path: path.to_path_buf(),
                    name: format!("{}/", name_of(path)),
                    refused: Some("a hidden folder; not read".into()),
                });
            }
            continue;
        }
        let refused = if entry.path_is_symlink() {
            Some(symlink_refusal(path, &root))
        } else if !entry.file_type().is_file() {
            Some("not a regular file".into())
        } else {
            None
        };
        found.push(Source {
            path: path.to_path_buf(),
            name: name_of(path),
            refused,
        });
    }
    Ok(())
}

/// Why a symbolic link is not read: where it leads.
fn symlink_refusal(path: &Path, root: &Path) -> String {
    match path.canonicalize() {
        Ok(target) if target.starts_with(root) => format!(
            "a symbolic link to {}, which is read there; not followed",
            target.strip_prefix(root).unwrap_or(&target).display()
        ),
        Ok(target) => format!(
            "a symbolic link out of the folder (to {}); not followed",
            target.display()
        ),
        Err(_) => "a symbolic link to nothing; not followed".into(),
    }
}

/// A source's text, or why it is not a document: binary, not UTF-8, too large, a README,
/// a template, or text that is not Markdown.
pub fn read(source: &Source, max_bytes: u64) -> Result<String, String> {
    let metadata =
        std::fs::symlink_metadata(&source.path).map_err(|e| format!("cannot be read: {e}"))?;
    if metadata.len() > max_bytes {
        return Err(format!(
            "{} bytes, more than the archive's max_document_bytes ({max_bytes})",
            metadata.len()
        ));
    }
    let bytes = std::fs::read(&source.path).map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.contains(&0) {
        return Err("a binary file, not Markdown".into());
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| "not UTF-8 text; convert it to UTF-8 and import again".to_string())?;
    let stem = source
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if [
        "readme",
        "index",
        "_index",
        "license",
        "contributing",
        "changelog",
    ]
    .contains(&stem.as_str())
    {
        return Err(format!(
            "{stem}: a page about the archive, not a postmortem"
        ));
    }
    if stem.contains("template") {
        return Err("a template, not a postmortem".into());
    }
    let extension = source
        .path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase());
    let markdown_named = matches!(extension.as_deref(), Some("md" | "markdown" | "mdx"));
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("")
        .trim_end();
    let has_front_matter = first == "---" || first == "+++";
    if !markdown_named && !has_front_matter && super::plain::heading(&text, 0).is_none() {
        return Err("not Markdown: no front matter and no `# ` title".into());
    }
    if text.trim().is_empty() {
        return Err("empty".into());
    }
    Ok(text)
}
