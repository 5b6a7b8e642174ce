//! Helpers shared by the integration tests. Each test binary uses some of them.
#![allow(dead_code)]

pub mod browser;
pub mod corpora;
