//! `predict`: applies a stored model to a table — predictions (with class
//! probabilities or cluster distances) for a trained model, the transformed
//! table for a preprocessing stage.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Schema};
use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use pai_ml::{Detail, PredictedValues, PredictionOutput};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::{Applied, FittedModel};
use crate::frame::{TableColumns, ValueType, labels_to_array};
use crate::io::{input_table, output_table};
use crate::model_file::{LoadedModel, read_model};
use crate::preprocess::transform_batch;
use crate::train::ml_error;

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
        let LoadedModel { meta, model } = read_model(&model_path)?;
        let batch = input_table(ctx, "data")?;
        let columns = TableColumns::new(&batch)?;
        let frame = columns.frame();
        let out = match model.apply(&frame).map_err(ml_error)? {
            Applied::Transform(replacements) => transform_batch(&batch, &model, &replacements)?,
            Applied::Prediction(p) => {
                let label_ty = meta.label.as_ref().map_or(ValueType::String, |l| l.ty);
                self.prediction_table(&batch, &model, label_ty, &p)?
            }
        };
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
    /// Scores a PMML document (from `read_pmml_model`): the reserved columns
    /// followed by the document's output columns, named as JPMML names them.
    fn run_pmml(&self, ctx: &RunContext, path: &std::path::Path) -> Result<NodeOutputs> {
        let model = crate::pmml_table::load_pmml(path)?;
        let batch = input_table(ctx, "data")?;
        let scored = crate::pmml_table::score_table(&model, &batch)?;
        let (mut fields, mut arrays, names) = self.reserved(&batch)?;
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

    /// The reserved input columns: their fields, arrays and names.
    fn reserved(&self, batch: &RecordBatch) -> Result<(Vec<Field>, Vec<ArrayRef>, Vec<String>)> {
        let schema = batch.schema();
        let names: Vec<String> = match &self.reserved_cols {
            Some(r) => r.clone(),
            None => schema.fields().iter().map(|f| f.name().clone()).collect(),
        };
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for name in &names {
            let (i, field) = schema.column_with_name(name).ok_or_else(|| {
                Error::invalid(format!(
                    "`reserved_cols` names `{name}`, which is not a column of the input"
                ))
            })?;
            fields.push(field.clone());
            arrays.push(batch.column(i).clone());
        }
        Ok((fields, arrays, names))
    }

    /// The reserved columns followed by the prediction and its detail.
    fn prediction_table(
        &self,
        batch: &RecordBatch,
        model: &FittedModel,
        label_ty: ValueType,
        p: &PredictionOutput,
    ) -> Result<RecordBatch> {
        let (mut fields, mut arrays, names) = self.reserved(batch)?;
        let prediction: ArrayRef = match &p.values {
            PredictedValues::Labels(codes) if model.is_clustering() => {
                Arc::new(codes.iter().map(|&c| i64::from(c)).collect::<Int64Array>())
            }
            PredictedValues::Labels(codes) => labels_to_array(&p.classes, codes, label_ty),
            PredictedValues::Numbers(v) => Arc::new(Float64Array::from(v.clone())),
        };
        let mut add = |name: &str, array: ArrayRef| -> Result<()> {
            if names.iter().any(|n| n == name) {
                return Err(Error::invalid(format!(
                    "the output column `{name}` is already an input column; choose another name, or leave `{name}` out of `reserved_cols`"
                )));
            }
            fields.push(Field::new(name, array.data_type().clone(), true));
            arrays.push(array);
            Ok(())
        };
        add(&self.prediction_col, prediction)?;
        if let Some(detail) = &p.detail {
            add(
                &self.prediction_detail_col,
                detail_json(detail, batch.num_rows()),
            )?;
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(Error::invalid)
    }
}

/// Each row's detail as a JSON object string, keys in model order.
fn detail_json(detail: &Detail, rows: usize) -> ArrayRef {
    let k = detail.keys.len();
    let texts: Vec<String> = (0..rows)
        .map(|r| {
            let mut m = serde_json::Map::new();
            for (j, key) in detail.keys.iter().enumerate() {
                let v = detail.values.get(r * k + j).copied().unwrap_or(f64::NAN);
                m.insert(key.clone(), serde_json::Value::from(v));
            }
            serde_json::Value::Object(m).to_string()
        })
        .collect();
    Arc::new(StringArray::from(texts))
}
