//! Output that is safe to publish: content cannot inject script, a failed build leaves the
//! previous site whole, nothing outside the output is written or read through a path or a
//! link, two builds are byte-identical, and oversized or broken input gets a diagnostic.

mod built_site;
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use built_site::{files_under, hindsight, write};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn build(root: &Path, out: &Path) -> Output {
    hindsight(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

fn check(root: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check", "--root", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    hindsight(&args)
}

const POSTMORTEM: &str = "+++\ntitle = \"A plain postmortem\"\ndate = 2024-01-02\nseverity = \"sev3\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2024-01-01T10:00:00Z\n+++\nPlain words.\n";

/// An archive with one good postmortem.
fn plain_archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "content/postmortems/plain.md", POSTMORTEM);
    dir
}

// ---------------------------------------------------------------- escaping and sanitizing

/// Markup a reader's browser must never see as markup.
const PAYLOAD: &str =
    r#"<script>alert(1)</script>"onmouseover=alert(2) x="'><img src=x onerror=alert(3)>"#;

/// Whether a file is markup a browser would parse (where an unescaped payload would run).
fn is_markup(path: &str) -> bool {
    [".html", ".htm", ".xml", ".svg", ".rss", ".atom"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Raw, executable traces of [`PAYLOAD`] or of the script URLs in markup files: a tag (the
/// text between a raw `<` and the next `>`) holding `alert(`, a script URL or an event
/// handler attribute, or a script element whose text calls `alert(`. Escaped text such as
/// `&lt;img onerror=alert(3)&gt;` is harmless and not counted.
fn unescaped_payloads(files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut found = Vec::new();
    for (path, bytes) in files.iter().filter(|(p, _)| is_markup(p)) {
        let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        for (i, _) in text.match_indices('<') {
            let rest = &text[i + 1..];
            if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                continue;
            }
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            // Attribute values are quoted and escaped: only what is outside quotes is markup.
            let unquoted: String = tag
                .split('"')
                .step_by(2)
                .flat_map(|part| part.split('\'').step_by(2))
                .collect::<Vec<_>>()
                .join(" ");
            let handler = unquoted
                .split(|c: char| c.is_ascii_whitespace() || c == '/')
                .any(|word| word.starts_with("on") && word.contains('='));
            // A value that starts with a script URL, quoted or not (browsers skip spaces).
            let bad_url = tag.split('=').skip(1).any(|value| {
                let value = value.trim_start_matches(['"', '\'']).trim_start();
                ["javascript:", "vbscript:", "data:text/html"]
                    .iter()
                    .any(|scheme| value.starts_with(scheme))
            });
            let bad = bad_url || unquoted.contains("alert(");
            let script_body = tag.starts_with("script")
                && rest[tag.len()..]
                    .split("</script")
                    .next()
                    .is_some_and(|body| body.contains("alert("));
            if handler || bad || script_body {
                found.push(format!("{path}: <{tag}>"));
            }
        }
    }
    found
}

/// An archive with the payload in every string field and script URLs wherever a URL goes.
fn hostile_archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let p = PAYLOAD.replace('\\', "\\\\").replace('"', "\\\"");
    write(
        root,
        "hindsight.toml",
        &format!(
            r#"title = "{p}"
description = "{p}"
repo_url = "javascript:alert(4)//"
[[severities]]
id = "sev1"
label = "{p}"
description = "{p}"
[services.api]
name = "{p}"
description = "{p}"
owner = "{p}"
"#
        ),
    );
    write(
        root,
        "content/postmortems/hostile.md",
        &format!(
            r#"+++
title = "{p}"
date = 2024-01-02
summary = "{p}"
authors = ["{p}"]
severity = "sev1"
services = ["api", "{p}"]
tags = ["{p}"]
premortems = ["hostile-premortem#hostile-risk"]

[incident]
started = 2024-01-01T10:00:00Z
resolved = 2024-01-01T11:00:00Z

[[actions]]
title = "{p}"
owner = "{p}"
link = "javascript:alert(5)"

[[actions]]
title = "A link with a tab in its scheme"
link = "java\tscript:alert(6)"

[[actions]]
title = "A link that tries to close its attribute"
link = "https://example.com/\"onmouseover=alert(19) x=\"<script>alert(20)</script>"

[extra]
note = "{p}"
+++
## {payload} heading

{payload}

<a href="javascript:alert(7)">raw link</a> <a href="JaVaScRiPt:alert(8)">mixed case</a>
<svg onload=alert(9)></svg><iframe src="https://evil.example"></iframe>
<div onclick="alert(10)" style="background:url(javascript:alert(11))">div</div>
<form action="javascript:alert(12)"><button formaction="javascript:alert(13)">b</button></form>
<object data="data:text/html,alert(14)"></object>

[markdown link](javascript:alert(15)) [encoded](javascript&#58;alert(16))
![image](javascript:alert(17)) [data](data:text/html;base64,PHNjcmlwdD4=)
<javascript:alert(18)>

| {payload} |
|---|
| cell |
"#,
            payload = PAYLOAD
        ),
    );
    write(
        root,
        "content/premortems/hostile-premortem.md",
        &format!(
            r#"+++
title = "{p}"
date = 2023-01-02
summary = "{p}"
authors = ["{p}"]
services = ["{p}"]
tags = ["{p}"]

[[risks]]
id = "hostile-risk"
title = "{p}"
mitigation = "{p}"
owner = "{p}"
+++
{payload}
"#,
            payload = PAYLOAD
        ),
    );
    dir
}

#[test]
fn no_front_matter_value_or_body_markup_can_inject_script_into_any_page() {
    let archive = hostile_archive();
    let out = archive.path().join("public");
    let output = build(archive.path(), &out);
    assert!(output.status.success(), "{}", stderr(&output));
    let files = files_under(&out);
    let found = unescaped_payloads(&files);
    assert!(
        found.is_empty(),
        "unescaped payloads:\n{}",
        found.join("\n")
    );

    // The test can fail: the payload is on the pages, as text.
    let page = String::from_utf8_lossy(&files["postmortems/hostile/index.html"]).into_owned();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(page.contains("raw link") && page.contains("markdown link"));
    assert!(
        !page.contains("Edit this page"),
        "a javascript: repo_url made an edit link"
    );
    let premortem =
        String::from_utf8_lossy(&files["premortems/hostile-premortem/index.html"]).into_owned();
    assert!(premortem.contains("&lt;script&gt;alert(1)"), "{premortem}");
}

#[test]
fn unsafe_html_lets_the_archive_own_raw_html_through_when_it_asks() {
    let archive = plain_archive();
    let root = archive.path();
    write(
        root,
        "content/postmortems/plain.md",
        &format!(
            "{POSTMORTEM}\n<details open><summary>More</summary><span style=\"color: red\">red</span></details>\n"
        ),
    );
    let out = root.join("public");
    assert!(build(root, &out).status.success());
    let sanitized =
        String::from_utf8_lossy(&files_under(&out)["postmortems/plain/index.html"]).into_owned();
    assert!(
        !sanitized.contains("style=\"color: red\""),
        "style survived sanitizing"
    );
    assert!(sanitized.contains("red"));

    write(root, "hindsight.toml", "[markdown]\nunsafe_html = true\n");
    assert!(build(root, &out).status.success());
    let raw =
        String::from_utf8_lossy(&files_under(&out)["postmortems/plain/index.html"]).into_owned();
    assert!(
        raw.contains("<span style=\"color: red\">red</span>"),
        "{raw}"
    );
}

// ---------------------------------------------------------------- atomic output

#[test]
fn a_failed_build_leaves_the_previous_site_byte_identical() {
    let archive = plain_archive();
    let root = archive.path();
    let out = root.join("public");
    assert!(build(root, &out).status.success());
    let before = files_under(&out);
    assert!(before.contains_key("postmortems/plain/index.html"));

    write(
        root,
        "content/postmortems/broken.md",
        "+++\ntitle = \"Broken\"\n",
    );
    write(
        root,
        "content/postmortems/plain.md",
        &POSTMORTEM.replace("Plain words", "Changed words"),
    );
    let failed = build(root, &out);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("nothing was written"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(
        files_under(&out),
        before,
        "the failed build changed the site"
    );
    let leftovers: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The cache folder stays by design; staging folders are `.public.hindsight-*`.
        .filter(|name| {
            name.contains("hindsight-") && name != hindsight::incremental::cache::CACHE_DIR
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging directories left behind: {leftovers:?}"
    );
}

// A build cut off between the renames of a swap gets the previous site back only from
// bookkeeping it journaled and sealed itself: `write::tests` covers it, and tests/trust.rs
// shows that an old site planted beside the output is never put in place.

/// strace, to kill a build at a chosen rename; `None` (after saying so) when it is missing
/// and not required. CI requires it, as it requires the browser (`HINDSIGHT_REQUIRE_BROWSER`).
fn strace(test: &str) -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("strace"))
        .find(|path| path.is_file());
    if found.is_none() {
        if std::env::var("HINDSIGHT_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("{test}: strace is not installed, and HINDSIGHT_REQUIRE_BROWSER=1 requires it");
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test}: strace is not installed (install Debian's strace to run it)"
        );
    }
    found
}

/// Whether strace can stop a process here (a container may forbid ptrace).
fn strace_works(strace: &Path) -> bool {
    std::process::Command::new(strace)
        .args(["-f", "-o", "/dev/null", "true"])
        .status()
        .is_ok_and(|status| status.success())
}

/// The bookkeeping beside an output folder named `public`: staging, journal, old site.
fn bookkeeping(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".public.hindsight-"))
        .collect()
}

