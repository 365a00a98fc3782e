//! `eval_binary_class`: AUC, KS, accuracy, precision, recall, F1, log-loss
//! and the confusion matrix of a binary classifier's probabilities.

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use pai_core::{Component, Error, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::evaluate::{EVAL_INPUT, METRICS_OUTPUT, labels, write_metrics};
use crate::frame::column;
use crate::io::input_table;
use crate::metrics::binary_metrics;

/// Evaluates binary classification: reads the probability of
/// `positive_label` from the prediction detail of each row (the output of
/// `predict`); a row is predicted positive when it is at least 0.5.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvalBinaryClass {
    /// The column of the actual labels.
    pub label_col: String,
    /// The column of the prediction detail: a JSON object of each class's probability.
    #[serde(default = "default_detail_col")]
    pub prediction_detail_col: String,
    /// The positive class, as it prints (`1` for a 0/1 label).
    #[serde(default = "default_positive")]
    pub positive_label: String,
}

fn default_detail_col() -> String {
    "prediction_detail".into()
}

fn default_positive() -> String {
    "1".into()
}

impl Component for EvalBinaryClass {
    const NAME: &'static str = "eval_binary_class";
    const SUMMARY: &'static str =
        "Evaluate a binary classifier: AUC, KS, accuracy, precision, recall, F1, log-loss";
    const INPUTS: &'static [PortSpec] = EVAL_INPUT;
    const OUTPUTS: &'static [PortSpec] = METRICS_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let batch = input_table(ctx, "data")?;
        let actual = labels(&batch, &self.label_col)?;
        let detail_name = &self.prediction_detail_col;
        let detail = column(&batch, detail_name)?;
        if detail.data_type() != &DataType::Utf8 {
            return Err(Error::invalid(format!(
                "column `{detail_name}` holds {} values; it must be the JSON detail written by `predict`",
                detail.data_type()
            )));
        }
        let detail = detail.as_string::<i32>();
        let mut scores = Vec::with_capacity(actual.len());
        for row in 0..detail.len() {
            let bad =
                |what: &str| Error::invalid(format!("column `{detail_name}`, row {row}: {what}"));
            if detail.is_null(row) {
                return Err(bad("null value"));
            }
            let obj: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(detail.value(row))
                    .map_err(|e| bad(&format!("not a JSON object of probabilities: {e}")))?;
            let p = obj
                .get(&self.positive_label)
                .and_then(serde_json::Value::as_f64)
                .ok_or_else(|| {
                    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                    bad(&format!(
                        "no probability for `positive_label` `{}` (keys: {})",
                        self.positive_label,
                        keys.join(", ")
                    ))
                })?;
            scores.push(p);
        }
        let positive: Vec<bool> = actual.iter().map(|a| *a == self.positive_label).collect();
        let m = binary_metrics(&scores, &positive).map_err(|e| {
            Error::invalid(format!(
                "label column `{}` with `positive_label` `{}`: {e}",
                self.label_col, self.positive_label
            ))
        })?;
        write_metrics(ctx, serde_json::to_value(m).map_err(Error::invalid)?)
    }
}
