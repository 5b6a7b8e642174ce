//! From nothing to a checked, built archive: `hindsight init` as a new user runs it, the check
//! workflow it writes run against a pull request, the setup action installing a release, and
//! the refusals a folder that is not an archive gets.

mod built_site;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every entry under `dir`, relative to it, sorted.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            e.expect("readable")
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_path_buf()
        })
        .collect();
    found.sort();
    found
}

/// A new archive made by `hindsight init` in an empty folder.
fn new_archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let init = hindsight(&["init", "archive"], dir.path());
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    dir
}

#[test]
fn from_an_empty_folder_init_check_and_a_public_build_succeed_with_nothing_to_fix() {
    let dir = new_archive();
    let archive = dir.path().join("archive");

    let check = hindsight(&["check"], &archive);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        stderr(&check).contains("0 errors, 0 warnings"),
        "{}",
        stderr(&check)
    );

    let build = hindsight(
        &[
            "build",
            "--edition",
            "public",
            "--base-url",
            "https://example.org/",
        ],
        &archive,
    );
    assert_eq!(build.status.code(), Some(0), "{}", stderr(&build));
    assert!(!stderr(&build).contains("warning"), "{}", stderr(&build));

    // The example postmortem and the premortem it proved right link to each other.
    let site = archive.join("public");
    let postmortem = read(&site.join("postmortems/2024-03-12-checkout-launch-errors/index.html"));
    assert!(postmortem.contains("Checkout errors on launch day"));
    assert!(
        postmortem.contains("/premortems/checkout-launch/#risk-traffic-spike"),
        "the postmortem links to the risk it realized"
    );
    let premortem = read(&site.join("premortems/checkout-launch/index.html"));
    assert!(premortem.contains("Checkout launch premortem"));
    assert!(
        premortem.contains("/postmortems/2024-03-12-checkout-launch-errors/"),
        "the premortem's risk links to the incident that proved it right"
    );
    // Links are made from the base URL given, not from this machine's address.
    let sitemap = read(&site.join("sitemap.xml"));
    assert!(
        sitemap.contains("https://example.org/postmortems/"),
        "{sitemap}"
    );
    assert!(!sitemap.contains("127.0.0.1"), "{sitemap}");

    let new = hindsight(&["new", "postmortem", "Cache stampede"], &archive);
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
}

#[test]
fn init_never_overwrites_and_says_what_it_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hindsight.toml"), "title = \"Ours\"\n").unwrap();
    std::fs::write(dir.path().join(".gitignore"), "/target/\n").unwrap();

    let init = hindsight(&["init"], dir.path());
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let said = stderr(&init);
    assert!(said.contains("skipped hindsight.toml"), "{said}");
    assert!(said.contains("skipped .gitignore"), "{said}");
    assert!(
        said.contains("created .github/workflows/check.yml"),
        "{said}"
    );
    assert_eq!(
        read(&dir.path().join("hindsight.toml")),
        "title = \"Ours\"\n"
    );
    assert_eq!(read(&dir.path().join(".gitignore")), "/target/\n");
    assert!(dir.path().join("netlify.toml").is_file());
    assert!(
        dir.path()
            .join("content/premortems/checkout-launch.md")
            .is_file()
    );

    // A second run finds everything in place and changes nothing.
    let before: Vec<(PathBuf, Vec<u8>)> = entries(dir.path())
        .into_iter()
        .filter(|p| dir.path().join(p).is_file())
        .map(|p| {
            let bytes = std::fs::read(dir.path().join(&p)).unwrap();
            (p, bytes)
        })
        .collect();
    let again = hindsight(&["init"], dir.path());
    assert_eq!(again.status.code(), Some(0));
    assert!(!stderr(&again).contains("created"), "{}", stderr(&again));
    for (path, bytes) in before {
        assert_eq!(
            std::fs::read(dir.path().join(&path)).unwrap(),
            bytes,
            "{path:?}"
        );
    }
}

#[test]
fn a_bare_archive_has_no_examples_and_still_checks_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let init = hindsight(&["init", "--bare", "archive"], dir.path());
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let archive = dir.path().join("archive");
    assert!(archive.join("content/postmortems").is_dir());
    assert_eq!(
        entries(&archive.join("content")),
        [PathBuf::from("postmortems"), PathBuf::from("premortems")]
    );
    let check = hindsight(&["check"], &archive);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let build = hindsight(&["build"], &archive);
    assert_eq!(build.status.code(), Some(0), "{}", stderr(&build));
}