#[test]
fn a_build_killed_at_any_rename_leaves_a_site_the_next_build_makes_whole() {
    let test = "a_build_killed_at_any_rename_leaves_a_site_the_next_build_makes_whole";
    let Some(strace) = strace(test) else {
        return;
    };
    if !strace_works(&strace) {
        if std::env::var("HINDSIGHT_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("{test}: strace cannot trace here (is ptrace allowed?)");
        }
        eprintln!("SKIPPED: {test}: strace cannot trace here");
        return;
    }
    let old_content = |root: &Path| {
        write(root, "content/postmortems/plain.md", POSTMORTEM);
        for n in 0..6 {
            write(
                root,
                &format!("content/postmortems/other-{n}.md"),
                &POSTMORTEM.replace("A plain postmortem", &format!("Other {n}")),
            );
        }
    };
    let new_content = |root: &Path| {
        write(
            root,
            "content/postmortems/plain.md",
            &POSTMORTEM.replace("Plain words", "Changed words"),
        );
        std::fs::remove_file(root.join("content/postmortems/other-0.md")).unwrap();
        write(
            root,
            "content/postmortems/added.md",
            &POSTMORTEM.replace("A plain postmortem", "Added"),
        );
    };
    // The two sites, each built clean.
    let clean = |content: &dyn Fn(&Path), also: Option<&dyn Fn(&Path)>| {
        let dir = tempfile::tempdir().unwrap();
        content(dir.path());
        if let Some(also) = also {
            also(dir.path());
        }
        assert!(
            build(dir.path(), &dir.path().join("public"))
                .status
                .success()
        );
        files_under(&dir.path().join("public"))
    };
    let old_site = clean(&old_content, None);
    let new_site = clean(&old_content, Some(&new_content));
    assert_ne!(old_site, new_site);

    let mut killed_at = Vec::new();
    let mut mixed_at = Vec::new();
    for n in 1.. {
        let archive = tempfile::tempdir().unwrap();
        let root = archive.path();
        let out = root.join("public");
        old_content(root);
        assert!(build(root, &out).status.success());
        assert!(files_under(&out) == old_site, "a build over nothing");
        new_content(root);
        let traced = std::process::Command::new(&strace)
            .args([
                "-f",
                "-o",
                "/dev/null",
                "-e",
                "trace=rename,renameat,renameat2",
            ])
            .arg("-e")
            .arg(format!(
                "inject=rename,renameat,renameat2:signal=KILL:when={n}"
            ))
            .arg(env!("CARGO_BIN_EXE_hindsight"))
            .args(["build", "--root", root.to_str().unwrap()])
            .arg("--out")
            .arg(&out)
            .env("XDG_CACHE_HOME", built_site::cache_home())
            .output()
            .unwrap();
        if traced.status.success() {
            // The build made fewer than `n` renames: every one has been cut.
            assert!(
                files_under(&out) == new_site,
                "an uncut build over the site"
            );
            break;
        }
        killed_at.push(n);
        assert!(out.is_dir(), "killed at rename {n}: the output is missing");
        let after_kill = files_under(&out);
        if after_kill != old_site && after_kill != new_site {
            // An update in place cut off half way: only its own sealed journal may stand for
            // it, and the next build completes it.
            assert!(
                bookkeeping(root)
                    .iter()
                    .any(|name| name.contains("hindsight-journal-")),
                "killed at rename {n}: the site is neither the old nor the new one, and no journal says how to finish it"
            );
            mixed_at.push(n);
        }
        let again = build(root, &out);
        assert!(again.status.success(), "{}", stderr(&again));
        assert!(
            files_under(&out) == new_site,
            "killed at rename {n}: the next build does not equal a clean build"
        );
        assert!(
            bookkeeping(root).is_empty(),
            "killed at rename {n}: bookkeeping left: {:?}",
            bookkeeping(root)
        );
        assert!(n < 500, "the build never finished uncut");
    }
    assert!(!killed_at.is_empty(), "the build renamed nothing");
    eprintln!(
        "{test}: killed at renames {killed_at:?}; half updated (journal left) at {mixed_at:?}"
    );
}

