//! Headless Chromium for tests, driven through chromedriver over the WebDriver protocol, and a
//! tiny static file server to show it a built site.
//!
//! The client is a few dozen lines over `TcpStream` and serde_json: the tests need a handful
//! of commands (navigate, find, click, type, run a script, screenshot), not a WebDriver crate.
//!
//! Where Chromium or chromedriver is not installed, [`Browser::start`] prints that the test
//! was skipped and returns `None`, so the suite passes on a machine without them; with
//! `HINDSIGHT_REQUIRE_BROWSER=1` (set by CI) it panics instead, so CI can never skip them.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a [`Browser::wait_for`] waits before failing the test.
pub const WAIT: Duration = Duration::from_secs(15);

/// The W3C WebDriver key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A program found on the `PATH` (or at an absolute path given in an environment variable).
fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A headless Chromium session. Dropping it ends the session and chromedriver.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

/// One element of the page, by its WebDriver reference.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or returns `None` (after saying
    /// so on stderr) when either is not installed and the browser is not required.
    pub fn start(test: &str) -> Option<Browser> {
        let chromium = find_program("CHROMIUM", &["chromium", "chromium-browser"]);
        let driver = find_program("CHROMEDRIVER", &["chromedriver"]);
        let (chromium, driver) = match (chromium, driver) {
            (Some(c), Some(d)) => (c, d),
            (c, _) => {
                let missing = if c.is_none() {
                    "chromium"
                } else {
                    "chromedriver"
                };
                if std::env::var("HINDSIGHT_REQUIRE_BROWSER").as_deref() == Ok("1") {
                    panic!(
                        "{test}: {missing} is not installed, and HINDSIGHT_REQUIRE_BROWSER=1 requires it"
                    );
                }
                // Straight to stderr: the test harness captures eprintln! of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: {test}: {missing} is not installed (install Debian's chromium and chromium-driver to run it)"
                );
                return None;
            }
        };
        let port = free_port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()));
        let profile = tempfile::tempdir().expect("a temporary profile directory");
        let mut browser = Browser {
            driver: child,
            port,
            session: String::new(),
            _profile: profile,
        };
        let deadline = Instant::now() + WAIT;
        while request(port, "GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        )])
        .collect::<Vec<_>>();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let created = browser.command("POST", "/session", Some(capabilities));
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session in {created}"))
            .to_string();
        Some(browser)
    }

    /// Sends a WebDriver command and returns its `value`, panicking on a WebDriver error.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let response = request(self.port, method, path, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let value = response.get("value").cloned().unwrap_or(Value::Null);
        if let Some(error) = value.get("error") {
            panic!("{method} {path}: {error}: {}", value["message"]);
        }
        value
    }

    fn session_command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.command(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) {
        self.session_command("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn current_url(&self) -> String {
        self.session_command("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs JavaScript in the page (a function body: `return ...;`) and returns its result.
    pub fn script(&self, body: &str) -> Value {
        self.session_command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": body, "args": [] })),
        )
    }

    /// Runs `body` until it returns something truthy, and returns that; fails the test with
    /// `what` after [`WAIT`].
    pub fn wait_for(&self, what: &str, body: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.script(body);
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, selector: &str) -> Element {
        let value = self.session_command(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": selector })),
        );
        match value[ELEMENT_KEY].as_str() {
            Some(id) => Element(id.to_string()),
            None => panic!("finding {selector}: {value}"),
        }
    }

    pub fn click(&self, element: &Element) {
        self.session_command(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        );
    }

    /// Types text into an element, as key presses.
    pub fn type_into(&self, element: &Element, text: &str) {
        self.session_command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// Presses keys in whatever has the focus. WebDriver names special keys by code points:
    /// [`keys::ENTER`], [`keys::DOWN`].
    pub fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({ "type": "keyDown", "value": c.to_string() }),
                    json!({ "type": "keyUp", "value": c.to_string() }),
                ]
            })
            .collect();
        self.session_command(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        );
    }

    /// Runs a Chrome DevTools Protocol command (`Emulation.setEmulatedMedia`, say) through
    /// chromedriver, and returns its result.
    pub fn devtools(&self, command: &str, params: Value) -> Value {
        self.session_command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": command, "params": params })),
        )
    }

    /// Shows pages as a phone or desktop screen `width` CSS pixels wide would (a phone's
    /// `<meta name="viewport">` applies below 800).
    pub fn set_viewport(&self, width: u32, height: u32) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800 }),
        );
    }

    /// Emulates the reader's colour scheme (`"light"` or `"dark"`) and the medium
    /// (`"screen"` or `"print"`).
    pub fn set_media(&self, medium: &str, scheme: &str) {
        self.devtools(
            "Emulation.setEmulatedMedia",
            json!({ "media": medium, "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        );
    }

    /// The page printed to PDF on A4, as a reader's "Save as PDF" makes it.
    pub fn print_to_pdf(&self) -> Vec<u8> {
        let pdf = self.session_command(
            "POST",
            "/print",
            Some(json!({ "page": { "width": 21.0, "height": 29.7 }, "background": false })),
        );
        decode_base64(pdf.as_str().unwrap_or_default())
    }

    /// Saves a PNG of the whole page, beyond the viewport, as it is laid out now.
    pub fn screenshot_full_page(&self, path: &Path) {
        let shot = self.devtools(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true }),
        );
        let png = decode_base64(shot["data"].as_str().unwrap_or_default());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("a screenshot directory");
        }
        std::fs::write(path, png).expect("a writable screenshot path");
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) {
        let data = self.session_command("GET", "/screenshot", None);
        let png = decode_base64(data.as_str().unwrap_or_default());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("a screenshot directory");
        }
        std::fs::write(path, png).expect("a writable screenshot path");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = request(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// WebDriver's code points for special keys.
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const DOWN: &str = "\u{E015}";
    pub const UP: &str = "\u{E013}";
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// One HTTP/1.1 request to chromedriver, answered with JSON.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open whatever the request says: read the length.
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value
                .trim()
                .parse()
                .map_err(|_| format!("bad length: {header}"))?;
        }
    }
    let mut json_body = vec![0; length];
    reader
        .read_exact(&mut json_body)
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&json_body)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&json_body)))
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    sextets
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &s)| n | u32::from(s) << (18 - 6 * i));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(chunk.len().saturating_sub(1))
        })
        .collect()
}

/// Serves a directory over HTTP on localhost, the way a static host would: `/x/` serves
/// `x/index.html`, and a missing file gets `404.html` with status 404. It runs until the
/// test process ends.
pub struct StaticServer {
    pub port: u16,
}

impl StaticServer {
    pub fn start(root: &Path) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port to serve on");
        let port = listener.local_addr().expect("a bound address").port();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                std::thread::spawn(move || serve_one(&root, stream));
            }
        });
        StaticServer { port }
    }

    /// The URL of a site path such as `/search/?q=dns`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve_one(root: &Path, mut stream: TcpStream) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Read the headers to their end; they are not needed.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let (status, file) = match resolve(root, path) {
        Some(file) => ("200 OK", file),
        None => ("404 Not Found", root.join("404.html")),
    };
    let body = std::fs::read(&file).unwrap_or_default();
    let content_type = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&body));
}

/// The file a URL path names, if it exists inside the root.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path);
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        file = file.join("index.html");
    }
    file.is_file().then_some(file)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
