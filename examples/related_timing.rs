//! Times the insight computations of the link phase on an archive:
//! `cargo run --release --example related_timing -- /tmp/insights-corpus10k`.
//! Figures go in docs/related.md; nothing here asserts a speed.

use std::time::Instant;

use hindsight::archive::LinkOptions;
use hindsight::pipeline::{self, Context};

#[path = "../benches/support/cpu_time.rs"]
mod cpu_time;
use cpu_time::cpu_seconds;

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: related_timing ARCHIVE_DIR");
        std::process::exit(2);
    };
    let context = Context {
        render_html: false,
        ..Context::new(root.into())
    };
    let start = Instant::now();
    let (archive, _) = match pipeline::load_and_link(&context, None, LinkOptions::default()) {
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
    let suggested = hindsight::related::suggest(&archive, None);
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
        .map(|d| hindsight::timeline::of(d, archive.zone))
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
