//! Incident metrics, computed in the link phase: per postmortem (duration, time to detect,
//! mitigate, resolve and publish) and per group (service, tag, severity, the whole archive),
//! each overall and by year of the incident.
//!
//! Groups report the median and the 90th percentile, never the mean: one three-day outage
//! would drag a mean far from what a typical incident looks like. A time a postmortem does not
//! give is left out of that figure rather than guessed, so every figure carries its own count.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeDelta};
use rayon::prelude::*;
use serde::Serialize;

use crate::archive::{Archive, DocId};
use crate::document::Postmortem;
use crate::zone::Zone;

/// The times of one incident, each absent when a time it needs is absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IncidentMetrics {
    /// Started to resolved: how long customers felt it.
    #[serde(serialize_with = "seconds")]
    pub duration: Option<TimeDelta>,
    /// Started to detected.
    #[serde(serialize_with = "seconds")]
    pub time_to_detect: Option<TimeDelta>,
    /// Started to mitigated.
    #[serde(serialize_with = "seconds")]
    pub time_to_mitigate: Option<TimeDelta>,
    /// Started to resolved (the same span as `duration`, named as responders name it).
    #[serde(serialize_with = "seconds")]
    pub time_to_resolve: Option<TimeDelta>,
    /// Resolved to the publication date, in whole days (in the site's zone).
    #[serde(serialize_with = "seconds")]
    pub time_to_publish: Option<TimeDelta>,
}

/// Which of the times a distribution is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Detect,
    Mitigate,
    Resolve,
    Publish,
}

impl IncidentMetrics {
    /// The metrics of one postmortem; `zone` is the site's, in which the publication
    /// date is a calendar day.
    pub fn of(postmortem: &Postmortem, zone: Zone) -> Self {
        let incident = &postmortem.incident;
        let since_start = |t: Option<crate::document::Timestamp>| {
            t.map(|t| t.0 - incident.started.0)
                .filter(|d| *d >= TimeDelta::zero())
        };
        let publish = incident.resolved.and_then(|resolved| {
            let resolved_day = zone.local(&resolved.0).date_naive();
            let days = (postmortem.date.0 - resolved_day).num_days();
            (days >= 0).then(|| TimeDelta::days(days))
        });
        IncidentMetrics {
            duration: since_start(incident.resolved),
            time_to_detect: since_start(incident.detected),
            time_to_mitigate: since_start(incident.mitigated),
            time_to_resolve: since_start(incident.resolved),
            time_to_publish: publish,
        }
    }

    pub fn get(&self, measure: Measure) -> Option<TimeDelta> {
        match measure {
            Measure::Detect => self.time_to_detect,
            Measure::Mitigate => self.time_to_mitigate,
            Measure::Resolve => self.time_to_resolve,
            Measure::Publish => self.time_to_publish,
        }
    }
}

/// The median and 90th percentile of one time across a group, over the incidents that give it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Distribution {
    /// How many incidents of the group give this time.
    pub count: usize,
    #[serde(serialize_with = "seconds")]
    pub median: Option<TimeDelta>,
    #[serde(serialize_with = "seconds")]
    pub p90: Option<TimeDelta>,
}

impl Distribution {
    /// From the values present (in any order).
    pub fn of(mut values: Vec<TimeDelta>) -> Self {
        values.sort_unstable();
        Distribution {
            count: values.len(),
            median: percentile(&values, 50),
            p90: percentile(&values, 90),
        }
    }
}

/// The `p`th percentile of sorted values by linear interpolation between the closest ranks
/// (the method of numpy's default and of spreadsheets' PERCENTILE), rounded to the second.
/// The median of an even count is the mean of the middle two.
pub fn percentile(sorted: &[TimeDelta], p: u32) -> Option<TimeDelta> {
    let last = sorted.len().checked_sub(1)?;
    // rank = p/100 × last, split into whole and fraction in exact integer arithmetic.
    let scaled = u64::from(p) * last as u64;
    let (low, remainder) = ((scaled / 100) as usize, (scaled % 100) as i64);
    let lower = sorted[low];
    let Some(&upper) = sorted.get(low + 1) else {
        return Some(lower);
    };
    let lower_ms = lower.num_milliseconds();
    let upper_ms = upper.num_milliseconds();
    let ms = lower_ms + (upper_ms - lower_ms) * remainder / 100;
    // Round to whole seconds: sub-second precision is noise for incident times.
    Some(TimeDelta::seconds((ms + 500).div_euclid(1000)))
}

/// What a group of incidents adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Incidents in the group.
    pub count: usize,
    /// The sum of the durations that are known.
    #[serde(serialize_with = "seconds_required")]
    pub total_impact: TimeDelta,
    pub time_to_detect: Distribution,
    pub time_to_mitigate: Distribution,
    pub time_to_resolve: Distribution,
    pub time_to_publish: Distribution,
}

