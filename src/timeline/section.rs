//! The Timeline section as the Markdown pass meets it: its entries and notes as written, and
//! where its lists and tables land in the body's HTML.

use std::ops::Range;

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::markdown::{Context, analyze};

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
}
