//! A public document's link to an internal one publishes nothing of it, whatever form the link
//! takes: a path to the file, the page's URL (relative, from the root, with or without the base
//! path, or absolute on the site's host), a file under the page, an image, an autolink or a
//! reference definition, and `<a href>` or `<img src>` in raw HTML. The public edition keeps the link's words and drops the address; the
//! internal edition keeps the link; `check` and the public build warn (W0016) at each link's
//! line.

mod built_site;

use std::collections::BTreeSet;
use std::path::Path;

use built_site::{files_under, hindsight, write};

/// The internal document's slug: no byte of the public edition may hold it.
const SECRET: &str = "zqxhidden-outage";

/// Every way a public body links to the internal document, one a line, each with the address
/// the internal edition links to.
const FORMS: &[(&str, &str)] = &[
    (
        "See [words 01](zqxhidden-outage.md).",
        "href=\"/archive/postmortems/zqxhidden-outage/\"",
    ),
    (
        "See [words 02](zqxhidden-outage.md#impact).",
        "href=\"/archive/postmortems/zqxhidden-outage/#impact\"",
    ),
    (
        "See [words 03](/archive/postmortems/zqxhidden-outage/).",
        "href=\"/archive/postmortems/zqxhidden-outage/\"",
    ),
    (
        "See [words 04](/postmortems/zqxhidden-outage/).",
        "href=\"/postmortems/zqxhidden-outage/\"",
    ),
    (
        "See [words 05](../zqxhidden-outage/).",
        "href=\"../zqxhidden-outage/\"",
    ),
    (
        "See [words 06](https://example.com/archive/postmortems/zqxhidden-outage/#timeline).",
        "href=\"https://example.com/archive/postmortems/zqxhidden-outage/#timeline\"",
    ),
    (
        "See [words 07](/archive/postmortems/zqxhidden-outage/index.json).",
        "href=\"/archive/postmortems/zqxhidden-outage/index.json\"",
    ),
    (
        "See ![words 08](/archive/postmortems/zqxhidden-outage/diagram.png).",
        "src=\"/archive/postmortems/zqxhidden-outage/diagram.png\"",
    ),
    (
        "See <https://example.com/archive/postmortems/zqxhidden-outage/>.",
        "href=\"https://example.com/archive/postmortems/zqxhidden-outage/\"",
    ),
    (
        "See [words 10][the-outage].",
        "href=\"HTTP://EXAMPLE.COM/archive/postmortems/zqxhidden-outage/\"",
    ),
    (
        "See [words 11](zqxhidden-outage.md?v=2).",
        "href=\"/archive/postmortems/zqxhidden-outage/\"",
    ),
    (
        "See <a href=\"zqxhidden-outage.md\">words 13</a>.",
        "href=\"/archive/postmortems/zqxhidden-outage/\"",
    ),
    (
        "See <a class=\"x\" href='/postmortems/zqxhidden-outage/?v=2#impact'>words 14</a>.",
        "href=\"/postmortems/zqxhidden-outage/?v=2#impact\"",
    ),
    (
        "See <img alt=\"words 15\" src=\"https://example.com/archive/postmortems/zqxhidden-outage/diagram.png\">.",
        "src=\"https://example.com/archive/postmortems/zqxhidden-outage/diagram.png\"",
    ),
    (
        "See <a href=\"zqxhidden-outage&#46;md\">words 16</a>.",
        "href=\"/archive/postmortems/zqxhidden-outage/\"",
    ),
    (
        "<div><a href=\"../zqxhidden-outage/\"\nclass=\"x\">words 17</a></div>",
        "href=\"../zqxhidden-outage/\"",
    ),
];

