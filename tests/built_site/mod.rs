//! What the safety tests share: running the real binary, writing an archive's files, and
//! reading back every file a build wrote.

// Each test crate that includes this module uses only some of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `hindsight` binary as a command, with a cache folder of the tests' own (under
/// `target/tmp`): no test reads or makes the user's key (`~/.cache/hindsight/key`).
pub fn hindsight_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hindsight"));
    command.env("XDG_CACHE_HOME", cache_home());
    command
}

/// The cache folder every `hindsight` a test runs is given, in place of the user's.
pub fn cache_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache-home")
}

/// Runs the `hindsight` binary, as a user or CI would.
pub fn hindsight(args: &[&str]) -> Output {
    hindsight_command()
        .args(args)
        .output()
        .expect("the hindsight binary runs")
}

/// Writes a file of an archive, creating its directories.
pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Copies the directory `from` with everything in it to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir`, by path relative to it (with `/`), with its bytes.
pub fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(dir).unwrap();
            files.insert(
                relative.to_string_lossy().replace('\\', "/"),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
    files
}
