//! The site configuration, `hindsight.toml` at the root of an archive repository.
//!
//! Every field has a default, so an archive without the file still builds.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::markdown::slugify;

/// The file name of the configuration, relative to the archive root.
pub const CONFIG_FILE: &str = "hindsight.toml";

/// What `hindsight.toml` holds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub title: String,
    /// Where the site is published; empty until the file or the command line sets it (see
    /// [`Config::settle_base_url`]).
    pub base_url: String,
    pub description: String,
    /// Where the archive's sources live; pages link to their file there for editing.
    pub repo_url: Option<String>,
    /// The branch `repo_url` edit links point at.
    pub repo_branch: String,
    /// The zone times are shown in: `UTC`, a fixed offset such as `+02:00`, or an IANA zone
    /// such as `Europe/Copenhagen`.
    pub timezone: String,
    /// Which edition `build` makes when the command line does not say.
    pub edition: Edition,
    /// A theme under `themes/NAME/` in the archive; the embedded default when absent.
    pub theme: Option<String>,
    /// Ordered from most to least severe.
    pub severities: Vec<Severity>,
    /// The service catalogue, keyed by the id front matter uses.
    pub services: BTreeMap<String, ServiceInfo>,
    pub markdown: MarkdownConfig,
    pub check: CheckConfig,
    /// Documents larger than this many bytes are refused rather than loaded: 1 MiB by
    /// default, a hundred times the largest real postmortem we know of, and the size at which
    /// every shape of input built to be slow still checks and builds in under 2 s (see
    /// docs/performance.md, "Adversarial input").
    pub max_document_bytes: u64,
    /// Rows a page of the whole-archive listings (postmortems, action items) shows.
    #[serde(deserialize_with = "rows_a_page")]
    pub paginate_by: NonZeroUsize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "Postmortems".into(),
            base_url: String::new(),
            description: String::new(),
            repo_url: None,
            repo_branch: "main".into(),
            timezone: "UTC".into(),
            edition: Edition::Internal,
            theme: None,
            severities: default_severities(),
            services: BTreeMap::new(),
            markdown: MarkdownConfig::default(),
            check: CheckConfig::default(),
            max_document_bytes: 1024 * 1024,
            paginate_by: NonZeroUsize::new(100).expect("100 is not zero"),
        }
    }
}

/// `paginate_by`: a whole number of rows, 1 or more, said in the words of the setting.
fn rows_a_page<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NonZeroUsize, D::Error> {
    let rows = usize::deserialize(d)?;
    NonZeroUsize::new(rows).ok_or_else(|| {
        serde::de::Error::custom(
            "invalid value: paginate_by is the number of rows a listing page shows, 1 or more",
        )
    })
}

/// One level of the severity scale.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Severity {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
}

/// What the catalogue says about a service.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceInfo {
    pub name: Option<String>,
    pub description: String,
    pub owner: Option<String>,
    pub tier: Option<u32>,
}

/// Which audience a build is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// Everything, with internal blocks visibly marked.
    #[default]
    Internal,
    /// Only public documents, with internal blocks removed.
    Public,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarkdownConfig {
    /// Let raw HTML in Markdown through unsanitized.
    pub unsafe_html: bool,
}

/// Settings of `hindsight check`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// When set, tags outside this list draw a warning.
    pub tags: Option<Vec<String>>,
    /// Days between resolution and publication before a warning.
    pub publish_within_days: i64,
    /// Section headings each severity requires.
    pub required_sections: BTreeMap<String, Vec<String>>,
    /// Phrases that read as blame.
    pub blame_phrases: Vec<String>,
    /// Levels of warnings by code or name (`W0004` or `no-action-items`): `allow`, `warn` or `deny`.
    pub rules: BTreeMap<String, RuleLevel>,
    /// Levels for the documents under one folder, over `rules`.
    pub overrides: Vec<RuleOverride>,
}

