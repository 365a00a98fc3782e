//! A direct path for the most served native models: a logistic regression,
//! alone or after standard-scaler stages, over numeric inputs. It computes
//! each row with the very operations, in the same order, that
//! `pai_components::scoring::score_batch` performs (`(x - mean) / scale`
//! per scaler stage, `z = b + Σ w·x` accumulated feature by feature, the
//! same sigmoid or softmax, the same label and detail encoding), but
//! without building Arrow tables, frames or a thread-pool task per request.
//!
//! It is an optimisation only: [`LinearPlan::score`] declines (returns
//! `None`) whenever the general path could answer differently — a missing
//! feature value, a non-finite intermediate — and the model adapter checks
//! at load time that both paths answer identically before using it.

use pai_components::fitted_model::FittedModel;
use pai_components::frame::{ValueType, labels_to_array};
use pai_components::model_file::LoadedModel;

use super::{InputBatch, InputColumn, InputField, OutputBatch, OutputColumn, OutputKind};

/// One feature of the regression: the input column it reads and the
/// `(mean, scale)` of each scaler stage applied to it, in order.
#[derive(Debug, Clone)]
struct Term {
    input: usize,
    steps: Vec<(f64, f64)>,
}

/// A logistic regression (after optional standard-scaler stages) compiled
/// against a model's input fields.
#[derive(Debug, Clone)]
pub struct LinearPlan {
    terms: Vec<Term>,
    /// Coefficient rows (one for two classes, else one per class), each
    /// aligned with `terms`.
    weights: Vec<Vec<f64>>,
    intercepts: Vec<f64>,
    /// The number of classes.
    classes: usize,
    /// The prediction column's value for each class code.
    labels: OutputColumn,
    /// Each class's key in the detail object, JSON-encoded with its `:`.
    detail_keys: Vec<Vec<u8>>,
}

