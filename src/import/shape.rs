//! Recognizing a source's shape: YAML front matter (`---`), TOML front matter (`+++`), or
//! Markdown with none, and reading what its front matter says as plain key/value entries.

use super::plain;

/// How a source file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Jekyll, Hugo, cState and most collections.
    Yaml,
    /// Hugo, Zola, or a hindsight archive with another schema.
    Toml,
    /// A heading and prose, metadata (if any) in bullets, a table or a Stats list.
    Plain,
}

impl Shape {
    /// How the report and the `[extra.import]` table name the shape.
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Yaml => "YAML front matter",
            Shape::Toml => "TOML front matter",
            Shape::Plain => "Markdown without front matter",
        }
    }
}

/// One thing a source says about itself: a front-matter key, or a metadata bullet.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The key as written, such as `resolvedWhen` or `Time to detection`.
    pub key: String,
    pub value: toml::Value,
    /// 1-based line in the source file.
    pub line: usize,
}

/// A source file read into entries and a body.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub shape: Shape,
    pub entries: Vec<Entry>,
    /// The Markdown after the front matter, as written.
    pub body: String,
    /// Lines before the body, to turn body positions into file lines.
    pub body_line: usize,
    /// The first `# ` heading of the body and its line in the file.
    pub heading: Option<(String, usize)>,
}

/// Why a source cannot be read: the line (1-based) and what is wrong.
pub type Refusal = (Option<usize>, String);

/// Reads a source's text by its shape.
pub fn parse(text: &str) -> Result<Parsed, Refusal> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("").trim_end();
    let (shape, fence) = match first {
        "---" => (Shape::Yaml, "---"),
        "+++" => (Shape::Toml, "+++"),
        _ => {
            let entries = plain::metadata(text);
            return Ok(Parsed {
                shape: Shape::Plain,
                entries,
                body: text.to_string(),
                body_line: 0,
                heading: plain::heading(text, 0),
            });
        }
    };
    let after_open = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = after_open;
    let mut close = None;
    for line in text[after_open..].split_inclusive('\n') {
        if line.trim_end() == fence {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((fm_end, body_start)) = close else {
        return Err((
            Some(1),
            format!("the front matter opened here with `{fence}` is never closed"),
        ));
    };
    let front_matter = &text[after_open..fm_end];
    let entries = match shape {
        Shape::Yaml => yaml_entries(front_matter)?,
        _ => toml_entries(front_matter)?,
    };
    let body_line = text[..body_start].lines().count();
    let body = text[body_start..].to_string();
    Ok(Parsed {
        shape,
        entries,
        heading: plain::heading(&body, body_line),
        body,
        body_line,
    })
}

/// The line (1-based, in the file) where the top-level `key` of a front matter is written.
fn line_of_key(front_matter: &str, key: &str) -> usize {
    front_matter
        .lines()
        .position(|line| {
            let line = line.trim_start_matches(['"', '\'']);
            line.strip_prefix(key).is_some_and(|rest| {
                let rest = rest.trim_start_matches(['"', '\'']).trim_start();
                rest.starts_with(':') || rest.starts_with('=')
            })
        })
        .map_or(1, |i| i + 2)
}

fn yaml_entries(front_matter: &str) -> Result<Vec<Entry>, Refusal> {
    if front_matter.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(front_matter).map_err(|e| {
        // The parser may notice a problem only at the end; the closing `---` is not it.
        let last = front_matter.lines().count() + 1;
        let line = e.location().map(|l| (l.line() + 1).min(last));
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        (
            line,
            format!("the YAML front matter cannot be read: {message}; fix it and import again"),
        )
    })?;
    let serde_yaml_ng::Value::Mapping(mapping) = value else {
        return Err((
            Some(2),
            "the YAML front matter is not a list of `key: value` lines".into(),
        ));
    };
    Ok(mapping
        .into_iter()
        .filter_map(|(key, value)| {
            let key = yaml_key(&key)?;
            let value = yaml_to_toml(value)?;
            let line = line_of_key(front_matter, &key);
            Some(Entry { key, value, line })
        })
        .collect())
}

fn yaml_key(key: &serde_yaml_ng::Value) -> Option<String> {
    use serde_yaml_ng::Value;
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML value as TOML, which has no null: a null is left out.
fn yaml_to_toml(value: serde_yaml_ng::Value) -> Option<toml::Value> {
    use serde_yaml_ng::Value;
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s),
        Value::Sequence(items) => {
            toml::Value::Array(items.into_iter().filter_map(yaml_to_toml).collect())
        }
        Value::Mapping(mapping) => toml::Value::Table(
            mapping
                .into_iter()
                .filter_map(|(k, v)| Some((yaml_key(&k)?, yaml_to_toml(v)?)))
                .collect(),
        ),
        Value::Tagged(tagged) => return yaml_to_toml(tagged.value),
    })
}

fn toml_entries(front_matter: &str) -> Result<Vec<Entry>, Refusal> {
    let table: toml::Table = toml::from_str(front_matter).map_err(|e| {
        let line = e
            .span()
            .map(|s| super::times::line_at(front_matter, s.start) + 1);
        (
            line,
            format!(
                "the TOML front matter cannot be read: {}; fix it and import again",
                e.message().trim()
            ),
        )
    })?;
    let mut entries = Vec::new();
    for (key, value) in table {
        let line = line_of_key(front_matter, &key);
        match value {
            // A nested table such as hindsight's own `[incident]`: its keys read as
            // `incident started`, which the key names know.
            toml::Value::Table(inner) if !inner.is_empty() => {
                for (inner_key, value) in inner {
                    entries.push(Entry {
                        key: format!("{key} {inner_key}"),
                        value,
                        line,
                    });
                }
            }
            value => entries.push(Entry { key, value, line }),
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_front_matter_becomes_entries_with_their_lines() {
        let text = "---\ntitle: Down\n# a comment\nseverity: down\naffected:\n  - API\n---\nBody\n";
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.shape, Shape::Yaml);
        let keys: Vec<(&str, usize)> = parsed
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.line))
            .collect();
        assert_eq!(keys, [("title", 2), ("severity", 4), ("affected", 5)]);
        assert_eq!(parsed.body, "Body\n");
    }

    #[test]
    fn bad_yaml_is_refused_at_its_line() {
        let text = "---\ntitle: Down\nseverity: [down\n---\nBody\n";
        let (line, message) = parse(text).unwrap_err();
        assert!(line.is_some_and(|l| l >= 3), "{line:?}");
        assert!(message.contains("YAML"), "{message}");
    }

    #[test]
    fn toml_tables_read_as_prefixed_keys() {
        let text = "+++\ntitle = \"X\"\n[incident]\nstarted = 2020-01-01T00:00:00Z\n+++\n# X\n";
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.shape, Shape::Toml);
        assert!(parsed.entries.iter().any(|e| e.key == "incident started"));
        assert_eq!(parsed.heading, Some(("X".to_string(), 6)));
    }
}
