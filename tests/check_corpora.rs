//! What `check` says about real archives: the two shared corpora of postmortems nobody here
//! wrote, converted to the schema by a small converter below, as a person would by hand.
//! Every diagnostic asserted is one that person would agree with, and nothing is lost
//! without a word.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use hindsight::diagnostic::Diagnostic;
use hindsight::pipeline::{self, Context};

/// Every diagnostic of the archive at `root`, as `hindsight check` reports them.
fn check(root: &Path) -> Vec<Diagnostic> {
    pipeline::check(&Context::for_check(root.to_path_buf()))
        .expect("the archive reads")
        .1
}

/// How many diagnostics of each code, such as `E0027 id-collision`.
fn counts(diagnostics: &[Diagnostic]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for d in diagnostics {
        *counts
            .entry(format!("{} {}", d.code.code(), d.code.name()))
            .or_insert(0) += 1;
    }
    counts
}

fn describe(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "  {} {}:{}: {}\n",
                d.code.code(),
                d.file.display(),
                d.line,
                d.message
            )
        })
        .collect()
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A time as the corpora write it (`2020-06-13 15:54:00`, `2021-04-14T07:30:00-00:00`,
/// `2021-03-31 12:06`), as a TOML date-time; UTC when it names no zone.
fn toml_time(written: &str) -> Option<String> {
    let written = written.trim().trim_matches('"').replacen(' ', "T", 1);
    // Hugo takes a one-digit hour (`2023-12-04T8:00:00-00:00`); TOML does not.
    if let Ok(time) = chrono::DateTime::parse_from_str(&written, "%Y-%m-%dT%H:%M:%S%:z") {
        return Some(time.to_rfc3339());
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(&written, format).ok())
        .map(|time| format!("{}Z", time.format("%Y-%m-%dT%H:%M:%S")))
}

/// One Jenkins status notice (YAML front matter of cState) as a postmortem of the schema.
fn convert_notice(source: &str) -> String {
    let mut parts = source.splitn(3, "---\n");
    let (_, yaml, body) = (parts.next(), parts.next().unwrap_or(""), parts.next());
    let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
    let mut affected: Vec<&str> = Vec::new();
    let mut in_affected = false;
    for line in yaml.lines() {
        if let Some(item) = line.trim_start().strip_prefix("- ")
            && in_affected
        {
            affected.push(item.trim().trim_matches('"'));
            continue;
        }
        in_affected = false;
        if line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim();
            if key == "affected" {
                in_affected = true;
                let inline = value.trim_start_matches('[').trim_end_matches(']');
                affected.extend(inline.split(',').map(str::trim).filter(|s| !s.is_empty()));
            } else {
                fields.insert(key, value);
            }
        }
    }
    let started = fields
        .get("date")
        .and_then(|d| toml_time(d))
        .unwrap_or_default();
    let resolved = fields.get("resolvedWhen").and_then(|d| toml_time(d));
    let published = resolved
        .as_deref()
        .unwrap_or(&started)
        .get(..10)
        .unwrap_or("");
    let services: Vec<String> = affected.iter().map(|s| toml_string(s)).collect();
    let mut out = format!(
        "+++\ntitle = {}\ndate = {published}\nseverity = {}\nservices = [{}]\n\n[incident]\nstarted = {started}\n",
        toml_string(fields.get("title").unwrap_or(&"").trim_matches('"')),
        toml_string(fields.get("severity").unwrap_or(&"notice")),
        services.join(", "),
    );
    if let Some(resolved) = resolved {
        out.push_str(&format!("resolved = {resolved}\n"));
    }
    out.push_str("+++\n\n");
    out.push_str(body.unwrap_or(""));
    out
}

/// One DFDS postmortem (Markdown without front matter: an H1, a Summary, a Timeline table
/// of `YYYY-MM-DD HH:MM` rows in UTC) as a postmortem of the schema.
fn convert_postmortem(source: &str) -> String {
    let mut lines = source.lines();
    let title = lines
        .by_ref()
        .find(|l| l.starts_with("# "))
        .map_or("", |l| l[2..].trim());
    let body: Vec<&str> = lines.collect();
    let summary: Vec<&str> = body
        .iter()
        .skip_while(|l| !l.trim().eq_ignore_ascii_case("## summary"))
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    // The times of the Timeline table, as written: the first is the start, the last the end.
    let times: Vec<String> = body
        .iter()
        .filter_map(|l| l.strip_prefix('|'))
        .filter_map(|l| l.split('|').next())
        .map(str::trim)
        .filter_map(time_as_written)
        .collect();
    let started = times.first();
    let resolved = times.last();
    let mut out = format!(
        "+++\ntitle = {}\nsummary = {}\nseverity = \"sev3\"\nservices = [\"kubernetes\"]\n",
        toml_string(title),
        toml_string(&summary.join(" ")),
    );
    match (started, resolved) {
        (Some(started), Some(resolved)) => out.push_str(&format!(
            "date = {}\n\n[incident]\nstarted = {started}\nresolved = {resolved}\n",
            resolved
                .get(..resolved.find('T').unwrap_or(0))
                .unwrap_or("")
        )),
        // The template has no times: the converter can only leave them for a person to fill.
        _ => out.push_str("date = 2019-01-01\n\n[incident]\nstarted = 2019-01-01T00:00:00Z\n"),
    }
    out.push_str("+++\n\n");
    out.push_str(&body.join("\n"));
    out
}

