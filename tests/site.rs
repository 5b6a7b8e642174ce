//! The generated site as a reader meets it: pages exist, cross-links go both ways, listings
//! hold the right documents, and every link and asset reference resolves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hindsight::build::{BuildOptions, build};

mod built_site;

fn example_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds an archive into a fresh directory and returns the directory and its files.
fn build_site(root: &Path, base_url: Option<&str>, drafts: bool) -> (tempfile::TempDir, Site) {
    let out = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        root: root.to_path_buf(),
        out: Some(out.path().join("site")),
        edition: None,
        base_url: base_url.map(str::to_string),
        drafts,
    };
    hindsight::seal::use_process_key();
    if let Err(error) = build(&options) {
        panic!("the build failed: {error:?}");
    }
    let site = Site::read(&out.path().join("site"));
    (out, site)
}

/// Every file of a built site, by its path relative to the output.
struct Site {
    dir: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
}

impl Site {
    fn read(dir: &Path) -> Self {
        Site {
            dir: dir.to_path_buf(),
            files: built_site::files_under(dir),
        }
    }

    fn page(&self, path: &str) -> String {
        let file = format!("{}index.html", path.trim_start_matches('/'));
        let bytes = self
            .files
            .get(&file)
            .unwrap_or_else(|| panic!("no page {path} in {}", self.dir.display()));
        String::from_utf8(bytes.clone()).unwrap()
    }

    fn has_page(&self, path: &str) -> bool {
        self.files
            .contains_key(&format!("{}index.html", path.trim_start_matches('/')))
    }
}

/// The values of `attr="..."` attributes in an HTML text.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let start = i + needle.len();
            html[start..].find('"').map(|end| &html[start..start + end])
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

/// Checks that every site link and asset reference in every HTML page resolves to a file,
/// and every `#fragment` to an id on the target page. Returns the broken ones.
fn broken_links(site: &Site, base_path: &str) -> Vec<String> {
    let mut broken = Vec::new();
    for (file, bytes) in &site.files {
        if !file.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(bytes);
        for value in attribute_values(&html, "href")
            .into_iter()
            .chain(attribute_values(&html, "src"))
        {
            let url = unescape(value);
            if url.contains("://") || url.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = match url.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (url.clone(), None),
            };
            let target_file = if path.is_empty() {
                file.clone()
            } else {
                let Some(site_path) = path.strip_prefix(base_path) else {
                    broken.push(format!(
                        "{file}: {url} is outside the base path {base_path}"
                    ));
                    continue;
                };
                let site_path = site_path.split('?').next().unwrap_or("");
                let relative = site_path.trim_start_matches('/');
                if relative.is_empty() || relative.ends_with('/') {
                    format!("{relative}index.html")
                } else {
                    relative.to_string()
                }
            };
            let Some(target) = site.files.get(&target_file) else {
                broken.push(format!("{file}: {url} -> {target_file} does not exist"));
                continue;
            };
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                let target_html = String::from_utf8_lossy(target);
                if !target_html.contains(&format!("id=\"{fragment}\"")) {
                    broken.push(format!("{file}: {url}: no id {fragment} on {target_file}"));
                }
            }
        }
    }
    broken
}

