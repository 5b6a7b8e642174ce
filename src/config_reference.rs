//! What every key of `hindsight.toml` means, written once.
//!
//! `hindsight init` writes its `hindsight.toml` from [`KEYS`], and the configuration reference
//! (docs/guide/configuration.md) is [`markdown_table`]. [`accepted_keys`] asks the
//! configuration types themselves which keys they take, so a key added to a type without a
//! line here fails the reference test, and the two documents cannot fall behind the types.

use serde::Deserialize;
use toml::Value;

use crate::config::Config;

/// One key of `hindsight.toml`, as the reference and the generated file explain it.
#[derive(Debug, Clone, Copy)]
pub struct KeyDoc {
    /// The key's path: `check.tags`, `severities[].id` (a key of each table of an array),
    /// `services.<id>.name` (a key of each table of a map).
    pub key: &'static str,
    /// What kind of value it takes, in words.
    pub kind: &'static str,
    /// What it changes, in one sentence.
    pub meaning: &'static str,
    /// The default in words, where the value `Config::default()` holds does not say it well
    /// (keys of each severity or service, keys whose default depends on the build).
    pub default: Option<&'static str>,
    /// A value to show, commented out, in a new `hindsight.toml` for a key that is unset by
    /// default.
    pub example: Option<&'static str>,
}

const fn key(key: &'static str, kind: &'static str, meaning: &'static str) -> KeyDoc {
    KeyDoc {
        key,
        kind,
        meaning,
        default: None,
        example: None,
    }
}

impl KeyDoc {
    const fn default_is(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }

    const fn for_example(mut self, example: &'static str) -> Self {
        self.example = Some(example);
        self
    }

    /// Whether the key names a table of further documented keys rather than a value.
    pub fn is_table(&self) -> bool {
        KEYS.iter().any(|doc| {
            doc.key
                .strip_prefix(self.key)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
        })
    }
}

/// Every key `hindsight.toml` accepts, in the order a new `hindsight.toml` lists them.
///
/// A new field in `Config` or in one of the tables it holds needs its line here: the test
/// `every_configuration_key_is_documented` says which one is missing.
pub const KEYS: &[KeyDoc] = &[
    key("title", "string", "The archive's name, at the top of every page and in the feeds."),
    key(
        "base_url",
        "string: an absolute http(s) URL",
        "The address the site is published at; feeds, the sitemap and every link are made from it. A public build needs it, here or as `--base-url`.",
    )
    .default_is("none: the internal edition and `serve` use `http://127.0.0.1:1111`")
    .for_example("\"https://postmortems.example.com/\""),
    key("description", "string", "One sentence about the archive, for the home page, feeds and search engines."),
    key(
        "repo_url",
        "string: a URL",
        "Where the archive's sources are browsed; each page links to its file there for editing.",
    )
    .for_example("\"https://github.com/example/postmortems\""),
    key("repo_branch", "string", "The branch the edit links of `repo_url` point at."),
    key(
        "timezone",
        "string: `UTC`, an offset such as `+02:00`, or an IANA zone such as `Europe/Copenhagen`",
        "The zone the site shows times in; timeline times that name no zone are read on its clocks.",
    ),
    key(
        "edition",
        "`internal` or `public`",
        "Which edition `build` and `serve` make when the command line does not say: internal shows everything, public leaves out internal documents and blocks.",
    ),
    key(
        "theme",
        "string: a folder name",
        "A theme under `themes/NAME/` in the archive, instead of the one built into hindsight.",
    )
    .for_example("\"my-theme\""),
    key(
        "severities",
        "array of tables",
        "The severity scale, most severe first; a postmortem's `severity` is one of its ids.",
    )
    .default_is("sev1 to sev4, as in a new `hindsight.toml`"),
    key("severities[].id", "string", "The id front matter uses, such as `sev2`.")
        .default_is("required"),
    key("severities[].label", "string", "How the site shows the severity, such as `SEV-2`.")
        .default_is("required"),
    key("severities[].description", "string", "What the level means, shown beside it.")
        .default_is("`\"\"`"),
    key(
        "services",
        "table of tables, keyed by service id",
        "The service catalogue; a document's `services` are its ids. When it is empty any id is accepted.",
    )
    .default_is("empty"),
    key("services.<id>.name", "string", "How the site shows the service.")
        .default_is("the id"),
    key("services.<id>.description", "string", "What the service does, on its page.")
        .default_is("`\"\"`"),
    key("services.<id>.owner", "string", "The team that owns it, on its page.")
        .default_is("none"),
    key(
        "services.<id>.tier",
        "integer",
        "How critical the service is, 1 being the most; shown on its page.",
    )
    .default_is("none"),
    key("markdown", "table", "How document bodies are read."),
    key(
        "markdown.unsafe_html",
        "boolean",
        "Let raw HTML in documents through unsanitized. Leave it off unless every writer is trusted.",
    ),
    key("check", "table", "What `hindsight check` asks of documents."),
    key(
        "check.tags",
        "array of strings",
        "When set, the only tags documents may use; any other draws a warning.",
    )
    .default_is("none: any tag")
    .for_example("[\"database\", \"deploys\", \"dns\"]"),
    key(
        "check.publish_within_days",
        "integer",
        "Days a postmortem may take from resolution to publication before `check` warns.",
    ),
    key(
        "check.blame_phrases",
        "array of strings",
        "Phrases that read as blaming a person; `check` warns where a document uses one.",
    ),
    key(
        "check.overrides",
        "array of tables: `folder` and `rules`",
        "Levels for the documents under one folder, over `check.rules`; the deepest folder wins.",
    )
    .default_is("none")
    .for_example("[{ folder = \"content/postmortems/status-page\", rules = { W0004 = \"allow\" } }]"),
    // A key whose value is a table comes last among its table's keys: the new
    // hindsight.toml writes it as a table of its own.
    key(
        "check.required_sections",
        "table: severity id to array of headings",
        "The sections a postmortem of each severity must have.",
    ),
    key(
        "check.rules",
        "table: warning code or name to `allow`, `warn` or `deny`",
        "Levels for the warnings, as clippy's: `allow` silences one, `deny` makes it fail the check. Errors cannot be allowed.",
    )
    .default_is("none: every warning warns")
    .for_example("{ no-action-items = \"allow\" }"),
    key(
        "max_document_bytes",
        "integer",
        "Documents larger than this many bytes are refused rather than loaded.",
    ),
    key(
        "paginate_by",
        "integer, 1 or more",
        "Rows a page of the long listings (postmortems, action items, services, tags) shows.",
    ),
];

