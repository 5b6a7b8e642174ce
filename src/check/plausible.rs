//! Rules about values that parse but cannot be meant: a year of 202 (from `20202`), a date
//! decades from every other incident, an incident that lasted for months, the template's
//! placeholders and an empty summary left in a published postmortem. Each passes the schema,
//! and each shows on the site as nonsense: the year 202 squeezes 1,800 empty years into the
//! "incidents over time" chart.

use aho_corasick::AhoCorasick;
use chrono::{Datelike, NaiveDate};

use crate::diagnostic::Code;
use crate::document::{Document, PostmortemStatus};

use super::Found;

/// The first year a date of an incident archive can plausibly fall in.
const EARLIEST_YEAR: i32 = 1970;

/// How many years from the archive's typical incident year a date may be before it looks
/// mistyped.
const YEARS_FROM_THE_OTHERS: i32 = 30;

/// How few incidents make a typical year worth comparing with.
const INCIDENTS_FOR_A_TYPICAL_YEAR: usize = 5;

/// How long an incident may last, from started to resolved, before it looks mistyped.
const LONGEST_INCIDENT_DAYS: i64 = 30;

/// Text the postmortem template holds until someone writes the real thing: its placeholder
/// row and the first words of its section guidance, and the usual markers of unfinished
/// text.
const PLACEHOLDERS: &[&str] = &[
    "YYYY-MM-DD",
    "MM-DD",
    "HH:MM",
    "HH:mm",
    "TODO",
    "TBD",
    "XXX",
    "What happened, in a few sentences a reader outside the team understands",
    "Who and what was affected, and how much",
    "The conditions that let this happen, as many as there were",
    "The change or event that set the root causes off",
    "What was done to mitigate and then to fix it, and why that worked",
    "How the problem was noticed (an alert, a customer, a colleague)",
    "Why the items in the front matter",
    "Times in one zone, in order, from the first sign of trouble",
    "What happened, who acted",
    "Graphs, logs, links to chat threads, dashboards and related documents",
];

/// The median of the years incidents of the archive started in, when there are enough of them to
/// tell what is far from it.
pub(super) fn typical_year(years: impl IntoIterator<Item = i32>) -> Option<i32> {
    let mut years: Vec<i32> = years.into_iter().collect();
    if years.len() < INCIDENTS_FOR_A_TYPICAL_YEAR {
        return None;
    }
    let middle = years.len() / 2;
    Some(*years.select_nth_unstable(middle).1)
}

/// The placeholders, found in one pass over a text (a 10,000-postmortem archive is tens of
/// megabytes of it).
pub(super) struct Placeholders(Option<AhoCorasick>);

impl Placeholders {
    pub(super) fn new() -> Self {
        // Leftmost-first, the longer of two that start together (`YYYY-MM-DD`, `MM-DD`)
        // listed first: the search can skip ahead rather than report every overlap.
        let automaton = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(PLACEHOLDERS);
        Placeholders(automaton.ok())
    }

    /// The first placeholder in `text` that stands as a word of its own.
    fn first_in(&self, text: &str) -> Option<&'static str> {
        let automaton = self.0.as_ref()?;
        automaton
            .find_iter(text)
            .find(|m| is_word_at(text, m.start(), &text[m.range()]))
            .map(|m| PLACEHOLDERS[m.pattern().as_usize()])
    }

    /// The first placeholder left in a document's title, summary, action items or `text`,
    /// the text of its body.
    fn in_document(&self, document: &Document, text: &str) -> Option<&'static str> {
        let common = document.common();
        let actions = document.postmortem().into_iter().flat_map(|p| &p.actions);
        let mut fields = [common.title, common.summary]
            .into_iter()
            .chain(actions.map(|a| a.title.as_str()));
        if let Some(found) = fields.find_map(|field| self.first_in(field)) {
            return Some(found);
        }
        self.first_in(text)
    }
}

pub(super) fn check(found: &mut Found, typical_year: Option<i32>, placeholders: &Placeholders) {
    let date = found.document.date();
    implausible_date(found, &["date"], "publication date", date, typical_year);
    let Some(postmortem) = found.document.postmortem() else {
        return;
    };
    for (name, time) in postmortem.incident.marks() {
        let what = format!("incident's `{name}` time");
        implausible_date(
            found,
            &["incident", name],
            &what,
            time.0.date_naive(),
            typical_year,
        );
    }
    if let Some(resolved) = postmortem.incident.resolved {
        let started = postmortem.incident.started;
        let days = (resolved.0 - started.0).num_days();
        if days > LONGEST_INCIDENT_DAYS {
            found
                .at_key(
                    Code::LongIncident,
                    &["incident", "resolved"],
                    format!(
                        "the incident lasted {days} days, from {} to {}",
                        started.0, resolved.0
                    ),
                )
                .hint = Some(format!(
                "check the dates for a mistyped month or year; an incident that really lasted over {LONGEST_INCIDENT_DAYS} days can allow `long-incident` in [check.rules]"
            ));
        }
    }
    if postmortem.status != PostmortemStatus::Published {
        return;
    }
    // An empty summary as the template leaves it; one left out is the writer's choice.
    if postmortem.summary.trim().is_empty() && found.front_matter.has_key("summary") {
        found
            .at_key(
                Code::EmptySummary,
                &["summary"],
                "this published postmortem has no summary".into(),
            )
            .hint = Some(
            "write one or two sentences in `summary`: what broke, for whom, for how long; listings and feeds show it".into(),
        );
    }
    if let Some(placeholder) = placeholders.in_document(found.document, found.text()) {
        let span = found
            .source()
            .match_indices(placeholder)
            .map(|(at, _)| at)
            .find(|&at| is_word_at(found.source(), at, placeholder))
            .map_or(0..3, |at| at..at + placeholder.len());
        found
            .at_span(
                Code::Placeholder,
                span,
                format!("this published postmortem still holds the placeholder `{placeholder}`"),
            )
            .hint = Some(
            "write what belongs here, or keep `status = \"draft\"` until it is written".into(),
        );
    }
}

/// Warns about `date`, the value at `keys`, when its year cannot be meant.
fn implausible_date(
    found: &mut Found,
    keys: &[&str],
    what: &str,
    date: NaiveDate,
    typical_year: Option<i32>,
) {
    let year = date.year();
    let message = if year < EARLIEST_YEAR {
        format!("the {what} {date} is before {EARLIEST_YEAR}")
    } else if let Some(typical) = typical_year
        && (year - typical).abs() > YEARS_FROM_THE_OTHERS
    {
        format!(
            "the {what} {date} is {} years from the archive's other incidents, most of them around {typical}",
            (year - typical).abs()
        )
    } else {
        return;
    };
    found.at_key(Code::ImplausibleDate, keys, message).hint =
        Some("check the year for a typo, such as `20202` or `202`".into());
}

/// Whether `word` at byte `at` of `text` stands on its own: `TODO` but not `TODOS` or
/// `MASTODON`.
fn is_word_at(text: &str, at: usize, word: &str) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + word.len()..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_as_words_only() {
        let placeholders = Placeholders::new();
        let first = |text| placeholders.first_in(text);
        assert_eq!(first("Owner: TBD."), Some("TBD"));
        assert_eq!(first("| YYYY-MM-DD HH:MM | x |"), Some("YYYY-MM-DD"));
        assert_eq!(first("| 2022-06-02 HH:mm | x |"), Some("HH:mm"));
        assert_eq!(first("MASTODON and TODOS, XXXL"), None);
        assert_eq!(first("Resolved at 10:42."), None);
    }
}
