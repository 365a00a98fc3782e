//! The `pai-pipeline` processor: a model in the engine's native format
//! (`.meta` + `.model`), a single stage or a pipeline model. Rows become
//! an Arrow record batch typed by the model's recorded input schema and
//! are scored by `pai_components::scoring::score_batch`, the function the
//! batch `predict` component uses, so the answers equal `predict`'s: the
//! columns it adds (`prediction_result`, `prediction_detail`, the detail
//! answered as a JSON object), or the transformed table of a
//! preprocessing model. A missing field is a null, as `predict` reads it.
//!
//! A logistic regression, alone or after standard-scaler stages, is scored
//! by the direct [`LinearPlan`] instead, once a load-time check has shown
//! that it answers exactly as `score_batch` does.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use pai_components::frame::ValueType;
use pai_components::model_file::LoadedModel;
use pai_components::scoring::{ScoreOptions, score_batch};

use super::linear::LinearPlan;
use super::{
    FieldKind, InputBatch, InputColumn, InputField, OutputBatch, OutputColumn, OutputField,
    OutputKind, ServingModel, probe_batch,
};

/// The column `predict` writes the prediction to.
pub const PREDICTION_COL: &str = "prediction_result";
/// The column `predict` writes the per-row detail to.
pub const DETAIL_COL: &str = "prediction_detail";

/// A native model ready to serve.
pub struct NativeServing {
    loaded: LoadedModel,
    schema: Arc<Schema>,
    inputs: Vec<InputField>,
    outputs: Vec<OutputField>,
    /// The direct path, when the model has that shape and passed the check.
    plan: Option<LinearPlan>,
    /// The output names as the EAS answer spells them (JSON strings).
    names: [Vec<u8>; 2],
}

impl NativeServing {
    /// Wraps a loaded model and scores a probe row to learn (and check)
    /// its outputs.
    pub fn new(loaded: LoadedModel) -> Result<Self, String> {
        let inputs: Vec<InputField> = loaded
            .meta
            .input_schema
            .iter()
            .map(|f| InputField {
                name: f.name.clone(),
                kind: match f.ty {
                    ValueType::Int64 => FieldKind::Integer,
                    ValueType::Float64 => FieldKind::Number,
                    ValueType::Bool => FieldKind::Boolean,
                    ValueType::String => FieldKind::Text,
                },
            })
            .collect();
        let schema = Arc::new(Schema::new(
            inputs
                .iter()
                .map(|f| {
                    let dt = match f.kind {
                        FieldKind::Integer => DataType::Int64,
                        FieldKind::Number => DataType::Float64,
                        FieldKind::Boolean => DataType::Boolean,
                        FieldKind::Text => DataType::Utf8,
                    };
                    Field::new(&f.name, dt, true)
                })
                .collect::<Vec<_>>(),
        ));
        let mut me = NativeServing {
            loaded,
            schema,
            inputs,
            outputs: Vec::new(),
            plan: None,
            names: [json_name(PREDICTION_COL), json_name(DETAIL_COL)],
        };
        let probe = me.score_batch(&probe_batch(&me.inputs))?;
        me.outputs = probe
            .schema()
            .fields()
            .iter()
            .map(|f| OutputField {
                name: f.name().clone(),
                kind: match f.data_type() {
                    _ if f.name() == DETAIL_COL => OutputKind::Json,
                    DataType::Int64 => OutputKind::Integer,
                    DataType::Boolean => OutputKind::Boolean,
                    DataType::Utf8 => OutputKind::Text,
                    _ => OutputKind::Number,
                },
            })
            .collect();
        me.plan = me.checked_plan();
        Ok(me)
    }