#[test]
fn every_link_and_asset_of_the_example_site_resolves() {
    let (_out, site) = build_site(&example_root(), None, false);
    assert!(site.files.len() > 40, "only {} files", site.files.len());
    let broken = broken_links(&site, "");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn links_carry_the_base_path_of_a_deploy_preview() {
    let (_out, site) = build_site(
        &example_root(),
        Some("https://deploy-preview-7--acme.netlify.app/archive/"),
        false,
    );
    let home = site.page("/");
    assert!(home.contains("href=\"/archive/postmortems/\""), "{home}");
    let broken = broken_links(&site, "/archive");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_example_site_has_every_index_and_a_page_per_document() {
    let (_out, site) = build_site(&example_root(), None, false);
    for path in ["/", "/postmortems/", "/premortems/", "/services/", "/tags/"] {
        assert!(site.has_page(path), "{path} is missing");
    }
    assert!(site.files.contains_key("404.html"));
    assert!(site.files.contains_key("style.css"));
    let content = example_root().join("content");
    for kind in ["postmortems", "premortems"] {
        for entry in std::fs::read_dir(content.join(kind)).unwrap() {
            let path = entry.unwrap().path();
            let slug = path.file_stem().unwrap().to_string_lossy();
            assert!(
                site.has_page(&format!("/{kind}/{slug}/")),
                "no page for {}",
                path.display()
            );
        }
    }
}

/// A small archive written by a test, with everything a reader cross-references.
fn small_archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| built_site::write(root, path, text);
    write(
        "hindsight.toml",
        r#"title = "Test archive"
[services.api]
name = "Public API"
description = "The front door"
owner = "api-team"
tier = 1
"#,
    );
    write(
        "content/premortems/launch.md",
        r#"+++
title = "Launch premortem"
date = 2021-01-10
services = ["api"]
tags = ["launch"]

[[risks]]
id = "capacity"
title = "Not enough capacity on launch day"
likelihood = "high"
impact = "high"

[[risks]]
id = "never"
title = "A risk that never came true"
likelihood = "low"
impact = "medium"
+++
We imagined the launch had failed.
"#,
    );
    write(
        "content/postmortems/2021-02-01-overload.md",
        r#"+++
title = "Launch day overload"
date = 2021-02-03
severity = "sev2"
services = ["api", "billing"]
tags = ["launch", "capacity"]
premortems = ["launch#capacity"]

[incident]
started = 2021-02-01T10:00:00Z
detected = 2021-02-01T10:05:00Z
resolved = 2021-02-01T11:30:00Z

[[actions]]
title = "Load test before launches"
owner = "api-team"
kind = "prevent"
status = "open"
+++
## Summary

The API fell over. See [the premortem](../premortems/launch.md#risk-capacity).
"#,
    );
    write(
        "content/postmortems/2022-03-01-slow-queries.md",
        r#"+++
title = "Slow queries after an index drop"
date = 2022-03-02
severity = "sev3"
services = ["api"]
tags = ["database"]
related = ["2021-02-01-overload"]

[incident]
started = 2022-03-01T08:00:00Z
+++
Text.
"#,
    );
    write(
        "content/postmortems/2022-05-01-draft.md",
        r#"+++
title = "A draft still being written"
date = 2022-05-02
status = "draft"
severity = "sev4"
services = ["api"]

[incident]
started = 2022-05-01T08:00:00Z
+++
Draft.
"#,
    );
    dir
}

#[test]
fn a_risk_that_came_true_links_both_ways() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    let premortem = site.page("/premortems/launch/");
    let risk_block = premortem
        .split("id=\"risk-capacity\"")
        .nth(1)
        .expect("the risk has an anchor")
        .split("</li>\n")
        .next()
        .unwrap()
        .to_string();
    assert!(risk_block.contains("Came true"), "{risk_block}");
    assert!(risk_block.contains("href=\"/postmortems/2021-02-01-overload/\""));
    let never = premortem.split("id=\"risk-never\"").nth(1).unwrap();
    assert!(
        never
            .split("</li>")
            .next()
            .unwrap()
            .contains("Has not come true")
    );

    let postmortem = site.page("/postmortems/2021-02-01-overload/");
    assert!(
        postmortem.contains("href=\"/premortems/launch/#risk-capacity\""),
        "{postmortem}"
    );
    assert!(postmortem.contains("Not enough capacity on launch day"));
}

#[test]
fn related_postmortems_are_shown_in_both_directions() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    let newer = site.page("/postmortems/2022-03-01-slow-queries/");
    let older = site.page("/postmortems/2021-02-01-overload/");
    assert!(newer.contains("href=\"/postmortems/2021-02-01-overload/\""));
    assert!(older.contains("href=\"/postmortems/2022-03-01-slow-queries/\""));
}

#[test]
fn service_and_tag_pages_list_their_documents() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    let api = site.page("/services/api/");
    assert!(api.contains("Public API") && api.contains("api-team"));
    assert!(
        api.contains("Launch day overload") && api.contains("Slow queries after an index drop")
    );
    assert!(
        api.contains("Launch premortem"),
        "premortems naming the service are listed"
    );
    // Newest first.
    let listed = api.split("<h2>Postmortems</h2>").nth(1).unwrap();
    assert!(listed.find("Slow queries").unwrap() < listed.find("Launch day overload").unwrap());

    // A service missing from the catalogue still gets its page.
    let billing = site.page("/services/billing/");
    assert!(billing.contains("Launch day overload"));
    assert!(!billing.contains("Slow queries"));

    let launch = site.page("/tags/launch/");
    assert!(launch.contains("Launch day overload") && launch.contains("Launch premortem"));
    let database = site.page("/tags/database/");
    assert!(database.contains("Slow queries") && !database.contains("Launch day overload"));
    let tags = site.page("/tags/");
    for tag in ["launch", "capacity", "database"] {
        assert!(
            tags.contains(&format!("href=\"/tags/{tag}/\"")),
            "{tag} missing from /tags/"
        );
    }
}

