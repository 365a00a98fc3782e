//! pai-store: where pai-engine keeps its state.
//!
//! It owns the workspace (the state directory and `pai-engine.toml`), the
//! [`Catalog`] of runs, node runs and logs (SQLite by default, behind a trait
//! so that PostgreSQL can follow), and the atomic file writes that every
//! output goes through.

mod catalog;
mod config;
mod error;
pub mod fsutil;
mod sqlite;
mod workspace;

pub use catalog::{Catalog, NodeRecord, RunRecord};
pub use config::Config;
pub use error::StoreError;
pub use sqlite::SqliteCatalog;
pub use workspace::Workspace;
