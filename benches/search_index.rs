//! How much the search index adds to a build, measured in one process so that both sides see
//! the same machine load:
//!
//!     cargo bench --bench search_index -- /tmp/corpus10k
//!
//! Prints, per round, the wall and CPU time of a whole build (load, link, render with the
//! index, write) and of the index alone (`render::search::files`). CPU time is the steadier
//! figure on a shared machine.
//! Make the corpus with `python3 benches/generate.py --count 10000 --out /tmp/corpus10k`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use hindsight::build::{BuildOptions, build};
use hindsight::render::{RENDER_ALL, search};

#[path = "support/cpu_time.rs"]
mod cpu_time;
use cpu_time::cpu_seconds;
use hindsight::render::views::Views;

fn main() {
    let Some(root) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench --bench search_index -- ARCHIVE_DIR");
        std::process::exit(2);
    };
    let root = PathBuf::from(root);
    let out = std::env::temp_dir().join("hindsight-search-bench");
    let context = hindsight::pipeline::Context::new(root.clone());
    let (archive, _) = hindsight::pipeline::load_and_link(&context, None, Default::default())
        .unwrap_or_else(|e| panic!("loading {}: {e}", root.display()));
    let theme = hindsight::theme::load(&root, archive.config.theme.as_deref())
        .unwrap_or_else(|e| panic!("loading the theme of {}: {}", root.display(), e.message));
    let views = Views::new(&archive, &theme);
    println!("{} documents", archive.documents.len());
    for round in 1..=3 {
        let cpu = cpu_seconds();
        let started = Instant::now();
        let options = BuildOptions {
            root: root.clone(),
            out: Some(out.clone()),
            edition: None,
            base_url: None,
            drafts: false,
        };
        build(&options).unwrap_or_else(|e| panic!("build failed: {e:?}"));
        let whole = started.elapsed().as_secs_f64();
        let whole_cpu = cpu_seconds() - cpu;

        let cpu = cpu_seconds();
        let started = Instant::now();
        let (count, bytes) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let counted = search::files(&archive, &views, RENDER_ALL, None, &|_, written| {
            count.fetch_add(1, Ordering::Relaxed);
            bytes.fetch_add(written.len(), Ordering::Relaxed);
            Ok::<(), std::convert::Infallible>(())
        });
        let Ok(_) = counted;
        let index = started.elapsed().as_secs_f64();
        let index_cpu = cpu_seconds() - cpu;
        let (count, bytes) = (count.into_inner(), bytes.into_inner());
        println!(
            "round {round}: build {whole:.2} s wall, {whole_cpu:.2} s CPU; index alone {index:.2} s wall, {index_cpu:.2} s CPU ({:.0}% of the build's CPU); {} files, {:.1} MB",
            100.0 * index_cpu / whole_cpu,
            count,
            bytes as f64 / 1e6
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
