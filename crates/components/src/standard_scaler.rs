//! `standard_scaler`: centres and scales numeric columns to zero mean and
//! unit variance.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::preprocess::{PREPROCESS_OUTPUTS, run_preprocess};
use crate::train::{DATA_INPUT, default_true};

/// Standardizes numeric columns: `(x - mean) / std` with the population
/// standard deviation, like scikit-learn's `StandardScaler`. Missing values
/// are ignored when fitting and stay missing; a constant column is only
/// centred.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardScaler {
    /// The columns to scale (default: every numeric column).
    #[serde(default)]
    pub selected_cols: Vec<String>,
    /// Subtract each column's mean.
    #[serde(default = "default_true")]
    pub with_mean: bool,
    /// Divide by each column's standard deviation.
    #[serde(default = "default_true")]
    pub with_std: bool,
}

impl Component for StandardScaler {
    const NAME: &'static str = "standard_scaler";
    const SUMMARY: &'static str = "Scale numeric columns to zero mean and unit variance";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = PREPROCESS_OUTPUTS;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::StandardScalerParams {
            selected_cols: self.selected_cols.clone(),
            with_mean: self.with_mean,
            with_std: self.with_std,
        };
        run_preprocess(ctx, self, |frame| {
            pai_ml::fit_standard_scaler(frame, &params).map(FittedModel::StandardScalerModel)
        })
    }
}