#[test]
fn a_successful_build_replaces_the_previous_site_whole() {
    let archive = plain_archive();
    let root = archive.path();
    let out = root.join("public");
    assert!(build(root, &out).status.success());
    write(&out, "stale/index.html", "left from an older build");
    assert!(build(root, &out).status.success());
    assert!(
        !out.join("stale").exists(),
        "a file of the previous site survived"
    );
    assert!(out.join("postmortems/plain/index.html").is_file());
}

#[test]
fn build_refuses_an_output_that_would_destroy_sources_and_deletes_nothing() {
    let archive = plain_archive();
    let root = archive.path();
    write(root, "notes.txt", "keep me");
    let before = files_under(root);
    let content = root.join("content");
    let postmortems = root.join("content/postmortems");
    let notes = root.join("notes.txt");
    for (out, why) in [
        (root.to_path_buf(), "the archive root or a parent of it"),
        (
            root.parent().unwrap().to_path_buf(),
            "the archive root or a parent of it",
        ),
        (content.clone(), "the content directory"),
        (postmortems.clone(), "the content directory"),
        (PathBuf::from("/"), "the root of the file system"),
        (notes.clone(), "an existing file"),
    ] {
        let output = build(root, &out);
        let message = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {message}",
            out.display()
        );
        assert!(message.contains("refusing to write the site"), "{message}");
        assert!(message.contains(why), "{}: {message}", out.display());
        assert_eq!(
            files_under(root),
            before,
            "refusing {} changed the archive",
            out.display()
        );
    }
    // A directory of other files is not a previous build: replacing it would delete them.
    let documents = tempfile::tempdir().unwrap();
    write(documents.path(), "thesis.txt", "years of work");
    let output = build(root, documents.path());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("no generated site"), "{message}");
    assert!(documents.path().join("thesis.txt").is_file());

    // A relative path that resolves to the root is refused as well.
    let output = built_site::hindsight_command()
        .args(["build", "--root", ".", "--out", "content/.."])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(files_under(root), before);
}

