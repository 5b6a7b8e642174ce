//! Timelines: the body's Timeline section as structured events.
//!
//! The Markdown pass ([`crate::markdown`]) collects the section as written: its list items and
//! table rows ([`WrittenEntry`]), the notes around them ("All times in CET.") and where its
//! entries sit in the rendered HTML. [`parse`] turns that into [`TimelineEvent`]s, each with
//! the instant it names, the zone it was written in, its text and its byte span in the file.
//!
//! Parsing is all or nothing: when one entry does not begin with a time, the timeline is not
//! [structured](Timeline::is_structured) and the page shows the section as written, so that
//! nothing a team wrote disappears behind a half-understood chart. Check rules still see the
//! events that did parse.
//!
//! Accepted times: `09:29`, `9:29`, `09:29:30`, `9:29 pm`, `2016-09-05 09:29`,
//! `2016/09/05 09:29`, `2016-09-05T09:29:00Z`, a date alone (`2021-12-10`) or with a
//! placeholder time (`2019-12-03 --:--`, `2020-12-21 HH:mm`), each with an optional zone
//! (`Z`, `UTC`, `GMT`, an abbreviation such as `CET`, or an offset: `+02:00`, `+0200`,
//! `UTC+2`), then a separator (`-`, `–`, `—`, `:`, `|`, `,`) and the event's text. A table
//! row whose first cell is such a time is an entry whose text is the other cells.
//!
//! [`section`] collects the section during the Markdown pass, [`stamp`] reads an entry's time
//! and [`zones`] the zone it names or its section declares.

use std::ops::Range;

use chrono::{DateTime, Days, FixedOffset, NaiveDateTime, NaiveTime, TimeDelta};
use serde::Serialize;

use crate::document::Document;
use crate::zone::Zone as SiteZone;

mod section;
mod stamp;
mod zones;

pub(crate) use section::SectionCollector;
pub use section::{TimelineSection, WrittenEntry};

use stamp::read_entry;
use zones::{declared_zone, zone_label};

/// A parsed timeline: the events in the order they were written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timeline {
    pub events: Vec<TimelineEvent>,
    /// Spans of the entries whose time could not be read.
    #[serde(skip)]
    pub unparsed: Vec<Range<usize>>,
    /// The zone the section's notes or table header declare for entries that name none.
    pub declared_zone: Option<Zone>,
}

/// One moment of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEvent {
    /// The instant, in the offset it was written in.
    pub at: DateTime<FixedOffset>,
    /// The zone the entry's time is in, and where that came from.
    pub zone: Zone,
    pub zone_source: ZoneSource,
    /// How much of the time was written: a date alone sorts at the start of its day.
    pub precision: Precision,
    /// The time as written, such as `09:29 UTC`.
    pub written: String,
    /// The event's text, without its time.
    pub text: String,
    /// Byte range of the entry in the file.
    #[serde(skip)]
    pub span: Range<usize>,
}

/// A time zone as written: its label (`UTC`, `CET`, `+02:00`) and fixed offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Zone {
    pub label: String,
    #[serde(serialize_with = "serialize_offset")]
    pub offset: FixedOffset,
}

/// Where an event's zone came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneSource {
    /// The entry names it (`09:29 UTC`).
    Entry,
    /// The section declares it (`All times in CET.`, `Time (UTC)`).
    Section,
    /// Nothing names one: the offset of the incident's start is assumed.
    Incident,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    Day,
    Minute,
    Second,
}

fn serialize_offset<S: serde::Serializer>(offset: &FixedOffset, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&offset.to_string())
}

impl Timeline {
    /// Whether every entry parsed, so the page can show the events instead of the text.
    pub fn is_structured(&self) -> bool {
        !self.events.is_empty() && self.unparsed.is_empty()
    }

    /// Pairs of consecutive events (by index into `events`) where the later-written one names
    /// an earlier instant. Date-only events compare by their day only.
    pub fn out_of_order(&self) -> Vec<(usize, usize)> {
        self.events
            .windows(2)
            .enumerate()
            .filter(|(_, pair)| {
                let (a, b) = (&pair[0], &pair[1]);
                if a.precision == Precision::Day || b.precision == Precision::Day {
                    b.at.date_naive() < a.at.date_naive()
                } else {
                    b.at < a.at
                }
            })
            .map(|(i, _)| (i, i + 1))
            .collect()
    }