/// A public postmortem linking to an internal one in every form of [`FORMS`], to a public one,
/// and to the internal one again from inside an internal region.
fn archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "hindsight.toml",
        "title = \"Links\"\nbase_url = \"https://example.com/archive/\"\n[services.api]\nname = \"API\"\n",
    );
    let front_matter = |title: &str, visibility: &str| {
        format!(
            "+++\ntitle = \"{title}\"\ndate = 2024-05-02\nsummary = \"What happened.\"\nseverity = \"sev4\"\nservices = [\"api\"]\n{visibility}\n[incident]\nstarted = 2024-05-01T10:00:00Z\n+++\n"
        )
    };
    write(
        root,
        &format!("content/postmortems/{SECRET}.md"),
        &format!(
            "{}## Impact\n\nInternal words.\n\n## Timeline\n\n- 10:00 — it began\n",
            front_matter("The hidden outage", "visibility = \"internal\"")
        ),
    );
    write(
        root,
        "content/postmortems/public-two.md",
        &format!("{}Public words.\n", front_matter("Another public one", "")),
    );
    let mut body = front_matter("The public one", "");
    body.push_str("## Links\n\n");
    for (line, _) in FORMS {
        body.push_str(line);
        body.push_str("\n\n");
    }
    body.push_str("And [the other public one](../public-two/).\n\n");
    body.push_str("<!-- internal -->\nInternal aside: [words 12](zqxhidden-outage.md).\n<!-- /internal -->\n\n");
    body.push_str(
        "[the-outage]: HTTP://EXAMPLE.COM/archive/postmortems/zqxhidden-outage/ \"The outage\"\n",
    );
    write(root, "content/postmortems/public-one.md", &body);
    dir
}

/// The line of `content/postmortems/public-one.md` each form is written on.
fn lines_of_forms(root: &Path) -> BTreeSet<u64> {
    let source = std::fs::read_to_string(root.join("content/postmortems/public-one.md")).unwrap();
    FORMS
        .iter()
        .map(|(line, _)| {
            let at = source.find(line).expect("every form is in the file");
            source[..at].matches('\n').count() as u64 + 1
        })
        .collect()
}

fn build(root: &Path, out: &Path, edition: &str) -> String {
    let output = hindsight(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--edition",
        edition,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "the {edition} build failed: {stderr}"
    );
    stderr
}

#[test]
fn the_public_edition_holds_no_link_to_an_internal_document_in_any_form() {
    let archive = archive();
    let out = tempfile::tempdir().unwrap();
    let public_dir = out.path().join("public");
    build(archive.path(), &public_dir, "public");

    let public = files_under(&public_dir);
    assert!(public.contains_key("postmortems/public-one/index.html"));
    let leaks: Vec<String> = public
        .iter()
        .filter(|(path, bytes)| {
            path.to_lowercase().contains(SECRET)
                || String::from_utf8_lossy(bytes)
                    .to_lowercase()
                    .contains(SECRET)
        })
        .map(|(path, _)| path.clone())
        .collect();
    assert!(
        leaks.is_empty(),
        "the internal document's slug is published in {leaks:?}"
    );
    let page = String::from_utf8_lossy(&public["postmortems/public-one/index.html"]).into_owned();
    for n in [
        "01", "02", "03", "04", "05", "06", "07", "08", "10", "11", "13", "14", "15", "16", "17",
    ] {
        assert!(
            page.contains(&format!("words {n}")),
            "the public page lost the words of link {n}"
        );
    }
    assert!(
        page.contains("href=\"../public-two/\""),
        "a link to a public page is kept"
    );
    assert!(!page.contains("Internal aside"));
}

#[test]
fn the_internal_edition_keeps_every_link_to_an_internal_document() {
    let archive = archive();
    let out = tempfile::tempdir().unwrap();
    let internal_dir = out.path().join("internal");
    build(archive.path(), &internal_dir, "internal");
    let internal = files_under(&internal_dir);
    let page = String::from_utf8_lossy(&internal["postmortems/public-one/index.html"]).into_owned();
    for (line, address) in FORMS {
        assert!(
            page.contains(address),
            "the internal edition lost the link of {line:?} ({address})"
        );
    }
    assert!(page.contains("Internal aside"));
}

