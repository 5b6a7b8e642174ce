//! The search index as files: what an edition's index holds, and that it can be read back.

use std::path::Path;

use hindsight::build::{BuildOptions, build};
use hindsight::config::Edition;

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
    std::fs::write(path, text).expect("a writable file");
}

fn postmortem(title: &str, visibility: &str, body: &str) -> String {
    format!(
        r#"+++
title = "{title}"
date = 2024-03-01
summary = "Summary of {title}."
severity = "sev2"
services = ["edge"]
tags = ["dns"]
visibility = "{visibility}"

[incident]
started = 2024-03-01T10:00:00Z
+++
{body}
"#
    )
}

/// Every file under `dir`, concatenated.
fn all_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_file() {
            text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    text
}

fn build_edition(root: &Path, edition: Edition) -> std::path::PathBuf {
    let out = root.join(format!("out-{edition:?}"));
    hindsight::seal::use_process_key();
    build(&BuildOptions {
        root: root.to_path_buf(),
        out: Some(out.clone()),
        edition: Some(edition),
        // A public build needs the address it is published at.
        base_url: Some("https://example.org/".into()),
        drafts: false,
    })
    .unwrap_or_else(|e| panic!("build failed: {e:?}"));
    out
}

#[test]
fn the_public_search_index_holds_nothing_from_internal_documents_or_blocks() {
    let archive = tempfile::tempdir().expect("a temporary archive");
    let root = archive.path();
    write(root, "hindsight.toml", "title = \"Test\"\n");
    write(
        root,
        "content/postmortems/public-one.md",
        &postmortem(
            "Resolver outage",
            "public",
            "Visible text.\n\n<!-- internal -->\nThe zanzibar credentials leaked.\n<!-- /internal -->\n",
        ),
    );
    write(
        root,
        "content/postmortems/secret-one.md",
        &postmortem("Quixotic vendor breach", "internal", "Kumquat details."),
    );

    let public = all_text(&build_edition(root, Edition::Public).join("search"));
    assert!(
        public.contains("resolver"),
        "the public document is indexed"
    );
    for secret in ["zanzibar", "quixotic", "Quixotic", "kumquat", "Kumquat"] {
        assert!(
            !public.contains(secret),
            "`{secret}` leaked into the public search index"
        );
    }

    let internal = all_text(&build_edition(root, Edition::Internal).join("search"));
    for term in ["zanzibar", "quixotic", "kumquat"] {
        assert!(
            internal.contains(term),
            "the internal edition indexes `{term}`"
        );
    }
}

#[test]
fn the_index_lists_every_document_with_its_facets_and_a_result_record() {
    let archive = tempfile::tempdir().expect("a temporary archive");
    let root = archive.path();
    write(root, "hindsight.toml", "title = \"Test\"\n");
    write(
        root,
        "content/postmortems/one.md",
        &postmortem("Crème brûlée outage", "public", "Body."),
    );
    let out = build_edition(root, Edition::Public);
    let index: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("search/index.json")).expect("search/index.json"),
    )
    .expect("valid JSON");
    assert_eq!(index["count"], 1);
    let facet = |name: &str| {
        index["facets"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no facet {name}"))
    };
    assert_eq!(facet("service")["values"][0][0], "edge");
    // Services and tags are in the facet files, fetched after the first results.
    assert_eq!(facet("service")["docs"], serde_json::Value::Null);
    assert_eq!(index["facet_chunk"], 10_000);
    let chunk: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("search/facets/0.json")).expect("a facet file"),
    )
    .expect("valid JSON");
    assert_eq!(chunk["service"][0][0], 0);
    assert_eq!(chunk["tag"].as_array().map(Vec::len), Some(1));
    assert_eq!(facet("severity")["values"][1][0], "sev2");
    // One character a document, code 48 + the value's index: sev2 is the second, "1".
    assert_eq!(facet("severity")["docs"], "1");
    assert_eq!(facet("year")["values"][0][0], "2024");

    // Accents are folded in the index, so "creme" finds the title; the posting says where:
    // document 0 (gap 0), in the title (1) and the summary (2).
    let shards = index["shards"].as_array().expect("shard keys");
    assert!(
        shards.iter().any(|k| k == "c"),
        "a shard for words starting with c"
    );
    // A shard's file is named by its key's bytes in hex: "c" is 0x63.
    let shard = std::fs::read_to_string(out.join("search/terms/63.json")).expect("shard");
    assert!(shard.contains("\"creme\":[3]"), "{shard}");

    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("search/doc/0.json")).expect("a result record"),
    )
    .expect("valid JSON");
    assert_eq!(record["title"], "Crème brûlée outage");
    assert_eq!(record["url"], "/postmortems/one/");
    // A short body is all in the record, and has no file for the rest.
    assert_eq!(record["more"], serde_json::Value::Null);
    assert!(!out.join("search/text/0.json").exists());
}

