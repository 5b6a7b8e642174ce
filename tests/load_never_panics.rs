//! The loader must turn any input into a document or a diagnostic, never a panic: random
//! bytes, and random mutations of a good document (which reach deeper into the TOML and
//! Markdown paths than random bytes do).

use std::path::Path;

use hindsight::config::Edition;
use hindsight::document::Kind;
use hindsight::load::parse_document;
use hindsight::markdown::Context;
use proptest::prelude::*;

const GOOD: &str = include_str!("fixtures/check-archive/content/postmortems/good-incident.md");
const GOOD_PREMORTEM: &str = include_str!("fixtures/check-archive/content/premortems/launch.md");

fn load(source: &str, kind: Kind) {
    let path = Path::new("content/postmortems/x.md");
    for edition in [Edition::Internal, Edition::Public] {
        let context = Context {
            path,
            base_path: "",
            base_url: "https://example.com/",
            edition,
            unsafe_html: false,
            render_html: true,
            highlights: None,
            withheld_targets: None,
        };
        let diagnostics = match parse_document(path, kind, source, &context) {
            Ok(loaded) => loaded.document.body.diagnostics,
            Err(errors) => errors,
        };
        for diagnostic in diagnostics {
            assert!(diagnostic.line <= source.lines().count() + 1);
        }
    }
}

/// One edit of a document: delete, insert or replace a run of bytes, or duplicate a line.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, String),
    DuplicateLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fragment = prop_oneof![
        Just("+++\n".to_string()),
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("]]\n".to_string()),
        Just("=".to_string()),
        Just("\n[[actions]]\n".to_string()),
        Just("<!-- internal -->".to_string()),
        Just("```internal\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("é".to_string()),
        "\\PC{0,8}",
    ];
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), fragment.clone()).prop_map(|(at, s)| Mutation::Insert(at, s)),
        (any::<usize>(), fragment).prop_map(|(at, s)| Mutation::Replace(at, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

fn apply(source: &str, mutation: &Mutation) -> String {
    let mut bytes = source.as_bytes().to_vec();
    let len = bytes.len().max(1);
    match mutation {
        Mutation::Delete(at, n) => {
            let at = at % len;
            let end = (at + n).min(bytes.len());
            bytes.drain(at.min(bytes.len())..end);
        }
        Mutation::Insert(at, s) => {
            let at = (at % len).min(bytes.len());
            bytes.splice(at..at, s.bytes());
        }
        Mutation::Replace(at, s) => {
            let at = (at % len).min(bytes.len());
            let end = (at + s.len()).min(bytes.len());
            bytes.splice(at..end, s.bytes());
        }
        Mutation::DuplicateLine(n) => {
            let lines: Vec<&str> = source.split_inclusive('\n').collect();
            let i = n % lines.len().max(1);
            let mut out: Vec<&str> = lines.clone();
            if let Some(line) = lines.get(i) {
                out.insert(i, line);
            }
            bytes = out.concat().into_bytes();
        }
    }
    // Mutations may cut a character in two; the loader gets text, as load_document gives it.
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        load(&text, Kind::Postmortem);
        load(&format!("+++\n{text}"), Kind::Postmortem);
        load(&format!("+++\n{text}\n+++\n{text}"), Kind::Premortem);
    }

    #[test]
    fn mutated_good_documents_never_panic(
        mutations in proptest::collection::vec(mutation(), 1..6),
        premortem in any::<bool>(),
    ) {
        let (mut text, kind) = if premortem {
            (GOOD_PREMORTEM.to_string(), Kind::Premortem)
        } else {
            (GOOD.to_string(), Kind::Postmortem)
        };
        for m in &mutations {
            text = apply(&text, m);
        }
        load(&text, kind);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The same through the whole of `check` (load, link and the rules), from files on disk.
    #[test]
    fn mutated_documents_never_panic_the_check_rules(
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut text = GOOD.to_string();
        for m in &mutations {
            text = apply(&text, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let postmortems = dir.path().join("content/postmortems");
        let premortems = dir.path().join("content/premortems");
        std::fs::create_dir_all(&postmortems).unwrap();
        std::fs::create_dir_all(&premortems).unwrap();
        std::fs::write(postmortems.join("x.md"), &text).unwrap();
        std::fs::write(premortems.join("launch.md"), GOOD_PREMORTEM).unwrap();
        let context = hindsight::pipeline::Context {
            render_html: false,
            ..hindsight::pipeline::Context::new(dir.path().to_path_buf())
        };
        let result = hindsight::pipeline::load_and_link(&context, None, Default::default());
        prop_assert!(result.is_ok());
    }
}
