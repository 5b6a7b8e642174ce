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

use std::ops::Range;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::document::Document;
use crate::zone::Zone as SiteZone;

/// The Timeline section as the Markdown pass found it, before any time is read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TimelineSection {
    /// Byte range of the section's heading in the file.
    pub heading_span: Range<usize>,
    /// Paragraphs and table headers of the section, where a zone is often declared
    /// (`All times in CET.`, `| Time (UTC) | Event |`).
    pub notes: Vec<String>,
    /// List items and table rows, in written order.
    pub entries: Vec<WrittenEntry>,
    /// Byte ranges in the body's HTML of the lists and tables holding the entries, so that a
    /// structured timeline can take their place on the page.
    pub html_blocks: Vec<Range<usize>>,
}

/// One list item or table row of a Timeline section, as plain text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenEntry {
    /// A list item has one cell; a table row has one per column.
    pub cells: Vec<String>,
    /// Byte range of the item or row in the file.
    pub span: Range<usize>,
}

/// Collects the Timeline section during the Markdown pass: it sees every event of the body,
/// in order, with its span in the file and the index the event takes in the rendered stream.
#[derive(Debug, Default)]
pub(crate) struct SectionCollector {
    /// Open tags around the current event.
    depth: usize,
    /// Text of the top-level heading being read, and its start.
    heading: Option<(u8, usize, String)>,
    /// The heading level of the open Timeline section.
    level: Option<u8>,
    section: Option<TimelineSection>,
    entry: Option<WrittenEntry>,
    note: Option<String>,
    /// Whether the current table row is the header.
    in_head: bool,
    /// Event index where the current top-level list or table began.
    block_start: Option<usize>,
    /// Event index ranges of the lists and tables holding entries.
    blocks: Vec<Range<usize>>,
}