/// A name no configuration type accepts: probing a table with it makes serde list the keys
/// that table does accept.
const PROBE: &str = "__hindsight_probe__";

/// One step of a key's path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// A named key of a table.
    Field(String),
    /// Any table of an array (`[]`).
    EachItem,
    /// Any key of a map (`<id>`).
    EachKey,
}

fn steps(key: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in key.split('.') {
        match part.strip_suffix("[]") {
            Some(field) => {
                steps.push(Step::Field(field.to_string()));
                steps.push(Step::EachItem);
            }
            None if part.starts_with('<') => steps.push(Step::EachKey),
            None => steps.push(Step::Field(part.to_string())),
        }
    }
    steps
}

/// A document holding `leaf` at the end of `steps`.
fn document_at(steps: &[Step], leaf: Value) -> Value {
    let Some((first, rest)) = steps.split_first() else {
        return leaf;
    };
    let inner = document_at(rest, leaf);
    match first {
        Step::Field(name) => Value::Table(toml::Table::from_iter([(name.clone(), inner)])),
        Step::EachKey => Value::Table(toml::Table::from_iter([("probe-id".to_string(), inner)])),
        Step::EachItem => Value::Array(vec![inner]),
    }
}

/// The keys the table at `table` (a key of [`KEYS`], or `""` for the top level) accepts, as
/// the configuration types say; `None` when the key holds a value rather than a table of
/// named keys.
pub fn keys_of_table(table: &str) -> Option<Vec<String>> {
    let steps = if table.is_empty() {
        Vec::new()
    } else {
        steps(table)
    };
    let probe = Value::Table(toml::Table::from_iter([(
        PROBE.to_string(),
        Value::Integer(0),
    )]));
    let error = Config::deserialize(document_at(&steps, probe)).err()?;
    let message = error.to_string();
    let (_, expected) = message.split_once(&format!("unknown field `{PROBE}`, expected"))?;
    let expected = expected.lines().next().unwrap_or_default();
    Some(
        expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|name| match table {
                "" => name.to_string(),
                _ => format!("{table}.{name}"),
            })
            .collect(),
    )
}

