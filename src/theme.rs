//! Themes: the templates and static assets pages are made with.
//!
//! The default theme is embedded in the binary, so an archive repository needs no copy of it.
//! An archive can select `themes/NAME/` of its own with `theme = "NAME"`, and can override
//! any single template by putting a file of the same name in its `templates/` directory.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::diagnostic::{Code, Diagnostic};

static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// A theme's templates and static files, ready to use.
pub struct Theme {
    pub templates: tera::Tera,
    /// Whether the theme has `macros.html`, whose `doc_row` listings show a document with
    /// (see [`Theme::doc_row`]).
    doc_rows: bool,
    /// Static files by their path in the output, from the theme and then the archive.
    pub assets: Vec<(PathBuf, Vec<u8>)>,
}

/// Loads the theme an archive asks for, with the archive's template overrides.
pub fn load(root: &Path, theme: Option<&str>) -> Result<Theme, Diagnostic> {
    let mut templates: Vec<(String, String)> = Vec::new();
    let mut assets: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    match theme {
        None => {
            for file in embedded_files(&DEFAULT_THEME) {
                let path = file.path();
                if let Ok(name) = path.strip_prefix("templates") {
                    let text = file.contents_utf8().unwrap_or_default().to_string();
                    templates.push((name.to_string_lossy().replace('\\', "/"), text));
                } else if let Ok(name) = path.strip_prefix("static") {
                    assets.push((name.to_path_buf(), file.contents().to_vec()));
                }
            }
        }
        Some(name) => {
            let plain_name =
                !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', ':']);
            if !plain_name {
                return Err(Diagnostic::file(
                    Code::InvalidConfig,
                    crate::config::CONFIG_FILE,
                    format!("the theme `{name}` is not a plain directory name"),
                )
                .with_hint("name a directory directly under themes/, such as `theme = \"acme\"`"));
            }
            let dir = root.join("themes").join(name);
            if !dir.is_dir() {
                return Err(Diagnostic::file(
                    Code::InvalidConfig,
                    crate::config::CONFIG_FILE,
                    format!(
                        "the theme `{name}` does not exist: there is no {}",
                        dir.display()
                    ),
                )
                .with_hint("remove `theme` to use the default theme"));
            }
            templates.extend(read_tree(&dir.join("templates"))?.into_iter().map(text_of));
            assets.extend(read_tree(&dir.join("static"))?);
        }
    }
    // templates/new/ holds the archive's `hindsight new` templates, which are not pages.
    let overrides = read_tree(&root.join("templates"))?
        .into_iter()
        .filter(|(path, _)| !path.starts_with("new"));
    for (name, text) in overrides.map(text_of) {
        match templates.iter_mut().find(|(n, _)| *n == name) {
            Some(existing) => existing.1 = text,
            None => templates.push((name, text)),
        }
    }
    assets.extend(read_tree(&root.join("static"))?);
    let doc_rows = templates.iter().any(|(name, _)| name == "macros.html");
    if doc_rows {
        templates.push((DOC_ROW.to_string(), DOC_ROW_TEXT.to_string()));
    }

    let mut tera = tera::Tera::default();
    disable_machine_functions(&mut tera);
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(escape_markup);
    tera.add_raw_templates(templates)
        .map_err(|e| template_error(&e))?;
    Ok(Theme {
        templates: tera,
        doc_rows,
        assets,
    })
}

/// Template functions that read the machine the build runs on rather than the archive:
/// `get_env` would let a template a pull request changed publish CI's secrets. Each is
/// replaced by one that fails, saying why.
const MACHINE_FUNCTIONS: [&str; 3] = ["get_env", "get_random", "now"];

fn disable_machine_functions(tera: &mut tera::Tera) {
    for name in MACHINE_FUNCTIONS {
        tera.register_function(
            name,
            move |_: &std::collections::HashMap<String, tera::Value>| {
                Err(tera::Error::msg(format!(
                    "the template function `{name}` is disabled: templates cannot read the machine the site is built on; put the value in hindsight.toml's [extra] instead"
                )))
            },
        );
    }
}

/// The template that renders one document's row on its own, with the theme's `doc_row`
/// macro. Its name ends in `.html`, so its text is escaped as a page's is.
const DOC_ROW: &str = "hindsight-doc-row.html";
const DOC_ROW_TEXT: &str = r#"{% import "macros.html" as m %}{{ m::doc_row(doc=doc) }}"#;

impl Theme {
    /// `doc` as a row of a listing, rendered by the theme's `doc_row` macro; `None` when the
    /// theme has no `macros.html` or the macro fails on it.
    ///
    /// A document is listed on many pages (its services, its tags, the postmortems it is
    /// related to), and the macro ran for each: 123,000 rows for 10,000 postmortems, a tenth
    /// of a build. A listing shows the row made once (`doc.row`); where there is none, the
    /// default theme's `doc_list` calls the macro, which then reports what failed.
    pub fn doc_row(&self, doc: &impl serde::Serialize) -> Option<String> {
        if !self.doc_rows {
            return None;
        }
        let mut context = tera::Context::new();
        context.insert("doc", doc);
        self.templates.render(DOC_ROW, &context).ok()
    }
}

/// Escapes a value for HTML or XML text and quoted attributes. Unlike Tera's default it
/// leaves `/` alone, so URLs stay readable in the page source.
fn escape_markup(input: &str) -> String {
    replace_ascii(input, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#39;"),
        _ => None,
    })
}

/// `input` with each byte that `replace` maps to a text replaced by it. Only ASCII bytes
/// may be replaced (so the rest stays whole UTF-8); the text between them is copied in runs,
/// which made the feeds 2.5 times faster than pushing character by character.
pub fn replace_ascii(input: &str, replace: impl Fn(u8) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    let mut copied = 0;
    for (i, &byte) in input.as_bytes().iter().enumerate() {
        if let Some(text) = replace(byte) {
            debug_assert!(byte.is_ascii(), "only ASCII bytes may be replaced");
            out.push_str(&input[copied..i]);
            out.push_str(text);
            copied = i + 1;
        }
    }
    out.push_str(&input[copied..]);
    out
}

/// The text of a template of the embedded default theme (for `hindsight new`).
pub fn default_file(path: &str) -> Option<&'static str> {
    DEFAULT_THEME.get_file(path).and_then(|f| f.contents_utf8())
}

fn embedded_files(dir: &'static Dir<'static>) -> Vec<&'static include_dir::File<'static>> {
    let mut files: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(embedded_files(sub));
    }
    files
}

fn text_of((path, bytes): (PathBuf, Vec<u8>)) -> (String, String) {
    (
        path.to_string_lossy().replace('\\', "/"),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Every regular file under `dir` by its path relative to `dir`. A symbolic link is refused
/// rather than followed, so nothing outside the archive is read or published.
fn read_tree(dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, Diagnostic> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry
            .map_err(|e| Diagnostic::file(Code::Unreadable, dir, format!("cannot read: {e}")))?;
        if entry.path_is_symlink() {
            return Err(Diagnostic::file(
                Code::UnsafePath,
                entry.path(),
                "this is a symbolic link; links are not followed, so nothing outside the archive is read or published",
            )
            .with_hint("replace the link with the file or directory itself"));
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| {
            Diagnostic::file(Code::Unreadable, entry.path(), format!("cannot read: {e}"))
        })?;
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        files.push((relative.to_path_buf(), bytes));
    }
    Ok(files)
}

/// A template error with its chain of causes, which is where Tera puts the useful part.
pub fn template_error(error: &tera::Error) -> Diagnostic {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Diagnostic::file(Code::Template, "templates", message)
        .with_hint("fix the template named in the message")
}
