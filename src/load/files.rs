//! Which files of an archive are documents, and reading one within the size limit.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::document::Kind;

/// Every `.md` file under `content/postmortems/` and `content/premortems/`, sorted.
///
/// Symbolic links are not followed, so a link cannot pull in a file from outside the archive
/// or loop; each one to a document or a directory is reported.
pub fn content_files(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<(Kind, PathBuf)> {
    let mut files = Vec::new();
    for kind in [Kind::Postmortem, Kind::Premortem] {
        let dir = Path::new("content").join(kind.dir());
        for entry in walkdir::WalkDir::new(root.join(&dir)).follow_links(false) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    if error.io_error().map(|e| e.kind()) != Some(std::io::ErrorKind::NotFound) {
                        let path = error.path().unwrap_or(root);
                        diagnostics.push(Diagnostic::file(
                            Code::Unreadable,
                            relative(root, path),
                            format!("cannot read: {error}"),
                        ));
                    }
                    continue;
                }
            };
            let path = relative(root, entry.path());
            let is_markdown = path.extension().is_some_and(|e| e == "md");
            if entry.path_is_symlink() {
                // A link to a document or a directory would silently lose documents; a link
                // that loops or cannot be resolved is worth knowing about too. A link to some
                // other file is simply not content.
                let target = std::fs::metadata(entry.path());
                let what = match &target {
                    _ if is_markdown => Some("this file is a symbolic link"),
                    Ok(meta) if meta.is_dir() => Some("this directory is a symbolic link"),
                    Ok(_) => None,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(_) => Some("this symbolic link cannot be resolved (does it loop?)"),
                };
                if let Some(what) = what {
                    diagnostics.push(
                        Diagnostic::file(
                            Code::UnsafePath,
                            path,
                            format!("{what}; links are not followed, so nothing outside the archive is read"),
                        )
                        .with_hint("replace the link with the file or directory itself"),
                    );
                }
                continue;
            }
            if entry.file_type().is_file() {
                match is_markdown {
                    true => files.push((kind, path)),
                    false => diagnostics.extend(not_a_document(&path)),
                }
            }
        }
    }
    diagnostics.extend(outside_the_document_folders(root));
    // Sorted once here rather than by the walk, which compares file names it parses out of
    // each path again at every comparison (a fifth of listing 100,000 files). In the order
    // of paths compared component by component, so that of a walk sorted by name.
    files.sort_unstable_by(|(a_kind, a), (b_kind, b)| {
        a_kind.cmp(b_kind).then_with(|| component_order(a, b))
    });
    files
}

/// The warning for a file in a document folder that is not read, unless it is hidden (such
/// as `.gitkeep`): a document saved as `.MD` or `.markdown` would otherwise be lost without
/// a word.
pub(super) fn not_a_document(path: &Path) -> Option<Diagnostic> {
    let name = path.file_name()?.to_string_lossy();
    if name.starts_with('.') {
        return None;
    }
    let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    let (message, hint) = match extension.as_deref() {
        Some("md" | "markdown" | "mdown" | "mkd") => (
            "this file is not read: only files ending in `.md` (lower case) are documents",
            format!(
                "rename it to `{}.md`",
                path.file_stem()?.to_string_lossy()
            ),
        ),
        _ => (
            "this file is not read: only `.md` files in content/ are documents",
            "if it is a document, give it the `.md` extension; if it is an image or an attachment, keep it elsewhere and link to it by its full URL".to_string(),
        ),
    };
    Some(Diagnostic::file(Code::NotADocument, path, message).with_hint(hint))
}

/// Warnings for what sits in content/ outside content/postmortems/ and content/premortems/,
/// where nothing is read.
pub(super) fn outside_the_document_folders(root: &Path) -> Vec<Diagnostic> {
    let Ok(entries) = std::fs::read_dir(root.join("content")) else {
        return Vec::new();
    };
    let mut found: Vec<Diagnostic> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.')
                && name != Kind::Postmortem.dir()
                && name != Kind::Premortem.dir()
        })
        .map(|entry| {
            let path = Path::new("content").join(entry.file_name());
            Diagnostic::file(
                Code::NotADocument,
                path,
                "nothing here is read: documents go in content/postmortems/ or content/premortems/",
            )
            .with_hint(
                "move postmortems to content/postmortems/ and premortems to content/premortems/",
            )
        })
        .collect();
    found.sort_by(|a, b| a.file.cmp(&b.file));
    found
}

/// The order of `Path`'s own comparison, component by component, from the paths' bytes: a
/// separator sorts before any other byte, as a shorter name before a longer one it begins.
/// `Path` parses the components out of both paths at every comparison, which was 4% of a
/// build of 10,000 postmortems that changed one file.
pub(super) fn component_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    fn bytes(path: &Path) -> impl Iterator<Item = u8> + '_ {
        let bytes = path.as_os_str().as_encoded_bytes().iter();
        bytes.map(|&byte| match std::path::is_separator(char::from(byte)) {
            true => 0,
            false => byte,
        })
    }
    bytes(a).cmp(bytes(b))
}

pub(super) fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Reads a file, refusing one larger than `limit` bytes before reading it; its bytes, and
/// its metadata as it was opened.
pub(super) fn read_limited(
    path: &Path,
    limit: u64,
) -> Result<(Vec<u8>, std::fs::Metadata), (Code, String)> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| (Code::Unreadable, format!("cannot read the file: {e}"));
    // The size of the open file, not of the path: one lookup of the path instead of three.
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    let size = meta.len();
    if size > limit {
        return Err((
            Code::TooLarge,
            format!("the file is {size} bytes, over the limit of {limit} bytes"),
        ));
    }
    // A file that grew since is read only up to the limit, and then refused below.
    let mut bytes = Vec::with_capacity(size as usize);
    file.by_ref()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err((
            Code::TooLarge,
            format!("the file grew past the limit of {limit} bytes while it was read"),
        ));
    }
    Ok((bytes, meta))
}
