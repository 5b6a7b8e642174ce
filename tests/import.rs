//! `hindsight import` as a team adopting hindsight runs it: real archives from the shared
//! corpora and broken sources go in, and what comes out is checked against the sources
//! themselves (titles, incident times, Stats durations), against `check` and `build`, and
//! against the sources' bytes, which must not change.

mod built_site;
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta};

fn hindsight(args: &[&str]) -> Output {
    built_site::hindsight_command()
        .args(args)
        .output()
        .expect("the hindsight binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn text_of(output: &Output) -> String {
    format!(
        "{}\n{}",
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Every file under `dir` (symbolic links as where they point), with a hash of its bytes.
fn fingerprint(dir: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .map(|entry| entry.expect("the folder can be walked"))
        .filter(|entry| !entry.file_type().is_dir())
        .map(|entry| {
            let what = if entry.path_is_symlink() {
                format!("link to {:?}", std::fs::read_link(entry.path()).unwrap())
            } else {
                let bytes = std::fs::read(entry.path()).unwrap();
                format!(
                    "{} bytes, {:016x}",
                    bytes.len(),
                    xxhash_rust::xxh3::xxh3_64(&bytes)
                )
            };
            (entry.path().to_path_buf(), what)
        })
        .collect()
}

/// The report's lines of one kind (`imported`, `skipped`, `already`), by source.
fn report_lines<'a>(report: &'a str, kind: &str) -> BTreeMap<&'a str, &'a str> {
    let prefix = format!("{kind:<10}");
    report
        .lines()
        .filter_map(|line| line.strip_prefix(prefix.as_str()))
        .map(|rest| match kind {
            "skipped" => {
                let (source, reason) = rest.split_once(": ").expect("a reason follows the source");
                (source, reason)
            }
            _ => {
                let (source, slug) = rest
                    .rsplit_once(" as ")
                    .expect("the slug follows the source");
                (source, slug.split(' ').next().unwrap_or(slug))
            }
        })
        .collect()
}

/// The imported postmortem `slug`: its front matter and its body.
fn imported(root: &Path, slug: &str) -> (toml::Table, String) {
    let text = std::fs::read_to_string(root.join(format!("content/postmortems/{slug}.md")))
        .unwrap_or_else(|e| panic!("{slug}: {e}"));
    let rest = text
        .strip_prefix("+++\n")
        .expect("front matter opens the file");
    let (front, body) = rest.split_once("\n+++\n").expect("front matter is closed");
    (
        toml::from_str(front).expect("the front matter is TOML"),
        body.to_string(),
    )
}

fn time(table: &toml::Table, key: &str) -> Option<DateTime<FixedOffset>> {
    let value = table.get("incident")?.get(key)?.as_datetime()?.to_string();
    Some(DateTime::parse_from_rfc3339(&value).expect("an instant with an offset"))
}

/// `hindsight check` of an archive: its errors as counted in JSON, and the whole report.
fn check(root: &Path) -> (u64, String) {
    let output = hindsight(&["check", "--root", arg(root), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("check prints JSON ({e}): {}", text_of(&output)));
    let errors = json["errors"].as_u64().expect("a count");
    (errors, stdout(&output))
}

fn build(root: &Path) -> PathBuf {
    let output = hindsight(&["build", "--root", arg(root)]);
    assert_eq!(output.status.code(), Some(0), "{}", text_of(&output));
    root.join("public")
}

/// What a DFDS postmortem says in its own words: the H1, the timeline's first dated row
/// and the zone its section names, and the Stats durations written in minutes.
struct DfdsSource {
    title: String,
    /// `2021-03-31 12:06` as written, and the zone's offset in hours.
    first_row: Option<(NaiveDateTime, i32)>,
    /// The latest `YYYY-MM-DD HH:MM` row.
    last_row: Option<NaiveDateTime>,
    to_detect: Option<i64>,
    to_recover: Option<i64>,
}

fn read_dfds(text: &str) -> DfdsSource {
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .expect("every imported DFDS postmortem has an H1")
        .trim()
        .to_string();
    let section = text
        .split("## Timeline")
        .nth(1)
        .map(|rest| rest.split("\n## ").next().unwrap_or(rest))
        .unwrap_or("");
    let offset = if section.contains("CET") { 1 } else { 0 };
    let rows: Vec<NaiveDateTime> = section
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix('|')?.split('|').next()?.trim();
            let cell: String = cell.split_whitespace().collect::<Vec<_>>().join(" ");
            NaiveDateTime::parse_from_str(&cell, "%Y-%m-%d %H:%M").ok()
        })
        .collect();
    let minutes = |label: &str| {
        let line = text.lines().find(|l| l.contains(label))?;
        let value = line.split(':').nth(1)?.trim().trim_end_matches('.');
        // A footnote mark (`279 minutes [^3]`) is not part of the figure.
        let words: Vec<&str> = value
            .split_whitespace()
            .filter(|w| !w.starts_with("[^"))
            .collect();
        match words.as_slice() {
            [n, "minutes"] => n.parse().ok(),
            [h, "hours", m, "minutes"] => {
                Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
            }
            [h, "hours"] => Some(h.parse::<i64>().ok()? * 60),
            _ => None,
        }
    };
    let first_is_full = section
        .lines()
        .filter_map(|l| l.strip_prefix('|')?.split('|').next())
        .map(str::trim)
        .find(|cell| cell.starts_with(|c: char| c.is_ascii_digit()))
        .is_some_and(|cell| {
            NaiveDateTime::parse_from_str(
                &cell.split_whitespace().collect::<Vec<_>>().join(" "),
                "%Y-%m-%d %H:%M",
            )
            .is_ok()
        });
    DfdsSource {
        title,
        first_row: rows.first().filter(|_| first_is_full).map(|r| (*r, offset)),
        last_row: rows.iter().max().copied(),
        to_detect: minutes("Time to detection"),
        to_recover: minutes("Time to recovery"),
    }
}

#[test]
fn the_dfds_postmortems_import_with_their_titles_timelines_and_stats() {
    let Some(corpora) = common::corpora::corpora(
        "the_dfds_postmortems_import_with_their_titles_timelines_and_stats",
    ) else {
        return;
    };
    let sources = corpora.join("dfds-postmortems");
    let before = fingerprint(&sources);
    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();

    let output = hindsight(&["import", "--root", arg(root), arg(&sources)]);
    let report = stdout(&output);
    // The README, the licence, the template, a .gitignore and the `20202-` typo are skipped.
    assert_eq!(output.status.code(), Some(1), "{}", text_of(&output));
    let imported_lines = report_lines(&report, "imported");
    let skipped = report_lines(&report, "skipped");
    assert_eq!(imported_lines.len(), 38, "{report}");
    let files = std::fs::read_dir(&sources).unwrap().count();
    assert_eq!(
        imported_lines.len() + skipped.len(),
        files,
        "every file is imported or reported:\n{report}"
    );
    assert!(
        skipped["dfds-postmortems/PM2020-003 - Postmortem for ADSync migration.md:14"]
            .contains("`20202-01-16 12:00` is not a plausible date"),
        "{report}"
    );
    assert!(skipped["dfds-postmortems/PMyyyy-nnn - Postmortem template.md"].contains("template"));
    assert!(skipped["dfds-postmortems/README.md"].contains("not a postmortem"));
    assert!(skipped["dfds-postmortems/LICENSE"].contains("not a postmortem"));
    // The file without `.md` is a postmortem all the same.
    assert_eq!(
        imported_lines["dfds-postmortems/PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues"],
        "2022-10-29-bad-aws-eks-ami"
    );
    assert!(
        report.contains("severity: no severity in the source"),
        "{report}"
    );

    let mut timelines_checked = 0;
    let mut stats_checked = 0;
    for (source, slug) in &imported_lines {
        let name = source.strip_prefix("dfds-postmortems/").unwrap();
        let written = read_dfds(&std::fs::read_to_string(sources.join(name)).unwrap());
        let (front, body) = imported(root, slug);
        assert_eq!(
            front["title"].as_str(),
            Some(written.title.as_str()),
            "{name}"
        );
        assert!(
            body.contains(&format!("# {}", written.title)),
            "{name}: the body is kept"
        );
        let started = time(&front, "started").expect("every import has a start");
        if let Some((first, offset)) = written.first_row {
            assert_eq!(started.naive_local(), first, "{name}: started");
            assert_eq!(
                started.offset().local_minus_utc(),
                offset * 3600,
                "{name}: zone"
            );
            timelines_checked += 1;
        }
        if let Some(minutes) = written.to_detect {
            let detected = time(&front, "detected").expect("Stats give a time to detect");
            assert_eq!(
                detected - started,
                TimeDelta::minutes(minutes),
                "{name}: detect"
            );
            stats_checked += 1;
        }
        match (written.to_recover, time(&front, "resolved")) {
            (Some(minutes), resolved) => {
                assert_eq!(
                    resolved.map(|r| r - started),
                    Some(TimeDelta::minutes(minutes)),
                    "{name}: recover"
                );
                stats_checked += 1;
            }
            (None, Some(resolved)) if written.first_row.is_some() => {
                assert_eq!(
                    Some(resolved.naive_local()),
                    written.last_row,
                    "{name}: end"
                );
            }
            _ => {}
        }
    }
    assert!(timelines_checked >= 30, "{timelines_checked}");
    assert!(stats_checked >= 50, "{stats_checked}");

    // A sample, in full.
    let (adfs, _) = imported(root, "2021-03-31-adfs-outage");
    assert_eq!(
        adfs["tags"].as_array().unwrap()[0].as_str(),
        Some("authentication-authorisation")
    );
    let at = |key| time(&adfs, key).map(|t| t.to_rfc3339());
    assert_eq!(at("started").as_deref(), Some("2021-03-31T12:06:00+00:00"));
    assert_eq!(at("detected").as_deref(), Some("2021-03-31T12:11:00+00:00"));
    assert_eq!(at("resolved").as_deref(), Some("2021-03-31T13:30:00+00:00"));
    let (coredns, _) = imported(root, "2020-02-03-coredns-upgrade-issue");
    assert_eq!(
        time(&coredns, "started").map(|t| t.to_rfc3339()).as_deref(),
        Some("2020-02-03T11:21:00+01:00"),
        "the timeline says CET"
    );
    // A link between two postmortems points at the imported file.
    let (_, deletion) = imported(root, "2019-12-04-hellman-kubernetes-cluster-node-deletion");
    assert!(
        deletion.contains("]: 2019-11-29-kubernetes-network-infrastructure-ip-starvation.md"),
        "{deletion}"
    );

    let (errors, diagnostics) = check(root);
    assert_eq!(errors, 0, "{diagnostics}");
    let public = build(root);
    let page =
        std::fs::read_to_string(public.join("postmortems/2021-03-31-adfs-outage/index.html"))
            .unwrap();
    assert!(
        page.contains("class=\"timeline-rail\""),
        "the timeline table shows as a timeline"
    );
    assert_eq!(
        page.matches(" class=\"timeline-event\">").count(),
        8,
        "one event per row"
    );
    assert!(page.contains("<dt>Time to detect</dt><dd>5 min</dd>"));
    assert!(page.contains("<dt>Time to resolve</dt><dd>1 h 24 min</dd>"));
    assert!(page.contains("<caption>Imported from</caption>"));
    assert!(page.contains("dfds-postmortems/PM2021-004 - ADFS outage.md"));
    let rails = std::fs::read_dir(public.join("postmortems"))
        .unwrap()
        .flatten()
        .filter(|d| {
            std::fs::read_to_string(d.path().join("index.html"))
                .is_ok_and(|page| page.contains("class=\"timeline-rail\""))
        })
        .count();
    assert!(rails >= 30, "{rails} pages show a timeline");

    // Importing again adds nothing, and the sources never changed.
    let written = fingerprint(&root.join("content"));
    let again = hindsight(&["import", "--root", arg(root), arg(&sources)]);
    let report = stdout(&again);
    assert!(report_lines(&report, "imported").is_empty(), "{report}");
    assert_eq!(report_lines(&report, "already").len(), 38, "{report}");
    assert_eq!(fingerprint(&root.join("content")), written);
    assert_eq!(
        fingerprint(&sources),
        before,
        "the sources' bytes are unchanged"
    );
}

#[test]
fn the_jenkins_status_notices_import_with_a_mapping_of_their_severities() {
    let Some(corpora) = common::corpora::corpora(
        "the_jenkins_status_notices_import_with_a_mapping_of_their_severities",
    ) else {
        return;
    };
    let sources = corpora.join("jenkins-status/content/issues");
    let before = fingerprint(&sources);
    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();

    // Without a mapping, `down` has no place on the archive's scale: nothing is written.
    let output = hindsight(&["import", "--dry-run", "--root", arg(root), arg(&sources)]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    let reason = report_lines(&report, "skipped")["issues/2021-04-19-get-jenkins-io-disk-quota-exceeded.md:7"];
    assert!(
        reason.contains("the severity `down` is not on this archive's scale"),
        "{reason}"
    );
    assert!(reason.contains("--map"), "{reason}");
    assert!(!root.join("content").exists(), "a dry run writes nothing");

    let map = root.join("jenkins-map.toml");
    std::fs::write(
        &map,
        "[values.severity]\ndown = \"sev1\"\ndisrupted = \"sev2\"\nnotice = \"sev3\"\n",
    )
    .unwrap();
    let output = hindsight(&[
        "import",
        "--root",
        arg(root),
        "--map",
        arg(&map),
        arg(&sources),
    ]);
    let report = stdout(&output);
    let imported_lines = report_lines(&report, "imported");
    let skipped = report_lines(&report, "skipped");
    let files = std::fs::read_dir(&sources).unwrap().count();
    assert_eq!(imported_lines.len() + skipped.len(), files, "{report}");

    let utc = FixedOffset::east_opt(0).unwrap();
    let read_time = |value: &serde_yaml_ng::Value| {
        let text = value
            .as_str()
            .expect("times are strings")
            .replacen(' ', "T", 1);
        DateTime::parse_from_rfc3339(&text)
            .ok()
            .or_else(|| DateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%:z").ok())
            .or_else(|| {
                NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S")
                    .ok()
                    .map(|t| t.and_local_timezone(utc).unwrap())
            })
            .unwrap_or_else(|| panic!("{text}"))
    };
    let mut backwards = 0;
    for entry in std::fs::read_dir(&sources).unwrap().flatten() {
        let name = format!("issues/{}", entry.file_name().to_string_lossy());
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Some(yaml) = text
            .strip_prefix("---\n")
            .and_then(|t| t.split("\n---").next())
        else {
            assert!(skipped.contains_key(name.as_str()), "{name} is reported");
            continue;
        };
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(yaml).unwrap();
        let started = read_time(&yaml["date"]);
        let resolved = read_time(&yaml["resolvedWhen"]);
        if resolved < started {
            backwards += 1;
            let (_, reason) = skipped
                .iter()
                .find(|(source, _)| source.starts_with(&name))
                .unwrap_or_else(|| panic!("{name} ends before it starts and is skipped"));
            assert!(reason.contains("ends before it starts"), "{reason}");
            continue;
        }
        let slug = imported_lines[name.as_str()];
        let (front, _) = imported(root, slug);
        assert_eq!(front["title"].as_str(), yaml["title"].as_str(), "{name}");
        assert_eq!(time(&front, "started"), Some(started), "{name}");
        assert_eq!(time(&front, "resolved"), Some(resolved), "{name}");
        let expected = match yaml["severity"].as_str() {
            Some("down") => "sev1",
            Some("disrupted") => "sev2",
            _ => "sev3",
        };
        assert_eq!(front["severity"].as_str(), Some(expected), "{name}");
    }
    assert!(backwards > 0 && backwards < 20, "{backwards}");
    assert_eq!(
        imported_lines.len() + backwards + 1,
        files,
        "only .gitkeep else: {report}"
    );

    let (sample, _) = imported(root, "2021-04-19-get-jenkins-io-disk-quota-exceeded");
    assert_eq!(
        sample["services"].as_array().unwrap()[0].as_str(),
        Some("get-jenkins-io")
    );
    assert_eq!(
        sample["extra"]["import"]["fields"]["section"].as_str(),
        Some("issue")
    );
    assert!(report.contains("services: `repo-jenkins-ci.org`, `repo.jenkins-ci.org` all became `repo-jenkins-ci-org`"), "{report}");
    assert!(
        report.contains("the source names no time zone: taken as UTC"),
        "{report}"
    );

    let (errors, diagnostics) = check(root);
    assert_eq!(errors, 0, "{diagnostics}");
    let public = build(root);
    let page = std::fs::read_to_string(
        public.join("postmortems/2021-04-19-get-jenkins-io-disk-quota-exceeded/index.html"),
    )
    .unwrap();
    assert!(
        page.contains("<tr><th scope=\"row\">section</th><td>issue</td></tr>"),
        "the unknown key is on the page"
    );

    let written = fingerprint(&root.join("content"));
    let again = hindsight(&[
        "import",
        "--root",
        arg(root),
        "--map",
        arg(&map),
        arg(&sources),
    ]);
    assert!(report_lines(&stdout(&again), "imported").is_empty());
    assert_eq!(
        fingerprint(&root.join("content")),
        written,
        "a second import adds nothing"
    );
    assert_eq!(
        fingerprint(&sources),
        before,
        "the sources' bytes are unchanged"
    );
}

const GOOD: &str = "---\ntitle: Queue stalled\ndate: 2021-05-01T10:00:00Z\nresolvedWhen: 2021-05-01T11:30:00Z\nseverity: sev2\naffected: [queue]\nurl: https://status.example.com/queue\n---\n\nThe queue stalled.\n";

#[test]
fn broken_sources_get_one_clear_line_each_and_nothing_written() {
    let sources = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let src = sources.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let files: &[(&str, &[u8])] = &[
        ("bad-yaml.md", b"---\ntitle: Bad\nseverity: [down\n---\nBody.\n"),
        ("typo-year.md", b"---\ntitle: Typo\ndate: 20202-01-16 12:00\n---\nBody.\n"),
        ("backwards.md", b"---\ntitle: Backwards\ndate: 2021-05-02T10:00:00Z\nresolvedWhen: 2021-05-01T10:00:00Z\n---\nBody.\n"),
        ("no-title.md", b"Some notes about an outage.\n\n- Date: 2021-01-01\n"),
        ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("good.md", GOOD.as_bytes()),
    ];
    for (name, bytes) in files {
        std::fs::write(src.join(name), bytes).unwrap();
    }
    std::fs::write(
        outside.path().join("secret.md"),
        "# Secret\n\n- Date: 2021-01-01\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.md"), src.join("link-out.md")).unwrap();
    let before = fingerprint(&src);
    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();

    let output = hindsight(&["import", "--root", arg(root), arg(&src)]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "some were skipped: {report}");
    let skipped = report_lines(&report, "skipped");
    let expect = [
        ("src/bad-yaml.md:3", "YAML front matter cannot be read"),
        (
            "src/typo-year.md:3",
            "the year `20202` does not have four digits",
        ),
        ("src/backwards.md:4", "ends before it starts"),
        ("src/no-title.md", "no title anywhere"),
        ("src/binary.md", "binary"),
        ("src/link-out.md", "symbolic link out of the folder"),
    ];
    for (source, reason) in expect {
        let line = skipped
            .get(source)
            .unwrap_or_else(|| panic!("{source} is reported:\n{report}"));
        assert!(line.contains(reason), "{source}: {line}");
    }
    assert_eq!(skipped.len(), expect.len(), "one line each:\n{report}");
    assert_eq!(
        report
            .lines()
            .filter(|l| l.contains("src/typo-year.md"))
            .count(),
        1
    );
    let written: Vec<String> = std::fs::read_dir(root.join("content/postmortems"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        written,
        ["2021-05-01-queue-stalled.md"],
        "nothing for the broken ones"
    );
    assert!(
        !std::fs::read_to_string(root.join("content/postmortems/2021-05-01-queue-stalled.md"))
            .unwrap()
            .contains("Secret")
    );
    assert_eq!(fingerprint(&src), before);
    let (errors, diagnostics) = check(root);
    assert_eq!(errors, 0, "{diagnostics}");
    let public = build(root);
    let page =
        std::fs::read_to_string(public.join("postmortems/2021-05-01-queue-stalled/index.html"))
            .unwrap();
    assert!(
        page.contains(
            "<a href=\"https://status.example.com/queue\">https://status.example.com/queue</a>"
        ),
        "the source URL is a link"
    );
}

#[test]
fn toml_and_yaml_sources_link_to_each_other_and_merged_spellings_are_reported() {
    let sources = tempfile::tempdir().unwrap();
    let src = sources.path().join("old-archive");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("cache.md"),
        "+++\ntitle = \"Cache stampede\"\nseverity = \"SEV-2\"\nservices = [\"API\"]\nteam = \"core\"\n[incident]\nstarted = 2022-03-01T10:00:00+01:00\nresolved = 2022-03-01T11:00:00+01:00\n+++\n\nSee [the queue](queue.md#impact).\n",
    )
    .unwrap();
    std::fs::write(
        src.join("queue.md"),
        "---\ntitle: Queue stalled\nstart_time: 2022-04-01 09:00\nend_time: 2022-04-01 09:45\nproduct: api\ncategories: [Queues]\n---\n\nLike [the cache](./cache.md).\n\n## Impact\n",
    )
    .unwrap();
    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();
    let map = root.join("map.toml");
    std::fs::write(&map, "timezone = \"+02:00\"\n").unwrap();

    let dry = hindsight(&[
        "import",
        "--dry-run",
        "--root",
        arg(root),
        "--map",
        arg(&map),
        arg(&src),
    ]);
    assert_eq!(dry.status.code(), Some(0), "{}", text_of(&dry));
    assert!(stdout(&dry).contains("2 to import (dry run: nothing was written)"));
    assert!(!root.join("content").exists());

    let output = hindsight(&["import", "--root", arg(root), "--map", arg(&map), arg(&src)]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "all imported: {report}");
    assert!(
        report.contains("services: `API`, `api` all became `api`"),
        "{report}"
    );
    let (cache, cache_body) = imported(root, "2022-03-01-cache-stampede");
    assert_eq!(
        cache["severity"].as_str(),
        Some("sev2"),
        "matched by its label"
    );
    assert_eq!(
        cache["extra"]["import"]["fields"]["team"].as_str(),
        Some("core")
    );
    assert!(
        cache_body.contains("[the queue](2022-04-01-queue-stalled.md#impact)"),
        "{cache_body}"
    );
    let (queue, queue_body) = imported(root, "2022-04-01-queue-stalled");
    assert!(
        queue_body.contains("[the cache](2022-03-01-cache-stampede.md)"),
        "{queue_body}"
    );
    assert_eq!(
        time(&queue, "started").map(|t| t.to_rfc3339()).as_deref(),
        Some("2022-04-01T09:00:00+02:00"),
        "the mapping's zone"
    );
    assert_eq!(
        queue["tags"].as_array().unwrap()[0].as_str(),
        Some("queues")
    );
    let text =
        std::fs::read_to_string(root.join("content/postmortems/2022-04-01-queue-stalled.md"))
            .unwrap();
    assert!(text.contains("started = 2022-04-01T09:00:00+02:00 # guessed: the source names no time zone: taken as +02:00"), "{text}");
    let (errors, diagnostics) = check(root);
    assert_eq!(errors, 0, "{diagnostics}");
}

#[test]
fn a_source_marked_private_stays_out_of_the_public_edition() {
    let sources = tempfile::tempdir().unwrap();
    let src = sources.path().join("notes");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("secret.md"),
        "---\ntitle: Key rotation leak\ndate: 2021-02-01T08:00:00Z\nprivate: true\n---\n\nThe signing key was exposed.\n",
    )
    .unwrap();
    std::fs::write(
        src.join("unfinished.md"),
        "---\ntitle: Half written\ndate: 2021-03-01T08:00:00Z\ndraft: true\n---\n\nTo do.\n",
    )
    .unwrap();
    std::fs::write(src.join("open.md"), GOOD).unwrap();
    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();

    let output = hindsight(&["import", "--root", arg(root), arg(&src)]);
    assert_eq!(output.status.code(), Some(0), "{}", text_of(&output));
    let (secret, _) = imported(root, "2021-02-01-key-rotation-leak");
    assert_eq!(secret["visibility"].as_str(), Some("internal"));
    let (unfinished, _) = imported(root, "2021-03-01-half-written");
    assert_eq!(unfinished["status"].as_str(), Some("draft"));
    let (open, _) = imported(root, "2021-05-01-queue-stalled");
    assert!(
        open.get("visibility").is_none(),
        "public unless the source says otherwise"
    );

    let built = hindsight(&[
        "build",
        "--root",
        arg(root),
        "--edition",
        "public",
        "--base-url",
        "https://example.org/",
    ]);
    assert_eq!(built.status.code(), Some(0), "{}", text_of(&built));
    let public = root.join("public");
    assert!(
        public
            .join("postmortems/2021-05-01-queue-stalled/index.html")
            .exists()
    );
    for entry in walkdir::WalkDir::new(&public).into_iter().flatten() {
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("signing key was exposed"),
                "{}",
                entry.path().display()
            );
            assert!(
                !text.contains("Key rotation leak"),
                "{}",
                entry.path().display()
            );
        }
    }
}

#[test]
fn check_points_a_yaml_file_dropped_into_the_archive_at_import() {
    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();
    std::fs::create_dir_all(root.join("content/postmortems")).unwrap();
    std::fs::write(root.join("content/postmortems/queue.md"), GOOD).unwrap();
    let output = hindsight(&["check", "--root", arg(root)]);
    let text = text_of(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the file starts with YAML front matter"),
        "{text}"
    );
    assert!(text.contains("`hindsight import` converts"), "{text}");
}
