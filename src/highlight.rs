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
/// The block takes the keyboard focus (`tabindex`), so a line wider than the page can be
/// scrolled to without a mouse.
const BLOCK_START: &str = "<pre class=\"code\" tabindex=\"0\" data-lang=\"";
const BLOCK_CODE: &str = "\"><code>";
const BLOCK_END: &str = "</code></pre>\n";

/// Whether a body's HTML holds a code block, so that its page links the highlighting
/// stylesheet; other pages do not load it.
pub fn has_code_block(html: &str) -> bool {
    html.contains(BLOCK_START)
}

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

/// Code blocks highlighted before, by language and text: what a driver that keeps them hands
/// the load (see `src/incremental/`), so that a block seen before is not highlighted again.
pub trait Highlighted: Sync {
    /// The highlighted HTML of a code block, made by `highlight` when none is kept.
    fn get_or_insert(&self, lang: &str, code: &str, highlight: &dyn Fn() -> String) -> String;
}

/// Frees the lines every thread remembers, once a whole archive is highlighted: the memory
/// is better spent on rendering, and the next load is cheap from the highlight cache.
pub fn forget_lines() {
    rayon::broadcast(|_| drop(MEMO.take()));
}

/// The colours code is drawn in, light and dark, and the token classes each one colours.
///
/// This one table is the whole highlighting theme: [`stylesheet`] writes it as CSS custom
/// properties that the dark scheme swaps, so no light rule can outrank a dark one, and a test
/// holds every colour to 4.5:1 against the code background of its scheme (WCAG AA). Tokens
/// no entry names (punctuation, operators, plain names) keep the page's text colour.
pub const PALETTE: &[TokenColour] = &[
    TokenColour {
        name: "comment",
        light: "#5c6670",
        dark: "#a3acb6",
        selectors: &[".hl-comment"],
        style: "font-style: italic;",
    },
    TokenColour {
        name: "string",
        light: "#0a3069",
        dark: "#a5d6ff",
        selectors: &[".hl-string", ".hl-markup.hl-raw"],
        style: "",
    },
    TokenColour {
        name: "constant",
        light: "#0550ae",
        dark: "#79c0ff",
        selectors: &[".hl-constant", ".hl-support.hl-constant"],
        style: "",
    },
    TokenColour {
        name: "keyword",
        light: "#b3261e",
        dark: "#ff9b94",
        selectors: &[".hl-keyword", ".hl-storage"],
        style: "",
    },
    TokenColour {
        name: "function",
        light: "#6639ba",
        dark: "#d2a8ff",
        selectors: &[
            ".hl-entity.hl-name",
            ".hl-support.hl-function",
            ".hl-meta.hl-function-call .hl-variable.hl-function",
        ],
        style: "",
    },
    TokenColour {
        name: "name",
        light: "#116329",
        dark: "#7ee787",
        selectors: &[
            ".hl-entity.hl-name.hl-tag",
            ".hl-key .hl-string",
            ".hl-support.hl-type.hl-property-name",
            ".hl-entity.hl-name.hl-section",
        ],
        style: "",
    },
    TokenColour {
        name: "parameter",
        light: "#8a3a00",
        dark: "#ffb77c",
        selectors: &[
            ".hl-entity.hl-other.hl-attribute-name",
            ".hl-variable.hl-parameter",
            ".hl-variable.hl-other.hl-readwrite",
            ".hl-variable.hl-language",
        ],
        style: "",
    },
    TokenColour {
        name: "inserted",
        light: "#116329",
        dark: "#7ee787",
        selectors: &[".hl-markup.hl-inserted"],
        style: "",
    },
    TokenColour {
        name: "deleted",
        light: "#82071e",
        dark: "#ffa198",
        selectors: &[".hl-markup.hl-deleted", ".hl-invalid"],
        style: "",
    },
];

/// The background code blocks are drawn on, light and dark: what [`PALETTE`] is held to.
pub const CODE_BACKGROUND: (&str, &str) = ("#ffffff", "#181c21");

/// One colour of the highlighting theme.
pub struct TokenColour {
    /// The custom property's name: `--hl-{name}`.
    pub name: &'static str,
    /// `#rrggbb` on the light background, then on the dark one.
    pub light: &'static str,
    pub dark: &'static str,
    /// The token classes it colours; later entries win over earlier ones of equal weight.
    pub selectors: &'static [&'static str],
    /// Any other declarations, such as italics for comments.
    pub style: &'static str,
}