/// What `[check.rules]` makes of a diagnostic, as clippy's and ESLint's levels do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Not reported.
    Allow,
    /// Reported; the build goes on.
    Warn,
    /// Reported as an error; the build stops.
    Deny,
}

/// Rule levels for the documents under one folder: `[[check.overrides]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    /// A folder relative to the archive root, such as `content/postmortems/status-page`.
    pub folder: String,
    /// Levels by code or name, as in `[check.rules]`.
    pub rules: BTreeMap<String, RuleLevel>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        let sections: Vec<String> = [
            "Summary",
            "Impact",
            "Root causes",
            "Resolution",
            "Action items",
            "Timeline",
        ]
        .map(String::from)
        .to_vec();
        CheckConfig {
            tags: None,
            publish_within_days: 7,
            required_sections: BTreeMap::from([
                ("sev1".to_string(), sections.clone()),
                ("sev2".to_string(), sections),
            ]),
            blame_phrases: [
                "human error",
                "should have known",
                "careless",
                "negligent",
                "fault of",
                "blame",
            ]
            .map(String::from)
            .to_vec(),
            rules: BTreeMap::new(),
            overrides: Vec::new(),
        }
    }
}

fn default_severities() -> Vec<Severity> {
    [
        ("sev1", "SEV-1", "Critical: most customers affected"),
        (
            "sev2",
            "SEV-2",
            "Major: many customers or a key feature affected",
        ),
        (
            "sev3",
            "SEV-3",
            "Minor: few customers affected, or degraded",
        ),
        ("sev4", "SEV-4", "Low: no customer impact, a near miss"),
    ]
    .map(|(id, label, description)| Severity {
        id: id.into(),
        label: label.into(),
        description: description.into(),
    })
    .to_vec()
}

impl Config {
    /// The position of a severity on the scale, 0 being the most severe.
    pub fn severity_rank(&self, id: &str) -> Option<usize> {
        self.severities.iter().position(|s| s.id == id)
    }

