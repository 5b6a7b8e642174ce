//! The HTTP front of `serve`: GET and HEAD over the site held in memory, and a stream of
//! server-sent events that tells open pages to reload.
//!
//! Written on `std::net` because a preview server needs little: one request per connection,
//! no TLS, no keep-alive. Files are looked up in the in-memory site by a path made only of
//! plain segments, so no request can name anything outside the site: there is no file system
//! path to escape from.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::live::{EVENTS_PATH, Live, Snapshot};
use crate::render::output_path;

/// How long a connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest request head accepted.
const MAX_HEAD: u64 = 16 * 1024;
/// How often an idle event stream sends a comment, which is how a closed tab is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Accepts connections for as long as the process runs, one thread per connection.
pub fn run(listener: TcpListener, live: Arc<Live>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let live = Arc::clone(&live);
        std::thread::spawn(move || {
            // A client that hangs up early is not an error worth reporting.
            let _ = handle(stream, &live);
        });
    }
}

/// A parsed request line, and the host it was sent to.
struct Request {
    method: String,
    target: String,
    /// The `Host` header, if there was one.
    host: Option<String>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Option<Request>> {
    let mut reader = BufReader::new(stream.take(MAX_HEAD));
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_ascii_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let mut request = Request {
        method: method.to_string(),
        target: target.to_string(),
        host: None,
    };
    // Read the headers to their end; only the host changes the answer.
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("host")
        {
            request.host = Some(value.trim().to_string());
        }
    }
    Ok(Some(request))
}

fn handle(mut stream: TcpStream, live: &Live) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let Some(request) = read_request(&stream)? else {
        return respond(&mut stream, &plain(400, "bad request"), false);
    };
    let port = stream.local_addr()?.port();
    if let Some(host) = &request.host
        && !is_own_host(host, port)
    {
        return respond(
            &mut stream,
            &plain(
                421,
                "this server answers only to localhost or its IP address",
            ),
            false,
        );
    }
    let head_only = match request.method.as_str() {
        "GET" => false,
        "HEAD" => true,
        _ => {
            let mut response = plain(405, "only GET and HEAD are served");
            response.headers.push(("Allow", "GET, HEAD".into()));
            return respond(&mut stream, &response, false);
        }
    };
    let (path, query) = match request.target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.target.as_str(), None),
    };
    if path == EVENTS_PATH && !head_only {
        return stream_events(stream, live, query);
    }
    let snapshot = live.snapshot();
    let response = answer(path, query, &snapshot);
    respond(&mut stream, &response, head_only)
}

/// Whether a request's `Host` names this server: `localhost` or an IP address, with the
/// port it listens on. A page of another site that makes its own name point to this
/// machine (DNS rebinding) sends that name, and is refused: otherwise it could read the
/// internal edition being previewed. An address cannot be made to point elsewhere, so
/// any is accepted, which keeps `--bind 0.0.0.0` usable from another machine.
fn is_own_host(host: &str, port: u16) -> bool {
    let (name, given_port) = match host.rsplit_once(':') {
        Some((name, given)) if !name.ends_with(':') && !given.ends_with(']') => {
            (name, given.parse::<u16>().ok())
        }
        _ => (host, None),
    };
    // A browser leaves out port 80, the only one it may leave out.
    if given_port.unwrap_or(80) != port {
        return false;
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
        || name
            .strip_prefix('[')
            .and_then(|name| name.strip_suffix(']'))
            .is_some_and(|name| name.parse::<std::net::Ipv6Addr>().is_ok())
}

/// What the server sends back.
struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Arc<Vec<u8>>,
}

fn plain(status: u16, text: &str) -> Response {
    Response {
        status,
        headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
        body: Arc::new(format!("{text}\n").into_bytes()),
    }
}

/// The answer to a GET for `path` (the request target without its query).
fn answer(path: &str, query: Option<&str>, snapshot: &Snapshot) -> Response {
    let Some(site_path) = site_path(path) else {
        return not_found(snapshot, 400);
    };
    let file = output_path(&site_path);
    if let Some(bytes) = snapshot.files.get(&file) {
        return file_response(200, &file, bytes, snapshot);
    }
    // `/postmortems/x` is a directory: send the browser to `/postmortems/x/`, so that the
    // page's relative links resolve.
    if !site_path.ends_with('/')
        && snapshot
            .files
            .contains_key(&output_path(&format!("{site_path}/")))
    {
        // Built from the checked path, never the raw one: `//host` would leave the site.
        let safe_query = query.filter(|q| {
            q.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%=&+".contains(&b))
        });
        let location = match safe_query {
            Some(query) => format!("{}/?{query}", encode_path(&site_path)),
            None => format!("{}/", encode_path(&site_path)),
        };
        let mut response = plain(301, "moved");
        response.headers.push(("Location", location));
        return response;
    }
    not_found(snapshot, 404)
}

