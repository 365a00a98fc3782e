//! pai-manifest: pipeline manifests.
//!
//! It owns the manifest's document types, the JSON Schema generated from
//! them and from every component's params, validation with line:column
//! diagnostics, and the DAG that the scheduler executes.

mod dag;
mod diagnostic;
mod model;
mod pipeline;
mod positions;
pub mod render;
mod schema;
mod validate;

pub use diagnostic::{Diagnostic, ManifestError};
pub use model::ManifestDoc;
pub use pipeline::{InputEdge, RetryPolicy, ValidatedNode, ValidatedPipeline};
pub use schema::{SCHEMA_ID, manifest_schema};
pub use validate::{load, validate_str};
