//! The render phase: the linked [`Archive`] becomes a [`Site`], a map from output paths to
//! bytes. Every page is a pure function of the archive, rendered in parallel.

mod actions;
pub mod charts;
mod data;
pub mod feeds;
mod pages;
pub mod search;
mod stats;
mod timeline;
pub mod views;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::archive::Archive;
use crate::diagnostic::Diagnostic;
use crate::theme::{Theme, template_error};
use views::Views;

pub use pages::{PageKind, all as all_pages};

/// The generated site: output path (relative, `/`-separated) to content.
#[derive(Debug, Default)]
pub struct Site {
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

/// One page to render: where it goes, with which template, and what the template sees.
pub struct Page {
    /// The site path, such as `/postmortems/x/` or `/404.html`.
    pub path: String,
    pub template: &'static str,
    pub context: tera::Context,
}

impl Page {
    pub fn new(path: impl Into<String>, template: &'static str, view: &impl Serialize) -> Self {
        let context = tera::Context::from_serialize(view).unwrap_or_default();
        Page {
            path: path.into(),
            template,
            context,
        }
    }

    /// The file a site path is written to: directories get an `index.html`.
    pub fn output_path(&self) -> PathBuf {
        output_path(&self.path)
    }
}

/// The file a site path is written to: directories get an `index.html`.
pub fn output_path(site_path: &str) -> PathBuf {
    let relative = site_path.trim_start_matches('/');
    if relative.is_empty() || relative.ends_with('/') {
        PathBuf::from(format!("{relative}index.html"))
    } else {
        PathBuf::from(relative)
    }
}

/// Renders every page, asset and data file of the site.
pub fn render(archive: &Archive, theme: &Theme) -> Result<Site, Diagnostic> {
    let views = Views::new(archive);
    let pages = render_pages(&views, theme, &pages::all(archive))?;
    let page_paths: Vec<String> = pages.iter().map(|page| page.path.clone()).collect();
    let mut site = Site::default();
    site.files.extend(render_files(&views, theme, &page_paths));
    site.files
        .extend(pages.into_iter().map(|page| (page.output, page.html)));
    Ok(site)
}

/// A page rendered to HTML.
pub struct RenderedPage {
    /// The site path, such as `/postmortems/x/`.
    pub path: String,
    /// The file it is written to, such as `postmortems/x/index.html`.
    pub output: PathBuf,
    pub html: Vec<u8>,
}

/// Renders the given pages, in parallel.
///
/// `serve` calls this with only the pages an edit can change, so one render loop serves both
/// the full build and the incremental one.
pub fn render_pages(
    views: &Views,
    theme: &Theme,
    kinds: &[PageKind],
) -> Result<Vec<RenderedPage>, Diagnostic> {
    let site_view = tera::Context::from_serialize(serde_json::json!({ "site": views.site() }))
        .map_err(|e| template_error(&e))?;
    kinds
        .par_iter()
        .map(|kind| {
            let mut page = pages::build(kind, views);
            page.context.extend(site_view.clone());
            page.context.insert("page_path", &page.path);
            theme
                .templates
                .render(page.template, &page.context)
                .map(|html| RenderedPage {
                    output: page.output_path(),
                    path: page.path.clone(),
                    html: html.into_bytes(),
                })
                .map_err(|e| {
                    let mut d = template_error(&e);
                    d.message = format!("rendering {}: {}", page.path, d.message);
                    d
                })
        })
        .collect()
}

/// Every output that is not a page: the theme's static files, the highlighting stylesheet,
/// the feeds, the JSON data, the search index and the sitemap (of `page_paths`, the site
/// path of every page).
///
/// `serve` makes all of these on every rebuild, so a site-wide output belongs here, not in
/// [`render`].
pub fn render_files(
    views: &Views,
    theme: &Theme,
    page_paths: &[String],
) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = theme.assets.clone();
    files.push((
        PathBuf::from("highlight.css"),
        crate::markdown::highlight_css().into_bytes(),
    ));
    files.extend(feeds::all(views));
    files.extend(data::all(views));
    files.extend(search::files(views.archive, views));
    let directories: Vec<String> = page_paths
        .iter()
        .filter(|path| path.ends_with('/'))
        .cloned()
        .collect();
    files.push((
        PathBuf::from("sitemap.xml"),
        feeds::sitemap(views, &directories),
    ));
    files
}
