//! `imputer`: fills missing values (nulls and NaN).

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::preprocess::{PREPROCESS_OUTPUTS, run_preprocess};
use crate::train::DATA_INPUT;

/// Fills the missing values of the selected columns with a value learned
/// from the training table, like scikit-learn's `SimpleImputer`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Imputer {
    /// The columns to fill (default: every column).
    #[serde(default)]
    pub selected_cols: Vec<String>,
    /// How each column's fill value is chosen.
    #[serde(default)]
    pub strategy: Strategy,
    /// The fill value of `strategy: constant` (a number or a string); default
    /// 0 for numeric columns and `missing_value` for text columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_value: Option<Fill>,
}

/// How the fill value is chosen.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The mean of the present values (numeric columns).
    #[default]
    Mean,
    /// The median of the present values (numeric columns).
    Median,
    /// The most frequent value, the smallest on ties.
    MostFrequent,
    /// `fill_value`.
    Constant,
}

/// A constant fill value.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Fill {
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
}

impl Component for Imputer {
    const NAME: &'static str = "imputer";
    const SUMMARY: &'static str = "Fill missing values with a mean, median, mode or constant";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = PREPROCESS_OUTPUTS;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::ImputerParams {
            selected_cols: self.selected_cols.clone(),
            strategy: match self.strategy {
                Strategy::Mean => pai_ml::ImputeStrategy::Mean,
                Strategy::Median => pai_ml::ImputeStrategy::Median,
                Strategy::MostFrequent => pai_ml::ImputeStrategy::MostFrequent,
                Strategy::Constant => pai_ml::ImputeStrategy::Constant,
            },
            fill_value: self.fill_value.clone().map(|f| match f {
                Fill::Number(x) => pai_ml::FillValue::Number(x),
                Fill::Text(s) => pai_ml::FillValue::Text(s),
            }),
        };
        run_preprocess(ctx, self, |frame| {
            pai_ml::fit_imputer(frame, &params).map(FittedModel::ImputerModel)
        })
    }
}
