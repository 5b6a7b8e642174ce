//! The slug of an imported postmortem: the day its incident started and its title, so that
//! the archive's files sort by date and read as what happened; never one already taken.

use std::collections::HashSet;

use crate::markdown::slugify;

use super::compose::Draft;

/// The longest slug import makes from a title, so that file names stay readable.
const MAX_SLUG: usize = 80;

/// `<date of the incident>-<title as a slug>`, the title cut at a word to stay short.
pub(super) fn base(draft: &Draft) -> String {
    let mut title = slugify(&draft.title);
    if title.len() > MAX_SLUG {
        let cut = title[..MAX_SLUG].rfind('-').unwrap_or(MAX_SLUG);
        title.truncate(cut);
    }
    format!("{}-{title}", draft.started.date_naive())
}

/// The base slug, or with `-2`, `-3`... when it is taken; the slug is then taken.
pub(super) fn unique(draft: &Draft, taken: &mut HashSet<String>) -> String {
    let base = base(draft);
    let mut slug = base.clone();
    let mut n = 2;
    while taken.contains(&slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(slug.clone());
    slug
}
