//! One file into a document: read, split, its front matter deserialized field by field and
//! its body analysed, or taken as an earlier build analysed it (see [`super::Bodies`]).

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::config::Config;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::document::{Document, Kind, Meta, Postmortem, Premortem};
use crate::markdown;

use super::files::read_limited;
use super::front_matter::{FrontMatter, split_front_matter};
use super::{Bodies, LoadedDocument};

/// Reads, splits and deserializes one file.
pub fn load_document(
    root: &Path,
    path: &Path,
    kind: Kind,
    config: &Config,
    context: &markdown::Context,
    bodies: Option<&dyn Bodies>,
) -> Result<LoadedDocument, Vec<Diagnostic>> {
    let (bytes, file) = read_limited(&root.join(path), config.max_document_bytes)
        .map_err(|(code, message)| vec![Diagnostic::file(code, path, message)])?;
    let source = String::from_utf8(bytes)
        .map_err(|error| {
            let offset = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            Diagnostic::at(
                Code::NotUtf8,
                path,
                &text,
                offset..offset + 1,
                "this file is not valid UTF-8",
            )
            .with_hint("save the file as UTF-8")
        })
        .map_err(|diagnostic| vec![diagnostic])?;
    let key =
        bodies.and_then(|bodies| Some((bodies, bodies.key_of_read(&source, &file, context)?)));
    let Some((bodies, key)) = key else {
        return parse_document(path, kind, &source, context);
    };
    let mut loaded = parse_with(path, &source, |front_matter, body| match bodies.take(key) {
        Some(kept) => Ok(kept),
        None => {
            let (meta, errors) = parse_meta(path, kind, &source, front_matter)?;
            Ok(with_errors(
                meta,
                markdown::analyze(&source, body, context),
                errors,
            ))
        }
    })?;
    // A body with problems is analysed again each time, so that they are reported each time.
    loaded.document.key = loaded.document.body.diagnostics.is_empty().then_some(key);
    Ok(loaded)
}

/// Splits and deserializes a document held in memory.
pub fn parse_document(
    path: &Path,
    kind: Kind,
    source: &str,
    context: &markdown::Context,
) -> Result<LoadedDocument, Vec<Diagnostic>> {
    parse_with(path, source, |front_matter, body| {
        let (meta, errors) = parse_meta(path, kind, source, front_matter)?;
        Ok(with_errors(
            meta,
            markdown::analyze(source, body, context),
            errors,
        ))
    })
}

/// A document's front matter and body, with the front-matter errors that did not stop it
/// from loading carried by the body, as its own problems are: they are reported with the
/// file's, and the body is analysed again each time, so that they are reported each time.
pub(super) fn with_errors(
    meta: Meta,
    mut body: markdown::Body,
    mut errors: Vec<Diagnostic>,
) -> (Meta, markdown::Body) {
    body.diagnostics.append(&mut errors);
    (meta, body)
}

/// Splits a document and makes its front matter and body with `made`, from the front matter
/// and the byte range of the body.
pub(super) fn parse_with(
    path: &Path,
    source: &str,
    made: impl FnOnce(&FrontMatter, Range<usize>) -> Result<(Meta, markdown::Body), Vec<Diagnostic>>,
) -> Result<LoadedDocument, Vec<Diagnostic>> {
    let split = split_front_matter(source).map_err(|(code, span, message, hint)| {
        vec![Diagnostic::at(code, path, source, span, message).with_hint(hint)]
    })?;
    let front_matter = FrontMatter::read(
        &source[split.front_matter.clone()],
        split.front_matter.start,
    );
    let (meta, body) = made(&front_matter, split.body)?;
    Ok(LoadedDocument {
        document: document(path, meta, body),
        front_matter,
    })
}

/// The document of the file at `path`, with its front matter and body.
pub(super) fn document(path: &Path, meta: Meta, body: markdown::Body) -> Document {
    let slug = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Document {
        slug,
        path: path.to_path_buf(),
        meta,
        body,
        timeline: Default::default(),
        key: None,
    }
}