    /// The direct path of this model, if it has one that answers exactly
    /// as the general path on check rows: the probe row and rows spread
    /// around each scaler's mean.
    fn checked_plan(&self) -> Option<LinearPlan> {
        let [label, detail] = self.outputs.as_slice() else {
            return None;
        };
        if label.name != PREDICTION_COL
            || detail.name != DETAIL_COL
            || detail.kind != OutputKind::Json
        {
            return None;
        }
        let plan = LinearPlan::new(&self.loaded, &self.inputs, label.kind)?;
        let batch = check_batch(&self.loaded, &self.inputs);
        let fast = plan.score(&batch)?;
        match self.score_general(&batch) {
            Ok(general) if general == fast => Some(plan),
            _ => {
                tracing::warn!("the direct scoring path disagrees with `score_batch`; not used");
                None
            }
        }
    }

    /// Scores `batch` through `score_batch` (the general path).
    fn score_general(&self, batch: &InputBatch) -> Result<OutputBatch, String> {
        let table = self.score_batch(batch)?;
        if table.num_columns() != self.outputs.len() {
            return Err(format!(
                "the model answered {} columns where its check answered {}",
                table.num_columns(),
                self.outputs.len()
            ));
        }
        let columns = table
            .columns()
            .iter()
            .zip(&self.outputs)
            .map(|(a, o)| output_column(a, o.kind))
            .collect();
        Ok(OutputBatch {
            rows: batch.rows,
            columns,
        })
    }

    /// Whether requests are scored by the direct path.
    pub fn has_direct_path(&self) -> bool {
        self.plan.is_some()
    }

    /// The record batch of `batch`, typed by the model's input schema.
    fn record_batch(&self, batch: &InputBatch) -> Result<RecordBatch, String> {
        let arrays: Vec<ArrayRef> = batch
            .columns
            .iter()
            .map(|c| -> ArrayRef {
                match c {
                    InputColumn::Number(v) => Arc::new(Float64Array::from(v.clone())),
                    InputColumn::Integer(v) => Arc::new(Int64Array::from(v.clone())),
                    InputColumn::Boolean(v) => Arc::new(BooleanArray::from(v.clone())),
                    InputColumn::Text(v) => {
                        Arc::new(v.iter().map(Option::as_deref).collect::<StringArray>())
                    }
                }
            })
            .collect();
        let opts = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.rows));
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &opts)
            .map_err(|e| format!("cannot build the input table: {e}"))
    }

    /// Scores `batch` into the table `predict` writes with no reserved
    /// columns: the prediction and its detail, or the transformed table.
    fn score_batch(&self, batch: &InputBatch) -> Result<RecordBatch, String> {
        let table = self.record_batch(batch)?;
        let opts = ScoreOptions {
            reserved_cols: Some(Vec::new()),
            ..ScoreOptions::default()
        };
        score_batch(&self.loaded, &table, &opts).map_err(|e| e.to_string())
    }
}

/// Check rows for a direct path: 64 rows of deterministic pseudo-random
/// values, spread over several standard deviations around each scaled
/// column's mean (around 0 for the others), with exact zeros in the first.
fn check_batch(loaded: &LoadedModel, inputs: &[InputField]) -> InputBatch {
    const ROWS: usize = 64;
    let mut centre = vec![(0.0, 1.0); inputs.len()];
    if let pai_components::fitted_model::FittedModel::PipelineModel(p) = &loaded.model {
        for stage in &p.stages {
            if let pai_components::fitted_model::FittedModel::StandardScalerModel(s) = &stage.model
            {
                for ((name, &m), &sc) in s.columns.iter().zip(&s.means).zip(&s.scales) {
                    if let Some(i) = inputs.iter().position(|f| &f.name == name) {
                        centre[i] = (m, sc);
                    }
                }
            }
        }
    }
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let columns = centre
        .iter()
        .map(|&(m, s)| {
            InputColumn::Number(
                (0..ROWS)
                    .map(|r| {
                        let u = next();
                        Some(if r == 0 { 0.0 } else { m + (u - 0.5) * 8.0 * s })
                    })
                    .collect(),
            )
        })
        .collect();
    InputBatch {
        rows: ROWS,
        columns,
    }
}

