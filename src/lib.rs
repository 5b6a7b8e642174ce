//! hindsight: a static-site generator for postmortem archives.
//!
//! The program is one pipeline with plain data between its phases:
//!
//! ```text
//! content files --load--> Documents + Diagnostics --link--> Archive --render--> Site --write--> output dir
//! ```
//!
//! [`load`] reads and parses files, [`archive`] links them, [`render`] makes pages, `write`
//! swaps the output in. [`pipeline`] runs them for every command, [`build`] drives `build`,
//! `cli` parses arguments. Modules are `pub` where `main`, the integration tests, the
//! benchmarks or the examples use them, `pub(crate)` otherwise.

pub mod archive;
pub mod build;
pub(crate) mod check;
pub mod cli;
pub(crate) mod clock;
pub mod config;
pub mod config_reference;
pub mod diagnostic;
pub(crate) mod digest;
pub mod document;
pub(crate) mod field_errors;
pub(crate) mod highlight;
pub(crate) mod import;
pub mod incremental;
pub(crate) mod init;
pub mod load;
pub mod markdown;
pub mod metrics;
pub(crate) mod new;
pub(crate) mod packed;
pub mod pipeline;
pub mod related;
pub mod render;
pub mod seal;
pub mod serve;
pub(crate) mod site_path;
pub(crate) mod stamp;
pub mod theme;
pub mod timeline;
pub(crate) mod timing;
pub(crate) mod write;
pub(crate) mod zone;