// ---------------------------------------------------------------- paths and links

#[test]
fn links_that_climb_out_of_the_archive_or_name_no_document_are_reported() {
    let archive = plain_archive();
    let root = archive.path();
    write(root, "README.md", "The archive's read-me, not a document.");
    write(
        root,
        "content/postmortems/climber.md",
        &POSTMORTEM.replace(
            "Plain words.",
            "See [up](../../../../etc/passwd.md), [absolute](/etc/passwd.md) and [readme](../../README.md).",
        ),
    );
    let output = check(root, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let broken: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == "broken-link")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(broken.len(), 3, "{broken:?}");
    let reported = |target: &str, what: &str| {
        broken
            .iter()
            .any(|m| m.contains(&format!("points at {target},")) && m.ends_with(what))
    };
    assert!(
        reported("../../../../etc/passwd.md", "outside the archive"),
        "{broken:?}"
    );
    assert!(reported("etc/passwd.md", "does not exist"), "{broken:?}");
    assert!(reported("README.md", "has no page"), "{broken:?}");
}

#[test]
fn odd_file_names_do_not_become_paths_outside_the_output() {
    let archive = plain_archive();
    let root = archive.path();
    write(root, "content/postmortems/..md", POSTMORTEM);
    write(root, "content/postmortems/Has Spaces.md", POSTMORTEM);
    let output = check(root, &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert_eq!(message.matches("invalid-slug").count(), 2, "{message}");
}

#[cfg(unix)]
#[test]
fn symbolic_links_in_content_and_static_are_reported_and_never_followed() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.md",
        &POSTMORTEM.replace("Plain words", "OUTSIDE-SECRET"),
    );
    write(outside.path(), "secret.txt", "OUTSIDE-SECRET");

    let archive = plain_archive();
    let root = archive.path();
    let out = root.join("public");
    symlink(
        outside.path().join("secret.md"),
        root.join("content/postmortems/linked.md"),
    )
    .unwrap();
    let output = check(root, &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("linked.md") && message.contains("symbolic link"),
        "{message}"
    );
    assert_eq!(build(root, &out).status.code(), Some(1));
    std::fs::remove_file(root.join("content/postmortems/linked.md")).unwrap();

    // A directory link that loops back on itself.
    symlink("..", root.join("content/postmortems/loop")).unwrap();
    symlink("nowhere", root.join("content/postmortems/self-loop")).unwrap();
    symlink("self-loop", root.join("content/postmortems/nowhere")).unwrap();
    let output = check(root, &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("loop") && message.contains("directory is a symbolic link"),
        "{message}"
    );
    assert!(message.contains("cannot be resolved"), "{message}");
    for link in ["loop", "self-loop", "nowhere"] {
        std::fs::remove_file(root.join("content/postmortems").join(link)).unwrap();
    }

    // static/ is copied into the output: a link there would publish a file from anywhere.
    std::fs::create_dir_all(root.join("static")).unwrap();
    symlink(
        outside.path().join("secret.txt"),
        root.join("static/secret.txt"),
    )
    .unwrap();
    let output = build(root, &out);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("secret.txt") && message.contains("symbolic link"),
        "{message}"
    );
    assert!(!out.exists());
    std::fs::remove_file(root.join("static/secret.txt")).unwrap();

    symlink(outside.path(), root.join("static/outside")).unwrap();
    assert_eq!(build(root, &out).status.code(), Some(1));
    std::fs::remove_file(root.join("static/outside")).unwrap();

    // With the links gone the same archive builds, and nothing from outside is in it.
    let output = build(root, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    for (path, bytes) in files_under(&out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("OUTSIDE-SECRET"),
            "{path}"
        );
    }
}

