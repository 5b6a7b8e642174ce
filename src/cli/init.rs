//! `hindsight init`

use std::path::PathBuf;

use crate::init::{InitOptions, init};

use super::{EXIT_CANNOT_RUN, EXIT_OK};

#[derive(clap::Args)]
pub struct Args {
    /// The folder to make the archive in; created when it does not exist.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Leave out the example postmortem and premortem.
    #[arg(long)]
    bare: bool,
}

pub fn run(args: Args) -> i32 {
    let report = match init(&args.dir, &InitOptions { bare: args.bare }) {
        Ok(report) => report,
        Err(message) => {
            eprintln!("error: {message}; nothing more was written");
            return EXIT_CANNOT_RUN;
        }
    };
    for path in &report.created {
        eprintln!("created {}", path.display());
    }
    for path in &report.skipped {
        eprintln!(
            "skipped {} (it exists already; left as it is)",
            path.display()
        );
    }
    let mut next = String::from("\nThe archive is ready. Next:\n");
    if args.dir.as_os_str() != "." {
        next.push_str(&format!("  cd {}\n", args.dir.display()));
    }
    next.push_str(
        "  hindsight serve                    preview it at http://127.0.0.1:1111\n\
         \x20 hindsight new postmortem \"Title\"   start a postmortem\n\
         \x20 hindsight check                    what CI will say about it\n",
    );
    next.push_str(&format!(
        "Then push it to GitHub; the guide says how to deploy it:\n  https://github.com/{}/tree/main/docs/guide",
        crate::init::hindsight_repository()
    ));
    eprintln!("{next}");
    EXIT_OK
}
