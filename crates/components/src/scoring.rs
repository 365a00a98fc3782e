//! Scoring a table with a stored model: the table `predict` writes — the
//! reserved input columns with the prediction and its detail, or the
//! transformed table of a preprocessing stage — for a single model or a
//! pipeline model applied stage by stage. Online serving uses the same
//! function, so its answers equal batch `predict`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{Field, Schema};
use pai_core::{Error, Result};
use pai_ml::{Detail, PredictedValues, PredictionOutput};
use rayon::prelude::*;

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
            detail_json(detail, batch.num_rows())?,
        )?;
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(Error::invalid)
}

/// Rows per parallel piece of [`detail_json`].
const DETAIL_CHUNK: usize = 16 * 1024;

/// Each row's detail as a JSON object string, keys in model order.
///
/// The text is exactly what serializing a `serde_json::Map` of the row
/// prints (keys escaped by serde_json, numbers formatted by serde_json's own
/// float writer, NaN and infinities as `null`), but it is written straight
/// into one buffer per chunk of rows, in parallel, instead of building a map
/// and a `String` per row.
fn detail_json(detail: &Detail, rows: usize) -> Result<ArrayRef> {
    let k = detail.keys.len();
    let mut seen = std::collections::HashSet::new();
    if !detail.keys.iter().all(|key| seen.insert(key.as_str())) {
        // A repeated key keeps its first position and its last value in a
        // map: rare enough to build the maps.
        return Ok(detail_json_via_maps(detail, rows));
    }
    // `{"key":` for the first key, `,"key":` for the others.
    let prefixes: Vec<Vec<u8>> = detail
        .keys
        .iter()
        .enumerate()
        .map(|(j, key)| {
            let mut p = vec![if j == 0 { b'{' } else { b',' }];
            serde_json::to_writer(&mut p, key).map_err(Error::invalid)?;
            p.push(b':');
            Ok(p)
        })
        .collect::<Result<_>>()?;
    let chunks: Vec<(Vec<u8>, Vec<usize>)> = (0..rows.div_ceil(DETAIL_CHUNK))
        .into_par_iter()
        .map(|c| {
            let range = c * DETAIL_CHUNK..rows.min((c + 1) * DETAIL_CHUNK);
            let mut text = Vec::with_capacity(range.len() * (2 + k * 28));
            let mut ends = Vec::with_capacity(range.len());
            for r in range {
                for (j, prefix) in prefixes.iter().enumerate() {
                    text.extend_from_slice(prefix);
                    let v = detail.values.get(r * k + j).copied().unwrap_or(f64::NAN);
                    serde_json::to_writer(&mut text, &v).map_err(Error::invalid)?;
                }
                if k == 0 {
                    text.push(b'{');
                }
                text.push(b'}');
                ends.push(text.len());
            }
            Ok((text, ends))
        })
        .collect::<Result<_>>()?;
    let total: usize = chunks.iter().map(|(t, _)| t.len()).sum();
    let too_long = || Error::invalid("the prediction detail column exceeds 2 GiB of text");
    i32::try_from(total).map_err(|_| too_long())?;
    let mut values = Vec::with_capacity(total);
    let mut offsets = Vec::with_capacity(rows + 1);
    offsets.push(0i32);
    for (text, ends) in &chunks {
        let base = values.len();
        values.extend_from_slice(text);
        offsets.extend(ends.iter().map(|e| (base + e) as i32));
    }
    let array = StringArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Buffer::from_vec(values),
        None,
    )
    .map_err(Error::invalid)?;
    Ok(Arc::new(array))
}

/// [`detail_json`] through one `serde_json::Map` per row.
fn detail_json_via_maps(detail: &Detail, rows: usize) -> ArrayRef {
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;

    #[test]
    fn detail_text_equals_serde_json_maps() {
        let keys = vec!["0".to_string(), "b\"q\u{1}é".to_string(), "x".to_string()];
        let special = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-7,
            1e21,
            123456789.125,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
            0.999_999_999_999_999_9,
        ];
        let rows = DETAIL_CHUNK + 7;
        let values: Vec<f64> = (0..rows * keys.len() - 2)
            .map(|i| {
                special
                    .get(i % 23)
                    .copied()
                    .unwrap_or(1.0 / (1.0 + (i as f64 * 0.37).exp()))
            })
            .collect();
        let detail = Detail { keys, values };
        let fast = detail_json(&detail, rows).unwrap();
        let slow = detail_json_via_maps(&detail, rows);
        assert_eq!(fast.as_string::<i32>(), slow.as_string::<i32>());
        for keys in [vec![], vec!["a".to_string(), "a".to_string()]] {
            let detail = Detail {
                keys,
                values: vec![0.5; 6],
            };
            let fast = detail_json(&detail, 3).unwrap();
            let slow = detail_json_via_maps(&detail, 3);
            assert_eq!(fast.as_string::<i32>(), slow.as_string::<i32>());
        }
    }
}