/// A column name as a JSON string.
fn json_name(name: &str) -> Vec<u8> {
    serde_json::to_vec(name).unwrap_or_else(|_| b"\"\"".to_vec())
}

/// Converts one scored column for the answer.
pub(crate) fn output_column(array: &ArrayRef, kind: OutputKind) -> OutputColumn {
    let n = array.len();
    match kind {
        OutputKind::Json | OutputKind::Text => {
            let text: Vec<Option<String>> = match array.as_string_opt::<i32>() {
                Some(s) => s.iter().map(|v| v.map(str::to_string)).collect(),
                None => vec![None; n],
            };
            if kind == OutputKind::Json {
                OutputColumn::Json(text)
            } else {
                OutputColumn::Text(text)
            }
        }
        OutputKind::Integer => OutputColumn::Integer(match array.as_primitive_opt::<Int64Type>() {
            Some(a) => a.iter().collect(),
            None => vec![None; n],
        }),
        OutputKind::Boolean => OutputColumn::Boolean(match array.as_boolean_opt() {
            Some(a) => a.iter().collect(),
            None => vec![None; n],
        }),
        OutputKind::Number => OutputColumn::Number(match array.as_primitive_opt::<Float64Type>() {
            Some(a) => a.iter().map(|v| v.filter(|x| !x.is_nan())).collect(),
            None => vec![None; n],
        }),
    }
}

