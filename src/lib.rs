//! hindsight: a static-site generator for postmortem archives.
//!
//! The program is one pipeline with plain data between its phases:
//!
//! ```text
//! content files --load--> Documents + Diagnostics --link--> Archive --render--> Site --write--> output dir
//! ```
//!
//! [`load`] reads and parses files, [`archive`] links them, [`render`] makes pages, [`write`]
//! swaps the output in. [`build`] runs them in order; `cli` only parses arguments.

pub mod archive;
pub mod build;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod config_reference;
pub mod diagnostic;
pub mod digest;
pub mod document;
pub mod field_errors;
pub mod highlight;
pub mod import;
pub mod incremental;
pub mod init;
pub mod load;
pub mod markdown;
pub mod metrics;
pub mod new;
pub mod packed;
pub mod pipeline;
pub mod related;
pub mod render;
pub mod seal;
pub mod serve;
pub mod site_path;
pub mod stamp;
pub mod theme;
pub mod timeline;
pub mod timing;
pub mod write;
pub mod zone;

// Old paths of modules that moved into `incremental`, kept while branches that still name
// them are merged; the phases name none of them.
pub use incremental::{cache, uptodate};
