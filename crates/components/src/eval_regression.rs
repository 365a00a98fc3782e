//! `eval_regression`: MSE, RMSE, MAE, R² and explained variance of
//! predicted values.

use pai_core::{Component, Error, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::evaluate::{EVAL_INPUT, METRICS_OUTPUT, write_metrics};
use crate::frame::column_as_numbers;
use crate::io::input_table;
use crate::metrics::regression_metrics;

/// Evaluates a regression by comparing the predicted value with the actual one.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvalRegression {
    /// The column of the actual values.
    pub label_col: String,
    /// The column of the predicted values.
    #[serde(default = "default_prediction_col")]
    pub prediction_col: String,
}

fn default_prediction_col() -> String {
    "prediction_result".into()
}

impl Component for EvalRegression {
    const NAME: &'static str = "eval_regression";
    const SUMMARY: &'static str = "Evaluate a regression: MSE, RMSE, MAE, R², explained variance";
    const INPUTS: &'static [PortSpec] = EVAL_INPUT;
    const OUTPUTS: &'static [PortSpec] = METRICS_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let batch = input_table(ctx, "data")?;
        let y = column_as_numbers(&batch, &self.label_col)?;
        let p = column_as_numbers(&batch, &self.prediction_col)?;
        if y.is_empty() {
            return Err(Error::invalid(
                "the input table is empty: there is nothing to evaluate",
            ));
        }
        for (name, v) in [(&self.label_col, &y), (&self.prediction_col, &p)] {
            if let Some(row) = v.iter().position(|x| x.is_nan()) {
                return Err(Error::invalid(format!(
                    "column `{name}`, row {row}: null or NaN value; every row needs a value to be evaluated"
                )));
            }
        }
        let m = regression_metrics(&y, &p);
        write_metrics(ctx, serde_json::to_value(m).map_err(Error::invalid)?)
    }
}