/// A Timeline time (`2021-12-10   15:40`, `2020-11-17 10:45~`, a date alone) as a TOML
/// date-time in UTC, its digits as written, so that a typo in the source (`20202-01-16`) is
/// still one in the converted file; `None` for a cell that holds no date.
fn time_as_written(cell: &str) -> Option<String> {
    let mut words = cell.split_whitespace();
    let date = words.next()?;
    let parts: Vec<&str> = date.split('-').collect();
    let digits = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(digits) {
        return None;
    }
    let time = words
        .next()
        .map(|t| t.trim_end_matches('~'))
        .filter(|t| t.split(':').count() == 2 && t.split(':').all(|p| digits(&p)))
        .unwrap_or("00:00");
    let (hour, minute) = time.split_once(':')?;
    Some(format!("{date}T{hour:0>2}:{minute}:00Z"))
}

const JENKINS_CONFIG: &str = r#"title = "Jenkins infrastructure status"
timezone = "UTC"

[[severities]]
id = "down"
label = "Down"

[[severities]]
id = "disrupted"
label = "Disrupted"

[[severities]]
id = "notice"
label = "Notice"
"#;

/// The Jenkins notices converted into an archive at `root`; how many were converted.
fn jenkins_archive(corpora: &Path, root: &Path, config: &str) -> usize {
    let notices = root.join("content/postmortems");
    std::fs::create_dir_all(&notices).unwrap();
    std::fs::write(root.join("hindsight.toml"), config).unwrap();
    let mut converted = 0;
    for entry in std::fs::read_dir(corpora.join("jenkins-status/content/issues")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue; // .gitkeep
        }
        let source = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            notices.join(path.file_name().unwrap()),
            convert_notice(&source),
        )
        .unwrap();
        converted += 1;
    }
    converted
}

#[test]
fn check_reports_what_is_wrong_with_the_jenkins_status_notices() {
    let Some(corpora) = common::corpora::corpora("check_corpora::jenkins") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(jenkins_archive(&corpora, dir.path(), JENKINS_CONFIG), 297);
    let diagnostics = check(dir.path());
    let counts = counts(&diagnostics);
    let all = describe(&diagnostics);

    // Two spellings of one service would have lost a page each: every one is an error that
    // names both spellings.
    let collisions: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.code.name() == "id-collision")
        .collect();
    for pair in [
        ("`github comment ops`", "`github-comment-ops`"),
        ("`release..ci.jenkins.io`", "`release.ci.jenkins.io`"),
    ] {
        assert!(
            collisions
                .iter()
                .any(|d| d.message.contains(pair.0) && d.message.contains(pair.1)),
            "no collision of {pair:?} in\n{all}"
        );
    }
    for d in &collisions {
        assert!(
            d.line > 1,
            "a collision points at the service: {}",
            d.message
        );
    }
    // Services written as names rather than ids, each told the id its pages use.
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message == "the service `github comment ops` is not a URL-safe id; its pages use `github-comment-ops`"),
        "\n{all}"
    );
    // Every finding, by code: each is one a person reading the notices agrees with.
    let expected: BTreeMap<String, usize> = [
        // A notice whose `resolvedWhen` is days or weeks before its `date`: copied from an
        // earlier notice and not updated.
        ("E0011 times-out-of-order", 8),
        // File names with dots or capitals (`2023-04-19-get.jenkins.io-incident.md`) would
        // be page URLs.
        ("E0013 invalid-slug", 47),
        // `github comment ops`, `release..ci.jenkins.io`, `Artifact Caching Proxy` and
        // `repo-jenkins-ci.org` beside their other spellings.
        ("E0027 id-collision", 4),
        // Notices have no action items: the two most severe levels of the scale say so.
        ("W0004 no-action-items", 242),
        // Services written as host names and phrases rather than ids.
        ("W0010 id-not-slug", 846),
        // The wiki offline for 62 days and a health-score outage of 101 days: real, or a
        // mistyped month; the rule asks.
        ("W0012 long-incident", 2),
    ]
    .map(|(code, n)| (code.to_string(), n))
    .into();
    assert_eq!(counts, expected, "\n{all}");
    assert!(
        diagnostics.iter().any(|d| d.message
            == "the incident lasted 62 days, from 2021-09-02 08:15:00 +00:00 to 2021-11-03 15:30:00 +00:00"),
        "\n{all}"
    );

    // A status-page archive turns the rule off for its notices, as clippy would.
    let tuned = format!(
        "{JENKINS_CONFIG}\n[[check.overrides]]\nfolder = \"content/postmortems\"\nrules = {{ no-action-items = \"allow\" }}\n"
    );
    std::fs::write(dir.path().join("hindsight.toml"), tuned).unwrap();
    let tuned = self::counts(&check(dir.path()));
    assert_eq!(tuned.get("W0004 no-action-items"), None);
    assert_eq!(
        tuned.get("E0027 id-collision"),
        counts.get("E0027 id-collision"),
        "errors cannot be tuned away"
    );
}