    /// The distinct zones the timeline's writers named (by entry or section), in order of
    /// first use; more than one means readers must convert while reading.
    pub fn written_zones(&self) -> Vec<&Zone> {
        let mut zones: Vec<&Zone> = Vec::new();
        for event in &self.events {
            if event.zone_source != ZoneSource::Incident
                && !zones.iter().any(|z| z.offset == event.zone.offset)
            {
                zones.push(&event.zone);
            }
        }
        zones
    }
}

/// The timeline of a postmortem, if its body has a Timeline section; `site` is the
/// archive's zone (see [`parse`]).
pub fn of(document: &Document, site: SiteZone) -> Option<Timeline> {
    let postmortem = document.postmortem()?;
    let section = document.body.timeline.as_ref()?;
    Some(parse(section, postmortem.incident.started.0, site))
}

/// Reads the times of a Timeline section. Entries without a date take the date of `started`
/// (the one nearest to it, for a timeline that begins the evening before) and roll over
/// midnight when the clock goes back by more than twelve hours.
///
/// Entries that name no zone are in the zone of `started`; when that is the site's zone and
/// the site's zone is an IANA one (`Europe/Copenhagen`), they are read on its clocks, so a
/// timeline written in local time across a daylight-saving change stays in order.
pub fn parse(
    section: &TimelineSection,
    started: DateTime<FixedOffset>,
    site: SiteZone,
) -> Timeline {
    let local_clocks = match site {
        SiteZone::Named(_) if site.offset_at(started.to_utc()) == *started.offset() => Some(site),
        _ => None,
    };
    let declared_zone = section.notes.iter().find_map(|note| declared_zone(note));
    let mut timeline = Timeline {
        declared_zone,
        ..Timeline::default()
    };
    // The last event's local date and time, for entries that give a time alone.
    let mut previous: Option<NaiveDateTime> = None;
    for entry in &section.entries {
        let Some((stamp, text)) = read_entry(&entry.cells) else {
            timeline.unparsed.push(entry.span.clone());
            continue;
        };
        let (zone, zone_source) = match (&stamp.zone, &timeline.declared_zone) {
            (Some(zone), _) => (zone.clone(), ZoneSource::Entry),
            (None, Some(zone)) => (zone.clone(), ZoneSource::Section),
            (None, None) => (
                Zone {
                    label: zone_label(*started.offset()),
                    offset: *started.offset(),
                },
                ZoneSource::Incident,
            ),
        };
        let time = stamp.time.unwrap_or(NaiveTime::MIN);
        let local = match stamp.date {
            Some(date) => date.and_time(time),
            None => match previous {
                Some(previous) => {
                    let same_day = previous.date().and_time(time);
                    if previous - same_day > TimeDelta::hours(12) {
                        same_day + Days::new(1)
                    } else {
                        same_day
                    }
                }
                None => nearest_to(started, zone.offset, time),
            },
        };
        let at = match (zone_source, local_clocks) {
            (ZoneSource::Incident, Some(site)) => {
                site.instant_of(local, timeline.events.last().map(|e| e.at))
            }
            _ => local.and_local_timezone(zone.offset).single(),
        };
        let Some(at) = at else {
            timeline.unparsed.push(entry.span.clone());
            continue;
        };
        // On a site's clocks, the offset is the one in force at the entry's own time.
        let zone = match local_clocks {
            Some(_) if zone_source == ZoneSource::Incident => Zone {
                label: zone_label(*at.offset()),
                offset: *at.offset(),
            },
            _ => zone,
        };
        previous = Some(local);
        timeline.events.push(TimelineEvent {
            at,
            zone,
            zone_source,
            precision: stamp.precision,
            written: stamp.written,
            text,
            span: entry.span.clone(),
        });
    }
    timeline
}

