//! Linear regression (ordinary least squares and ridge) solved by a
//! Householder QR of the centred data, computed in parallel row blocks
//! (TSQR) and combined in a fixed order; the fitted model and its
//! prediction.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::{numeric_columns, predict_numeric, resolve_features};
use crate::linear_scores::{CHUNK, chunk_range, n_chunks, scores};
use crate::target::{continuous_of, label_name};
use crate::{Frame, MlError, PredictedValues, PredictionOutput, Predictor, Target};

/// Parameters of [`fit_linear_regression`].
///
/// Objective: `Σ_i (y_i - w·x_i - b)² + l2·‖w‖²` (intercept not penalised).
/// `l2 = 0` is scikit-learn's `LinearRegression()`, `l2 > 0` is
/// `Ridge(alpha=l2)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearRegressionParams {
    /// Ridge strength (default 0: ordinary least squares).
    pub l2: f64,
    /// Whether to fit an intercept (default true).
    pub fit_intercept: bool,
}

impl Default for LinearRegressionParams {
    fn default() -> Self {
        LinearRegressionParams {
            l2: 0.0,
            fit_intercept: true,
        }
    }
}

/// A fitted linear regression: `y = intercept + Σ coefficients[j]·x_j`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LinearRegressionModel {
    /// The feature columns, in coefficient order.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// One coefficient per feature.
    pub coefficients: Vec<f64>,
    /// The intercept (0 without `fit_intercept`).
    pub intercept: f64,
}

/// Trains a linear regression on the numeric columns `features` (empty:
/// every column but the label).
///
/// A feature that is (numerically) a linear combination of earlier ones,
/// a constant column among them, gets coefficient 0; scikit-learn returns
/// the minimum-norm solution instead. Both give the same predictions on
/// the training data.
pub fn fit_linear_regression(
    frame: &Frame<'_>,
    features: &[String],
    target: &Target<'_>,
    params: &LinearRegressionParams,
) -> Result<LinearRegressionModel, MlError> {
    if !(params.l2.is_finite() && params.l2 >= 0.0) {
        return Err(MlError::InvalidParam {
            param: "l2".into(),
            message: format!("must be a finite number >= 0, got {}", params.l2),
        });
    }
    let label = label_name(target);
    let features = resolve_features(frame, features, Some(label))?;
    let (label, y) = continuous_of(target, frame.n_rows)?;
    let cols = numeric_columns(frame, &features)?;
    let n = frame.n_rows;
    let d = cols.len();
    let p = d + 1;
    let mean = |v: &[f64]| {
        v.par_chunks(CHUNK)
            .map(crate::kernels::sum)
            .collect::<Vec<_>>()
            .iter()
            .sum::<f64>()
            / n as f64
    };
    let (x_mean, y_mean): (Vec<f64>, f64) = if params.fit_intercept {
        (cols.iter().map(|c| mean(c)).collect(), mean(y))
    } else {
        (vec![0.0; d], 0.0)
    };
    // R factor of [X - x̄ | y - ȳ] by blocks, combined in block order.
    let blocks: Vec<Vec<f64>> = (0..n_chunks(n))
        .into_par_iter()
        .map(|c| {
            let (start, end) = chunk_range(c, n);
            let m = end - start;
            let mut a = Vec::with_capacity(m * p);
            for (col, mu) in cols.iter().zip(&x_mean) {
                a.extend(col[start..end].iter().map(|v| v - mu));
            }
            a.extend(y[start..end].iter().map(|v| v - y_mean));
            householder_r(&mut a, m, p)
        })
        .collect();
    let mut r = vec![0.0; p * p];
    for b in blocks {
        r = stack_r(&r, &b, p);
    }
    if params.l2 > 0.0 {
        let mut ridge = vec![0.0; p * p];
        for j in 0..d {
            ridge[j * p + j] = params.l2.sqrt();
        }
        r = stack_r(&r, &ridge, p);
    }
    // Drop features whose column is numerically in the span of the others.
    let mut kept: Vec<usize> = (0..d).collect();
    let w_kept = loop {
        let mut sub = Vec::with_capacity(p * (kept.len() + 1));
        for &j in kept.iter().chain(std::iter::once(&d)) {
            sub.extend((0..p).map(|i| r[i * p + j]));
        }
        let q = kept.len() + 1;
        let norms: Vec<f64> = sub
            .chunks(p)
            .map(|c| c.iter().map(|x| x * x).sum::<f64>().sqrt())
            .collect();
        let rk = householder_r(&mut sub, p, q);
        // A column is dependent when its part orthogonal to the earlier
        // columns is at rounding level relative to its own norm.
        let tol = (n.max(p) as f64) * f64::EPSILON;
        match (0..kept.len()).find(|&i| rk[i * q + i].abs() <= tol * norms[i]) {
            Some(bad) => {
                kept.remove(bad);
            }
            None => break back_substitute(&rk, q),
        }
    };
    let mut coefficients = vec![0.0; d];
    for (&j, w) in kept.iter().zip(w_kept) {
        coefficients[j] = w;
    }
    let intercept = if params.fit_intercept {
        y_mean
            - coefficients
                .iter()
                .zip(&x_mean)
                .map(|(w, m)| w * m)
                .sum::<f64>()
    } else {
        0.0
    };
    Ok(LinearRegressionModel {
        features,
        label: label.to_string(),
        coefficients,
        intercept,
    })
}

