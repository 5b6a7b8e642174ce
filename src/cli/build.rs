//! `hindsight build`

use std::path::PathBuf;
use std::time::Instant;

use crate::build::{BuildError, BuildOptions, build};
use crate::config::{Edition, base_url_problem};
use crate::diagnostic::Format;

use super::{EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK, print_diagnostics, summary_line};

#[derive(clap::Args)]
pub struct Args {
    /// The archive repository.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Where to write the site [default: <root>/public]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override base_url from hindsight.toml (for deploy previews).
    #[arg(long)]
    base_url: Option<String>,
    /// Which audience to build for [default: edition from hindsight.toml, else internal]
    #[arg(long, value_enum)]
    edition: Option<EditionArg>,
    /// Include postmortems with status = "draft".
    #[arg(long)]
    drafts: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum EditionArg {
    Internal,
    Public,
}

impl From<EditionArg> for Edition {
    fn from(e: EditionArg) -> Self {
        match e {
            EditionArg::Internal => Edition::Internal,
            EditionArg::Public => Edition::Public,
        }
    }
}

pub fn run(args: Args) -> i32 {
    if let Some(code) = super::refuse_outside_archive(&args.root) {
        return code;
    }
    if let Some(problem) = args.base_url.as_deref().and_then(base_url_problem) {
        eprintln!("error: --base-url: {problem}");
        return EXIT_CANNOT_RUN;
    }
    let started = Instant::now();
    let options = BuildOptions {
        root: args.root.clone(),
        out: args.out,
        edition: args.edition.map(Edition::from),
        base_url: args.base_url,
        drafts: args.drafts,
    };
    match build(&options) {
        Ok(report) => {
            if !report.warnings.is_empty() {
                print_diagnostics(&args.root, &report.warnings, Format::Human);
            }
            let seconds = started.elapsed().as_secs_f64();
            match report.unchanged {
                true => eprintln!(
                    "{} is up to date: nothing changed since its last build ({} documents, {} files; checked in {seconds:.2} s)",
                    report.out.display(),
                    report.documents,
                    report.files,
                ),
                false => eprintln!(
                    "built {} documents into {} files in {} in {seconds:.2} s",
                    report.documents,
                    report.files,
                    report.out.display(),
                ),
            }
            EXIT_OK
        }
        Err(BuildError::Invalid(diagnostics)) => {
            print_diagnostics(&args.root, &diagnostics, Format::Human);
            eprintln!(
                "error: the archive has errors ({}); nothing was written",
                summary_line(&diagnostics)
            );
            EXIT_INVALID
        }
        Err(cannot @ (BuildError::Load(_) | BuildError::Write(_))) => {
            eprintln!("error: {cannot}");
            EXIT_CANNOT_RUN
        }
    }
}
