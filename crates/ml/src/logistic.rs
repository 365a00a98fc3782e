//! Logistic regression: binary (sigmoid) and multinomial (softmax)
//! training with L-BFGS (L2) or OWL-QN (L1/elastic net), the fitted model
//! and its prediction.
//!
//! The objective is scikit-learn's, in sum form:
//! `Σ_i logloss_i + l1·‖W‖₁ + l2/2·‖W‖²` (intercepts not penalised). The
//! solver minimises it divided by the row count, exactly as scikit-learn's
//! `lbfgs` solver does, and stops on the same rules; with the defaults
//! (`l2 = 1`, `max_iter = 100`, `epsilon = 1e-4`) it reproduces
//! `LogisticRegression()`.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::{numeric_columns, predict_numeric, resolve_features};
use crate::kernels::{dot, log1pexp_and_sigmoid, sigmoid, sum};
use crate::linear_scores::{CHUNK, chunk_range, n_chunks, scores};
use crate::optim::{QnOptions, lbfgs, owlqn};
use crate::target::class_target_of;
use crate::{Detail, Frame, MlError, PredictedValues, PredictionOutput, Predictor, Target};

/// Parameters of [`fit_logistic_regression`].
///
/// Mapping to scikit-learn: `l2 = 1/C` with `l1 = 0` is
/// `LogisticRegression(C=1/l2)`; `l1 = 1/C` with `l2 = 0` is
/// `penalty="l1"`; both positive is `penalty="elasticnet"` with
/// `C = 1/(l1 + l2)`, `l1_ratio = l1/(l1 + l2)`. `epsilon` is `tol`,
/// `max_iter` is `max_iter`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticRegressionParams {
    /// L1 strength (default 0). Positive values switch to OWL-QN.
    pub l1: f64,
    /// L2 strength (default 1.0, i.e. scikit-learn's `C = 1`).
    pub l2: f64,
    /// Maximum solver iterations (default 100, scikit-learn's default).
    pub max_iter: usize,
    /// Convergence tolerance: stop when the largest absolute entry of the
    /// gradient of the objective divided by the row count is at most this
    /// (default 1e-4, scikit-learn's `tol`). Smaller values converge closer
    /// to the exact optimum and move away from scikit-learn's output.
    pub epsilon: f64,
    /// Whether to fit (unpenalised) intercepts (default true).
    pub fit_intercept: bool,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        LogisticRegressionParams {
            l1: 0.0,
            l2: 1.0,
            max_iter: 100,
            epsilon: 1e-4,
            fit_intercept: true,
        }
    }
}

/// A fitted logistic regression.
///
/// Binary models hold one coefficient row, for `classes[1]`
/// (`P(classes[1]) = sigmoid(w·x + b)`, as scikit-learn's `coef_`);
/// multinomial models hold one row per class and use the softmax.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LogisticRegressionModel {
    /// The feature columns, in coefficient order.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The class names, in code order.
    pub classes: Vec<String>,
    /// One row of `features.len()` coefficients (binary) or one per class.
    pub coefficients: Vec<Vec<f64>>,
    /// One intercept per coefficient row (0 without `fit_intercept`).
    pub intercepts: Vec<f64>,
}

fn check_params(p: &LogisticRegressionParams) -> Result<(), MlError> {
    let bad = |param: &str, message: String| {
        Err(MlError::InvalidParam {
            param: param.into(),
            message,
        })
    };
    if !(p.l1.is_finite() && p.l1 >= 0.0) {
        return bad("l1", format!("must be a finite number >= 0, got {}", p.l1));
    }
    if !(p.l2.is_finite() && p.l2 >= 0.0) {
        return bad("l2", format!("must be a finite number >= 0, got {}", p.l2));
    }
    if p.max_iter == 0 {
        return bad("max_iter", "must be at least 1".into());
    }
    if !(p.epsilon.is_finite() && p.epsilon > 0.0) {
        return bad(
            "epsilon",
            format!("must be a finite number > 0, got {}", p.epsilon),
        );
    }
    Ok(())
}

