//! Markdown without front matter: the title from the first `# ` heading, and metadata from
//! the lines near the top (`- Date: 2021-03-31`, `**Severity:** high`, `| Owner | RF |`) and
//! from a "Stats" list (`- Time to detection: 5 minutes`).
//!
//! Near the top, only keys the import knows are taken (see [`super::mapping`]), so that a
//! sentence with a colon is not read as metadata; in a Stats list every `Key: value` is.

use super::mapping::{Field, Mapping};
use super::shape::Entry;

/// The first level-1 ATX heading outside code blocks, and its line (after `line_offset`).
pub fn heading(text: &str, line_offset: usize) -> Option<(String, usize)> {
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced || line.starts_with("    ") {
            continue;
        }
        if let Some(title) = trimmed.strip_prefix("# ") {
            let title = title.trim().trim_end_matches('#').trim();
            if !title.is_empty() {
                return Some((title.to_string(), i + 1 + line_offset));
            }
        }
    }
    None
}

/// The metadata written near the top (before the first `##` heading) and in a Stats section.
pub fn metadata(text: &str) -> Vec<Entry> {
    let names = Mapping::default();
    let mut entries = Vec::new();
    let mut area = Area::Top;
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(level_and_text) = trimmed.strip_prefix('#') {
            let text = level_and_text.trim_start_matches('#').trim();
            let level = 1 + level_and_text.len() - level_and_text.trim_start_matches('#').len();
            area = match area {
                _ if text.eq_ignore_ascii_case("stats")
                    || text.eq_ignore_ascii_case("statistics") =>
                {
                    Area::Stats
                }
                Area::Top if level == 1 => Area::Top,
                _ => Area::Elsewhere,
            };
            continue;
        }
        let Some((key, value)) = key_value(trimmed) else {
            continue;
        };
        let known = names.field(&key) != Field::Extra;
        let take = match area {
            Area::Top => known,
            Area::Stats => true,
            Area::Elsewhere => false,
        };
        if take && !value.is_empty() {
            entries.push(Entry {
                key,
                value: toml::Value::String(value),
                line: i + 1,
            });
        }
    }
    entries
}

/// Where in the document a line is.
#[derive(Clone, Copy)]
enum Area {
    /// Before the first heading below the title.
    Top,
    /// Under a Stats heading, until the next heading.
    Stats,
    Elsewhere,
}

/// `- Key: value`, `**Key:** value`, `Key: value` or `| Key | value |`, with the key short.
fn key_value(line: &str) -> Option<(String, String)> {
    if let Some(row) = line.strip_prefix('|') {
        let cells: Vec<&str> = row
            .trim_end_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        return match cells.as_slice() {
            [key, value] if !key.starts_with(['-', ':']) => short_key(key).zip(Some(clean(value))),
            _ => None,
        };
    }
    let line = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .unwrap_or(line);
    let (key, value) = line.split_once(':')?;
    // `**Key:** value` puts the colon inside the emphasis.
    let value = value.trim_start_matches(['*', '_']);
    short_key(key).zip(Some(clean(value)))
}

/// A key of at most four words, without emphasis marks.
fn short_key(key: &str) -> Option<String> {
    let key = key.trim().trim_matches(['*', '_']).trim();
    let words = key.split_whitespace().count();
    (words > 0 && words <= 4 && !key.contains("://")).then(|| key.to_string())
}

fn clean(value: &str) -> String {
    value.trim().trim_matches(['*', '_']).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_the_first_h1_outside_code() {
        let text = "```\n# not this\n```\n\n# ADFS Outage\n\n## Summary\n";
        assert_eq!(heading(text, 0), Some(("ADFS Outage".to_string(), 5)));
        assert_eq!(heading("## Only a subheading\n", 0), None);
    }

    #[test]
    fn metadata_comes_from_the_top_and_the_stats_list() {
        let text = "# T\n\n- Date: 2021-03-31\n**Severity:** high\n| Owner | RF |\nA sentence: with a colon.\n\n## Summary\n\n- Cause: not metadata\n\n## Stats\n\n- Category: Kubernetes\n- Time to detection: 5 minutes\n";
        let entries: Vec<(String, String, usize)> = metadata(text)
            .into_iter()
            .map(|e| (e.key, e.value.as_str().unwrap_or("").to_string(), e.line))
            .collect();
        let expect = |k: &str, v: &str, l| (k.to_string(), v.to_string(), l);
        assert_eq!(
            entries,
            [
                expect("Date", "2021-03-31", 3),
                expect("Severity", "high", 4),
                expect("Owner", "RF", 5),
                expect("Category", "Kubernetes", 14),
                expect("Time to detection", "5 minutes", 15),
            ]
        );
    }
}
