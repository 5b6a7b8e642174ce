//! `hindsight check`

use std::path::PathBuf;

use crate::archive::LinkOptions;
use crate::build::load_and_link;
use crate::diagnostic::Format;
use crate::load::LoadOptions;

use super::{EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK, print_diagnostics, summary_line};

#[derive(clap::Args)]
pub struct Args {
    /// The archive repository.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Report only on these files (a pull request's changed files); references still resolve
    /// against the whole archive.
    files: Vec<PathBuf>,
}

pub fn run(args: Args) -> i32 {
    let options = LoadOptions {
        root: args.root.clone(),
        edition: None,
        base_url: None,
        render_html: false,
    };
    let diagnostics = match load_and_link(&options, LinkOptions { drafts: true }) {
        Ok((_, diagnostics)) => diagnostics,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_CANNOT_RUN;
        }
    };
    print_diagnostics(&args.root, &diagnostics, args.format);
    if args.format == Format::Human {
        eprintln!("{}", summary_line(&diagnostics));
    }
    if diagnostics.iter().any(|d| d.is_error()) {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}
