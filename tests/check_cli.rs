//! `hindsight check`, `hindsight new` and `hindsight build` as a user runs them: the real
//! binary, its output formats, its exit codes, and the archive it is pointed at.

mod built_site;

use built_site::write;
use std::path::{Path, PathBuf};
use std::process::Output;

fn hindsight(args: &[&str], cwd: &Path) -> Output {
    built_site::hindsight_command()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the fixture archive with `documents` (path, text) added.
fn fixture_archive(documents: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    built_site::copy_tree(
        &manifest_dir().join("tests/fixtures/check-archive"),
        dir.path(),
    );
    for (path, text) in documents {
        write(dir.path(), path, text);
    }
    dir
}

const ERROR_DOC: &str = "+++\ntitle = \"Out of order\"\ndate = 2020-05-02\nseverity = \"sev3\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2020-05-01T10:00:00Z\ndetected = 2020-05-01T09:00:00Z\n+++\n\nText.\n";
const WARNING_DOC: &str = "+++\ntitle = \"Unknown tag\"\ndate = 2020-05-02\nseverity = \"sev3\"\nservices = [\"api\"]\ntags = [\"dsn\"]\n\n[incident]\nstarted = 2020-05-01T10:00:00Z\n+++\n\nText.\n";

#[test]
fn the_example_archive_checks_with_no_errors_and_no_warnings() {
    let output = hindsight(&["check", "--format", "json"], &manifest_dir());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["warnings"], 0, "{report:#}");
}

#[test]
fn github_format_prints_one_workflow_command_per_diagnostic_at_its_line() {
    let archive = fixture_archive(&[
        ("content/postmortems/out-of-order.md", ERROR_DOC),
        ("content/postmortems/unknown-tag.md", WARNING_DOC),
    ]);
    let output = hindsight(&["check", "--format", "github"], archive.path());
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(
            "::error file=content/postmortems/out-of-order.md,line=9,col=12,title=E0011 times-out-of-order::"
        ),
        "{text}"
    );
    assert!(
        lines[1].starts_with(
            "::warning file=content/postmortems/unknown-tag.md,line=6,col=9,title=W0002 unknown-tag::"
        ),
        "{text}"
    );
    assert!(
        lines[1].contains("%0A"),
        "the hint follows on a new line: {text}"
    );
}

#[test]
fn json_format_is_one_document_with_counts_and_every_field() {
    let archive = fixture_archive(&[
        ("content/postmortems/out-of-order.md", ERROR_DOC),
        ("content/postmortems/unknown-tag.md", WARNING_DOC),
    ]);
    let output = hindsight(&["check", "--format", "json"], archive.path());
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["errors"], 1);
    assert_eq!(report["warnings"], 1);
    let first = &report["diagnostics"][0];
    assert_eq!(first["level"], "error");
    assert_eq!(first["code"], "E0011");
    assert_eq!(first["name"], "times-out-of-order");
    assert_eq!(first["file"], "content/postmortems/out-of-order.md");
    assert_eq!(first["line"], 9);
    assert_eq!(first["column"], 12);
    assert!(first["message"].as_str().unwrap().contains("detected"));
    assert!(first["hint"].as_str().is_some());
    assert_eq!(report["diagnostics"][1]["level"], "warning");
}

#[test]
fn human_format_underlines_the_offending_value_on_standard_error() {
    let archive = fixture_archive(&[("content/postmortems/out-of-order.md", ERROR_DOC)]);
    let output = hindsight(&["check"], archive.path());
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("error[E0011]"), "{text}");
    assert!(
        text.contains("content/postmortems/out-of-order.md:9:12"),
        "{text}"
    );
    assert!(text.contains("detected = 2020-05-01T09:00:00Z"), "{text}");
    assert!(text.contains("^^^^^^^^^^^^^^^^^^^^"), "{text}");
    assert!(text.contains("1 error, 0 warnings"), "{text}");
}

#[test]
fn a_listing_page_size_of_zero_is_refused_at_its_line() {
    let archive = fixture_archive(&[]);
    let config = archive.path().join("hindsight.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("paginate_by = 0\n{text}")).unwrap();
    let output = hindsight(&["check"], archive.path());
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("hindsight.toml:1:15"), "{text}");
    assert!(text.contains("1 or more"), "{text}");
}

#[test]
fn warnings_alone_exit_zero() {
    let archive = fixture_archive(&[("content/postmortems/unknown-tag.md", WARNING_DOC)]);
    let output = hindsight(&["check"], archive.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("0 errors, 1 warning"));
}