/// The local date and time, on the day before, of or after the start, nearest to the start.
fn nearest_to(
    started: DateTime<FixedOffset>,
    offset: FixedOffset,
    time: NaiveTime,
) -> NaiveDateTime {
    let start_local = started.with_timezone(&offset).naive_local();
    let day = start_local.date().and_time(time);
    [day, day - Days::new(1), day + Days::new(1)]
        .into_iter()
        .min_by_key(|candidate| (*candidate - start_local).abs())
        .unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{Context, analyze};
    use std::path::Path;

    fn started() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2016-09-05T09:29:00Z").unwrap()
    }

    fn section_of(body: &str) -> TimelineSection {
        let context = Context::for_tests(Path::new("content/postmortems/a.md"));
        analyze(body, 0..body.len(), &context)
            .timeline
            .expect("the body has a Timeline section")
    }

    fn timeline_of(body: &str) -> Timeline {
        parse(&section_of(body), started(), SiteZone::default())
    }

    /// The instant (as RFC 3339 in its written offset) and text of a one-item timeline.
    fn one(item: &str) -> (String, String) {
        let timeline = timeline_of(&format!("## Timeline\n\n- {item}\n"));
        assert!(timeline.is_structured(), "`{item}` did not parse");
        let event = &timeline.events[0];
        (event.at.to_rfc3339(), event.text.clone())
    }

    #[test]
    fn list_items_in_every_written_format_become_events() {
        let cases = [
            ("09:29 - Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            ("9:29 — Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            ("09:29: Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            ("09:29 | Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            ("09:29:45 – Paged", "2016-09-05T09:29:45+00:00", "Paged"),
            ("09:29 UTC — Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            ("09:29Z Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            ("11:29 +02:00 - Paged", "2016-09-05T11:29:00+02:00", "Paged"),
            ("11:29 +0200 - Paged", "2016-09-05T11:29:00+02:00", "Paged"),
            ("11:29 UTC+2 - Paged", "2016-09-05T11:29:00+02:00", "Paged"),
            ("10:29 CET: Paged", "2016-09-05T10:29:00+01:00", "Paged"),
            (
                "2016-09-05 09:29 - Paged",
                "2016-09-05T09:29:00+00:00",
                "Paged",
            ),
            (
                "2016-09-05 09:29 UTC: Paged",
                "2016-09-05T09:29:00+00:00",
                "Paged",
            ),
            (
                "2016-09-05T09:29:00Z Paged",
                "2016-09-05T09:29:00+00:00",
                "Paged",
            ),
            (
                "2016-09-05T11:29:00+02:00 — Paged",
                "2016-09-05T11:29:00+02:00",
                "Paged",
            ),
            (
                "2016/09/05 09:29, Paged",
                "2016-09-05T09:29:00+00:00",
                "Paged",
            ),
            ("9:29 am - Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            ("9:29pm - Paged", "2016-09-05T21:29:00+00:00", "Paged"),
            ("[09:29] Paged", "2016-09-05T09:29:00+00:00", "Paged"),
            (
                "**09:29** — Paged *now*",
                "2016-09-05T09:29:00+00:00",
                "Paged now",
            ),
            ("~09:29 - Paged", "2016-09-05T09:29:00+00:00", "Paged"),
        ];
        for (item, at, text) in cases {
            assert_eq!(one(item), (at.to_string(), text.to_string()), "{item}");
        }
    }

    #[test]
    fn items_that_do_not_begin_with_a_time_leave_the_timeline_as_written() {
        for item in [
            "Paged at 09:29",
            "1234 Paged",
            "09:29",
            "25:00 - Paged",
            "12:00x Paged",
            "2016-13-01 09:29 - Paged",
        ] {
            let timeline = timeline_of(&format!("## Timeline\n\n- 09:00 - Start\n- {item}\n"));
            assert!(!timeline.is_structured(), "`{item}` parsed");
            assert_eq!(timeline.unparsed.len(), 1, "{item}");
        }
    }

    #[test]
    fn times_without_a_date_roll_over_midnight() {
        let body = "## Timeline\n\n- 23:40 UTC — ETL starts\n- 23:52 UTC — Retry\n- 00:30 UTC — Found\n- 02:40 UTC — Fixed\n";
        let section = section_of(body);
        let started = DateTime::parse_from_rfc3339("2023-10-02T23:52:00Z").unwrap();
        let timeline = parse(&section, started, SiteZone::default());
        let at: Vec<String> = timeline.events.iter().map(|e| e.at.to_rfc3339()).collect();
        assert_eq!(
            at,
            [
                "2023-10-02T23:40:00+00:00",
                "2023-10-02T23:52:00+00:00",
                "2023-10-03T00:30:00+00:00",
                "2023-10-03T02:40:00+00:00"
            ]
        );
        assert!(timeline.out_of_order().is_empty());
    }

    #[test]
    fn a_timeline_starting_the_evening_before_the_incident_takes_the_day_before() {
        let section = section_of("## Timeline\n\n- 23:50 — Deploy\n- 00:05 — Errors\n");
        let started = DateTime::parse_from_rfc3339("2023-10-03T00:05:00Z").unwrap();
        let at: Vec<String> = parse(&section, started, SiteZone::default())
            .events
            .iter()
            .map(|e| e.at.to_rfc3339())
            .collect();
        assert_eq!(
            at,
            ["2023-10-02T23:50:00+00:00", "2023-10-03T00:05:00+00:00"]
        );
    }

    #[test]
    fn an_entry_written_a_few_minutes_early_is_out_of_order_not_the_next_day() {
        let timeline = timeline_of("## Timeline\n\n- 09:30 — B\n- 09:25 — A\n- 09:40 — C\n");
        assert_eq!(
            timeline.events[1].at.to_rfc3339(),
            "2016-09-05T09:25:00+00:00"
        );
        assert_eq!(timeline.out_of_order(), [(0, 1)]);
    }

    #[test]
    fn zones_come_from_the_entry_the_section_or_the_incident() {
        let timeline =
            timeline_of("## Timeline\n\nAll times in CET.\n\n- 10:29 — A\n- 09:40 UTC — B\n");
        assert_eq!(timeline.declared_zone.as_ref().unwrap().label, "CET");
        let sources: Vec<ZoneSource> = timeline.events.iter().map(|e| e.zone_source).collect();
        assert_eq!(sources, [ZoneSource::Section, ZoneSource::Entry]);
        let labels: Vec<&str> = timeline
            .written_zones()
            .iter()
            .map(|z| z.label.as_str())
            .collect();
        assert_eq!(labels, ["CET", "UTC"]);

        let assumed = timeline_of("## Timeline\n\n- 09:29 — A\n");
        assert_eq!(assumed.events[0].zone_source, ZoneSource::Incident);
        assert!(assumed.written_zones().is_empty());
    }

    #[test]
    fn tables_whose_first_column_is_a_time_become_events() {
        let body = "## Timeline\n\n| Time (UTC) | Event | Who |\n| --- | --- | --- |\n| 2022-07-08 02:00 | Prices applied | ops |\n| 2022-07-08 08:47 | Incident opened | |\n";
        let timeline = timeline_of(body);
        assert!(timeline.is_structured());
        assert_eq!(timeline.declared_zone.as_ref().unwrap().label, "UTC");
        assert_eq!(timeline.events[0].text, "Prices applied — ops");
        assert_eq!(timeline.events[1].text, "Incident opened");
        assert_eq!(
            &body[timeline.events[1].span.clone()],
            "| 2022-07-08 08:47 | Incident opened | |"
        );
        assert_eq!(timeline.events[0].written, "2022-07-08 02:00");
    }

    #[test]
    fn a_date_alone_or_with_a_placeholder_time_is_a_day() {
        let body = "## Timeline\n\n| Time | Event |\n| --- | --- |\n| 2019-12-02 04:30 | A |\n| 2019-12-03 --:-- | B |\n| 2019-12-04 | C |\n| 2019-12-05 HH:mm | D |\n| 2019-12-05 09:00 - 11:00 | E |\n";
        let timeline = timeline_of(body);
        assert!(timeline.is_structured());
        let precisions: Vec<Precision> = timeline.events.iter().map(|e| e.precision).collect();
        assert_eq!(
            precisions,
            [
                Precision::Minute,
                Precision::Day,
                Precision::Day,
                Precision::Day,
                Precision::Minute
            ]
        );
        assert!(timeline.out_of_order().is_empty());
    }

    #[test]
    fn spans_point_at_list_items_and_the_section_ends_at_the_next_heading() {
        let body = "# Title\n\n## Timeline\n\n- 09:29 — A\n- 09:31 — B\n\n## Lessons\n\n- 10:00 — not a timeline entry\n";
        let section = section_of(body);
        assert_eq!(&body[section.heading_span.clone()], "## Timeline");
        let timeline = parse(&section, started(), SiteZone::default());
        assert_eq!(timeline.events.len(), 2);
        assert_eq!(&body[timeline.events[1].span.clone()], "- 09:31 — B");
    }

    /// The tables of the DFDS platform team's real postmortems, read where the corpus is.
    #[test]
    fn the_real_corpus_tables_parse() {
        // ../shared/corpora from the main checkout; ../../shared/corpora from a worktree.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(dir) = ["../shared/corpora", "../../shared/corpora"]
            .iter()
            .map(|up| root.join(up).join("dfds-postmortems"))
            .find(|dir| dir.is_dir())
        else {
            eprintln!(
                "note: shared/corpora/dfds-postmortems is absent; skipping the corpus timelines"
            );
            return;
        };
        let Ok(files) = std::fs::read_dir(&dir) else {
            eprintln!(
                "note: {} is unreadable; skipping the corpus timelines",
                dir.display()
            );
            return;
        };
        let mut structured = 0;
        let mut with_section = 0;
        let mut events = 0;
        for file in files.flatten() {
            let Ok(text) = std::fs::read_to_string(file.path()) else {
                continue;
            };
            let context = Context {
                render_html: false,
                ..Context::for_tests(Path::new("content/postmortems/a.md"))
            };
            let Some(section) = analyze(&text, 0..text.len(), &context).timeline else {
                continue;
            };
            with_section += 1;
            let timeline = parse(&section, started(), SiteZone::default());
            for event in &timeline.events {
                let written = event.written.split(' ').next().unwrap_or("");
                assert!(text[event.span.clone()].contains(written), "{written}");
            }
            events += timeline.events.len();
            structured += usize::from(timeline.is_structured());
            let name = file.file_name().to_string_lossy().to_string();
            if let Some(first) = timeline.unparsed.first() {
                println!("{name}: stays as written at `{}`", &text[first.clone()]);
            }
            if name.starts_with("PM2020-004") {
                let at: Vec<String> = timeline.events.iter().map(|e| e.at.to_rfc3339()).collect();
                assert_eq!(
                    at,
                    [
                        "2020-02-03T11:21:00+01:00",
                        "2020-02-03T11:52:00+01:00",
                        "2020-02-03T13:30:00+01:00"
                    ]
                );
                assert_eq!(timeline.events[0].zone.label, "CET");
            }
            if name.starts_with("PM2020-003") {
                // `20202-01-16 12:00`: a typo in the year; the table stays as written.
                assert!(!timeline.is_structured());
            }
            if name.starts_with("PM2019-010") {
                assert_eq!(timeline.events.len(), 6);
                assert_eq!(timeline.events[0].zone.label, "CET");
            }
        }
        println!("corpus: {structured} of {with_section} timelines structured, {events} events");
        assert!(with_section >= 35, "{with_section}");
        assert!(structured >= 33, "{structured} of {with_section}");
    }

    #[test]
    fn a_local_timeline_across_a_daylight_saving_change_stays_in_order() {
        let copenhagen = SiteZone::parse("Europe/Copenhagen").unwrap();
        let at = |body: &str, started: &str| -> Vec<String> {
            let started = DateTime::parse_from_rfc3339(started).unwrap();
            parse(&section_of(body), started, copenhagen)
                .events
                .iter()
                .map(|e| e.at.to_rfc3339())
                .collect()
        };
        // The clocks go back at 03:00: 02:10 after 02:55 is the second 02:10.
        let autumn = "## Timeline\n\n- 02:40 Errors start\n- 02:55 Paged\n- 02:10 Failed over\n";
        assert_eq!(
            at(autumn, "2024-10-27T02:40:00+02:00"),
            [
                "2024-10-27T02:40:00+02:00",
                "2024-10-27T02:55:00+02:00",
                "2024-10-27T02:10:00+01:00"
            ]
        );
        // The clocks go forward at 02:00: 03:05 is twenty-five minutes after 01:40.
        let spring = "## Timeline\n\n- 01:40 Queue grows\n- 03:05 Consumer restarted\n";
        assert_eq!(
            at(spring, "2024-03-31T01:40:00+01:00"),
            ["2024-03-31T01:40:00+01:00", "2024-03-31T03:05:00+02:00"]
        );
        // Written with an offset, the start keeps it: the entries are in that offset.
        let fixed = at(spring, "2024-03-31T00:40:00Z");
        assert_eq!(fixed[1], "2024-03-31T03:05:00+00:00");
    }
}
