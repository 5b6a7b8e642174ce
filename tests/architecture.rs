//! The shape docs/architecture.md describes, checked on the source: the phases import each
//! other in pipeline order only, none imports the drivers or the reuse layer, and no file
//! grows past about 600 lines of code without saying why.

use std::fs;
use std::path::{Path, PathBuf};

/// The phases in pipeline order, each with the modules that belong to it.
const PHASES: &[(&str, &[&str])] = &[
    (
        "load",
        &["load", "markdown", "timeline", "highlight", "document"],
    ),
    ("link", &["archive", "related", "metrics"]),
    ("check", &["check"]),
    ("render", &["render"]),
    ("write", &["write"]),
];

/// Modules no phase may import: the drivers, the CLI, `serve` and the reuse layer.
const DRIVERS: &[&str] = &["build", "cli", "serve", "pipeline", "incremental"];

/// Files longer than this many lines of code (tests left out) must say why in a comment.
const LONGEST: usize = 600;

fn source_files(under: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if under.is_file() && under.extension().is_some_and(|e| e == "rs") {
        files.push(under.to_path_buf());
    } else if under.is_dir() {
        for entry in fs::read_dir(under).unwrap() {
            files.extend(source_files(&entry.unwrap().path()));
        }
    }
    files
}

fn module_files(module: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = source_files(&src.join(module));
    files.extend(source_files(&src.join(format!("{module}.rs"))));
    assert!(!files.is_empty(), "no source for module {module}");
    files
}

/// The code of a file before its tests, without comment lines.
fn code(file: &Path) -> String {
    let text = fs::read_to_string(file).unwrap();
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or_default();
    before_tests
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file names as `crate::module`.
fn imports(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .map(|(at, _)| {
            code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn phases_import_earlier_phases_only_and_never_a_driver() {
    let mut wrong = Vec::new();
    for (at, (phase, modules)) in PHASES.iter().enumerate() {
        let later: Vec<&str> = PHASES[at + 1..]
            .iter()
            .flat_map(|(_, m)| m.iter().copied())
            .filter(|m| !modules.contains(m))
            .collect();
        for module in *modules {
            for file in module_files(module) {
                for imported in imports(&code(&file)) {
                    if DRIVERS.contains(&imported.as_str()) || later.contains(&imported.as_str()) {
                        wrong.push(format!(
                            "{} ({phase}) imports crate::{imported}",
                            file.display()
                        ));
                    }
                }
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_file_holds_more_than_about_600_lines_of_code_without_saying_why() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    for file in source_files(&src) {
        let text = fs::read_to_string(&file).unwrap();
        let lines = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .count();
        if lines > LONGEST && !text.contains("Longer than 600 lines because") {
            long.push(format!("{}: {lines} lines", file.display()));
        }
    }
    assert!(
        long.is_empty(),
        "split these files, or say why in a comment: {long:?}"
    );
}