#[test]
fn check_reports_what_is_wrong_with_the_dfds_postmortems() {
    let Some(corpora) = common::corpora::corpora("check_corpora::dfds") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let postmortems = dir.path().join("content/postmortems");
    std::fs::create_dir_all(&postmortems).unwrap();
    std::fs::write(
        dir.path().join("hindsight.toml"),
        "title = \"DFDS platform\"\n",
    )
    .unwrap();
    let mut converted = 0;
    for entry in std::fs::read_dir(corpora.join("dfds-postmortems")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("PM") {
            continue; // README.md and LICENSE
        }
        let source = std::fs::read_to_string(&path).unwrap();
        // The file name as the file has it: one has no `.md`, and stays without.
        let stem = name.strip_suffix(".md");
        let slug = hindsight::markdown::slugify(stem.unwrap_or(&name));
        let file = match stem {
            Some(_) => format!("{slug}.md"),
            None => slug,
        };
        std::fs::write(postmortems.join(file), convert_postmortem(&source)).unwrap();
        converted += 1;
    }
    // 39 postmortems and the team's template.
    assert_eq!(converted, 40);
    let diagnostics = check(dir.path());
    let counts = counts(&diagnostics);
    let all = describe(&diagnostics);
    let of = |name: &str| -> Vec<String> {
        diagnostics
            .iter()
            .filter(|d| d.code.name() == name)
            .map(|d| d.file.display().to_string())
            .collect()
    };

    // The file without `.md` is listed, not skipped without a word.
    assert_eq!(
        of("not-a-document"),
        ["content/postmortems/pm2022-009-bad-aws-eks-ami-causing-kubernetes-issues"],
        "\n{all}"
    );
    // The template, converted as a published postmortem, is empty and full of placeholders.
    let template = "content/postmortems/pmyyyy-nnn-postmortem-template.md";
    assert_eq!(of("empty-summary"), [template], "\n{all}");
    assert!(of("placeholder").contains(&template.to_string()), "\n{all}");
    // The `20202-01-16` typo of one timeline is not a date TOML can hold.
    let typo = diagnostics.iter().find(|d| {
        d.file
            .ends_with("pm2020-003-postmortem-for-adsync-migration.md")
    });
    assert_eq!(
        typo.map(|d| (d.code.name(), d.line, d.message.as_str())),
        Some((
            "toml-syntax",
            6,
            "invalid date, expected a four-digit year (YYYY)"
        )),
        "\n{all}"
    );
    let expected: BTreeMap<String, usize> = [
        // The `20202-01-16` typo.
        ("E0005 toml-syntax", 1),
        // Two links to `PM2019-009%20-%20Kubernetes...md`, a file the conversion renamed.
        ("E0019 broken-link", 2),
        // Two timelines with an entry earlier than the one before it.
        ("W0006 timeline-out-of-order", 2),
        // "human error", in a postmortem that says the error was a person's.
        ("W0009 blame-language", 1),
        // A timeline that starts 536 days before it ends.
        ("W0012 long-incident", 1),
        // Timeline rows left at `2022-06-02 HH:mm` in two postmortems, "(What 'high' is
        // TBD)" in an action item, and the template's `20xx-MM-DD HH:mm`.
        ("W0013 placeholder", 4),
        ("W0014 empty-summary", 1),
        ("W0015 not-a-document", 1),
    ]
    .map(|(code, n)| (code.to_string(), n))
    .into();
    assert_eq!(counts, expected, "\n{all}");
}