#[test]
fn check_and_the_public_build_warn_at_each_withheld_link() {
    let archive = archive();
    let root = archive.path();
    let expected = lines_of_forms(root);
    assert_eq!(expected.len(), FORMS.len());

    let output = hindsight(&[
        "check",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("check prints JSON");
    assert_eq!(report["errors"], 0, "{report}");
    let warned: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "W0016")
        .collect();
    for warning in &warned {
        assert_eq!(warning["file"], "content/postmortems/public-one.md");
        assert_eq!(warning["level"], "warning");
        assert!(
            warning["message"]
                .as_str()
                .unwrap()
                .contains("link to internal document withheld from the public edition"),
            "{warning}"
        );
        assert!(
            warning["hint"]
                .as_str()
                .is_some_and(|h| h.contains("internal"))
        );
    }
    let lines: BTreeSet<u64> = warned.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert_eq!(
        lines, expected,
        "check warns at exactly the lines of the links (not the one inside the internal region)"
    );
    assert_eq!(warned.len(), FORMS.len(), "one warning a link");

    let out = tempfile::tempdir().unwrap();
    let stderr = build(root, &out.path().join("public"), "public");
    let mut built_lines = BTreeSet::new();
    let mut in_warning = false;
    for line in stderr.lines() {
        if line.starts_with("warning[") {
            in_warning = line.starts_with("warning[W0016]");
        } else if in_warning
            && let Some(at) = line
                .trim_start()
                .strip_prefix("--> content/postmortems/public-one.md:")
        {
            built_lines.insert(at.split(':').next().unwrap().parse::<u64>().unwrap());
            in_warning = false;
        }
    }
    assert_eq!(
        built_lines, expected,
        "the public build warns at each link's line: {stderr}"
    );
}

#[test]
fn a_build_without_drafts_withholds_every_link_to_a_draft_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "hindsight.toml",
        "title = \"Drafts\"\nbase_url = \"https://example.com/\"\n",
    );
    let front_matter = |title: &str, status: &str| {
        format!(
            "+++\ntitle = \"{title}\"\ndate = 2024-05-02\nsummary = \"What happened.\"\nseverity = \"sev4\"\nservices = [\"api\"]\nstatus = \"{status}\"\n[incident]\nstarted = 2024-05-01T10:00:00Z\n+++\n"
        )
    };
    write(
        root,
        "content/postmortems/zqxdraft-outage.md",
        &format!("{}Not written yet.\n", front_matter("Unfinished", "draft")),
    );
    write(
        root,
        "content/postmortems/done.md",
        &format!(
            "{}See [words 01](zqxdraft-outage.md).\n\nSee <a href=\"/postmortems/zqxdraft-outage/\">words 02</a>.\n",
            front_matter("Finished", "published")
        ),
    );
    for edition in ["public", "internal"] {
        let out = tempfile::tempdir().unwrap();
        let site = out.path().join("site");
        let stderr = build(root, &site, edition);
        let warnings = stderr.matches("warning[W0016]").count();
        assert_eq!(warnings, 2, "{edition}: {stderr}");
        assert!(stderr.contains("draft"), "{stderr}");
        let leaks: Vec<String> = files_under(&site)
            .iter()
            .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains("zqxdraft"))
            .map(|(path, _)| path.clone())
            .collect();
        assert!(
            leaks.is_empty(),
            "{edition}: the draft's slug is in {leaks:?}"
        );
        let page = String::from_utf8_lossy(&files_under(&site)["postmortems/done/index.html"])
            .into_owned();
        assert!(page.contains("words 01") && page.contains("words 02"));
    }
    let out = tempfile::tempdir().unwrap();
    let output = hindsight(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.path().join("site").to_str().unwrap(),
        "--drafts",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("W0016"), "{stderr}");
    let page = String::from_utf8_lossy(
        &files_under(&out.path().join("site"))["postmortems/done/index.html"],
    )
    .into_owned();
    assert!(
        page.contains("href=\"/postmortems/zqxdraft-outage/\""),
        "{page}"
    );
}
