//! Does search find what people mean? Questions asked the way someone mid-incident would type
//! them, over the two real corpora in `../shared/corpora`, each with the document they would
//! expect; typed into the real search page in headless Chromium. The suite fails when fewer
//! than 95% of them have their document among the first three results.
//!
//! The corpora are not in hindsight's schema, so a small converter here turns them into a
//! scratch archive: the Jenkins status notices' YAML front matter, and the DFDS postmortems'
//! H1, Summary section and Timeline table, into TOML front matter.
//!
//! Skipped where the corpora or Chromium are missing, unless HINDSIGHT_REQUIRE_CORPORA=1 /
//! HINDSIGHT_REQUIRE_BROWSER=1 (CI sets both), which make either a failure.

mod common;

use std::path::Path;

use common::browser::{Browser, StaticServer};
use hindsight::build::{BuildOptions, build};

/// (what a person types, the slug of the document they are after, what the query exercises).
const QUERIES: &[(&str, &str, &str)] = &[
    // DFDS postmortems.
    ("inotify watches exhausted", "pm2020-001", "word forms"),
    (
        "node ran out of file watches",
        "pm2020-001",
        "partial match",
    ),
    (
        "coredns upgrade broke dns resolution",
        "pm2020-004",
        "partial match",
    ),
    ("corends upgrade", "pm2020-004", "typo"),
    ("log4shell response", "pm2021-011", "exact words"),
    ("log4j", "pm2021-011", "identifier"),
    (
        "traefik v2 configuration outage",
        "pm2021-008",
        "exact words",
    ),
    ("kiam upgrade disruption", "pm2020-009", "exact words"),
    ("prometheus connection refused", "pm2022-001", "exact words"),
    ("alb 502 errors", "pm2022-006", "exact words"),
    ("node-ipc", "pm2022-005", "identifier"),
    ("adfs outage", "pm2021-004", "exact words"),
    (
        "ip address starvation kubernetes network",
        "pm2019-009",
        "word forms",
    ),
    ("hellman cluster nodes deleted", "pm2019-010", "word forms"),
    ("iac accidentally reverted", "pm2019-011", "exact words"),
    ("alcide admission timeout", "pm2020-008", "word forms"),
    ("adsync service accounts", "pm2020-006", "exact words"),
    (
        "kube-state-metrics wrong labels",
        "pm2024-003",
        "identifier",
    ),
    (
        "pods not starting during ami update",
        "pm2024-002",
        "word forms",
    ),
    ("bad eks ami", "pm2022-009", "exact words"),
    ("nodes notready", "pm2024-001", "exact words"),
    (
        "crud operations on k8s services",
        "pm2022-008",
        "word forms",
    ),
    (
        "scheduling capacity starvation",
        "pm2025-001",
        "exact words",
    ),
    (
        "traefik rule blocking inbound traffic",
        "pm2025-002",
        "word forms",
    ),
    ("\"total node failure\"", "pm2023-001", "phrase"),
    ("kuberentes 504", "pm2021-010", "typo"),
    ("all services 404 kubernetes", "pm2021-009", "exact words"),
    (
        "fluentd logs not shipped to cloudwatch -release",
        "pm2022-002",
        "exclusion",
    ),
    // Jenkins status notices.
    ("fastly", "2021-06-08-fastly-outage", "ranking"),
    ("cloudfare outage", "2025-11-18-cloudflare-outage", "typo"),
    (
        "pkg.jenkins.io certificate expiry",
        "2022-05-27-ssl-certificate-expired",
        "identifier",
    ),
    (
        "service principal expiration",
        "2021-06-03-aks-sp-expiration",
        "word forms",
    ),
    ("CVE-2021-44228", "2021-12-10-accounts-down", "identifier"),
    (
        "jira database utf8mb4 conversion",
        "2021-10-05-maintenance-jira-rds",
        "word forms",
    ),
    ("ldap server down", "2021-10-01-ldap-outage", "exact words"),
    (
        "update center timeouts",
        "2022-05-28-updates-flaky",
        "word forms",
    ),
    (
        "debian package install broken",
        "2022-05-28-debian-installs-broken",
        "word forms",
    ),
    (
        "\"signing keys\" linux repository",
        "2023-03-28-new-signing-key",
        "phrase",
    ),
    (
        "digital ocean incident",
        "2023-06-21-digitalocean-incident",
        "partial match",
    ),
    (
        "ibm s390x agent restarted",
        "2023-02-03-s390x-agent-down",
        "word forms",
    ),
    (
        "get.jenkins.io disk quota",
        "2021-04-19-get-jenkins-io-disk-quota-exceeded",
        "identifier",
    ),
    (
        "weekly release 2.465 failed",
        "2024-07-02-weekly-core-release-2-465-failed",
        "identifier",
    ),
    ("puppet outage", "2021-09-23-puppet-outage", "exact words"),
    (
        "jgit brownout",
        "2023-06-08-artifactory-operation",
        "exact words",
    ),
    (
        "wiki taken offline vulnerability",
        "2021-09-02-wiki-offline",
        "word forms",
    ),
    (
        "SSL_ERROR_BAD_CERT_DOMAIN",
        "2022-02-07-tls-mirrors",
        "identifier",
    ),
    (
        "plugin health score not computed",
        "2024-07-02-publicheathscore-outage",
        "word forms",
    ),
    (
        "expired tls certificate jira",
        "2025-08-02-jira-tls-expired",
        "exact words",
    ),
    (
        "artifactory slow response times",
        "2022-07-04-artifactory-slow",
        "word forms",
    ),
    ("status.fastly.com", "2021-06-08-fastly-outage", "URL"),
];

