//! The `/stats/` page and the figures service pages and the home page borrow from it: metric
//! tables, charts, and "this week in incident history".

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::Serialize;

use super::Page;
use super::charts::{self, Bar, Series};
use super::views::{Listed, Views, format_duration};
use crate::archive::DocId;
use crate::metrics::{Distribution, Measure, Summary};

/// One row of a metrics table: a group (a year, service, tag or severity) and its figures.
#[derive(Serialize)]
pub struct SummaryRow {
    pub label: String,
    /// A link to the group's page, when it has one.
    pub url: Option<String>,
    pub count: usize,
    pub total_impact: String,
    pub detect: DistributionView,
    pub mitigate: DistributionView,
    pub resolve: DistributionView,
    pub publish: DistributionView,
}

/// A median and 90th percentile, formatted, with how many incidents they are over.
#[derive(Serialize)]
pub struct DistributionView {
    pub count: usize,
    pub median: String,
    pub p90: String,
}

impl DistributionView {
    fn new(d: &Distribution, days: bool) -> Self {
        let format = |t: Option<TimeDelta>| match t {
            None => "—".to_string(),
            Some(t) if days => format_days(t),
            Some(t) => format_duration(t),
        };
        DistributionView {
            count: d.count,
            median: format(d.median),
            p90: format(d.p90),
        }
    }
}

/// A span in days: `1 day`, `4 days`, `4.5 days`.
pub fn format_days(t: TimeDelta) -> String {
    let days = t.num_hours() as f64 / 24.0;
    if (days - days.round()).abs() < 0.05 {
        let days = days.round() as i64;
        if days == 1 {
            "1 day".into()
        } else {
            format!("{days} days")
        }
    } else {
        format!("{days:.1} days")
    }
}

impl SummaryRow {
    pub fn new(label: impl Into<String>, url: Option<String>, s: &Summary) -> Self {
        SummaryRow {
            label: label.into(),
            url,
            count: s.count,
            total_impact: format_duration(s.total_impact),
            detect: DistributionView::new(s.get(Measure::Detect), false),
            mitigate: DistributionView::new(s.get(Measure::Mitigate), false),
            resolve: DistributionView::new(s.get(Measure::Resolve), false),
            publish: DistributionView::new(s.get(Measure::Publish), true),
        }
    }
}

/// A chart with the table that says the same in numbers.
#[derive(Serialize)]
pub struct ChartView {
    pub svg: String,
    pub caption: String,
    /// Column headings of the data table, then its rows.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct StatsView {
    overall: SummaryRow,
    by_year: Vec<SummaryRow>,
    by_severity: Vec<SummaryRow>,
    by_service: Vec<SummaryRow>,
    by_tag: Vec<SummaryRow>,
    per_month: Option<ChartView>,
    detect: Option<ChartView>,
    resolve: Option<ChartView>,
}