impl Summary {
    fn of<'a>(incidents: impl Iterator<Item = &'a IncidentMetrics> + Clone) -> Self {
        let values = |m: Measure| incidents.clone().filter_map(|i| i.get(m)).collect();
        Summary {
            count: incidents.clone().count(),
            total_impact: incidents
                .clone()
                .filter_map(|i| i.duration)
                .fold(TimeDelta::zero(), |a, b| a + b),
            time_to_detect: Distribution::of(values(Measure::Detect)),
            time_to_mitigate: Distribution::of(values(Measure::Mitigate)),
            time_to_resolve: Distribution::of(values(Measure::Resolve)),
            time_to_publish: Distribution::of(values(Measure::Publish)),
        }
    }

    pub fn get(&self, measure: Measure) -> &Distribution {
        match measure {
            Measure::Detect => &self.time_to_detect,
            Measure::Mitigate => &self.time_to_mitigate,
            Measure::Resolve => &self.time_to_resolve,
            Measure::Publish => &self.time_to_publish,
        }
    }
}

/// A group's summary over all years and for each year of the incidents' start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupMetrics {
    pub all: Summary,
    pub by_year: BTreeMap<i32, Summary>,
}

impl GroupMetrics {
    fn of(archive: &Archive, incidents: &[Option<IncidentMetrics>], ids: &[DocId]) -> Self {
        let metrics_of = |id: &DocId| incidents[*id].as_ref();
        let mut years: BTreeMap<i32, Vec<DocId>> = BTreeMap::new();
        for &id in ids {
            if let Some(p) = archive.documents[id].postmortem() {
                let year = archive.zone.local(&p.incident.started.0).year();
                years.entry(year).or_default().push(id);
            }
        }
        GroupMetrics {
            all: Summary::of(ids.iter().filter_map(metrics_of)),
            by_year: years
                .into_iter()
                .map(|(year, ids)| (year, Summary::of(ids.iter().filter_map(metrics_of))))
                .collect(),
        }
    }
}

/// Every figure of the archive.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    /// Per document id; `None` for premortems.
    #[serde(skip)]
    pub incidents: Vec<Option<IncidentMetrics>>,
    pub archive: GroupMetrics,
    pub services: BTreeMap<String, GroupMetrics>,
    pub tags: BTreeMap<String, GroupMetrics>,
    pub severities: BTreeMap<String, GroupMetrics>,
}

/// Computes the metrics of a linked archive (its documents and indexes in place).
pub fn compute(archive: &Archive) -> Metrics {
    let incidents: Vec<Option<IncidentMetrics>> = archive
        .documents
        .par_iter()
        .map(|d| d.postmortem().map(|p| IncidentMetrics::of(p, archive.zone)))
        .collect();
    let group = |ids: &[DocId]| GroupMetrics::of(archive, &incidents, ids);
    let whole = group(&archive.postmortems);
    let services = archive
        .services
        .par_iter()
        .map(|(id, l)| (id.clone(), group(&l.postmortems)))
        .collect();
    let tags = archive
        .tags
        .par_iter()
        .map(|(id, l)| (id.clone(), group(&l.postmortems)))
        .collect();
    let severities = archive
        .severities
        .par_iter()
        .map(|(id, ids)| (id.clone(), group(ids)))
        .collect();
    Metrics {
        incidents,
        archive: whole,
        services,
        tags,
        severities,
    }
}

fn seconds<S: serde::Serializer>(d: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.num_seconds()),
        None => s.serialize_none(),
    }
}

fn seconds_required<S: serde::Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_seconds())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(values: &[i64]) -> Vec<TimeDelta> {
        values.iter().map(|m| TimeDelta::minutes(*m)).collect()
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let d = Distribution::of(minutes(&[40, 10, 30, 20]));
        assert_eq!(d.median, Some(TimeDelta::minutes(25)));
        assert_eq!(d.count, 4);
    }

    #[test]
    fn the_90th_percentile_interpolates_between_ranks() {
        // Ranks 0..=9 hold 1..=10 min; p90 sits at rank 8.1: 9 min + 0.1 × 1 min = 9 min 6 s.
        let d = Distribution::of(minutes(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
        assert_eq!(d.median, Some(TimeDelta::seconds(330)));
        assert_eq!(d.p90, Some(TimeDelta::seconds(546)));
    }

    #[test]
    fn one_long_outage_does_not_move_the_median() {
        let d = Distribution::of(minutes(&[10, 12, 14, 3 * 24 * 60]));
        assert_eq!(d.median, Some(TimeDelta::minutes(13)));
        let single = Distribution::of(minutes(&[7]));
        assert_eq!(
            (single.median, single.p90),
            (Some(TimeDelta::minutes(7)), Some(TimeDelta::minutes(7)))
        );
        let empty = Distribution::of(Vec::new());
        assert_eq!((empty.count, empty.median, empty.p90), (0, None, None));
    }
}
