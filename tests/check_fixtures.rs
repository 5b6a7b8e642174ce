//! The bad-document corpus (tests/fixtures/bad/) and its passing counterpart
//! (tests/fixtures/good/): each file is checked inside the small archive of
//! tests/fixtures/check-archive/, as `hindsight check` sees it.

mod built_site;

use std::path::{Path, PathBuf};

use hindsight::diagnostic::Diagnostic;
use hindsight::pipeline::{self, Context};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Checks the archive around `file` (placed at `archive_path`) and returns every diagnostic.
fn check_in_archive(file: &Path, archive_path: &Path) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().unwrap();
    built_site::copy_tree(&fixtures().join("check-archive"), dir.path());
    let target = dir.path().join(archive_path);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(file, &target).unwrap();
    check_archive(dir.path())
}

/// Every diagnostic `check` reports for the archive at `root`.
fn check_archive(root: &Path) -> Vec<Diagnostic> {
    pipeline::check(&Context::for_check(root.to_path_buf()))
        .expect("the archive reads")
        .1
}

fn describe(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "  {} {} {}:{}: {}\n",
                d.code.code(),
                d.code.name(),
                d.file.display(),
                d.line,
                d.message
            )
        })
        .collect()
}

#[test]
fn the_archive_around_the_fixtures_checks_clean() {
    let diagnostics = check_archive(&fixtures().join("check-archive"));
    assert!(diagnostics.is_empty(), "\n{}", describe(&diagnostics));
}

#[test]
fn every_bad_document_is_reported_with_its_code_file_and_line_and_nothing_else() {
    let dir = fixtures().join("bad");
    let manifest = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    let mut listed = Vec::new();
    let mut failures = String::new();
    for row in manifest
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let columns: Vec<&str> = row.split('\t').collect();
        let (name, code, line) = (columns[0], columns[1], columns[2]);
        let line: usize = line.parse().unwrap();
        let archive_path = columns
            .get(3)
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new("content/postmortems").join(name));
        listed.push(name.to_string());
        let diagnostics = check_in_archive(&dir.join(name), &archive_path);
        let as_expected = diagnostics.len() == 1
            && diagnostics[0].code.code() == code
            && diagnostics[0].file == archive_path
            && diagnostics[0].line == line;
        if !as_expected {
            failures.push_str(&format!(
                "{name}: expected only {code} at {}:{line}, got\n{}",
                archive_path.display(),
                describe(&diagnostics)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{failures}");

    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .collect();
    on_disk.sort();
    listed.sort();
    assert_eq!(on_disk, listed, "every fixture is listed in expected.tsv");
    assert!(
        listed.len() >= 40,
        "the corpus holds at least 40 bad documents"
    );
}

#[test]
fn every_good_document_checks_clean() {
    let dir = fixtures().join("good");
    let mut failures = String::new();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let kind = if name.starts_with("premortem-") {
            "premortems"
        } else {
            "postmortems"
        };
        let diagnostics = check_in_archive(&path, &Path::new("content").join(kind).join(&name));
        if !diagnostics.is_empty() {
            failures.push_str(&format!("{name}:\n{}", describe(&diagnostics)));
        }
        count += 1;
    }
    assert!(failures.is_empty(), "\n{failures}");
    assert!(count > 0);
}
