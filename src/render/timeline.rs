//! The visual timeline of a postmortem page: the parsed events on a rail, with the incident's
//! started, detected, mitigated and resolved marks placed among them in time order.
//!
//! It takes the place of the Timeline section's list or table only when every entry parsed;
//! the section as written stays on the page, folded under the visual timeline, so links and
//! formatting in the entries are never lost.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::views::format_duration;
use crate::document::Incident;
use crate::timeline::{Precision, Timeline, TimelineSection};

/// What the template lays out.
#[derive(Serialize)]
pub struct TimelineView {
    /// `Times in UTC.`, or empty when the entries name their zones one by one.
    pub zone_note: String,
    pub rows: Vec<TimelineRow>,
    /// The written lists and tables, shown folded.
    pub written_html: super::Markup,
}

/// An event or a mark on the rail.
#[derive(Serialize)]
pub struct TimelineRow {
    /// `None` for an event; `started`, `detected`, `mitigated` or `resolved` for a mark.
    pub mark: Option<&'static str>,
    /// The time as shown: `09:29`, with the date when the day changes.
    pub time: String,
    /// RFC 3339, for `<time datetime>`.
    pub datetime: String,
    pub text: String,
    /// Time since the incident started: `+12 min`, or `−5 min` before it.
    pub since_start: String,
    /// The row's id, for a link to it: its time in UTC, or the mark's name.
    pub anchor: String,
}

/// The body's HTML split around the timeline: `before` the first written block, the written
/// blocks themselves, then `after` (the body past the first block, the other blocks taken
/// out).
pub struct SplitHtml {
    pub before: String,
    pub written: String,
    pub after: String,
}

/// The visual timeline of a postmortem whose Timeline section parsed whole, to take the place
/// of the section's written blocks; `None` leaves the body as written. Its `written_html` is
/// left empty for [`split`] to fill.
pub fn structured(
    section: &TimelineSection,
    timeline: &Timeline,
    incident: &Incident,
) -> Option<TimelineView> {
    (timeline.is_structured() && !section.html_blocks.is_empty()).then(|| view(timeline, incident))
}

/// Splits `html` around the written `blocks` of its Timeline section; `None` when the blocks
/// do not fit the HTML.
pub fn split(html: &str, blocks: &[std::ops::Range<usize>]) -> Option<SplitHtml> {
    let first = blocks.first()?;
    if blocks.iter().any(|b| b.end > html.len() || b.start > b.end)
        || blocks.windows(2).any(|w| w[0].end > w[1].start)
    {
        return None;
    }
    let mut written = String::new();
    let mut after = String::new();
    let mut done = first.start;
    for block in blocks {
        after.push_str(html.get(done..block.start)?);
        written.push_str(html.get(block.clone())?);
        done = block.end;
    }
    after.push_str(html.get(done..)?);
    Some(SplitHtml {
        before: html.get(..first.start)?.to_string(),
        written,
        after,
    })
}

