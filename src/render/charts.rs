//! Charts as inline SVG, drawn at build time: no JavaScript, no fonts or colours of their own.
//!
//! Every colour is a CSS class the theme's stylesheet maps to its variables (the severity
//! colours, `currentColor` for text and axes), so charts follow the page into dark mode. Each
//! chart carries a `<title>` and `<desc>` for screen readers, and the page shows the numbers
//! as a table beside it. docs/charts.md says why this is hand-written rather than plotters.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::Serialize;

use crate::markdown::escape;

/// One bar of a stacked bar chart: a label and a count per series (severity), in order.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub label: String,
    /// The label under the axis, for the bars that get one.
    pub tick: Option<String>,
    pub counts: Vec<usize>,
}

impl Bar {
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }
}

/// A series: its name in the legend and the CSS class that colours it.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub class: String,
}

/// The width and height of the drawing, in SVG units; the SVG scales to its container.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 28.0;

/// Calendar months from `first` to `last` inclusive, as (year, month).
pub fn months(first: NaiveDate, last: NaiveDate) -> Vec<(i32, u32)> {
    let mut months = Vec::new();
    let (mut year, mut month) = (first.year(), first.month());
    while (year, month) <= (last.year(), last.month()) {
        months.push((year, month));
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    months
}

/// A stacked bar chart of counts over time: one bar per period, one colour per series.
/// `id` makes the title's id unique on the page.
pub fn stacked_bars(id: &str, title: &str, series: &[Series], bars: &[Bar]) -> String {
    let max = bars.iter().map(Bar::total).max().unwrap_or(0).max(1);
    let step = nice_step(max);
    let top_value = max.div_ceil(step) * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / bars.len().max(1) as f64;
    let bar_w = (slot * 0.8).max(1.0);
    let total: usize = bars.iter().map(Bar::total).sum();
    let desc = format!(
        "{total} incidents over {} periods, from {} to {}; the busiest period had {max}.",
        bars.len(),
        bars.first().map_or("", |b| b.label.as_str()),
        bars.last().map_or("", |b| b.label.as_str()),
    );
    let mut svg = open_svg(id, title, &desc);
    legend(&mut svg, series);
    // Horizontal grid lines with their values.
    let mut value = 0;
    while value <= top_value {
        let y = TOP + plot_h - plot_h * value as f64 / top_value as f64;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{value}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        value += step;
    }
    let x_of = |i: usize| LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
    let ticks = spaced_ticks(bars.iter().map(|b| b.tick.as_deref()).enumerate(), x_of);
    for (i, bar) in bars.iter().enumerate() {
        let x = x_of(i);
        let mut y = TOP + plot_h;
        let _ = write!(
            svg,
            "<g><title>{}: {}</title>",
            escape(&bar.label),
            bar.total()
        );
        for (count, s) in bar.counts.iter().zip(series) {
            if *count == 0 {
                continue;
            }
            let h = plot_h * *count as f64 / top_value as f64;
            y -= h;
            let _ = write!(
                svg,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\"/>",
                escape(&s.class)
            );
        }
        svg.push_str("</g>");
        if let Some(tick) = bar.tick.as_deref().filter(|_| ticks[i]) {
            let _ = write!(
                svg,
                "<line class=\"baseline\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{x:.1}\" y=\"{}\">{}</text>",
                TOP + plot_h,
                TOP + plot_h + 5.0,
                HEIGHT - 8.0,
                escape(tick)
            );
        }
    }
    let _ = write!(
        svg,
        "<line class=\"baseline\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/></svg>",
        WIDTH - RIGHT,
        TOP + plot_h,
        TOP + plot_h
    );
    svg
}

/// The buckets of the time distributions: short times finely, long ones coarsely.
pub const BUCKETS: &[(i64, &str)] = &[
    (5, "under 5 min"),
    (15, "5–15 min"),
    (30, "15–30 min"),
    (60, "30–60 min"),
    (120, "1–2 h"),
    (240, "2–4 h"),
    (480, "4–8 h"),
    (1440, "8–24 h"),
    (4320, "1–3 days"),
    (i64::MAX, "over 3 days"),
];

/// How many of `values` fall in each of [`BUCKETS`].
pub fn bucket_counts(values: impl Iterator<Item = TimeDelta>) -> Vec<usize> {
    let mut counts = vec![0; BUCKETS.len()];
    for value in values {
        let minutes = value.num_minutes();
        let i = BUCKETS
            .iter()
            .position(|(limit, _)| minutes < *limit)
            .unwrap_or(BUCKETS.len() - 1);
        counts[i] += 1;
    }
    counts
}

/// A horizontal bar chart of how many incidents fall in each time bucket.
pub fn distribution(id: &str, title: &str, counts: &[usize], summary: &str) -> String {
    // Narrower than the time charts: two of these sit side by side at about this size, so
    // their text stays the size of the page's small print.
    let width = 380.0;
    let label_w = 84.0;
    let row_h = 20.0;
    let height = 8.0 + row_h * BUCKETS.len() as f64;
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let plot_w = width - label_w - 36.0;
    let mut svg = open_svg_sized(id, title, summary, width, height);
    for (i, ((_, label), count)) in BUCKETS.iter().zip(counts).enumerate() {
        let y = 4.0 + row_h * i as f64;
        let w = plot_w * *count as f64 / max as f64;
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text><rect class=\"bar\" x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/><text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{count}</text>",
            label_w - 8.0,
            y + 14.0,
            y + 3.0,
            row_h - 6.0,
            label_w + w + 6.0,
            y + 14.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The room a tick label needs before the next one: a year in 11-unit text, and a gap.
const TICK_ROOM: f64 = 36.0;

/// Which bars' tick labels to draw: every one that leaves [`TICK_ROOM`] before the next
/// drawn label, so that labels never overlap. Later labels win: the first bar's label (a
/// year begun part way through) gives way to the next January's.
fn spaced_ticks<'t>(
    ticks: impl DoubleEndedIterator<Item = (usize, Option<&'t str>)> + ExactSizeIterator,
    x_of: impl Fn(usize) -> f64,
) -> Vec<bool> {
    let mut shown = vec![false; ticks.len()];
    let mut next_x = f64::INFINITY;
    for (i, tick) in ticks.rev() {
        if tick.is_some() && next_x - x_of(i) >= TICK_ROOM {
            shown[i] = true;
            next_x = x_of(i);
        }
    }
    shown
}

fn open_svg(id: &str, title: &str, desc: &str) -> String {
    open_svg_sized(id, title, desc, WIDTH, HEIGHT)
}

/// Opens a chart drawn `width` units wide. The stylesheet never shows a drawing narrower
/// than its `viewBox`, so 11-unit text stays 11 pixels or more on a phone (the chart
/// scrolls sideways in its box instead).
fn open_svg_sized(id: &str, title: &str, desc: &str, width: f64, height: f64) -> String {
    let id = escape(id);
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(desc)
    )
}

fn legend(svg: &mut String, series: &[Series]) {
    let mut x = LEFT;
    for s in series {
        let _ = write!(
            svg,
            "<rect class=\"{}\" x=\"{x:.1}\" y=\"6\" width=\"12\" height=\"12\"/><text class=\"axis\" x=\"{:.1}\" y=\"16\">{}</text>",
            escape(&s.class),
            x + 16.0,
            escape(&s.name)
        );
        x += 24.0 + 7.0 * s.name.chars().count() as f64;
    }
}

/// A step for grid lines giving four or five lines up to `max`: 1, 2, 5, 10, 20, 50…
fn nice_step(max: usize) -> usize {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if max.div_ceil(step * factor) <= 5 {
                return step * factor;
            }
        }
        step *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_steps_are_round_numbers() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(4), 1);
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(23), 5);
        assert_eq!(nice_step(480), 100);
    }

    #[test]
    fn months_span_year_ends() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 15).unwrap();
        assert_eq!(
            months(d(2022, 11), d(2023, 2)),
            [(2022, 11), (2022, 12), (2023, 1), (2023, 2)]
        );
    }

    #[test]
    fn times_fall_in_their_buckets() {
        let counts = bucket_counts([4, 5, 59, 60, 100_000].into_iter().map(TimeDelta::minutes));
        assert_eq!(counts, [1, 1, 0, 1, 1, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn a_chart_has_a_title_a_description_and_no_colours_of_its_own() {
        let series = vec![Series {
            name: "SEV-1 <".into(),
            class: "s1".into(),
        }];
        let bars = vec![Bar {
            label: "2024-01".into(),
            tick: Some("2024".into()),
            counts: vec![3],
        }];
        let svg = stacked_bars("c", "Incidents & more", &series, &bars);
        assert!(svg.contains("<title id=\"c-title\">Incidents &amp; more</title>"));
        assert!(svg.contains("<desc id=\"c-desc\">3 incidents"));
        assert!(svg.contains("SEV-1 &lt;"));
        assert!(!svg.contains("fill=") && !svg.contains("style="), "{svg}");
    }

    #[test]
    fn year_labels_of_neighbouring_bars_do_not_overlap() {
        // A chart starting in December: "2019" on its first bar, "2020" on the next.
        let bars: Vec<Bar> = months(
            NaiveDate::from_ymd_opt(2019, 12, 1).unwrap(),
            NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
        )
        .into_iter()
        .enumerate()
        .map(|(i, (y, m))| Bar {
            label: format!("{y}-{m:02}"),
            tick: (i == 0 || m == 1).then(|| y.to_string()),
            counts: vec![1],
        })
        .collect();
        let series = [Series {
            name: "All".into(),
            class: "bar".into(),
        }];
        let svg = stacked_bars("c", "t", &series, &bars);
        let label_xs: Vec<(f64, String)> = svg
            .split("<text class=\"axis\" x=\"")
            .skip(1)
            .filter_map(|rest| {
                let (x, rest) = rest.split_once('"')?;
                let text = rest.split_once('>')?.1.split_once('<')?.0;
                let is_year = text.len() == 4 && text.starts_with("20");
                is_year.then(|| Some((x.parse().ok()?, text.to_string())))?
            })
            .collect();
        let years: Vec<&str> = label_xs.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(years, ["2020", "2021", "2022"], "{svg}");
        for pair in label_xs.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= TICK_ROOM, "{pair:?}");
        }
    }
}
