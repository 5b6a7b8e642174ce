//! `hindsight new`

use std::path::PathBuf;

use crate::diagnostic::Format;
use crate::document::Kind;
use crate::new::{NewError, Request, create, service_warnings};

use super::{EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK, print_diagnostics};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Start a postmortem: content/postmortems/<today>-<slug of title>.md
    Postmortem {
        title: String,
        /// A service the incident affected (repeat for several).
        #[arg(long = "service", value_name = "ID")]
        services: Vec<String>,
        /// A severity id from hindsight.toml [default: the least severe]
        #[arg(long, value_name = "ID")]
        severity: Option<String>,
        /// The archive repository.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Start a premortem: content/premortems/<slug of title>.md
    Premortem {
        title: String,
        /// A service the project concerns (repeat for several).
        #[arg(long = "service", value_name = "ID")]
        services: Vec<String>,
        /// The archive repository.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

pub fn run(args: Args) -> i32 {
    let (root, request) = match args.what {
        What::Postmortem {
            title,
            services,
            severity,
            root,
        } => (
            root,
            Request {
                kind: Kind::Postmortem,
                title,
                services,
                severity,
            },
        ),
        What::Premortem {
            title,
            services,
            root,
        } => (
            root,
            Request {
                kind: Kind::Premortem,
                title,
                services,
                severity: None,
            },
        ),
    };
    if !root.is_dir() {
        eprintln!("error: {} is not a directory", root.display());
        return EXIT_CANNOT_RUN;
    }
    match create(&root, &request, chrono::Local::now().fixed_offset()) {
        Ok(path) => {
            println!("{}", root.join(path).display());
            for warning in service_warnings(&root, &request) {
                eprintln!("warning: {warning}");
            }
            EXIT_OK
        }
        Err(NewError::BadRequest { message, hint }) => {
            eprintln!("error: {message}");
            eprintln!("help: {hint}");
            EXIT_CANNOT_RUN
        }
        Err(NewError::Exists(path)) => {
            eprintln!(
                "error: {} already exists; nothing was written",
                root.join(path).display()
            );
            eprintln!("help: edit that file, or choose another title");
            EXIT_INVALID
        }
        Err(NewError::Failed(diagnostics)) => {
            print_diagnostics(&root, &diagnostics, Format::Human);
            EXIT_INVALID
        }
    }
}
