//! `hindsight new`: a complete, correct start for a postmortem or a premortem.
//!
//! The file is made from a template in which every front-matter field is present or commented
//! and every section says what belongs in it. The templates are Tera templates; the defaults
//! ship in the binary (`themes/default/new/`), and an archive replaces them with its own
//! `templates/new/postmortem.md` and `templates/new/premortem.md` (or a selected theme's
//! `new/` directory). The file written passes `hindsight check` with warnings at most.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::config::{CONFIG_FILE, Config};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::document::Kind;
use crate::load;
use crate::markdown::slugify;
use crate::theme;

/// What the writer asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    pub title: String,
    pub services: Vec<String>,
    /// A severity id; the least severe of the scale when not given (postmortems only).
    pub severity: Option<String>,
}

/// Why nothing was written.
#[derive(Debug)]
pub enum NewError {
    /// The request cannot be met as asked (a title without letters, an unknown severity):
    /// what is wrong, and what to do.
    BadRequest { message: String, hint: String },
    /// The file exists already; it is never overwritten.
    Exists(PathBuf),
    /// The configuration or the template is broken, or the file cannot be written.
    Failed(Vec<Diagnostic>),
}

/// What a `new` template is given.
#[derive(Serialize)]
struct TemplateContext<'a> {
    /// The title as typed, for prose.
    title: &'a str,
    /// The title as a TOML string, quotes included, for the front matter.
    title_toml: String,
    /// Today, `2026-11-21`: the publication date to start from.
    date: String,
    /// Now, to the minute, with the writer's offset: where `incident.started` starts.
    now: String,
    severity: &'a str,
    severities: &'a [crate::config::Severity],
    /// The services as a TOML array, such as `["api", "db"]`.
    services_toml: String,
    /// Every service id of the catalogue, comma-separated in lines short enough for a comment.
    catalogue_lines: Vec<String>,
    /// `[check] tags`, when the archive limits tags, in lines the same way.
    tag_lines: Vec<String>,
}

/// Writes a new document under `root` and returns its path relative to the root.
///
/// `now` is the writer's local time: it names the file and fills the dates.
pub fn create(
    root: &Path,
    request: &Request,
    now: DateTime<FixedOffset>,
) -> Result<PathBuf, NewError> {
    let mut config_diagnostics = Vec::new();
    let config = load::load_config(root, &mut config_diagnostics);
    if !config_diagnostics.is_empty() {
        return Err(NewError::Failed(config_diagnostics));
    }
    if request.title.chars().any(char::is_control) {
        // A line break would also end the front matter early, at a `+++` line of the title.
        return Err(NewError::BadRequest {
            message: format!(
                "the title {:?} holds a line break or another control character",
                request.title
            ),
            hint: "give the title on one line; the summary and the body take the rest".into(),
        });
    }
    let slug = slugify(&request.title);
    if slug.is_empty() {
        return Err(NewError::BadRequest {
            message: format!(
                "the title \"{}\" has no letters or digits to name the file after",
                request.title
            ),
            hint: "give a title with at least one ASCII letter or digit".into(),
        });
    }
    let date = now.format("%Y-%m-%d").to_string();
    let path = match request.kind {
        Kind::Postmortem => Path::new("content/postmortems").join(format!("{date}-{slug}.md")),
        Kind::Premortem => Path::new("content/premortems").join(format!("{slug}.md")),
    };
    let severity = severity_of(&config, request.severity.as_deref())?;
    let context = TemplateContext {
        title: &request.title,
        title_toml: toml::Value::String(request.title.clone()).to_string(),
        date,
        now: now.format("%Y-%m-%dT%H:%M:00%:z").to_string(),
        severity,
        severities: &config.severities,
        services_toml: toml::Value::Array(
            request
                .services
                .iter()
                .map(|s| toml::Value::String(s.clone()))
                .collect(),
        )
        .to_string(),
        catalogue_lines: comment_lines(config.services.keys()),
        tag_lines: comment_lines(config.check.tags.iter().flatten()),
    };
    let (template_path, template) = template_of(root, &config, request.kind)?;
    let tera_context = tera::Context::from_serialize(&context)
        .map_err(|e| NewError::Failed(vec![theme::template_error(&e)]))?;
    let text = tera::Tera::one_off(&template, &tera_context, false).map_err(|e| {
        let mut diagnostic = theme::template_error(&e);
        diagnostic.file = template_path.clone();
        NewError::Failed(vec![diagnostic])
    })?;
    write_new_file(&root.join(&path), &text).map_err(|error| match error.kind() {
        std::io::ErrorKind::AlreadyExists => NewError::Exists(path.clone()),
        _ => NewError::Failed(vec![Diagnostic::file(
            Code::Unreadable,
            &path,
            format!("cannot write the file: {error}"),
        )]),
    })?;
    Ok(path)
}

