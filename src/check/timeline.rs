//! Rules about the Timeline section, as [`crate::timeline`] reads it: entries in the order
//! they happened, and every time in one zone. A reader rebuilds the incident from the
//! timeline; an entry out of order or a switch from UTC to local time makes them rebuild it
//! wrong.

use crate::diagnostic::Code;
use crate::timeline;
use crate::zone::Zone;

use super::Found;

pub(super) fn check(found: &mut Found, zone: Zone) {
    let Some(timeline) = timeline::of(found.document, zone) else {
        return;
    };
    for (before, after) in timeline.out_of_order() {
        let (before, after) = (&timeline.events[before], &timeline.events[after]);
        found
            .at_span(
                Code::TimelineOutOfOrder,
                after.span.clone(),
                format!(
                    "this timeline entry ({}) is earlier than the one before it ({})",
                    after.written.trim(),
                    before.written.trim()
                ),
            )
            .hint = Some(
            "list the entries in the order they happened, or fix this time (or its date)".into(),
        );
    }
    let zones = timeline.written_zones();
    if let [first, ..] = zones.as_slice()
        && zones.len() > 1
        && let Some(switch) = timeline.events.iter().find(|event| {
            event.zone_source != timeline::ZoneSource::Incident && event.zone.offset != first.offset
        })
    {
        let labels: Vec<&str> = zones.iter().map(|z| z.label.as_str()).collect();
        let message = format!(
            "the timeline is written in {} time zones ({}); this entry switches to {}",
            zones.len(),
            labels.join(", "),
            switch.zone.label
        );
        found
            .at_span(Code::TimelineMixedZones, switch.span.clone(), message)
            .hint = Some(format!(
            "write every time in one zone, such as {}, and name it once in the heading or the table header",
            first.label
        ));
    }
}
