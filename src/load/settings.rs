//! `hindsight.toml` and the command line's overrides: the configuration a load runs with.

use std::path::Path;

use crate::config::{BASE_URL_HINT, CONFIG_FILE, Config, Edition, base_url_problem};
use crate::diagnostic::{Code, Diagnostic};

use super::LoadOptions;
use super::parse::classify_toml_error;

/// The configuration with the command line's overrides applied, and the edition to build.
pub fn load_settings(
    options: &LoadOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Config, Edition) {
    let mut config = load_config(&options.root, diagnostics);
    let edition = options.edition.unwrap_or(config.edition);
    if let Some(problem) = options.base_url.as_deref().and_then(base_url_problem) {
        diagnostics.push(Diagnostic::file(
            Code::InvalidConfig,
            CONFIG_FILE,
            format!("--base-url: {problem}"),
        ));
    }
    if let Err(message) = config.settle_base_url(options.base_url.as_deref(), edition) {
        diagnostics.push(
            Diagnostic::file(Code::InvalidConfig, CONFIG_FILE, message).with_hint(BASE_URL_HINT),
        );
    }
    (config, edition)
}

/// Reads `hindsight.toml`; a missing file means every default.
pub fn load_config(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Config {
    let path = root.join(CONFIG_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        if path.exists() {
            diagnostics.push(Diagnostic::file(
                Code::Unreadable,
                CONFIG_FILE,
                format!("{CONFIG_FILE} cannot be read as UTF-8 text"),
            ));
        }
        return Config::default();
    };
    match toml::from_str::<Config>(&text) {
        Ok(config) => {
            if let Some(problem) =
                base_url_problem(&config.base_url).filter(|_| !config.base_url.is_empty())
            {
                diagnostics.push(base_url_diagnostic(&text, problem));
            }
            // A setting that is refused is reported; the rest of the file still applies, so
            // that one mistake does not bring every unknown-service warning with it.
            diagnostics.extend(crate::config::problems(&config, &text));
            config
        }
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let (code, message, hint) = classify_toml_error(error.message(), CONFIG_KEYS);
            let mut diagnostic = Diagnostic::at(
                Code::InvalidConfig,
                CONFIG_FILE,
                &text,
                span,
                format!("{CONFIG_FILE}: {message}"),
            );
            diagnostic.hint = hint.or_else(|| {
                (code == Code::TomlSyntax).then(|| "fix the TOML syntax on this line".to_string())
            });
            diagnostics.push(diagnostic);
            Config::default()
        }
    }
}

/// A `base_url` in the file that cannot be used, pointed at on its line.
pub(super) fn base_url_diagnostic(text: &str, problem: String) -> Diagnostic {
    let mut offset = 0;
    let mut span = 0..0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("base_url") {
            span = offset..offset + line.trim_end().len();
            break;
        }
        offset += line.len();
    }
    Diagnostic::at(
        Code::InvalidConfig,
        CONFIG_FILE,
        text,
        span,
        format!("{CONFIG_FILE}: base_url {problem}"),
    )
    .with_hint("write the address the site is published at, such as `base_url = \"https://postmortems.example.com/\"`")
}

pub(super) const CONFIG_KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "repo_url",
    "repo_branch",
    "timezone",
    "edition",
    "theme",
    "severities",
    "services",
    "markdown",
    "check",
    "max_document_bytes",
    "paginate_by",
];
