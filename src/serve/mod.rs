//! `serve`: the build pipeline with a cache and an HTTP front, for previewing while writing.
//!
//! ```text
//! watch (notify) --Changes--> Session (load/link/render, incremental) --Files--> Live --> http
//! ```
//!
//! The site is built in memory and served from there: nothing is written to the archive or to
//! a temporary folder (so there is nothing to clean up on Ctrl-C), and a request can only name
//! a file of the site. Drafts are included. While the archive has errors the last good site
//! stays up, with the errors shown over each page and in the terminal.

mod http;
mod live;

mod watch;

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use crate::config::Edition;
use crate::diagnostic::{Diagnostic, render_human_from};
use crate::pipeline::Context;
use live::{Live, Reload};

pub use crate::pipeline::session::{Changes, Files, Finished, Rebuild, Session};
pub use http::site_path;

/// What `hindsight serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// The first port tried; 0 lets the system choose.
    pub port: u16,
    pub edition: Option<Edition>,
}

/// How long step two of a rebuild waits after step one is published: about what a browser
/// takes to reload the page it shows.
const FETCH_GRACE: std::time::Duration = std::time::Duration::from_millis(100);

/// How many ports after the asked one are tried when it is taken.
const PORT_ATTEMPTS: u16 = 50;

/// Builds and serves the archive until Ctrl-C; `Err` when it cannot start.
pub fn serve(options: &ServeOptions) -> Result<(), String> {
    let (stop_sender, stop) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_sender.send(());
    })
    .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;

    let listener = bind(options.bind, options.port)?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the server's address: {e}"))?;
    let url = format!("http://{address}");
    let mut preview = Session::new(Context {
        edition: options.edition,
        // Links must lead to this server, whatever base_url the archive deploys to.
        base_url: Some(url.clone()),
        // A writer previews a draft before anyone else reads it.
        drafts: true,
        ..Context::new(options.root.clone())
    })
    .map_err(|e| e.to_string())?;
    // Watch before the first build, so that an edit made during it is not missed.
    let mut watcher = watch::SourceWatcher::new(&options.root)?;

    let live = Arc::new(Live::new());
    {
        let live = Arc::clone(&live);
        std::thread::spawn(move || http::run(listener, live));
    }
    let mut reporter = Reporter::new(options.root.clone());
    let started = Instant::now();
    if let Some(rebuild) = preview.rebuild(Changes::everything()) {
        reporter.publish(&live, rebuild, started);
    }
    println!(
        "serving {} at {url}/ (Ctrl-C to stop)",
        options.root.display()
    );
    let _ = std::io::stdout().flush();

    // Changes are gathered on one thread and built on another, so that the rebuild thread can
    // see a new edit coming while it finishes the last one, and leave the rest for later.
    let (sender, received) = std::sync::mpsc::channel();
    let queued = Arc::new(AtomicUsize::new(0));
    {
        let queued = Arc::clone(&queued);
        std::thread::spawn(move || {
            while let Some(changes) = watcher.next_changes() {
                queued.fetch_add(1, Ordering::SeqCst);
                if sender.send(changes).is_err() {
                    return;
                }
            }
        });
    }
    std::thread::spawn(move || rebuild_on_changes(preview, &received, &queued, reporter, &live));
    // Nothing to tidy up: the site lives in memory, and the threads end with the process.
    let _ = stop.recv();
    eprintln!("stopped");
    Ok(())
}