impl SectionCollector {
    /// Looks at one event; `index` is where it lands in the stream handed to the HTML writer.
    pub(crate) fn observe(
        &mut self,
        event: &pulldown_cmark::Event,
        span: &Range<usize>,
        source: &str,
        level_of: impl Fn(pulldown_cmark::HeadingLevel) -> u8,
        index: usize,
    ) {
        use pulldown_cmark::{Event, Tag, TagEnd};
        // Entries end at their last character, not after the blank lines that follow them.
        let span = &(span.start..span.start + source.trim_end().len());
        match event {
            Event::Start(tag) => {
                let top = self.depth == 0;
                self.depth += 1;
                match tag {
                    Tag::Heading { level, .. } if top => {
                        let level = level_of(*level);
                        if self.level.is_some_and(|open| level <= open) {
                            self.level = None;
                        }
                        self.heading = Some((level, span.start, String::new()));
                    }
                    _ if self.level.is_none() => {}
                    Tag::List(_) | Tag::Table(_) if top => self.block_start = Some(index),
                    Tag::Paragraph if top => self.note = Some(String::new()),
                    Tag::Item if self.depth == 2 && self.block_start.is_some() => {
                        self.entry = Some(WrittenEntry {
                            cells: vec![String::new()],
                            span: span.clone(),
                        });
                    }
                    Tag::TableHead => {
                        self.in_head = true;
                        self.note = Some(String::new());
                    }
                    Tag::TableRow => {
                        self.entry = Some(WrittenEntry {
                            cells: Vec::new(),
                            span: span.clone(),
                        })
                    }
                    Tag::TableCell => {
                        if let Some(entry) = &mut self.entry {
                            entry.cells.push(String::new());
                        } else if let Some(note) = &mut self.note {
                            note.push(' ');
                        }
                    }
                    _ => {}
                }
            }
            Event::End(tag) => {
                self.depth = self.depth.saturating_sub(1);
                let top = self.depth == 0;
                match tag {
                    TagEnd::Heading(_) if top => {
                        if let Some((level, start, text)) = self.heading.take()
                            && self.section.is_none()
                            && text.trim().to_lowercase().starts_with("timeline")
                        {
                            self.level = Some(level);
                            self.section = Some(TimelineSection {
                                heading_span: start..span.end,
                                ..TimelineSection::default()
                            });
                        }
                    }
                    _ if self.level.is_none() => {}
                    TagEnd::List(_) | TagEnd::Table if top => {
                        if let Some(start) = self.block_start.take()
                            && self.section.as_ref().is_some_and(|s| {
                                s.entries.last().is_some_and(|e| e.span.start >= span.start)
                            })
                        {
                            self.blocks.push(start..index + 1);
                        }
                    }
                    TagEnd::Paragraph if top => self.push_note(),
                    TagEnd::TableHead => {
                        self.in_head = false;
                        self.push_note();
                    }
                    TagEnd::Item if self.depth == 1 => self.push_entry(),
                    TagEnd::TableRow => self.push_entry(),
                    _ => {}
                }
            }
            Event::Text(text) | Event::Code(text) => self.push_text(text),
            Event::SoftBreak | Event::HardBreak => self.push_text(" "),
            _ => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        if let Some((_, _, heading)) = &mut self.heading {
            heading.push_str(text);
        } else if let Some(cell) = self.entry.as_mut().and_then(|e| e.cells.last_mut()) {
            cell.push_str(text);
        } else if let Some(note) = &mut self.note {
            note.push_str(text);
        }
    }

    fn push_note(&mut self) {
        if let (Some(note), Some(section)) = (self.note.take(), &mut self.section) {
            section.notes.push(note.trim().to_string());
        }
    }

    fn push_entry(&mut self) {
        if let (Some(mut entry), Some(section)) = (self.entry.take(), &mut self.section) {
            for cell in &mut entry.cells {
                *cell = cell.trim().to_string();
            }
            section.entries.push(entry);
        }
    }

    /// The event index ranges of the blocks holding entries, to locate them in the HTML.
    pub(crate) fn blocks(&self) -> &[Range<usize>] {
        &self.blocks
    }

    /// The section, with `html_blocks` the byte ranges in the HTML of [`Self::blocks`].
    pub(crate) fn finish(self, html_blocks: Vec<Range<usize>>) -> Option<TimelineSection> {
        let mut section = self.section?;
        section.html_blocks = html_blocks;
        Some(section)
    }
}

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

/// A time read from the start of an entry.
#[derive(Debug, PartialEq)]
struct Stamp {
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    zone: Option<Zone>,
    precision: Precision,
    written: String,
}

/// An entry's time and text: a list item's single cell begins with the time; a table row's
/// first cell is the time and the other cells are the text.
fn read_entry(cells: &[String]) -> Option<(Stamp, String)> {
    let first = cells.first()?;
    let (stamp, rest) = read_stamp(first)?;
    if cells.len() == 1 {
        let text = strip_separator(rest);
        return (!text.is_empty()).then(|| (stamp, text.to_string()));
    }
    // A table cell may give a range (`09:00 - 11:00`): the event is at its start.
    let after = strip_separator(rest);
    if !after.is_empty()
        && !read_stamp(after).is_some_and(|(_, end)| end.trim().is_empty())
        && read_placeholder_time(after) != Some("")
    {
        return None;
    }
    let text: Vec<&str> = cells[1..]
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    Some((stamp, text.join(" — ")))
}

/// Reads `[date] [time] [zone]` from the start of `s`; returns it and what follows.
fn read_stamp(s: &str) -> Option<(Stamp, &str)> {
    // `~` marks an approximate time: `~09:30`.
    let trimmed = s.trim_start().trim_start_matches('~');
    let bracketed = trimmed.starts_with('[');
    let start = if bracketed { &trimmed[1..] } else { trimmed };
    let mut rest = start;

    let date = read_date(rest).map(|(date, after)| {
        rest = after;
        date
    });
    let mut precision = Precision::Day;
    let mut time = None;
    if date.is_some() {
        let after_sep = rest
            .strip_prefix('T')
            .or_else(|| rest.strip_prefix(", "))
            .or_else(|| rest.strip_prefix(' '))
            .map(str::trim_start);
        if let Some(after_sep) = after_sep {
            if let Some((t, p, after)) = read_time(after_sep) {
                time = Some(t);
                precision = p;
                rest = after;
            } else if let Some(after) = read_placeholder_time(after_sep) {
                rest = after;
            }
        }
    } else {
        let (t, p, after) = read_time(rest)?;
        time = Some(t);
        precision = p;
        rest = after;
    }
    let zone = read_zone(rest).map(|(zone, after)| {
        rest = after;
        zone
    });
    let written = start[..start.len() - rest.len()].trim().to_string();
    rest = rest.strip_prefix('~').unwrap_or(rest);
    if bracketed {
        rest = rest.trim_start().strip_prefix(']')?;
    }
    // The time must end at a word boundary: `09:29am` was read whole, `12:00x` is not a time.
    if rest.chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    Some((
        Stamp {
            date,
            time,
            zone,
            precision,
            written,
        },
        rest,
    ))
}

/// `2016-09-05` or `2016/09/05`.
fn read_date(s: &str) -> Option<(NaiveDate, &str)> {
    let bytes = s.as_bytes();
    if bytes.len() < 10 {
        return None;
    }
    let sep = bytes[4];
    if !(sep == b'-' || sep == b'/') || bytes[7] != sep {
        return None;
    }
    let year = digits(&s[0..4])?;
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    if bytes.get(10).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some((date, &s[10..]))
}

/// `9:29`, `09:29`, `09:29:30`, `09:29:30.123`, `9:29 pm`.
fn read_time(s: &str) -> Option<(NaiveTime, Precision, &str)> {
    let colon = s.find(':')?;
    if !(1..=2).contains(&colon) {
        return None;
    }
    let mut hour = digits(&s[..colon])?;
    let minute = digits(s.get(colon + 1..colon + 3)?)?;
    let mut rest = &s[colon + 3..];
    let mut second = 0;
    let mut precision = Precision::Minute;
    if let Some(sec) = rest
        .strip_prefix(':')
        .and_then(|r| r.get(..2))
        .and_then(digits)
    {
        second = sec;
        precision = Precision::Second;
        rest = &rest[3..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let len = fraction.len()
                - fraction
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            rest = &fraction[len..];
        }
    }
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let after_space = rest.trim_start();
    for (suffix, add) in [("am", 0), ("pm", 12), ("a.m.", 0), ("p.m.", 12)] {
        if let Some(after) = strip_prefix_ignore_case(after_space, suffix)
            && !after.starts_with(|c: char| c.is_alphanumeric())
        {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = hour % 12 + add;
            rest = after;
            break;
        }
    }
    let time = NaiveTime::from_hms_opt(hour, minute, second)?;
    Some((time, precision, rest))
}

/// A time left to be filled in: `--:--`, `HH:mm`, `??:??`, `xx:xx`.
/// (Smart punctuation has already turned `--` into `–`.)
fn read_placeholder_time(s: &str) -> Option<&str> {
    let len = s.find(char::is_whitespace).unwrap_or(s.len());
    let (h, m) = s[..len].split_once(':')?;
    let is_placeholder = |part: &str, letter: char| {
        (1..=2).contains(&part.chars().count())
            && part.chars().all(|c| {
                matches!(c, '-' | '–' | '—' | '?' | 'x' | 'X') || c.eq_ignore_ascii_case(&letter)
            })
    };
    (is_placeholder(h, 'h') && is_placeholder(m, 'm')).then(|| &s[len..])
}

/// `Z`, `UTC`, `GMT`, a known abbreviation, or an offset, optionally after `UTC`/`GMT`.
fn read_zone(s: &str) -> Option<(Zone, &str)> {
    if let Some(after) = s.strip_prefix('Z')
        && !after.starts_with(|c: char| c.is_alphanumeric())
    {
        return Some((utc(), after));
    }
    let trimmed = s.trim_start();
    if trimmed.starts_with(['+', '-']) {
        return read_offset(trimmed);
    }
    let word_len = trimmed
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(trimmed.len());
    let (word, after) = trimmed.split_at(word_len);
    let zone = named_zone(word)?;
    if zone.offset.local_minus_utc() == 0
        && after.starts_with(['+', '-'])
        && let Some((offset, after_offset)) = read_offset(after)
    {
        return Some((offset, after_offset));
    }
    Some((zone, after))
}

/// `+02:00`, `+0200`, `+2`, `-05`.
fn read_offset(s: &str) -> Option<(Zone, &str)> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let body = &s[1..];
    let len = body.len()
        - body
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == ':')
            .len();
    let written = &body[..len];
    let (hours, minutes) = match written.split_once(':') {
        Some((h, m)) => (digits(h)?, digits(m)?),
        None if written.len() == 4 => (digits(&written[..2])?, digits(&written[2..])?),
        None if (1..=2).contains(&written.len()) => (digits(written)?, 0),
        None => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60) as i32)?;
    Some((
        Zone {
            label: zone_label(offset),
            offset,
        },
        &body[len..],
    ))
}