#[test]
fn a_long_body_goes_on_in_its_text_file_for_phrases() {
    let archive = tempfile::tempdir().expect("a temporary archive");
    let root = archive.path();
    write(root, "hindsight.toml", "title = \"Test\"\n");
    let body = format!(
        "{}The broker quorum was lost.",
        "Pages were sent. ".repeat(600)
    );
    write(
        root,
        "content/postmortems/long.md",
        &postmortem("Quorum lost", "public", &body),
    );
    let out = build_edition(root, Edition::Public);
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("search/doc/0.json")).expect("a result record"),
    )
    .expect("valid JSON");
    let rest: String = serde_json::from_str(
        &std::fs::read_to_string(out.join("search/text/0.json")).expect("the rest"),
    )
    .expect("a JSON string");
    assert_eq!(record["more"], true);
    let start = record["text"].as_str().expect("the record's text");
    assert!(start.len() <= 8_000 && start.starts_with("Pages were sent."));
    assert!(
        rest.trim_end().ends_with("The broker quorum was lost."),
        "{rest}"
    );
    assert_eq!(
        format!("{start}{rest}").matches("Pages were sent.").count(),
        600
    );
}

/// Every file under `dir`, by its path relative to `dir`.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let name = entry.path().strip_prefix(dir).expect("under dir");
            let bytes = std::fs::read(entry.path()).expect("a readable file");
            (name.to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

#[test]
fn a_new_postmortem_leaves_the_search_files_of_the_others_as_they_were() {
    // What a pull request adding a postmortem changes under search/ is what a deploy uploads
    // again: the index, the new record, and the shards of the new document's terms.
    let archive = tempfile::tempdir().expect("a temporary archive");
    let root = archive.path();
    write(root, "hindsight.toml", "title = \"Test\"\n");
    for (slug, title) in [
        ("a", "Cache stampede"),
        ("b", "Expired certificate"),
        ("c", "Yellow alerts ignored"),
    ] {
        let body = format!("{title}: the body.");
        write(
            root,
            &format!("content/postmortems/{slug}.md"),
            &postmortem(title, "public", &body),
        );
    }
    let before = files(&build_edition(root, Edition::Internal).join("search"));

    let (title, body) = ("Kafka quorum lost", "Brokers lost quorum.");
    let newest = postmortem(title, "public", body).replace("2024-03-01", "2024-05-01");
    write(root, "content/postmortems/d.md", &newest);
    let after = files(&build_edition(root, Edition::Internal).join("search"));

    let new_terms =
        hindsight::render::search::terms(&format!("{title} Summary of {title}. edge dns {body}"));
    let index: serde_json::Value =
        serde_json::from_slice(&after["index.json"]).expect("valid JSON");
    let shard_of = |name: &str| -> Option<String> {
        let hex = name.strip_prefix("terms/")?.strip_suffix(".json")?;
        if hex.len() % 2 != 0 {
            return None;
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        String::from_utf8(bytes).ok()
    };
    let mut changed = Vec::new();
    for (name, bytes) in &before {
        // The index and the facet file of the newest ids change with every new postmortem.
        if after.get(name) == Some(bytes) || name == "index.json" || name == "facets/0.json" {
            continue;
        }
        // A list of words offered as corrections changes only with a new word of its letter.
        if let Some(hex) = name
            .strip_prefix("vocab/")
            .and_then(|n| n.strip_suffix(".json"))
        {
            let letter = u8::from_str_radix(hex, 16).map(char::from);
            assert!(
                letter.is_ok_and(|l| new_terms.iter().any(|t| t.starts_with(l))),
                "{name} changed, and no new term starts with its letter"
            );
            continue;
        }
        // Only a shard a new term falls into may change (the one with the longest key that
        // is a prefix of the term).
        let key = shard_of(name).unwrap_or_else(|| panic!("{name} changed"));
        let longest = |term: &str| {
            index["shards"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str())
                .filter(|k| term.starts_with(k))
                .max_by_key(|k| k.len())
                .map(str::to_string)
        };
        assert!(
            new_terms.iter().any(|t| longest(t).as_ref() == Some(&key)),
            "the shard of {key:?} changed, and none of the new terms is in it"
        );
        changed.push(key);
    }
    assert!(!changed.is_empty(), "the shards of edge, dns and the like");
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(added.contains(&&"doc/3.json".to_string()), "{added:?}");
    let record: serde_json::Value =
        serde_json::from_slice(&after["doc/3.json"]).expect("valid JSON");
    assert_eq!(
        record["title"], title,
        "the newest document has the last id"
    );
}
