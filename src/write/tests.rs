//! The write phase as a build uses it: updates, interruptions and journals no build made.

use std::path::{Path, PathBuf};

use super::Staging;
use super::journal::{JOURNAL_FORMAT, Journal, beside, recover};
use super::listing::files_under;
use super::staging::remove_dir;

/// Writes `files` (path, content) under `dir`.
fn plant(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// Every file under `dir`, with its content.
fn contents(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = files_under(dir)
        .unwrap()
        .into_iter()
        .map(|path| {
            let content = std::fs::read_to_string(dir.join(&path)).unwrap();
            (path.to_string_lossy().into_owned(), content)
        })
        .collect();
    files.sort();
    files
}

fn owned(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(path, content)| (path.to_string(), content.to_string()))
        .collect()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A previous site of three pages, and a new one that changes the home page, keeps `a`,
/// drops `b` and adds `c`: staged, not yet in place.
fn staged_update(out: &Path) -> (Staging, Vec<(String, String)>) {
    plant(
        out,
        &[
            ("index.html", "home"),
            ("a/index.html", "a"),
            ("b/index.html", "b"),
        ],
    );
    let staging = Staging::begin(out, None).unwrap();
    staging.put(Path::new("index.html"), b"home 2").unwrap();
    staging.put(Path::new("a/index.html"), b"a").unwrap();
    staging.put(Path::new("c/index.html"), b"c").unwrap();
    let expected = owned(&[
        ("a/index.html", "a"),
        ("c/index.html", "c"),
        ("index.html", "home 2"),
    ]);
    (staging, expected)
}

#[test]
fn an_update_moves_in_what_changed_and_deletes_what_went() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    let (staging, expected) = staged_update(&out);
    #[cfg(unix)]
    let inode = |path: &str| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(out.join(path)).unwrap().ino()
    };
    #[cfg(unix)]
    let kept_inode = inode("a/index.html");
    let (written, _) = staging.finish().unwrap();

    assert_eq!(contents(&out), expected);
    assert!(!out.join("b").exists(), "the emptied folder stays");
    assert_eq!(written.len(), 3);
    #[cfg(unix)]
    assert_eq!(
        inode("a/index.html"),
        kept_inode,
        "an unchanged file was rewritten"
    );
    assert_eq!(
        names_in(root.path()),
        ["public"],
        "something was left beside the site"
    );
}

/// A file put in parts is its parts one after the other. An update that puts the bytes
/// the file holds, in other parts, leaves it in place; parts of the same length that
/// differ replace it.
#[test]
fn a_file_put_in_parts_is_compared_and_written_whole() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    plant(
        &out,
        &[
            ("index.html", "home"),
            ("same.json", "[1,\n2]"),
            ("other.json", "[1,\n2]"),
        ],
    );
    #[cfg(unix)]
    let inode = |path: &str| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(out.join(path)).unwrap().ino()
    };
    #[cfg(unix)]
    let same_inode = inode("same.json");
    let staging = Staging::begin(&out, None).unwrap();
    let parts = |text: &'static str| {
        text.split_inclusive(',')
            .map(str::as_bytes)
            .collect::<Vec<_>>()
    };
    staging.put(Path::new("index.html"), b"home").unwrap();
    staging
        .put_parts(Path::new("same.json"), &parts("[1,\n2]"))
        .unwrap();
    staging
        .put_parts(Path::new("other.json"), &parts("[3,\n4]"))
        .unwrap();
    staging
        .put_parts(Path::new("new.json"), &parts("[5,\n6,\n7]"))
        .unwrap();
    staging.finish().unwrap();

    assert_eq!(
        contents(&out),
        owned(&[
            ("index.html", "home"),
            ("new.json", "[5,\n6,\n7]"),
            ("other.json", "[3,\n4]"),
            ("same.json", "[1,\n2]"),
        ])
    );
    #[cfg(unix)]
    assert_eq!(
        inode("same.json"),
        same_inode,
        "the same bytes were written again"
    );
}

#[test]
fn an_update_interrupted_after_its_journal_is_finished_by_the_next_build() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    let (mut staging, expected) = staged_update(&out);
    let previous = files_under(&out).unwrap();
    let written = std::mem::take(staging.written.get_mut().unwrap());
    let journal = staging.journal(previous, &written).unwrap();
    journal.write(&staging.journal, &staging.purpose).unwrap();
    // The process dies after moving one file in.
    std::fs::rename(staging.dir.join("index.html"), out.join("index.html")).unwrap();
    staging.finished = true;
    drop(staging);

    recover(&out).unwrap();
    assert_eq!(contents(&out), expected);
    assert_eq!(names_in(root.path()), ["public"]);
}

