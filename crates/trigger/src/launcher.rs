//! How the trigger starts runs: through a [`Launcher`], so that tests use
//! a fake one and the CLI the real scheduler ([`crate::PipelineLauncher`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{oneshot, watch};

use crate::ScheduleDef;

/// One run to start.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    /// The schedule.
    pub schedule: Arc<ScheduleDef>,
    /// The slot the run is for.
    pub slot: DateTime<Utc>,
    /// The run id to use (already recorded in the fire).
    pub run_id: String,
    /// 1 for the first attempt, then 2, 3… for retries.
    pub attempt: u32,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunResult {
    /// Every node succeeded.
    Succeeded,
    /// It failed, with the reason.
    Failed(String),
    /// It was cancelled.
    Cancelled,
}

/// A started run.
#[derive(Debug)]
pub struct RunHandle {
    /// Send `true` to cancel the run. Keep it alive while the run goes.
    pub cancel: watch::Sender<bool>,
    /// Receives the result when the run ends.
    pub done: oneshot::Receiver<RunResult>,
}

/// Starts runs.
pub trait Launcher: Send + Sync {
    /// A fresh, unique run id.
    fn new_run_id(&self) -> String {
        pai_scheduler::new_run_id()
    }

    /// Starts the run and returns at once; the error is a lowercase message.
    fn start(&self, request: LaunchRequest) -> Result<RunHandle, String>;
}