/// The highlighting stylesheet, written from [`PALETTE`]: the colours as custom properties
/// (swapped under `prefers-color-scheme: dark`, and back to light for print), then one rule
/// per token colour.
pub fn stylesheet() -> String {
    let mut css = String::from(
        "/* Syntax highlighting, written by hindsight from its palette (src/highlight.rs). */\n",
    );
    let properties = |pick: fn(&TokenColour) -> &str, background: &str| {
        let mut block = format!("  --code-bg: {background};\n");
        for colour in PALETTE {
            block.push_str(&format!("  --hl-{}: {};\n", colour.name, pick(colour)));
        }
        block
    };
    let light = properties(|c| c.light, CODE_BACKGROUND.0);
    let dark = properties(|c| c.dark, CODE_BACKGROUND.1);
    css.push_str(&format!(":root {{\n{light}}}\n"));
    css.push_str(&format!(
        "@media screen and (prefers-color-scheme: dark) {{\n:root {{\n{dark}}}\n}}\n"
    ));
    for colour in PALETTE {
        css.push_str(&format!(
            "{} {{ color: var(--hl-{}); {}}}\n",
            colour.selectors.join(", "),
            colour.name,
            colour.style
        ));
    }
    css
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
            "<pre class=\"code\" tabindex=\"0\" data-lang=\"{lang}\"><code>{}</code></pre>\n",
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
            "<pre class=\"code\" tabindex=\"0\" data-lang=\"sh\"><code><script>alert(1)</script></code></pre>\n",
            "<pre class=\"code\" tabindex=\"0\" data-lang=\"sh\"><code><span class=\"x\" onclick=\"a()\">x</span></code></pre>\n",
            "<pre class=\"code\" tabindex=\"0\" data-lang=\"\"><img src=x onerror=a()><code></code></pre>\n",
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
            "<pre class=\"code\" tabindex=\"0\" data-lang=\"no-such-language\"><code>a &lt; b\n</code></pre>\n"
        );
    }

    /// WCAG's contrast ratio of two `#rrggbb` colours.
    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |hex: &str| {
            let channel = |i: usize| {
                let c =
                    f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
        };
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn every_token_colour_is_readable_on_the_code_background_in_both_schemes() {
        assert!(contrast("#000000", "#ffffff") > 20.9, "the formula itself");
        let (light_bg, dark_bg) = CODE_BACKGROUND;
        let mut failures = Vec::new();
        for colour in PALETTE {
            for (scheme, fg, bg) in [
                ("light", colour.light, light_bg),
                ("dark", colour.dark, dark_bg),
            ] {
                let ratio = contrast(fg, bg);
                if ratio < 4.5 {
                    failures.push(format!(
                        "{} {scheme}: {fg} on {bg} is {ratio:.2}:1",
                        colour.name
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "below WCAG AA 4.5:1: {failures:?}");
    }

    #[test]
    fn the_stylesheet_colours_only_from_the_palette_and_swaps_it_for_dark() {
        let css = stylesheet();
        // Every colour literal in the sheet is a palette colour or a background.
        let literals: Vec<&str> = css
            .match_indices('#')
            .map(|(i, _)| &css[i..i + 7])
            .collect();
        assert!(!literals.is_empty());
        for literal in literals {
            let known = PALETTE
                .iter()
                .any(|c| c.light == literal || c.dark == literal)
                || [CODE_BACKGROUND.0, CODE_BACKGROUND.1].contains(&literal);
            assert!(known, "{literal} is not from the palette");
        }
        // A rule colours through a property, so the dark scheme's values always apply.
        for rule in css.lines().filter(|l| l.starts_with('.')) {
            assert!(rule.contains("color: var(--hl-"), "{rule}");
        }
        let dark = css.split("prefers-color-scheme: dark").nth(1).unwrap();
        for colour in PALETTE {
            assert!(dark.contains(&format!("--hl-{}: {};", colour.name, colour.dark)));
        }
    }

    #[test]
    fn json_keys_and_bash_comments_get_palette_classes() {
        // The tokens that came out unreadable with the old themes must meet a rule.
        let css = stylesheet();
        let json = code_block("json", "{\"retries\": 3}\n");
        assert!(
            json.contains("hl-key") && css.contains(".hl-key .hl-string"),
            "{json}"
        );
        let bash = code_block("bash", "# drain\nkubectl drain --force node-1\n");
        assert!(bash.contains("hl-comment"), "{bash}");
    }
}