#[test]
fn files_limit_the_report_whether_relative_to_the_root_or_to_the_current_directory() {
    let archive = fixture_archive(&[
        ("content/postmortems/out-of-order.md", ERROR_DOC),
        ("content/postmortems/unknown-tag.md", WARNING_DOC),
    ]);
    let root = archive.path().to_str().unwrap();
    let parent = archive.path().parent().unwrap();
    let name = archive.path().file_name().unwrap().to_str().unwrap();

    // Relative to the root, run from elsewhere.
    let output = hindsight(
        &[
            "check",
            "--root",
            root,
            "--format",
            "json",
            "content/postmortems/unknown-tag.md",
        ],
        parent,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "the error is in another file"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["errors"], 0);
    assert_eq!(report["warnings"], 1);

    // Relative to the current directory.
    let in_cwd = format!("{name}/content/postmortems/out-of-order.md");
    let output = hindsight(
        &["check", "--root", name, "--format", "json", &in_cwd],
        parent,
    );
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["errors"], 1);
    assert_eq!(report["warnings"], 0);

    // A directory covers the files under it.
    let output = hindsight(
        &["check", "--format", "json", "content/postmortems"],
        archive.path(),
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        (report["errors"].clone(), report["warnings"].clone()),
        (1.into(), 1.into())
    );
}

#[test]
fn a_file_still_resolves_its_references_against_the_whole_archive() {
    let archive = fixture_archive(&[]);
    let text = WARNING_DOC.replace(
        "tags = [\"dsn\"]",
        "premortems = [\"launch#slow-database\"]\nrelated = [\"good-incident\"]",
    );
    write(archive.path(), "content/postmortems/refers.md", &text);
    let output = hindsight(&["check", "content/postmortems/refers.md"], archive.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("0 errors, 0 warnings"));
}

