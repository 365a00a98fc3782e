//! pai-components: the components a manifest's nodes run.
//!
//! Each component is one file named after its YAML `component` name,
//! holding its typed config struct (serde + schemars, so the JSON Schema
//! comes from the same types) and its runner. [`registry`] lists them in
//! one closed enum.

mod csv_fast;
mod delay;
pub mod io;
mod lorenz_curve;
pub mod pmml_table;
mod read_table;
pub mod registry;
mod split;
pub mod table;
mod write_table;

pub use registry::{ComponentConfig, all, lookup, params_schemas};
