//! Search in a real browser: the example archive (and a small archive made here) built into a
//! temporary directory, served on localhost, and driven in headless Chromium.
//!
//! Skipped, with a note on stderr, where Chromium or chromedriver is not installed; CI sets
//! `HINDSIGHT_REQUIRE_BROWSER=1`, which makes a missing browser a failure.

mod common;

use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::browser::{Browser, StaticServer, keys};
use hindsight::build::{BuildOptions, build};
use serde_json::Value;

/// Builds an archive into a temporary directory, which lives as long as the test process.
fn build_site(root: &Path) -> &'static Path {
    let out = tempfile::tempdir().expect("a temporary output directory");
    let options = BuildOptions {
        root: root.to_path_buf(),
        out: Some(out.path().join("site")),
        edition: None,
        base_url: None,
        drafts: false,
    };
    hindsight::seal::use_process_key();
    let report = build(&options).unwrap_or_else(|e| panic!("building {}: {e:?}", root.display()));
    let out: &'static tempfile::TempDir = Box::leak(Box::new(out));
    let _ = report;
    Box::leak(out.path().join("site").into_boxed_path())
}

/// An archive of the given postmortems (file name, text) in `content/postmortems/`, built
/// and served.
fn serve_archive(postmortems: &[(String, String)]) -> StaticServer {
    let archive = tempfile::tempdir().expect("a temporary archive");
    let dir = archive.path().join("content/postmortems");
    std::fs::create_dir_all(&dir).expect("a content directory");
    std::fs::write(
        archive.path().join("hindsight.toml"),
        "title = \"Test archive\"\n",
    )
    .expect("a config");
    for (name, text) in postmortems {
        std::fs::write(dir.join(name), text).expect("a postmortem");
    }
    StaticServer::start(build_site(archive.path()))
}

/// The example archive, built once and served for every test here.
fn example_site() -> &'static StaticServer {
    static SITE: OnceLock<StaticServer> = OnceLock::new();
    SITE.get_or_init(|| StaticServer::start(build_site(Path::new(env!("CARGO_MANIFEST_DIR")))))
}

/// One browser at a time: the tests share two cores with everything else.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn screenshot(browser: &Browser, name: &str) {
    browser.screenshot(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("screenshots/{name}.png")),
    );
}

