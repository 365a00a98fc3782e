//! Linear support vector machine (scikit-learn's `LinearSVC`): dual
//! coordinate descent with shrinking as in liblinear, one-vs-rest for more
//! than two classes; the fitted model and its prediction.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::{numeric_columns, predict_numeric, resolve_features, row_major};
use crate::kernels::dot;
use crate::linear_scores::{CHUNK, chunk_range, scores};
use crate::rng::Rng;
use crate::target::{class_target_of, label_name};
use crate::{Detail, Frame, MlError, PredictedValues, PredictionOutput, Predictor, Target};

/// The loss of [`fit_linear_svm`] (scikit-learn's `loss`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SvmLoss {
    /// `max(0, 1 - y·f)`.
    Hinge,
    /// `max(0, 1 - y·f)²` (default, as `LinearSVC`).
    #[default]
    SquaredHinge,
}

impl SvmLoss {
    /// Parses `hinge` or `squared_hinge`.
    pub fn parse(s: &str) -> Result<Self, MlError> {
        match s {
            "hinge" => Ok(SvmLoss::Hinge),
            "squared_hinge" => Ok(SvmLoss::SquaredHinge),
            _ => Err(MlError::InvalidParam {
                param: "loss".into(),
                message: format!("unknown loss `{s}`; use `hinge` or `squared_hinge`"),
            }),
        }
    }
}

/// Parameters of [`fit_linear_svm`].
///
/// Objective per binary problem (labels ±1):
/// `½‖w‖² + ½b² + (1/l2)·Σ_i loss(y_i (w·x_i + b))`, i.e.
/// `LinearSVC(C=1/l2, loss=..., intercept_scaling=1)`: like liblinear the
/// intercept is an extra feature of value 1 and is penalised.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSvmParams {
    /// Regularisation strength, `1/C` (default 1.0).
    pub l2: f64,
    /// Loss (default squared hinge).
    pub loss: SvmLoss,
    /// Maximum passes over the data (default 1000, scikit-learn's).
    pub max_iter: usize,
    /// Stop when the projected-gradient spread of a pass is at most this
    /// (default 1e-4, scikit-learn's `tol`).
    pub epsilon: f64,
    /// Whether to fit an intercept (default true).
    pub fit_intercept: bool,
    /// Seed of the coordinate order (default 0).
    pub seed: u64,
}

impl Default for LinearSvmParams {
    fn default() -> Self {
        LinearSvmParams {
            l2: 1.0,
            loss: SvmLoss::SquaredHinge,
            max_iter: 1000,
            epsilon: 1e-4,
            fit_intercept: true,
            seed: 0,
        }
    }
}

/// A fitted linear SVM. Binary models hold one row, whose positive side is
/// `classes[1]`; with more classes there is one one-vs-rest row per class.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LinearSvmModel {
    /// The feature columns, in coefficient order.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The class names, in code order.
    pub classes: Vec<String>,
    /// One row of coefficients (binary) or one per class.
    pub coefficients: Vec<Vec<f64>>,
    /// One intercept per row (0 without `fit_intercept`).
    pub intercepts: Vec<f64>,
}

/// Trains a linear SVM on the numeric columns `features` (empty: every
/// column but the label).
pub fn fit_linear_svm(
    frame: &Frame<'_>,
    features: &[String],
    target: &Target<'_>,
    params: &LinearSvmParams,
) -> Result<LinearSvmModel, MlError> {
    if !(params.l2.is_finite() && params.l2 > 0.0) {
        return Err(MlError::InvalidParam {
            param: "l2".into(),
            message: format!("must be a finite number > 0 (it is 1/C), got {}", params.l2),
        });
    }
    if params.max_iter == 0 {
        return Err(MlError::InvalidParam {
            param: "max_iter".into(),
            message: "must be at least 1".into(),
        });
    }
    if !(params.epsilon.is_finite() && params.epsilon > 0.0) {
        return Err(MlError::InvalidParam {
            param: "epsilon".into(),
            message: format!("must be a finite number > 0, got {}", params.epsilon),
        });
    }
    let features = resolve_features(frame, features, Some(label_name(target)))?;
    let t = class_target_of(target, frame.n_rows)?;
    let mut cols = numeric_columns(frame, &features)?;
    let d = cols.len();
    let ones;
    if params.fit_intercept {
        ones = vec![1.0; frame.n_rows];
        cols.push(&ones);
    }
    let x = row_major(&cols, frame.n_rows);
    let width = cols.len();
    let k = t.classes.len();
    let positives: Vec<u32> = if k == 2 {
        vec![1]
    } else {
        (0..k as u32).collect()
    };
    let rows: Vec<Vec<f64>> = positives
        .par_iter()
        .map(|&pos| {
            let y: Vec<f64> = t
                .codes
                .iter()
                .map(|&c| if c == pos { 1.0 } else { -1.0 })
                .collect();
            dual_cd(&x, width, &y, params)
        })
        .collect();
    let (coefficients, intercepts) = rows
        .into_iter()
        .map(|mut w| {
            let b = if params.fit_intercept {
                w.pop().unwrap_or(0.0)
            } else {
                0.0
            };
            w.truncate(d);
            (w, b)
        })
        .unzip();
    Ok(LinearSvmModel {
        features,
        label: t.column.to_string(),
        classes: t.classes.to_vec(),
        coefficients,
        intercepts,
    })
}