#[test]
fn check_build_and_serve_refuse_a_folder_that_is_not_an_archive_and_leave_it_empty() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["check"],
        vec!["build"],
        vec![
            "build",
            "--edition",
            "public",
            "--base-url",
            "https://example.org/",
        ],
        vec!["serve", "--port", "0"],
    ] {
        let output = hindsight(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let said = stderr(&output);
        assert!(
            said.contains("is not a hindsight archive"),
            "{args:?}: {said}"
        );
        assert!(said.contains("hindsight init"), "{args:?}: {said}");
        assert_eq!(
            entries(dir.path()),
            Vec::<PathBuf>::new(),
            "{args:?} left files behind"
        );
    }
    // The same through --root from elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let output = hindsight(&["build", "--root", root], elsewhere.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(entries(dir.path()), Vec::<PathBuf>::new());
    assert_eq!(entries(elsewhere.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_public_build_without_a_base_url_is_refused_and_says_how_to_set_one() {
    let dir = new_archive();
    let archive = dir.path().join("archive");
    let build = hindsight(&["build", "--edition", "public"], &archive);
    assert_eq!(build.status.code(), Some(1), "{}", stderr(&build));
    let said = stderr(&build);
    assert!(said.contains("public build needs"), "{said}");
    assert!(said.contains("--base-url"), "{said}");
    assert!(said.contains("$URL"), "Netlify's variable is named: {said}");
    assert!(!archive.join("public").exists(), "nothing was written");

    // An internal build links to this machine, as before.
    let internal = hindsight(&["build"], &archive);
    assert_eq!(internal.status.code(), Some(0), "{}", stderr(&internal));
    assert!(read(&archive.join("public/sitemap.xml")).contains("http://127.0.0.1:1111/"));
}

#[test]
fn a_base_url_that_is_not_an_absolute_web_address_is_refused_with_its_line() {
    let dir = new_archive();
    let archive = dir.path().join("archive");
    for bad in ["//evil.example/", "example.org", "https://example.org//x/"] {
        let build = hindsight(
            &["build", "--edition", "public", "--base-url", bad],
            &archive,
        );
        assert_eq!(build.status.code(), Some(2), "{bad}: {}", stderr(&build));
        assert!(stderr(&build).contains("--base-url"), "{}", stderr(&build));
    }
    let config = archive.join("hindsight.toml");
    let text = read(&config).replace(
        "title = \"Postmortems\"",
        "title = \"Postmortems\"\nbase_url = \"ftp://example.org/\"",
    );
    std::fs::write(&config, text).unwrap();
    let check = hindsight(&["check"], &archive);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let said = stderr(&check);
    assert!(said.contains("hindsight.toml"), "{said}");
    assert!(said.contains("not an http or https URL"), "{said}");
    assert!(
        said.contains("base_url = \"ftp://example.org/\""),
        "the line is shown: {said}"
    );
}

/// The `run:` script of the step named `step` in a workflow, and its `env:` values.
fn workflow_step(workflow: &str, step: &str) -> (String, Vec<(String, String)>) {
    let lines: Vec<&str> = workflow.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("- name: {step}"))
        .unwrap_or_else(|| panic!("no step named {step}"));
    let indent = |line: &str| line.len() - line.trim_start().len();
    let step_indent = indent(lines[start]) + 2;
    let mut script = String::new();
    let mut env = Vec::new();
    let mut i = start + 1;
    while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) >= step_indent) {
        let line = lines[i];
        if line.trim() == "env:" {
            while i + 1 < lines.len() && indent(lines[i + 1]) > step_indent {
                i += 1;
                let (key, value) = lines[i].trim().split_once(": ").expect("key: value");
                env.push((key.to_string(), value.to_string()));
            }
        } else if let Some(command) = line.trim().strip_prefix("run: ").filter(|c| *c != "|") {
            script.push_str(command);
            script.push('\n');
        } else if line.trim() == "run: |" {
            while i + 1 < lines.len()
                && (lines[i + 1].trim().is_empty() || indent(lines[i + 1]) > step_indent)
            {
                i += 1;
                script.push_str(lines[i].get(step_indent + 2..).unwrap_or(""));
                script.push('\n');
            }
        }
        i += 1;
    }
    assert!(!script.is_empty(), "the step {step} has a script");
    (script, env)
}

fn git(args: &[&str], cwd: &Path) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Writer",
            "-c",
            "user.email=writer@example.org",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", stderr(&output));
    stdout(&output).trim().to_string()
}

