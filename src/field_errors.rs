//! Every front-matter error of a file in one run, field by field.
//!
//! serde stops at the first error. To find the next one, the field it was about is repaired
//! or set aside in the parsed table (whose values keep their places in the file) and the
//! table is deserialized again, until it deserializes or nothing more can be learned. A
//! quoted date, a misspelled key and an unknown service are then three diagnostics of one
//! run instead of three runs.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeString, DeTable, DeValue, Deserializer};

use crate::diagnostic::did_you_mean;

/// How many errors of one file are worth finding before the rest can wait for the next run.
const MOST_ERRORS: usize = 20;

/// What deserializing field by field found.
pub struct Collected<T> {
    /// The value, when the front matter deserialized with nothing written set aside: only
    /// unknown keys left out or renamed, quoted dates unquoted. The rules can still look at
    /// such a document; the errors stop its build all the same.
    pub value: Option<T>,
    /// Every error met, in the order met, each with a hint better than the error's own when
    /// there is one.
    pub errors: Vec<(toml::de::Error, Option<String>)>,
}

/// One step into a table: a key, or an index into an array.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// What is done to the field an error is about, to find the next error.
enum Repair {
    /// An unknown key that is a likely misspelling of a missing one takes that name.
    Rename(String),
    /// A quoted date or time (`"2016-09-12"`) becomes the value it quotes.
    Unquote(toml::value::Datetime),
    /// The field is left out; `lost` when it was one the schema knows, so that what is left
    /// is no longer what was written.
    SetAside { lost: bool },
}

/// Deserializes `table` into `T`, collecting every error it can reach.
pub fn deserialize<T: DeserializeOwned>(mut table: Spanned<DeTable<'_>>) -> Collected<T> {
    let mut errors = Vec::new();
    // The keys of the fields set aside, and whether any value written was.
    let mut set_aside: Vec<String> = Vec::new();
    let mut lost = false;
    while errors.len() < MOST_ERRORS {
        let error = match T::deserialize(Deserializer::from(table.clone())) {
            Ok(value) => {
                return Collected {
                    value: (!lost).then_some(value),
                    errors,
                };
            }
            Err(error) => error,
        };
        let message = error.message().to_string();
        if message.starts_with("missing field") {
            // A field set aside is missing because of the error already reported about it.
            let field = message.split('`').nth(1).unwrap_or_default();
            if !set_aside.iter().any(|key| key == field) {
                errors.push((error, None));
            }
            break;
        }
        let place = error
            .span()
            .and_then(|span| locate(table.get_ref(), span.start));
        let Some(place) = place else {
            errors.push((error, None));
            break;
        };
        let (repair, hint) = repair_for(&message, &table, &place);
        if let Repair::SetAside { lost: true } = repair {
            lost = true;
            if let Some(Step::Key(key)) = place.last() {
                set_aside.push(key.clone());
            }
        }
        let repaired = apply(table.get_mut(), &place, repair);
        errors.push((error, hint));
        if !repaired {
            break;
        }
    }
    Collected {
        value: None,
        errors,
    }
}

/// What to do about the field at `place` that `message` is about, and a hint for it.
fn repair_for(
    message: &str,
    table: &Spanned<DeTable<'_>>,
    place: &[Step],
) -> (Repair, Option<String>) {
    if message.starts_with("unknown field") {
        let field = message.split('`').nth(1).unwrap_or_default();
        let expected: Vec<&str> = message
            .split("expected")
            .nth(1)
            .map(|rest| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let siblings = container(table.get_ref(), &place[..place.len() - 1]);
        let missing = expected.into_iter().filter(|key| {
            siblings
                .as_ref()
                .is_none_or(|table| !table.contains_key(*key))
        });
        return match did_you_mean(field, missing) {
            Some(key) => (Repair::Rename(key.to_string()), None),
            None => (Repair::SetAside { lost: false }, None),
        };
    }
    if let Some(DeValue::String(text)) = value_at(table.get_ref(), place)
        && let Ok(datetime) = text.trim().parse::<toml::value::Datetime>()
    {
        let hint = format!(
            "write `{}` without quotes: TOML dates and times are not strings",
            text.trim()
        );
        return (Repair::Unquote(datetime), Some(hint));
    }
    (Repair::SetAside { lost: true }, None)
}

/// The path to the field whose key or value holds byte `at`, the innermost one.
fn locate(table: &DeTable<'_>, at: usize) -> Option<Vec<Step>> {
    for (key, value) in table.iter() {
        let (key_span, value_span) = (key.span(), value.span());
        if key_span.contains(&at) || (value_span.contains(&at) && !is_container(value.get_ref())) {
            return Some(vec![Step::Key(key.get_ref().to_string())]);
        }
        if value_span.contains(&at) || is_container(value.get_ref()) {
            if let Some(mut inner) = locate_in(value.get_ref(), at) {
                inner.insert(0, Step::Key(key.get_ref().to_string()));
                return Some(inner);
            }
            if value_span.contains(&at) {
                return Some(vec![Step::Key(key.get_ref().to_string())]);
            }
        }
    }
    None
}

fn locate_in(value: &DeValue<'_>, at: usize) -> Option<Vec<Step>> {
    match value {
        DeValue::Table(table) => locate(table, at),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            if let Some(mut inner) = locate_in(item.get_ref(), at) {
                inner.insert(0, Step::Index(i));
                return Some(inner);
            }
            item.span().contains(&at).then(|| vec![Step::Index(i)])
        }),
        _ => None,
    }
}

