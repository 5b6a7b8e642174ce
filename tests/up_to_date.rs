//! A build with nothing to do stops before loading anything, and never when something its
//! output depends on changed: a source, an option, the day, or the output itself.

mod built_site;

use std::path::Path;
use std::time::SystemTime;

use built_site::{copy_tree, files_under, hindsight, write};

/// A copy of the example archive in a temporary folder.
fn example_archive() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        from.join("hindsight.toml"),
        dir.path().join("hindsight.toml"),
    )
    .unwrap();
    for entry in walkdir::WalkDir::new(from.join("content")) {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(from).unwrap();
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(dir.path().join(relative)).unwrap();
        } else {
            std::fs::copy(entry.path(), dir.path().join(relative)).unwrap();
        }
    }
    dir
}

/// Builds `root` into its `public/`, with extra arguments and environment; the stderr.
fn build(root: &Path, extra: &[&str]) -> String {
    let mut args = vec!["build", "--root", root.to_str().unwrap()];
    args.extend(extra);
    let output = hindsight(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

fn skipped(stderr: &str) -> bool {
    stderr.contains("is up to date: nothing changed since its last build")
}

fn modification_times(dir: &Path) -> Vec<(String, SystemTime)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let time = entry.metadata().unwrap().modified().unwrap();
            (entry.path().display().to_string(), time)
        })
        .collect()
}

#[test]
fn a_second_build_with_nothing_changed_writes_nothing_and_says_so() {
    let archive = example_archive();
    let root = archive.path();
    let out = root.join("public");
    let first = build(root, &[]);
    assert!(first.contains("built 18 documents"), "{first}");
    let (files, times) = (files_under(&out), modification_times(&out));

    let second = build(root, &[]);
    assert!(skipped(&second), "{second}");
    assert!(second.contains("18 documents"), "{second}");
    assert_eq!(files_under(&out), files);
    assert_eq!(modification_times(&out), times, "no file was written again");
}

#[test]
fn a_change_to_a_source_an_option_the_day_or_the_output_builds_again() {
    let archive = example_archive();
    let root = archive.path();
    let out = root.join("public");
    let page = out.join("postmortems/2022-04-19-checkout-launch-saturation/index.html");
    build(root, &[]);

    // A body edit.
    let source = root.join("content/postmortems/2022-04-19-checkout-launch-saturation.md");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, format!("{text}\nA sentence added for the test.\n")).unwrap();
    assert!(!skipped(&build(root, &[])));
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("A sentence added for the test.")
    );
    assert!(skipped(&build(root, &[])));

    // A file of the output deleted, or one added: the output is made whole again.
    std::fs::remove_file(&page).unwrap();
    assert!(!skipped(&build(root, &[])));
    assert!(page.is_file());
    std::fs::write(out.join("stray.html"), "not ours").unwrap();
    assert!(!skipped(&build(root, &[])));
    assert!(!out.join("stray.html").exists());
    // An output file edited in place.
    let home = out.join("index.html");
    let original = std::fs::read(&home).unwrap();
    std::fs::write(&home, b"defaced").unwrap();
    assert!(!skipped(&build(root, &[])));
    assert_eq!(std::fs::read(&home).unwrap(), original);

    // Another option: the base URL of a deploy preview, or another edition.
    assert!(!skipped(&build(
        root,
        &["--base-url", "https://preview.example.com/"]
    )));
    assert!(
        std::fs::read_to_string(out.join("feed.xml"))
            .unwrap()
            .contains("https://preview.example.com/")
    );
    assert!(skipped(&build(
        root,
        &["--base-url", "https://preview.example.com/"]
    )));
    assert!(!skipped(&build(root, &["--edition", "public"])));

    // A template added to the archive.
    write(
        root,
        "templates/404.html",
        "<!doctype html><p>Lost in the archive</p>",
    );
    assert!(!skipped(&build(root, &["--edition", "public"])));
    assert!(
        std::fs::read_to_string(out.join("404.html"))
            .unwrap()
            .contains("Lost in the archive")
    );
}

#[test]
fn another_day_builds_again_since_pages_show_what_is_overdue() {
    let archive = example_archive();
    let root = archive.path();
    let day = |epoch: &str| {
        let output = built_site::hindsight_command()
            .args(["build", "--root", root.to_str().unwrap()])
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap();
        assert!(output.status.success());
        skipped(&String::from_utf8_lossy(&output.stderr))
    };
    assert!(!day("1790000000"));
    assert!(day("1790000000"));
    assert!(day("1790000100"), "the same day");
    assert!(!day("1790100000"), "the next day");
}