/// Runs the check workflow's script as GitHub Actions does, on a pull request from the
/// current branch into `base`.
fn run_check_step(archive: &Path, script: &str, base: &str) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_hindsight")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .env("PATH", path)
        .env("XDG_CACHE_HOME", built_site::cache_home())
        .env("BASE", base)
        .current_dir(archive)
        .output()
        .expect("bash runs")
}

#[test]
fn the_check_workflow_passes_a_pull_request_with_warnings_and_fails_one_with_an_error() {
    let dir = new_archive();
    let archive = dir.path().join("archive");
    let workflow = read(&archive.join(".github/workflows/check.yml"));
    let (script, env) = workflow_step(&workflow, "Check the changed documents");
    assert_eq!(
        env,
        [(
            "BASE".to_string(),
            "${{ github.event.pull_request.base.sha }}".to_string()
        )],
        "the script is given the pull request's base"
    );
    assert!(workflow.contains(&format!("version: \"{}\"", env!("CARGO_PKG_VERSION"))));

    git(&["init", "-q"], &archive);
    git(&["add", "."], &archive);
    git(&["commit", "-q", "-m", "A new archive"], &archive);
    let base = git(&["rev-parse", "HEAD"], &archive);
    git(&["checkout", "-q", "-b", "new-postmortem"], &archive);

    // A pull request touching nothing the check reads passes.
    std::fs::write(archive.join("README.md"), "Our postmortems.\n").unwrap();
    git(&["add", "."], &archive);
    git(&["commit", "-q", "-m", "A readme"], &archive);
    let quiet = run_check_step(&archive, &script, &base);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(stdout(&quiet).contains("No document changed"));

    // A new postmortem whose prose blames someone draws a warning, and the check passes.
    let new = hindsight(&["new", "postmortem", "Cache stampede"], &archive);
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    let new_file = archive.join(stdout(&new).trim());
    let text = read(&new_file) + "\nThe cache was flushed by human error.\n";
    std::fs::write(&new_file, text).unwrap();
    git(&["add", "."], &archive);
    git(
        &["commit", "-q", "-m", "Start the cache stampede postmortem"],
        &archive,
    );
    let warned = run_check_step(&archive, &script, &base);
    assert_eq!(
        warned.status.code(),
        Some(0),
        "{}{}",
        stdout(&warned),
        stderr(&warned)
    );
    assert!(
        stdout(&warned).contains("::warning file="),
        "{}",
        stdout(&warned)
    );
    assert!(!stdout(&warned).contains("::error"), "{}", stdout(&warned));

    // A severity the archive does not have is an error, shown on its line, and fails it.
    let text = read(&new_file).replacen("severity = \"sev4\"", "severity = \"sev9\"", 1);
    assert!(
        text.contains("sev9"),
        "the new postmortem names its severity"
    );
    std::fs::write(&new_file, text).unwrap();
    git(
        &["commit", "-q", "-am", "A severity that does not exist"],
        &archive,
    );
    let failed = run_check_step(&archive, &script, &base);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}{}",
        stdout(&failed),
        stderr(&failed)
    );
    assert!(
        stdout(&failed).contains("::error file=content/postmortems/"),
        "{}",
        stdout(&failed)
    );

    // A change to the configuration checks every document, unchanged ones included.
    git(&["checkout", "-q", "-b", "config", &base], &archive);
    let config = archive.join("hindsight.toml");
    let text = read(&config).replacen(
        "[[severities]]\nid = \"sev2\"",
        "[[severities]]\nid = \"major\"",
        1,
    );
    std::fs::write(&config, text).unwrap();
    git(&["commit", "-q", "-am", "Rename a severity"], &archive);
    let everything = run_check_step(&archive, &script, &base);
    assert_eq!(everything.status.code(), Some(1), "{}", stdout(&everything));
    assert!(
        stdout(&everything).contains("checkout-launch-errors.md"),
        "the unchanged example that uses sev2 is checked: {}",
        stdout(&everything)
    );
}

/// The release target of this machine, as the release workflow names its archives.
fn this_target() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "aarch64" => ("ARM64", "aarch64-unknown-linux-musl"),
        _ => ("X64", "x86_64-unknown-linux-musl"),
    }
}

