//! `hindsight import`

use std::path::PathBuf;

use crate::import::{Mapping, Request, import};
use crate::load;

use super::{EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK, print_diagnostics};

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders of existing postmortems (Markdown with YAML or TOML front matter, or
    /// none); they are only read.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The archive repository to write into (content/postmortems/).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// A mapping file (TOML) naming the sources' keys and values; see docs/guide/import.md.
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// Print the report without writing anything.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: Args) -> i32 {
    if !args.root.is_dir() {
        eprintln!("error: {} is not a directory", args.root.display());
        eprintln!("help: give the archive repository with --root, or create it first");
        return EXIT_CANNOT_RUN;
    }
    let mut diagnostics = Vec::new();
    let config = load::load_config(&args.root, &mut diagnostics);
    if !diagnostics.is_empty() {
        print_diagnostics(&args.root, &diagnostics, crate::diagnostic::Format::Human);
        return EXIT_CANNOT_RUN;
    }
    let mapping = match &args.map {
        Some(path) => match Mapping::read(path) {
            Ok(mapping) => mapping,
            Err(message) => {
                eprintln!("error: {message}");
                return EXIT_CANNOT_RUN;
            }
        },
        None => Mapping::default(),
    };
    let request = Request {
        root: args.root.clone(),
        paths: args.paths,
        mapping,
        dry_run: args.dry_run,
    };
    match import(&request, &config, chrono::Utc::now()) {
        Ok(report) => {
            print!(
                "{}",
                report.render(&args.root.display().to_string(), args.dry_run)
            );
            if report.all_imported() {
                EXIT_OK
            } else {
                EXIT_INVALID
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_CANNOT_RUN
        }
    }
}