/// Waits until results are on screen and returns their titles, in order.
fn result_titles(browser: &Browser) -> Vec<String> {
    let titles = browser.wait_for(
        "search results",
        "const items = [...document.querySelectorAll('#search-results .result')];
         if (items.length === 0 || items.some(i => !i.querySelector('.doc-title'))) return null;
         return items.map(i => i.querySelector('.doc-title').textContent);",
    );
    strings(&titles)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The count shown beside a facet value, such as the number of SEV-1 results.
fn facet_count(browser: &Browser, facet: &str, value: &str) -> Option<u64> {
    browser
        .script(&format!(
            "const box = document.querySelector('#search-facets input[name=\"{facet}\"][value=\"{value}\"]');
             return box ? Number(box.parentElement.querySelector('.count').textContent) : null;"
        ))
        .as_u64()
}

/// The status line's number of results.
fn result_count(browser: &Browser) -> u64 {
    let status = browser.wait_for(
        "the status line",
        "const s = document.getElementById('search-status').textContent;
         return /\\d/.test(s) ? s : null;",
    );
    status
        .as_str()
        .and_then(|s| {
            s.split(|c: char| !c.is_ascii_digit())
                .find(|w| !w.is_empty())
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in the status line {status}"))
}

#[test]
fn typing_a_word_prefix_shows_the_postmortem_with_it_in_the_title_first() {
    let _guard = one_at_a_time();
    let Some(browser) =
        Browser::start("typing_a_word_prefix_shows_the_postmortem_with_it_in_the_title_first")
    else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/search/"));
    let input = browser.find("#search-q");
    browser.wait_for(
        "the index",
        "return document.getElementById('search-status').textContent.includes('All');",
    );
    // Before a word is typed, every document is listed newest first, as archive.json has them.
    let listed = result_titles(&browser);
    let archive = browser.script(
        "return fetch('/archive.json').then(r => r.json()).then(a => a.documents.map(d => d.title));",
    );
    assert_eq!(
        listed,
        strings(&archive)[..listed.len()],
        "the first page of all documents"
    );
    browser.type_into(&input, "Idempot");
    browser.wait_for(
        "the query in the URL",
        "return location.search === '?q=Idempot';",
    );
    // The URL changes as the key is typed; the results follow once the shard is fetched.
    browser.wait_for(
        "the results of the query",
        "return document.getElementById('search-status').textContent.toLowerCase().includes('idempot');",
    );
    let titles = result_titles(&browser);
    assert_eq!(
        titles[0], "Customers charged twice when idempotency keys were evicted",
        "{titles:?}"
    );
    let marked = browser.script("return [...document.querySelectorAll('#search-results .result:first-child mark')].map(m => m.textContent);");
    assert!(
        strings(&marked).iter().any(|m| m == "idempotency"),
        "highlighted: {marked}"
    );
    screenshot(&browser, "search-query");
}

#[test]
fn choosing_a_facet_narrows_the_results_and_changes_the_other_counts() {
    let _guard = one_at_a_time();
    let Some(browser) =
        Browser::start("choosing_a_facet_narrows_the_results_and_changes_the_other_counts")
    else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/search/"));
    let all = result_count(&browser);
    let sev1 = facet_count(&browser, "severity", "sev1").expect("a SEV-1 facet value");
    let postmortems =
        facet_count(&browser, "kind", "postmortem").expect("a postmortem facet value");
    assert!(
        sev1 > 0 && sev1 < postmortems && postmortems <= all,
        "{sev1} {postmortems} {all}"
    );

    browser.click(&browser.find("#search-facets input[name=\"severity\"][value=\"sev1\"]"));
    browser.wait_for(
        "the filter in the URL",
        "return location.search === '?severity=sev1';",
    );
    browser.wait_for(
        "fewer results",
        &format!("return document.querySelectorAll('#search-results .result').length === {sev1};"),
    );
    assert_eq!(result_count(&browser), sev1);
    // Every result is a SEV-1, and the kind facet now counts only them.
    let labels = browser.wait_for("severity labels", &format!(
        "const s = [...document.querySelectorAll('#search-results .result .sev')].map(e => e.textContent);
         return s.length === {sev1} ? s : null;"
    ));
    assert!(strings(&labels).iter().all(|l| l == "SEV-1"), "{labels}");
    assert_eq!(facet_count(&browser, "kind", "postmortem"), Some(sev1));
    // The severity facet keeps its own counts, so another severity can be added.
    assert!(facet_count(&browser, "severity", "sev2").is_some_and(|n| n > 0));
    screenshot(&browser, "search-facet");
}

#[test]
fn keyboard_slash_then_typing_then_arrow_and_enter_opens_the_postmortem() {
    let _guard = one_at_a_time();
    let Some(browser) =
        Browser::start("keyboard_slash_then_typing_then_arrow_and_enter_opens_the_postmortem")
    else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/postmortems/"));
    browser.wait_for(
        "the header search box",
        "return !document.querySelector('.site-search').hidden;",
    );
    browser.press("/");
    let focused = browser.script("return document.activeElement.id;");
    assert_eq!(focused, "site-search-q", "`/` focuses the search box");
    browser.press(&format!("synonym{}", keys::ENTER));
    browser.wait_for(
        "the search page",
        "return location.pathname === '/search/' && location.search === '?q=synonym';",
    );
    let titles = result_titles(&browser);
    assert_eq!(
        titles[0],
        "Search latency rose twentyfold after a synonym update"
    );
    // The box has `autofocus`, which a headless browser may apply late; a reader would be
    // typing in it, so make sure the keys go there.
    browser.wait_for(
        "the search box focused",
        "document.getElementById('search-q').focus(); return document.activeElement.id === 'search-q';",
    );
    browser.press(&format!("{}{}", keys::DOWN, keys::ENTER));
    browser.wait_for(
        "the postmortem page",
        "return location.pathname.startsWith('/postmortems/');",
    );
    let heading = browser.wait_for(
        "the heading",
        "return document.querySelector('h1') && document.querySelector('h1').textContent;",
    );
    assert_eq!(
        heading,
        "Search latency rose twentyfold after a synonym update"
    );
}

#[test]
fn clicking_a_result_opens_its_page() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start("clicking_a_result_opens_its_page") else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/search/?q=load+balancer"));
    let titles = result_titles(&browser);
    assert_eq!(
        titles[0],
        "Storefront unreachable after its load balancer was deleted"
    );
    browser.click(&browser.find("#search-results .result:first-child a.doc-title"));
    browser.wait_for(
        "the postmortem page",
        "return location.pathname === '/postmortems/2023-05-16-console-deleted-load-balancer/';",
    );
}

#[test]
fn a_pasted_search_url_restores_the_query_and_the_filters() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start("a_pasted_search_url_restores_the_query_and_the_filters")
    else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/search/?q=dns&service=edge&severity=sev2"));
    let titles = result_titles(&browser);
    assert_eq!(
        titles,
        [
            "Internal DNS names stopped resolving after a resolver change",
            "Storefront unreachable after its load balancer was deleted",
        ]
    );
    assert_eq!(
        browser.script("return document.getElementById('search-q').value;"),
        "dns"
    );
    let checked = browser.script("return [...document.querySelectorAll('#search-facets input:checked')].map(b => b.name + '=' + b.value);");
    assert_eq!(strings(&checked), ["service=edge", "severity=sev2"]);
    screenshot(&browser, "search-pasted-url");
}

#[test]
fn markup_in_a_title_is_shown_as_text_and_never_runs() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start("markup_in_a_title_is_shown_as_text_and_never_runs") else {
        return;
    };
    let text = r#"+++
title = "Cache <img src=x onerror=alert(1)> purge failed"
date = 2024-01-02
summary = "A purge with <b>markup</b> in it."
severity = "sev3"
services = ["edge"]

[incident]
started = 2024-01-01T10:00:00Z
+++
The purge <script>alert(2)</script> never finished.
"#;
    let site = serve_archive(&[("cache-purge.md".into(), text.into())]);
    browser.goto(&site.url("/search/?q=purge"));
    let titles = result_titles(&browser);
    assert_eq!(titles, ["Cache <img src=x onerror=alert(1)> purge failed"]);
    let injected = browser.script("return document.querySelectorAll('#search-results img, #search-results script, #search-results b').length;");
    assert_eq!(injected, 0, "markup from content became elements");
    let summary =
        browser.script("return document.querySelector('#search-results .excerpt').textContent;");
    assert_eq!(summary, "A purge with <b>markup</b> in it.");
}