#[test]
fn the_setup_action_installs_a_release_archive_from_a_local_folder() {
    if !cfg!(target_os = "linux") {
        return; // the archives made here are Linux ones
    }
    let action = read(&manifest_dir().join("action.yml"));
    assert!(action.contains("run: bash \"$GITHUB_ACTION_PATH/.ci/install-release.sh\""));
    assert!(action.contains("HINDSIGHT_ARCHIVES: ${{ inputs.archives }}"));

    let work = tempfile::tempdir().unwrap();
    let archives = work.path().join("archives");
    std::fs::create_dir(&archives).unwrap();
    let (runner_arch, target) = this_target();
    let archive_name = format!("hindsight-{target}.tar.gz");
    let binary = Path::new(env!("CARGO_BIN_EXE_hindsight"));
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(archives.join(&archive_name))
        .arg("-C")
        .arg(binary.parent().unwrap())
        .arg("hindsight")
        .status()
        .unwrap();
    assert!(tar.success());
    let sum = Command::new("sha256sum")
        .arg(&archive_name)
        .current_dir(&archives)
        .output()
        .unwrap();
    std::fs::write(archives.join(format!("{archive_name}.sha256")), &sum.stdout).unwrap();

    let install = |install_dir: &Path| {
        let github_path = work.path().join("github_path");
        let output = Command::new("bash")
            .arg(manifest_dir().join(".ci/install-release.sh"))
            .env("HINDSIGHT_VERSION", env!("CARGO_PKG_VERSION"))
            .env("HINDSIGHT_ARCHIVES", &archives)
            .env("HINDSIGHT_INSTALL_DIR", install_dir)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", runner_arch)
            .env("GITHUB_PATH", &github_path)
            .env_remove("GITHUB_OUTPUT")
            .output()
            .unwrap();
        (
            output,
            std::fs::read_to_string(github_path).unwrap_or_default(),
        )
    };
    let install_dir = work.path().join("tools/hindsight");
    let (output, github_path) = install(&install_dir);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        format!("hindsight {}", env!("CARGO_PKG_VERSION")),
        "the installed binary runs"
    );
    assert_eq!(github_path.trim(), install_dir.to_str().unwrap());
    let installed = Command::new(install_dir.join("hindsight"))
        .env("XDG_CACHE_HOME", built_site::cache_home())
        .arg("--version")
        .output()
        .unwrap();
    assert!(stdout(&installed).starts_with("hindsight "));

    // An archive that is not the one its sum names is refused, and nothing is installed.
    std::fs::write(
        archives.join(format!("{archive_name}.sha256")),
        format!("{}  {archive_name}\n", "0".repeat(64)),
    )
    .unwrap();
    let tampered_dir = work.path().join("tools/tampered");
    let (tampered, _) = install(&tampered_dir);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        stderr(&tampered).contains("does not match its SHA-256 sum"),
        "{}",
        stderr(&tampered)
    );
    assert!(!tampered_dir.join("hindsight").exists());
}

#[test]
fn the_configuration_reference_lists_every_key_the_types_accept() {
    let path = manifest_dir().join("docs/guide/configuration.md");
    let text = read(&path);
    let begin = "<!-- keys: begin (made from src/config_reference.rs) -->\n";
    let end = "<!-- keys: end -->";
    let (before, rest) = text
        .split_once(begin)
        .expect("the reference has its markers");
    let (table, after) = rest
        .split_once(end)
        .expect("the reference has its end marker");
    let expected = hindsight::config_reference::markdown_table();
    if table != expected && std::env::var_os("HINDSIGHT_UPDATE_REFERENCE").is_some() {
        std::fs::write(&path, format!("{before}{begin}{expected}{end}{after}")).unwrap();
        return;
    }
    assert_eq!(
        table, expected,
        "docs/guide/configuration.md is behind the configuration types; run \
         `HINDSIGHT_UPDATE_REFERENCE=1 cargo test --test init` to bring it up to date"
    );
    // Each key the types accept has its row.
    for key in hindsight::config_reference::accepted_keys() {
        assert!(table.contains(&format!("| `{key}` |")), "{key} has no row");
    }
}