/// Deserializes a document's front matter, field by field: every error of it, and the
/// document when what was written could still be read (see [`crate::field_errors`]).
pub(super) fn parse_meta(
    path: &Path,
    kind: Kind,
    source: &str,
    front_matter: &FrontMatter,
) -> Result<(Meta, Vec<Diagnostic>), Vec<Diagnostic>> {
    let located = |error: &toml::de::Error, keys: &[&str]| {
        let span = error.span().unwrap_or(0..0);
        let offset = front_matter.offset();
        let span = span.start + offset..span.end + offset;
        let (code, message, hint) = classify_toml_error(error.message(), keys);
        let mut diagnostic = Diagnostic::at(code, path, source, span, message);
        diagnostic.hint = hint;
        diagnostic
    };
    let table = DeTable::parse(front_matter.text()).map_err(|e| vec![located(&e, &[])])?;
    let mut marked = Vec::new();
    strings_with_markers(table.get_ref(), &mut marked);
    let (meta, errors, keys) = match kind {
        Kind::Postmortem => {
            let collected = crate::field_errors::deserialize::<Postmortem>(table);
            let meta = collected.value.map(|p| Meta::Postmortem(Box::new(p)));
            (meta, collected.errors, POSTMORTEM_KEYS)
        }
        Kind::Premortem => {
            let collected = crate::field_errors::deserialize::<Premortem>(table);
            let meta = collected.value.map(|p| Meta::Premortem(Box::new(p)));
            (meta, collected.errors, PREMORTEM_KEYS)
        }
    };
    let mut diagnostics: Vec<Diagnostic> = errors
        .iter()
        .map(|(error, hint)| {
            let mut diagnostic = located(error, keys);
            if hint.is_some() {
                diagnostic.hint = hint.clone();
            }
            diagnostic
        })
        .collect();
    diagnostics.extend(marked.into_iter().map(|span| {
        let offset = front_matter.offset();
        Diagnostic::at(
            Code::InternalMarkerInFrontMatter,
            path,
            source,
            span.start + offset..span.end + offset,
            "this front-matter value holds an internal marker, and front matter is published in every edition as written",
        )
        .with_hint("take the marker out of the value, with what it was meant to withhold; internal details belong in an internal block of the body")
    }));
    Diagnostic::sort(&mut diagnostics);
    match meta {
        Some(meta) => Ok((meta, diagnostics)),
        None => Err(diagnostics),
    }
}

/// The spans of the front matter's strings, at any depth, that hold an internal marker
/// (see [`markdown::holds_marker`]).
fn strings_with_markers(table: &DeTable, marked: &mut Vec<Range<usize>>) {
    fn visit(value: &toml::Spanned<DeValue>, marked: &mut Vec<Range<usize>>) {
        match value.get_ref() {
            DeValue::String(text) if markdown::holds_marker(text) => marked.push(value.span()),
            DeValue::Array(items) => items.iter().for_each(|item| visit(item, marked)),
            DeValue::Table(table) => strings_with_markers(table, marked),
            _ => {}
        }
    }
    table.values().for_each(|value| visit(value, marked));
}

pub(super) const POSTMORTEM_KEYS: &[&str] = &[
    "title",
    "date",
    "summary",
    "authors",
    "status",
    "severity",
    "services",
    "tags",
    "visibility",
    "premortems",
    "related",
    "incident",
    "actions",
    "extra",
    "started",
    "detected",
    "mitigated",
    "resolved",
    "owner",
    "kind",
    "link",
    "due",
];

pub(super) const PREMORTEM_KEYS: &[&str] = &[
    "title",
    "date",
    "summary",
    "authors",
    "status",
    "services",
    "tags",
    "visibility",
    "risks",
    "extra",
    "id",
    "likelihood",
    "impact",
    "mitigation",
    "owner",
];

/// Sorts a TOML or serde error into a diagnostic code, a message and a hint.
///
/// serde's messages are stable in shape (`unknown field `x`, expected one of ...`), which is
/// what lets a did-you-mean hint be given for a misspelled key.
pub(super) fn classify_toml_error(message: &str, keys: &[&str]) -> (Code, String, Option<String>) {
    let message = message.trim().to_string();
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_string);
    if message.starts_with("missing field") {
        let field = quoted(&message).unwrap_or_default();
        return (
            Code::MissingField,
            format!("the required field `{field}` is missing"),
            Some(format!("add `{field} = ...` to the front matter")),
        );
    }
    if message.starts_with("unknown field") {
        let field = quoted(&message).unwrap_or_default();
        let expected: Vec<&str> = message
            .split("expected")
            .nth(1)
            .map(|rest| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let candidates = if expected.is_empty() {
            keys.to_vec()
        } else {
            expected
        };
        let hint = match did_you_mean(&field, candidates.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("the known fields here are: {}", candidates.join(", ")),
        };
        return (
            Code::UnknownField,
            format!("unknown field `{field}`"),
            Some(hint),
        );
    }
    if message.starts_with("unknown variant") {
        let value = quoted(&message).unwrap_or_default();
        let expected: Vec<&str> = message
            .split("expected")
            .nth(1)
            .map(|rest| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let hint = match did_you_mean(&value, expected.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("use one of: {}", expected.join(", ")),
        };
        return (
            Code::ValueNotAllowed,
            format!("`{value}` is not an allowed value here"),
            Some(hint),
        );
    }
    if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
        || message.starts_with("expected a date")
        || message.contains("has no time zone")
        || message.contains("is not a")
    {
        return (Code::WrongType, message, None);
    }
    (Code::TomlSyntax, message, None)
}