/// The site's own 404 page with `status`, or a line of text when the site has none.
fn not_found(snapshot: &Snapshot, status: u16) -> Response {
    let page = PathBuf::from("404.html");
    match snapshot.files.get(&page) {
        Some(bytes) => file_response(status, &page, bytes, snapshot),
        None if snapshot.is_placeholder() => {
            file_response(status, &page, &Arc::new(Vec::new()), snapshot)
        }
        None => plain(status, "not found"),
    }
}

fn file_response(
    status: u16,
    file: &std::path::Path,
    bytes: &Arc<Vec<u8>>,
    snapshot: &Snapshot,
) -> Response {
    let content_type = content_type(file);
    let body = if content_type.starts_with("text/html") {
        Arc::new(snapshot.inject(bytes))
    } else {
        Arc::clone(bytes)
    };
    Response {
        status,
        headers: vec![("Content-Type", content_type.into())],
        body,
    }
}

fn respond(stream: &mut TcpStream, response: &Response, head_only: bool) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        421 => "Misdirected Request",
        _ => "Internal Server Error",
    }
}

/// Holds the connection open and sends `reload` each time the site changes in a way that
/// concerns the page.
///
/// `since=N` in the query is the generation the page was served at: a page that missed a
/// rebuild while it loaded is told to reload at once. `page=P` is the page's own path: a
/// publish that renders only other pages (the listings after an edit) does not reload it.
/// Without `page`, every publish reloads.
fn stream_events(mut stream: TcpStream, live: &Live, query: Option<&str>) -> std::io::Result<()> {
    let parameter = |name: &str| {
        query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    };
    let since = parameter("since").and_then(|n| n.parse::<u64>().ok());
    // The page's own path, encoded once more by the script: decoded twice, like a request.
    let page = parameter("page")
        .and_then(percent_decode)
        .and_then(|once| site_path(&String::from_utf8(once).ok()?))
        .map(|path| output_path(&path));
    let mut seen = since.unwrap_or_else(|| live.generation());
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nretry: 1000\n\n",
    )?;
    stream.flush()?;
    loop {
        if live.wait_for_reload(&mut seen, page.as_deref(), KEEP_ALIVE) {
            stream.write_all(format!("event: reload\ndata: {seen}\n\n").as_bytes())?;
        } else {
            stream.write_all(b": keep-alive\n\n")?;
        }
        stream.flush()?;
    }
}

/// The site path a request path names, decoded: `/postmortems/x/`. `None` for anything that
/// is not a plain path inside the site: a target that does not start with `/`, a bad percent
/// escape, text that is not UTF-8, a NUL, a backslash, or a `.` or `..` segment (also when
/// written `%2e%2e` or hidden behind an encoded slash, since segments are checked after
/// decoding).
pub fn site_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let decoded = String::from_utf8(percent_decode(path)?).ok()?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" => {}
            "." | ".." => return None,
            _ => segments.push(segment),
        }
    }
    let mut site_path = format!("/{}", segments.join("/"));
    if decoded.ends_with('/') && !segments.is_empty() {
        site_path.push('/');
    }
    Some(site_path)
}

/// Percent-encodes every byte of a path but unreserved characters and `/`.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The content type of a site file, by its extension.
pub fn content_type(file: &std::path::Path) -> &'static str {
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("rss") => "application/rss+xml",
        Some("atom") => "application/atom+xml",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("pdf") => "application/pdf",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_own_host_names_are_answered() {
        for own in [
            "localhost:1111",
            "LOCALHOST:1111",
            "127.0.0.1:1111",
            "[::1]:1111",
            "192.168.1.20:1111",
        ] {
            assert!(is_own_host(own, 1111), "{own}");
        }
        for other in [
            "attacker.example:1111",
            "localhost.attacker.example:1111",
            "localhost:2222",
            "localhost",
            "127.0.0.1",
            "[::1]",
            "1111",
        ] {
            assert!(!is_own_host(other, 1111), "{other}");
        }
        assert!(is_own_host("localhost", 80));
    }

    #[test]
    fn plain_paths_are_decoded() {
        assert_eq!(site_path("/").as_deref(), Some("/"));
        assert_eq!(
            site_path("/postmortems/x/").as_deref(),
            Some("/postmortems/x/")
        );
        assert_eq!(
            site_path("/tags/on%20call/").as_deref(),
            Some("/tags/on call/")
        );
        assert_eq!(site_path("//style.css").as_deref(), Some("/style.css"));
    }

    #[test]
    fn paths_that_could_climb_out_of_the_site_are_refused() {
        for path in [
            "/../secret",
            "/a/../../secret",
            "/%2e%2e/secret",
            "/%2E%2E/secret",
            "/a/..%2f..%2fsecret",
            "/a%2f..%2f..%2fsecret",
            "/..%5csecret",
            "/a/./b",
            "/secret%00.html",
            "/%zz",
            "/%ff",
            "http://example.com/secret",
            "secret",
            "*",
        ] {
            assert_eq!(site_path(path), None, "{path}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(
            content_type(std::path::Path::new("a/index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(std::path::Path::new("style.css")),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type(std::path::Path::new("x.SVG")), "image/svg+xml");
        assert_eq!(
            content_type(std::path::Path::new("blob")),
            "application/octet-stream"
        );
    }
}
