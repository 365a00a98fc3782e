//! pai-trigger: cron schedules that fire pipeline runs: slots, catch-up,
//! concurrency policies, an injectable clock.
//!
//! - [`plan`](plan::plan) is the pure decision step: which due slot starts,
//!   queues (catch-up), is skipped or missed;
//! - [`Trigger`] is the long-running loop: it holds the catalog lease,
//!   claims each decision in one transaction (unique per schedule and
//!   slot), launches runs through a [`Launcher`], retries failed runs and
//!   sleeps on a [`Clock`] until the next slot;
//! - [`Firing`] fires slots by hand and backfills;
//! - [`workspace_trigger`] builds the real thing for a workspace (used by
//!   `pai-engine schedule run` and `pai-engine serve --with-scheduler`).

mod clock;
mod driver;
mod error;
mod launcher;
mod manual;
mod pipeline_launcher;
pub mod plan;
mod source;

use std::path::PathBuf;
use std::sync::Arc;

pub use clock::{Clock, SimClock, Sleep, SystemClock};
pub use driver::{LEASE_NAME, Trigger, TriggerConfig, holder_id};
pub use error::TriggerError;
pub use launcher::{LaunchRequest, Launcher, RunHandle, RunResult};
pub use manual::{FireOutcome, Firing, SKIPPED_SUSPENDED, skipped_range};
pub use pipeline_launcher::{GitDescribe, PipelineLauncher};
pub use source::{ManifestWatcher, ScheduleDef, ScheduleSource, StaticSource, load_defs};

/// The trigger of a workspace: manifests in `paths` (files or
/// directories, re-read every second), runs on pai-scheduler into the
/// workspace's catalog (with `services` given to components, and each
/// run's git commit from `git`), the system clock, and the lease length
/// from `[scheduler] lease_seconds`. Start it with [`Trigger::spawn`] or
/// [`Trigger::run`] and a shutdown channel.
pub fn workspace_trigger(
    ws: &pai_store::Workspace,
    paths: Vec<PathBuf>,
    services: Option<pai_core::Services>,
    git: Option<GitDescribe>,
) -> Result<Trigger, TriggerError> {
    let catalog = Arc::new(ws.catalog()?);
    let mut launcher = PipelineLauncher::new(
        catalog.clone(),
        ws.state_dir.clone(),
        ws.default_project().to_string(),
    );
    if let Some(s) = services {
        launcher = launcher.with_services(s);
    }
    if let Some(g) = git {
        launcher = launcher.with_git(g);
    }
    Ok(Trigger::new(
        catalog,
        Arc::new(launcher),
        Arc::new(SystemClock),
        Box::new(ManifestWatcher::new(paths)),
        TriggerConfig::new(ws.config.scheduler.lease_seconds),
    ))
}
