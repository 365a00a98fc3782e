//! pai-components: the components a manifest's nodes run.
//!
//! Each component is one file named after its YAML `component` name,
//! holding its typed config struct (serde + schemars, so the JSON Schema
//! comes from the same types) and its runner. [`registry`] lists them in
//! one closed enum.

mod copy_offline_model;
mod csv_fast;
mod decision_tree;
mod delay;
mod deploy_eas;
mod eas;
mod eval_binary_class;
mod eval_multi_class;
mod eval_regression;
mod evaluate;
pub mod export;
mod export_general_model;
pub mod fitted_model;
pub mod frame;
mod gbdt_binary_classifier;
mod gbdt_regressor;
mod imputer;
pub mod io;
mod kmeans;
mod linear_regression;
mod linear_svm;
mod logistic_regression;
mod lorenz_curve;
pub mod make_pipeline_model;
pub mod metering;
mod metrics;
mod min_max_scaler;
mod model_export;
pub mod model_file;
mod naive_bayes;
pub mod offline_model;
mod one_hot_encoder;
pub mod pipeline_model;
pub mod pmml_export;
pub mod pmml_table;
mod predict;
mod preprocess;
mod read_offline_model;
mod read_pmml_model;
mod read_table;
pub mod registry;
pub mod scoring;
mod split;
mod standard_scaler;
pub mod table;
pub mod table_cache;
mod train;
mod update_eas_service;
mod write_table;

pub use registry::{ComponentConfig, all, lookup, params_schemas};
