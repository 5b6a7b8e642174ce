//! One `Diagnostic` type for every phase: load, check, build and serve all report with it.
//!
//! A diagnostic has a stable code (`E0007 unknown-field`), a file, a byte span in that file
//! (from which line and column follow), a message that states the fact and a hint that says
//! what to do. Three renderings: human (the offending line underlined, as rustc does),
//! GitHub Actions workflow commands, and a JSON document.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a diagnostic is: errors stop a build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $code:literal $name:literal $level:ident;)*) => {
        /// Every kind of diagnostic, with its stable code and name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code, in order: the table docs/diagnostics.md documents.
            pub const ALL: &[Code] = &[$(Code::$variant),*];

            /// The stable code, such as `E0007`.
            pub fn code(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// The stable name, such as `unknown-field`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            /// Whether this kind of diagnostic is an error or a warning, unless
            /// `[check.rules]` says otherwise.
            pub fn level(self) -> Level {
                match self { $(Code::$variant => Level::$level),* }
            }
        }
    };
}

impl Code {
    /// Whether `[check.rules]` may set this code's level: warnings can be allowed, warned or
    /// denied; an error means the site would be wrong, so it stays an error.
    pub fn is_tunable(self) -> bool {
        self.level() == Level::Warning
    }

    /// The code written either way: `W0004` or `no-action-items`.
    pub fn find(code_or_name: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.code().eq_ignore_ascii_case(code_or_name) || c.name() == code_or_name)
    }
}

codes! {
    EmptyFile = "E0001" "empty-file" Error;
    NotUtf8 = "E0002" "not-utf8" Error;
    MissingFrontMatter = "E0003" "missing-front-matter" Error;
    UnclosedFrontMatter = "E0004" "unclosed-front-matter" Error;
    TomlSyntax = "E0005" "toml-syntax" Error;
    MissingField = "E0006" "missing-field" Error;
    UnknownField = "E0007" "unknown-field" Error;
    WrongType = "E0008" "wrong-type" Error;
    ValueNotAllowed = "E0009" "value-not-allowed" Error;
    UnknownSeverity = "E0010" "unknown-severity" Error;
    TimesOutOfOrder = "E0011" "times-out-of-order" Error;
    InTheFuture = "E0012" "in-the-future" Error;
    InvalidSlug = "E0013" "invalid-slug" Error;
    DuplicateSlug = "E0014" "duplicate-slug" Error;
    UnknownPremortem = "E0015" "unknown-premortem" Error;
    UnknownRisk = "E0016" "unknown-risk" Error;
    UnknownRelated = "E0017" "unknown-related" Error;
    DuplicateRisk = "E0018" "duplicate-risk" Error;
    BrokenLink = "E0019" "broken-link" Error;
    TooLarge = "E0020" "too-large" Error;
    Unreadable = "E0021" "unreadable" Error;
    InvalidConfig = "E0022" "invalid-config" Error;
    UnsafePath = "E0023" "unsafe-path" Error;
    Template = "E0024" "template" Error;
    UnclosedInternalBlock = "E0025" "unclosed-internal-block" Error;
    MisplacedInternalMarker = "E0026" "misplaced-internal-marker" Error;
    UnknownService = "W0001" "unknown-service" Warning;
    UnknownTag = "W0002" "unknown-tag" Warning;
    MissingSection = "W0003" "missing-section" Warning;
    NoActionItems = "W0004" "no-action-items" Warning;
    ActionWithoutOwner = "W0005" "action-without-owner" Warning;
    TimelineOutOfOrder = "W0006" "timeline-out-of-order" Warning;
    TimelineMixedZones = "W0007" "timeline-mixed-zones" Warning;
    PublishedLate = "W0008" "published-late" Warning;
    BlameLanguage = "W0009" "blame-language" Warning;
    IdCollision = "E0027" "id-collision" Error;
    DuplicateOutput = "E0028" "duplicate-output" Error;
    InternalMarkerInFrontMatter = "E0029" "internal-marker-in-front-matter" Error;
    IdNotSlug = "W0010" "id-not-slug" Warning;
    ImplausibleDate = "W0011" "implausible-date" Warning;
    LongIncident = "W0012" "long-incident" Warning;
    Placeholder = "W0013" "placeholder" Warning;
    EmptySummary = "W0014" "empty-summary" Warning;
    NotADocument = "W0015" "not-a-document" Warning;
    LinkToInternal = "W0016" "link-to-internal" Warning;
}

