//! Metrics, suggestions and the insight pages, on small archives written by the tests.

use std::path::Path;

use chrono::TimeDelta;
use hindsight::archive::{Archive, LinkOptions};
use hindsight::document::Kind;
use hindsight::pipeline::{self, Context};

/// A fresh archive directory holding `files` (path → text), removed when dropped.
fn archive_dir(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn link(dir: &Path) -> Archive {
    let context = Context::new(dir.to_path_buf());
    hindsight::seal::use_process_key();
    let (archive, diagnostics) =
        pipeline::load_and_link(&context, None, LinkOptions::default()).unwrap();
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "{diagnostics:#?}"
    );
    archive
}

/// A postmortem file: `times` are the `[incident]` lines.
fn postmortem(date: &str, severity: &str, services: &[&str], tags: &[&str], times: &str) -> String {
    let list = |v: &[&str]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "+++\ntitle = \"Incident of {date}\"\ndate = {date}\nseverity = \"{severity}\"\nservices = [{}]\ntags = [{}]\n\n[incident]\n{times}\n+++\n\n## Summary\n\nSomething broke.\n",
        list(services),
        list(tags)
    )
}

/// Four incidents whose figures are worked out by hand in the comments below.
fn hand_computed() -> Archive {
    let dir = archive_dir(&[
        // detect 10 min, mitigate 30 min, resolve 60 min, publish 2 days
        (
            "content/postmortems/a.md",
            postmortem(
                "2020-01-03",
                "sev1",
                &["api"],
                &["db"],
                "started = 2020-01-01T10:00:00Z\ndetected = 2020-01-01T10:10:00Z\nmitigated = 2020-01-01T10:30:00Z\nresolved = 2020-01-01T11:00:00Z",
            ),
        ),
        // detect 20 min, no mitigation time, resolve 120 min, publish 0 days
        (
            "content/postmortems/b.md",
            postmortem(
                "2020-06-01",
                "sev2",
                &["api"],
                &[],
                "started = 2020-06-01T00:00:00Z\ndetected = 2020-06-01T00:20:00Z\nresolved = 2020-06-01T02:00:00Z",
            ),
        ),
        // mitigate 45 min; no detection or resolution time, so no duration either
        (
            "content/postmortems/c.md",
            postmortem(
                "2021-03-10",
                "sev2",
                &["api", "web"],
                &["db"],
                "started = 2021-03-01T12:00:00Z\nmitigated = 2021-03-01T12:45:00Z",
            ),
        ),
        // detect 40 min, resolve 240 min, publish 1 day
        (
            "content/postmortems/d.md",
            postmortem(
                "2021-07-02",
                "sev1",
                &["web"],
                &[],
                "started = 2021-07-01T08:00:00Z\ndetected = 2021-07-01T08:40:00Z\nresolved = 2021-07-01T12:00:00Z",
            ),
        ),
    ]);
    link(dir.path())
}

fn min(m: i64) -> Option<TimeDelta> {
    Some(TimeDelta::minutes(m))
}

#[test]
fn per_postmortem_times_leave_out_what_is_not_given() {
    let archive = hand_computed();
    let of = |slug: &str| {
        archive.metrics.incidents[archive.find(Kind::Postmortem, slug).unwrap()].unwrap()
    };
    let a = of("a");
    assert_eq!(
        (a.time_to_detect, a.time_to_mitigate, a.time_to_resolve),
        (min(10), min(30), min(60))
    );
    assert_eq!(a.duration, min(60));
    assert_eq!(a.time_to_publish, Some(TimeDelta::days(2)));
    let c = of("c");
    assert_eq!(
        (c.time_to_detect, c.time_to_mitigate, c.duration),
        (None, min(45), None)
    );
    assert_eq!(c.time_to_publish, None);
    assert_eq!(of("b").time_to_publish, Some(TimeDelta::zero()));
}

#[test]
fn archive_figures_are_medians_and_90th_percentiles_of_the_times_given() {
    let archive = hand_computed();
    let all = &archive.metrics.archive.all;
    assert_eq!(all.count, 4);
    assert_eq!(all.total_impact, TimeDelta::minutes(60 + 120 + 240));
    // detect: 10, 20, 40 → median 20; p90 at rank 1.8: 20 + 0.8 × 20 = 36
    assert_eq!(all.time_to_detect.count, 3);
    assert_eq!(
        (all.time_to_detect.median, all.time_to_detect.p90),
        (min(20), min(36))
    );
    // resolve: 60, 120, 240 → median 120; p90: 120 + 0.8 × 120 = 216
    assert_eq!(
        (all.time_to_resolve.median, all.time_to_resolve.p90),
        (min(120), min(216))
    );
    // mitigate: 30, 45 → median 37.5; p90 at rank 0.9: 30 + 0.9 × 15 = 43.5
    let mitigate = all.time_to_mitigate;
    assert_eq!(mitigate.median, Some(TimeDelta::seconds(37 * 60 + 30)));
    assert_eq!(mitigate.p90, Some(TimeDelta::seconds(43 * 60 + 30)));
    // publish: 2, 0, 1 days → median 1 day
    assert_eq!(all.time_to_publish.median, Some(TimeDelta::days(1)));
}

