//! The time every command measures "now" from.
//!
//! `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention) when it is
//! set, so that a build, a check and a preview made on another day say the same thing;
//! otherwise the system clock. Read once by each command's driver and passed down.

use chrono::{DateTime, Utc};

/// `SOURCE_DATE_EPOCH` as an instant, or the clock's time when it is unset or unreadable.
pub fn now() -> DateTime<Utc> {
    source_date_epoch().unwrap_or_else(Utc::now)
}

/// `SOURCE_DATE_EPOCH`, when it is set to a number of seconds.
pub fn source_date_epoch() -> Option<DateTime<Utc>> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
}