fn view(timeline: &Timeline, incident: &Incident) -> TimelineView {
    let started = incident.started.0;
    // One zone for the whole rail: the first event's, unless the writers mixed zones.
    let zones = timeline.written_zones();
    let single_zone = zones.len() <= 1;
    let zone = timeline
        .events
        .first()
        .map_or(*started.offset(), |e| e.zone.offset);
    let zone_label = timeline
        .events
        .first()
        .map_or_else(|| "UTC".to_string(), |e| e.zone.label.clone());

    // (instant for ordering, row); marks sort after events of the same instant.
    let mut entries: Vec<(DateTime<FixedOffset>, u8, TimelineRow, Precision)> = timeline
        .events
        .iter()
        .map(|e| {
            (
                e.at,
                0,
                TimelineRow {
                    mark: None,
                    time: String::new(),
                    datetime: match e.precision {
                        Precision::Day => e.at.date_naive().to_string(),
                        _ => e.at.to_rfc3339(),
                    },
                    text: e.text.clone(),
                    since_start: String::new(),
                    anchor: e.at.naive_utc().format("%Y-%m-%d %H%M").to_string(),
                },
                e.precision,
            )
        })
        .collect();
    for (name, t) in incident.marks() {
        let at = t.0.with_timezone(&zone);
        entries.push((
            at,
            1,
            TimelineRow {
                mark: Some(name),
                time: String::new(),
                datetime: at.to_rfc3339(),
                text: format!("Incident {name}"),
                since_start: String::new(),
                anchor: name.to_string(),
            },
            Precision::Minute,
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));

    let anchors = super::views::part_anchors("t", entries.iter().map(|e| e.2.anchor.as_str()));
    for (entry, anchor) in entries.iter_mut().zip(anchors) {
        entry.2.anchor = anchor;
    }
    let mut previous_day = None;
    let rows = entries
        .into_iter()
        .map(|(at, _, mut row, precision)| {
            let shown = if single_zone {
                at.with_timezone(&zone)
            } else {
                at
            };
            let day = shown.date_naive();
            let time = match precision {
                Precision::Day => String::new(),
                Precision::Minute => shown.format("%H:%M").to_string(),
                Precision::Second => shown.format("%H:%M:%S").to_string(),
            };
            let date = (previous_day != Some(day)).then(|| day.format("%Y-%m-%d").to_string());
            previous_day = Some(day);
            let zone_suffix = if single_zone || time.is_empty() {
                String::new()
            } else {
                format!(" {}", offset_label(*shown.offset()))
            };
            row.time = [date.unwrap_or_default(), time]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
                + &zone_suffix;
            if precision != Precision::Day {
                let since = at - started;
                row.since_start = if since < chrono::TimeDelta::zero() {
                    format!("−{}", format_duration(-since))
                } else {
                    format!("+{}", format_duration(since))
                };
            }
            row
        })
        .collect();
    TimelineView {
        // Said even when the section has its own note: a table's `Time (UTC)` header is
        // folded away with the table.
        zone_note: if single_zone {
            format!("Times in {zone_label}.")
        } else {
            String::new()
        },
        rows,
        written_html: super::Markup(String::new()),
    }
}

fn offset_label(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".into()
    } else {
        offset.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Timestamp;
    use crate::markdown::{Context, analyze};
    use std::path::Path;

    fn at(s: &str) -> Timestamp {
        Timestamp(DateTime::parse_from_rfc3339(s).unwrap())
    }

    /// The body split around its visual timeline, which holds the written blocks.
    struct SplitBody {
        before: String,
        view: TimelineView,
        after: String,
    }

    fn split_of(body: &str, incident: &Incident) -> Option<SplitBody> {
        let context = Context::for_tests(Path::new("content/postmortems/a.md"));
        let analysed = analyze(body, 0..body.len(), &context);
        let section = analysed.timeline.as_ref()?;
        let timeline = crate::timeline::parse(section, incident.started.0, Default::default());
        let mut view = structured(section, &timeline, incident)?;
        let html = split(&analysed.html.get(), &section.html_blocks)?;
        view.written_html = crate::render::Markup(html.written);
        Some(SplitBody {
            before: html.before,
            view,
            after: html.after,
        })
    }

    fn incident() -> Incident {
        Incident {
            started: at("2024-05-01T23:55:00Z"),
            detected: Some(at("2024-05-02T00:05:00Z")),
            mitigated: None,
            resolved: Some(at("2024-05-02T01:00:00Z")),
        }
    }

    #[test]
    fn marks_fall_among_the_events_in_time_order_across_midnight() {
        let body = "## Timeline\n\n- 23:50 — Deploy\n- 00:05 — Paged\n- 00:30 — Rolled back\n\n## After\n\nText.\n";
        let split = split_of(body, &incident()).expect("structured");
        let rows: Vec<(Option<&str>, &str, &str)> = split
            .view
            .rows
            .iter()
            .map(|r| (r.mark, r.time.as_str(), r.since_start.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (None, "2024-05-01 23:50", "−5 min"),
                (Some("started"), "23:55", "+0 min"),
                (None, "2024-05-02 00:05", "+10 min"),
                (Some("detected"), "00:05", "+10 min"),
                (None, "00:30", "+35 min"),
                (Some("resolved"), "01:00", "+1 h 5 min"),
            ]
        );
        assert_eq!(split.view.zone_note, "Times in UTC.");
        assert!(split.view.written_html.0.starts_with("<ul>"));
        assert!(split.before.contains("<h2 id=\"timeline\">"));
        assert!(split.after.contains("<h2 id=\"after\">") && !split.after.contains("Deploy"));
    }

    #[test]
    fn an_entry_that_does_not_parse_leaves_the_body_as_written() {
        let body = "## Timeline\n\n- 23:50 — Deploy\n- later — Paged\n";
        assert!(split_of(body, &incident()).is_none());
    }

    #[test]
    fn mixed_zones_show_each_time_with_its_zone() {
        let body = "## Timeline\n\n- 23:50 UTC — Deploy\n- 02:05 +02:00 — Paged\n";
        let split = split_of(body, &incident()).expect("structured");
        assert_eq!(split.view.zone_note, "");
        let times: Vec<&str> = split
            .view
            .rows
            .iter()
            .filter(|r| r.mark.is_none())
            .map(|r| r.time.as_str())
            .collect();
        assert_eq!(times, ["2024-05-01 23:50 UTC", "2024-05-02 02:05 +02:00"]);
    }
}
