//! Rule levels, as clippy and ESLint have them: `[check.rules]` in hindsight.toml sets a
//! warning to `allow`, `warn` or `deny`, and `[[check.overrides]]` does so for the documents
//! under one folder (a status-page archive with no action items turns `no-action-items` off
//! there alone). Errors keep their level: they mean the site would be wrong.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{CheckConfig, RuleLevel};
use crate::diagnostic::{Code, Diagnostic, Level};

/// The levels a configuration sets, read once for every diagnostic.
pub struct Levels {
    everywhere: HashMap<Code, RuleLevel>,
    /// By folder, the deepest folder last so that it wins.
    by_folder: Vec<(PathBuf, HashMap<Code, RuleLevel>)>,
}

impl Levels {
    pub fn new(check: &CheckConfig) -> Self {
        let mut by_folder: Vec<(PathBuf, HashMap<Code, RuleLevel>)> = check
            .overrides
            .iter()
            .map(|o| {
                (
                    PathBuf::from(o.folder.trim_end_matches('/')),
                    codes(&o.rules),
                )
            })
            .collect();
        by_folder.sort_by_key(|(folder, _)| folder.components().count());
        Levels {
            everywhere: codes(&check.rules),
            by_folder,
        }
    }

    /// The level set for `code` in `file`, if any.
    fn of(&self, code: Code, file: &Path) -> Option<RuleLevel> {
        let in_folder = self
            .by_folder
            .iter()
            .rev()
            .filter(|(folder, _)| file.starts_with(folder))
            .find_map(|(_, rules)| rules.get(&code));
        in_folder.or_else(|| self.everywhere.get(&code)).copied()
    }

    /// Drops the diagnostics set to `allow`, and gives the others the level they are set to.
    pub fn apply(&self, diagnostics: &mut Vec<Diagnostic>) {
        if self.everywhere.is_empty() && self.by_folder.is_empty() {
            return;
        }
        diagnostics.retain_mut(|d| {
            if !d.code.is_tunable() {
                return true;
            }
            match self.of(d.code, &d.file) {
                Some(RuleLevel::Allow) => false,
                Some(RuleLevel::Warn) => {
                    d.level = Level::Warning;
                    true
                }
                Some(RuleLevel::Deny) => {
                    d.level = Level::Error;
                    true
                }
                None => true,
            }
        });
    }
}

/// Every warning, an error: what `check --deny warnings` makes of them for CI.
pub fn deny_warnings(diagnostics: &mut [Diagnostic]) {
    for d in diagnostics {
        d.level = Level::Error;
    }
}

/// Rule levels by code, from levels by code or name; names that are no code were reported
/// with the configuration.
fn codes(rules: &std::collections::BTreeMap<String, RuleLevel>) -> HashMap<Code, RuleLevel> {
    rules
        .iter()
        .filter_map(|(key, level)| Some((Code::find(key)?, *level)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RuleOverride;

    fn warning(code: Code, file: &str) -> Diagnostic {
        Diagnostic::file(code, file, "found")
    }

    #[test]
    fn a_folder_overrides_the_archive_and_errors_stay_errors() {
        let mut check = CheckConfig::default();
        check.rules.insert("W0004".into(), RuleLevel::Deny);
        check
            .rules
            .insert("missing-section".into(), RuleLevel::Allow);
        check.overrides.push(RuleOverride {
            folder: "content/postmortems/status/".into(),
            rules: [("no-action-items".to_string(), RuleLevel::Allow)].into(),
        });
        let mut diagnostics = vec![
            warning(Code::NoActionItems, "content/postmortems/a.md"),
            warning(Code::NoActionItems, "content/postmortems/status/b.md"),
            warning(Code::MissingSection, "content/postmortems/a.md"),
            warning(Code::UnknownService, "content/postmortems/a.md"),
            warning(Code::DuplicateSlug, "content/postmortems/a.md"),
        ];
        Levels::new(&check).apply(&mut diagnostics);
        let left: Vec<(Code, Level, String)> = diagnostics
            .iter()
            .map(|d| (d.code, d.level, d.file.display().to_string()))
            .collect();
        assert_eq!(
            left,
            [
                (
                    Code::NoActionItems,
                    Level::Error,
                    "content/postmortems/a.md".to_string()
                ),
                (
                    Code::UnknownService,
                    Level::Warning,
                    "content/postmortems/a.md".to_string()
                ),
                (
                    Code::DuplicateSlug,
                    Level::Error,
                    "content/postmortems/a.md".to_string()
                ),
            ]
        );
    }
}
