//! One module per command group.

pub mod completions;
pub mod dry_run;
pub mod info;
pub mod init;
pub mod models;
pub mod oss;
pub mod pipeline_model;
pub mod pmml;
pub mod run;
pub mod runs;
pub mod runs_show;
pub mod schedule;
pub mod serve;
pub mod services;
pub mod usage;
pub mod validate;

use std::path::Path;

use anyhow::Context;
use pai_store::{Catalog, Workspace};

/// The workspace for the current directory.
pub fn workspace() -> anyhow::Result<Workspace> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    Ok(Workspace::discover(&cwd)?)
}

/// Loads and validates a manifest, printing every diagnostic on failure.
pub fn load_manifest(path: &Path) -> Option<pai_manifest::ValidatedPipeline> {
    match pai_manifest::load(path) {
        Ok(p) => Some(p),
        Err(e) => {
            for d in &e.0 {
                eprintln!("error: {d}");
            }
            None
        }
    }
}

/// Marks the runs whose process is gone `abandoned` (see
/// [`Catalog::reap_abandoned`]) and says so on stderr; every command that
/// reads runs calls it first, so that no run stays `running` forever.
pub fn reap(catalog: &dyn Catalog) {
    match catalog.reap_abandoned() {
        Ok(ids) if ids.is_empty() => {}
        Ok(ids) => {
            let list = ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>();
            eprintln!(
                "note: {} abandoned: the process that ran {} is gone ({}); `pai-engine run --resume RUN_ID` continues one",
                crate::summary::plural(ids.len(), "run", "runs"),
                if ids.len() == 1 { "it" } else { "them" },
                list.join(", ")
            );
        }
        Err(e) => tracing::warn!(error = %e, "cannot check for abandoned runs"),
    }
}
