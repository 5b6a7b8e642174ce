//! `hindsight serve`

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use crate::config::Edition;
use crate::serve::{ServeOptions, serve};

use super::build::EditionArg;
use super::{EXIT_CANNOT_RUN, EXIT_OK};

#[derive(clap::Args)]
pub struct Args {
    /// The archive repository.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The port to listen on; the next free one is used if it is taken (0: any free port).
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// The address to listen on. Only this machine can connect to the default; another
    /// address makes drafts and internal documents readable by whoever can reach it.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Which audience to preview [default: edition from hindsight.toml, else internal]
    #[arg(long, value_enum)]
    edition: Option<EditionArg>,
}

pub fn run(args: Args) -> i32 {
    if let Some(code) = super::refuse_outside_archive(&args.root) {
        return code;
    }
    let options = ServeOptions {
        root: args.root,
        bind: args.bind,
        port: args.port,
        edition: args.edition.map(Edition::from),
    };
    match serve(&options) {
        Ok(()) => EXIT_OK,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_CANNOT_RUN
        }
    }
}
