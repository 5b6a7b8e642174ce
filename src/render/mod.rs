//! The render phase: the linked [`Archive`] becomes a [`Site`], a map from output paths to
//! bytes. Every page is a pure function of the archive, rendered in parallel.

mod actions;
pub mod charts;
mod data;
pub mod feeds;
mod pages;
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
    let site_view = tera::Context::from_serialize(serde_json::json!({ "site": views.site() }))
        .map_err(|e| template_error(&e))?;
    let rendered: Vec<(String, PathBuf, Vec<u8>)> = pages::all(archive)
        .into_par_iter()
        .map(|kind| {
            let mut page = pages::build(&kind, &views);
            page.context.extend(site_view.clone());
            page.context.insert("page_path", &page.path);
            theme
                .templates
                .render(page.template, &page.context)
                .map(|html| (page.path.clone(), page.output_path(), html.into_bytes()))
                .map_err(|e| {
                    let mut d = template_error(&e);
                    d.message = format!("rendering {}: {}", page.path, d.message);
                    d
                })
        })
        .collect::<Result<_, _>>()?;

    let mut site = Site::default();
    for (path, bytes) in &theme.assets {
        site.files.insert(path.clone(), bytes.clone());
    }
    site.files.insert(
        PathBuf::from("highlight.css"),
        crate::markdown::highlight_css().into_bytes(),
    );
    let page_paths: Vec<String> = rendered
        .iter()
        .map(|(path, _, _)| path.clone())
        .filter(|path| path.ends_with('/'))
        .collect();
    site.files.extend(
        rendered
            .into_iter()
            .map(|(_, output, bytes)| (output, bytes)),
    );
    site.files.extend(feeds::all(&views));
    site.files.extend(data::all(&views));
    site.files.insert(
        PathBuf::from("sitemap.xml"),
        feeds::sitemap(&views, &page_paths),
    );
    Ok(site)
}
