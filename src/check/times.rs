//! Rules about when things happened: incident times in order, nothing in the future, and
//! publication soon after the incident was resolved.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::config::Config;
use crate::diagnostic::Code;
use crate::document::PostmortemStatus;

use super::Found;

/// The widest offset from UTC in use (UTC+14, Kiribati): a date is in the future only once it
/// is after today everywhere, so a writer east of Greenwich is never told their today is
/// tomorrow.
const WIDEST_OFFSET_HOURS: i64 = 14;

pub(super) fn check(found: &mut Found, config: &Config, now: DateTime<Utc>) {
    let latest_today = (now + Duration::hours(WIDEST_OFFSET_HOURS)).date_naive();
    let date = found.document.date();
    if date > latest_today {
        found
            .at_key(
                Code::InTheFuture,
                &["date"],
                format!("the publication date {date} is in the future"),
            )
            .hint = Some("give the date the document is published, today at the latest".into());
    }

    let Some(postmortem) = found.document.postmortem() else {
        return;
    };
    let marks = postmortem.incident.marks();
    for (name, time) in &marks {
        if time.0 > now {
            found
                .at_key(
                    Code::InTheFuture,
                    &["incident", name],
                    format!("the incident's `{name}` time {} is in the future", time.0),
                )
                .hint = Some(
                "check the date and the offset: `Z` means UTC, `+02:00` two hours east of it"
                    .into(),
            );
        }
    }
    // Each time against the latest one before it, so one wrong time is reported once.
    let mut latest: Option<(&str, DateTime<_>)> = None;
    for (name, time) in &marks {
        match latest {
            Some((earlier_name, earlier)) if time.0 < earlier => {
                found
                    .at_key(
                        Code::TimesOutOfOrder,
                        &["incident", name],
                        format!(
                            "the incident was {name} ({}) before it was {earlier_name} ({earlier})",
                            time.0
                        ),
                    )
                    .hint = Some(
                    "the times must not decrease: started <= detected <= mitigated <= resolved"
                        .into(),
                );
            }
            _ => latest = Some((name, time.0)),
        }
    }

    if postmortem.status == PostmortemStatus::Published
        && let Some(resolved) = postmortem.incident.resolved
    {
        let days = days_between(resolved.0.date_naive(), date);
        let allowed = config.check.publish_within_days;
        if days > allowed {
            found
                .at_key(
                    Code::PublishedLate,
                    &["date"],
                    format!(
                        "published {days} days after the incident was resolved, more than the {allowed} allowed"
                    ),
                )
                .hint = Some(format!(
                "publish within {allowed} days of resolution, while what happened is fresh; the limit is `[check] publish_within_days` in hindsight.toml"
            ));
        }
    }
}

fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}