/// liblinear's `solve_l2r_l1l2_svc`: dual coordinate descent with
/// shrinking on row-major `x` (`width` values per row) and labels ±1.
fn dual_cd(x: &[f64], width: usize, y: &[f64], p: &LinearSvmParams) -> Vec<f64> {
    let n = y.len();
    let c = 1.0 / p.l2;
    let (diag, upper) = match p.loss {
        SvmLoss::Hinge => (0.0, c),
        SvmLoss::SquaredHinge => (0.5 / c, f64::INFINITY),
    };
    let row = |i: usize| &x[i * width..(i + 1) * width];
    let qd: Vec<f64> = (0..n).map(|i| diag + dot(row(i), row(i))).collect();
    let mut w = vec![0.0; width];
    let mut alpha = vec![0.0; n];
    let mut index: Vec<usize> = (0..n).collect();
    let mut active = n;
    let mut pg_max_old = f64::INFINITY;
    let mut pg_min_old = f64::NEG_INFINITY;
    let mut rng = Rng::new(p.seed);
    let mut iter = 0;
    while iter < p.max_iter {
        let mut pg_max_new = f64::NEG_INFINITY;
        let mut pg_min_new = f64::INFINITY;
        rng.shuffle(&mut index[..active]);
        let mut s = 0;
        while s < active {
            let i = index[s];
            let xi = row(i);
            let yi = y[i];
            let g = yi * dot(&w, xi) - 1.0 + alpha[i] * diag;
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else if alpha[i] == upper {
                if g < pg_min_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g > 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max_new = pg_max_new.max(pg);
            pg_min_new = pg_min_new.min(pg);
            if pg.abs() > 1e-12 && qd[i] > 0.0 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0).min(upper);
                let step = (alpha[i] - old) * yi;
                crate::kernels::axpy(step, xi, &mut w);
            }
            s += 1;
        }
        iter += 1;
        if pg_max_new - pg_min_new <= p.epsilon {
            if active == n {
                break;
            }
            active = n;
            pg_max_old = f64::INFINITY;
            pg_min_old = f64::NEG_INFINITY;
            continue;
        }
        pg_max_old = if pg_max_new <= 0.0 {
            f64::INFINITY
        } else {
            pg_max_new
        };
        pg_min_old = if pg_min_new >= 0.0 {
            f64::NEG_INFINITY
        } else {
            pg_min_new
        };
    }
    w
}

impl Predictor for LinearSvmModel {
    /// Predicts the class with the largest decision value. The detail holds
    /// one decision value per class (keys: class names): for a binary model
    /// `-f` for `classes[0]` and `f = w·x + b` for `classes[1]`; with more
    /// classes each class's one-vs-rest value. They are margins, not
    /// probabilities.
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        let k = self.classes.len();
        let rows = if k == 2 { 1 } else { k };
        if k < 2
            || self.coefficients.len() != rows
            || self.intercepts.len() != rows
            || self
                .coefficients
                .iter()
                .any(|w| w.len() != self.features.len())
        {
            return Err(MlError::Corrupt(format!(
                "linear svm with {k} classes needs {rows} coefficient rows of {} values and {rows} intercepts",
                self.features.len()
            )));
        }
        let cols = predict_numeric(frame, &self.features)?;
        let n = frame.n_rows;
        let w: Vec<&[f64]> = self.coefficients.iter().map(Vec::as_slice).collect();
        let mut labels = vec![0u32; n];
        let mut margins = vec![0.0; n * k];
        labels
            .par_chunks_mut(CHUNK)
            .zip(margins.par_chunks_mut(CHUNK * k))
            .enumerate()
            .for_each_init(
                || vec![0.0; CHUNK * rows],
                |z, (c, (lab, mar))| {
                    let (start, end) = chunk_range(c, n);
                    let len = end - start;
                    let z = &mut z[..len * rows];
                    scores(&cols, start, len, &w, &self.intercepts, z);
                    for r in 0..len {
                        if k == 2 {
                            mar[2 * r] = -z[r];
                            mar[2 * r + 1] = z[r];
                            lab[r] = u32::from(z[r] > 0.0);
                        } else {
                            let mut best = 0;
                            for cl in 0..k {
                                mar[r * k + cl] = z[cl * len + r];
                                if z[cl * len + r] > z[best * len + r] {
                                    best = cl;
                                }
                            }
                            lab[r] = best as u32;
                        }
                    }
                },
            );
        Ok(PredictionOutput {
            classes: self.classes.clone(),
            values: PredictedValues::Labels(labels),
            detail: Some(Detail {
                keys: self.classes.clone(),
                values: margins,
            }),
        })
    }
}
