//! The command line: each subcommand parses its arguments and calls a phase.

mod build;
mod check;
mod import;
mod init;
mod new;
mod serve;

use std::io::IsTerminal;
use std::path::Path;

use clap::{Parser, Subcommand};

use crate::config::CONFIG_FILE;
use crate::diagnostic::{Diagnostic, Format, render_github, render_human_from, render_json};

/// Exit code: everything went well (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit code: the archive has errors.
pub const EXIT_INVALID: i32 = 1;
/// Exit code: the command could not run (bad arguments, unreadable root).
pub const EXIT_CANNOT_RUN: i32 = 2;

#[derive(Parser)]
#[command(
    name = "hindsight",
    version,
    about = "A static-site generator for postmortem archives"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the archive into a static site.
    Build(build::Args),
    /// Check documents and report what is wrong, line by line.
    Check(check::Args),
    /// Bring existing postmortems in: Markdown with YAML or TOML front matter, or none.
    Import(import::Args),
    /// Start an archive repository: configuration, examples, CI and deploy recipes.
    Init(init::Args),
    /// Start a new postmortem or premortem from a template.
    New(new::Args),
    /// Preview the archive in a browser, rebuilt and reloaded as you edit.
    Serve(serve::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                EXIT_CANNOT_RUN
            } else {
                EXIT_OK
            };
            let _ = error.print();
            return code;
        }
    };
    match cli.command {
        Command::Build(args) => build::run(args),
        Command::Check(args) => check::run(args),
        Command::Import(args) => import::run(args),
        Command::Init(args) => init::run(args),
        Command::New(args) => new::run(args),
        Command::Serve(args) => serve::run(args),
    }
}

/// Refuses to work in a folder that is not an archive, before anything is read or written.
///
/// A folder with neither `content/` nor `hindsight.toml` is most likely the wrong one: checking
/// it would report "0 errors" and building it would write an empty site. Returns the exit code
/// when the command must stop.
pub fn refuse_outside_archive(root: &Path) -> Option<i32> {
    if !root.is_dir() {
        eprintln!("error: {} is not a folder", root.display());
        eprintln!("help: pass --root with the archive's folder");
        return Some(EXIT_CANNOT_RUN);
    }
    if root.join("content").is_dir() || root.join(CONFIG_FILE).exists() {
        return None;
    }
    let shown = match root.as_os_str() == "." {
        true => "this folder".to_string(),
        false => root.display().to_string(),
    };
    eprintln!(
        "error: {shown} is not a hindsight archive: it has no content/ folder and no {CONFIG_FILE}"
    );
    eprintln!(
        "help: run `hindsight init` to start an archive here, or pass --root with the folder of an existing one"
    );
    Some(EXIT_CANNOT_RUN)
}

/// Prints diagnostics to standard error in the chosen format.
pub fn print_diagnostics(root: &Path, diagnostics: &[Diagnostic], format: Format) {
    let text = match format {
        Format::Human => render_human_from(root, diagnostics, std::io::stderr().is_terminal()),
        Format::Github => render_github(diagnostics),
        Format::Json => render_json(diagnostics),
    };
    match format {
        Format::Json | Format::Github => print!("{text}"),
        Format::Human => eprint!("{text}"),
    }
}

/// One line counting errors and warnings.
pub fn summary_line(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
