//! Times the insight computations of the link phase on an archive:
//! `cargo run --release --example related_timing -- /tmp/insights-corpus10k`.
//! Figures go in docs/related.md; nothing here asserts a speed.

use std::time::Instant;

/// CPU seconds this process has used so far (user + system), from /proc/self/stat: on a
/// shared machine wall time measures the neighbours as much as the code.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

use hindsight::archive::LinkOptions;
use hindsight::build::load_and_link;
use hindsight::load::LoadOptions;

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: related_timing ARCHIVE_DIR");
        std::process::exit(2);
    };
    let options = LoadOptions {
        root: root.into(),
        edition: None,
        base_url: None,
        render_html: false,
    };
    let start = Instant::now();
    let (archive, _) = match load_and_link(&options, LinkOptions::default()) {
        Ok(linked) => linked,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!(
        "load + link of {} postmortems: {:.2} s",
        archive.postmortems.len(),
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let cpu = cpu_seconds();
    let suggested = hindsight::related::suggest(&archive);
    let with = suggested.iter().filter(|s| !s.is_empty()).count();
    println!(
        "related::suggest: {:.3} s wall, {:.2} s CPU ({with} postmortems with suggestions, {} in all)",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        suggested.iter().map(Vec::len).sum::<usize>()
    );
    let start = Instant::now();
    let metrics = hindsight::metrics::compute(&archive);
    println!(
        "metrics::compute: {:.3} s ({} services)",
        start.elapsed().as_secs_f64(),
        metrics.services.len()
    );
    let start = Instant::now();
    let timelines: Vec<_> = archive
        .documents
        .iter()
        .map(hindsight::timeline::of)
        .collect();
    let structured = timelines
        .iter()
        .flatten()
        .filter(|t| t.is_structured())
        .count();
    println!(
        "timeline::of (one thread): {:.3} s ({structured} structured)",
        start.elapsed().as_secs_f64()
    );
}