#[test]
fn words_in_other_scripts_are_found_in_their_shards() {
    // A shard's file is named by its key's UTF-8 bytes in hex, which the page must spell
    // the way the build does for keys beyond ASCII too.
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start("words_in_other_scripts_are_found_in_their_shards") else {
        return;
    };
    let postmortems: Vec<(String, String)> = [
        ("moscow", "Сбой кэша в Москве", 2),
        ("tokyo", "東京 region unreachable", 3),
        ("athens", "Αθήνα DNS outage", 4),
    ]
    .into_iter()
    .map(|(slug, title, day)| {
        let text = format!(
            "+++\ntitle = \"{title}\"\ndate = 2024-01-0{day}\nsummary = \"What happened.\"\n\
             severity = \"sev3\"\nservices = [\"edge\"]\n\n[incident]\n\
             started = 2024-01-01T10:00:00Z\n+++\nThe body.\n"
        );
        (format!("{slug}.md"), text)
    })
    .collect();
    let site = serve_archive(&postmortems);
    for (query, title) in [
        ("КЭШ", "Сбой кэша в Москве"),
        ("東京", "東京 region unreachable"),
        ("αθηνα", "Αθήνα DNS outage"),
    ] {
        browser.goto(&site.url(&format!("/search/?q={query}")));
        assert_eq!(result_titles(&browser), [title], "{query}");
    }
    screenshot(&browser, "search-other-scripts");
}