#[test]
fn the_netlify_recipe_builds_the_public_edition_at_netlifys_address() {
    if !cfg!(target_os = "linux") {
        return; // the recipe downloads the Linux release
    }
    let dir = new_archive();
    let archive = dir.path().join("archive");
    let recipe: toml::Table = read(&archive.join("netlify.toml"))
        .parse()
        .expect("valid TOML");
    let command = |context: Option<&str>| -> String {
        let table = match context {
            None => &recipe["build"],
            Some(context) => &recipe["context"][context],
        };
        table["command"].as_str().expect("a command").to_string()
    };
    assert_eq!(recipe["build"]["publish"].as_str(), Some("public"));

    // Netlify's image downloads the release archive; here `curl` hands over one made from
    // this build, after checking it was asked for the archive the release workflow makes.
    let (_, target) = this_target();
    let fake_bin = dir.path().join("bin");
    std::fs::create_dir(&fake_bin).unwrap();
    let release = dir.path().join("release.tar.gz");
    let binary = Path::new(env!("CARGO_BIN_EXE_hindsight"));
    assert!(
        Command::new("tar")
            .arg("-czf")
            .arg(&release)
            .arg("-C")
            .arg(binary.parent().unwrap())
            .arg("hindsight")
            .status()
            .unwrap()
            .success()
    );
    let curl = fake_bin.join("curl");
    std::fs::write(
        &curl,
        format!(
            "#!/bin/sh\ncase \"$*\" in *releases/download/v{}/hindsight-{target}.tar.gz) cat '{}' ;; *) echo \"unexpected download: $*\" >&2; exit 22 ;; esac\n",
            env!("CARGO_PKG_VERSION"),
            release.display()
        ),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&curl).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&curl, permissions).unwrap();
    let path = std::env::join_paths(std::iter::once(fake_bin.clone()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();

    for (context, url) in [
        (None, "https://postmortems.netlify.app"),
        (
            Some("deploy-preview"),
            "https://deploy-preview-7--postmortems.netlify.app",
        ),
    ] {
        let output = Command::new("sh")
            .args(["-c", &command(context)])
            .env("PATH", &path)
            .env("XDG_CACHE_HOME", built_site::cache_home())
            .env("URL", "https://postmortems.netlify.app")
            .env(
                "DEPLOY_PRIME_URL",
                "https://deploy-preview-7--postmortems.netlify.app",
            )
            .current_dir(&archive)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{context:?}: {}",
            stderr(&output)
        );
        let sitemap = read(&archive.join("public/sitemap.xml"));
        assert!(
            sitemap.contains(&format!("{url}/postmortems/")),
            "{context:?}: {sitemap}"
        );
    }
}

#[test]
fn the_release_workflow_makes_every_archive_the_setup_action_installs() {
    let release = read(&manifest_dir().join(".github/workflows/release.yml"));
    let install = read(&manifest_dir().join(".ci/install-release.sh"));
    let installed: Vec<&str> = install
        .lines()
        .filter_map(|line| line.split_once(") target=")?.1.split_whitespace().next())
        .collect();
    assert!(installed.len() >= 5, "{installed:?}");
    for target in installed {
        assert!(
            release.contains(&format!("- target: {target}\n")),
            "the setup action installs {target}, which the release workflow does not build"
        );
    }
    // The recipes init writes download the archive of Netlify's Linux image.
    let dir = new_archive();
    let netlify = read(&dir.path().join("archive/netlify.toml"));
    assert!(netlify.contains("/hindsight-x86_64-unknown-linux-musl.tar.gz"));
}

#[test]
fn the_pages_workflow_builds_the_public_edition_at_the_pages_address() {
    let dir = new_archive();
    let archive = dir.path().join("archive");
    let workflow = read(&archive.join(".github/workflows/deploy.yml"));
    let (script, env) = workflow_step(&workflow, "Build the public edition");
    assert_eq!(
        env,
        [
            (
                "BASE_URL".to_string(),
                "${{ steps.pages.outputs.base_url }}/".to_string()
            ),
            // The kept cache is sealed: a new runner needs the key to use it.
            (
                "HINDSIGHT_CACHE_KEY".to_string(),
                "${{ secrets.HINDSIGHT_CACHE_KEY }}".to_string()
            )
        ]
    );
    assert!(
        workflow.contains("path: .hindsight-cache"),
        "the cache is kept"
    );
    assert!(
        workflow.contains("path: public"),
        "the built site is what is published"
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_hindsight")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .env("PATH", path)
        .env("XDG_CACHE_HOME", built_site::cache_home())
        .env("BASE_URL", "https://acme.github.io/postmortems/")
        .current_dir(&archive)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page =
        read(&archive.join("public/postmortems/2024-03-12-checkout-launch-errors/index.html"));
    assert!(
        page.contains("href=\"/postmortems/premortems/checkout-launch/"),
        "links carry the repository's path on github.io"
    );
    assert!(
        archive.join(".hindsight-cache").is_dir(),
        "there is a cache to keep"
    );
}