/// A finding about one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    /// The code's level, or the one `[check.rules]` or `check --deny warnings` gave it.
    pub level: Level,
    /// The file, relative to the archive root.
    pub file: PathBuf,
    /// 1-based line and column of the span's start (0 when the file has no text to point at).
    pub line: usize,
    pub column: usize,
    /// Byte range in the file, when known.
    pub span: Option<Range<usize>>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic about a whole file, with no position inside it.
    pub fn file(code: Code, file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            level: code.level(),
            file: file.into(),
            line: 0,
            column: 0,
            span: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A diagnostic pointing at `span`, a byte range of `source`, the text of `file`.
    pub fn at(
        code: Code,
        file: impl Into<PathBuf>,
        source: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic::placed(code, file, source, span, message, |start| {
            line_column(source, start)
        })
    }

    /// [`Diagnostic::at`] with the line found in `lines`, the [`LineStarts`] of `source`: for
    /// the many diagnostics one file can have, each found without counting lines again.
    pub fn at_line(
        code: Code,
        file: impl Into<PathBuf>,
        source: &str,
        lines: &LineStarts,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic::placed(code, file, source, span, message, |start| {
            lines.line_column(source, start)
        })
    }

    fn placed(
        code: Code,
        file: impl Into<PathBuf>,
        source: &str,
        span: Range<usize>,
        message: impl Into<String>,
        line_column: impl FnOnce(usize) -> (usize, usize),
    ) -> Self {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
        let (line, column) = line_column(start);
        Diagnostic {
            code,
            level: code.level(),
            file: file.into(),
            line,
            column,
            span: Some(start..end),
            message: message.into(),
            hint: None,
        }
    }

    /// Adds what to do about it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn level(&self) -> Level {
        self.level
    }

    pub fn is_error(&self) -> bool {
        self.level() == Level::Error
    }

    /// The order diagnostics are reported in: by file, then position, then code.
    pub fn sort(diagnostics: &mut [Diagnostic]) {
        diagnostics.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
        });
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where each line of a text starts, and how many characters precede every 4 KiB of it: the
/// line and column of many offsets, each found without reading the text again.
pub struct LineStarts {
    starts: Vec<usize>,
    /// At the first char boundary at or after each multiple of [`CHARS_STEP`]: the byte
    /// offset, and the characters before it.
    chars: Vec<(usize, usize)>,
}

const CHARS_STEP: usize = 4096;

impl LineStarts {
    pub fn of(source: &str) -> LineStarts {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut chars = Vec::with_capacity(source.len() / CHARS_STEP + 1);
        let mut counted = (0, 0);
        for step in (0..=source.len()).step_by(CHARS_STEP) {
            let mut at = step;
            while !source.is_char_boundary(at) {
                at += 1;
            }
            counted = (at, counted.1 + source[counted.0..at].chars().count());
            chars.push(counted);
        }
        LineStarts { starts, chars }
    }

    /// The characters before byte `offset`, a char boundary.
    fn chars_before(&self, source: &str, offset: usize) -> usize {
        let index = self.chars.partition_point(|&(at, _)| at <= offset);
        let (at, count) = self.chars[index.saturating_sub(1)];
        count + source[at..offset].chars().count()
    }