/// The status line, once it reports a query's results.
fn status_of_query(browser: &Browser) -> String {
    browser
        .wait_for(
            "the query's status line",
            "const s = document.getElementById('search-status').textContent;
             return /best first|Nothing matches/.test(s) ? s : null;",
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The notice above the results: corrections, words left out, a phrase not found.
fn notice(browser: &Browser) -> String {
    browser
        .script(
            "const n = document.getElementById('search-notice');
             return n.hidden ? '' : n.textContent;",
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_page_stems_words_exactly_as_the_index_does() {
    // The browser stems a query with its own Snowball English; the build with rust-stemmers.
    // Every word of the example archive and of the real corpora must get the same stem from
    // both, and texts the same terms, or a word form would find nothing.
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start("the_page_stems_words_exactly_as_the_index_does") else {
        return;
    };
    let mut text = String::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("content")];
    if let Some(corpora) =
        common::corpora::corpora("the_page_stems_words_exactly_as_the_index_does")
    {
        dirs.push(corpora);
    }
    for dir in dirs {
        for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
            if entry.file_type().is_file() {
                text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
                text.push('\n');
            }
        }
    }
    let mut words = hindsight::render::search::terms(&text);
    words.sort();
    words.dedup();
    assert!(words.len() > 3000, "only {} words", words.len());
    let expected: Vec<String> = words
        .iter()
        .map(|w| hindsight::render::search::stem(w).into_owned())
        .collect();
    let site = example_site();
    browser.goto(&site.url("/search/"));
    browser.wait_for("the page's words", "return !!window.hindsightSearch;");
    let stems = browser.script(&format!(
        "return {}.map(w => window.hindsightSearch.stem(w));",
        serde_json::to_string(&words).expect("JSON")
    ));
    let stems = strings(&stems);
    assert_eq!(stems.len(), words.len());
    let differ: Vec<String> = words
        .iter()
        .zip(stems.iter().zip(&expected))
        .filter(|(_, (js, rust))| js != rust)
        .map(|(w, (js, rust))| format!("{w}: page {js}, index {rust}"))
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        words.len(),
        differ.join("\n")
    );
    // Whole texts split the same way, identifiers and all.
    let sample = text.chars().take(200_000).collect::<String>();
    let page_terms = browser.script(&format!(
        "return window.hindsightSearch.terms({});",
        serde_json::to_string(&sample).expect("JSON")
    ));
    assert_eq!(
        strings(&page_terms),
        hindsight::render::search::terms(&sample)
    );
}

#[test]
fn a_misspelt_word_is_corrected_and_the_page_says_so_and_offers_the_exact_search() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start(
        "a_misspelt_word_is_corrected_and_the_page_says_so_and_offers_the_exact_search",
    ) else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/search/?q=synonim"));
    let titles = result_titles(&browser);
    assert_eq!(
        titles[0],
        "Search latency rose twentyfold after a synonym update"
    );
    let said = notice(&browser);
    assert!(
        said.contains("Showing results for synonym (no match for synonim)"),
        "{said}"
    );
    screenshot(&browser, "search-corrected");
    // The exact search is one click (or Enter on the link) away, and finds nothing.
    browser.click(&browser.find("#search-notice a.search-exact"));
    browser.wait_for(
        "the exact search in the URL",
        "return location.search === '?q=synonim&exact=1';",
    );
    assert_eq!(status_of_query(&browser), "Nothing matches “synonim”.");
    let said = notice(&browser);
    assert!(!said.contains("Showing results for"), "{said}");
}

#[test]
fn when_no_document_has_every_word_the_best_partial_matches_are_shown_with_what_was_left_out() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start(
        "when_no_document_has_every_word_the_best_partial_matches_are_shown_with_what_was_left_out",
    ) else {
        return;
    };
    let site = example_site();
    // A word found nowhere, not even as a near miss, is left out.
    browser.goto(&site.url("/search/?q=synonym+qqxqzz"));
    assert_eq!(
        result_titles(&browser)[0],
        "Search latency rose twentyfold after a synonym update"
    );
    let said = notice(&browser);
    assert!(said.contains("No document has qqxqzz"), "{said}");
    // Two words no document has together: the documents with the rarer or better-placed one
    // come first, and the notice names what the first result lacks.
    browser.goto(&site.url("/search/?q=synonym+idempotent"));
    let titles = result_titles(&browser);
    assert!(titles.len() >= 2, "{titles:?}");
    let said = notice(&browser);
    assert!(
        said.contains("No document has every word") && said.contains("left out"),
        "{said}"
    );
    let left_out = browser.script(
        "return [...document.querySelectorAll('#search-notice s')].map(s => s.textContent);",
    );
    let left_out = strings(&left_out);
    assert!(
        left_out == ["idempotent"] || left_out == ["synonym"],
        "{left_out:?}"
    );
    screenshot(&browser, "search-fallback");
}

fn small_postmortem(title: &str, day: u32, body: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\ndate = 2024-02-{day:02}\nsummary = \"What happened.\"\n\
         severity = \"sev3\"\nservices = [\"edge\"]\n\n[incident]\n\
         started = 2024-02-01T10:00:00Z\n+++\n{body}\n"
    )
}