/// The `/stats/` page.
pub fn page<'v>(views: &'v Views) -> Page<'v> {
    let archive = views.archive;
    let metrics = &archive.metrics;
    let mut by_severity: Vec<SummaryRow> = Vec::new();
    for id in severity_order(views) {
        if let Some(group) = metrics.severities.get(&id) {
            by_severity.push(SummaryRow::new(views.severity(&id).label, None, &group.all));
        }
    }
    let mut by_service: Vec<(&String, &crate::metrics::GroupMetrics)> = metrics
        .services
        .iter()
        .filter(|(_, g)| g.all.count > 0)
        .collect();
    by_service.sort_by(|a, b| b.1.all.count.cmp(&a.1.all.count).then(a.0.cmp(b.0)));
    let mut by_tag: Vec<(&String, &crate::metrics::GroupMetrics)> = metrics
        .tags
        .iter()
        .filter(|(_, g)| g.all.count > 0)
        .collect();
    by_tag.sort_by(|a, b| b.1.all.count.cmp(&a.1.all.count).then(a.0.cmp(b.0)));

    let times = |m: Measure| {
        archive
            .postmortems
            .iter()
            .filter_map(|&id| archive.metrics.incidents[id].and_then(|i| i.get(m)))
            .collect::<Vec<_>>()
    };
    let view = StatsView {
        overall: SummaryRow::new("All years", None, &metrics.archive.all),
        by_year: metrics
            .archive
            .by_year
            .iter()
            .rev()
            .map(|(year, s)| SummaryRow::new(year.to_string(), None, s))
            .collect(),
        by_severity,
        by_service: by_service
            .into_iter()
            .map(|(id, g)| {
                let link = views.service_link(id);
                SummaryRow::new(link.name, Some(link.url), &g.all)
            })
            .collect(),
        by_tag: by_tag
            .into_iter()
            .map(|(tag, g)| {
                let link = views.tag_link(tag);
                SummaryRow::new(link.name, Some(link.url), &g.all)
            })
            .collect(),
        per_month: incidents_over_time(views, &archive.postmortems, Period::Month, "per-month"),
        detect: distribution_chart(
            "detect",
            "Time to detect",
            &times(Measure::Detect),
            &metrics.archive.all.time_to_detect,
        ),
        resolve: distribution_chart(
            "resolve",
            "Time to resolve",
            &times(Measure::Resolve),
            &metrics.archive.all.time_to_resolve,
        ),
    };
    Page::new("/stats/", "stats.html", view)
}

/// Severity ids in the scale's order, then any used but missing from the scale.
pub(super) fn severity_order(views: &Views) -> Vec<String> {
    let archive = views.archive;
    let mut ids: Vec<String> = archive
        .config
        .severities
        .iter()
        .map(|s| s.id.clone())
        .collect();
    for id in archive.severities.keys() {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

/// The width of the bars of an incidents-over-time chart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Quarter,
}

/// Incidents per period, stacked by severity, from the archive's first incident to its last
/// (the same span on every page, so service charts compare).
pub fn incidents_over_time(
    views: &Views,
    ids: &[DocId],
    period: Period,
    id: &str,
) -> Option<ChartView> {
    let archive = views.archive;
    let started = |doc: DocId| {
        archive.documents[doc]
            .postmortem()
            .map(|p| archive.zone.local(&p.incident.started.0).date_naive())
    };
    let (first, last) = views.incident_span()?;
    if ids.is_empty() {
        return None;
    }
    let severities = severity_order(views);
    let series: Vec<Series> = severities
        .iter()
        .map(|s| {
            let severity = views.severity(s);
            Series {
                name: severity.label,
                class: format!("sev-fill-{}", severity.rank.min(5)),
            }
        })
        .collect();
    let key = |date: NaiveDate| match period {
        Period::Month => (date.year(), date.month()),
        Period::Quarter => (date.year(), (date.month() - 1) / 3 + 1),
    };
    let mut periods: Vec<(i32, u32)> = charts::months(first, last)
        .into_iter()
        .map(|(y, m)| key(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first)))
        .collect();
    periods.dedup();
    let mut counts: BTreeMap<(i32, u32), Vec<usize>> = periods
        .iter()
        .map(|p| (*p, vec![0; series.len()]))
        .collect();
    for &doc in ids {
        let (Some(date), Some(p)) = (started(doc), archive.documents[doc].postmortem()) else {
            continue;
        };
        let severity = severities
            .iter()
            .position(|s| *s == p.severity)
            .unwrap_or(0);
        if let Some(row) = counts.get_mut(&key(date)) {
            row[severity] += 1;
        }
    }
    let label = |(y, n): (i32, u32)| match period {
        Period::Month => format!("{y}-{n:02}"),
        Period::Quarter => format!("{y} Q{n}"),
    };
    let bars: Vec<Bar> = periods
        .iter()
        .enumerate()
        .map(|(i, &p)| Bar {
            label: label(p),
            tick: (i == 0 || p.1 == 1).then(|| p.0.to_string()),
            counts: counts[&p].clone(),
        })
        .collect();
    let title = match period {
        Period::Month => "Incidents per month, by severity",
        Period::Quarter => "Incidents per quarter, by severity",
    };
    let svg = charts::stacked_bars(id, title, &series, &bars);
    let mut columns = vec![match period {
        Period::Month => "Month".to_string(),
        Period::Quarter => "Quarter".to_string(),
    }];
    columns.extend(series.iter().map(|s| s.name.clone()));
    columns.push("Total".into());
    // The table lists the periods that had incidents; the chart shows the quiet ones too.
    let rows = bars
        .iter()
        .filter(|b| b.total() > 0)
        .map(|b| {
            let mut row = vec![b.label.clone()];
            row.extend(b.counts.iter().map(usize::to_string));
            row.push(b.total().to_string());
            row
        })
        .collect();
    Some(ChartView {
        svg,
        caption: title.to_string(),
        columns,
        rows,
    })
}

