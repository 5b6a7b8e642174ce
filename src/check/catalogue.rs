//! Rules about the archive's vocabularies: services from the catalogue in hindsight.toml, and
//! tags from `[check] tags`. A misspelled service or tag splits an index page in two, so each
//! finding suggests the closest known name.

use std::collections::HashSet;

use crate::archive::is_valid_slug;
use crate::config::{CONFIG_FILE, Config};
use crate::diagnostic::{Code, did_you_mean};

use super::Found;

pub(super) struct Catalogue<'a> {
    /// `None` when the archive keeps no catalogue, which turns the service rule off.
    services: Option<Vocabulary<'a>>,
    /// `None` when `[check] tags` is not set, which turns the tag rule off.
    tags: Option<Vocabulary<'a>>,
}

/// The known names of one front-matter list, and how to report one that is not among them.
struct Vocabulary<'a> {
    key: &'static str,
    /// One of the list's values: `service`.
    noun: &'static str,
    code: Code,
    /// Where the names are kept, for the message: `the catalogue`.
    kept_in: &'static str,
    /// What to add to hindsight.toml for a new name.
    how_to_add: fn(&str) -> String,
    names: Vec<&'a str>,
    set: HashSet<&'a str>,
}

impl<'a> Vocabulary<'a> {
    /// Reports `value`, the `i`th of the list, when it is not a known name; whether it did.
    fn check(&self, found: &mut Found, i: usize, value: &str) -> bool {
        {
            if self.set.contains(value) {
                return false;
            }
            // `DNS` for `dns` is the same id written as a name.
            let slug = crate::site_path::path_segment(value);
            let same_slug = self.set.get(slug.as_str()).copied();
            let closest = same_slug.or_else(|| did_you_mean(value, self.names.iter().copied()));
            let hint = match closest {
                Some(known) => format!("did you mean `{known}`?"),
                None => format!(
                    "use a name from {} in {CONFIG_FILE}, or add {}",
                    self.kept_in,
                    (self.how_to_add)(value)
                ),
            };
            let message = format!("the {} `{value}` is not in {}", self.noun, self.kept_in);
            found
                .at_key(self.code, &[self.key, &i.to_string()], message)
                .hint = Some(hint);
            true
        }
    }
}

impl<'a> Catalogue<'a> {
    pub(super) fn new(config: &'a Config) -> Self {
        let vocabulary = |key, noun, code, kept_in, how_to_add, names: Vec<&'a str>| Vocabulary {
            key,
            noun,
            code,
            kept_in,
            how_to_add,
            set: names.iter().copied().collect(),
            names,
        };
        Catalogue {
            services: (!config.services.is_empty()).then(|| {
                vocabulary(
                    "services",
                    "service",
                    Code::UnknownService,
                    "the catalogue",
                    |id| format!("`[services.{id}]`"),
                    config.services.keys().map(String::as_str).collect(),
                )
            }),
            tags: config.check.tags.as_ref().map(|tags| {
                vocabulary(
                    "tags",
                    "tag",
                    Code::UnknownTag,
                    "`[check] tags`",
                    |tag| format!("`{tag}` to that list"),
                    tags.iter().map(String::as_str).collect(),
                )
            }),
        }
    }

    pub(super) fn check(&self, found: &mut Found) {
        let common = found.document.common();
        let lists = [
            ("services", "service", &self.services, common.services),
            ("tags", "tag", &self.tags, common.tags),
        ];
        for (key, noun, vocabulary, values) in lists {
            for (i, value) in values.iter().enumerate() {
                let unknown = vocabulary
                    .as_ref()
                    .is_some_and(|vocabulary| vocabulary.check(found, i, value));
                if !unknown && !is_valid_slug(value) {
                    not_a_slug(found, (key, noun), i, value, vocabulary.as_ref());
                }
            }
        }
    }
}

/// Reports an id that is not URL-safe, naming the one its pages use instead.
fn not_a_slug(
    found: &mut Found,
    (key, noun): (&str, &str),
    i: usize,
    value: &str,
    vocabulary: Option<&Vocabulary>,
) {
    let used = crate::site_path::path_segment(value);
    let known = vocabulary.and_then(|v| did_you_mean(&used, v.names.iter().copied()));
    let hint = match known {
        Some(known) => format!("did you mean `{known}`?"),
        None => format!("write `{used}`: lower-case letters, digits and dashes"),
    };
    found
        .at_key(
            Code::IdNotSlug,
            &[key, &i.to_string()],
            format!("the {noun} `{value}` is not a URL-safe id; its pages use `{used}`"),
        )
        .hint = Some(hint);
}