#[test]
fn the_postmortem_page_shows_its_metadata_and_action_items() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    let page = site.page("/postmortems/2021-02-01-overload/");
    for expected in [
        "SEV-2",
        "2021-02-01 10:00 UTC",
        "2021-02-01 11:30 UTC",
        "1 h 30 min",
        "5 min",
        "Load test before launches",
        "api-team",
        "href=\"/services/billing/\"",
        "href=\"/tags/capacity/\"",
        // The Markdown link to the premortem file became a link to its page.
        "href=\"/premortems/launch/#risk-capacity\"",
    ] {
        assert!(page.contains(expected), "{expected:?} missing");
    }
    let broken = broken_links(&site, "");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    assert!(!site.has_page("/postmortems/2022-05-01-draft/"));
    let everything: BTreeSet<_> = site
        .files
        .values()
        .filter(|b| String::from_utf8_lossy(b).contains("A draft still being written"))
        .collect();
    assert!(
        everything.is_empty(),
        "the draft's title appears in the site"
    );

    let (_out, site) = build_site(archive.path(), None, true);
    assert!(
        site.page("/postmortems/2022-05-01-draft/")
            .contains("draft")
    );
}

#[test]
fn postmortems_are_listed_newest_first_grouped_by_year() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    let list = site.page("/postmortems/");
    let y2022 = list.find("id=\"y2022\"").unwrap();
    let y2021 = list.find("id=\"y2021\"").unwrap();
    assert!(y2022 < y2021);
    assert!(list.find("Slow queries").unwrap() < list.find("Launch day overload").unwrap());
}

/// A listing shows each document as a row the theme's `doc_row` macro makes once per
/// document; an archive that overrides the macro sees its own row in every listing.
#[test]
fn an_archive_s_own_doc_row_is_the_row_of_every_listing() {
    let archive = small_archive();
    let macros = hindsight::theme::default_file("templates/macros.html").unwrap();
    let start = macros.find("{% macro doc_row(doc) %}").unwrap();
    let end = macros.find("{% endmacro doc_row %}").unwrap();
    let own_row =
        r#"{% macro doc_row(doc) %}<li class="own-row">{{ doc.title }}, {{ doc.date }}</li>"#;
    built_site::write(
        archive.path(),
        "templates/macros.html",
        &format!("{}{own_row}{}", &macros[..start], &macros[end..]),
    );
    let (_out, site) = build_site(archive.path(), None, false);
    let row = r#"<li class="own-row">Launch day overload, 2021-02-03</li>"#;
    for path in [
        "/",
        "/postmortems/",
        "/services/api/",
        "/tags/launch/",
        "/postmortems/2022-03-01-slow-queries/",
    ] {
        let page = site.page(path);
        assert!(page.contains(row), "{path} lists no own row:\n{page}");
        assert!(
            !page.contains("class=\"doc-row\""),
            "{path} kept the default row"
        );
    }
}

/// The example archive with `paginate_by` set, in a fresh directory.
fn example_with_pages_of(rows: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    built_site::copy_tree(&example_root().join("content"), &dir.path().join("content"));
    let config = std::fs::read_to_string(example_root().join("hindsight.toml")).unwrap();
    built_site::write(
        dir.path(),
        "hindsight.toml",
        &format!("paginate_by = {rows}\n{config}"),
    );
    dir
}

/// The pages of a paginated listing at `path`, in order, as many as there are.
fn listing_pages(site: &Site, path: &str) -> Vec<String> {
    let mut pages = vec![site.page(path)];
    while site.has_page(&format!("{path}page/{}/", pages.len() + 1)) {
        pages.push(site.page(&format!("{path}page/{}/", pages.len() + 1)));
    }
    pages
}

