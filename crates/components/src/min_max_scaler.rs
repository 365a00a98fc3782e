//! `min_max_scaler`: rescales numeric columns linearly to `[min, max]`.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::preprocess::{PREPROCESS_OUTPUTS, run_preprocess};
use crate::train::DATA_INPUT;

/// Rescales numeric columns so that the training range maps onto
/// `[min, max]`, like scikit-learn's `MinMaxScaler`. Missing values stay
/// missing; a constant column maps to `min`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MinMaxScaler {
    /// The columns to scale (default: every numeric column).
    #[serde(default)]
    pub selected_cols: Vec<String>,
    /// The lower end of the output range.
    #[serde(default)]
    pub min: f64,
    /// The upper end of the output range.
    #[serde(default = "default_max")]
    pub max: f64,
}

fn default_max() -> f64 {
    1.0
}

impl Component for MinMaxScaler {
    const NAME: &'static str = "min_max_scaler";
    const SUMMARY: &'static str = "Rescale numeric columns linearly to [min, max]";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = PREPROCESS_OUTPUTS;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::MinMaxScalerParams {
            selected_cols: self.selected_cols.clone(),
            min: self.min,
            max: self.max,
        };
        run_preprocess(ctx, self, |frame| {
            pai_ml::fit_min_max_scaler(frame, &params).map(FittedModel::MinMaxScalerModel)
        })
    }
}
