//! Live reload: the site being served, the count of rebuilds that open pages wait on, and
//! what the server adds to each HTML page (the reload script, and the error overlay while the
//! archive has errors). Nothing here is in the templates: a built site has none of it.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::markdown::escape;
use crate::pipeline::session::Files;

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
            "<script>new EventSource(\"{EVENTS_PATH}?since={}&page=\" + encodeURIComponent(location.pathname)).addEventListener(\"reload\", () => location.reload());</script>\n",
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

/// Which open pages a publish tells to reload.
#[derive(Debug, Clone)]
pub enum Reload {
    /// Every page: a first build, a change of configuration or theme, or errors appearing
    /// or clearing.
    All,
    /// The pages written to these output files (an empty set for site-wide files alone: the
    /// feeds, JSON and search index are not pages anyone is looking at).
    Pages(Arc<HashSet<PathBuf>>),
}

/// How many publishes are remembered, so that a page that was loading during several of
/// them still learns whether one concerned it (one that reaches back further reloads).
const REMEMBERED: usize = 32;

/// The count of publishes, and what the most recent ones reloaded.
struct Log {
    generation: u64,
    recent: VecDeque<(u64, Reload)>,
}

impl Log {
    /// Whether a publish after generation `seen` reloads `page` (every page when `None`).
    fn reloads(&self, seen: u64, page: Option<&Path>) -> bool {
        let reaches_back = self
            .recent
            .front()
            .is_some_and(|(generation, _)| *generation <= seen + 1);
        !reaches_back
            || self
                .recent
                .iter()
                .filter(|(generation, _)| *generation > seen)
                .any(|(_, reload)| match (reload, page) {
                    (Reload::All, _) | (_, None) => true,
                    (Reload::Pages(pages), Some(page)) => pages.contains(page),
                })
    }
}

/// The shared state between the rebuild loop and the server's threads.
pub struct Live {
    current: RwLock<Arc<Snapshot>>,
    log: Mutex<Log>,
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
            log: Mutex::new(Log {
                generation: 0,
                recent: VecDeque::new(),
            }),
            changed: Condvar::new(),
        }
    }

    /// The site as it is now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn generation(&self) -> u64 {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .generation
    }

    /// Serves `files` (or keeps the last good site when `None`) with `errors`, and tells the
    /// open pages that `reload` names to reload.
    pub fn publish(&self, files: Option<Arc<Files>>, errors: Option<Errors>, reload: Reload) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.generation += 1;
        let generation = log.generation;
        log.recent.push_back((generation, reload));
        if log.recent.len() > REMEMBERED {
            log.recent.pop_front();
        }
        {
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            let files = files.unwrap_or_else(|| Arc::clone(&current.files));
            *current = Arc::new(Snapshot {
                files,
                errors,
                generation,
            });
        }
        self.changed.notify_all();
    }

    /// Waits, for at most `timeout`, until a publish after generation `seen` reloads `page`
    /// (any publish when `None`); `seen` moves past the publishes looked at. Whether one did.
    pub fn wait_for_reload(&self, seen: &mut u64, page: Option<&Path>, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if log.generation > *seen {
                let reload = log.reloads(*seen, page);
                *seen = log.generation;
                if reload {
                    return true;
                }
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            log = self
                .changed
                .wait_timeout(log, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
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
            .find("<script>new EventSource(\"/__hindsight/events?since=7&page=\"")
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
            std::thread::spawn(move || {
                let mut seen = 0;
                let reloaded = live.wait_for_reload(&mut seen, None, Duration::from_secs(10));
                (reloaded, seen)
            })
        };
        live.publish(None, None, Reload::All);
        assert_eq!(waiter.join().unwrap(), (true, 1));
        let mut seen = 1;
        assert!(!live.wait_for_reload(&mut seen, None, Duration::from_millis(1)));
    }

    #[test]
    fn a_page_reloads_only_for_publishes_that_concern_it() {
        let live = Live::new();
        let page = Path::new("postmortems/x/index.html");
        let other = Arc::new(HashSet::from([PathBuf::from("tags/y/index.html")]));
        live.publish(None, None, Reload::Pages(other));
        let mut seen = 0;
        assert!(!live.wait_for_reload(&mut seen, Some(page), Duration::from_millis(1)));
        assert_eq!(seen, 1, "the publish was looked at");
        let mine = Arc::new(HashSet::from([page.to_path_buf()]));
        live.publish(None, None, Reload::Pages(mine));
        assert!(live.wait_for_reload(&mut seen, Some(page), Duration::from_millis(1)));
        // A page served before publishes the log no longer holds reloads, to be safe.
        for _ in 0..REMEMBERED + 1 {
            live.publish(None, None, Reload::Pages(Arc::default()));
        }
        let mut long_ago = 0;
        assert!(live.wait_for_reload(&mut long_ago, Some(page), Duration::from_millis(1)));
    }
}
