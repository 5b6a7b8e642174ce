//! Every kind of page of the demo archive in a real browser, as its readers meet it: on a
//! laptop and on a phone, in light and dark, on paper. axe-core (npm, pinned in
//! tests/axe/package.json, installed by .ci/run) checks WCAG 2.1 A and AA; the tests here
//! check what axe does not: no sideways scrolling at 320 px, and the printed postmortem.
//!
//! Skipped, with a note on stderr, where Chromium, chromedriver or axe-core is missing;
//! CI sets `HINDSIGHT_REQUIRE_BROWSER=1`, which makes any of them missing a failure.
//! Screenshots go to `target/tmp/screenshots/pages-*.png` for a person to look at.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::browser::{Browser, StaticServer};
use hindsight::build::{BuildOptions, build};
use serde_json::Value;

/// The demo archive built once into a temporary directory, and served.
struct DemoSite {
    server: StaticServer,
    /// One site path of every kind of page.
    pages: Vec<String>,
}

fn demo_site() -> &'static DemoSite {
    static SITE: OnceLock<DemoSite> = OnceLock::new();
    SITE.get_or_init(|| {
        let out = tempfile::tempdir().expect("a temporary output directory");
        let root = out.path().join("site");
        let options = BuildOptions {
            root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            out: Some(root.clone()),
            edition: None,
            base_url: None,
            drafts: false,
        };
        hindsight::seal::use_process_key();
        build(&options).unwrap_or_else(|e| panic!("building the demo archive: {e:?}"));
        let pages = every_kind_of_page(&root);
        Box::leak(Box::new(out));
        DemoSite {
            server: StaticServer::start(&root),
            pages,
        }
    })
}

/// The postmortem the screenshots and the print test use: one with code, action items with
/// links, and a visual timeline.
fn showcase_postmortem(site: &Path) -> String {
    subpages(site, "postmortems")
        .into_iter()
        .find(|path| {
            let html = std::fs::read_to_string(site.join(&path[1..]).join("index.html"))
                .unwrap_or_default();
            html.contains("<pre class=\"code\"")
                && html.contains("class=\"timeline-rail\"")
                && html.contains("class=\"action-link\" href=\"http")
        })
        .expect("a demo postmortem with code, a timeline and linked action items")
}

/// Directories under `section/` with a page in them, as site paths, sorted.
fn subpages(site: &Path, section: &str) -> Vec<String> {
    let mut paths: Vec<String> = std::fs::read_dir(site.join(section))
        .unwrap_or_else(|e| panic!("{section}/ in the built site: {e}"))
        .flatten()
        .filter(|entry| entry.path().join("index.html").is_file())
        .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
        .filter(|name| name != "page" && name != "closed")
        .map(|name| format!("/{section}/{name}/"))
        .collect();
    paths.sort();
    paths
}

fn every_kind_of_page(site: &Path) -> Vec<String> {
    let mut pages: Vec<String> = [
        "/",
        "/postmortems/",
        "/premortems/",
        "/services/",
        "/tags/",
        "/stats/",
        "/actions/",
        "/actions/closed/",
        "/search/",
        "/search/?q=dns",
        "/no-such-page/",
    ]
    .map(str::to_string)
    .to_vec();
    pages.push(showcase_postmortem(site));
    for section in ["premortems", "services", "tags"] {
        let first = subpages(site, section).into_iter().next();
        pages.push(first.unwrap_or_else(|| panic!("the demo archive has no {section} page")));
    }
    pages
}

/// One browser at a time: the tests share two cores with everything else.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("screenshots/pages-{name}.png"))
}

/// Loads `path` and waits until the page, and the search page's script, are ready.
fn open(browser: &Browser, site: &DemoSite, path: &str) {
    browser.goto(&site.server.url(path));
    browser.wait_for(
        &format!("{path} to load"),
        "return document.readyState === 'complete' && !(document.getElementById('search') || {}).hidden;",
    );
    if path.starts_with("/search/?") {
        // Each row is on screen first and filled when its record arrives: wait for the
        // page a person reads, every row with its title.
        browser.wait_for(
            "search results with their titles",
            "var rows = document.querySelectorAll('#search-results .result [role=option]'); \
             return rows.length > 0 && Array.from(rows).every(function (r) { return r.textContent.trim() !== ''; });",
        );
    }
}

