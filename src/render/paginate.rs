//! Listings cut into pages: `/postmortems/`, `/actions/` and `/actions/closed/` list every
//! postmortem or action item of the archive, tens of megabytes of HTML each at 100,000
//! postmortems. Each shows `paginate_by` rows a page instead; the first page keeps the
//! listing's address and page N is at `page/N/` under it, as in Hugo and Zola.
//!
//! A listing is a sequence of groups (years, owners, services) whose rows are cut into
//! pages in order, so a group can begin on one page and go on over the next.

use std::ops::Range;

use serde::Serialize;

use super::views::Views;

/// How the rows of a listing's groups fall on its pages.
pub struct Paging {
    per_page: usize,
    /// Where each group starts in the sequence of all rows, then the number of rows.
    starts: Vec<usize>,
}

/// The part of one group that is on a page.
#[derive(Debug, PartialEq, Eq)]
pub struct Slice {
    pub group: usize,
    /// The group's rows on the page.
    pub rows: Range<usize>,
    /// Whether the group begins on this page (its heading carries the anchor).
    pub first: bool,
}

impl Paging {
    /// Groups of these lengths, `per_page` rows a page (at least one).
    pub fn new(lengths: impl IntoIterator<Item = usize>, per_page: usize) -> Self {
        let mut starts = vec![0];
        for length in lengths {
            starts.push(starts[starts.len() - 1] + length);
        }
        Paging {
            per_page: per_page.max(1),
            starts,
        }
    }

    fn rows(&self) -> usize {
        self.starts[self.starts.len() - 1]
    }

    /// Pages needed: one at least, so an empty listing still has its page.
    pub fn page_count(&self) -> usize {
        self.rows().div_ceil(self.per_page).max(1)
    }

    /// The page (from 0) a group begins on.
    pub fn page_of(&self, group: usize) -> usize {
        self.starts[group] / self.per_page
    }

    /// The groups on page `page` (from 0), with the rows of each that it shows.
    pub fn slices(&self, page: usize) -> Vec<Slice> {
        let from = page * self.per_page;
        let to = (from + self.per_page).min(self.rows());
        // The last group starting at or before `from`; empty groups before it are skipped.
        let mut group = self.starts.partition_point(|&start| start <= from) - 1;
        let mut slices = Vec::new();
        while group + 1 < self.starts.len() && self.starts[group] < to {
            let (start, end) = (self.starts[group], self.starts[group + 1]);
            if end > from {
                slices.push(Slice {
                    group,
                    rows: from.max(start) - start..to.min(end) - start,
                    first: start >= from,
                });
            }
            group += 1;
        }
        slices
    }
}

/// The site path of page `page` (from 0) of the listing at `path`.
pub fn page_path(path: &str, page: usize) -> String {
    match page {
        0 => path.to_string(),
        _ => format!("{path}page/{}/", page + 1),
    }
}

/// A link from page `from` of the listing at `path` to `#anchor` on its page `to`: the bare
/// fragment when that is the same page.
pub fn anchor_link(views: &Views, path: &str, from: usize, to: usize, anchor: &str) -> String {
    match from == to {
        true => format!("#{anchor}"),
        false => format!("{}#{anchor}", views.url(&page_path(path, to))),
    }
}

/// Links to the other pages of a listing, as templates show them.
#[derive(Serialize)]
pub struct PagerView {
    /// This page, from 1.
    pub number: usize,
    pub count: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The first and last pages and those near this one, in order.
    pub links: Vec<PageLink>,
}

#[derive(Serialize)]
pub struct PageLink {
    pub number: usize,
    /// `None` for the page itself.
    pub url: Option<String>,
    /// Whether pages are left out between this link and the one before.
    pub gap_before: bool,
}

/// How many pages either side of the current one get a link.
const NEAR: usize = 2;

/// The pager of page `page` (from 0) of `count`; `None` when the listing has one page.
pub fn pager(views: &Views, path: &str, page: usize, count: usize) -> Option<PagerView> {
    if count <= 1 {
        return None;
    }
    let url = |page: usize| views.url(&page_path(path, page));
    let near = page.saturating_sub(NEAR)..=(page + NEAR).min(count - 1);
    let mut shown: Vec<usize> = vec![0];
    shown.extend(near.filter(|&n| n != 0 && n != count - 1));
    shown.push(count - 1);
    let links = shown
        .iter()
        .enumerate()
        .map(|(i, &n)| PageLink {
            number: n + 1,
            url: (n != page).then(|| url(n)),
            gap_before: i > 0 && n > shown[i - 1] + 1,
        })
        .collect();
    Some(PagerView {
        number: page + 1,
        count,
        previous: (page > 0).then(|| url(page - 1)),
        next: (page + 1 < count).then(|| url(page + 1)),
        links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices(paging: &Paging, page: usize) -> Vec<(usize, Range<usize>, bool)> {
        paging
            .slices(page)
            .into_iter()
            .map(|s| (s.group, s.rows, s.first))
            .collect()
    }

    #[test]
    fn groups_continue_over_pages() {
        let paging = Paging::new([3, 0, 4, 1], 3);
        assert_eq!(paging.page_count(), 3);
        assert_eq!(slices(&paging, 0), [(0, 0..3, true)]);
        assert_eq!(slices(&paging, 1), [(2, 0..3, true)]);
        assert_eq!(slices(&paging, 2), [(2, 3..4, false), (3, 0..1, true)]);
        assert_eq!(
            (0..4).map(|g| paging.page_of(g)).collect::<Vec<_>>(),
            [0, 1, 1, 2]
        );
    }

    #[test]
    fn every_row_is_on_exactly_one_page() {
        for per_page in 1..8 {
            let lengths = [5, 1, 0, 7, 2, 0, 0, 3];
            let paging = Paging::new(lengths, per_page);
            let mut seen: Vec<Vec<usize>> = lengths.iter().map(|_| Vec::new()).collect();
            for page in 0..paging.page_count() {
                let rows: usize = paging.slices(page).iter().map(|s| s.rows.len()).sum();
                assert!(rows <= per_page && rows > 0, "page {page} of {per_page}");
                for slice in paging.slices(page) {
                    seen[slice.group].extend(slice.rows);
                }
            }
            for (group, rows) in seen.iter().enumerate() {
                assert_eq!(*rows, (0..lengths[group]).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn an_empty_listing_has_one_empty_page() {
        let paging = Paging::new([], 10);
        assert_eq!(paging.page_count(), 1);
        assert!(paging.slices(0).is_empty());
    }

    #[test]
    fn pages_after_the_first_are_under_page() {
        assert_eq!(page_path("/actions/", 0), "/actions/");
        assert_eq!(page_path("/actions/", 1), "/actions/page/2/");
    }
}