#[test]
fn a_theme_name_cannot_reach_outside_the_archive() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "static/stolen.txt", "OUTSIDE-SECRET");
    let archive = plain_archive();
    let root = archive.path();
    std::fs::create_dir_all(root.join("themes")).unwrap();
    let relative = format!("../../../../../../../..{}", outside.path().display());
    for theme in [relative.as_str(), "..", "/etc"] {
        write(root, "hindsight.toml", &format!("theme = \"{theme}\"\n"));
        let output = build(root, &root.join("public"));
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{theme}: {message}");
        assert!(message.contains("not a plain directory name"), "{message}");
    }
}

// ---------------------------------------------------------------- determinism

#[test]
fn two_builds_of_the_example_archive_are_byte_identical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    for edition in ["internal", "public"] {
        let dirs = ["first", "second"].map(|n| out.path().join(format!("{edition}-{n}")));
        for dir in &dirs {
            let output = hindsight(&[
                "build",
                "--root",
                root.to_str().unwrap(),
                "--out",
                dir.to_str().unwrap(),
                "--edition",
                edition,
            ]);
            assert!(output.status.success(), "{}", stderr(&output));
        }
        let (a, b) = (files_under(&dirs[0]), files_under(&dirs[1]));
        assert!(a.len() > 20);
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "two builds of the {edition} edition have different files"
        );
        let differing: Vec<&String> = a.keys().filter(|path| a[*path] != b[*path]).collect();
        assert!(
            differing.is_empty(),
            "these files differ between two builds of the {edition} edition: {differing:?}"
        );
    }
}

