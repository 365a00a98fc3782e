//! `predict`: applies a stored model to a table — predictions (with class
//! probabilities or cluster distances) for a trained model, the transformed
//! table for a preprocessing stage.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::io::{input_table, output_table};
use crate::model_file::read_model;
use crate::scoring::{ScoreOptions, reserved, score_batch};

/// Applies a model to a table. A trained model adds the prediction and its
/// detail (a JSON object of each class's probability, of each class's
/// decision value for `linear_svm`, or of the distance to each cluster) to
/// the reserved input columns; a preprocessing model
/// (scaler, encoder, imputer) outputs the transformed table.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Predict {
    /// The output column of the predicted label, value or cluster.
    #[serde(default = "default_prediction_col")]
    pub prediction_col: String,
    /// The output column of the per-row detail, a JSON object string; not
    /// written for models without probabilities (regressors).
    #[serde(default = "default_detail_col")]
    pub prediction_detail_col: String,
    /// The input columns copied to the output (default: all of them); not
    /// used with a preprocessing model, whose output is the whole
    /// transformed table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_cols: Option<Vec<String>>,
}

fn default_prediction_col() -> String {
    "prediction_result".into()
}

fn default_detail_col() -> String {
    "prediction_detail".into()
}

impl Component for Predict {
    const NAME: &'static str = "predict";
    const SUMMARY: &'static str =
        "Apply a model to a table: predictions, or the transform of a preprocessing stage";
    const INPUTS: &'static [PortSpec] = &[
        PortSpec::required("model", PortType::Model, "the model to apply"),
        PortSpec::required("data", PortType::Table, "the table to score"),
    ];
    const OUTPUTS: &'static [PortSpec] = &[PortSpec::required(
        "output",
        PortType::Table,
        "the reserved columns with the predictions, or the transformed table",
    )];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let model_path = ctx.input("model")?.path.clone();
        if model_path.extension().is_some_and(|e| e == "pmml") {
            return self.run_pmml(ctx, &model_path);
        }
        let loaded = read_model(&model_path)?;
        let batch = input_table(ctx, "data")?;
        let out = score_batch(&loaded, &batch, &self.options())?;
        let meta = &loaded.meta;
        ctx.log(
            "info",
            format!(
                "applied `{}` ({}) to {} rows",
                meta.model_class,
                meta.lineage.node,
                out.num_rows()
            ),
        );
        ctx.set_metrics(
            serde_json::json!({ "rows": out.num_rows(), "model_class": meta.model_class }),
        );
        Ok(NodeOutputs::default().with("output", output_table(ctx, "output", &out)?))
    }
}

impl Predict {
    fn options(&self) -> ScoreOptions {
        ScoreOptions {
            prediction_col: self.prediction_col.clone(),
            prediction_detail_col: self.prediction_detail_col.clone(),
            reserved_cols: self.reserved_cols.clone(),
        }
    }

    /// Scores a PMML document (from `read_pmml_model`): the reserved columns
    /// followed by the document's output columns, named as JPMML names them.
    fn run_pmml(&self, ctx: &RunContext, path: &std::path::Path) -> Result<NodeOutputs> {
        let model = crate::pmml_table::load_pmml(path)?;
        let batch = input_table(ctx, "data")?;
        let scored = crate::pmml_table::score_table(&model, &batch)?;
        let (mut fields, mut arrays, names) = reserved(&batch, self.reserved_cols.as_deref())?;
        for (field, array) in scored.schema().fields().iter().zip(scored.columns()) {
            if names.iter().any(|n| n == field.name()) {
                return Err(Error::invalid(format!(
                    "the model's output column `{}` is already an input column; leave it out of `reserved_cols`",
                    field.name()
                )));
            }
            fields.push(field.as_ref().clone());
            arrays.push(array.clone());
        }
        let out =
            RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(Error::invalid)?;
        ctx.log(
            "info",
            format!(
                "scored {} rows with PMML `{}`",
                out.num_rows(),
                path.display()
            ),
        );
        ctx.set_metrics(serde_json::json!({ "rows": out.num_rows(), "model_class": "PMML" }));
        Ok(NodeOutputs::default().with("output", output_table(ctx, "output", &out)?))
    }
}
