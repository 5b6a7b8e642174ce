//! The mistakes real archives make, in tests/fixtures/real-mistakes/: two spellings of a
//! service and of a tag, slugs that differ only in case, the year 202, the template's
//! placeholders, a file without `.md`, three errors in one file, and timelines written in
//! Copenhagen time across both daylight-saving changes. `check` reports each one, at its
//! file and line, in one run; `build` never writes two outputs to one path.

mod built_site;

use std::path::{Path, PathBuf};
use std::process::Output;

use built_site::{copy_tree, write};

fn hindsight(args: &[&str], root: &Path) -> Output {
    built_site::hindsight_command()
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of a fixture archive, to change or build.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    dir
}

/// `(code, file, line)` of every diagnostic `check --format json` reports, and its exit code.
fn check(root: &Path, extra: &[&str]) -> (Vec<(String, String, u64)>, serde_json::Value, i32) {
    let mut args = vec!["check", "--format", "json"];
    args.extend(extra);
    let output = hindsight(&args, root);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("check prints JSON");
    let found = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (found, report, output.status.code().unwrap_or(-1))
}

fn rows(expected: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    expected
        .iter()
        .map(|(code, file, line)| (code.to_string(), format!("content/{file}"), *line))
        .collect()
}

#[test]
fn check_reports_every_real_mistake_at_its_file_and_line_in_one_run() {
    let (found, report, exit) = check(&fixture("real-mistakes"), &[]);
    let expected = rows(&[
        // Something in content/ outside the document folders.
        ("W0015", "notes.txt", 0),
        // `started = 0202-01-16T12:00:00Z`, from a `20202` typo.
        ("W0011", "postmortems/2020-01-16-adsync-migration.md", 9),
        // `2024-01-10-DB-Outage.md` beside `2024/2024-01-10-db-outage.md`.
        ("E0013", "postmortems/2024-01-10-DB-Outage.md", 0),
        ("E0014", "postmortems/2024-01-10-DB-Outage.md", 0),
        // A document saved without `.md`.
        ("W0015", "postmortems/2024-02-01-cache-stampede", 0),
        // A quoted date, a misspelled key and an unknown service: three at once.
        ("E0008", "postmortems/2024-02-03-three-errors.md", 3),
        ("E0007", "postmortems/2024-02-03-three-errors.md", 5),
        ("W0001", "postmortems/2024-02-03-three-errors.md", 6),
        // `github comment ops` beside the catalogue's `github-comment-ops`, and the tag
        // `On Call` beside `on-call`.
        ("W0001", "postmortems/2024-05-02-github-ops.md", 6),
        ("E0027", "postmortems/2024-05-02-github-ops.md", 6),
        ("E0027", "postmortems/2024-05-02-github-ops.md", 7),
        ("W0010", "postmortems/2024-05-02-github-ops.md", 7),
        // The template's empty summary and placeholder row, published.
        ("W0014", "postmortems/2024-06-01-template-left.md", 4),
        ("W0013", "postmortems/2024-06-01-template-left.md", 16),
    ]);
    assert_eq!(found, expected, "{report:#}");
    assert_eq!(exit, 1);

    let message_of = |code: &str, line: u64| {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code && d["line"] == line)
            .map(|d| (d["message"].as_str().unwrap(), d["hint"].as_str().unwrap()))
            .unwrap()
    };
    assert_eq!(
        message_of("E0027", 6),
        (
            "the service `github comment ops` and `github-comment-ops` (content/postmortems/2024-05-20-github-ops-again.md) both end up at /services/github-comment-ops/: one page would take the other's place",
            "write `github-comment-ops` here, as content/postmortems/2024-05-20-github-ops-again.md does"
        )
    );
    assert_eq!(
        message_of("E0008", 3).1,
        "write `2024-02-03` without quotes: TOML dates and times are not strings"
    );
    assert_eq!(message_of("W0001", 6).1, "did you mean `payments`?");
    assert_eq!(
        message_of("W0011", 9).0,
        "the incident's `started` time 0202-01-16 is before 1970"
    );
}

#[test]
fn a_timeline_in_local_time_stays_in_order_across_the_clocks_going_back() {
    // Read on Copenhagen's clocks, 02:10 after 02:55 on 2024-10-27 is the second 02:10.
    let (found, _, _) = check(&fixture("real-mistakes"), &[]);
    assert!(
        !found
            .iter()
            .any(|(_, file, _)| file.contains("clock-change"))
    );
    // At a fixed offset, the same timeline goes back in time.
    let archive = copy_of("real-mistakes");
    let config = std::fs::read_to_string(archive.path().join("hindsight.toml")).unwrap();
    write(
        archive.path(),
        "hindsight.toml",
        &config.replace("Europe/Copenhagen", "+02:00"),
    );
    let (found, _, _) = check(archive.path(), &[]);
    assert!(
        found.contains(&(
            "W0006".to_string(),
            "content/postmortems/2024-10-27-clock-change.md".to_string(),
            19
        )),
        "{found:?}"
    );
}

/// The fixture archive with its mistakes put right, as its writers would: what is left
/// builds.
fn mistakes_put_right() -> tempfile::TempDir {
    let archive = copy_of("real-mistakes");
    let root = archive.path();
    let posts = root.join("content/postmortems");
    std::fs::remove_file(root.join("content/notes.txt")).unwrap();
    for file in [
        "2024-01-10-DB-Outage.md",
        "2024-02-01-cache-stampede",
        "2024-02-03-three-errors.md",
        "2020-01-16-adsync-migration.md",
        "2024-06-01-template-left.md",
    ] {
        std::fs::remove_file(posts.join(file)).unwrap();
    }
    let github = posts.join("2024-05-02-github-ops.md");
    let text = std::fs::read_to_string(&github).unwrap();
    std::fs::write(
        &github,
        text.replace("github comment ops", "github-comment-ops")
            .replace("On Call", "on-call"),
    )
    .unwrap();
    archive
}