/// What to warn about in the services a writer asked for: each that the archive's catalogue
/// does not list (when it keeps one), with the closest that it does. The file is written all
/// the same: `check` reports the same thing, and a new service may be on its way into the
/// catalogue.
pub fn service_warnings(root: &Path, request: &Request) -> Vec<String> {
    let config = load::load_config(root, &mut Vec::new());
    if config.services.is_empty() {
        return Vec::new();
    }
    let known = || config.services.keys().map(String::as_str);
    request
        .services
        .iter()
        .filter(|service| !config.services.contains_key(service.as_str()))
        .map(|service| {
            let closest = did_you_mean(service, known())
                .or_else(|| did_you_mean(&slugify(service), known()));
            match closest {
                Some(closest) => format!(
                    "the service `{service}` is not in the catalogue of {CONFIG_FILE}; did you mean `{closest}`?"
                ),
                None => format!(
                    "the service `{service}` is not in the catalogue of {CONFIG_FILE}; add `[services.{}]` there if it is new",
                    slugify(service)
                ),
            }
        })
        .collect()
}

/// The severity a new postmortem starts with: the one asked for, which must be on the scale,
/// or the least severe.
fn severity_of<'a>(config: &'a Config, asked: Option<&'a str>) -> Result<&'a str, NewError> {
    let ids: Vec<&str> = config.severities.iter().map(|s| s.id.as_str()).collect();
    match asked {
        Some(id) if ids.contains(&id) => Ok(id),
        Some(id) => {
            let hint = match did_you_mean(id, ids.iter().copied()) {
                Some(known) => format!("did you mean `{known}`?"),
                None => format!("use one of: {}", ids.join(", ")),
            };
            Err(NewError::BadRequest {
                message: format!("`{id}` is not a severity of this archive ({CONFIG_FILE})"),
                hint,
            })
        }
        None => Ok(ids.last().copied().unwrap_or("")),
    }
}

/// The template for a new document: the archive's own, the selected theme's, or the default.
fn template_of(root: &Path, config: &Config, kind: Kind) -> Result<(PathBuf, String), NewError> {
    let name = match kind {
        Kind::Postmortem => "postmortem.md",
        Kind::Premortem => "premortem.md",
    };
    let mut candidates = vec![Path::new("templates/new").join(name)];
    if let Some(theme) = &config.theme {
        candidates.push(Path::new("themes").join(theme).join("new").join(name));
    }
    for candidate in candidates {
        match std::fs::read_to_string(root.join(&candidate)) {
            Ok(text) => return Ok((candidate, text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(NewError::Failed(vec![Diagnostic::file(
                    Code::Unreadable,
                    &candidate,
                    format!("cannot read the template: {error}"),
                )]));
            }
        }
    }
    let default = format!("new/{name}");
    let text = theme::default_file(&default).unwrap_or_default();
    Ok((PathBuf::from(default), text.to_string()))
}

/// Words joined by commas, in lines of at most 80 characters (a longer word gets its own line).
fn comment_lines<'a>(words: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    comma_lines(words, 80)
}

/// Words joined by commas, in lines of at most `width` characters (a longer word gets its own
/// line): how `new` and `import` list ids in a comment or a report.
pub(crate) fn comma_lines<'a>(
    words: impl IntoIterator<Item = &'a String>,
    width: usize,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in words {
        if !line.is_empty() && line.len() + word.len() + 2 > width {
            line.push(',');
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Creates the file and its directory, refusing to replace a file that is already there.
fn write_new_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(text.as_bytes())
}
