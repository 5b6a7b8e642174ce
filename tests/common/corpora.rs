//! Where the shared corpora of real postmortems are (`../shared/corpora`, see its README).
//!
//! They are not part of the repository. A test that needs them says so on stderr and passes
//! when they are absent on a developer's machine; with `HINDSIGHT_REQUIRE_CORPORA=1` (set by
//! CI) a missing corpus is a failure instead, so CI can never skip those tests.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The corpora folder, from `HINDSIGHT_CORPORA` or beside the checkout (a worktree sits one
/// level deeper than the main checkout), or `None` after a note when it is absent and not
/// required.
pub fn corpora(test: &str) -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut places: Vec<PathBuf> = std::env::var_os("HINDSIGHT_CORPORA")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    places.push(manifest.join("../shared/corpora"));
    places.push(manifest.join("../../shared/corpora"));
    places.push(PathBuf::from("/work/shared/corpora"));
    if let Some(found) = places.into_iter().find(|dir| dir.is_dir()) {
        return Some(found);
    }
    if std::env::var("HINDSIGHT_REQUIRE_CORPORA").as_deref() == Ok("1") {
        panic!(
            "{test}: the shared corpora are not here (set HINDSIGHT_CORPORA), and HINDSIGHT_REQUIRE_CORPORA=1 requires them"
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}: no shared/corpora folder here (set HINDSIGHT_CORPORA to run it)"
    );
    None
}