    /// The label a severity id is shown with.
    pub fn severity_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.severities
            .iter()
            .find(|s| s.id == id)
            .map_or(id, |s| s.label.as_str())
    }

    /// The path part of `base_url`, without a trailing slash: `""` or `"/archive"`.
    pub fn base_path(&self) -> String {
        let after_scheme = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(i) => after_scheme[i..].trim_end_matches('/').to_string(),
            None => String::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// base_url: where the site is published

/// The address an internal build links with when no `base_url` is set: the one `serve`
/// listens on first.
pub const LOCAL_BASE_URL: &str = "http://127.0.0.1:1111";

/// Why a base URL cannot be used, in words that say what to write instead.
///
/// A base URL is the start of every absolute link in feeds and the sitemap, so it must be an
/// absolute `http` or `https` URL with a host; a path starting with `//` would read as another
/// host in the links made from it.
pub fn base_url_problem(url: &str) -> Option<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(format!(
            "`{url}` is not an absolute URL: write it with its scheme and host, such as `https://postmortems.example.com/`"
        ));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Some(format!(
            "`{url}` is not an http or https URL: the site is read in a browser, so its address starts with `https://`"
        ));
    }
    let (host, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let host_name = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host_name = host_name.split(':').next().unwrap_or_default();
    if host_name.is_empty() && !host.starts_with('[') {
        return Some(format!(
            "`{url}` has no host: write it as `https://HOST/` or `https://HOST/PATH/`"
        ));
    }
    if path.starts_with("//") {
        return Some(format!(
            "the path of `{url}` starts with `//`, which links would read as another host: write a single `/`"
        ));
    }
    if path.starts_with(['?', '#']) || path.contains(['?', '#']) {
        return Some(format!(
            "`{url}` has a query or a fragment: a base URL is a folder, such as `https://HOST/PATH/`"
        ));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    {
        return Some(format!(
            "`{url}` holds spaces or quotes, which a URL cannot"
        ));
    }
    None
}

/// What to do when a public build has no base URL.
pub const BASE_URL_HINT: &str = "set `base_url = \"https://HOST/\"` in hindsight.toml, or pass `--base-url`: on Netlify `--base-url \"$URL\"`, on GitHub Pages `https://OWNER.github.io/REPOSITORY/` (the deploy workflow `hindsight init` writes passes it)";

impl Config {
    /// Puts in place the base URL this build links with: the command line's over the file's,
    /// and [`LOCAL_BASE_URL`] for an internal build when neither sets one.
    ///
    /// A public edition without one is refused rather than published with links to this
    /// machine: the message says so, and [`BASE_URL_HINT`] says how to set one.
    pub fn settle_base_url(
        &mut self,
        from_command_line: Option<&str>,
        edition: Edition,
    ) -> Result<(), String> {
        if let Some(url) = from_command_line {
            self.base_url = url.to_string();
        }
        if !self.base_url.is_empty() {
            return Ok(());
        }
        match edition {
            Edition::Internal => {
                self.base_url = LOCAL_BASE_URL.to_string();
                Ok(())
            }
            Edition::Public => Err(
                "a public build needs the address the site is published at, and neither hindsight.toml nor the command line gives one"
                    .to_string(),
            ),
        }
    }
}

/// What deserializing cannot refuse in `text`, the configuration `config` was read from:
/// a time zone that is not one, rule levels that name no rule or would allow an error, and
/// severities or services whose ids end up at one URL. Each at its line.
pub fn problems(config: &Config, text: &str) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut at = |keys: &[&str], message: String, hint: String| {
        let span = crate::load::span_in(text, keys).unwrap_or(0..0);
        problems.push(
            Diagnostic::at(
                Code::InvalidConfig,
                CONFIG_FILE,
                text,
                span,
                format!("{CONFIG_FILE}: {message}"),
            )
            .with_hint(hint),
        );
    };
    if crate::zone::Zone::parse(&config.timezone).is_none() {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        let hint = match did_you_mean(&config.timezone, names) {
            Some(name) => format!("did you mean `{name}`?"),
            None => "use `UTC`, a fixed offset such as `+02:00`, or an IANA zone such as `Europe/Copenhagen`".into(),
        };
        at(
            &["timezone"],
            format!("timezone `{}` is not understood", config.timezone),
            hint,
        );
    }
    for (key, level) in &config.check.rules {
        if let Some((message, hint)) = rule_problem(key, *level) {
            at(&["check", "rules", key], message, hint);
        }
    }
    for (i, over) in config.check.overrides.iter().enumerate() {
        let index = i.to_string();
        for (key, level) in &over.rules {
            if let Some((message, hint)) = rule_problem(key, *level) {
                at(&["check", "overrides", &index, "rules", key], message, hint);
            }
        }
    }
    let severities = config.severities.iter().enumerate();
    for (first, j, second) in colliding(severities.map(|(j, s)| (j.to_string(), s.id.as_str()))) {
        at(
            &["severities", &j, "id"],
            format!("the severities `{first}` and `{second}` end up at one URL"),
            "give each severity an id of lower-case letters, digits and dashes of its own".into(),
        );
    }
    let services = config.services.keys().map(|id| (id.clone(), id.as_str()));
    for (first, key, second) in colliding(services) {
        at(
            &["services", &key],
            format!(
                "the services `{first}` and `{second}` end up at one URL, /services/{}/",
                slugify(second)
            ),
            "keep one of the two spellings in the catalogue".into(),
        );
    }
    Diagnostic::sort(&mut problems);
    problems
}