impl LinearPlan {
    /// The plan of `loaded` over `inputs` (the model's input fields, all
    /// numbers), whose prediction column is of kind `label_kind`; `None`
    /// when the model is of another shape.
    pub fn new(
        loaded: &LoadedModel,
        inputs: &[InputField],
        label_kind: OutputKind,
    ) -> Option<Self> {
        if inputs.iter().any(|f| f.kind != super::FieldKind::Number) {
            return None;
        }
        let stages: Vec<&LoadedModel> = match &loaded.model {
            FittedModel::PipelineModel(p) => p.stages.iter().collect(),
            _ => vec![loaded],
        };
        let (last, scalers) = stages.split_last()?;
        let FittedModel::LogisticRegressionModel(lr) = &last.model else {
            return None;
        };
        let position = |name: &str| inputs.iter().position(|f| f.name == name);
        let mut steps: Vec<Vec<(f64, f64)>> = vec![Vec::new(); inputs.len()];
        for stage in scalers {
            let FittedModel::StandardScalerModel(s) = &stage.model else {
                return None;
            };
            if s.means.len() != s.columns.len() || s.scales.len() != s.columns.len() {
                return None;
            }
            for ((name, &m), &sc) in s.columns.iter().zip(&s.means).zip(&s.scales) {
                steps.get_mut(position(name)?)?.push((m, sc));
            }
        }
        let k = lr.classes.len();
        let rows = if k == 2 { 1 } else { k };
        if k < 2
            || lr.coefficients.len() != rows
            || lr.intercepts.len() != rows
            || lr.coefficients.iter().any(|w| w.len() != lr.features.len())
        {
            return None;
        }
        // Duplicate class names would collapse in the detail object.
        if (1..k).any(|i| lr.classes[..i].contains(&lr.classes[i])) {
            return None;
        }
        let terms = lr
            .features
            .iter()
            .map(|f| {
                let input = position(f)?;
                Some(Term {
                    input,
                    steps: steps.get(input)?.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let label_ty = last.meta.label.as_ref().map_or(ValueType::String, |l| l.ty);
        let codes: Vec<u32> = (0..k as u32).collect();
        let labels = super::native::output_column(
            &labels_to_array(&lr.classes, &codes, label_ty),
            label_kind,
        );
        let detail_keys = lr
            .classes
            .iter()
            .map(|c| {
                let mut key = serde_json::to_vec(c).ok()?;
                key.push(b':');
                Some(key)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(LinearPlan {
            terms,
            weights: lr.coefficients.clone(),
            intercepts: lr.intercepts.clone(),
            classes: k,
            labels,
            detail_keys,
        })
    }

    /// Scores every row of `batch`, calling `each` with the predicted
    /// class code and the class probabilities; `None` when a row needs the
    /// general path (a missing feature value, or a non-finite value on the
    /// way).
    fn each_row(&self, batch: &InputBatch, mut each: impl FnMut(usize, &[f64])) -> Option<()> {
        let cols: Vec<&[Option<f64>]> = batch
            .columns
            .iter()
            .map(|c| match c {
                InputColumn::Number(v) => Some(v.as_slice()),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let mut x = vec![0.0; self.terms.len()];
        let mut z = vec![0.0; self.weights.len()];
        let mut p = vec![0.0; self.classes];
        for row in 0..batch.rows {
            for (xi, t) in x.iter_mut().zip(&self.terms) {
                let mut v = cols.get(t.input)?.get(row).copied().flatten()?;
                for &(m, s) in &t.steps {
                    v = (v - m) / s;
                }
                if !v.is_finite() {
                    return None;
                }
                *xi = v;
            }
            for ((zk, w), &b) in z.iter_mut().zip(&self.weights).zip(&self.intercepts) {
                let mut acc = b;
                for (&wj, &xj) in w.iter().zip(&x) {
                    acc += wj * xj;
                }
                *zk = acc;
            }
            let code = self.probabilities(&z, &mut p)?;
            each(code, &p);
        }
        Some(())
    }

    /// Scores `batch` into the prediction and detail columns; `None` when
    /// a row needs the general path.
    pub fn score(&self, batch: &InputBatch) -> Option<OutputBatch> {
        let mut labels = self.labels.empty_like(batch.rows);
        let mut details: Vec<Option<String>> = Vec::with_capacity(batch.rows);
        let mut text = Vec::with_capacity(16 + 24 * self.classes);
        let mut utf8 = true;
        self.each_row(batch, |code, p| {
            self.labels.push_from(code, &mut labels);
            text.clear();
            self.write_detail(p, &mut text);
            match String::from_utf8(text.clone()) {
                Ok(t) => details.push(Some(t)),
                Err(_) => utf8 = false,
            }
        })?;
        utf8.then_some(OutputBatch {
            rows: batch.rows,
            columns: vec![labels, OutputColumn::Json(details)],
        })
    }

    /// Scores `batch` and appends the EAS answer to `buf`: the bytes
    /// [`crate::rows::write_rows`] writes for [`LinearPlan::score`]'s
    /// columns named `names` (the prediction and detail columns). `None`
    /// (and `buf` as it was) when a row needs the general path.
    pub fn write_answer(
        &self,
        batch: &InputBatch,
        names: &[Vec<u8>; 2],
        buf: &mut Vec<u8>,
    ) -> Option<()> {
        let len = buf.len();
        buf.push(b'[');
        let mut first = true;
        let done = self.each_row(batch, |code, p| {
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.push(b'{');
            buf.extend_from_slice(&names[0]);
            buf.push(b':');
            crate::rows::write_value(&self.labels, code, buf);
            buf.push(b',');
            buf.extend_from_slice(&names[1]);
            buf.push(b':');
            self.write_detail(p, buf);
            buf.push(b'}');
        });
        if done.is_none() {
            buf.truncate(len);
            return None;
        }
        buf.push(b']');
        Some(())
    }

    /// Each class's probability from the scores `z`, by the same function
    /// `pai_ml`'s batch predict calls; returns the predicted class code, or
    /// `None` for a non-finite score.
    fn probabilities(&self, z: &[f64], p: &mut [f64]) -> Option<usize> {
        if z.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let rows = if self.classes == 2 { 1 } else { self.classes };
        if z.len() < rows {
            return None;
        }
        let best = pai_ml::class_probabilities(rows, |c| z[c], p);
        Some(best as usize)
    }

    /// The detail object `{"class": probability, …}`, as `score_batch`
    /// writes it (serde_json's number formatting, `null` when not finite).
    fn write_detail(&self, p: &[f64], buf: &mut Vec<u8>) {
        buf.push(b'{');
        for (j, (key, &v)) in self.detail_keys.iter().zip(p).enumerate() {
            if j > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(key);
            if v.is_finite() {
                let _ = serde_json::to_writer(&mut *buf, &v);
            } else {
                buf.extend_from_slice(b"null");
            }
        }
        buf.push(b'}');
    }
}

impl OutputColumn {
    /// An empty column of the same kind with room for `rows`.
    fn empty_like(&self, rows: usize) -> OutputColumn {
        match self {
            OutputColumn::Number(_) => OutputColumn::Number(Vec::with_capacity(rows)),
            OutputColumn::Integer(_) => OutputColumn::Integer(Vec::with_capacity(rows)),
            OutputColumn::Boolean(_) => OutputColumn::Boolean(Vec::with_capacity(rows)),
            OutputColumn::Text(_) => OutputColumn::Text(Vec::with_capacity(rows)),
            OutputColumn::Json(_) => OutputColumn::Json(Vec::with_capacity(rows)),
        }
    }

    /// Appends this column's value `i` to `out` (of the same kind).
    fn push_from(&self, i: usize, out: &mut OutputColumn) {
        match (self, out) {
            (OutputColumn::Number(a), OutputColumn::Number(b)) => {
                b.push(a.get(i).copied().flatten());
            }
            (OutputColumn::Integer(a), OutputColumn::Integer(b)) => {
                b.push(a.get(i).copied().flatten());
            }
            (OutputColumn::Boolean(a), OutputColumn::Boolean(b)) => {
                b.push(a.get(i).copied().flatten());
            }
            (OutputColumn::Text(a), OutputColumn::Text(b))
            | (OutputColumn::Json(a), OutputColumn::Json(b)) => b.push(a.get(i).cloned().flatten()),
            _ => {}
        }
    }
}