fn distribution_chart(
    id: &str,
    name: &str,
    values: &[TimeDelta],
    d: &Distribution,
) -> Option<ChartView> {
    if values.is_empty() {
        return None;
    }
    let counts = charts::bucket_counts(values.iter().copied());
    let format = |t: Option<TimeDelta>| t.map(format_duration).unwrap_or_default();
    let summary = format!(
        "{} incidents give this time: median {}, 90th percentile {}.",
        d.count,
        format(d.median),
        format(d.p90)
    );
    let title = format!("{name}: how many incidents took how long");
    Some(ChartView {
        svg: charts::distribution(id, &title, &counts, &summary),
        caption: format!("{name}. {summary}"),
        columns: vec![name.to_string(), "Incidents".to_string()],
        rows: charts::BUCKETS
            .iter()
            .zip(&counts)
            .map(|((_, label), count)| vec![(*label).to_string(), count.to_string()])
            .collect(),
    })
}

/// What a service page adds: its figures, its incidents over time and its open action items.
#[derive(Serialize)]
pub struct ServiceInsights {
    /// All years, then each year, newest first; empty without incidents.
    pub summary: Vec<SummaryRow>,
    pub chart: Option<ChartView>,
    pub open_actions: Vec<super::actions::ActionRow>,
}

pub fn service_insights(views: &Views, id: &str) -> ServiceInsights {
    let archive = views.archive;
    let listing = archive.services.get(id);
    let ids = listing.map_or(&[][..], |l| &l.postmortems[..]);
    ServiceInsights {
        summary: archive
            .metrics
            .services
            .get(id)
            .filter(|g| g.all.count > 0)
            .map(|g| {
                let mut rows = vec![SummaryRow::new("All years", None, &g.all)];
                rows.extend(
                    g.by_year
                        .iter()
                        .rev()
                        .map(|(year, s)| SummaryRow::new(year.to_string(), None, s)),
                );
                rows
            })
            .unwrap_or_default(),
        chart: incidents_over_time(views, ids, Period::Quarter, "service-incidents"),
        open_actions: super::actions::open_rows(views, ids),
    }
}

/// Postmortems of incidents in the same ISO week as `today`, in earlier years, newest first.
pub fn this_week_in_history<'a>(views: &'a Views, today: NaiveDate) -> Vec<Listed<'a>> {
    let archive = views.archive;
    let week = today.iso_week();
    let mut ids: Vec<DocId> = archive
        .years
        .range(..=today.year())
        .flat_map(|(_, ids)| ids.iter().copied())
        .filter(|&id| {
            archive.documents[id].postmortem().is_some_and(|p| {
                let started = archive.zone.local(&p.incident.started.0).date_naive();
                let w = started.iso_week();
                w.week() == week.week() && w.year() < week.year()
            })
        })
        .collect();
    ids.sort_unstable();
    views.listed(&ids)
}