/// Zone abbreviations timelines use. They are fixed offsets: `CET` is always +01:00, even in
/// summer, because that is what the writer wrote.
const NAMED_ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("WET", 0),
    ("BST", 60),
    ("IST", 330),
    ("CET", 60),
    ("CEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("JST", 540),
    ("KST", 540),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
];

fn named_zone(word: &str) -> Option<Zone> {
    let (label, minutes) = NAMED_ZONES.iter().find(|(label, _)| *label == word)?;
    Some(Zone {
        label: (*label).to_string(),
        offset: FixedOffset::east_opt(minutes * 60)?,
    })
}

fn utc() -> Zone {
    Zone {
        label: "UTC".to_string(),
        offset: FixedOffset::east_opt(0).expect("zero is a valid offset"),
    }
}

fn zone_label(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".to_string()
    } else {
        offset.to_string()
    }
}

/// The zone a note declares: the first zone abbreviation or `UTC±N` among its words.
fn declared_zone(note: &str) -> Option<Zone> {
    note.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | ':')))
        .find_map(|word| {
            let word = word.trim_end_matches(':');
            let (zone, rest) = read_zone(word)?;
            (rest.is_empty() && word.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
                .then_some(zone)
        })
}

/// Drops the separator between a time and its text: `-`, `–`, `—`, `:`, `|`, `,`.
fn strip_separator(s: &str) -> &str {
    let s = s.trim_start();
    let s = s.strip_prefix(['-', '–', '—', ':', '|', ',']).unwrap_or(s);
    s.trim()
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
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

    #[test]
    fn the_html_of_the_entries_is_located_for_replacement() {
        let body = "## Timeline\n\nAll times UTC.\n\n- 09:29 — A[^1]\n\n## After\n\n[^1]: Note.\n";
        let context = Context::for_tests(Path::new("content/postmortems/a.md"));
        let analysed = analyze(body, 0..body.len(), &context);
        let section = analysed.timeline.unwrap();
        assert_eq!(section.html_blocks.len(), 1);
        let block = &analysed.html.get()[section.html_blocks[0].clone()];
        assert!(
            block.starts_with("<ul>") && block.trim_end().ends_with("</ul>"),
            "{block}"
        );
        assert!(!block.contains("All times"));
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