impl ServingModel for NativeServing {
    fn platform(&self) -> &'static str {
        "pai-pipeline"
    }

    fn inputs(&self) -> &[InputField] {
        &self.inputs
    }

    fn outputs(&self) -> &[OutputField] {
        &self.outputs
    }

    fn score(&self, batch: &InputBatch) -> Result<OutputBatch, String> {
        if let Some(out) = self.plan.as_ref().and_then(|p| p.score(batch)) {
            return Ok(out);
        }
        self.score_general(batch)
    }

    fn write_answer(&self, batch: &InputBatch, buf: &mut Vec<u8>) -> Option<()> {
        self.plan.as_ref()?.write_answer(batch, &self.names, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pai_components::fitted_model::FittedModel;
    use pai_components::model_file::{FieldInfo, LabelInfo, Lineage, ModelMeta};
    use pai_components::pipeline_model::PipelineModel;

    fn meta(class: &str, inputs: &[&str], label: Option<(ValueType, &[&str])>) -> ModelMeta {
        ModelMeta {
            format_version: 1,
            model_class: class.into(),
            engine_version: "test".into(),
            input_schema: inputs
                .iter()
                .map(|n| FieldInfo {
                    name: (*n).into(),
                    ty: ValueType::Float64,
                })
                .collect(),
            label: label.map(|(ty, classes)| LabelInfo {
                name: "y".into(),
                ty,
                classes: classes.iter().map(|c| (*c).to_string()).collect(),
            }),
            params: serde_json::Value::Null,
            metrics: serde_json::Value::Null,
            created_at: String::new(),
            lineage: Lineage {
                run_id: String::new(),
                pipeline: String::new(),
                node: String::new(),
                manifest_sha256: String::new(),
                git_commit: None,
            },
            model_sha256: String::new(),
        }
    }

    /// A standard scaler on `a`, `b`, `c` (not `d`), then a logistic
    /// regression over `c`, `a`, `d` with `classes`.
    fn pipeline(label_ty: ValueType, classes: &[&str]) -> LoadedModel {
        let inputs = ["a", "b", "c", "d"];
        let scaler = LoadedModel {
            meta: meta("StandardScalerModel", &inputs, None),
            model: FittedModel::StandardScalerModel(pai_ml::StandardScalerModel {
                columns: vec!["a".into(), "b".into(), "c".into()],
                means: vec![14.127, -3.5, 0.0912],
                scales: vec![3.52, 1.0, 0.0139],
            }),
        };
        let rows = if classes.len() == 2 { 1 } else { classes.len() };
        let lr = LoadedModel {
            meta: meta(
                "LogisticRegressionModel",
                &inputs,
                Some((label_ty, classes)),
            ),
            model: FittedModel::LogisticRegressionModel(pai_ml::LogisticRegressionModel {
                features: vec!["c".into(), "a".into(), "d".into()],
                label: "y".into(),
                classes: classes.iter().map(|c| (*c).to_string()).collect(),
                coefficients: (0..rows)
                    .map(|k| vec![0.7 - k as f64, -1.3 + 0.1 * k as f64, 0.031])
                    .collect(),
                intercepts: (0..rows).map(|k| 0.2 * k as f64 - 0.1).collect(),
            }),
        };
        LoadedModel {
            meta: meta("PipelineModel", &inputs, Some((label_ty, classes))),
            model: FittedModel::PipelineModel(PipelineModel {
                stages: vec![scaler, lr],
            }),
        }
    }

    fn batch(rows: usize, seed: u64) -> InputBatch {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let centres = [(14.0, 4.0), (-3.0, 2.0), (0.09, 0.02), (0.0, 300.0)];
        InputBatch {
            rows,
            columns: centres
                .iter()
                .map(|&(m, s)| {
                    InputColumn::Number(
                        (0..rows)
                            .map(|_| Some(m + (next() - 0.5) * 8.0 * s))
                            .collect(),
                    )
                })
                .collect(),
        }
    }

    fn assert_same_answers(model: &NativeServing, b: &InputBatch) {
        let general = model.score_general(b);
        assert_eq!(model.score(b), general);
        let mut direct = Vec::new();
        match model.write_answer(b, &mut direct) {
            Some(()) => {
                let mut want = Vec::new();
                crate::rows::write_rows(model.outputs(), &general.expect("scored"), &mut want);
                assert_eq!(
                    String::from_utf8_lossy(&direct),
                    String::from_utf8_lossy(&want)
                );
            }
            None => assert!(direct.is_empty()),
        }
    }

    #[test]
    fn the_direct_path_answers_exactly_as_score_batch() {
        for (ty, classes) in [
            (ValueType::Int64, &["0", "1"][..]),
            (ValueType::String, &["no", "yes"][..]),
            (
                ValueType::String,
                &["setosa", "versicolor", "virginica"][..],
            ),
            (ValueType::Float64, &["1.5", "2.5", "3.5", "4.5"][..]),
        ] {
            let model = NativeServing::new(pipeline(ty, classes)).expect("loads");
            assert!(model.has_direct_path(), "{classes:?}");
            for (rows, seed) in [(1, 1), (7, 2), (300, 3), (2500, 4)] {
                assert_same_answers(&model, &batch(rows, seed));
            }
            // A missing value of an unscaled column the regression does
            // not read is fine; of a feature, it is the general path's
            // error.
            let mut b = batch(5, 9);
            if let InputColumn::Number(v) = &mut b.columns[1] {
                v[2] = None;
            }
            assert_same_answers(&model, &b);
            if let InputColumn::Number(v) = &mut b.columns[3] {
                v[4] = None;
            }
            assert_eq!(model.write_answer(&b, &mut Vec::new()), None);
            assert!(model.score(&b).is_err());
            // Huge values overflow on the way: the general path decides.
            let mut b = batch(3, 5);
            if let InputColumn::Number(v) = &mut b.columns[0] {
                v[1] = Some(1e308);
            }
            assert_same_answers(&model, &b);
        }
    }

    #[test]
    fn other_models_keep_the_general_path() {
        let mut loaded = pipeline(ValueType::Int64, &["0", "1"]);
        if let FittedModel::PipelineModel(p) = &mut loaded.model {
            p.stages.truncate(1);
        }
        let model = NativeServing::new(loaded).expect("loads");
        assert!(!model.has_direct_path());
        assert_same_answers(&model, &batch(4, 7));
    }
}
