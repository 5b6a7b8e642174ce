//! Paths inside the site, shared by the phases: the segment a service, tag or risk id makes
//! in a URL (link checks that two spellings do not make one, render makes the URL), and the
//! rule that a path stays inside the output (link refuses a link that would leave the site,
//! write a record that names a path outside the output).

use std::path::{Component, Path};

/// A path segment safe to use in a URL and a file name: ids are free text in front matter.
pub fn path_segment(id: &str) -> String {
    let slug = crate::markdown::slugify(id);
    if slug.is_empty() {
        "-".to_string()
    } else {
        slug
    }
}

/// Whether a site path stays inside the output: relative, with no `..` or root in it.
pub fn is_contained(path: &Path) -> bool {
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod contained {
    use super::*;

    #[test]
    fn paths_that_climb_out_are_not_contained() {
        assert!(is_contained(Path::new("postmortems/x/index.html")));
        assert!(!is_contained(Path::new("../x")));
        assert!(!is_contained(Path::new("a/../../x")));
        assert!(!is_contained(Path::new("/etc/passwd")));
        assert!(!is_contained(Path::new("")));
    }
}
