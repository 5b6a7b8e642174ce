//! Live reload: the site being served, the count of rebuilds that open pages wait on, and
//! what the server adds to each HTML page (the reload script, and the error overlay while the
//! archive has errors). Nothing here is in the templates: a built site has none of it.

use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

use super::preview::Files;
use crate::markdown::escape;

/// Where pages listen for rebuilds.
pub const EVENTS_PATH: &str = "/__hindsight/events";

/// What the server serves at one moment.
pub struct Snapshot {
    /// The last good site (empty before the first good build).
    pub files: Arc<Files>,
    /// The errors of the archive as it now is, ready to show, when it has any.
    pub errors: Option<Errors>,
    /// Counts rebuilds; a page is told to reload when it grows.
    pub generation: u64,
}

/// The archive's errors, as the overlay shows them.
pub struct Errors {
    pub count: usize,
    /// The terminal rendering of the diagnostics, without colour.
    pub text: String,
}

impl Snapshot {
    /// Whether there has been no good site yet.
    pub fn is_placeholder(&self) -> bool {
        self.files.is_empty()
    }

    /// An HTML page with the reload script, and the error overlay if there are errors,
    /// added before `</body>`.
    pub fn inject(&self, html: &[u8]) -> Vec<u8> {
        let mut addition = String::new();
        if let Some(errors) = &self.errors {
            addition.push_str(&overlay(errors));
        } else if self.is_placeholder() {
            addition.push_str("<p>Building…</p>");
        }
        addition.push_str(&format!(
            "<script>new EventSource(\"{EVENTS_PATH}?since={}\").addEventListener(\"reload\", () => location.reload());</script>\n",
            self.generation
        ));
        let at = rfind_ascii_case_insensitive(html, b"</body>").unwrap_or(html.len());
        let mut out = Vec::with_capacity(html.len() + addition.len());
        out.extend_from_slice(&html[..at]);
        out.extend_from_slice(addition.as_bytes());
        out.extend_from_slice(&html[at..]);
        out
    }
}

fn rfind_ascii_case_insensitive(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=haystack.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// The overlay that lists the errors over the page. Styled inline, so it looks the same
/// whatever the theme; every character of the diagnostics is escaped.
fn overlay(errors: &Errors) -> String {
    let plural = if errors.count == 1 { "" } else { "s" };
    format!(
        concat!(
            "<div id=\"hindsight-errors\" role=\"alert\" style=\"position:fixed;left:0;right:0;bottom:0;",
            "max-height:70vh;overflow:auto;z-index:2147483647;margin:0;padding:1rem 1.5rem;",
            "background:#1b1b1f;color:#f2f2f2;border-top:4px solid #e5484d;",
            "box-shadow:0 -6px 24px rgba(0,0,0,.35);text-align:left\">",
            "<p style=\"margin:0 0 .75rem;font:600 1rem/1.4 system-ui,sans-serif;color:#ff9592\">",
            "{count} error{plural} in the archive: this is the last good build. ",
            "Fix the file and the page reloads.</p>",
            "<pre style=\"margin:0;white-space:pre-wrap;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;",
            "background:none;color:inherit;border:0;padding:0\">{text}</pre></div>\n"
        ),
        count = errors.count,
        plural = plural,
        text = escape(&errors.text),
    )
}

/// The shared state between the rebuild loop and the server's threads.
pub struct Live {
    current: RwLock<Arc<Snapshot>>,
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Live {
    pub fn new() -> Live {
        Live {
            current: RwLock::new(Arc::new(Snapshot {
                files: Arc::new(Files::new()),
                errors: None,
                generation: 0,
            })),
            generation: Mutex::new(0),
            changed: Condvar::new(),
        }
    }

    /// The site as it is now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn generation(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Serves `files` (or keeps the last good site when `None`) with `errors`, and tells
    /// every open page to reload.
    pub fn publish(&self, files: Option<Arc<Files>>, errors: Option<Errors>) {
        let mut generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *generation += 1;
        {
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            let files = files.unwrap_or_else(|| Arc::clone(&current.files));
            *current = Arc::new(Snapshot {
                files,
                errors,
                generation: *generation,
            });
        }
        self.changed.notify_all();
    }

    /// Waits until the generation passes `seen`, for at most `timeout`; the new generation,
    /// or `None` on timeout.
    pub fn wait_for_change(&self, seen: u64, timeout: Duration) -> Option<u64> {
        let generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let (generation, _) = self
            .changed
            .wait_timeout_while(generation, timeout, |g| *g <= seen)
            .unwrap_or_else(|e| e.into_inner());
        (*generation > seen).then_some(*generation)
    }
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(errors: Option<Errors>) -> Snapshot {
        let mut files = Files::new();
        files.insert("index.html".into(), Arc::new(b"x".to_vec()));
        Snapshot {
            files: Arc::new(files),
            errors,
            generation: 7,
        }
    }

    #[test]
    fn the_reload_script_goes_before_the_end_of_the_body() {
        let html = snapshot(None).inject(b"<html><body><p>hi</p></BODY></html>");
        let html = String::from_utf8(html).unwrap();
        let script = html
            .find("<script>new EventSource(\"/__hindsight/events?since=7\")")
            .unwrap();
        assert!(script > html.find("<p>hi</p>").unwrap());
        assert!(script < html.find("</BODY>").unwrap());
        assert!(!html.contains("hindsight-errors"));
    }

    #[test]
    fn the_overlay_escapes_the_diagnostics() {
        let errors = Errors {
            count: 1,
            text: "error: <script>alert(1)</script> & \"quotes\"".into(),
        };
        let html = String::from_utf8(snapshot(Some(errors)).inject(b"<body></body>")).unwrap();
        assert!(html.contains("hindsight-errors"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assert!(!html.contains("<script>alert"));
    }

    #[test]
    fn a_waiter_sees_a_publish() {
        let live = Arc::new(Live::new());
        let waiter = {
            let live = Arc::clone(&live);
            std::thread::spawn(move || live.wait_for_change(0, Duration::from_secs(10)))
        };
        live.publish(None, None);
        assert_eq!(waiter.join().unwrap(), Some(1));
        assert_eq!(live.wait_for_change(1, Duration::from_millis(1)), None);
    }
}
