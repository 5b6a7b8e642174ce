//! The zone an archive shows its times in: `UTC`, a fixed offset, or an IANA zone such as
//! `Europe/Copenhagen`, whose offset changes with daylight saving time.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};

/// A configured time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// `UTC` or an offset such as `+02:00`: the same offset all year.
    Fixed(FixedOffset),
    /// An IANA zone: the offset of each instant is the one in force there at that instant.
    Named(chrono_tz::Tz),
}

impl Default for Zone {
    fn default() -> Self {
        Zone::Fixed(FixedOffset::east_opt(0).expect("zero is a valid offset"))
    }
}

impl Zone {
    /// Reads `UTC`, `Z`, `GMT`, a fixed offset such as `+02:00`, or an IANA name.
    pub fn parse(zone: &str) -> Option<Zone> {
        parse_offset(zone)
            .map(Zone::Fixed)
            .or_else(|| chrono_tz::Tz::from_str(zone.trim()).ok().map(Zone::Named))
    }

    /// The offset from UTC in force in this zone at `instant`.
    pub fn offset_at(self, instant: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Fixed(offset) => offset,
            Zone::Named(tz) => tz.offset_from_utc_datetime(&instant.naive_utc()).fix(),
        }
    }

    /// `instant` as the clocks of this zone showed it.
    pub fn local<Tz: TimeZone>(self, instant: &DateTime<Tz>) -> DateTime<FixedOffset> {
        let utc = instant.with_timezone(&Utc);
        utc.with_timezone(&self.offset_at(utc))
    }

    /// The instant a clock of this zone showed `local`; `None` when the clocks jumped over
    /// it. When they went back over it, it was shown twice: the first time, unless that is
    /// before `not_before` (the entry before it in a timeline).
    pub fn instant_of(
        self,
        local: NaiveDateTime,
        not_before: Option<DateTime<FixedOffset>>,
    ) -> Option<DateTime<FixedOffset>> {
        use chrono::LocalResult;
        match self {
            Zone::Fixed(offset) => local.and_local_timezone(offset).single(),
            Zone::Named(tz) => match local.and_local_timezone(tz) {
                LocalResult::Single(t) => Some(t.fixed_offset()),
                LocalResult::Ambiguous(first, second) => {
                    let (first, second) = (first.fixed_offset(), second.fixed_offset());
                    Some(match not_before {
                        Some(earlier) if first < earlier => second,
                        _ => first,
                    })
                }
                LocalResult::None => None,
            },
        }
    }

    /// The zone's name as configured (`Europe/Copenhagen`) or its offset (`+02:00`).
    pub fn name(self) -> String {
        match self {
            Zone::Fixed(offset) => offset.to_string(),
            Zone::Named(tz) => tz.name().to_string(),
        }
    }
}

/// `UTC`, `Z` or a fixed offset such as `+02:00`.
pub fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let zone = zone.trim();
    if zone.eq_ignore_ascii_case("utc") || zone == "Z" || zone.eq_ignore_ascii_case("gmt") {
        return FixedOffset::east_opt(0);
    }
    let sign = match zone.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (hours, minutes) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
    let seconds = hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copenhagen_changes_its_offset_with_daylight_saving() {
        let zone = Zone::parse("Europe/Copenhagen").expect("an IANA zone");
        let winter = "2024-01-15T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let summer = "2024-07-15T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(zone.offset_at(winter).local_minus_utc(), 3600);
        assert_eq!(zone.offset_at(summer).local_minus_utc(), 7200);
    }

    #[test]
    fn a_local_time_the_clocks_skipped_has_no_instant() {
        let zone = Zone::parse("Europe/Copenhagen").expect("an IANA zone");
        // 2024-03-31: the clocks went from 02:00 to 03:00.
        let skipped = "2024-03-31T02:30:00".parse::<NaiveDateTime>().unwrap();
        assert_eq!(zone.instant_of(skipped, None), None);
        let after = "2024-03-31T03:30:00".parse::<NaiveDateTime>().unwrap();
        assert_eq!(
            zone.instant_of(after, None).unwrap().to_rfc3339(),
            "2024-03-31T03:30:00+02:00"
        );
    }

    #[test]
    fn a_local_time_shown_twice_is_the_first_unless_that_goes_back() {
        let zone = Zone::parse("Europe/Copenhagen").expect("an IANA zone");
        // 2024-10-27: the clocks went from 03:00 back to 02:00.
        let twice = "2024-10-27T02:10:00".parse::<NaiveDateTime>().unwrap();
        let first = zone.instant_of(twice, None).unwrap();
        assert_eq!(first.to_rfc3339(), "2024-10-27T02:10:00+02:00");
        let later = DateTime::parse_from_rfc3339("2024-10-27T02:55:00+02:00").unwrap();
        let second = zone.instant_of(twice, Some(later)).unwrap();
        assert_eq!(second.to_rfc3339(), "2024-10-27T02:10:00+01:00");
    }

    #[test]
    fn fixed_offsets_and_utc_still_read() {
        assert_eq!(
            Zone::parse("+02:00"),
            Some(Zone::Fixed(FixedOffset::east_opt(7200).unwrap()))
        );
        assert_eq!(Zone::parse("UTC"), Some(Zone::default()));
        assert_eq!(Zone::parse("Europe/Copenhagn"), None);
    }
}