// ---------------------------------------------------------------- limits

#[test]
fn a_document_over_the_size_limit_is_an_error_naming_it() {
    let archive = plain_archive();
    let root = archive.path();
    let big = format!("{POSTMORTEM}{}", "A long line of words.\n".repeat(300_000));
    assert!(big.len() > 1024 * 1024);
    write(root, "content/postmortems/huge.md", &big);
    let output = check(root, &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("huge.md") && message.contains("too-large"),
        "{message}"
    );
    assert!(
        message.contains("over the limit of 1048576 bytes"),
        "{message}"
    );

    // The limit is the archive's to set.
    write(root, "hindsight.toml", "max_document_bytes = 100\n");
    std::fs::remove_file(root.join("content/postmortems/huge.md")).unwrap();
    let output = check(root, &[]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("plain.md") && message.contains("over the limit of 100 bytes"),
        "{message}"
    );
}

#[test]
fn a_thousand_broken_files_yield_a_thousand_diagnostics() {
    let archive = plain_archive();
    let root = archive.path();
    let broken = [
        "",
        "no front matter\n",
        "+++\ntitle = \"never closed\"\n",
        "+++\ntitle = = 1\n+++\n",
        "+++\ntitle = \"T\"\ndate = 2024-01-02\nseverity = \"sev3\"\nservices = [\"api\"]\nservics = []\n[incident]\nstarted = 2024-01-01T10:00:00Z\n+++\n",
    ];
    for i in 0..1000 {
        write(
            root,
            &format!("content/postmortems/broken-{i:04}.md"),
            broken[i % broken.len()],
        );
    }
    std::fs::write(
        root.join("content/postmortems/not-utf8.md"),
        b"+++\ntitle = \"\xff\"\n+++\n",
    )
    .unwrap();
    let output = check(root, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["errors"], 1001, "{}", stderr(&output));
    let files: std::collections::BTreeSet<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1001, "one diagnostic per broken file");
}

