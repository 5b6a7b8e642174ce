//! `hindsight init`: a new archive repository that checks and builds as it is.
//!
//! It writes the configuration with every key explained, an example postmortem and the
//! premortem it links to, and the recipes that check pull requests and deploy the site. A file
//! that exists already is never touched: `init` in a half-set-up repository adds only what is
//! missing, and says what it left alone.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml::Value;

use crate::config::{CONFIG_FILE, Config};
use crate::config_reference::{KEYS, KeyDoc, default_text, default_value, inline};

/// The GitHub repository (`owner/name`) hindsight's releases and its setup action come from:
/// `repository` in Cargo.toml.
pub fn hindsight_repository() -> &'static str {
    let url = env!("CARGO_PKG_REPOSITORY");
    url.strip_prefix("https://github.com/").unwrap_or(url)
}

/// The release archive a Linux x86_64 machine (Netlify's build image) downloads.
const LINUX_ARCHIVE: &str = "hindsight-x86_64-unknown-linux-musl.tar.gz";

/// What the user asked `init` for.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Empty content folders instead of the example postmortem and premortem.
    pub bare: bool,
}

/// What `init` did: every file it wrote, and every one it found there already and left.
#[derive(Debug, Default)]
pub struct InitReport {
    pub created: Vec<PathBuf>,
    pub skipped: Vec<PathBuf>,
}

/// One file of a new archive: where it goes and what it holds.
struct NewFile {
    path: &'static str,
    text: String,
}