#[test]
fn times_are_shown_in_the_offset_copenhagen_keeps_on_each_day() {
    let archive = mistakes_put_right();
    let output = hindsight(&["build"], archive.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = |slug: &str| {
        std::fs::read_to_string(
            archive
                .path()
                .join(format!("public/postmortems/{slug}/index.html")),
        )
        .unwrap()
    };
    // Winter and summer time, each as Copenhagen's clocks showed it.
    assert!(page("2024-01-10-db-outage").contains("2024-01-10 12:00 +01:00"));
    assert!(page("2024-05-20-github-ops-again").contains("2024-05-20 11:00 +02:00"));
    // Written with `+01:00` and `+02:00` across the spring change: 01:40 and 03:20.
    let spring = page("2024-03-31-spring-forward");
    assert!(spring.contains("2024-03-31 01:40 +01:00"), "{spring}");
    assert!(spring.contains("2024-03-31 03:20 +02:00"), "{spring}");
}

#[test]
fn a_build_refuses_two_outputs_at_one_path_and_names_both() {
    let archive = mistakes_put_right();
    // A static file where the statistics page goes, spelled in other capitals: one file on
    // macOS and Windows.
    write(
        archive.path(),
        "static/Stats/index.html",
        "<p>old stats</p>\n",
    );
    let output = hindsight(&["build"], archive.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(said.contains("E0028"), "{said}");
    assert!(
        said.contains("the static file Stats/index.html (of the theme or static/)"),
        "{said}"
    );
    assert!(said.contains("the Stats page"), "{said}");
    assert!(
        !archive.path().join("public").exists(),
        "nothing is written when the build is refused"
    );
}

#[test]
fn rule_levels_tune_warnings_and_deny_warnings_fails_them() {
    let archive = mistakes_put_right();
    let root = archive.path();
    let (found, _, exit) = check(root, &[]);
    assert_eq!((found.len(), exit), (0, 0), "{found:?}");
    // A published postmortem with an empty summary: a warning, exit 0.
    let empty = "+++\ntitle = \"Empty\"\ndate = 2024-07-02\nsummary = \"\"\nseverity = \"sev3\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2024-07-01T08:00:00Z\n+++\n\nText.\n";
    write(
        root,
        "content/postmortems/status/2024-07-01-empty.md",
        empty,
    );
    let (found, _, exit) = check(root, &[]);
    assert_eq!(found.len(), 1);
    assert_eq!(exit, 0);
    // `--deny warnings` makes it fail.
    let (_, report, exit) = check(root, &["--deny", "warnings"]);
    assert_eq!((report["errors"].as_u64(), exit), (Some(1), 1));
    // `deny` in hindsight.toml does the same for that rule alone; a folder can allow it.
    let config = std::fs::read_to_string(root.join("hindsight.toml")).unwrap();
    write(
        root,
        "hindsight.toml",
        &format!("{config}\n[check.rules]\nempty-summary = \"deny\"\n"),
    );
    let (_, report, exit) = check(root, &[]);
    assert_eq!((report["errors"].as_u64(), exit), (Some(1), 1));
    write(
        root,
        "hindsight.toml",
        &format!(
            "{config}\n[check.rules]\nempty-summary = \"deny\"\n\n[[check.overrides]]\nfolder = \"content/postmortems/status\"\nrules = {{ W0014 = \"allow\" }}\n"
        ),
    );
    let (found, _, exit) = check(root, &[]);
    assert_eq!((found.len(), exit), (0, 0), "{found:?}");
}

#[test]
fn every_configuration_error_is_reported_at_its_line() {
    let archive = mistakes_put_right();
    let root = archive.path();
    let config = std::fs::read_to_string(root.join("hindsight.toml")).unwrap();
    let config = config.replace("Europe/Copenhagen", "Europe/Copenhagn");
    let lines = config.lines().count() as u64;
    write(
        root,
        "hindsight.toml",
        &format!(
            "{config}\n[check.rules]\nno-action-item = \"allow\"\nunknown-severity = \"warn\"\n"
        ),
    );
    let (found, report, exit) = check(root, &[]);
    let in_config: Vec<_> = found
        .into_iter()
        .filter(|(_, file, _)| file == "hindsight.toml")
        .collect();
    let at = |line: u64| ("E0022".to_string(), "hindsight.toml".to_string(), line);
    assert_eq!(
        in_config,
        [at(4), at(lines + 3), at(lines + 4)],
        "{report:#}"
    );
    assert_eq!(exit, 1);
    let hints: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == "hindsight.toml")
        .map(|d| d["hint"].as_str().unwrap())
        .collect();
    assert_eq!(hints[0], "did you mean `Europe/Copenhagen`?");
    assert_eq!(hints[1], "did you mean `no-action-items`?");
    assert!(hints[2].contains("the site would be wrong"), "{hints:?}");
}

#[test]
fn new_warns_of_a_service_outside_the_catalogue_and_offers_the_closest() {
    let archive = mistakes_put_right();
    let output = built_site::hindsight_command()
        .args(["new", "postmortem", "Refunds slow", "--service", "paymnts"])
        .arg("--root")
        .arg(archive.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "warning: the service `paymnts` is not in the catalogue of hindsight.toml; did you mean `payments`?"
        ),
        "{}",
        stderr(&output)
    );
}