#[test]
fn a_skipped_build_reports_the_warnings_of_the_build_it_stands_for() {
    let archive = example_archive();
    let root = archive.path();
    let source = root.join("content/postmortems/2022-04-19-checkout-launch-saturation.md");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(
        &source,
        format!("{text}\nThe root cause was human error.\n"),
    )
    .unwrap();
    let first = build(root, &[]);
    assert!(first.contains("W0009"), "{first}");
    let second = build(root, &[]);
    assert!(skipped(&second));
    let warning = |stderr: &str| {
        stderr
            .lines()
            .filter(|line| !line.contains("up to date") && !line.starts_with("built "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(warning(&second), warning(&first));
}

/// The site a first build of `root`, as it now is, writes: built from a copy, so that the
/// build under test keeps its own record.
/// Whether the search index of the site in `public` has `word` among its terms.
fn is_indexed(public: &Path, word: &str) -> bool {
    files_under(&public.join("search/terms"))
        .into_values()
        .any(|shard| {
            String::from_utf8(shard)
                .unwrap()
                .contains(&format!("\"{word}\":["))
        })
}

fn fresh_site(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fresh_site_with(root, &[])
}

/// [`fresh_site`] with extra arguments.
fn fresh_site_with(root: &Path, extra: &[&str]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        root.join("hindsight.toml"),
        copy.path().join("hindsight.toml"),
    )
    .unwrap();
    for dir in ["content", "templates"] {
        if root.join(dir).exists() {
            copy_tree(&root.join(dir), &copy.path().join(dir));
        }
    }
    build(copy.path(), extra);
    files_under(&copy.path().join("public"))
}

#[test]
fn bodies_kept_by_a_build_of_one_edition_or_base_url_are_not_used_by_another() {
    let archive = example_archive();
    let root = archive.path();
    build(root, &[]);
    assert!(
        root.join(".hindsight-cache/bodies").is_dir(),
        "the first build keeps its bodies"
    );
    let public = root.join("public");
    for extra in [
        &["--edition", "public"][..],
        &["--base-url", "https://example.com/archive/"],
        // The same base path on another host: bodies are kept, but not the URLs made of it.
        &["--base-url", "https://elsewhere.example/"],
        &[],
    ] {
        build(root, extra);
        assert!(
            files_under(&public) == fresh_site_with(root, extra),
            "with {extra:?}, the site differs from a first build"
        );
    }
}

#[test]
fn a_build_over_the_last_one_rewrites_only_what_changed_and_equals_a_first_build() {
    let archive = example_archive();
    let root = archive.path();
    let public = root.join("public");
    let page = "postmortems/2022-04-19-checkout-launch-saturation/index.html";
    let source = "content/postmortems/2022-04-19-checkout-launch-saturation.md";
    let text = std::fs::read_to_string(root.join(source)).unwrap();
    build(root, &[]);

    // Four edits, each built over the site the one before left: a body, a timeline entry
    // (shown by the page and its JSON), a title (shown by listings too), a template (every
    // page renders again; only the 404 page changes).
    let edits: [(&str, &str, String); 4] = [
        (
            "a body",
            source,
            format!("{text}\nA paragraph added to the body.\n"),
        ),
        (
            "a timeline",
            source,
            text.replacen(
                "- 14:02 UTC — Checkout API",
                "- 14:03 UTC — Checkout API",
                1,
            ),
        ),
        (
            "a title",
            source,
            text.replacen(
                "Checkout failures on Wonderland launch day",
                "Checkout failed on launch day",
                1,
            ),
        ),
        (
            "a template",
            "templates/404.html",
            "{% extends \"base.html\" %}{% block content %}Lost.{% endblock %}".to_string(),
        ),
    ];
    for (what, path, content) in edits {
        let before = modification_times(&public);
        write(root, path, &content);
        build(root, &[]);
        let after = modification_times(&public);
        let rewritten: Vec<&str> = after
            .iter()
            .filter(|file| !before.contains(file))
            .map(|(path, _)| path.as_str())
            .collect();
        let rewrote = |file: &str| {
            let file = public.join(file).display().to_string();
            rewritten.contains(&file.as_str())
        };
        // Whether the edit shows on: the edited page, a listing, the services index, 404.
        let shows = match what {
            "a body" | "a timeline" => [true, false, false, false],
            "a title" => [true, true, false, false],
            _ => [false, false, false, true],
        };
        let files = [
            page,
            "postmortems/index.html",
            "services/index.html",
            "404.html",
        ];
        let written = files.map(rewrote);
        assert_eq!(written, shows, "after {what}, files written: {files:?}");
        assert!(
            files_under(&public) == fresh_site(root),
            "after {what}, the site differs from a first build"
        );
    }
}

#[test]
fn a_feed_is_made_again_when_an_entry_changes_where_no_summary_does() {
    let archive = example_archive();
    let root = archive.path();
    let source = "content/postmortems/2022-04-19-checkout-launch-saturation.md";
    let text = std::fs::read_to_string(root.join(source)).unwrap();
    build(root, &[]);
    // Authors show in the feed's entries, not in the summaries listings show.
    write(
        root,
        source,
        &text.replacen("\"m.hatter\"", "\"a.liddell\"", 1),
    );
    build(root, &[]);
    let feed = std::fs::read_to_string(root.join("public/feed.xml")).unwrap();
    assert!(feed.contains("<name>a.liddell</name>"), "{feed}");
    assert!(files_under(&root.join("public")) == fresh_site(root));
}

#[test]
fn postmortems_added_removed_and_edited_over_a_build_are_found_and_linked_as_after_a_first_build() {
    let archive = example_archive();
    let root = archive.path();
    let public = root.join("public");
    let indexed = |word: &str| is_indexed(&public, word);
    build(root, &[]);
    // A word of the postmortem removed below, and of no other document.
    assert!(indexed("changelog"));
    // A postmortem added among the others (every newer one's id moves), one removed, and a
    // word added to a third: the build takes the kept postings of all the rest.
    let dir = root.join("content/postmortems");
    let copied = std::fs::read_to_string(dir.join("2023-10-02-reporting-duplicate-orders.md"))
        .unwrap()
        .replacen("Nightly ETL loaded", "Quokkaload ETL loaded", 1)
        .replacen("date = 2023-10-06", "date = 2023-10-07", 1);
    std::fs::write(dir.join("2023-10-03-reporting-orders-again.md"), copied).unwrap();
    std::fs::remove_file(dir.join("2025-02-18-notification-queue-backlog.md")).unwrap();
    let edited = dir.join("2024-06-12-identity-oom-kills.md");
    let text = std::fs::read_to_string(&edited).unwrap();
    write(
        root,
        "content/postmortems/2024-06-12-identity-oom-kills.md",
        &format!("{text}\nA zanzibarite paragraph.\n"),
    );
    build(root, &[]);

    for word in ["quokkaload", "zanzibarite"] {
        assert!(indexed(word), "{word} is not indexed");
    }
    assert!(!indexed("changelog"), "a removed postmortem is still found");
    assert!(
        files_under(&public) == fresh_site(root),
        "the site differs from a first build"
    );
}

#[test]
fn a_public_page_whose_links_are_withheld_is_made_again_when_its_timeline_changes() {
    let archive = example_archive();
    let root = archive.path();
    let public = ["--edition", "public"];
    // A public postmortem linking to an internal one: the public edition withholds the link,
    // so its body is analysed for each build and nothing made from it is kept by its key.
    let source = "content/postmortems/2023-05-16-console-deleted-load-balancer.md";
    let text = std::fs::read_to_string(root.join(source))
        .unwrap()
        .replacen(
            "## Timeline\n",
            "See [the token leak](2023-08-30-leaked-deploy-token.md).\n\n## Timeline\n",
            1,
        );
    write(root, source, &text);
    build(root, &public);
    let page = root.join("public/postmortems/2023-05-16-console-deleted-load-balancer/index.html");
    let before = std::fs::read_to_string(&page).unwrap();
    assert!(
        !before.contains("leaked-deploy-token"),
        "the link is withheld"
    );

    write(
        root,
        source,
        &text.replacen("- 13:53 UTC", "- 13:54 UTC", 1),
    );
    build(root, &public);
    let after = std::fs::read_to_string(&page).unwrap();
    assert!(
        after.contains("13:54") && !after.contains("13:53"),
        "{after}"
    );
    assert!(files_under(&root.join("public")) == fresh_site_with(root, &public));
}

#[test]
fn a_document_checked_clean_is_checked_again_when_the_configuration_changes_and_findings_every_time()
 {
    let archive = example_archive();
    let root = archive.path();
    let first = build(root, &[]);
    assert!(!first.contains("unknown-tag"), "{first}");
    // `etl` leaves the known tags: the postmortem tagged with it now draws a warning, though
    // the last build found it clean and its file has not changed.
    let config = std::fs::read_to_string(root.join("hindsight.toml")).unwrap();
    assert!(config.contains("  \"etl\",\n"));
    write(
        root,
        "hindsight.toml",
        &config.replacen("  \"etl\",\n", "", 1),
    );
    let second = build(root, &[]);
    let warned = |stderr: &str| {
        stderr.contains("unknown-tag") && stderr.contains("2023-10-02-reporting-duplicate-orders")
    };
    assert!(warned(&second), "{second}");
    // A document with findings is checked on every build, so they are reported every time.
    let other = "content/postmortems/2024-06-12-identity-oom-kills.md";
    let text = std::fs::read_to_string(root.join(other)).unwrap();
    write(root, other, &format!("{text}\nOne more line.\n"));
    let third = build(root, &[]);
    assert!(!skipped(&third) && warned(&third), "{third}");
}

#[test]
fn a_new_time_zone_shows_on_the_pages_built_over_the_last_build() {
    let archive = example_archive();
    let root = archive.path();
    build(root, &[]);
    let config = std::fs::read_to_string(root.join("hindsight.toml")).unwrap();
    assert!(config.contains("timezone = \"UTC\""));
    write(
        root,
        "hindsight.toml",
        &config.replacen("timezone = \"UTC\"", "timezone = \"+02:00\"", 1),
    );
    build(root, &[]);
    let page = std::fs::read_to_string(
        root.join("public/postmortems/2022-04-19-checkout-launch-saturation/index.html"),
    )
    .unwrap();
    assert!(page.contains("+02:00"), "{page}");
    assert!(files_under(&root.join("public")) == fresh_site(root));
}

#[test]
fn small_edits_to_a_large_archive_leave_the_kept_postings_and_words_as_they_were() {
    let archive = example_archive();
    let root = archive.path();
    let public = root.join("public");
    // Enough postmortems that two edits, each missed and unused in the kept files, are less
    // than a 64th of them.
    let dir = root.join("content/postmortems");
    let model =
        std::fs::read_to_string(dir.join("2023-10-02-reporting-duplicate-orders.md")).unwrap();
    for copy in 0..300 {
        let text = model
            .replacen(
                "Nightly ETL loaded",
                &format!("Copy{copy}word ETL loaded"),
                1,
            )
            .replacen(
                "date = 2023-10-06",
                &format!("date = 2021-{:02}-{:02}", copy % 12 + 1, copy % 28 + 1),
                1,
            );
        std::fs::write(dir.join(format!("2021-copy-{copy}.md")), text).unwrap();
    }
    build(root, &[]);
    let cache = root.join(".hindsight-cache");
    let kept = ["search-internal.bin", "words-internal.bin"];
    let written = || {
        kept.map(|name| {
            std::fs::metadata(cache.join(name))
                .unwrap()
                .modified()
                .unwrap()
        })
    };
    let first = written();
    let indexed = |word: &str| is_indexed(&public, word);

    for (copy, word) in [(7, "zanzibarite"), (90, "quokkaload")] {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let edited = format!("content/postmortems/2021-copy-{copy}.md");
        let text = std::fs::read_to_string(root.join(&edited)).unwrap();
        write(root, &edited, &format!("{text}\nA {word} paragraph.\n"));
        build(root, &[]);
        assert_eq!(written(), first, "a kept file was written again");
        assert!(indexed(word), "{word} is not indexed");
        assert!(
            files_under(&public) == fresh_site(root),
            "the site differs from a first build"
        );
    }
}

#[test]
fn an_action_item_closed_leaves_its_services_page_and_the_open_actions_as_after_a_first_build() {
    let archive = example_archive();
    let root = archive.path();
    let public = root.join("public");
    build(root, &[]);
    let source = "content/postmortems/2024-06-12-identity-oom-kills.md";
    let text = std::fs::read_to_string(root.join(source)).unwrap();
    let title = "Set requests and limits from measured p99 usage for every migrated service";
    let page = |path: &str| String::from_utf8(files_under(&public)[path].clone()).unwrap();
    assert!(page("services/identity/index.html").contains(title));
    assert!(page("actions/index.html").contains(title));

    // The item's status is in no summary: only the file's key says it changed.
    let open = text.find(title).unwrap();
    let status = open + text[open..].find("status = \"open\"").unwrap();
    let closed = format!(
        "{}status = \"done\"{}",
        &text[..status],
        &text[status + 15..]
    );
    write(root, source, &closed);
    build(root, &[]);
    assert!(!page("services/identity/index.html").contains(title));
    assert!(!page("actions/index.html").contains(title));
    assert!(
        files_under(&public) == fresh_site(root),
        "the site differs from a first build"
    );
}

#[test]
fn a_finding_in_a_file_not_read_again_is_reported_at_its_line_on_every_build() {
    let archive = example_archive();
    let root = archive.path();
    let config = std::fs::read_to_string(root.join("hindsight.toml")).unwrap();
    write(
        root,
        "hindsight.toml",
        &config.replacen("  \"etl\",\n", "", 1),
    );
    // A file changed in the two seconds before a build (counted in whole seconds) is read by
    // the next one whatever its stamp: these are not, so the second build takes the flagged
    // postmortem as the first left it, and reads its front matter only to point at the tag.
    std::thread::sleep(std::time::Duration::from_secs(3));
    // The warning, with where it points and the line it shows.
    let warning = |stderr: &str| {
        let lines: Vec<&str> = stderr.lines().collect();
        let at = lines.iter().position(|line| line.contains("unknown-tag"))?;
        Some(lines[at..(at + 5).min(lines.len())].join("\n"))
    };
    let first = build(root, &[]);
    let at = warning(&first).unwrap_or_else(|| panic!("{first}"));
    assert!(
        at.contains("2023-10-02-reporting-duplicate-orders.md:9:9")
            && at.contains("tags = [\"etl\""),
        "{at}"
    );
    let other = "content/postmortems/2024-06-12-identity-oom-kills.md";
    let text = std::fs::read_to_string(root.join(other)).unwrap();
    write(root, other, &format!("{text}\nOne more line.\n"));
    let second = build(root, &[]);
    assert!(!skipped(&second), "{second}");
    assert_eq!(warning(&second), Some(at));
}

#[test]
fn files_put_into_any_folder_of_the_output_are_removed_by_the_next_build() {
    let archive = example_archive();
    let root = archive.path();
    let out = root.join("public");
    // A build lists the folders changed since the last one recorded their times, and those
    // changed in the two seconds before that: the folders here are older, so only their
    // times can tell. The second build records the times of what the first made.
    let settle = || std::thread::sleep(std::time::Duration::from_secs(3));
    build(root, &[]);
    settle();
    let edited = "content/postmortems/2024-06-12-identity-oom-kills.md";
    let text = std::fs::read_to_string(root.join(edited)).unwrap();
    write(root, edited, &format!("{text}\nOne more line.\n"));
    build(root, &[]);
    let folder = out.join("postmortems/2022-04-19-checkout-launch-saturation");
    std::fs::write(folder.join("stray.html"), "not ours").unwrap();
    std::fs::create_dir(out.join("tags/empty")).unwrap();
    settle();
    assert!(!skipped(&build(root, &[])));
    assert!(!folder.join("stray.html").exists());
    assert!(folder.join("index.html").is_file());
    // A folder made by hand and left empty holds no file of the site; one put into it later
    // is found all the same.
    std::fs::write(out.join("tags/empty/stray.html"), "not ours").unwrap();
    assert!(!skipped(&build(root, &[])));
    assert!(!out.join("tags/empty/stray.html").exists());
    assert!(files_under(&out) == fresh_site(root));
    // A folder of the site replaced by a file, and another by a link to a folder elsewhere,
    // whose files stay as they are.
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::write(&folder, "not a folder").unwrap();
    #[cfg(unix)]
    let elsewhere = {
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("index.html"), "theirs").unwrap();
        let tag = out.join("tags/etl");
        std::fs::remove_dir_all(&tag).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), &tag).unwrap();
        elsewhere
    };
    assert!(!skipped(&build(root, &[])));
    assert!(files_under(&out) == fresh_site(root));
    #[cfg(unix)]
    assert_eq!(
        std::fs::read_to_string(elsewhere.path().join("index.html")).unwrap(),
        "theirs"
    );
}

