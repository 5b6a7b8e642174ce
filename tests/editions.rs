//! The public edition leaks nothing internal: not a page, a title, a count or a word of an
//! internal block, in any file of the output (HTML, JSON, feeds, indexes, whatever renders).
//!
//! The canary test plants a unique string in every field of internal documents and in every
//! kind of internal block of a public document, builds the public edition, and searches the
//! bytes of every output file for each of them.

mod built_site;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use built_site::{files_under, hindsight, write};

/// Every canary starts with this, so one search finds any of them.
const CANARY: &str = "zqxcanary";

/// Where each occurrence of `needle` is (in any case): the file name, or the file and the
/// text around it. Every file is searched as bytes; invalid UTF-8 only blurs the context.
fn occurrences(files: &BTreeMap<String, Vec<u8>>, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase();
    let mut found = Vec::new();
    for (path, bytes) in files {
        if path.to_lowercase().contains(&needle) {
            found.push(format!("file name {path}"));
        }
        let text = String::from_utf8_lossy(bytes).to_lowercase();
        for (at, _) in text.match_indices(&needle) {
            let context: String = text[..at]
                .chars()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .chain(text[at..].chars().take(needle.len() + 30))
                .collect();
            found.push(format!("{path}: …{context}…"));
        }
    }
    found
}