/// What is wrong with setting the rule `key` to `level`, if anything.
fn rule_problem(key: &str, level: RuleLevel) -> Option<(String, String)> {
    let Some(code) = Code::find(key) else {
        let names = Code::ALL
            .iter()
            .filter(|c| c.is_tunable())
            .map(|c| c.name());
        let hint = match did_you_mean(key, names) {
            Some(name) => format!("did you mean `{name}`?"),
            None => "name a warning by its code or name, such as `W0004` or `no-action-items`; docs/diagnostics.md lists them".into(),
        };
        return Some((format!("there is no rule `{key}`"), hint));
    };
    (!code.is_tunable() && level != RuleLevel::Deny).then(|| {
        (
            format!(
                "`{} {}` is an error and cannot be set to `{}`",
                code.code(),
                code.name(),
                if level == RuleLevel::Allow {
                    "allow"
                } else {
                    "warn"
                }
            ),
            "an error means the site would be wrong; fix what it reports instead".into(),
        )
    })
}

/// Each `(key, id)` whose id is spelled differently from an earlier one but makes the same
/// URL segment, with that earlier spelling: `(first, key, id)`.
fn colliding<'a, K>(ids: impl Iterator<Item = (K, &'a str)>) -> Vec<(&'a str, K, &'a str)> {
    let mut first_of: BTreeMap<String, &'a str> = BTreeMap::new();
    let mut found = Vec::new();
    for (key, id) in ids {
        let first = *first_of.entry(slugify(id)).or_insert(id);
        if first != id {
            found.push((first, key, id));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_is_the_path_of_base_url() {
        let mut config = Config::default();
        for (url, path) in [
            ("https://example.com", ""),
            ("https://example.com/", ""),
            ("https://example.com/archive/", "/archive"),
            ("/preview", "/preview"),
        ] {
            config.base_url = url.into();
            assert_eq!(config.base_path(), path, "{url}");
        }
    }

    #[test]
    fn a_base_url_is_an_absolute_web_address_with_a_host() {
        for good in [
            "https://example.org/",
            "https://example.org",
            "http://127.0.0.1:1111",
            "https://owner.github.io/repository/",
            "https://[::1]:8080/archive/",
        ] {
            assert_eq!(base_url_problem(good), None, "{good}");
        }
        for (bad, says) in [
            ("/preview", "not an absolute URL"),
            ("example.org", "not an absolute URL"),
            ("ftp://example.org/", "not an http or https URL"),
            ("javascript://example.org/", "not an http or https URL"),
            ("https:///archive/", "no host"),
            ("https://example.org//evil.example/", "starts with `//`"),
            ("https://example.org/?q=1", "query or a fragment"),
            ("https://example.org/a b/", "spaces or quotes"),
        ] {
            let problem = base_url_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem}");
        }
    }

    #[test]
    fn only_a_public_build_needs_a_base_url() {
        let mut internal = Config::default();
        internal
            .settle_base_url(None, Edition::Internal)
            .expect("internal builds link locally");
        assert_eq!(internal.base_url, LOCAL_BASE_URL);
        let mut public = Config::default();
        assert!(public.settle_base_url(None, Edition::Public).is_err());
        public
            .settle_base_url(Some("https://example.org/"), Edition::Public)
            .expect("the command line sets one");
        assert_eq!(public.base_url, "https://example.org/");
    }

    #[test]
    fn ids_that_make_one_url_and_rules_that_are_not_are_refused_at_their_lines() {
        let text = "[[severities]]\nid = \"sev-1\"\nlabel = \"1\"\n\n[[severities]]\nid = \"Sev 1\"\nlabel = \"One\"\n\n[check.rules]\nblame-languag = \"allow\"\n";
        let config: Config = toml::from_str(text).unwrap();
        let found: Vec<(usize, String)> = problems(&config, text)
            .into_iter()
            .map(|d| (d.line, d.message))
            .collect();
        assert_eq!(
            found,
            [
                (
                    6,
                    "hindsight.toml: the severities `sev-1` and `Sev 1` end up at one URL"
                        .to_string()
                ),
                (
                    10,
                    "hindsight.toml: there is no rule `blame-languag`".to_string()
                ),
            ]
        );
    }
}