#[test]
fn suggestions_follow_edits_of_services_tags_and_related_incidents_as_a_first_build() {
    let archive = example_archive();
    let root = archive.path();
    let out = root.join("public");
    build(root, &[]);
    let suggested = |slug: &str| {
        let file = out.join(format!("postmortems/{slug}/index.json"));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        json["suggested"].to_string()
    };
    // An edit to the front matter only, the words suggestions weigh staying as they were,
    // built over the last build: the site is as a first build makes it. The suggestions of
    // the edited postmortem then.
    let edited = |slug: &str, from: &str, to: &str| {
        let path = format!("content/postmortems/{slug}.md");
        let text = std::fs::read_to_string(root.join(&path)).unwrap();
        assert!(text.contains(from), "{path}");
        write(root, &path, &text.replacen(from, to, 1));
        build(root, &[]);
        assert!(files_under(&out) == fresh_site(root));
        suggested(slug)
    };
    let lonely = "2023-10-02-reporting-duplicate-orders";
    let stuck = "2024-03-05-deployer-stuck-rollouts";
    assert_eq!(suggested(lonely), "[]");
    // Another service, then another tag, as many as before.
    let reporting = "services = [\"reporting\"]";
    let deployer = "services = [\"deployer\"]";
    assert!(edited(lonely, reporting, deployer).contains(stuck));
    assert_eq!(edited(lonely, deployer, reporting), "[]");
    let tags = "tags = [\"etl\", \"data-quality\"]";
    assert!(edited(lonely, tags, "tags = [\"etl\", \"deploys\"]").contains(stuck));
    // A suggested incident named as related is suggested no more.
    let leaked = "2023-08-30-leaked-deploy-token";
    assert!(suggested(stuck).contains(leaked));
    let public = "visibility = \"public\"\n";
    let related = format!("{public}related = [\"{leaked}\"]\n");
    assert!(!edited(stuck, public, &related).contains(leaked));
}