#[test]
fn a_file_that_does_not_exist_or_a_missing_root_exits_two() {
    let archive = fixture_archive(&[]);
    let output = hindsight(&["check", "content/postmortems/nope.md"], archive.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nope.md does not exist"),
        "{}",
        stderr(&output)
    );
    let output = hindsight(&["check", "--root", "no-such-dir"], archive.path());
    assert_eq!(output.status.code(), Some(2));
    let output = hindsight(&["check", "--format", "xml"], archive.path());
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn build_refuses_an_archive_with_rule_errors_and_shows_the_same_diagnostics_as_check() {
    let archive = fixture_archive(&[("content/postmortems/out-of-order.md", ERROR_DOC)]);
    let checked = stderr(&hindsight(&["check"], archive.path()));
    let diagnostics = checked.trim_end().rsplit_once('\n').unwrap().0;
    assert!(diagnostics.contains("error[E0011]"), "{checked}");
    let output = hindsight(&["build"], archive.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(diagnostics), "{}", stderr(&output));
    assert!(
        !archive.path().join("public").exists(),
        "nothing was written"
    );
}

#[test]
fn build_goes_ahead_with_warnings_and_shows_them() {
    let archive = fixture_archive(&[("content/postmortems/unknown-tag.md", WARNING_DOC)]);
    let output = hindsight(&["build"], archive.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("warning[W0002]"));
    assert!(
        archive
            .path()
            .join("public/postmortems/unknown-tag/index.html")
            .is_file()
    );
}

#[test]
fn without_a_catalogue_or_tag_list_any_service_and_tag_is_fine() {
    let archive = tempfile::tempdir().unwrap();
    write(
        archive.path(),
        "content/postmortems/free.md",
        &WARNING_DOC.replace("[\"api\"]", "[\"anything\"]"),
    );
    let output = hindsight(&["check"], archive.path());
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("0 errors, 0 warnings"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn check_and_build_measure_the_future_from_source_date_epoch_alike() {
    let archive = fixture_archive(&[("content/postmortems/unknown-tag.md", WARNING_DOC)]);
    // 2020-04-01: the postmortem (2020-05-02) and its incident are a month in the future.
    let at_epoch = |args: &[&str]| {
        built_site::hindsight_command()
            .args(args)
            .current_dir(archive.path())
            .env("SOURCE_DATE_EPOCH", "1585699200")
            .output()
            .expect("the binary runs")
    };
    let checked = at_epoch(&["check"]);
    assert_eq!(checked.status.code(), Some(1), "{}", stderr(&checked));
    assert!(
        stderr(&checked).contains("error[E0012]"),
        "{}",
        stderr(&checked)
    );
    let built = at_epoch(&["build"]);
    assert_eq!(built.status.code(), Some(1), "{}", stderr(&built));
    assert!(
        stderr(&built).contains("error[E0012]"),
        "{}",
        stderr(&built)
    );
    // Without it, the same archive is in the past for both.
    assert_eq!(hindsight(&["check"], archive.path()).status.code(), Some(0));
}

#[test]
fn today_and_a_minute_ago_are_not_in_the_future() {
    let archive = fixture_archive(&[]);
    let now = chrono::Utc::now();
    let text = ERROR_DOC
        .replace(
            "date = 2020-05-02",
            &format!("date = {}", now.format("%Y-%m-%d")),
        )
        .replace(
            "started = 2020-05-01T10:00:00Z\ndetected = 2020-05-01T09:00:00Z",
            &format!(
                "started = {}",
                (now - chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ")
            ),
        );
    write(archive.path(), "content/postmortems/just-now.md", &text);
    let output = hindsight(&["check"], archive.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("0 errors, 0 warnings"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_new_postmortem_and_premortem_check_with_warnings_at_most_in_the_example_archive() {
    let archive = tempfile::tempdir().unwrap();
    std::fs::copy(
        manifest_dir().join("hindsight.toml"),
        archive.path().join("hindsight.toml"),
    )
    .unwrap();
    let output = hindsight(
        &[
            "new",
            "postmortem",
            "Checkout 502s after a canary",
            "--service",
            "checkout-api",
            "--severity",
            "sev1",
        ],
        archive.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written = PathBuf::from(stdout(&output).trim());
    let today = chrono::Local::now().format("%Y-%m-%d");
    assert_eq!(
        written,
        Path::new(".").join(format!(
            "content/postmortems/{today}-checkout-502s-after-a-canary.md"
        ))
    );
    let text = std::fs::read_to_string(archive.path().join(&written)).unwrap();
    assert!(text.contains("title = \"Checkout 502s after a canary\""));
    assert!(text.contains("severity = \"sev1\""));
    assert!(text.contains("services = [\"checkout-api\"]"));
    for section in [
        "## Summary",
        "## Impact",
        "## Root causes",
        "## Trigger",
        "## Resolution",
        "## Detection",
        "## Action items",
        "## Lessons learned",
        "## Timeline",
        "## Supporting information",
    ] {
        assert!(text.contains(section), "{section} is in the template");
    }
    for commented in [
        "# [[actions]]",
        "# owner =",
        "# kind =",
        "# due =",
        "# resolved =",
        "# [extra]",
    ] {
        assert!(text.contains(commented), "{commented} is in the template");
    }

    let output = hindsight(
        &["new", "premortem", "Black Friday readiness"],
        archive.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(
        archive
            .path()
            .join("content/premortems/black-friday-readiness.md"),
    )
    .unwrap();
    assert!(text.contains("# [[risks]]") && text.contains("Assume the project has already failed"));

    let output = hindsight(&["check", "--format", "json"], archive.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["errors"], 0, "{report:#}");
}

#[test]
fn new_never_overwrites_a_file() {
    let archive = tempfile::tempdir().unwrap();
    let first = hindsight(&["new", "premortem", "Launch"], archive.path());
    assert_eq!(first.status.code(), Some(0));
    let path = archive.path().join("content/premortems/launch.md");
    std::fs::write(&path, "my work").unwrap();
    let second = hindsight(&["new", "premortem", "Launch"], archive.path());
    assert_eq!(second.status.code(), Some(1));
    assert!(stderr(&second).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "my work");
}

#[test]
fn new_refuses_a_severity_the_archive_does_not_have() {
    let archive = tempfile::tempdir().unwrap();
    let output = hindsight(
        &["new", "postmortem", "X", "--severity", "sev9"],
        archive.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`sev9` is not a severity"));
    assert!(!archive.path().join("content").exists());
}

#[test]
fn an_archive_template_replaces_the_default_and_does_not_disturb_the_build() {
    let archive = tempfile::tempdir().unwrap();
    write(
        archive.path(),
        "templates/new/postmortem.md",
        "+++\ntitle = {{ title_toml }}\ndate = {{ date }}\nseverity = \"{{ severity }}\"\nservices = {{ services_toml }}\nstatus = \"draft\"\n\n[incident]\nstarted = {{ now }}\n+++\n\n## Our own sections\n",
    );
    let output = hindsight(
        &["new", "postmortem", "Ours", "--service", "api"],
        archive.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written = archive.path().join(stdout(&output).trim());
    let text = std::fs::read_to_string(written).unwrap();
    assert!(text.contains("## Our own sections"), "{text}");
    assert!(text.contains("severity = \"sev4\""), "{text}");

    let output = hindsight(&["build", "--drafts"], archive.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let theme = hindsight::theme::load(archive.path(), None).unwrap_or_else(|_| panic!());
    assert!(
        !theme
            .templates
            .get_template_names()
            .any(|n| n.starts_with("new/")),
        "templates/new/ is for `hindsight new`, not a page template"
    );
}

#[test]
fn every_diagnostic_code_is_documented_in_the_table() {
    let docs = std::fs::read_to_string(manifest_dir().join("docs/diagnostics.md")).unwrap();
    for code in hindsight::diagnostic::Code::ALL {
        let row = format!("| {} | {} | ", code.code(), code.name());
        assert!(
            docs.contains(&row),
            "docs/diagnostics.md has no row for {row}"
        );
    }
}

#[test]
fn a_premortem_reference_without_a_slug_or_a_risk_around_its_hash_is_an_error_at_its_line() {
    let archive = fixture_archive(&[]);
    let text = WARNING_DOC.replace(
        "tags = [\"dsn\"]",
        "premortems = [\n  \"launch#\",\n  \"#slow-database\",\n  \"launch#slow-database\",\n]",
    );
    write(archive.path(), "content/postmortems/refers.md", &text);
    let output = hindsight(
        &["check", "--format", "json", "content/postmortems/refers.md"],
        archive.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let found: Vec<(String, u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "E0016".to_string(),
                7,
                "`launch#` names no risk after `#`".to_string()
            ),
            (
                "E0015".to_string(),
                8,
                "`#slow-database` names no premortem before `#`".to_string()
            ),
        ],
        "{report:#}"
    );
}