fn build(root: &Path, out: &Path, edition: &str) {
    let output = hindsight(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--edition",
        edition,
    ]);
    assert!(
        output.status.success(),
        "the {edition} build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An archive where every field of the internal documents, and every internal block of the
/// public ones, holds a canary `zqxcanaryNN`.
fn canary_archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "hindsight.toml",
        r#"title = "Canary archive"
base_url = "https://example.com"
[services.shared]
name = "Shared service"
[services.catalogued-but-internal-only]
name = "Catalogued service"
"#,
    );
    write(
        root,
        "content/postmortems/zqxcanary01-internal-postmortem.md",
        r#"+++
title = "zqxcanary02 internal postmortem title"
date = 2024-03-02
summary = "zqxcanary03 summary"
authors = ["zqxcanary04author"]
severity = "sev1"
services = ["shared", "zqxcanary05svc", "catalogued-but-internal-only"]
tags = ["shared-tag", "zqxcanary06tag"]
visibility = "internal"
premortems = ["public-premortem#public-risk"]
related = ["public-postmortem"]

[incident]
started = 2024-03-01T10:00:00Z
resolved = 2024-03-01T11:00:00Z

[[actions]]
title = "zqxcanary07 action title"
owner = "zqxcanary08owner"
kind = "prevent"
link = "https://example.com/zqxcanary09"
due = 2024-04-01

[extra]
note = "zqxcanary10 extra"
+++
## zqxcanary11 heading

zqxcanary12 body paragraph, with [a link](https://zqxcanary13.example.com/).

```sh
echo zqxcanary14 in code
```
"#,
    );
    write(
        root,
        "content/premortems/zqxcanary30-internal-premortem.md",
        r#"+++
title = "zqxcanary31 internal premortem title"
date = 2024-01-02
summary = "zqxcanary32 summary"
authors = ["zqxcanary33author"]
services = ["zqxcanary34svc"]
tags = ["zqxcanary35tag"]
visibility = "internal"

[[risks]]
id = "zqxcanary36risk"
title = "zqxcanary37 risk title"
likelihood = "high"
impact = "high"
mitigation = "zqxcanary38 mitigation"
owner = "zqxcanary39owner"
+++
zqxcanary40 premortem body.
"#,
    );
    write(
        root,
        "content/premortems/public-premortem.md",
        r#"+++
title = "Public premortem"
date = 2024-01-01
services = ["shared"]

[[risks]]
id = "public-risk"
title = "A public risk"
likelihood = "low"
impact = "low"
+++
We imagined the worst.
"#,
    );
    write(
        root,
        "content/postmortems/public-postmortem.md",
        r#"+++
title = "Public postmortem"
date = 2024-05-02
summary = "A public summary."
severity = "sev2"
services = ["shared"]
tags = ["shared-tag"]
premortems = ["zqxcanary30-internal-premortem#zqxcanary36risk"]
related = ["zqxcanary01-internal-postmortem"]

[incident]
started = 2024-05-01T10:00:00Z
+++
## Summary

Public words. See [the other incident](zqxcanary01-internal-postmortem.md) (and
[with a query](zqxcanary01-internal-postmortem.md?v=2#top)) and
[the plan](../premortems/zqxcanary30-internal-premortem.md#risk-zqxcanary36risk).

<!-- internal -->
zqxcanary50 in a comment region, with [a link](https://zqxcanary60.example.com/).

## zqxcanary61 heading in a region

[zqxcanary62ref]: https://zqxcanary63.example.com/
<!-- /internal -->

```internal
zqxcanary51 in a fence
```

- a public item
  <!-- internal -->
  zqxcanary52 inside a list item
  <!-- /internal -->
- another public item

  ```internal
  zqxcanary56 in a fence in a list item
  ```
- a third item
<!-- internal -->
- zqxcanary53 a whole internal list item
<!-- /internal -->
- the last public item

| Column | Value |
|--------|-------|
| public | <!-- internal -->zqxcanary54 in a table cell<!-- /internal --> |

Words <!-- internal -->zqxcanary55 inline<!-- /internal --> and more words.

> Quoted public words.
> <!-- internal -->
> zqxcanary57 in a block quote
> <!-- /internal -->

~~~ internal
zqxcanary58 in a tilde fence
~~~

<!--INTERNAL-->
zqxcanary59 between markers written without spaces
<!-- /Internal -->

A footnote.[^note]

<!-- internal -->
[^note]: zqxcanary64 in a footnote definition
<!-- /internal -->

> <!-- internal -->
> [quoted-runbook]: https://zqxcanary65.example.com/
>
> [^quoted]: zqxcanary66 in a footnote in a quoted region
> <!-- /internal -->

Linked from outside the quote: [the runbook][quoted-runbook], and a note.[^quoted]

<!--
internal
-->
zqxcanary67 under a marker written over several lines
<!--
/internal
-->

<div>
```
</div>

<!-- internal -->
[after-div]: https://zqxcanary68.example.com/
<!-- /internal -->

After a fence line in raw HTML: [the dashboard][after-div].
"#,
    );
    dir
}

/// The canary names found in a site, such as `zqxcanary07`.
fn canaries_in(files: &BTreeMap<String, Vec<u8>>) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        for haystack in [path.as_str(), text.as_ref()] {
            for (i, _) in haystack.match_indices(CANARY) {
                let digits: String = haystack[i + CANARY.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                found.insert(format!("{CANARY}{digits}"));
            }
        }
    }
    found
}

#[test]
fn no_byte_of_the_public_edition_holds_anything_internal() {
    let archive = canary_archive();
    let out = tempfile::tempdir().unwrap();
    let public_dir = out.path().join("public");
    let internal_dir = out.path().join("internal");
    build(archive.path(), &public_dir, "public");
    build(archive.path(), &internal_dir, "internal");

    let public = files_under(&public_dir);
    assert!(public.len() > 5, "the public edition is nearly empty");
    // A byte search cannot see into compressed files: whoever adds one teaches this test to
    // decompress it.
    let compressed: Vec<&String> = public
        .iter()
        .filter(|(_, bytes)| {
            [&[0x1f, 0x8b][..], &[0x28, 0xb5, 0x2f, 0xfd], b"PK\x03\x04"]
                .iter()
                .any(|magic| bytes.starts_with(magic))
        })
        .map(|(path, _)| path)
        .collect();
    assert!(
        compressed.is_empty(),
        "compressed output files the canary search cannot read: {compressed:?}"
    );
    let leaks = occurrences(&public, CANARY);
    assert!(
        leaks.is_empty(),
        "the public edition leaks internal content:\n{}",
        leaks.join("\n")
    );
    let public_home = String::from_utf8_lossy(&public["index.html"]).into_owned();
    assert!(public_home.contains("Public postmortem"));
    let public_page =
        String::from_utf8_lossy(&public["postmortems/public-postmortem/index.html"]).into_owned();
    for words in [
        "Public words",
        "the other incident",
        "a public item",
        "the last public item",
        "and more words",
        "Quoted public words",
    ] {
        assert!(
            public_page.contains(words),
            "the public edition lost {words:?}"
        );
    }

    // The test can fail: the internal edition shows what the public one must not.
    let internal = files_under(&internal_dir);
    let shown = canaries_in(&internal);
    let planted: Vec<String> = [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 50,
        51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64,
    ]
    .iter()
    .map(|n| format!("{CANARY}{n:02}"))
    .collect();
    let missing: Vec<&String> = planted.iter().filter(|c| !shown.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "the internal edition does not show {missing:?}: the canaries are not where the test thinks"
    );
}

#[test]
fn services_and_tags_of_internal_documents_only_get_no_page_and_counts_are_of_the_edition() {
    let archive = canary_archive();
    let out = tempfile::tempdir().unwrap();
    build(archive.path(), out.path(), "public");
    let site = files_under(out.path());
    assert!(!site.keys().any(|p| p.contains("zqxcanary05svc")));
    assert!(!site.keys().any(|p| p.contains("zqxcanary06tag")));
    assert!(site.contains_key("services/shared/index.html"));
    assert!(site.contains_key("tags/shared-tag/index.html"));

    // A catalogue service is listed whatever its incidents, but only with the public ones.
    let services = String::from_utf8_lossy(&site["services/index.html"]).into_owned();
    let row_of = |name: &str| -> String {
        let start = services
            .find(name)
            .unwrap_or_else(|| panic!("{name} not listed"));
        let end = services[start..].find("</tr>").unwrap() + start;
        services[start..end].to_string()
    };
    assert!(
        row_of("Catalogued service").contains(">0<"),
        "{}",
        row_of("Catalogued service")
    );
    assert!(
        row_of("Shared service").contains(">1<"),
        "{}",
        row_of("Shared service")
    );
    let home = String::from_utf8_lossy(&site["index.html"]).into_owned();
    assert!(
        home.contains("1 postmortems"),
        "the home page counts internal ones"
    );
    assert!(
        !home.contains("Catalogued service"),
        "a service with no public incident is a top service"
    );
}

/// Title and slug of every internal document of the example archive, read from its files.
fn internal_documents_of_the_example() -> Vec<(String, String)> {
    let mut internal = Vec::new();
    for kind in ["postmortems", "premortems"] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("content")
            .join(kind);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let front_matter = text.split("+++").nth(1).unwrap();
            if !front_matter.contains("visibility = \"internal\"") {
                continue;
            }
            let title = front_matter
                .lines()
                .find_map(|l| l.strip_prefix("title = \""))
                .and_then(|l| l.strip_suffix('"'))
                .unwrap()
                .to_string();
            let slug = path.file_stem().unwrap().to_string_lossy().into_owned();
            internal.push((slug, title));
        }
    }
    internal
}

/// Stretches of plain prose inside the example archive's internal blocks.
fn internal_block_lines_of_the_example() -> Vec<String> {
    let mut lines = Vec::new();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content/postmortems");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut inside = false;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed == "<!-- internal -->" || trimmed.starts_with("```internal") {
                inside = true;
            } else if trimmed == "<!-- /internal -->" || (inside && trimmed == "```") {
                inside = false;
            } else if inside {
                // Markdown and smart punctuation change other characters: keep plain runs.
                let runs = trimmed
                    .split(|c: char| !(c.is_ascii_alphanumeric() || " ,.".contains(c)))
                    .map(str::trim)
                    .filter(|run| run.len() >= 25);
                lines.extend(runs.map(str::to_string));
            }
        }
    }
    lines
}

#[test]
fn the_public_example_site_never_mentions_its_internal_documents() {
    let internal = internal_documents_of_the_example();
    assert!(
        !internal.is_empty(),
        "the example archive has internal documents"
    );
    let block_lines = internal_block_lines_of_the_example();
    assert!(
        !block_lines.is_empty(),
        "the example archive has internal blocks"
    );

    let out = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    build(Path::new(root), &out.path().join("public"), "public");
    build(Path::new(root), &out.path().join("internal"), "internal");
    let public = files_under(&out.path().join("public"));
    let internal_site = files_under(&out.path().join("internal"));

    let mut leaks = Vec::new();
    let mut needles: Vec<String> = Vec::new();
    for (slug, title) in &internal {
        needles.push(slug.clone());
        // Titles go through HTML escaping and smart punctuation: search a plain stretch.
        let plain: String = title
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ')
            .collect();
        needles.push(plain.trim().to_string());
    }
    needles.extend(block_lines);
    for needle in &needles {
        assert!(
            !occurrences(&internal_site, needle).is_empty(),
            "the internal edition does not show {needle:?}, so its absence proves nothing"
        );
        leaks.extend(occurrences(&public, needle));
    }
    assert!(
        leaks.is_empty(),
        "the public example site leaks:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn an_unclosed_internal_block_fails_check_and_build_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "content/postmortems/open-block.md",
        "+++\ntitle = \"Open block\"\ndate = 2024-01-02\nseverity = \"sev3\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2024-01-01T10:00:00Z\n+++\nPublic words.\n\n<!-- internal -->\nSecret words, and the author forgot to close the block.\n",
    );
    let root_arg = root.to_str().unwrap();
    let check = hindsight(&["check", "--root", root_arg]);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("E0025"), "{stderr}");
    assert!(stderr.contains("unclosed-internal-block"), "{stderr}");
    assert!(stderr.contains("open-block.md:12"), "{stderr}");

    let out = root.join("public");
    for edition in ["public", "internal"] {
        let build = hindsight(&[
            "build",
            "--root",
            root_arg,
            "--edition",
            edition,
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&build.stderr);
        assert_eq!(build.status.code(), Some(1), "{edition}: {stderr}");
        assert!(stderr.contains("E0025"), "{stderr}");
        assert!(!out.exists(), "a refused build wrote {}", out.display());
    }
}

#[test]
fn the_edition_comes_from_hindsight_toml_unless_the_command_line_says() {
    let archive = canary_archive();
    let root = archive.path();
    let config = std::fs::read_to_string(root.join("hindsight.toml")).unwrap();
    std::fs::write(
        root.join("hindsight.toml"),
        format!("edition = \"public\"\n{config}"),
    )
    .unwrap();
    let out = root.join("site");
    let root_arg = root.to_str().unwrap();
    let out_arg = out.to_str().unwrap();

    let by_config = hindsight(&["build", "--root", root_arg, "--out", out_arg]);
    assert!(by_config.status.success());
    assert!(occurrences(&files_under(&out), CANARY).is_empty());

    let by_flag = hindsight(&[
        "build",
        "--root",
        root_arg,
        "--out",
        out_arg,
        "--edition",
        "internal",
    ]);
    assert!(by_flag.status.success());
    assert!(!occurrences(&files_under(&out), CANARY).is_empty());
}

#[test]
fn a_public_build_over_an_internal_site_keeps_no_byte_of_it() {
    let archive = canary_archive();
    let out = tempfile::tempdir().unwrap();
    let fresh = out.path().join("fresh");
    let reused = out.path().join("site");
    build(archive.path(), &fresh, "public");
    build(archive.path(), &reused, "internal");
    assert!(
        !canaries_in(&files_under(&reused)).is_empty(),
        "the internal site shows no canary: the test cannot fail"
    );

    // The second build updates the internal site in place.
    build(archive.path(), &reused, "public");
    let site = files_under(&reused);
    let leaks = occurrences(&site, CANARY);
    assert!(
        leaks.is_empty(),
        "left from the internal site:\n{}",
        leaks.join("\n")
    );
    assert!(
        site == files_under(&fresh),
        "the updated site differs from a public build into an empty folder"
    );
}