#[test]
fn archive_json_kept_through_an_edit_that_changes_no_entry_is_whole_after_the_next() {
    let archive = example_archive();
    let root = archive.path();
    let out = root.join("public");
    build(root, &[]);
    let append = |slug: &str, text: &str| {
        let path = format!("content/postmortems/{slug}.md");
        let before = std::fs::read_to_string(root.join(&path)).unwrap();
        write(root, &path, &format!("{before}{text}"));
        build(root, &[]);
    };
    // Blank lines change the file, not its entry: `archive.json` is kept as it was.
    let modified = || {
        std::fs::metadata(out.join("archive.json"))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = modified();
    append("2024-06-12-identity-oom-kills", "\n\n");
    assert_eq!(modified(), before);
    assert!(files_under(&out) == fresh_site(root));
    // Then another postmortem's title: every entry is listed again, the first one's too.
    let path = "content/postmortems/2022-07-08-search-stale-prices.md";
    let text = std::fs::read_to_string(root.join(path)).unwrap();
    write(
        root,
        path,
        &text.replacen("title = \"", "title = \"Retitled: ", 1),
    );
    build(root, &[]);
    assert!(
        std::fs::read_to_string(out.join("archive.json"))
            .unwrap()
            .contains("Retitled: ")
    );
    assert!(files_under(&out) == fresh_site(root));
}

#[test]
fn a_page_defaced_to_its_own_length_is_made_whole_and_pages_rendered_the_same_are_untouched() {
    // A build that renders pages again (here: a template added, which every page's key
    // holds) leaves a page whose bytes come out the same as they are, without rewriting it,
    // and tells so from the digest it recorded while the file is as recorded. A file
    // changed since, even to the same length, is compared and written again.
    let archive = example_archive();
    let root = archive.path();
    let out = root.join("public");
    build(root, &[]);
    let page = out.join("postmortems/2022-04-19-checkout-launch-saturation/index.html");
    let original = std::fs::read(&page).unwrap();
    std::fs::write(&page, vec![b'x'; original.len()]).unwrap();
    // An hour back, so that no file system's clock can leave the time as the build left it.
    let an_hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&page)
        .and_then(|file| file.set_modified(an_hour_ago))
        .unwrap();
    let before = modification_times(&out);

    write(
        root,
        "templates/unused.html",
        "<p>Not used by any page.</p>",
    );
    assert!(!skipped(&build(root, &[])));
    assert_eq!(std::fs::read(&page).unwrap(), original, "the defaced page");
    let after = modification_times(&out);
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|file| !before.contains(file))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        rewritten,
        [&page.display().to_string()],
        "only the defaced page is written again"
    );
}
