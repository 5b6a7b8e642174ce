//! Input built to be slow is checked in linear time: each shape of benches/adversarial.py, at
//! 256 KiB, must be checked well within a limit that a quadratic scan would blow through
//! (heading ids once took 25 s for 8 KB; the nesting guard, 10 s for 800 KB). The figures at
//! 1 MiB (the default `max_document_bytes`) and 5 MiB are in docs/performance.md.

mod built_site;

use std::time::{Duration, Instant};

use built_site::write;

/// The size of each document.
const SIZE: usize = 256 * 1024;

/// Far above what a linear scan takes here, even unoptimized on a busy machine (under two
/// seconds), and far below what a quadratic one takes at this size.
const LIMIT: Duration = Duration::from_secs(30);

const FRONT_MATTER: &str = "+++\ntitle = \"Adversarial\"\ndate = 2024-01-02\nseverity = \"sev3\"\nservices = [\"api\"]\n\n[incident]\nstarted = 2024-01-01T10:00:00Z\n+++\n";

/// `head`, then `unit` as many times as fits in the body, then `tail`.
fn repeat(unit: &str, head: &str, tail: &str) -> String {
    let room = SIZE - FRONT_MATTER.len() - head.len() - tail.len();
    format!("{head}{}{tail}", unit.repeat(room / unit.len()))
}

fn footnotes() -> String {
    let (mut refs, mut defs, mut n) = (String::new(), String::new(), 0);
    while refs.len() + defs.len() < SIZE - FRONT_MATTER.len() - 2 - 40 {
        refs.push_str(&format!("see[^{n}] "));
        defs.push_str(&format!("[^{n}]: note {n}\n"));
        n += 1;
    }
    format!("{refs}\n\n{defs}")
}

fn wide_table() -> String {
    let columns = 200;
    let cells = |cell: &str| format!("|{}|\n", vec![cell; columns].join("|"));
    let header: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
    let head = format!("|{}|\n{}", header.join("|"), cells("-"));
    repeat(&cells("x"), &head, "")
}

/// Each shape of benches/adversarial.py, by name.
fn shapes() -> Vec<(&'static str, String)> {
    let lists: String = (0..500)
        .step_by(25)
        .map(|level| format!("{}- a\n", "  ".repeat(level)))
        .collect();
    vec![
        ("headings", repeat("# a\n", "", "")),
        ("heading-ids", repeat("# a\n# a 1\n", "", "")),
        ("unclosed-lt", repeat("<a", "<div>\n", "")),
        ("nested-html", repeat("<div>", "<div>\n", "")),
        ("nested-quotes", repeat(">", "", " a\n")),
        ("nested-lists", repeat(&lists, "", "")),
        ("stars", repeat("*", "", "")),
        ("underscores", repeat("_", "", "")),
        ("brackets", repeat("[", "", "")),
        ("backticks", repeat("`", "", "")),
        ("emphasis-pairs", repeat("*a_ ", "", "")),
        ("link-openers", repeat("[a](", "", "")),
        (
            "table-rows",
            repeat("| x | y |\n", "| a | b |\n|---|---|\n", ""),
        ),
        ("wide-table", wide_table()),
        ("footnotes", footnotes()),
        ("reference-definitions", repeat("[a]: /x\n", "", "[a]\n")),
        ("comments", repeat("<!-- c -->\n", "", "")),
        ("links-to-internal", repeat("[a](internal.md) ", "", "")),
        (
            "raw-links-to-internal",
            repeat("<a href=\"internal.md\">a</a> ", "", ""),
        ),
    ]
}

#[test]
fn every_shape_built_to_be_slow_is_checked_within_a_generous_limit() {
    let mut slow = Vec::new();
    for (shape, body) in shapes() {
        let archive = tempfile::tempdir().unwrap();
        let source = format!("{FRONT_MATTER}{body}");
        assert!(source.len() <= SIZE, "{shape} is {} bytes", source.len());
        write(
            archive.path(),
            "content/postmortems/adversarial.md",
            &source,
        );
        // The internal document the links-to-internal shapes link to: each link is a warning.
        write(
            archive.path(),
            "content/postmortems/internal.md",
            &FRONT_MATTER.replace("+++\ntitle", "+++\nvisibility = \"internal\"\ntitle"),
        );
        let mut child = built_site::hindsight_command()
            .args(["check", "--root", archive.path().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Read as it comes, so that a long report never fills the pipe and stalls the check.
        let mut pipe = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
            stderr
        });
        // Stopped at the limit, so that a quadratic scan fails the test rather than hang it.
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > LIMIT {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let Some(status) = status else {
            slow.push(shape);
            continue;
        };
        let stderr = reader.join().unwrap();
        assert!(matches!(status.code(), Some(0 | 1)), "{shape}: {stderr}");
        assert!(!stderr.contains("panicked"), "{shape}: {stderr}");
    }
    assert!(
        slow.is_empty(),
        "slower than {LIMIT:?} at 256 KiB: {slow:?}"
    );
}