/// Householder QR of the column-major `m × q` matrix `a` (destroyed);
/// returns the `q × q` upper-triangular factor, row-major (rows past `m`
/// are zero).
fn householder_r(a: &mut [f64], m: usize, q: usize) -> Vec<f64> {
    let mut r = vec![0.0; q * q];
    let mut v = vec![0.0; m];
    for k in 0..q.min(m) {
        let col = &a[k * m..(k + 1) * m];
        let scale = col[k..].iter().fold(0.0f64, |s, x| s.max(x.abs()));
        if scale == 0.0 {
            for j in k + 1..q {
                r[k * q + j] = a[j * m + k];
            }
            continue;
        }
        let norm = scale
            * col[k..]
                .iter()
                .map(|x| (x / scale) * (x / scale))
                .sum::<f64>()
                .sqrt();
        let alpha = if col[k] > 0.0 { -norm } else { norm };
        v[k..].copy_from_slice(&col[k..]);
        v[k] -= alpha;
        let vv: f64 = v[k..].iter().map(|x| x * x).sum();
        r[k * q + k] = alpha;
        for j in k + 1..q {
            let cj = &mut a[j * m..(j + 1) * m];
            if vv > 0.0 {
                let s: f64 = v[k..].iter().zip(&cj[k..]).map(|(a, b)| a * b).sum();
                let f = 2.0 * s / vv;
                for (x, vi) in cj[k..].iter_mut().zip(&v[k..]) {
                    *x -= f * vi;
                }
            }
            r[k * q + j] = cj[k];
        }
    }
    r
}

/// The R factor of two stacked `p × p` upper-triangular factors.
fn stack_r(top: &[f64], bottom: &[f64], p: usize) -> Vec<f64> {
    let m = 2 * p;
    let mut a = vec![0.0; m * p];
    for j in 0..p {
        for i in 0..p {
            a[j * m + i] = top[i * p + j];
            a[j * m + p + i] = bottom[i * p + j];
        }
    }
    householder_r(&mut a, m, p)
}

/// Solves `R[..q-1, ..q-1] w = R[..q-1, q-1]` for the upper-triangular
/// `q × q` factor whose last column is the right-hand side.
fn back_substitute(r: &[f64], q: usize) -> Vec<f64> {
    let d = q - 1;
    let mut w = vec![0.0; d];
    for i in (0..d).rev() {
        let mut s = r[i * q + d];
        for j in i + 1..d {
            s -= r[i * q + j] * w[j];
        }
        w[i] = s / r[i * q + i];
    }
    w
}

impl Predictor for LinearRegressionModel {
    /// Predicts `intercept + w·x` for every row; no detail.
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        if self.coefficients.len() != self.features.len() {
            return Err(MlError::Corrupt(format!(
                "linear regression has {} features but {} coefficients",
                self.features.len(),
                self.coefficients.len()
            )));
        }
        let cols = predict_numeric(frame, &self.features)?;
        let n = frame.n_rows;
        let mut out = vec![0.0; n];
        let w = [self.coefficients.as_slice()];
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, z)| {
            let (start, end) = chunk_range(c, n);
            scores(&cols, start, end - start, &w, &[self.intercept], z);
        });
        Ok(PredictionOutput {
            classes: Vec::new(),
            values: PredictedValues::Numbers(out),
            detail: None,
        })
    }
}