/// The first link to a postmortem in each row of a listing page's main part, in order; rows
/// without one (premortems) are left out.
fn listed(page: &str, row_marker: &str) -> Vec<String> {
    let main = &page[page.find("<main").unwrap()..page.find("</main>").unwrap()];
    main.split(row_marker)
        .skip(1)
        .filter_map(|row| {
            let link = &row[row.find("href=\"/postmortems/")? + 6..];
            Some(link[..link.find('"').unwrap()].to_string())
        })
        .collect()
}

#[test]
fn long_listings_are_cut_into_pages_that_keep_every_row_in_order() {
    let (_whole_dir, whole) = build_site(&example_root(), None, false);
    const ROWS: usize = 2;
    let archive = example_with_pages_of(ROWS);
    let (_out, paged) = build_site(archive.path(), None, false);
    let broken = broken_links(&paged, "");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));

    for (path, row_marker) in [
        ("/postmortems/", "<li class=\"doc-row\""),
        ("/actions/", "<tr class=\""),
        ("/actions/closed/", "<tr class=\""),
        ("/services/storefront/", "<li class=\"doc-row\""),
        ("/tags/migration/", "<li class=\"doc-row\""),
    ] {
        let one_page = listing_pages(&whole, path);
        assert_eq!(one_page.len(), 1, "{path} fits on one page by default");
        let pages = listing_pages(&paged, path);
        let rows: Vec<Vec<String>> = pages.iter().map(|p| listed(p, row_marker)).collect();
        assert!(pages.len() >= 2, "{path} has {} pages", pages.len());
        for (number, page_rows) in rows.iter().enumerate() {
            assert!(
                (1..=ROWS).contains(&page_rows.len()),
                "{path} page {} has {} rows",
                number + 1,
                page_rows.len()
            );
        }
        // The same rows as on one page, in the same order.
        assert_eq!(rows.concat(), listed(&one_page[0], row_marker), "{path}");
        // Each page links to its neighbours.
        for (number, page) in pages.iter().enumerate().skip(1) {
            let previous = match number {
                1 => path.to_string(),
                _ => format!("{path}page/{number}/"),
            };
            assert!(page.contains(&format!("rel=\"prev\" href=\"{previous}\"")));
            assert!(
                pages[number - 1]
                    .contains(&format!("rel=\"next\" href=\"{path}page/{}/\"", number + 1))
            );
        }
        assert!(!pages[pages.len() - 1].contains("rel=\"next\""), "{path}");
    }

    // A service's figures are on its first page, its feed on every page.
    let storefront = listing_pages(&paged, "/services/storefront/");
    assert!(storefront[0].contains("Incidents over time"));
    assert!(!storefront[1].contains("Incidents over time"));
    assert!(
        storefront
            .iter()
            .all(|p| p.contains("application/atom+xml"))
    );

    // A year that goes on over a page says so, and the year links find where it begins.
    let postmortems = listing_pages(&paged, "/postmortems/");
    assert!(postmortems.iter().any(|p| p.contains(" (continued) <span")));
    let years = attribute_values(&postmortems[0], "href")
        .into_iter()
        .filter(|href| href.contains("#y"))
        .count();
    assert!(years >= 4, "{years} year links");
}

#[test]
fn code_blocks_are_highlighted_with_classes_and_one_stylesheet() {
    let (_out, site) = build_site(&example_root(), None, false);
    let highlighted = site
        .files
        .iter()
        .filter(|(name, _)| name.starts_with("postmortems/"))
        .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains("<span class=\"hl-"))
        .count();
    assert!(
        highlighted >= 5,
        "only {highlighted} pages have highlighted code"
    );
    let css = String::from_utf8(site.files["highlight.css"].clone()).unwrap();
    assert!(css.contains(".hl-") && css.contains("prefers-color-scheme: dark"));
}

/// The `content` of the first `<meta property=...>` or `<meta name=...>` that names `key`.
fn meta(page: &str, key: &str) -> Option<String> {
    let needle = format!("=\"{key}\" content=\"");
    let start = page.find(&needle)? + needle.len();
    Some(unescape(&page[start..start + page[start..].find('"')?]))
}

