//! Scoring a table with a stored model: the table `predict` writes — the
//! reserved input columns with the prediction and its detail, or the
//! transformed table of a preprocessing stage — for a single model or a
//! pipeline model applied stage by stage. Online serving uses the same
//! function, so its answers equal batch `predict`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Schema};
use pai_core::{Error, Result};
use pai_ml::{Detail, PredictedValues, PredictionOutput};

use crate::fitted_model::{Applied, FittedModel};
use crate::frame::{TableColumns, ValueType, labels_to_array};
use crate::model_file::LoadedModel;
use crate::preprocess::transform_batch;
use crate::train::ml_error;

/// The output columns of a scoring.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// The prediction column (default `prediction_result`).
    pub prediction_col: String,
    /// The detail column (default `prediction_detail`).
    pub prediction_detail_col: String,
    /// The input columns copied to the output (default: all of them).
    pub reserved_cols: Option<Vec<String>>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            prediction_col: "prediction_result".into(),
            prediction_detail_col: "prediction_detail".into(),
            reserved_cols: None,
        }
    }
}

/// Applies `loaded` to `batch`: what `predict` writes.
pub fn score_batch(
    loaded: &LoadedModel,
    batch: &RecordBatch,
    opts: &ScoreOptions,
) -> Result<RecordBatch> {
    let stages: Vec<&LoadedModel> = match &loaded.model {
        FittedModel::PipelineModel(p) => p.stages.iter().collect(),
        _ => vec![loaded],
    };
    let mut current = batch.clone();
    for (i, stage) in stages.iter().enumerate() {
        let columns = TableColumns::new(&current)?;
        let applied = stage.model.apply(&columns.frame()).map_err(|e| {
            if stages.len() > 1 {
                Error::invalid(format!(
                    "pipeline stage {} (`{}`): {e}",
                    i + 1,
                    stage.meta.model_class
                ))
            } else {
                ml_error(e)
            }
        })?;
        match applied {
            Applied::Transform(replacements) => {
                current = transform_batch(&current, &stage.model, &replacements)?;
            }
            Applied::Prediction(p) => {
                let label_ty = stage
                    .meta
                    .label
                    .as_ref()
                    .map_or(ValueType::String, |l| l.ty);
                return prediction_table(opts, batch, &stage.model, label_ty, &p);
            }
        }
    }
    Ok(current)
}

/// The reserved input columns: their fields, arrays and names.
pub fn reserved(
    batch: &RecordBatch,
    reserved_cols: Option<&[String]>,
) -> Result<(Vec<Field>, Vec<ArrayRef>, Vec<String>)> {
    let schema = batch.schema();
    let names: Vec<String> = match reserved_cols {
        Some(r) => r.to_vec(),
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
    opts: &ScoreOptions,
    batch: &RecordBatch,
    model: &FittedModel,
    label_ty: ValueType,
    p: &PredictionOutput,
) -> Result<RecordBatch> {
    let (mut fields, mut arrays, names) = reserved(batch, opts.reserved_cols.as_deref())?;
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
    add(&opts.prediction_col, prediction)?;
    if let Some(detail) = &p.detail {
        add(
            &opts.prediction_detail_col,
            detail_json(detail, batch.num_rows()),
        )?;
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(Error::invalid)
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
