//! Rules about the archive's vocabularies: services from the catalogue in hindsight.toml, and
//! tags from `[check] tags`. A misspelled service or tag splits an index page in two, so each
//! finding suggests the closest known name.

use std::collections::HashSet;

use crate::config::{CONFIG_FILE, Config};
use crate::diagnostic::{Code, did_you_mean};

use super::Found;

pub(super) struct Catalogue<'a> {
    /// Empty when the archive keeps no catalogue, which turns the service rule off.
    services: Vec<&'a str>,
    service_set: HashSet<&'a str>,
    /// `None` when `[check] tags` is not set, which turns the tag rule off.
    tags: Option<(Vec<&'a str>, HashSet<&'a str>)>,
}

impl<'a> Catalogue<'a> {
    pub(super) fn new(config: &'a Config) -> Self {
        let services: Vec<&str> = config.services.keys().map(String::as_str).collect();
        let tags = config.check.tags.as_ref().map(|tags| {
            let list: Vec<&str> = tags.iter().map(String::as_str).collect();
            let set = list.iter().copied().collect();
            (list, set)
        });
        Catalogue {
            service_set: services.iter().copied().collect(),
            services,
            tags,
        }
    }

    pub(super) fn check(&self, found: &mut Found) {
        let common = found.document.common();
        if !self.services.is_empty() {
            for (i, service) in common.services.iter().enumerate() {
                if self.service_set.contains(service.as_str()) {
                    continue;
                }
                let hint = match did_you_mean(service, self.services.iter().copied()) {
                    Some(known) => format!("did you mean `{known}`?"),
                    None => format!(
                        "use a service id from the catalogue, or add `[services.{service}]` to {CONFIG_FILE}"
                    ),
                };
                found
                    .at_key(
                        Code::UnknownService,
                        &["services", &i.to_string()],
                        format!("the service `{service}` is not in the catalogue"),
                    )
                    .hint = Some(hint);
            }
        }
        if let Some((list, set)) = &self.tags {
            for (i, tag) in common.tags.iter().enumerate() {
                if set.contains(tag.as_str()) {
                    continue;
                }
                let hint = match did_you_mean(tag, list.iter().copied()) {
                    Some(known) => format!("did you mean `{known}`?"),
                    None => format!(
                        "use a tag from `[check] tags` in {CONFIG_FILE}, or add `{tag}` to that list"
                    ),
                };
                found
                    .at_key(
                        Code::UnknownTag,
                        &["tags", &i.to_string()],
                        format!("the tag `{tag}` is not in `[check] tags`"),
                    )
                    .hint = Some(hint);
            }
        }
    }
}
