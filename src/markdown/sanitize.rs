//! Raw HTML in a body: cleaned of scripts and unsafe URLs, and refused when it nests too deep
//! for the cleaner to finish in reasonable time.

use std::sync::OnceLock;

use crate::timeline::TimelineSection;

/// Sanitizes the HTML piece by piece around the timeline's blocks, so that their ranges still
/// point at them afterwards.
///
/// With `withheld`, an attribute for which it holds (an address naming a document this edition
/// leaves out) is dropped too.
pub(super) fn sanitize_body(
    html: &str,
    timeline: &mut Option<TimelineSection>,
    withheld: Option<impl Fn(&str, &str, &str) -> bool + Send + Sync + 'static>,
) -> String {
    let with_filter;
    let cleaner = match withheld {
        Some(withheld) => {
            let mut builder = cleaner();
            builder.attribute_filter(move |element, attribute, value| {
                (!withheld(element, attribute, value)).then_some(value.into())
            });
            with_filter = builder;
            &with_filter
        }
        None => {
            static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
            CLEANER.get_or_init(cleaner)
        }
    };
    let sanitize = |html: &str| cleaner.clean(html).to_string();
    let Some(timeline) = timeline.as_mut().filter(|t| !t.html_blocks.is_empty()) else {
        return sanitize(html);
    };
    let mut clean = String::with_capacity(html.len());
    let mut done = 0;
    for block in &mut timeline.html_blocks {
        clean.push_str(&sanitize(&html[done..block.start]));
        let start = clean.len();
        clean.push_str(&sanitize(&html[block.clone()]));
        done = block.end;
        *block = start..clean.len();
    }
    clean.push_str(&sanitize(&html[done..]));
    clean
}

/// How deep raw HTML may nest before sanitizing it is refused (browsers' parsers give up on
/// deeper trees too).
pub(super) const MAX_SANITIZED_DEPTH: usize = 512;

/// The deepest nesting of elements in `html`, counted from its tags alone: an estimate that
/// only has to be cheap and never far below the truth for well-formed markup.
pub(super) fn nesting_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = html.as_bytes();
    // The first `>` at or after the tag being read, found once for every tag before it: a
    // search from each `<` of a run of unclosed ones took time quadratic in its length.
    let mut close: Option<usize> = None;
    for (i, _) in html.match_indices('<') {
        match bytes.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name: String = html[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                if close.is_none_or(|at| at < i) {
                    close = Some(html[i..].find('>').map_or(html.len(), |end| i + end));
                }
                let self_closing =
                    close.is_some_and(|at| at < html.len() && html[i..at].ends_with('/'));
                if !VOID.contains(&name.as_str()) && !self_closing {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
            _ => {}
        }
    }
    deepest
}

/// The cleaner of raw HTML: scripts, event handlers and unsafe URLs go; classes and ids stay.
fn cleaner() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["class", "id", "role", "aria-label"])
        .add_tag_attributes("pre", ["data-lang"])
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(None);
    builder
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Edition;
    use crate::diagnostic::Code;
    use crate::markdown::render_with;

    #[test]
    fn raw_html_is_sanitized() {
        let body = render_with(
            "<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>",
            Edition::Internal,
        );
        assert!(!body.html.get().contains("onerror"), "{}", body.html.get());
        assert!(!body.html.get().contains("<script"), "{}", body.html.get());
    }

    #[test]
    fn deeply_nested_raw_html_is_refused_rather_than_sanitized() {
        let source = format!("{}x{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
        let body = render_with(&source, Edition::Public);
        let codes: Vec<_> = body.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::TooLarge]);
        assert!(body.html.get().is_empty());

        let shallow = render_with("<div><p>a<br>b</p><img src=x></div>", Edition::Public);
        assert!(shallow.diagnostics.is_empty());
        assert_eq!(nesting_depth("<div><p>a<br>b</p><img src=x></div>"), 2);
    }
}