#[cfg(unix)]
#[test]
fn a_site_with_a_symbolic_link_in_it_is_replaced_whole_and_nothing_is_written_through_it() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    let elsewhere = root.path().join("elsewhere");
    plant(&out, &[("index.html", "home")]);
    plant(&elsewhere, &[("index.html", "a")]);
    std::os::unix::fs::symlink(&elsewhere, out.join("a")).unwrap();
    let staging = Staging::begin(&out, None).unwrap();
    // The same bytes as the file behind the link: left where it is, then copied.
    staging.put(Path::new("a/index.html"), b"a").unwrap();
    staging.put(Path::new("b/index.html"), b"b").unwrap();
    staging.put(Path::new("index.html"), b"home").unwrap();
    staging.finish().unwrap();

    let expected = owned(&[
        ("a/index.html", "a"),
        ("b/index.html", "b"),
        ("index.html", "home"),
    ]);
    assert_eq!(contents(&out), expected);
    assert!(!out.join("a").is_symlink(), "the link is still in the site");
    assert_eq!(
        contents(&elsewhere),
        [("index.html".to_string(), "a".to_string())]
    );
    assert_eq!(names_in(root.path()), ["elsewhere", "public"]);
}

#[test]
fn a_journal_naming_a_path_outside_the_output_is_removed_unapplied() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    plant(&out, &[("index.html", "home")]);
    plant(root.path(), &[("victim.txt", "kept")]);
    let journal = Journal {
        format: JOURNAL_FORMAT.to_string(),
        removed: vec![PathBuf::from("../victim.txt")],
        ..Journal::default()
    };
    let beside = beside(&out).unwrap();
    journal.write(&beside.journal, &beside.purpose).unwrap();
    recover(&out).unwrap();
    assert!(root.path().join("victim.txt").exists());
    assert!(!beside.journal.exists());
    assert_eq!(contents(&out), owned(&[("index.html", "home")]));
}

#[test]
fn a_journal_this_program_did_not_seal_is_removed_unapplied() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    plant(&out, &[("index.html", "home"), ("sitemap.xml", "map")]);
    let beside = beside(&out).unwrap();
    plant(&beside.staging, &[("index.html", "defaced")]);
    let journal = Journal {
        format: JOURNAL_FORMAT.to_string(),
        removed: vec![PathBuf::from("sitemap.xml")],
        moved: vec![PathBuf::from("index.html")],
        swapping: false,
    };
    let bytes = postcard::to_stdvec(&journal).unwrap();
    std::fs::write(&beside.journal, [&bytes[..], &[0; 32]].concat()).unwrap();
    recover(&out).unwrap();
    assert_eq!(
        contents(&out),
        owned(&[("index.html", "home"), ("sitemap.xml", "map")])
    );
}

#[test]
fn an_old_site_is_put_back_only_after_a_swap_this_program_journaled() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    let beside = beside(&out).unwrap();
    plant(&beside.previous, &[("index.html", "planted")]);
    recover(&out).unwrap();
    assert!(
        !out.exists(),
        "an old site without a journal is not put in place"
    );

    let swapping = Journal {
        format: JOURNAL_FORMAT.to_string(),
        swapping: true,
        ..Journal::default()
    };
    swapping.write(&beside.journal, &beside.purpose).unwrap();
    recover(&out).unwrap();
    assert_eq!(contents(&out), owned(&[("index.html", "planted")]));
    assert!(!beside.journal.exists());
}

#[test]
fn a_tree_is_removed_without_following_its_links() {
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "kept").unwrap();
    let site = root.path().join("site");
    std::fs::create_dir_all(site.join("postmortems/a")).unwrap();
    std::fs::write(site.join("postmortems/a/index.html"), "a").unwrap();
    std::fs::write(site.join("index.html"), "home").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, site.join("postmortems/link")).unwrap();

    remove_dir(&site).unwrap();
    assert!(!site.exists());
    assert_eq!(
        std::fs::read_to_string(outside.join("keep.txt")).unwrap(),
        "kept"
    );
}

/// A failure names what could not be done and where, with the system's reason, and the
/// output is left as it was.
#[test]
fn a_file_where_the_site_needs_a_folder_is_an_error_naming_the_folder() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("public");
    let staging = Staging::begin(&out, None).unwrap();
    staging.put(Path::new("a"), b"a file").unwrap();
    let error = staging
        .put(Path::new("a/index.html"), b"a page")
        .unwrap_err();
    let folder = beside(&out).unwrap().staging.join("a");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("cannot create {}: ", folder.display())),
        "{message}"
    );
    assert!(std::error::Error::source(&error).is_some());
    drop(staging);
    assert!(!out.exists());
    assert!(
        names_in(root.path()).is_empty(),
        "the staging folder stayed"
    );
}