/// axe-core's script, or `None` (after saying so) when it is not installed and the browser
/// is not required.
fn axe_source(test: &str) -> Option<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            if std::env::var("HINDSIGHT_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!(
                    "{test}: axe-core is not installed at {} ({e}); run `npm ci --prefix tests/axe`",
                    path.display()
                );
            }
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test}: axe-core is not installed (run `npm ci --prefix tests/axe`)"
            );
            None
        }
    }
}

/// The WCAG 2.1 A and AA violations axe finds on the page as it is now, one line each.
fn axe_violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.script(&format!(
        "if (!window.axe) {{ const s = document.createElement('script'); s.textContent = {}; document.head.appendChild(s); }}
         window.__axe = null;
         axe.run(document, {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }},
                              resultTypes: ['violations'] }})
            .then(r => {{ window.__axe = r.violations.flatMap(v => v.nodes.map(n =>
                 v.id + ': ' + n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240))); }})
            .catch(e => {{ window.__axe = ['axe failed: ' + e]; }});
         return true;",
        serde_json::to_string(axe).expect("a string")
    ));
    // Polled by hand: `wait_for` would take the empty list of a clean page for "not yet".
    let started = std::time::Instant::now();
    let mut found = Value::Null;
    while found.is_null() && started.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(50));
        found = browser.script("return window.__axe;");
    }
    assert!(!found.is_null(), "axe did not finish within two minutes");
    found
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_kind_of_page_passes_axe_in_light_and_dark_at_desktop_and_phone_widths() {
    let test = "every_kind_of_page_passes_axe_in_light_and_dark_at_desktop_and_phone_widths";
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start(test) else {
        return;
    };
    let Some(axe) = axe_source(test) else {
        return;
    };
    let site = demo_site();

    // axe itself must be able to fail here: a planted grey-on-white line is reported, and
    // the dark scheme is really what the page sees.
    browser.set_viewport(1280, 900);
    browser.set_media("screen", "dark");
    open(&browser, site, "/");
    assert_eq!(
        browser.script("return matchMedia('(prefers-color-scheme: dark)').matches;"),
        Value::Bool(true)
    );
    browser.script(
        "const p = document.createElement('p'); p.textContent = 'planted'; p.id = 'planted';
         p.style.cssText = 'color: #aaaaaa; background: #ffffff'; document.querySelector('main').append(p);",
    );
    let planted = axe_violations(&browser, &axe);
    assert!(
        planted
            .iter()
            .any(|v| v.starts_with("color-contrast: #planted")),
        "axe missed a planted contrast failure: {planted:?}"
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &site.pages {
        for (width, height) in [(1280, 900), (375, 800)] {
            browser.set_viewport(width, height);
            browser.set_media("screen", "light");
            open(&browser, site, path);
            for scheme in ["light", "dark"] {
                browser.set_media("screen", scheme);
                checked += 1;
                for violation in axe_violations(&browser, &axe) {
                    failures.push(format!("{path} at {width} px, {scheme}: {violation}"));
                }
                if path.starts_with("/postmortems/") && path.len() > "/postmortems/".len() {
                    // The contents: a column of links that take the focus on a wide screen,
                    // a folded "On this page" menu on a phone.
                    let contents = browser.script(
                        "const toc = document.querySelector('details.toc');
                         const link = toc.querySelector('nav a');
                         link.focus();
                         return { focused: document.activeElement === link,
                                  shown: link.checkVisibility(),
                                  menu: toc.querySelector('summary').getClientRects().length > 0 };",
                    );
                    let phone = width < 800;
                    assert_eq!(
                        contents["menu"],
                        Value::Bool(phone),
                        "{path} at {width}: {contents}"
                    );
                    assert_eq!(
                        contents["shown"],
                        Value::Bool(!phone),
                        "{path} at {width}: {contents}"
                    );
                    assert_eq!(
                        contents["focused"],
                        Value::Bool(!phone),
                        "{path} at {width}: {contents}"
                    );
                }
                if path == "/stats/" {
                    let smallest = browser.script(
                        "return Math.min(...[...document.querySelectorAll('svg.chart')].map(svg =>
                           svg.getBoundingClientRect().width / svg.viewBox.baseVal.width
                             * parseFloat(getComputedStyle(svg.querySelector('text')).fontSize)));",
                    );
                    let smallest = smallest.as_f64().unwrap_or(0.0);
                    assert!(
                        smallest >= 11.0,
                        "chart text is {smallest:.1} px at {width} px"
                    );
                }
                let name = match path.as_str() {
                    "/stats/" => Some("stats"),
                    "/search/?q=dns" => Some("search"),
                    "/postmortems/" => None,
                    p if p.starts_with("/postmortems/") => Some("postmortem"),
                    _ => None,
                };
                if let Some(name) = name {
                    browser.screenshot_full_page(&screenshot_path(&format!(
                        "{name}-{width}-{scheme}"
                    )));
                }
            }
        }
    }
    assert!(checked >= 4 * 15, "only {checked} page views were checked");
    assert!(
        failures.is_empty(),
        "{} WCAG 2.1 A/AA violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn no_page_scrolls_sideways_at_320_pixels() {
    let test = "no_page_scrolls_sideways_at_320_pixels";
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start(test) else {
        return;
    };
    let site = demo_site();
    browser.set_viewport(320, 640);
    let mut failures = Vec::new();
    for path in &site.pages {
        open(&browser, site, path);
        let overflow = browser.script(
                "const root = document.documentElement;
                 if (root.scrollWidth <= root.clientWidth) return null;
                 // Name the elements sticking out, outside any box that scrolls, to say what to fix.
                 const inScrollBox = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
                   if (getComputedStyle(a).overflowX !== 'visible') return true; return false; };
                 const out = [...document.body.querySelectorAll('*')]
                   .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1 && !inScrollBox(e))
                   .slice(0, 5)
                   .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '')
                        + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)');
                 return root.scrollWidth + ' px wide in ' + root.clientWidth + ': ' + out.join(', ');",
            );
        if let Some(overflow) = overflow.as_str() {
            failures.push(format!("{path}: {overflow}"));
        }
    }
    assert!(
        failures.is_empty(),
        "pages scroll sideways at 320 px:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_printed_postmortem_has_no_site_navigation_and_shows_action_item_urls() {
    let test = "a_printed_postmortem_has_no_site_navigation_and_shows_action_item_urls";
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start(test) else {
        return;
    };
    let site = demo_site();
    let postmortem = site
        .pages
        .iter()
        .find(|p| p.starts_with("/postmortems/") && p.len() > "/postmortems/".len())
        .expect("a postmortem page");
    // A reader in dark mode prints: paper gets the light colours all the same.
    browser.set_viewport(794, 1123);
    browser.set_media("print", "dark");
    open(&browser, site, postmortem);
    browser.screenshot_full_page(&screenshot_path("postmortem-print"));

    let shown = browser.script(
        "const visible = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
         return [...document.querySelectorAll('nav, header.site-header, footer, .skip, form')]
           .filter(visible).map(e => e.outerHTML.slice(0, 80));",
    );
    assert_eq!(
        shown,
        Value::Array(vec![]),
        "site chrome on the printed page"
    );

    let urls = browser.script(
        "return [...document.querySelectorAll('table.actions a.action-link')].map(a =>
           [a.href, getComputedStyle(a, '::after').content]);",
    );
    let urls = urls.as_array().cloned().unwrap_or_default();
    assert!(
        !urls.is_empty(),
        "the showcase postmortem has linked action items"
    );
    for pair in &urls {
        let (href, after) = (
            pair[0].as_str().unwrap_or(""),
            pair[1].as_str().unwrap_or(""),
        );
        assert!(
            !href.is_empty() && after.contains(href.trim_end_matches('/')),
            "the printed action item shows {after:?}, not its URL {href}"
        );
    }

    let page = browser.script(
        "const written = document.querySelector('.timeline-written');
         const firstWritten = written && written.querySelector('li, tr, p');
         const body = getComputedStyle(document.body);
         return { writtenShown: !!firstWritten && firstWritten.getClientRects().length > 0,
                  text: body.color, background: getComputedStyle(document.documentElement).backgroundColor,
                  bodyBackground: body.backgroundColor };",
    );
    assert_eq!(
        page["writtenShown"],
        Value::Bool(true),
        "the timeline as written is folded on paper"
    );
    assert_eq!(
        page["text"], "rgb(0, 0, 0)",
        "printed text is black whatever the scheme: {page}"
    );
    assert_eq!(page["bodyBackground"], "rgb(255, 255, 255)", "{page}");

    // And through Chromium's own printing, as "Save as PDF" does, for a person to look at.
    let pdf = browser.print_to_pdf();
    assert!(pdf.starts_with(b"%PDF-"), "printing gave no PDF");
    let path = screenshot_path("postmortem-print").with_extension("pdf");
    std::fs::write(&path, pdf).expect("a writable PDF path");
}