/// Makes an archive repository in `dir`, creating the folder when it does not exist.
///
/// Files are created only where nothing is: an existing file is listed in
/// [`InitReport::skipped`] and left exactly as it was.
pub fn init(dir: &Path, options: &InitOptions) -> Result<InitReport, String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{} exists and is not a folder", dir.display()));
    }
    let mut report = InitReport::default();
    for file in files(options) {
        let path = dir.join(file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut out) => {
                out.write_all(file.text.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                report.created.push(PathBuf::from(file.path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                report.skipped.push(PathBuf::from(file.path));
            }
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    // Both content folders exist even when bare, so the archive reads as one.
    for folder in ["content/postmortems", "content/premortems"] {
        std::fs::create_dir_all(dir.join(folder))
            .map_err(|e| format!("cannot create {}: {e}", dir.join(folder).display()))?;
    }
    Ok(report)
}

/// The files of a new archive, in the order they are reported.
fn files(options: &InitOptions) -> Vec<NewFile> {
    let mut files = vec![NewFile {
        path: CONFIG_FILE,
        text: config_file(options),
    }];
    if !options.bare {
        files.push(NewFile {
            path: "content/postmortems/2024-03-12-checkout-launch-errors.md",
            text: include_str!("init/example-postmortem.md").to_string(),
        });
        files.push(NewFile {
            path: "content/premortems/checkout-launch.md",
            text: include_str!("init/example-premortem.md").to_string(),
        });
    }
    files.extend([
        NewFile {
            path: ".gitignore",
            text: include_str!("init/gitignore").to_string(),
        },
        NewFile {
            path: ".github/workflows/check.yml",
            text: recipe(include_str!("init/check.yml")),
        },
        NewFile {
            path: ".github/workflows/deploy.yml",
            text: recipe(include_str!("init/deploy.yml")),
        },
        NewFile {
            path: "netlify.toml",
            text: recipe(include_str!("init/netlify.toml")),
        },
    ]);
    files
}

/// A workflow or deploy recipe, pinned to the release of the hindsight that wrote it, so the
/// archive checks and builds with the same program until someone raises the version.
fn recipe(template: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let major = version.split('.').next().unwrap_or("0");
    let download = format!(
        "https://github.com/{}/releases/download/v{version}/{LINUX_ARCHIVE}",
        hindsight_repository()
    );
    template
        .replace("{{repository}}", hindsight_repository())
        .replace("{{major}}", major)
        .replace("{{version}}", version)
        .replace("{{download}}", &download)
}

/// The `hindsight.toml` of a new archive: every key of [`KEYS`] with its meaning and default,
/// set where a new archive needs a value and commented out where the default serves.
pub fn config_file(options: &InitOptions) -> String {
    let mut out = String::from(
        "# The settings of this postmortem archive. Every key hindsight accepts is here with what it\n\
         # does and its default; a key that is commented out keeps its default. The configuration\n\
         # reference says the same in a table: docs/guide/configuration.md in hindsight's repository.\n",
    );
    let defaults = Config::default();
    // The top level's own values first: after a `[table]` header a key belongs to the table.
    let (top, tables): (Vec<&KeyDoc>, Vec<&KeyDoc>) = KEYS
        .iter()
        .partition(|doc| !doc.key.contains(['.', '[']) && !doc.is_table());
    let mut current_table = "";
    for doc in top.into_iter().chain(tables) {
        let (table, name) = doc.key.rsplit_once('.').unwrap_or(("", doc.key));
        if table.contains('<') || table.contains("[]") {
            continue; // written with the table's example below
        }
        match doc.key {
            "severities" => {
                out.push_str(&severities_section(doc, &defaults));
                continue;
            }
            "services" => {
                out.push_str(&services_section(doc, options));
                continue;
            }
            _ => {}
        }
        if doc.is_table() {
            out.push_str(&format!("\n# {}\n[{}]\n", doc.meaning, doc.key));
            current_table = doc.key;
            continue;
        }
        debug_assert_eq!(table, current_table, "KEYS lists a table's keys after it");
        out.push('\n');
        out.push_str(&comment(doc));
        out.push_str(&key_line(doc, name));
    }
    out
}

/// The comment above a key: its meaning, then its type and default.
fn comment(doc: &KeyDoc) -> String {
    let mut text = wrap(doc.meaning, "# ");
    let mut default = default_text(doc).replace('`', "");
    if doc.default.is_none() && doc.example.is_none() && default.len() > 40 {
        default = "the value below".to_string();
    }
    text.push_str(&wrap(
        &format!("Type: {}. Default: {default}.", doc.kind.replace('`', "")),
        "# ",
    ));
    text
}

/// The key itself: set for the few a new archive should decide on, commented out otherwise.
/// A key whose value is a table of its own is written as a commented `[table]`, and comes
/// last among its table's keys in [`KEYS`] for that reason.
fn key_line(doc: &KeyDoc, name: &str) -> String {
    match doc.key {
        "title" => return "title = \"Postmortems\"\n".to_string(),
        "description" => {
            return "description = \"What broke, why it broke, and what we changed afterwards.\"\n"
                .to_string();
        }
        _ => {}
    }
    if let Some(Value::Table(table)) = default_value(doc.key) {
        let mut out = format!("# [{}]\n", doc.key);
        for (key, value) in &table {
            out.push_str(&format!("# {key} = {}\n", inline(value)));
        }
        return out;
    }
    let value = doc
        .example
        .map(str::to_string)
        .or_else(|| default_value(doc.key).map(|v| inline(&v)));
    match value {
        Some(value) => format!("# {name} = {value}\n"),
        None => format!("# {name} =\n"),
    }
}

/// The severity scale, written out in full: documents use its ids, and a team adjusts it.
fn severities_section(doc: &KeyDoc, defaults: &Config) -> String {
    let mut out = format!("\n{}", wrap(doc.meaning, "# "));
    let fields: Vec<String> = KEYS
        .iter()
        .filter_map(|k| k.key.strip_prefix("severities[]."))
        .map(|name| format!("`{name}`"))
        .collect();
    out.push_str(&format!("# Each has {}.\n", fields.join(", ")));
    for severity in &defaults.severities {
        let table = Value::try_from(severity).unwrap_or(Value::Table(toml::Table::new()));
        out.push_str("\n[[severities]]\n");
        if let Value::Table(table) = table {
            for field in ["id", "label", "description"] {
                if let Some(value) = table.get(field) {
                    out.push_str(&format!("{field} = {value}\n"));
                }
            }
        }
    }
    out
}

/// The service catalogue: the example postmortem's service, or a commented example.
fn services_section(doc: &KeyDoc, options: &InitOptions) -> String {
    let mut out = format!("\n{}", wrap(doc.meaning, "# "));
    let fields: Vec<&str> = KEYS
        .iter()
        .filter_map(|k| k.key.strip_prefix("services.<id>."))
        .collect();
    let example = [
        ("name", "\"Checkout\""),
        (
            "description",
            "\"The checkout page and the API that turns a cart into an order\"",
        ),
        ("owner", "\"payments-team\""),
        ("tier", "1"),
    ];
    let prefix = if options.bare { "# " } else { "" };
    out.push_str(&format!("{prefix}[services.checkout]\n"));
    for field in fields {
        let value = example
            .iter()
            .find(|(name, _)| *name == field)
            .map_or("\"\"", |(_, value)| value);
        out.push_str(&format!("{prefix}{field} = {value}\n"));
    }
    out
}

/// `text` as comment lines of at most 92 columns.
fn wrap(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(prefix);
    for word in text.split_whitespace() {
        if line.len() > prefix.len() && line.len() + 1 + word.len() > 92 {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(prefix);
        }
        if line.len() > prefix.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated file with every `# key = value` line made active.
    fn uncommented(text: &str) -> String {
        text.lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest
                            .split_once(" = ")
                            .is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest
                }
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_new_configuration_is_valid_and_keeps_every_default_it_does_not_set() {
        for bare in [false, true] {
            let text = config_file(&InitOptions { bare });
            let config: Config = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let defaults = Config::default();
            assert_eq!(config.paginate_by, defaults.paginate_by);
            assert_eq!(config.severities.len(), defaults.severities.len());
            assert_eq!(config.services.is_empty(), bare);
            assert!(config.base_url.is_empty(), "a new archive sets no base_url");
        }
    }

    #[test]
    fn the_new_configuration_names_every_key_the_types_accept() {
        let text = config_file(&InitOptions::default());
        // Every commented-out key is a real one: the types refuse unknown keys.
        let all = uncommented(&text);
        let config: Result<Config, _> = toml::from_str(&all);
        assert!(config.is_ok(), "{config:?}\n{all}");
        let value: Value = toml::from_str(&all).expect("valid TOML");
        for key in crate::config_reference::accepted_keys() {
            let path = key.replace("[]", ".0").replace("<id>", "checkout");
            let found = path
                .split('.')
                .try_fold(&value, |v, part| match part.parse::<usize>() {
                    Ok(i) => v.get(i),
                    Err(_) => v.get(part),
                });
            assert!(
                found.is_some(),
                "the new hindsight.toml does not name `{key}`:\n{text}"
            );
        }
    }
}
