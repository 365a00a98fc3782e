//! pai-serve: `pai-engine serve`, the online serving process.
//!
//! One process hosts any number of services. The desired state of each
//! lives in the catalog ([`pai_store::ServiceCatalog`]); the process
//! reconciles toward it (see [`reconcile`]), so more replicas could serve
//! the same catalog. It answers:
//!
//! - the admin API (`/api/v2/services…`, admin token) — [`admin`];
//! - the EAS predict API (`/api/predict/{service}`, service token) —
//!   [`predict`];
//! - the KServe V2 / Open Inference Protocol (`/v2/…`) — [`v2`];
//! - Prometheus metrics (`/metrics`) and its OpenAPI document
//!   (`/openapi.json`).
//!
//! Models are served through the [`model::ServingModel`] seam (PMML and
//! the native format). Bad input never panics and never answers 500.

pub mod admin;
pub mod app;
mod error;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod predict;
pub mod reconcile;
pub mod registry;
pub mod routes;
pub mod rows;
mod rows_fast;
pub mod server;
pub mod status;
pub mod token;
pub mod v2;
pub mod v2_answer;
pub mod v2_codec;

pub use error::{ServeError, error_response};
pub use server::{DEFAULT_MAX_BODY_BYTES, ServeOptions, router, run};
