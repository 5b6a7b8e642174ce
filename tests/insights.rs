//! Metrics, suggestions and the insight pages, on small archives written by the tests.

use std::path::{Path, PathBuf};

use chrono::TimeDelta;
use hindsight::archive::{Archive, LinkOptions};
use hindsight::build::load_and_link;
use hindsight::document::Kind;
use hindsight::load::LoadOptions;

/// A fresh archive directory holding `files` (path → text).
fn archive_dir(name: &str, files: &[(&str, String)]) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "hindsight-insights-{name}-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn link(dir: &Path) -> Archive {
    let options = LoadOptions {
        root: dir.to_path_buf(),
        edition: None,
        base_url: None,
        render_html: true,
    };
    let (archive, diagnostics) = load_and_link(&options, LinkOptions::default()).unwrap();
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
    let dir = archive_dir(
        "metrics",
        &[
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
        ],
    );
    link(&dir)
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
