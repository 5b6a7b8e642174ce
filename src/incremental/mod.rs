//! Reuse: everything a build keeps for the next one, in `.hindsight-cache/` at the archive
//! root, and the record of the last build. The only module that reads or writes that folder
//! or knows its files' formats. The phases (load, check, link, render) declare what they can
//! take from an earlier build in their own terms (a trait or plain data in their module);
//! [`kept`] implements those from the files here, and the driver hands them in.
//!
//! - [`uptodate`]: the last build's record, and whether a build can stop at once.
//! - [`bodies`]: each document's front matter and analysed body, by key.
//! - [`highlights`]: highlighted code blocks, by language and text.
//! - [`cache`]: the cache folder's files, written whole and sealed ([`crate::seal`]), and
//!   read back checked; the lists made from every document ([`cache::Kept`]).
//! - [`kept`]: what each phase takes, made from those files.

pub mod bodies;
pub mod cache;
pub mod highlights;
pub mod kept;
pub mod uptodate;
