//! `hindsight serve`, end to end: the real binary on a free port, against a temporary copy of
//! tests/fixtures/serve, talked to over plain TCP (so request paths go out exactly as
//! written, `..` and all). Every wait polls with a deadline; none sleeps a fixed time.

mod built_site;
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::browser::Browser;
use hindsight::pipeline::Context;
use hindsight::serve::{Changes, Files, Session};

/// How long anything may take before a test gives up (generous: CI machines are slow).
const PATIENCE: Duration = Duration::from_secs(60);

/// A copy of a fixture archive in a fresh temporary directory, removed on drop.
struct TempArchive {
    dir: PathBuf,
}

impl TempArchive {
    fn new() -> TempArchive {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hindsight-serve-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/serve");
        built_site::copy_tree(&fixture, &dir.join("archive"));
        TempArchive { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.join("archive")
    }

    fn postmortem(&self, slug: &str) -> PathBuf {
        self.root()
            .join("content/postmortems")
            .join(format!("{slug}.md"))
    }

    /// Rewrites a file through a temporary file and a rename, as many editors save.
    fn edit(&self, path: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{} has no {from:?}", path.display());
        let temporary = path.with_extension("md.tmp");
        std::fs::write(&temporary, text.replacen(from, to, 1)).unwrap();
        std::fs::rename(&temporary, path).unwrap();
    }
}

impl Drop for TempArchive {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `hindsight serve`, killed on drop if a test did not stop it.
struct Server {
    child: Child,
    address: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `serve` on a free port (the system's choice unless `extra` names one).
    fn start(root: &Path, extra: &[&str]) -> Server {
        Server::start_with(root, extra, &[])
    }

    /// [`Server::start`], with `env` added to the server's environment.
    fn start_with(root: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let port: &[&str] = if extra.contains(&"--port") {
            &[]
        } else {
            &["--port", "0"]
        };
        let mut child = built_site::hindsight_command()
            .arg("serve")
            .arg("--root")
            .arg(root)
            .args(port)
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let stderr = Arc::clone(&stderr);
            let pipe = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut all = stderr.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        let lines = lines_of(child.stdout.take().unwrap());
        let deadline = Instant::now() + PATIENCE;
        let address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!("serve printed no URL; stderr:\n{}", stderr.lock().unwrap())
            });
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                break url
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string();
            }
        };
        Server {
            child,
            address,
            stderr,
        }
    }

    fn get(&self, target: &str) -> Response {
        request(&self.address, "GET", target)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Opens the live-reload stream, as the script in the page at `page` served at
    /// `generation` does.
    fn events(&self, page: &str, generation: u64) -> Receiver<String> {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        let page = page.replace('/', "%2F");
        write!(
            stream,
            "GET /__hindsight/events?since={generation}&page={page} HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.address
        )
        .unwrap();
        lines_of(stream)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

struct Response {
    status: u16,
    head: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// The generation the page was served at, from its reload script.
    fn generation(&self) -> u64 {
        let at = self
            .body
            .find("events?since=")
            .expect("the page has the reload script");
        self.body[at + "events?since=".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    }
}

/// Sends one request exactly as written and reads the whole answer.
fn request(address: &str, method: &str, target: &str) -> Response {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    Response {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// Polls `check` until it gives a value, failing after [`PATIENCE`] with `what`.
fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn an_edited_postmortem_is_served_anew_and_open_pages_are_told_to_reload() {
    let archive = TempArchive::new();
    let server = Server::start(&archive.root(), &[]);
    let page = server.get("/postmortems/queue-backlog/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Queue backlog delayed notifications"));
    // Links lead to the preview server, not to the base_url's /archive path.
    assert!(
        page.body.contains("href=\"/postmortems/\""),
        "{}",
        page.body
    );
    let events = server.events("/postmortems/queue-backlog/", page.generation());
    let listing = server.get("/postmortems/");
    let listing_events = server.events("/postmortems/", listing.generation());

    archive.edit(
        &archive.postmortem("queue-backlog"),
        "title = \"Queue backlog delayed notifications\"",
        "title = \"Queue backlog delayed every notification\"",
    );
    let new_title = "Queue backlog delayed every notification";
    wait_for_reload(&events);
    let page = server.get("/postmortems/queue-backlog/");
    assert!(page.body.contains(new_title));
    // The listing open in another tab reloads once it is rendered again, after the page.
    wait_for_reload(&listing_events);
    assert!(server.get("/postmortems/").body.contains(new_title));
    // The related postmortem and the premortem show the new title too.
    for neighbour in ["/postmortems/queue-consumer-crash/", "/premortems/launch/"] {
        assert!(
            server.get(neighbour).body.contains(new_title),
            "{neighbour}"
        );
    }
}

/// Waits for a `reload` event on a live-reload stream.
fn wait_for_reload(events: &Receiver<String>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let line = events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("a reload event arrives");
        if line == "event: reload" {
            return;
        }
    }
}

#[test]
fn a_broken_file_shows_its_errors_over_the_last_good_site_until_it_is_fixed() {
    let archive = TempArchive::new();
    let server = Server::start(&archive.root(), &[]);
    let path = archive.postmortem("login-latency");
    archive.edit(&path, "severity = \"sev4\"", "severty = \"<sev4>\"");

    let page = eventually("the error overlay", || {
        let page = server.get("/postmortems/login-latency/");
        page.body.contains("hindsight-errors").then_some(page)
    });
    assert_eq!(page.status, 200);
    // The last good page is still there, under the overlay.
    assert!(
        page.body
            .contains("Slow logins after a certificate rotation")
    );
    assert!(page.body.contains("unknown field `severty`"));
    assert!(page.body.contains("did you mean `severity`?"));
    assert!(page.body.contains("content/postmortems/login-latency.md:"));
    // Text from the file is escaped.
    assert!(page.body.contains("&lt;sev4&gt;"));
    assert!(!page.body.contains("<sev4>"));
    // Other pages carry the overlay too, and the terminal has the diagnostic.
    assert!(server.get("/").body.contains("hindsight-errors"));
    eventually("the diagnostic in the terminal", || {
        server.stderr().contains("E0007").then_some(())
    });

    archive.edit(&path, "severty = \"<sev4>\"", "severity = \"sev3\"");
    let page = eventually("the overlay to clear", || {
        let page = server.get("/postmortems/login-latency/");
        (!page.body.contains("hindsight-errors")).then_some(page)
    });
    assert!(page.body.contains("SEV-3") || page.body.contains("sev3"));
}

#[test]
fn serve_reports_what_check_refuses_and_warns_about() {
    let archive = TempArchive::new();
    let server = Server::start(&archive.root(), &[]);
    let path = archive.postmortem("login-latency");
    // Detected before it started: `check` and `build` refuse this (E0011).
    archive.edit(
        &path,
        "started = 2022-11-18T14:00:00Z",
        "started = 2022-11-18T14:00:00Z\ndetected = 2022-11-18T13:00:00Z",
    );
    let page = eventually("the error overlay", || {
        let page = server.get("/postmortems/login-latency/");
        page.body.contains("hindsight-errors").then_some(page)
    });
    assert!(page.body.contains("E0011"), "the overlay names the rule");
    assert!(page.body.contains("content/postmortems/login-latency.md:"));

    // Fixed, with blaming words in the summary: the page is served, and the terminal says
    // W0009 as `check` does.
    archive.edit(&path, "\ndetected = 2022-11-18T13:00:00Z", "");
    archive.edit(
        &path,
        "Logins took ten seconds for an hour.",
        "Logins took ten seconds for an hour because of human error.",
    );
    let page = eventually("the overlay to clear", || {
        let page = server.get("/postmortems/login-latency/");
        (!page.body.contains("hindsight-errors")).then_some(page)
    });
    assert!(page.body.contains("because of human error"));
    eventually("the warning in the terminal", || {
        server.stderr().contains("W0009").then_some(())
    });

    // An internal marker in the summary: front matter is published as written (E0029).
    archive.edit(
        &path,
        "because of human error.",
        "because of human error. <!-- internal --> The token leaked.",
    );
    let page = eventually("the error overlay for the marker", || {
        let page = server.get("/postmortems/login-latency/");
        page.body.contains("hindsight-errors").then_some(page)
    });
    assert!(page.body.contains("E0029"), "the overlay names the rule");
    assert!(page.body.contains("content/postmortems/login-latency.md:4"));
}

#[test]
fn drafts_are_shown_with_a_draft_badge() {
    let archive = TempArchive::new();
    archive.edit(
        &archive.postmortem("login-latency"),
        "status = \"published\"",
        "status = \"draft\"",
    );
    let server = Server::start(&archive.root(), &[]);
    let page = server.get("/postmortems/login-latency/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("badge-draft"));
}

#[test]
fn pages_and_assets_are_served_with_their_content_types_and_unknown_paths_get_the_404_page() {
    let archive = TempArchive::new();
    let server = Server::start(&archive.root(), &[]);

    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let css = server.get("/style.css");
    assert_eq!(css.status, 200);
    assert_eq!(
        css.header("content-type").as_deref(),
        Some("text/css; charset=utf-8")
    );
    assert!(
        !css.body.contains("EventSource"),
        "only HTML gets the reload script"
    );

    let head = request(&server.address, "HEAD", "/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(home.body.len().to_string())
    );

    let redirect = server.get("/postmortems/queue-backlog");
    assert_eq!(redirect.status, 301);
    assert_eq!(
        redirect.header("location").as_deref(),
        Some("/postmortems/queue-backlog/")
    );

    let missing = server.get("/postmortems/no-such-incident/");
    assert_eq!(missing.status, 404);
    let site_404 = server.get("/404.html");
    assert!(missing.body.starts_with(&site_404.body[..200]));

    assert_eq!(request(&server.address, "POST", "/").status, 405);
}

#[test]
fn no_request_path_reads_a_file_outside_the_site() {
    let archive = TempArchive::new();
    let secret = archive.dir.join("secret.txt");
    std::fs::write(&secret, "the secret marker").unwrap();
    let server = Server::start(&archive.root(), &[]);
    let absolute = secret.display().to_string();
    let targets = [
        "/../secret.txt".to_string(),
        "/../../secret.txt".to_string(),
        "/postmortems/../../secret.txt".to_string(),
        "/%2e%2e/secret.txt".to_string(),
        "/%2E%2E/%2e%2e/secret.txt".to_string(),
        "/..%2fsecret.txt".to_string(),
        "/%2e%2e%2fsecret.txt".to_string(),
        "/postmortems%2f..%2f..%2fsecret.txt".to_string(),
        "/..%5csecret.txt".to_string(),
        absolute.clone(),
        format!("/{absolute}"),
        format!("http://{}/../secret.txt", server.address),
        "/secret.txt%00.html".to_string(),
        "/%00".to_string(),
        "//etc/passwd".to_string(),
        // The archive's own sources are not part of the site either.
        "/hindsight.toml".to_string(),
        "/content/postmortems/queue-backlog.md".to_string(),
        "//postmortems".to_string(),
    ];
    for target in &targets {
        let response = server.get(target);
        assert!(
            matches!(response.status, 400 | 404 | 301),
            "{target}: {}",
            response.status
        );
        assert!(!response.body.contains("the secret marker"), "{target}");
        assert!(!response.body.contains("root:"), "{target}");
        assert!(
            !response.body.contains("title = \"Serve fixture\""),
            "{target}"
        );
        if let Some(location) = response.header("location") {
            // A redirect stays on this server: `//host` would leave it.
            assert!(
                location.starts_with('/') && !location.starts_with("//"),
                "{target}"
            );
        }
    }
}

#[test]
fn a_taken_port_moves_the_server_to_the_next_free_one() {
    let archive = TempArchive::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = Server::start(&archive.root(), &["--port", &port.to_string()]);
    let (host, served_port) = server.address.rsplit_once(':').unwrap();
    assert_eq!(host, "127.0.0.1");
    assert!(served_port.parse::<u16>().unwrap() > port);
    assert_eq!(server.get("/").status, 200);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_with_exit_code_zero() {
    let archive = TempArchive::new();
    let mut server = Server::start(&archive.root(), &[]);
    assert_eq!(server.get("/").status, 200);
    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = eventually("the server to exit", || server.child.try_wait().unwrap());
    assert_eq!(exit.code(), Some(0), "stderr:\n{}", server.stderr());
    // Nothing was written into the archive.
    assert!(!archive.root().join("public").exists());
}

/// A preview of the archive, as `serve` makes it, without the server.
fn preview(archive: &TempArchive, edition: Option<hindsight::config::Edition>) -> Session {
    hindsight::seal::use_process_key();
    Session::new(Context {
        edition,
        base_url: Some("http://127.0.0.1:1111".into()),
        drafts: true,
        ..Context::new(archive.root())
    })
    .unwrap()
}

/// Both steps of a rebuild, as `serve` takes them: the site once complete.
fn rebuilt(preview: &mut Session, changes: Changes) -> Arc<Files> {
    let served_first = preview.rebuild(changes).unwrap().files.unwrap();
    match preview.finish(|| false) {
        Some(finished) => finished.unwrap().files,
        None => served_first,
    }
}

/// What the watcher reports when a postmortem is saved.
fn saved(archive: &TempArchive, slug: &str) -> Changes {
    let mut changes = Changes::default();
    changes.add(
        &archive.root(),
        Path::new(&format!("content/postmortems/{slug}.md")),
    );
    changes
}

/// What `check` says of the archive: code, file and line of each finding.
fn check_findings(root: &Path) -> Vec<(String, PathBuf, usize)> {
    let (_, diagnostics) = hindsight::pipeline::check(&Context::for_check(root.to_path_buf()))
        .expect("the archive reads");
    findings(&diagnostics)
}

fn findings(diagnostics: &[hindsight::diagnostic::Diagnostic]) -> Vec<(String, PathBuf, usize)> {
    let mut findings: Vec<_> = diagnostics
        .iter()
        .map(|d| (d.code.code().to_string(), d.file.clone(), d.line))
        .collect();
    findings.sort();
    findings
}

/// A copy of the login-latency postmortem as `slug`, its incident moved to `year`.
fn add_postmortem_in(archive: &TempArchive, slug: &str, year: i32) -> Changes {
    let text = std::fs::read_to_string(archive.postmortem("login-latency")).unwrap();
    std::fs::write(
        archive.postmortem(slug),
        text.replace("2022-", &format!("{year}-")),
    )
    .unwrap();
    saved(archive, slug)
}

/// A date far from the archive's other incidents is a warning of `check`'s that depends on
/// every document: the preview reports it as `check` does, also on documents it did not load
/// again when the archive's typical year moved.
#[test]
fn a_preview_reports_what_check_reports_as_the_typical_year_moves() {
    let archive = TempArchive::new();
    let mut session = preview(&archive, None);
    let reported = |session: &mut Session, changes: Changes| {
        let rebuild = session.rebuild(changes).expect("something changed");
        findings(&rebuild.diagnostics)
    };
    let first = reported(&mut session, Changes::everything());
    assert_eq!(first, check_findings(&archive.root()));
    assert!(
        first.iter().all(|(code, _, _)| code != "W0011"),
        "{first:?}"
    );

    // Six incidents, three of them in 1985: those three are far from the typical year.
    let mut changes = Changes::default();
    for slug in ["old-1", "old-2", "old-3"] {
        changes.merge(add_postmortem_in(&archive, slug, 1985));
    }
    let six = reported(&mut session, changes);
    assert_eq!(six, check_findings(&archive.root()));
    let far: Vec<_> = six.iter().filter(|(code, _, _)| code == "W0011").collect();
    assert!(
        far.iter().any(|(_, file, _)| file.ends_with("old-1.md")),
        "{six:?}"
    );

    // Two more in 1985 move the typical year there: now the recent ones are far, though
    // the preview did not load them again.
    let mut changes = Changes::default();
    for slug in ["old-4", "old-5"] {
        changes.merge(add_postmortem_in(&archive, slug, 1985));
    }
    let eight = reported(&mut session, changes);
    assert_eq!(eight, check_findings(&archive.root()));
    assert!(
        eight
            .iter()
            .any(|(code, file, _)| code == "W0011" && file.ends_with("login-latency.md")),
        "{eight:?}"
    );
}

/// The incremental rebuild itself, without the server: one edited postmortem re-renders its
/// own page and its neighbours' but reuses the page of an unrelated postmortem.
#[test]
fn an_edit_re_renders_the_pages_that_show_the_document_and_reuses_the_others() {
    let archive = TempArchive::new();
    let mut preview = preview(&archive, None);
    let first = preview.rebuild(Changes::everything()).unwrap();
    let before = first.files.expect("the fixture builds");
    assert_eq!(first.loaded, 4);
    let page = |path: &str| PathBuf::from(path);
    let unrelated = page("postmortems/login-latency/index.html");
    let related = page("postmortems/queue-consumer-crash/index.html");

    let edited = saved(&archive, "queue-backlog");
    // Nothing changed yet: nothing to do.
    assert!(preview.rebuild(edited.clone()).is_none());

    archive.edit(
        &archive.postmortem("queue-backlog"),
        "title = \"Queue backlog delayed notifications\"",
        "title = \"Queue backlog, edited\"",
    );
    let second = preview.rebuild(edited).unwrap();
    let served_first = second.files.expect("the edit builds");
    assert_eq!(second.loaded, 1);
    // The edited page comes first; the pages that list it follow in `finish`.
    assert_eq!(second.rendered, 1);
    let own = page("postmortems/queue-backlog/index.html");
    assert!(String::from_utf8_lossy(&served_first[&own]).contains("Queue backlog, edited"));
    assert!(Arc::ptr_eq(&before[&related], &served_first[&related]));
    let finished = preview.finish(|| false).unwrap().unwrap();
    assert!(finished.pages.contains(&related));
    assert!(!finished.pages.contains(&own));
    assert!(second.rendered + finished.rendered < first.rendered);
    assert!(preview.finish(|| false).is_none(), "nothing is left");
    let after = finished.files;
    assert!(Arc::ptr_eq(&before[&unrelated], &after[&unrelated]));
    assert!(String::from_utf8_lossy(&after[&related]).contains("Queue backlog, edited"));
    assert!(
        String::from_utf8_lossy(&after[&page("premortems/launch/index.html")])
            .contains("Queue backlog, edited")
    );
    // The tag page that lists it is rendered again; another tag's page is reused.
    assert!(
        String::from_utf8_lossy(&after[&page("tags/queues/index.html")])
            .contains("Queue backlog, edited")
    );
    let other_tag = page("tags/tls/index.html");
    assert!(Arc::ptr_eq(&before[&other_tag], &after[&other_tag]));
    assert_eq!(before.len(), after.len());
}

/// A relation added by one edit is remembered for the next: after `queue-backlog` names
/// `login-latency` as related, making `login-latency` internal takes it off
/// `queue-backlog`'s page in the public edition.
#[test]
fn a_relation_added_by_an_edit_is_followed_by_the_next_edit() {
    let archive = TempArchive::new();
    let mut preview = preview(&archive, Some(hindsight::config::Edition::Public));
    preview.rebuild(Changes::everything()).unwrap();
    let backlog = PathBuf::from("postmortems/queue-backlog/index.html");

    archive.edit(
        &archive.postmortem("queue-backlog"),
        "related = [\"queue-consumer-crash\"]",
        "related = [\"queue-consumer-crash\", \"login-latency\"]",
    );
    let files = rebuilt(&mut preview, saved(&archive, "queue-backlog"));
    assert!(String::from_utf8_lossy(&files[&backlog]).contains("Slow logins"));

    archive.edit(
        &archive.postmortem("login-latency"),
        "status = \"published\"",
        "status = \"published\"\nvisibility = \"internal\"",
    );
    let files = rebuilt(&mut preview, saved(&archive, "login-latency"));
    assert!(!String::from_utf8_lossy(&files[&backlog]).contains("Slow logins"));
    assert!(!files.contains_key(&PathBuf::from("postmortems/login-latency/index.html")));
}

/// A listing's rows are made by the theme: a `doc_row` of the archive's own, saved while
/// serving, is the row of every listing at once, though the documents did not change.
#[test]
fn a_doc_row_saved_while_serving_is_the_row_of_every_listing() {
    let archive = TempArchive::new();
    let mut preview = preview(&archive, None);
    preview.rebuild(Changes::everything()).unwrap();
    let macros = hindsight::theme::default_file("templates/macros.html").unwrap();
    let start = macros.find("{% macro doc_row(doc) %}").unwrap();
    let end = macros.find("{% endmacro doc_row %}").unwrap();
    let own_row = r#"{% macro doc_row(doc) %}<li class="own-row">{{ doc.slug }}</li>"#;
    built_site::write(
        &archive.root(),
        "templates/macros.html",
        &format!("{}{own_row}{}", &macros[..start], &macros[end..]),
    );
    let mut changes = Changes::default();
    changes.add(&archive.root(), Path::new("templates/macros.html"));
    let files = rebuilt(&mut preview, changes);
    let row = r#"<li class="own-row">queue-backlog</li>"#;
    for page in [
        "postmortems/index.html",
        "tags/queues/index.html",
        "postmortems/queue-consumer-crash/index.html",
    ] {
        let html = String::from_utf8_lossy(&files[&PathBuf::from(page)]);
        assert!(html.contains(row), "{page} lists no own row:\n{html}");
    }
}

/// Typing in the body of a postmortem changes its own page only: listings show front matter.
#[test]
fn an_edit_of_the_body_alone_re_renders_only_that_page() {
    let archive = TempArchive::new();
    let mut preview = preview(&archive, None);
    let before = preview
        .rebuild(Changes::everything())
        .unwrap()
        .files
        .unwrap();
    archive.edit(
        &archive.postmortem("queue-backlog"),
        "The queue grew faster",
        "The queue of notifications grew zanzibarly faster",
    );
    let rebuild = preview.rebuild(saved(&archive, "queue-backlog")).unwrap();
    assert_eq!(rebuild.rendered, 1);
    let served_first = rebuild.files.unwrap();
    let own = PathBuf::from("postmortems/queue-backlog/index.html");
    let text = "The queue of notifications grew";
    assert!(String::from_utf8_lossy(&served_first[&own]).contains(text));
    // The search index follows in `finish`, with no page but the edited one rendered.
    let indexes = |files: &Files| {
        files
            .iter()
            .filter(|(path, _)| path.starts_with("search/terms"))
            .any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("zanzibarly"))
    };
    assert!(!indexes(&served_first));
    let finished = preview.finish(|| false).unwrap().unwrap();
    assert!(finished.pages.is_empty());
    let after = finished.files;
    assert!(indexes(&after));
    assert!(Arc::ptr_eq(&served_first[&own], &after[&own]));
    for listing in [
        "index.html",
        "postmortems/index.html",
        "tags/queues/index.html",
    ] {
        let path = PathBuf::from(listing);
        assert!(Arc::ptr_eq(&before[&path], &after[&path]), "{listing}");
    }
}

/// A body edit that adds a Timeline section shows the visual timeline at once: the document
/// swapped into the archive brings its timeline along.
#[test]
fn a_timeline_added_to_a_body_shows_on_the_page_served_first() {
    let archive = TempArchive::new();
    let mut preview = preview(&archive, None);
    preview.rebuild(Changes::everything()).unwrap();
    let own = PathBuf::from("postmortems/queue-backlog/index.html");
    archive.edit(
        &archive.postmortem("queue-backlog"),
        "The queue grew faster than the consumers could drain it.",
        "The queue grew faster than the consumers could drain it.\n\n## Timeline\n\n\
         - 10:00 The queue age alert fired.\n\
         - 10:20 Two more consumers were started.\n\
         - 12:00 The backlog was drained.\n",
    );
    let rebuild = preview.rebuild(saved(&archive, "queue-backlog")).unwrap();
    assert_eq!(rebuild.rendered, 1, "a body edit renders its own page only");
    let page = String::from_utf8_lossy(&rebuild.files.unwrap()[&own]).into_owned();
    assert!(page.contains("class=\"timeline-rail\""), "{page}");
    assert!(page.contains("Two more consumers were started."));
}

/// The live reload as a reader sees it, in headless Chromium: the tab on the edited
/// postmortem reloads by itself and shows the new title, and so does a tab on the listing,
/// once step two has rendered it.
#[test]
fn open_tabs_reload_by_themselves_in_a_real_browser() {
    let Some(browser) = Browser::start("open_tabs_reload_by_themselves_in_a_real_browser") else {
        return;
    };
    let archive = TempArchive::new();
    let server = Server::start(&archive.root(), &[]);
    let new_title = "Queue backlog seen from a browser";
    for page in ["/postmortems/queue-backlog/", "/postmortems/"] {
        browser.goto(&format!("http://{}{page}", server.address));
        browser.wait_for("the page", "return document.querySelector('h1') !== null;");
        // A reload starts a new window: the mark disappears with it.
        browser.script("window.notReloaded = true; return true;");
        archive.edit(
            &archive.postmortem("queue-backlog"),
            &format!("title = \"{}\"", current_title(&archive)),
            &format!("title = \"{new_title} {page}\""),
        );
        let wanted = format!("{new_title} {page}");
        browser.wait_for(
            &format!("{page} to reload with the new title"),
            &format!(
                "return window.notReloaded === undefined && document.body.textContent.includes({});",
                serde_json::to_string(&wanted).unwrap()
            ),
        );
    }
    browser.screenshot(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots/serve-listing-reloaded.png"),
    );
}

/// The title line of the fixture's `queue-backlog` postmortem as it is now.
fn current_title(archive: &TempArchive) -> String {
    let text = std::fs::read_to_string(archive.postmortem("queue-backlog")).unwrap();
    let line = text.lines().find(|l| l.starts_with("title = ")).unwrap();
    line.trim_start_matches("title = \"")
        .trim_end_matches('"')
        .to_string()
}

/// The day every build and server of the comparison below measures "now" from.
const EPOCH: &str = "1790000000";

/// An HTML page as `build` wrote it: the page `serve` sends, without the reload script it
/// adds before `</body>`.
fn without_reload_script(served: &str) -> String {
    let Some(start) = served.rfind("<script>new EventSource(") else {
        return served.to_string();
    };
    let end = served[start..]
        .find("</script>\n")
        .map_or(served.len(), |at| start + at + "</script>\n".len());
    format!("{}{}", &served[..start], &served[end..])
}

/// Serves the archive at `root` and builds it with `--drafts` for the same edition and base
/// URL, then fetches every file the build wrote from the server.
fn assert_serve_sends_what_build_writes(root: &Path, edition: &str) {
    let server = Server::start_with(
        root,
        &["--edition", edition],
        &[("SOURCE_DATE_EPOCH", EPOCH)],
    );
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("site");
    let base_url = format!("http://{}", server.address);
    let built = built_site::hindsight_command()
        .args([
            "build",
            "--drafts",
            "--edition",
            edition,
            "--base-url",
            &base_url,
        ])
        .arg("--root")
        .arg(root)
        .arg("--out")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let files = built_site::files_under(&out);
    assert!(files.len() > 20, "the build wrote {} files", files.len());
    let mut differ = Vec::new();
    for (path, bytes) in &files {
        let response = server.get(&format!("/{path}"));
        let written = String::from_utf8_lossy(bytes);
        let served = if path.ends_with(".html") {
            without_reload_script(&response.body)
        } else {
            response.body.clone()
        };
        if response.status != 200 || served != written {
            differ.push(format!("{path} ({})", response.status));
        }
    }
    assert!(
        differ.is_empty(),
        "{edition}: serve sends other bytes than build --drafts writes for {} of {} files: {:?}",
        differ.len(),
        files.len(),
        differ
    );
}

#[test]
fn serve_sends_every_file_build_writes_byte_for_byte_in_both_editions() {
    let demo = tempfile::tempdir().unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    built_site::copy_tree(&manifest.join("content"), &demo.path().join("content"));
    std::fs::copy(
        manifest.join("hindsight.toml"),
        demo.path().join("hindsight.toml"),
    )
    .unwrap();
    let fixture = TempArchive::new();
    for root in [demo.path().to_path_buf(), fixture.root()] {
        for edition in ["internal", "public"] {
            assert_serve_sends_what_build_writes(&root, edition);
        }
    }
}