    /// [`line_column`], by search: `offset` is a char boundary of the text these are of.
    pub fn line_column(&self, source: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = if offset - start <= CHARS_STEP {
            source[start..offset].chars().count()
        } else {
            self.chars_before(source, offset) - self.chars_before(source, start)
        };
        (line, column + 1)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The output formats of `hindsight check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Github,
    Json,
}

/// Renders diagnostics for a terminal, with the offending line underlined.
///
/// `source_of` gives the text of a file, so the snippet can be shown.
pub fn render_human<'a>(
    diagnostics: &[Diagnostic],
    source_of: impl Fn(&Path) -> Option<&'a str>,
    color: bool,
) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Renderer, Snippet};

    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        let level = match diagnostic.level() {
            Level::Error => SnippetLevel::ERROR,
            Level::Warning => SnippetLevel::WARNING,
        };
        let title = format!("{} [{}]", diagnostic.message, diagnostic.code.name());
        let path = diagnostic.file.display().to_string();
        let title = level.primary_title(&title).id(diagnostic.code.code());
        let group = match (&diagnostic.span, source_of(&diagnostic.file)) {
            (Some(span), Some(source)) => match lines_around(source, span) {
                // Only the lines of the span: the renderer reads all the text it is given,
                // and a file of many diagnostics would be read once for each.
                Some((lines, span)) => title.element(
                    Snippet::source(lines)
                        .line_start(diagnostic.line.max(1))
                        .path(&path)
                        .annotation(
                            AnnotationKind::Primary
                                .span(span)
                                .label(diagnostic.code.name()),
                        ),
                ),
                // A line too long to show (a whole file on one line, say): where it is.
                None => title.element(
                    annotate_snippets::Origin::path(&path)
                        .line(diagnostic.line.max(1))
                        .char_column(diagnostic.column.max(1)),
                ),
            },
            _ => title.element(annotate_snippets::Origin::path(&path)),
        };
        let mut report = vec![group];
        if let Some(hint) = &diagnostic.hint {
            report.push(Group::with_title(SnippetLevel::HELP.secondary_title(hint)));
        }
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out
}

/// The most text a diagnostic's snippet shows; longer lines are pointed at by line and
/// column only, so that a report of many diagnostics on one long line stays linear.
const MAX_SNIPPET_BYTES: usize = 4096;

/// The whole lines of `source` that `span` touches, and the span within them; `None` when
/// they are longer than [`MAX_SNIPPET_BYTES`], found without reading further than that.
fn lines_around<'a>(source: &'a str, span: &Range<usize>) -> Option<(&'a str, Range<usize>)> {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
    let window = |from: usize| floor_char_boundary(source, from.min(source.len()));
    let before = &source[window(start.saturating_sub(MAX_SNIPPET_BYTES))..start];
    let first = match before.rfind('\n') {
        Some(i) => start - before.len() + i + 1,
        None if before.len() == start => 0,
        None => return None,
    };
    let after = &source[end..window(end + MAX_SNIPPET_BYTES)];
    let last = match after.find('\n') {
        Some(i) => end + i,
        None if end + after.len() == source.len() => source.len(),
        None => return None,
    };
    (last - first <= MAX_SNIPPET_BYTES).then(|| (&source[first..last], start - first..end - first))
}

/// [`render_human`] with each file's text read from the archive at `root`, once a file.
pub fn render_human_from(root: &Path, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut sources: std::collections::HashMap<&Path, String> = Default::default();
    for d in diagnostics {
        if sources.contains_key(d.file.as_path()) {
            continue;
        }
        if let Ok(text) = std::fs::read(root.join(&d.file)) {
            sources.insert(
                d.file.as_path(),
                String::from_utf8_lossy(&text).into_owned(),
            );
        }
    }
    render_human(
        diagnostics,
        |path| sources.get(path).map(String::as_str),
        color,
    )
}

/// Renders diagnostics as GitHub Actions workflow commands, shown inline on a pull request.
pub fn render_github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.level() {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(hint) = &d.hint {
            message.push('\n');
            message.push_str(hint);
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},title={}::{}\n",
            escape_property(&d.file.display().to_string()),
            d.line.max(1),
            d.column.max(1),
            escape_property(&format!("{} {}", d.code.code(), d.code.name())),
            escape_data(&message),
        ));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The JSON shape of `check --format json`, version 1 (documented in docs/diagnostics.md).
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    level: Level,
    code: &'static str,
    name: &'static str,
    file: String,
    line: usize,
    column: usize,
    message: &'a str,
    hint: Option<&'a str>,
}

/// Renders diagnostics as one JSON document.
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let report = JsonReport {
        version: 1,
        errors: diagnostics.iter().filter(|d| d.is_error()).count(),
        warnings: diagnostics.iter().filter(|d| !d.is_error()).count(),
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                level: d.level(),
                code: d.code.code(),
                name: d.code.name(),
                file: d.file.display().to_string(),
                line: d.line,
                column: d.column,
                message: &d.message,
                hint: d.hint.as_deref(),
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&report).expect("diagnostics serialize");
    json.push('\n');
    json
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        // Equal scores go to the first name in order, whatever order the candidates came in.
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_starts_find_the_line_and_column_line_column_does() {
        let long = format!("{}\n{}", "é".repeat(5000), "aé".repeat(9000));
        for source in ["ab\nçd\n\nxyz", long.as_str()] {
            let lines = super::LineStarts::of(source);
            for offset in (0..=source.len()).filter(|&i| source.is_char_boundary(i)) {
                assert_eq!(
                    lines.line_column(source, offset),
                    super::line_column(source, offset),
                    "{offset}"
                );
            }
        }
    }

    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = Code::ALL.iter().map(|c| c.code()).collect();
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        codes.sort();
        names.sort();
        let len = codes.len();
        codes.dedup();
        names.dedup();
        assert_eq!(codes.len(), len);
        assert_eq!(names.len(), len);
    }

    #[test]
    fn line_and_column_count_from_one() {
        let source = "+++\ntitle = 1\n";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 12), (2, 9));
    }

    #[test]
    fn github_commands_escape_newlines_and_separators() {
        let d = Diagnostic::at(Code::UnknownField, "a,b.md", "x\ny", 2..3, "bad\nthing")
            .with_hint("fix it");
        assert_eq!(
            render_github(&[d]),
            "::error file=a%2Cb.md,line=2,col=1,title=E0007 unknown-field::bad%0Athing%0Afix it\n"
        );
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        let fields = ["services", "severity", "summary"];
        assert_eq!(did_you_mean("servics", fields), Some("services"));
        assert_eq!(did_you_mean("zzz", fields), None);
    }
}
