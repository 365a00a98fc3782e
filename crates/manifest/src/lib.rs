//! pai-manifest: pipeline manifests.
//!
//! It owns the manifest's document types, the JSON Schema generated from
//! them and from every component's params, validation with line:column
//! diagnostics, the DAG that the scheduler executes, and reshapings of it
//! (a subset of nodes, an appended node).

mod dag;
mod diagnostic;
mod editor_hints;
mod model;
mod pipeline;
mod positions;
pub mod render;
mod reshape;
mod schedules;
mod schema;
mod validate;
mod vars;

pub use diagnostic::{Diagnostic, ManifestError};
pub use model::ManifestDoc;
pub use pipeline::{InputEdge, RetryPolicy, ValidatedNode, ValidatedPipeline};
pub use reshape::{InputRef, NewNode};
pub use schedules::{
    Catchup, ConcurrencyPolicy, CronSpec, Schedule, ScheduleDoc, ScheduleRetries,
    ScheduledPipeline, parse_cron, parse_timezone,
};
pub use schema::{SCHEMA_ID, manifest_schema, params_ref};
pub use validate::{load, load_scheduled, validate_scheduled, validate_str};
pub use vars::{Vars, now_vars, slot_vars, substitute};