#[test]
fn figures_split_by_year_service_tag_and_severity() {
    let archive = hand_computed();
    let metrics = &archive.metrics;
    let y2020 = &metrics.archive.by_year[&2020];
    assert_eq!(
        (y2020.count, y2020.total_impact),
        (2, TimeDelta::minutes(180))
    );
    // 10 and 20 → median 15; p90: 10 + 0.9 × 10 = 19
    assert_eq!(
        (y2020.time_to_detect.median, y2020.time_to_detect.p90),
        (min(15), min(19))
    );
    let y2021 = &metrics.archive.by_year[&2021];
    assert_eq!(
        (y2021.count, y2021.total_impact),
        (2, TimeDelta::minutes(240))
    );
    assert_eq!(y2021.time_to_resolve.count, 1);

    let api = &metrics.services["api"].all;
    assert_eq!((api.count, api.total_impact), (3, TimeDelta::minutes(180)));
    assert_eq!(api.time_to_detect.median, min(15));
    let web = &metrics.services["web"].all;
    assert_eq!(
        (web.count, web.total_impact, web.time_to_detect.median),
        (2, TimeDelta::minutes(240), min(40))
    );
    let db = &metrics.tags["db"].all;
    assert_eq!(
        (db.count, db.time_to_mitigate.median),
        (2, Some(TimeDelta::seconds(37 * 60 + 30)))
    );
    let sev2 = &metrics.severities["sev2"].all;
    assert_eq!(
        (sev2.count, sev2.total_impact),
        (2, TimeDelta::minutes(120))
    );
    assert_eq!(sev2.time_to_detect.count, 1);
}

/// Builds the site of an archive directory in memory.
fn site_of(dir: &Path, edition: Option<hindsight::config::Edition>) -> hindsight::render::Site {
    let options = hindsight::build::BuildOptions {
        root: dir.to_path_buf(),
        out: None,
        edition,
        base_url: Some("https://postmortems.example.com/archive".into()),
        drafts: false,
    };
    hindsight::seal::use_process_key();
    match hindsight::build::render_site(&options) {
        Ok((site, _, _)) => site,
        Err(e) => panic!("{e:?}"),
    }
}

fn text(site: &hindsight::render::Site, path: &str) -> String {
    let bytes = site
        .files
        .get(Path::new(path))
        .unwrap_or_else(|| panic!("{path} was not generated"));
    String::from_utf8(bytes.clone()).unwrap()
}

/// An archive with a public and an internal postmortem on one service, with a timeline,
/// action items and characters that need escaping.
fn feed_archive() -> tempfile::TempDir {
    let public = postmortem(
        "2024-05-02",
        "sev1",
        &["api"],
        &["db"],
        "started = 2024-05-01T23:50:00Z\ndetected = 2024-05-02T00:05:00Z\nresolved = 2024-05-02T01:00:00Z",
    )
    .replace("title = \"Incident of 2024-05-02\"", "title = \"Pool <exhausted> & \\\"retries\\\"\"")
    .replace(
        "[incident]",
        "[[actions]]\ntitle = \"Cap the pool\"\nowner = \"platform\"\nstatus = \"open\"\ndue = 2024-06-01\n\n[[actions]]\ntitle = \"Alert on saturation\"\nowner = \"sre\"\nstatus = \"done\"\n\n[incident]",
    )
    + "\n## Timeline\n\n- 23:50 UTC — Deploy starts\n- 00:05 UTC — Paged [on-call](https://example.com)\n- 01:00 UTC — Resolved\n";
    let internal = postmortem(
        "2024-05-10",
        "sev2",
        &["api"],
        &["db"],
        "started = 2024-05-09T10:00:00Z",
    )
    .replace(
        "title = \"Incident of 2024-05-10\"",
        "title = \"SECRET internal incident\"\nvisibility = \"internal\"",
    );
    archive_dir(&[
        ("content/postmortems/pool.md", public),
        ("content/postmortems/secret.md", internal),
    ])
}