/// Trains a logistic regression on the numeric columns `features` (empty:
/// every column but the label) of `frame`.
///
/// Two classes give a binary model, more give a multinomial (softmax) one
/// with a coefficient row per class, like scikit-learn's `lbfgs` solver.
pub fn fit_logistic_regression(
    frame: &Frame<'_>,
    features: &[String],
    target: &Target<'_>,
    params: &LogisticRegressionParams,
) -> Result<LogisticRegressionModel, MlError> {
    check_params(params)?;
    let label = crate::target::label_name(target);
    let features = resolve_features(frame, features, Some(label))?;
    let t = class_target_of(target, frame.n_rows)?;
    let cols = numeric_columns(frame, &features)?;
    let d = cols.len();
    let k = t.classes.len();
    let n = frame.n_rows;
    let fi = params.fit_intercept;
    let stride = d + usize::from(fi);
    let n_rows_out = if k == 2 { 1 } else { k };
    let opts = QnOptions::sklearn(params.max_iter, params.epsilon);
    let inv_n = 1.0 / n as f64;
    let l2 = params.l2 * inv_n;
    let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
        let loss = if k == 2 {
            binary_loss_grad(&cols, t.codes, theta, fi, grad)
        } else {
            multinomial_loss_grad(&cols, t.codes, k, theta, fi, grad)
        };
        let mut f = loss * inv_n;
        for g in grad.iter_mut() {
            *g *= inv_n;
        }
        if l2 > 0.0 {
            for r in 0..n_rows_out {
                let w = &theta[r * stride..r * stride + d];
                f += 0.5 * l2 * dot(w, w);
                for (g, wj) in grad[r * stride..r * stride + d].iter_mut().zip(w) {
                    *g += l2 * wj;
                }
            }
        }
        f
    };
    let x0 = vec![0.0; n_rows_out * stride];
    let result = if params.l1 > 0.0 {
        let mut l1 = vec![params.l1 * inv_n; x0.len()];
        if fi {
            for r in 0..n_rows_out {
                l1[r * stride + d] = 0.0;
            }
        }
        owlqn(objective, x0, &l1, &opts)
    } else {
        lbfgs(objective, x0, &opts)
    };
    let theta = result.x;
    let coefficients = (0..n_rows_out)
        .map(|r| theta[r * stride..r * stride + d].to_vec())
        .collect();
    let intercepts = (0..n_rows_out)
        .map(|r| if fi { theta[r * stride + d] } else { 0.0 })
        .collect();
    Ok(LogisticRegressionModel {
        features,
        label: t.column.to_string(),
        classes: t.classes.to_vec(),
        coefficients,
        intercepts,
    })
}

/// Splits a parameter vector into weight rows and intercepts.
fn split_theta(theta: &[f64], rows: usize, d: usize, fi: bool) -> (Vec<&[f64]>, Vec<f64>) {
    let stride = d + usize::from(fi);
    let w = (0..rows)
        .map(|r| &theta[r * stride..r * stride + d])
        .collect();
    let b = (0..rows)
        .map(|r| if fi { theta[r * stride + d] } else { 0.0 })
        .collect();
    (w, b)
}

/// Sum over rows of the binary log-loss; writes the summed gradient.
/// Chunks are reduced in order, so the result does not depend on threads.
fn binary_loss_grad(
    cols: &[&[f64]],
    codes: &[u32],
    theta: &[f64],
    fi: bool,
    grad: &mut [f64],
) -> f64 {
    let d = cols.len();
    let n = codes.len();
    let (w, b) = split_theta(theta, 1, d, fi);
    let parts: Vec<(f64, Vec<f64>)> = (0..n_chunks(n))
        .into_par_iter()
        .map_init(
            || vec![0.0; CHUNK],
            |z, c| {
                let (start, end) = chunk_range(c, n);
                let len = end - start;
                let z = &mut z[..len];
                scores(cols, start, len, &w, &b, z);
                let mut loss = 0.0;
                for (zi, &code) in z.iter_mut().zip(&codes[start..end]) {
                    let y = if code == 1 { 1.0 } else { 0.0 };
                    let (l, p) = log1pexp_and_sigmoid(*zi);
                    loss += l - y * *zi;
                    *zi = p - y;
                }
                let mut g = vec![0.0; d + 1];
                for (gj, col) in g.iter_mut().zip(cols) {
                    *gj = dot(&col[start..end], z);
                }
                g[d] = sum(z);
                (loss, g)
            },
        )
        .collect();
    reduce(parts, grad, 1, d, fi)
}

