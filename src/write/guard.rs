//! The output-folder guard: refuses an output whose replacement would destroy sources or
//! files no build wrote.

use std::path::{Path, PathBuf};

use super::WriteError;

/// Refuses an output directory whose replacement would destroy sources: the archive root,
/// its content directory, a parent of either, a file system root, an existing file, or a
/// directory of other files that is not a previous build.
pub fn check_output_dir(root: &Path, out: &Path) -> Result<(), WriteError> {
    let root = absolute(root);
    let out = absolute(out);
    let content = root.join("content");
    let refuse = |why: &'static str| {
        Err(WriteError::Refused {
            out: out.clone(),
            why,
            instead: root.join("public"),
        })
    };
    if out.exists() && !out.is_dir() {
        return refuse("an existing file, not a directory");
    }
    if out.parent().is_none() {
        return refuse("the root of the file system");
    }
    if root.starts_with(&out) {
        return refuse("the archive root or a parent of it");
    }
    if content.starts_with(&out) || out.starts_with(&content) {
        return refuse("the content directory, inside it, or a parent of it");
    }
    for source_dir in ["templates", "static", "themes"] {
        if out.starts_with(root.join(source_dir)) {
            return refuse("inside a source directory of the archive");
        }
    }
    if out.is_dir() && !is_empty_or_a_site(&out) {
        return refuse("a directory holding files but no generated site (it has no index.html)");
    }
    Ok(())
}

/// Whether replacing `dir` can only lose a previous build: it is empty, or it has the
/// `index.html` every build writes. This keeps `--out ~/Documents` from deleting documents.
fn is_empty_or_a_site(dir: &Path) -> bool {
    is_a_site(dir) || std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Whether `dir` holds a site some build wrote: every build writes an `index.html`.
pub(super) fn is_a_site(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

/// An absolute, lexically normalized path, following symbolic links where the path exists.
pub(super) fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let joined = std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    // The path does not exist yet: canonicalize its nearest existing ancestor.
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_and_its_content_are_refused_as_output() {
        let root = std::env::temp_dir().join("hindsight-write-test");
        std::fs::create_dir_all(root.join("content")).unwrap();
        assert!(check_output_dir(&root, &root).is_err());
        assert!(check_output_dir(&root, &root.join("content")).is_err());
        assert!(check_output_dir(&root, root.parent().unwrap()).is_err());
        assert!(check_output_dir(&root, Path::new("/")).is_err());
        assert!(check_output_dir(&root, &root.join("public")).is_ok());
    }
}