#[test]
fn feeds_and_the_sitemap_are_well_formed_xml_with_absolute_urls() {
    let site = site_of(feed_archive().path(), None);
    for path in ["feed.xml", "services/api/feed.xml", "sitemap.xml"] {
        let xml = text(&site, path);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{path}: {e}"));
        let urls: Vec<&str> = doc
            .descendants()
            .filter_map(|n| {
                if n.has_tag_name("loc") || n.has_tag_name("id") {
                    n.text()
                } else {
                    n.attribute("href")
                }
            })
            .collect();
        assert!(!urls.is_empty(), "{path}");
        for url in urls {
            assert!(
                url.starts_with("https://postmortems.example.com/archive/"),
                "{path}: {url}"
            );
        }
    }
    let feed = text(&site, "feed.xml");
    let doc = roxmltree::Document::parse(&feed).unwrap();
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .filter_map(|e| e.children().find(|c| c.has_tag_name("title"))?.text())
        .collect();
    assert!(
        titles.contains(&"Pool <exhausted> & \"retries\""),
        "{titles:?}"
    );
    // The feed's date is its newest entry's, never the build's.
    assert!(
        feed.contains("<updated>2024-05-10T00:00:00Z</updated>"),
        "{feed}"
    );
    let sitemap = text(&site, "sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://postmortems.example.com/archive/postmortems/pool/</loc>")
    );
    assert!(sitemap.contains("<loc>https://postmortems.example.com/archive/stats/</loc>"));
}

#[test]
fn the_public_edition_leaves_internal_postmortems_out_of_every_insight() {
    let site = site_of(
        feed_archive().path(),
        Some(hindsight::config::Edition::Public),
    );
    for (path, bytes) in &site.files {
        let content = String::from_utf8_lossy(bytes);
        assert!(
            !content.contains("SECRET"),
            "{} mentions the internal postmortem",
            path.display()
        );
    }
    let json: serde_json::Value = serde_json::from_str(&text(&site, "archive.json")).unwrap();
    assert_eq!(json["documents"].as_array().unwrap().len(), 1);
    assert_eq!(json["metrics"]["archive"]["all"]["count"], 1);
    // And the internal edition has it.
    let internal = site_of(
        feed_archive().path(),
        Some(hindsight::config::Edition::Internal),
    );
    assert!(text(&internal, "feed.xml").contains("SECRET internal incident"));
}