/// Rebuilds on every change handed over by the watcher's thread, step one at once and step
/// two when no new change is queued; returns when the watcher is gone.
fn rebuild_on_changes(
    mut preview: Session,
    received: &Receiver<Changes>,
    queued: &AtomicUsize,
    mut reporter: Reporter,
    live: &Live,
) {
    loop {
        // Leftover work is done while nothing new is queued, once the open pages have had a
        // moment to fetch what step one made (on two cores, step two would slow the very
        // request it follows).
        let next = if preview.is_unfinished() {
            match received.recv_timeout(FETCH_GRACE) {
                Ok(changes) => Some(changes),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match received.recv() {
                Ok(changes) => Some(changes),
                Err(_) => return,
            }
        };
        let Some(mut changes) = next else {
            let stop = || queued.load(Ordering::SeqCst) > 0;
            match preview.finish(stop) {
                Some(Ok(finished)) => reporter.finished(live, finished),
                Some(Err(diagnostic)) => reporter.publish_errors(live, vec![diagnostic]),
                // A change is on its way.
                None => std::thread::yield_now(),
            }
            continue;
        };
        queued.fetch_sub(1, Ordering::SeqCst);
        while let Ok(more) = received.try_recv() {
            queued.fetch_sub(1, Ordering::SeqCst);
            changes.merge(more);
        }
        let started = Instant::now();
        if let Some(rebuild) = preview.rebuild(changes) {
            reporter.publish(live, rebuild, started);
        }
    }
}

/// Binds `port`, or the next free one after it.
fn bind(ip: IpAddr, port: u16) -> Result<TcpListener, String> {
    let attempts = if port == 0 { 1 } else { PORT_ATTEMPTS };
    let mut last_error = None;
    for candidate in (0..attempts).filter_map(|i| port.checked_add(i)) {
        match TcpListener::bind(SocketAddr::new(ip, candidate)) {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(match last_error {
        Some(error) => format!(
            "cannot listen on {ip} at port {port} or the {} after it: {error}",
            attempts - 1
        ),
        None => format!("no port is free from {port}"),
    })
}

/// Tells the terminal and the open pages what each rebuild did.
struct Reporter {
    root: PathBuf,
    /// The diagnostics last printed, so an unchanged list is not printed again.
    printed: Vec<Diagnostic>,
    /// Whether the pages show the error overlay.
    showed_errors: bool,
}

impl Reporter {
    fn new(root: PathBuf) -> Reporter {
        Reporter {
            root,
            printed: Vec::new(),
            showed_errors: false,
        }
    }

    fn publish(&mut self, live: &Live, rebuild: Rebuild, started: Instant) {
        self.print(&rebuild.diagnostics);
        let elapsed = started.elapsed().as_millis();
        let errors = self.errors(&rebuild.diagnostics);
        match &errors {
            Some(errors) => eprintln!(
                "{} error{} ({elapsed} ms): still serving the last good build",
                errors.count,
                plural(errors.count)
            ),
            None => {
                let phases: Vec<String> = rebuild
                    .phases
                    .iter()
                    .map(|(name, time)| format!("{name} {}", time.as_millis()))
                    .collect();
                eprintln!(
                    "rebuilt in {elapsed} ms: {} file{} read, {} page{} rendered ({} ms)",
                    rebuild.loaded,
                    plural(rebuild.loaded),
                    rebuild.rendered,
                    plural(rebuild.rendered),
                    phases.join(", "),
                )
            }
        }
        // Every open page reloads when errors come or go; otherwise the rendered ones.
        let reload = match rebuild.pages {
            Some(pages) if errors.is_none() && !self.showed_errors => {
                Reload::Pages(Arc::new(pages))
            }
            _ => Reload::All,
        };
        self.showed_errors = errors.is_some();
        live.publish(rebuild.files, errors, reload);
    }

    /// The second step of a rebuild is in: pages open on a listing it changed reload.
    fn finished(&mut self, live: &Live, finished: Finished) {
        let files = match finished.complete {
            true => "and the site-wide files",
            false => "(the site-wide files follow the next rebuild)",
        };
        eprintln!(
            "  then {} more page{} {files} in {} ms",
            finished.rendered,
            plural(finished.rendered),
            finished.elapsed.as_millis()
        );
        let errors = self.errors(&self.printed.clone());
        live.publish(
            Some(finished.files),
            errors,
            Reload::Pages(Arc::new(finished.pages)),
        );
    }

    /// A template failed while finishing a rebuild: shown over the pages as it is.
    fn publish_errors(&mut self, live: &Live, mut diagnostics: Vec<Diagnostic>) {
        diagnostics.extend(self.printed.iter().cloned());
        Diagnostic::sort(&mut diagnostics);
        self.print(&diagnostics);
        let errors = self.errors(&diagnostics);
        self.showed_errors = errors.is_some();
        live.publish(None, errors, Reload::All);
    }

    /// Prints the diagnostics to the terminal, unless they are those printed last.
    fn print(&mut self, diagnostics: &[Diagnostic]) {
        if diagnostics != self.printed {
            let color = std::io::stderr().is_terminal();
            eprint!("{}", render_human_from(&self.root, diagnostics, color));
            self.printed = diagnostics.to_vec();
        }
    }

    /// The errors among the diagnostics, as the overlay shows them.
    fn errors(&self, diagnostics: &[Diagnostic]) -> Option<live::Errors> {
        let errors: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        (!errors.is_empty()).then(|| live::Errors {
            count: errors.len(),
            text: render_human_from(&self.root, &errors, false),
        })
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
