//! Rules about action items: a serious incident that is published without any, and an item
//! nobody owns. Both are how the same incident happens twice.

use crate::config::Config;
use crate::diagnostic::Code;
use crate::document::PostmortemStatus;

use super::Found;

/// How many of the most severe levels of the scale must list action items once published:
/// sev1 and sev2 on the default scale.
const SEVERE_LEVELS: usize = 2;

pub(super) fn check(found: &mut Found, config: &Config) {
    let Some(postmortem) = found.document.postmortem() else {
        return;
    };
    let severe = config
        .severity_rank(&postmortem.severity)
        .is_some_and(|rank| rank < SEVERE_LEVELS);
    if severe && postmortem.status == PostmortemStatus::Published && postmortem.actions.is_empty() {
        let label = config.severity_label(&postmortem.severity).to_string();
        found
            .at_key(
                Code::NoActionItems,
                &["severity"],
                format!("this {label} postmortem is published without action items"),
            )
            .hint = Some(
            "add an `[[actions]]` table for each follow-up (title, owner, kind, status), or keep `status = \"in-review\"` until they are agreed"
                .into(),
        );
    }
    for (i, action) in postmortem.actions.iter().enumerate() {
        if action
            .owner
            .as_deref()
            .is_some_and(|o| !o.trim().is_empty())
        {
            continue;
        }
        let index = i.to_string();
        found
            .at_key(
                Code::ActionWithoutOwner,
                &["actions", &index, "title"],
                format!("the action item \"{}\" has no owner", action.title),
            )
            .hint = Some("add `owner = \"...\"`: the person or team who will see it done".into());
    }
}
