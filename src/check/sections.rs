//! The rule on required sections: `[check.required_sections]` in hindsight.toml names, per
//! severity, the headings a postmortem must have (by default the SRE book's core sections for
//! sev1 and sev2).
//!
//! Teams name the same section differently ("Contributing factors" for "Root causes",
//! "Follow-ups" for "Action items"), so a heading matches case-insensitively, ignoring
//! numbering, a trailing colon and a parenthesised remark, and any name in a section's group
//! of synonyms below counts for that section.

use std::collections::{BTreeMap, HashSet};

use crate::config::CONFIG_FILE;
use crate::diagnostic::Code;

use super::Found;

/// Names that mean the same section. The first of each group is the SRE book's name; a
/// required section matches every name of the group it belongs to.
const SYNONYMS: &[&[&str]] = &[
    &[
        "summary",
        "executive summary",
        "overview",
        "tl;dr",
        "tldr",
        "abstract",
    ],
    &[
        "impact",
        "customer impact",
        "user impact",
        "business impact",
        "effects",
    ],
    &[
        "root causes",
        "root cause",
        "contributing factors",
        "contributing factor",
        "causes",
        "cause",
        "root cause analysis",
        "why it happened",
    ],
    &["trigger", "triggers"],
    &[
        "resolution",
        "mitigation",
        "resolution and recovery",
        "recovery",
        "remediation",
        "how it was resolved",
    ],
    &["detection", "how it was detected"],
    &[
        "action items",
        "action item",
        "actions",
        "follow-ups",
        "follow ups",
        "followups",
        "follow-up items",
        "corrective actions",
        "next steps",
    ],
    &["lessons learned", "lessons", "learnings", "what we learned"],
    &[
        "timeline",
        "chronology",
        "sequence of events",
        "timeline of events",
    ],
    &["supporting information", "appendix", "references"],
];

/// The sections each severity requires, each with the headings that satisfy it.
pub(super) struct RequiredSections {
    by_severity: BTreeMap<String, Vec<Section>>,
}

struct Section {
    /// The name as hindsight.toml writes it, for the message.
    name: String,
    accepted: Vec<String>,
}

impl RequiredSections {
    pub(super) fn new(config: &BTreeMap<String, Vec<String>>) -> Self {
        let by_severity = config
            .iter()
            .map(|(severity, names)| {
                let sections = names
                    .iter()
                    .map(|name| Section {
                        name: name.clone(),
                        accepted: accepted_names(name),
                    })
                    .collect();
                (severity.clone(), sections)
            })
            .collect();
        RequiredSections { by_severity }
    }

    pub(super) fn check(&self, found: &mut Found) {
        let Some(postmortem) = found.document.postmortem() else {
            return;
        };
        let Some(required) = self.by_severity.get(&postmortem.severity) else {
            return;
        };
        let present: HashSet<String> = found
            .document
            .body
            .headings
            .iter()
            .map(|h| normalize(&h.text))
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .filter(|section| !section.accepted.iter().any(|name| present.contains(name)))
            .map(|section| section.name.as_str())
            .collect();
        let Some(first) = missing.first() else {
            return;
        };
        let list = missing
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let message = format!(
            "missing the section{} {list}, which a {} postmortem needs",
            if missing.len() == 1 { "" } else { "s" },
            postmortem.severity,
        );
        let hint = format!(
            "add a heading for each, such as `## {first}`, with what belongs there; the sections each severity requires are `[check.required_sections]` in {CONFIG_FILE}"
        );
        found
            .at_key(Code::MissingSection, &["severity"], message)
            .hint = Some(hint);
    }
}

/// The normalized headings that satisfy a required section named `name`.
fn accepted_names(name: &str) -> Vec<String> {
    let name = normalize(name);
    match SYNONYMS.iter().find(|group| group.contains(&name.as_str())) {
        Some(group) => group.iter().map(|s| s.to_string()).collect(),
        None => vec![name],
    }
}

/// A heading as compared: lower case, single spaces, without a leading number (`3.` or `3)`),
/// a trailing colon or a parenthesised remark.
fn normalize(heading: &str) -> String {
    let mut text = heading.trim();
    if let Some(open) = text.find('(') {
        text = &text[..open];
    }
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0
        && let Some(rest) = text[digits..]
            .strip_prefix(['.', ')'])
            .filter(|rest| rest.starts_with(char::is_whitespace))
    {
        text = rest;
    }
    let text = text.trim().trim_end_matches([':', '.']);
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_match_whatever_their_case_numbering_and_remarks() {
        assert_eq!(normalize("Root Causes"), "root causes");
        assert_eq!(normalize("3. Timeline (all times UTC)"), "timeline");
        assert_eq!(normalize("2) Impact:"), "impact");
        assert_eq!(normalize("  Action   items "), "action items");
        assert_eq!(normalize("2024 retrospective"), "2024 retrospective");
    }

    #[test]
    fn synonyms_satisfy_the_section_they_stand_for() {
        let accepted = accepted_names("Root causes");
        assert!(accepted.contains(&"contributing factors".to_string()));
        let accepted = accepted_names("Action items");
        assert!(accepted.contains(&"follow-ups".to_string()));
        assert_eq!(accepted_names("Attendees"), vec!["attendees".to_string()]);
    }
}