#[test]
fn a_postmortem_link_pasted_into_chat_shows_its_title_summary_and_address() {
    let archive = small_archive();
    let (_out, site) = build_site(
        archive.path(),
        Some("https://postmortems.example.com/archive"),
        false,
    );
    let page = site.page("/postmortems/2021-02-01-overload/");
    let address = "https://postmortems.example.com/archive/postmortems/2021-02-01-overload/";
    assert_eq!(
        meta(&page, "og:title").as_deref(),
        Some("Launch day overload")
    );
    assert_eq!(meta(&page, "og:type").as_deref(), Some("article"));
    assert_eq!(meta(&page, "og:url").as_deref(), Some(address));
    assert!(page.contains(&format!("<link rel=\"canonical\" href=\"{address}\">")));
    assert_eq!(meta(&page, "og:description"), meta(&page, "description"));
    assert!(
        page.contains("<link rel=\"icon\" href=\"/archive/favicon.svg\" type=\"image/svg+xml\">")
    );
    assert!(site.files.contains_key("favicon.svg"));
    let home = site.page("/");
    assert_eq!(meta(&home, "og:type").as_deref(), Some("website"));
    assert_eq!(
        meta(&home, "og:url").as_deref(),
        Some("https://postmortems.example.com/archive/")
    );
}

#[test]
fn only_pages_with_code_load_the_highlighting_stylesheet() {
    let (_out, site) = build_site(&example_root(), None, false);
    let mut with_code = 0;
    for (name, bytes) in &site.files {
        if !name.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(bytes);
        let has_code = html.contains("<pre class=\"code\"");
        let loads = html.contains("href=\"/highlight.css\"");
        assert_eq!(
            has_code, loads,
            "{name}: code {has_code}, stylesheet {loads}"
        );
        with_code += usize::from(has_code);
    }
    assert!(with_code >= 5, "only {with_code} pages have code");
}

#[test]
fn action_items_and_timeline_entries_have_ids_a_reader_can_link_to() {
    let (_out, site) = build_site(&example_root(), None, false);
    let page = site.page("/postmortems/2022-04-19-checkout-launch-saturation/");
    let ids = attribute_values(&page, "id");
    let action_ids: Vec<&&str> = ids.iter().filter(|id| id.starts_with("action_")).collect();
    assert!(action_ids.len() >= 3, "{action_ids:?}");
    assert!(ids.contains(
        &"action_put-pgbouncer-in-transaction-mode-between-the-checkout-api-and-the-orders-database"
    ));
    let timeline_ids: Vec<&&str> = ids.iter().filter(|id| id.starts_with("t_")).collect();
    assert!(timeline_ids.len() >= 5, "{timeline_ids:?}");
    assert!(
        ids.contains(&"t_detected") && ids.contains(&"t_2022-04-19-1330"),
        "{timeline_ids:?}"
    );
    // Each has a link to itself, to copy.
    for id in action_ids.iter().chain(&timeline_ids) {
        assert!(
            page.contains(&format!("class=\"anchor\" href=\"#{id}\"")),
            "{id}"
        );
    }
    let unique: BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "ids repeat on the page");
}

#[test]
fn a_postmortem_links_to_the_one_published_before_and_after_it() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    let older = site.page("/postmortems/2021-02-01-overload/");
    let newer = site.page("/postmortems/2022-03-01-slow-queries/");
    assert!(older.contains("rel=\"next\" href=\"/postmortems/2022-03-01-slow-queries/\""));
    assert!(
        !older.contains("rel=\"prev\""),
        "the oldest has no previous"
    );
    assert!(newer.contains("rel=\"prev\" href=\"/postmortems/2021-02-01-overload/\""));
    // The draft is left out of the build, so it is nobody's neighbour.
    assert!(!newer.contains("rel=\"next\""));
    assert!(older.contains("aria-current=\"true\">Postmortems</a>"));
    assert!(
        site.page("/postmortems/")
            .contains("aria-current=\"page\">Postmortems</a>")
    );
}

#[test]
fn a_postmortem_without_headings_has_no_contents_column() {
    let archive = small_archive();
    let (_out, site) = build_site(archive.path(), None, false);
    let headed = site.page("/postmortems/2021-02-01-overload/");
    let plain = site.page("/postmortems/2022-03-01-slow-queries/");
    assert!(headed.contains("class=\"doc-layout with-toc\"") && headed.contains("class=\"toc\""));
    assert!(plain.contains("class=\"doc-layout\"") && !plain.contains("class=\"toc\""));
}