#[test]
fn quoted_words_match_as_a_phrase_and_a_minus_leaves_documents_out() {
    let _guard = one_at_a_time();
    let Some(browser) =
        Browser::start("quoted_words_match_as_a_phrase_and_a_minus_leaves_documents_out")
    else {
        return;
    };
    let site = serve_archive(&[
        (
            "pool.md".into(),
            small_postmortem(
                "Checkout stalled",
                2,
                "The connection pool ran dry in staging.",
            ),
        ),
        (
            "reversed.md".into(),
            small_postmortem(
                "Reports slowed",
                3,
                "The pool of each worker held a connection open for hours in production.",
            ),
        ),
        (
            "pools.md".into(),
            small_postmortem("Search stalled", 4, "Both connection pools were full."),
        ),
    ]);
    browser.goto(&site.url("/search/?q=connection+pool"));
    assert_eq!(result_titles(&browser).len(), 3);
    // The phrase, and its other word forms ("connection pools"), but not the words apart.
    browser.goto(&site.url("/search/?q=%22connection+pool%22"));
    let mut titles = result_titles(&browser);
    titles.sort();
    assert_eq!(titles, ["Checkout stalled", "Search stalled"]);
    // A minus leaves out the documents with the word.
    browser.goto(&site.url("/search/?q=%22connection+pool%22+-staging"));
    status_of_query(&browser);
    assert_eq!(result_titles(&browser), ["Search stalled"]);
    browser.goto(&site.url("/search/?q=connection+-staging+-both"));
    status_of_query(&browser);
    assert_eq!(result_titles(&browser), ["Reports slowed"]);
    screenshot(&browser, "search-phrase-exclusion");
}

#[test]
fn a_phrase_is_found_past_the_first_8_kb_of_a_long_body() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start("a_phrase_is_found_past_the_first_8_kb_of_a_long_body")
    else {
        return;
    };
    // About 12 KB of other words, so the phrase is past what a result record holds.
    let filler = "The on-call engineer reviewed dashboards and paged the owning team. ".repeat(180);
    let site = serve_archive(&[
        (
            "late.md".into(),
            small_postmortem(
                "Payments stalled",
                2,
                &format!("{filler}\n\nAt last the broker quorum was restored."),
            ),
        ),
        (
            "apart.md".into(),
            small_postmortem(
                "Ledger lagged",
                3,
                &format!("The broker restarted. {filler}\n\nA quorum of replicas caught up."),
            ),
        ),
    ]);
    let fetched = |browser: &Browser, folder: &str| -> u64 {
        browser
            .script(&format!(
                "return performance.getEntriesByType('resource')
                   .filter(e => new URL(e.name).pathname.startsWith('/search/{folder}/')).length;"
            ))
            .as_u64()
            .unwrap_or_default()
    };
    // The words apart: both documents, and no body past its record is fetched.
    browser.goto(&site.url("/search/?q=broker+quorum"));
    assert_eq!(result_titles(&browser).len(), 2);
    assert_eq!(
        fetched(&browser, "text"),
        0,
        "a plain query reads records only"
    );
    // The phrase: only the document that has it, 12 KB in, with the phrase in its excerpt.
    browser.goto(&site.url("/search/?q=%22broker+quorum%22"));
    status_of_query(&browser);
    assert_eq!(result_titles(&browser), ["Payments stalled"]);
    assert!(
        fetched(&browser, "text") > 0,
        "the rest of a long body is read"
    );
    let excerpt =
        browser.script("return document.querySelector('#search-results .excerpt').textContent;");
    assert!(
        excerpt
            .as_str()
            .is_some_and(|e| e.contains("broker quorum was restored")),
        "{excerpt}"
    );
    assert_eq!(notice(&browser), "");
}

