//! pai-scheduler: runs a validated pipeline.
//!
//! Nodes run in topological order; independent nodes run concurrently up to
//! the parallelism, each attempt on a blocking thread. It owns node states,
//! retries with backoff, timeouts, cancellation, fail-fast, resume, the
//! atomic publication of outputs, and recording all of it in the catalog.

mod error;
mod events;
mod executor;
mod publish;
mod recorder;
mod run;

pub use error::SchedulerError;
pub use events::{Event, Observer};
pub use executor::{ComponentExecutor, NodeExecutor};
pub use run::{RunOptions, RunOutcome, Scheduler, new_run_id};