fn is_container(value: &DeValue<'_>) -> bool {
    matches!(value, DeValue::Table(_) | DeValue::Array(_))
}

/// The table `path` leads to, if it leads to one.
fn container<'t, 'i>(table: &'t DeTable<'i>, path: &[Step]) -> Option<&'t DeTable<'i>> {
    let mut current = table;
    let mut value: Option<&DeValue<'i>> = None;
    for step in path {
        let next = match (step, value) {
            (Step::Key(key), None) => current.get(key.as_str()),
            (Step::Key(key), Some(DeValue::Table(t))) => t.get(key.as_str()),
            (Step::Index(i), Some(DeValue::Array(items))) => items.get(*i),
            _ => None,
        }?;
        value = Some(next.get_ref());
        if let DeValue::Table(t) = next.get_ref() {
            current = t;
            value = None;
        }
    }
    match value {
        None => Some(current),
        Some(DeValue::Table(t)) => Some(t),
        Some(_) => None,
    }
}

/// The value at `path`.
fn value_at<'t, 'i>(table: &'t DeTable<'i>, path: &[Step]) -> Option<&'t DeValue<'i>> {
    let (last, parents) = path.split_last()?;
    let parent = parent_value(table, parents);
    match (last, parent) {
        (Step::Key(key), Parent::Table(t)) => t.get(key.as_str()).map(Spanned::get_ref),
        (Step::Index(i), Parent::Array(items)) => items.get(*i).map(Spanned::get_ref),
        _ => None,
    }
}

enum Parent<'t, 'i> {
    Table(&'t DeTable<'i>),
    Array(&'t DeArray<'i>),
    None,
}

fn parent_value<'t, 'i>(table: &'t DeTable<'i>, path: &[Step]) -> Parent<'t, 'i> {
    let mut parent = Parent::Table(table);
    for step in path {
        let next = match (step, parent) {
            (Step::Key(key), Parent::Table(t)) => t.get(key.as_str()),
            (Step::Index(i), Parent::Array(items)) => items.get(*i),
            _ => None,
        };
        parent = match next.map(Spanned::get_ref) {
            Some(DeValue::Table(t)) => Parent::Table(t),
            Some(DeValue::Array(items)) => Parent::Array(items),
            _ => Parent::None,
        };
    }
    parent
}

/// Makes `repair` at `path`; whether it could.
fn apply(table: &mut DeTable<'_>, path: &[Step], repair: Repair) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut parent: MutParent = MutParent::Table(table);
    for step in parents {
        let next = match (step, parent) {
            (Step::Key(key), MutParent::Table(t)) => t.get_mut(key.as_str()),
            (Step::Index(i), MutParent::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        parent = match next.map(Spanned::get_mut) {
            Some(DeValue::Table(t)) => MutParent::Table(t),
            Some(DeValue::Array(items)) => MutParent::Array(items),
            _ => return false,
        };
    }
    match (last, parent, repair) {
        (Step::Key(key), MutParent::Table(t), Repair::Rename(to)) => {
            let Some((old_key, value)) = t.remove_entry(key.as_str()) else {
                return false;
            };
            let name: DeString<'_> = std::borrow::Cow::Owned(to);
            t.insert(Spanned::new(old_key.span(), name), value);
            true
        }
        (Step::Key(key), MutParent::Table(t), Repair::Unquote(datetime)) => {
            match t.get_mut(key.as_str()) {
                Some(value) => {
                    *value = Spanned::new(value.span(), DeValue::Datetime(datetime));
                    true
                }
                None => false,
            }
        }
        (Step::Index(i), MutParent::Array(items), Repair::Unquote(datetime)) => {
            match items.get_mut(*i) {
                Some(value) => {
                    *value = Spanned::new(value.span(), DeValue::Datetime(datetime));
                    true
                }
                None => false,
            }
        }
        (Step::Key(key), MutParent::Table(t), Repair::SetAside { .. }) => {
            t.remove(key.as_str()).is_some()
        }
        (Step::Index(i), MutParent::Array(items), Repair::SetAside { .. }) => {
            let kept: DeArray<'_> = items
                .iter()
                .enumerate()
                .filter(|(j, _)| j != i)
                .map(|(_, item)| item.clone())
                .collect();
            *items = kept;
            true
        }
        _ => false,
    }
}

enum MutParent<'t, 'i> {
    Table(&'t mut DeTable<'i>),
    Array(&'t mut DeArray<'i>),
}