#[test]
fn archive_json_and_postmortem_json_follow_the_documented_schema() {
    let site = site_of(feed_archive().path(), None);
    let json: serde_json::Value = serde_json::from_str(&text(&site, "archive.json")).unwrap();
    assert_eq!(json["schema"], "hindsight-archive");
    assert_eq!(json["version"], 1);
    let pool = json["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["slug"] == "pool")
        .unwrap();
    assert_eq!(
        pool["url"],
        "https://postmortems.example.com/archive/postmortems/pool/"
    );
    assert_eq!(pool["metrics"]["time_to_detect"], 15 * 60);
    assert_eq!(pool["metrics"]["duration"], 70 * 60);
    assert_eq!(pool["incident"]["started"], "2024-05-01T23:50:00Z");
    assert_eq!(pool["actions"][0]["due"], "2024-06-01");

    let one: serde_json::Value =
        serde_json::from_str(&text(&site, "postmortems/pool/index.json")).unwrap();
    assert_eq!(one["schema"], "hindsight-archive");
    assert_eq!(one["timeline"]["structured"], true);
    let events = one["timeline"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    // 00:05 comes after 23:50 of the day before: the day rolled over.
    assert_eq!(events[1]["at"], "2024-05-02T00:05:00Z");
    assert_eq!(events[1]["zone"]["label"], "UTC");
}

#[test]
fn pages_show_the_timeline_charts_and_action_items() {
    let site = site_of(feed_archive().path(), None);
    let page = text(&site, "postmortems/pool/index.html");
    assert!(page.contains("<dt>Time to publish</dt><dd>0 days</dd>"));
    assert!(
        page.contains("class=\"timeline-rail\""),
        "no visual timeline"
    );
    assert!(page.contains("Incident detected"));
    // The entries as written stay on the page, with their links.
    assert!(page.contains("The timeline as written"));
    assert!(page.contains("href=\"https://example.com\""));

    let stats = text(&site, "stats/index.html");
    assert!(
        stats.contains("<svg class=\"chart\""),
        "no chart on /stats/"
    );
    assert!(stats.contains("Incidents per month, by severity"));
    assert!(stats.contains("The numbers behind this chart"));

    let service = text(&site, "services/api/index.html");
    assert!(
        service.contains("<svg class=\"chart\""),
        "no chart on the service page"
    );
    assert!(service.contains("Cap the pool"), "open action item missing");
    assert!(
        service.contains("<th scope=\"row\">2024</th>"),
        "no figures by year"
    );
    assert!(
        !service.contains("Alert on saturation"),
        "done item listed as open"
    );

    // Tera writes `/` in attributes as `&#x2F;`; a browser reads both the same.
    let actions = text(&site, "actions/index.html").replace("&#x2F;", "/");
    assert!(actions.contains("Cap the pool"));
    assert!(
        actions.contains("badge-overdue"),
        "a 2024 due date is overdue"
    );
    assert!(actions.contains("href=\"/archive/postmortems/pool/\""));
    assert!(
        !actions.contains("Alert on saturation"),
        "a done item on the open list"
    );
    let closed = text(&site, "actions/closed/index.html");
    assert!(closed.contains("Alert on saturation") && !closed.contains("Cap the pool"));
}

#[test]
fn two_builds_of_the_same_archive_are_byte_identical() {
    let dir = feed_archive();
    let first = site_of(dir.path(), None);
    let second = site_of(dir.path(), None);
    assert_eq!(first.files.len(), second.files.len());
    for (path, bytes) in &first.files {
        assert!(
            second.files.get(path) == Some(bytes),
            "{} differs",
            path.display()
        );
    }
}

#[test]
fn suggestions_share_services_tags_or_words_and_skip_explicit_related() {
    let pm = |date: &str, services: &[&str], tags: &[&str], body: &str, extra: &str| {
        postmortem(
            date,
            "sev2",
            services,
            tags,
            "started = 2024-01-01T10:00:00Z",
        )
        .replace("[incident]", &format!("{extra}\n[incident]"))
            + body
    };
    let dir = archive_dir(&[
        (
            "content/postmortems/a.md",
            pm(
                "2024-01-02",
                &["checkout"],
                &["database"],
                "Connection pool exhausted on the primary.\n",
                "related = [\"b\"]",
            ),
        ),
        (
            "content/postmortems/b.md",
            pm(
                "2024-02-02",
                &["checkout"],
                &["database"],
                "Connection pool exhausted again.\n",
                "",
            ),
        ),
        (
            "content/postmortems/c.md",
            pm(
                "2024-03-02",
                &["checkout"],
                &["database"],
                "Pool exhausted by a retry storm.\n",
                "",
            ),
        ),
        (
            "content/postmortems/d.md",
            pm(
                "2024-04-02",
                &["mail"],
                &["vendor"],
                "Provider rejected sends.\n",
                "",
            ),
        ),
        (
            "content/postmortems/e.md",
            pm(
                "2024-05-02",
                &["search"],
                &["index"],
                "Stale prices in the index.\n",
                "",
            ),
        ),
    ]);
    let archive = link(dir.path());
    let suggested = |slug: &str| -> Vec<&str> {
        let id = archive.find(Kind::Postmortem, slug).unwrap();
        archive.suggested[id]
            .iter()
            .map(|&i| archive.documents[i].slug.as_str())
            .collect()
    };
    // a and b are related explicitly, so a's suggestion is c alone.
    assert_eq!(suggested("a"), ["c"]);
    assert!(suggested("c").contains(&"a") && suggested("c").contains(&"b"));
    assert!(suggested("d").is_empty(), "{:?}", suggested("d"));
}

#[test]
fn the_home_page_shows_this_week_in_earlier_years() {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let week = today.iso_week();
    let Some(same_week) =
        chrono::NaiveDate::from_isoywd_opt(week.year() - 2, week.week(), chrono::Weekday::Tue)
    else {
        eprintln!(
            "note: week {} did not exist two years ago; skipping",
            week.week()
        );
        return;
    };
    let other_week = same_week - chrono::Days::new(60);
    let pm = |date: chrono::NaiveDate, title: &str| {
        postmortem(
            &date.to_string(),
            "sev3",
            &["api"],
            &[],
            &format!("started = {date}T10:00:00Z"),
        )
        .replace(&format!("Incident of {date}"), title)
    };
    let dir = archive_dir(&[
        (
            "content/postmortems/same.md",
            pm(same_week, "Same week back then"),
        ),
        (
            "content/postmortems/other.md",
            pm(other_week, "Another week back then"),
        ),
    ]);
    let home = text(&site_of(dir.path(), None), "index.html");
    let history = &home[home
        .find("This week in incident history")
        .expect("no history section")..];
    assert!(history.contains("Same week back then"));
    assert!(!history.contains("Another week back then"));
}