#[test]
fn services_and_tags_arrive_after_the_first_results_and_count_exactly() {
    let _guard = one_at_a_time();
    let Some(browser) =
        Browser::start("services_and_tags_arrive_after_the_first_results_and_count_exactly")
    else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/search/?q=dns"));
    assert!(!result_titles(&browser).is_empty());
    browser.wait_for(
        "the service facet",
        "return document.querySelector('#search-facets input[name=\"service\"]');",
    );
    // The facet files were asked for only once every record on screen had arrived.
    let order = browser.script(
        "const e = performance.getEntriesByType('resource');
         const at = p => e.filter(x => new URL(x.name).pathname.startsWith(p));
         const facets = at('/search/facets/');
         const records = at('/search/doc/');
         return facets.length > 0 && records.length > 0
           && Math.min(...facets.map(x => x.startTime)) >= Math.max(...records.map(x => x.responseEnd));",
    );
    assert_eq!(order, Value::Bool(true));
    // Every row shows its services once they are here.
    browser.wait_for(
        "service chips",
        "return document.querySelector('#search-results .chip');",
    );
    // A service's count is the number of results it leaves.
    let edge = facet_count(&browser, "service", "edge").expect("an edge facet value");
    browser.click(&browser.find("#search-facets input[name=\"service\"][value=\"edge\"]"));
    browser.wait_for(
        "the filter in the URL",
        "return location.search === '?q=dns&service=edge';",
    );
    browser.wait_for(
        "the filtered results",
        &format!("return document.querySelectorAll('#search-results .result').length === {edge};"),
    );
    assert_eq!(result_count(&browser), edge);
    assert!(facet_count(&browser, "tag", "dns").is_some_and(|n| n > 0));
}

#[test]
fn the_box_has_focus_on_a_cold_load_and_the_keyboard_moves_through_results_as_a_listbox() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start(
        "the_box_has_focus_on_a_cold_load_and_the_keyboard_moves_through_results_as_a_listbox",
    ) else {
        return;
    };
    let site = example_site();
    browser.goto(&site.url("/search/"));
    browser.wait_for(
        "the index",
        "return document.getElementById('search-status').textContent.includes('All');",
    );
    // Nothing here focuses the box: the page must have.
    assert_eq!(
        browser.script("return document.activeElement.id;"),
        "search-q"
    );
    let roles = browser.script(
        "const q = document.getElementById('search-q');
         return [q.getAttribute('role'), q.getAttribute('aria-controls'),
                 document.getElementById('search-results').getAttribute('role')];",
    );
    assert_eq!(strings(&roles), ["combobox", "search-results", "listbox"]);
    browser.press("dns");
    browser.wait_for(
        "the results of dns",
        "return document.getElementById('search-status').textContent.includes('dns');",
    );
    result_titles(&browser);
    assert_eq!(
        browser.script("return document.getElementById('search-q').getAttribute('aria-expanded');"),
        "true"
    );
    browser.press(&format!("{}{}", keys::DOWN, keys::DOWN));
    let active = browser.script(
        "const q = document.getElementById('search-q');
         const id = q.getAttribute('aria-activedescendant');
         const option = document.getElementById(id);
         return [document.activeElement.id, id, option.getAttribute('role'),
                 option.getAttribute('aria-selected'),
                 document.querySelectorAll('#search-results [aria-selected=true]').length + ''];",
    );
    assert_eq!(
        strings(&active),
        ["search-q", "result-1", "option", "true", "1"],
        "the second result is the active option, and focus stays in the box"
    );
    let first = browser
        .script("return document.querySelector('a#result-0.doc-title').getAttribute('href');");
    browser.press(&format!("{}{}", keys::UP, keys::ENTER));
    browser.wait_for(
        "the first result's page",
        &format!("return location.pathname === {first};"),
    );
}

#[test]
fn a_hostile_query_string_is_shown_as_text_and_never_runs() {
    let _guard = one_at_a_time();
    let Some(browser) = Browser::start("a_hostile_query_string_is_shown_as_text_and_never_runs")
    else {
        return;
    };
    let site = example_site();
    let hostile = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>\"dns";
    let encoded: String = hostile.bytes().map(|b| format!("%{b:02X}")).collect();
    browser.goto(&site.url(&format!("/search/?q={encoded}")));
    let status = status_of_query(&browser);
    assert!(status.contains(hostile), "the query as typed: {status}");
    assert_eq!(
        browser.script("return document.getElementById('search-q').value;"),
        hostile
    );
    let injected = browser.script(
        "return document.querySelectorAll('#search img, #search script').length + ' ' + (window.pwned || 0);",
    );
    assert_eq!(
        injected, "0 0",
        "markup from the URL became elements or ran"
    );
    // With a misspelling, the correction notice repeats the query, as text too.
    let hostile = "<b>synonim</b>";
    let encoded: String = hostile.bytes().map(|b| format!("%{b:02X}")).collect();
    browser.goto(&site.url(&format!("/search/?q={encoded}")));
    status_of_query(&browser);
    assert!(notice(&browser).contains("Search for exactly <b>synonim</b>"));
    assert_eq!(
        browser.script("return document.querySelectorAll('#search-notice b').length;"),
        0
    );
}