/// Sum over rows of the multinomial log-loss; writes the summed gradient.
fn multinomial_loss_grad(
    cols: &[&[f64]],
    codes: &[u32],
    k: usize,
    theta: &[f64],
    fi: bool,
    grad: &mut [f64],
) -> f64 {
    let d = cols.len();
    let n = codes.len();
    let (w, b) = split_theta(theta, k, d, fi);
    let parts: Vec<(f64, Vec<f64>)> = (0..n_chunks(n))
        .into_par_iter()
        .map_init(
            || vec![0.0; CHUNK * k],
            |z, c| {
                let (start, end) = chunk_range(c, n);
                let len = end - start;
                let z = &mut z[..len * k];
                scores(cols, start, len, &w, &b, z);
                let mut loss = 0.0;
                for (r, &code) in codes[start..end].iter().enumerate() {
                    let mut m = f64::NEG_INFINITY;
                    for c in 0..k {
                        m = m.max(z[c * len + r]);
                    }
                    let mut s = 0.0;
                    for c in 0..k {
                        let e = (z[c * len + r] - m).exp();
                        z[c * len + r] = e;
                        s += e;
                    }
                    let y = code as usize;
                    let py = z[y * len + r] / s;
                    loss -= py.ln();
                    for c in 0..k {
                        z[c * len + r] /= s;
                    }
                    z[y * len + r] -= 1.0;
                }
                let mut g = vec![0.0; k * (d + 1)];
                for c in 0..k {
                    let res = &z[c * len..(c + 1) * len];
                    for (j, col) in cols.iter().enumerate() {
                        g[c * (d + 1) + j] = dot(&col[start..end], res);
                    }
                    g[c * (d + 1) + d] = sum(res);
                }
                (loss, g)
            },
        )
        .collect();
    reduce(parts, grad, k, d, fi)
}

/// Adds per-chunk `(loss, gradient)` parts in chunk order and writes the
/// gradient in the parameter layout (dropping intercepts without `fi`).
fn reduce(parts: Vec<(f64, Vec<f64>)>, grad: &mut [f64], rows: usize, d: usize, fi: bool) -> f64 {
    let mut loss = 0.0;
    let mut total = vec![0.0; rows * (d + 1)];
    for (l, g) in parts {
        loss += l;
        for (t, v) in total.iter_mut().zip(&g) {
            *t += v;
        }
    }
    let stride = d + usize::from(fi);
    for r in 0..rows {
        grad[r * stride..r * stride + d].copy_from_slice(&total[r * (d + 1)..r * (d + 1) + d]);
        if fi {
            grad[r * stride + d] = total[r * (d + 1) + d];
        }
    }
    loss
}

impl LogisticRegressionModel {
    /// Checks that the stored parameters are consistent (after deserialising).
    fn check(&self) -> Result<(), MlError> {
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
                "logistic regression with {} classes and {} features needs {rows} coefficient rows of {} values and {rows} intercepts",
                k,
                self.features.len(),
                self.features.len()
            )));
        }
        Ok(())
    }
}

impl Predictor for LogisticRegressionModel {
    /// Predicts the most probable class; the detail holds the probability
    /// of each class (keys: the class names).
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        self.check()?;
        let cols = predict_numeric(frame, &self.features)?;
        let n = frame.n_rows;
        let k = self.classes.len();
        let w: Vec<&[f64]> = self.coefficients.iter().map(Vec::as_slice).collect();
        let mut labels = vec![0u32; n];
        let mut probs = vec![0.0; n * k];
        labels
            .par_chunks_mut(CHUNK)
            .zip(probs.par_chunks_mut(CHUNK * k))
            .enumerate()
            .for_each_init(
                || vec![0.0; CHUNK * w.len()],
                |z, (c, (lab, pr))| {
                    let (start, end) = chunk_range(c, n);
                    let len = end - start;
                    let z = &mut z[..len * w.len()];
                    scores(&cols, start, len, &w, &self.intercepts, z);
                    let k_rows = w.len();
                    for r in 0..len {
                        let score = |c: usize| z[c * len + r];
                        let row = &mut pr[r * k..(r + 1) * k];
                        lab[r] = class_probabilities(k_rows, score, row);
                    }
                },
            );
        Ok(PredictionOutput {
            classes: self.classes.clone(),
            values: PredictedValues::Labels(labels),
            detail: Some(Detail {
                keys: self.classes.clone(),
                values: probs,
            }),
        })
    }
}

/// One row's class probabilities from its scores (`score(c)` for each of
/// the model's `rows` coefficient rows) into `p`, and the predicted class
/// code: the sigmoid of the single score for a binary model, the softmax
/// otherwise. Batch prediction and online serving both call it, so their
/// answers are the same bits.
#[inline]
pub fn class_probabilities(rows: usize, score: impl Fn(usize) -> f64, p: &mut [f64]) -> u32 {
    if rows == 1 {
        let z = score(0);
        let p1 = sigmoid(z);
        p[0] = 1.0 - p1;
        p[1] = p1;
        return u32::from(z > 0.0);
    }
    let mut m = f64::NEG_INFINITY;
    let mut best = 0;
    for c in 0..rows {
        let v = score(c);
        if v > m {
            m = v;
            best = c;
        }
    }
    let mut s = 0.0;
    for (c, pc) in p.iter_mut().enumerate() {
        *pc = (score(c) - m).exp();
        s += *pc;
    }
    for pc in p.iter_mut() {
        *pc /= s;
    }
    best as u32
}
