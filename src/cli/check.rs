//! `hindsight check`

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Format};
use crate::pipeline::{self, Context};

use super::{EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK, print_diagnostics, summary_line};

#[derive(clap::Args)]
pub struct Args {
    /// The archive repository.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// How to print diagnostics: for a terminal, as GitHub Actions annotations, or as JSON.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// `--deny warnings`: every warning fails the check, as an error would (for CI).
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Option<Deny>,
    /// Report only on these files or directories (a pull request's changed files), relative
    /// to the root or to the current directory; references still resolve against the whole
    /// archive.
    files: Vec<PathBuf>,
}

/// What `--deny` turns into errors.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Deny {
    /// Every warning.
    Warnings,
}

pub fn run(args: Args) -> i32 {
    if let Some(code) = super::refuse_outside_archive(&args.root) {
        return code;
    }
    let only = match scope(&args.root, &args.files) {
        Ok(only) => only,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_CANNOT_RUN;
        }
    };
    let mut diagnostics = match pipeline::check(&Context::for_check(args.root.clone())) {
        Ok((archive, mut diagnostics)) => {
            // The theme, the templates and static/ by the rules `build` reads them with, so
            // that what `build` refuses (a symbolic link in static/) fails the check too.
            if let Err(refused) = crate::theme::load(&args.root, archive.config.theme.as_deref()) {
                diagnostics.push(refused);
            }
            diagnostics
        }
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_CANNOT_RUN;
        }
    };
    if let Some(only) = &only {
        diagnostics.retain(|d| only.iter().any(|path| d.file.starts_with(path)));
    }
    if args.deny == Some(Deny::Warnings) {
        crate::check::levels::deny_warnings(&mut diagnostics);
    }
    print_diagnostics(&args.root, &diagnostics, args.format);
    if args.format == Format::Human {
        eprintln!("{}", summary_line(&diagnostics));
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}

/// The files and directories to report on, relative to the root; `None` for all of them.
///
/// A path names the same file whether it is written relative to the root or to the current
/// directory (CI passes `git diff --name-only` output from the repository's top). A path that
/// exists in neither place, or lies outside the root, stops the command: reporting "no
/// errors" on a file that was never looked at would let a pull request through unchecked.
fn scope(root: &Path, files: &[PathBuf]) -> Result<Option<Vec<PathBuf>>, String> {
    if files.is_empty() {
        return Ok(None);
    }
    let canonical_root = root
        .canonicalize()
        .map_err(|e| format!("cannot read the archive root {}: {e}", root.display()))?;
    let mut scope = Vec::with_capacity(files.len());
    for file in files {
        let candidates = if file.is_absolute() {
            vec![file.clone()]
        } else {
            vec![root.join(file), file.clone()]
        };
        let found = candidates
            .iter()
            .find_map(|candidate| candidate.canonicalize().ok())
            .ok_or_else(|| {
                format!(
                    "{} does not exist, neither under the root {} nor in the current directory",
                    file.display(),
                    root.display()
                )
            })?;
        let relative = found.strip_prefix(&canonical_root).map_err(|_| {
            format!(
                "{} is outside the archive root {}",
                file.display(),
                root.display()
            )
        })?;
        scope.push(relative.to_path_buf());
    }
    Ok(Some(scope))
}
