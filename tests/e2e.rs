//! The end-to-end tests: one test binary that drives the real `pai-engine`
//! binary, one module per area. (One binary links the engine once; twelve
//! did it twelve times.)

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

mod docs;
mod eas;
mod init;
mod lorenz;
mod lsp;
mod ml;
mod models;
mod pipeline_model;
mod pmml;
mod read_only;
mod run;
mod runs;
mod schedule;
mod schedule_serve;
mod serve;
mod usage;
mod validate;