/// The share of queries that must have their document in the top three, in percent.
const REQUIRED_PERCENT: usize = 95;

#[test]
fn people_find_the_incident_they_mean_in_the_top_three() {
    let test = "people_find_the_incident_they_mean_in_the_top_three";
    let Some(corpora) = common::corpora::corpora(test) else {
        return;
    };
    let Some(browser) = Browser::start(test) else {
        return;
    };
    let archive = tempfile::tempdir().expect("a scratch archive");
    let count = convert(&corpora, archive.path());
    assert!(count > 300, "converted only {count} documents");
    let out = tempfile::tempdir().expect("an output directory");
    let site = out.path().join("site");
    hindsight::seal::use_process_key();
    build(&BuildOptions {
        root: archive.path().to_path_buf(),
        out: Some(site.clone()),
        edition: None,
        base_url: None,
        drafts: false,
    })
    .unwrap_or_else(|e| panic!("building the converted corpora: {e:?}"));
    let server = StaticServer::start(&site);

    let mut misses = Vec::new();
    // For docs/search.md: how often the document is first, and the mean reciprocal rank
    // (over the first ten results), which chose the ranking's weights.
    let (mut first, mut reciprocal) = (0, 0.0);
    for &(query, expected, kind) in QUERIES {
        let encoded: String = query
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        browser.goto(&server.url(&format!("/search/?q={encoded}")));
        let top = browser.wait_for(
            "the results",
            "const s = document.getElementById('search-status').textContent;
             if (s.startsWith('Nothing')) return ['nothing'];
             if (s.startsWith('Search failed') || s.startsWith('The search index')) return [s];
             if (!/best first/.test(s)) return null;
             const items = [...document.querySelectorAll('#search-results .result')].slice(0, 10);
             if (items.some(i => !i.querySelector('.doc-title') && i.textContent === '')) return null;
             return items.map(i => i.querySelector('.doc-title') ? i.querySelector('.doc-title').getAttribute('href') : i.textContent);",
        );
        let mut top: Vec<String> = top
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let want = format!("/postmortems/{expected}/");
        let rank = top.iter().position(|t| *t == want);
        if rank == Some(0) {
            first += 1;
        } else {
            eprintln!(
                "not first: {query:?}: {want} at {rank:?}, after {:?}",
                top.first()
            );
        }
        reciprocal += rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
        top.truncate(3);
        if !top.contains(&want) {
            misses.push(format!(
                "{query:?} ({kind}): wanted {want}, top three {top:?}"
            ));
        }
    }
    let found = QUERIES.len() - misses.len();
    let report = misses.join("\n");
    eprintln!(
        "{found} of {} queries have their document in the top three, {first} first; \
         mean reciprocal rank {:.3}\n{report}",
        QUERIES.len(),
        reciprocal / QUERIES.len() as f64
    );
    assert!(QUERIES.len() >= 40, "the suite needs at least 40 queries");
    assert!(
        found * 100 >= REQUIRED_PERCENT * QUERIES.len(),
        "only {found} of {} queries found their document in the top three:\n{report}",
        QUERIES.len()
    );
}

/// Converts both corpora into `root` as a hindsight archive; returns how many documents.
fn convert(corpora: &Path, root: &Path) -> usize {
    let dir = root.join("content/postmortems");
    std::fs::create_dir_all(&dir).expect("a content folder");
    std::fs::write(
        root.join("hindsight.toml"),
        // The corpora are not written to this archive's checks: no sections are required,
        // and no phrase is flagged.
        "title = \"Converted corpora\"\n[check]\nrequired_sections = {}\nblame_phrases = []\n",
    )
    .expect("a config");
    let mut count = 0;
    let mut write = |slug: String, text: String| {
        std::fs::write(dir.join(format!("{slug}.md")), text).expect("a converted postmortem");
        count += 1;
    };
    for entry in read_dir(&corpora.join("jenkins-status/content/issues")) {
        if let Some(text) = jenkins(&entry) {
            write(slug(&file_stem(&entry)), text);
        }
    }
    for entry in read_dir(&corpora.join("dfds-postmortems")) {
        let name = file_stem(&entry);
        if !name.starts_with("PM2") {
            continue; // the README, the licence and the template
        }
        let id = name.split(' ').next().unwrap_or(&name).to_string();
        if let Some(text) = dfds(&entry, &id) {
            write(slug(&id), text);
        }
    }
    count
}

fn read_dir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".md").unwrap_or(&name).to_string()
}

