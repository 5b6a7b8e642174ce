//! Code blocks: a fence's language, whether it marks an internal block, and its highlighted
//! HTML (kept from earlier builds where the context holds them).

use crate::highlight;

use super::Context;

/// The language of a fence from its info string: ```` ```rust,ignore ```` → `rust`.
pub(super) fn fence_lang(info: &str) -> &str {
    info.trim().split([' ', ',', '{']).next().unwrap_or("")
}

/// Whether a fence's language marks it internal (`internal`, in any case).
pub(super) fn is_internal_lang(lang: &str) -> bool {
    lang.eq_ignore_ascii_case("internal")
}

/// The highlighted HTML of a code block, from the kept highlights when the context has them.
pub(super) fn highlighted(lang: &str, text: &str, context: &Context) -> String {
    match context.highlights {
        Some(cache) => cache.get_or_insert(lang, text, &|| highlight::code_block(lang, text)),
        None => highlight::code_block(lang, text),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Edition;
    use crate::markdown::render_with;

    #[test]
    fn code_is_highlighted_with_classes() {
        let body = render_with("```rust\nfn main() {}\n```\n", Edition::Internal);
        assert!(
            body.html.get().contains("class=\"hl-"),
            "{}",
            body.html.get()
        );
        assert!(!body.html.get().contains("style="));
    }
}
