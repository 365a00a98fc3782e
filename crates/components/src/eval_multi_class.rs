//! `eval_multi_class`: accuracy, macro/micro F1 and the confusion matrix of
//! predicted labels.

use pai_core::{Component, Error, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::evaluate::{EVAL_INPUT, METRICS_OUTPUT, labels, write_metrics};
use crate::io::input_table;
use crate::metrics::multi_class_metrics;

/// Evaluates classification into any number of classes by comparing the
/// predicted label with the actual one.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvalMultiClass {
    /// The column of the actual labels.
    pub label_col: String,
    /// The column of the predicted labels.
    #[serde(default = "default_prediction_col")]
    pub prediction_col: String,
}

fn default_prediction_col() -> String {
    "prediction_result".into()
}

impl Component for EvalMultiClass {
    const NAME: &'static str = "eval_multi_class";
    const SUMMARY: &'static str =
        "Evaluate a classifier's labels: accuracy, macro/micro F1, confusion matrix";
    const INPUTS: &'static [PortSpec] = EVAL_INPUT;
    const OUTPUTS: &'static [PortSpec] = METRICS_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let batch = input_table(ctx, "data")?;
        let actual = labels(&batch, &self.label_col)?;
        let predicted = labels(&batch, &self.prediction_col)?;
        if actual.is_empty() {
            return Err(Error::invalid(
                "the input table is empty: there is nothing to evaluate",
            ));
        }
        let m = multi_class_metrics(&actual, &predicted);
        write_metrics(ctx, serde_json::to_value(m).map_err(Error::invalid)?)
    }
}