/// Lower case, with every run of other characters than letters and digits one hyphen.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A TOML basic string (a JSON string is one).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn front_matter(
    title: &str,
    date: &str,
    started: &str,
    summary: &str,
    severity: &str,
    services: &[String],
    tags: &[String],
) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|s| quoted(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "+++\ntitle = {}\ndate = {date}\nsummary = {}\nseverity = \"{severity}\"\nstatus = \"in-review\"\n\
         services = [{}]\ntags = [{}]\n\n[incident]\nstarted = {started}\n+++\n",
        quoted(title),
        quoted(summary),
        list(services),
        list(tags)
    )
}

/// A Jenkins status notice: YAML front matter (title, date, severity, affected) and a body.
fn jenkins(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---")?;
    let (yaml, body) = (&rest[..end], &rest[end + 4..]);
    let mut title = String::new();
    let mut date = String::new();
    let mut severity = "sev3";
    let mut services = Vec::new();
    for line in yaml.lines() {
        if let Some(item) = line.trim_start().strip_prefix("- ") {
            // `plugins.jenkins.io (served by fastly / ...)`: the service, and a note.
            let service = item.split(" (").next().unwrap_or(item);
            services.push(slug(service.trim()));
        } else if let Some((key, value)) = line.split_once(':') {
            let value = value.trim();
            match key {
                "title" => title = unquote(value),
                "date" => date = value.to_string(),
                "severity" => {
                    severity = match value {
                        "down" => "sev1",
                        "disrupted" => "sev2",
                        _ => "sev3",
                    }
                }
                _ => {}
            }
        }
    }
    let date = unquote(&date);
    let day = date.get(..10)?.to_string();
    let clock = date.get(11..19).filter(|t| {
        t.bytes().enumerate().all(|(k, b)| match k {
            2 | 5 => b == b':',
            _ => b.is_ascii_digit(),
        })
    });
    let started = format!("{day}T{}Z", clock.unwrap_or("00:00:00"));
    if services.is_empty() {
        services.push("jenkins-infra".to_string());
    }
    let summary = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('['))
        .unwrap_or("")
        .to_string();
    Some(front_matter(&title, &day, &started, &summary, severity, &services, &[]) + body)
}

fn unquote(value: &str) -> String {
    let bytes = value.as_bytes();
    if value.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[value.len() - 1] == bytes[0]
    {
        return value[1..value.len() - 1].replace("''", "'");
    }
    value.to_string()
}

/// A DFDS postmortem: an H1 title, a Summary section, a Timeline table of dated events, and
/// a Stats list with the category.
fn dfds(path: &Path, id: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let title_at = text.find("# ")?;
    let line_end = text[title_at..]
        .find('\n')
        .map_or(text.len(), |n| title_at + n);
    let title = text[title_at + 2..line_end].trim().to_string();
    let body = &text[line_end..];
    let summary = section(body, "summary")
        .and_then(|s| s.split("\n\n").map(str::trim).find(|p| !p.is_empty()))
        .unwrap_or("")
        .replace('\n', " ");
    let year = id.get(2..6).unwrap_or("2020");
    let timeline = section(body, "timeline").unwrap_or("");
    let (day, started) = first_timestamp(timeline)
        .unwrap_or_else(|| (format!("{year}-01-01"), format!("{year}-01-01T00:00:00Z")));
    let tags: Vec<String> = body
        .lines()
        .find_map(|l| l.trim_start_matches(['-', ' ']).strip_prefix("Category:"))
        .map(|c| vec![slug(c)])
        .filter(|t| !t[0].is_empty())
        .unwrap_or_default();
    let services = vec!["kubernetes-platform".to_string()];
    // Some timelines are out of order, which the build refuses in a section called Timeline.
    // Links between the postmortems point to their files, under other names here.
    let body = body
        .replace("## Timeline", "## Events")
        .replace(
            "](PM",
            "](https://github.com/dfds/postmortems/blob/master/PM",
        )
        .replace(
            "]: PM",
            "]: https://github.com/dfds/postmortems/blob/master/PM",
        );
    Some(front_matter(&title, &day, &started, &summary, "sev2", &services, &tags) + &body)
}

/// The text of the `## Name` section of a body, without its heading.
fn section<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        offset += line.len();
        let heading = line.trim();
        if heading.starts_with("## ") && heading[3..].trim().eq_ignore_ascii_case(name) {
            let rest = &body[offset..];
            let end = rest.find("\n#").unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
    }
    None
}

/// The first `YYYY-MM-DD HH:MM` of a timeline, as a date and a timestamp.
fn first_timestamp(text: &str) -> Option<(String, String)> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = text.get(i..i + 10)?;
        let shape = candidate.bytes().enumerate().all(|(k, b)| match k {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
        if !shape {
            return None;
        }
        let time = text
            .get(i + 11..i + 16)
            .filter(|t| {
                t.as_bytes()[2] == b':' && t.bytes().filter(u8::is_ascii_digit).count() == 4
            })
            .unwrap_or("00:00");
        Some((candidate.to_string(), format!("{candidate}T{time}:00Z")))
    })
}
