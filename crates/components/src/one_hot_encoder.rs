//! `one_hot_encoder`: replaces categorical columns by 0/1 indicator columns.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::preprocess::{PREPROCESS_OUTPUTS, run_preprocess};
use crate::train::DATA_INPUT;

/// Replaces each selected text (or integer) column by one 0/1 indicator
/// column per category, named `<column>_<category>`, categories sorted;
/// like scikit-learn's `OneHotEncoder`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OneHotEncoder {
    /// The columns to encode (default: every text column).
    #[serde(default)]
    pub selected_cols: Vec<String>,
    /// Leave out the indicator of each column's last category.
    #[serde(default)]
    pub drop_last: bool,
    /// What a category not seen in training does when the model is applied.
    #[serde(default)]
    pub handle_unknown: UnknownCategory,
}

/// What a category not seen in training does.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCategory {
    /// Fail, naming the column, row and value.
    #[default]
    Error,
    /// Encode it as all zeros.
    Ignore,
}

impl Component for OneHotEncoder {
    const NAME: &'static str = "one_hot_encoder";
    const SUMMARY: &'static str = "Replace categorical columns by 0/1 indicator columns";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = PREPROCESS_OUTPUTS;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::OneHotEncoderParams {
            selected_cols: self.selected_cols.clone(),
            drop_last: self.drop_last,
            handle_unknown: match self.handle_unknown {
                UnknownCategory::Error => pai_ml::HandleUnknown::Error,
                UnknownCategory::Ignore => pai_ml::HandleUnknown::Ignore,
            },
        };
        run_preprocess(ctx, self, |frame| {
            pai_ml::fit_one_hot_encoder(frame, &params).map(FittedModel::OneHotEncoderModel)
        })
    }
}