/// Every key the configuration types accept, found by asking each table the types and
/// [`KEYS`] know of; in the form of [`KeyDoc::key`] for the keys of arrays and maps.
pub fn accepted_keys() -> Vec<String> {
    let mut accepted = Vec::new();
    let mut tables = vec![String::new()];
    while let Some(table) = tables.pop() {
        let Some(keys) = keys_of_table(&table) else {
            continue;
        };
        for found in keys {
            tables.push(table_path(&found));
            accepted.push(found);
        }
    }
    accepted.sort();
    accepted
}

/// The path to probe for the keys under `key`: `severities[]` for the tables of an array and
/// `services.<id>` for those of a map, as [`KEYS`] writes them; `key` itself otherwise.
fn table_path(key: &str) -> String {
    let each_item = format!("{key}[].");
    let each_key = format!("{key}.<");
    KEYS.iter()
        .find_map(|doc| {
            if doc.key.starts_with(&each_item) {
                Some(format!("{key}[]"))
            } else if doc.key.starts_with(&each_key) {
                let close = doc.key[each_key.len()..].find('>')?;
                Some(doc.key[..each_key.len() + close + 1].to_string())
            } else {
                None
            }
        })
        .unwrap_or_else(|| key.to_string())
}

/// The default of a key, as the reference shows it.
pub fn default_text(doc: &KeyDoc) -> String {
    if let Some(default) = doc.default {
        return default.to_string();
    }
    if doc.is_table() {
        return String::new();
    }
    match default_value(doc.key) {
        Some(value) => format!("`{}`", inline(&value)),
        None => "none".to_string(),
    }
}

/// The value `Config::default()` holds for a plain dotted key, if any.
pub fn default_value(key: &str) -> Option<Value> {
    let defaults = Value::try_from(Config::default()).ok()?;
    key.split('.')
        .try_fold(defaults, |value, part| value.get(part).cloned())
}

/// A value as TOML writes it on one line.
pub fn inline(value: &Value) -> String {
    match value {
        Value::Table(table) => {
            let pairs: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", pairs.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// The reference table of docs/guide/configuration.md: every key, its type, its default and
/// its meaning.
pub fn markdown_table() -> String {
    let mut table = String::from("| key | type | default | meaning |\n|---|---|---|---|\n");
    for doc in KEYS {
        let cell = |text: &str| text.replace('|', "\\|");
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            doc.key,
            cell(doc.kind),
            cell(&default_text(doc)),
            cell(doc.meaning)
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_lists_a_tables_keys_and_nothing_for_a_value() {
        let top = keys_of_table("").expect("the top level is a table");
        assert!(top.contains(&"title".to_string()), "{top:?}");
        let check = keys_of_table("check").expect("check is a table");
        assert!(check.contains(&"check.tags".to_string()), "{check:?}");
        let severity = keys_of_table("severities[]").expect("a severity is a table");
        assert!(
            severity.contains(&"severities[].label".to_string()),
            "{severity:?}"
        );
        let service = keys_of_table("services.<id>").expect("a service is a table");
        assert!(
            service.contains(&"services.<id>.tier".to_string()),
            "{service:?}"
        );
        assert_eq!(keys_of_table("title"), None);
        assert_eq!(keys_of_table("check.required_sections"), None);
    }

    #[test]
    fn every_configuration_key_is_documented() {
        let documented: Vec<&str> = KEYS.iter().map(|doc| doc.key).collect();
        let accepted = accepted_keys();
        let undocumented: Vec<&String> = accepted
            .iter()
            .filter(|key| !documented.contains(&key.as_str()))
            .collect();
        assert!(
            undocumented.is_empty(),
            "hindsight.toml accepts {undocumented:?}, which nothing documents: add a line for \
             each to KEYS in src/config_reference.rs (then run `HINDSIGHT_UPDATE_REFERENCE=1 \
             cargo test --test init` to bring docs/guide/configuration.md up to date)"
        );
        let unknown: Vec<&&str> = documented
            .iter()
            .filter(|key| !accepted.iter().any(|a| a == *key))
            .collect();
        assert!(
            unknown.is_empty(),
            "KEYS in src/config_reference.rs documents {unknown:?}, which hindsight.toml does \
             not accept"
        );
    }

    #[test]
    fn defaults_come_from_the_configuration_types() {
        let doc = KEYS
            .iter()
            .find(|d| d.key == "paginate_by")
            .expect("documented");
        assert_eq!(default_text(doc), "`100`");
        let doc = KEYS
            .iter()
            .find(|d| d.key == "repo_branch")
            .expect("documented");
        assert_eq!(default_text(doc), "`\"main\"`");
    }
}