#[test]
fn source_date_epoch_fixes_the_day_overdue_actions_are_judged_on() {
    let archive = plain_archive();
    let root = archive.path();
    write(
        root,
        "content/postmortems/plain.md",
        &POSTMORTEM.replace(
            "+++\nPlain",
            "\n[[actions]]\ntitle = \"Add an alert\"\nowner = \"team\"\ndue = 2024-02-01\n+++\nPlain",
        ),
    );
    let out = root.join("public");
    let page_on = |epoch: &str| {
        let output = built_site::hindsight_command()
            .args([
                "build",
                "--root",
                root.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read_to_string(out.join("postmortems/plain/index.html")).unwrap()
    };
    // 2024-01-15 and 2024-03-01, both at noon UTC.
    assert!(!page_on("1705320000").contains("badge-overdue"));
    assert!(page_on("1709294400").contains("badge-overdue"));
}

// ---------------------------------------------------------------- real documents

#[test]
fn real_postmortem_bodies_build_in_both_editions_with_no_false_internal_markers() {
    let Some(corpora) = common::corpora::corpora(
        "real_postmortem_bodies_build_in_both_editions_with_no_false_internal_markers",
    ) else {
        return;
    };
    // (slug, file name, body) of every document.
    let mut documents: Vec<(String, String, String)> = Vec::new();
    for dir in ["dfds-postmortems", "jenkins-status/content/issues"] {
        let Ok(entries) = std::fs::read_dir(corpora.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths.into_iter().filter(|p| p.is_file()) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "LICENSE" {
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            // Jenkins notices start with YAML front matter; hindsight's replaces it.
            let body = match text
                .strip_prefix("---\n")
                .and_then(|rest| rest.split_once("\n---"))
            {
                Some((_, body)) => body.to_string(),
                None => text,
            };
            let stem = name.strip_suffix(".md").unwrap_or(&name);
            documents.push((slug(stem), name, body));
        }
    }
    assert!(
        documents.len() > 100,
        "the corpora hold {} documents",
        documents.len()
    );

    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();
    for (i, (slug, _, body)) in documents.iter().enumerate() {
        // The documents link to each other by file name: point those links at the new slugs.
        let mut body = body.clone();
        for (other_slug, other_name, _) in &documents {
            for written in [other_name.replace(' ', "%20"), other_name.clone()] {
                body = body.replace(&format!("({written})"), &format!("({other_slug}.md)"));
                body = body.replace(&format!("]: {written}"), &format!("]: {other_slug}.md"));
            }
        }
        write(
            root,
            &format!("content/postmortems/{slug}.md"),
            &format!(
                "+++\ntitle = \"Corpus document {i}\"\ndate = 2024-01-02\nseverity = \"sev3\"\nservices = [\"corpus\"]\n\n[incident]\nstarted = 2024-01-01T10:00:00Z\n+++\n{body}"
            ),
        );
    }
    for edition in ["internal", "public"] {
        let out = root.join(edition);
        let output = hindsight(&[
            "build",
            "--root",
            root.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--edition",
            edition,
            "--base-url",
            "https://example.org/",
        ]);
        let message = stderr(&output);
        assert!(output.status.success(), "{edition}: {message}");
        assert!(!message.contains("-internal-"), "{edition}: {message}");
        for (slug, _, _) in &documents {
            assert!(out.join(format!("postmortems/{slug}/index.html")).is_file());
        }
    }
    // Nothing in these documents is marked internal: both editions show the same bodies.
    let page = |edition: &str, slug: &str| {
        let path = root
            .join(edition)
            .join(format!("postmortems/{slug}/index.html"));
        std::fs::read_to_string(path).unwrap()
    };
    for (slug, _, _) in &documents {
        let (internal, public) = (page("internal", slug), page("public", slug));
        let prose = |html: &str| {
            html.split("<div class=\"prose\">")
                .nth(1)
                .map(str::to_string)
        };
        assert_eq!(
            prose(&internal),
            prose(&public),
            "{slug} differs between editions"
        );
    }
}

/// A file stem as a slug: lower-case letters and digits joined by single dashes.
fn slug(stem: &str) -> String {
    let words: Vec<String> = stem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}
