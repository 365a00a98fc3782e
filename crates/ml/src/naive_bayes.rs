//! Naive Bayes over mixed features: Gaussian likelihoods for numeric
//! columns (scikit-learn's `GaussianNB`) and Laplace-smoothed categorical
//! likelihoods for text columns (`CategoricalNB`), with class priors from
//! the data; the fitted model and its prediction.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::{check_predict_features, resolve_features};
use crate::linear_scores::{CHUNK, chunk_range};
use crate::target::{class_target_of, label_name};
use crate::{
    ColumnData, Detail, Frame, MlError, PredictedValues, PredictionOutput, Predictor, Target,
};

/// Parameters of [`fit_naive_bayes`].
#[derive(Debug, Clone, PartialEq)]
pub struct NaiveBayesParams {
    /// Added to every Gaussian variance, times the largest feature variance
    /// (default 1e-9; scikit-learn's `var_smoothing`). When every numeric
    /// feature is constant the largest variance is taken as 1.
    pub var_smoothing: f64,
    /// Additive (Laplace) smoothing of category counts (default 1;
    /// `CategoricalNB(alpha)`).
    pub alpha: f64,
}

impl Default for NaiveBayesParams {
    fn default() -> Self {
        NaiveBayesParams {
            var_smoothing: 1e-9,
            alpha: 1.0,
        }
    }
}

/// The per-class normal distribution of a numeric feature.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GaussianFeature {
    /// The feature column.
    pub column: String,
    /// The mean in each class.
    pub means: Vec<f64>,
    /// The variance in each class, smoothing included.
    pub variances: Vec<f64>,
}

/// The per-class category counts of a text feature.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CategoricalFeature {
    /// The feature column.
    pub column: String,
    /// The categories seen in training, sorted.
    pub categories: Vec<String>,
    /// `counts[class][category]`: raw training counts (no smoothing).
    pub counts: Vec<Vec<u64>>,
}

/// A fitted naive Bayes classifier.
///
/// `P(class | x) ∝ prior · Π_gaussian N(x_j; mean, variance) ·
/// Π_categorical (counts[class][c] + alpha) / (Σ_c counts[class][c] +
/// alpha · categories.len())`, with `prior = class_counts / rows`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NaiveBayesModel {
    /// All feature columns, in input order.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The class names, in code order.
    pub classes: Vec<String>,
    /// Training rows per class.
    pub class_counts: Vec<u64>,
    /// The numeric features.
    pub gaussian: Vec<GaussianFeature>,
    /// The text features.
    pub categorical: Vec<CategoricalFeature>,
    /// Laplace smoothing of the categorical counts.
    pub alpha: f64,
}

/// Trains naive Bayes on `features` (empty: every column but the label):
/// numeric columns are Gaussian, text columns categorical. Nulls are
/// refused (fill them with an `imputer`).
pub fn fit_naive_bayes(
    frame: &Frame<'_>,
    features: &[String],
    target: &Target<'_>,
    params: &NaiveBayesParams,
) -> Result<NaiveBayesModel, MlError> {
    if !(params.var_smoothing.is_finite() && params.var_smoothing >= 0.0) {
        return Err(MlError::InvalidParam {
            param: "var_smoothing".into(),
            message: format!("must be a finite number >= 0, got {}", params.var_smoothing),
        });
    }
    if !(params.alpha.is_finite() && params.alpha > 0.0) {
        return Err(MlError::InvalidParam {
            param: "alpha".into(),
            message: format!("must be a finite number > 0, got {}", params.alpha),
        });
    }
    let features = resolve_features(frame, features, Some(label_name(target)))?;
    let t = class_target_of(target, frame.n_rows)?;
    let k = t.classes.len();
    let mut class_counts = vec![0u64; k];
    for &c in t.codes {
        class_counts[c as usize] += 1;
    }
    let mut gaussian = Vec::new();
    let mut categorical = Vec::new();
    let mut max_var = 0.0f64;
    for name in &features {
        match frame.column(name)? {
            ColumnData::Numeric(_) => {
                let v = frame.numeric(name)?;
                max_var = max_var.max(crate::preprocess::population_variance(v));
                let mut sums = vec![0.0; k];
                for (x, &c) in v.iter().zip(t.codes) {
                    sums[c as usize] += x;
                }
                let means: Vec<f64> = sums
                    .iter()
                    .zip(&class_counts)
                    .map(|(s, &n)| if n > 0 { s / n as f64 } else { 0.0 })
                    .collect();
                let mut ss = vec![0.0; k];
                for (x, &c) in v.iter().zip(t.codes) {
                    let dlt = x - means[c as usize];
                    ss[c as usize] += dlt * dlt;
                }
                let variances = ss
                    .iter()
                    .zip(&class_counts)
                    .map(|(s, &n)| if n > 0 { s / n as f64 } else { 0.0 })
                    .collect();
                gaussian.push(GaussianFeature {
                    column: name.clone(),
                    means,
                    variances,
                });
            }
            ColumnData::Text(v) => {
                if let Some(row) = v.iter().position(Option::is_none) {
                    return Err(MlError::InvalidValue {
                        column: name.clone(),
                        row,
                        message:
                            "null value in a categorical feature; fill it with an `imputer` first"
                                .into(),
                    });
                }
                let mut categories: Vec<&str> = v.iter().flatten().copied().collect();
                categories.sort_unstable();
                categories.dedup();
                let mut counts = vec![vec![0u64; categories.len()]; k];
                for (x, &c) in v.iter().zip(t.codes) {
                    if let Some(s) = x {
                        let j = categories.partition_point(|c| c < s);
                        counts[c as usize][j] += 1;
                    }
                }
                categorical.push(CategoricalFeature {
                    column: name.clone(),
                    categories: categories.into_iter().map(str::to_string).collect(),
                    counts,
                });
            }
        }
    }
    let epsilon = params.var_smoothing * if max_var > 0.0 { max_var } else { 1.0 };
    for g in &mut gaussian {
        for v in &mut g.variances {
            *v += epsilon;
        }
    }
    Ok(NaiveBayesModel {
        features,
        label: t.column.to_string(),
        classes: t.classes.to_vec(),
        class_counts,
        gaussian,
        categorical,
        alpha: params.alpha,
    })
}

impl NaiveBayesModel {
    fn check(&self) -> Result<(), MlError> {
        let k = self.classes.len();
        let ok = k >= 2
            && self.class_counts.len() == k
            && self
                .gaussian
                .iter()
                .all(|g| g.means.len() == k && g.variances.len() == k)
            && self.categorical.iter().all(|c| {
                c.counts.len() == k && c.counts.iter().all(|r| r.len() == c.categories.len())
            });
        if ok {
            Ok(())
        } else {
            Err(MlError::Corrupt(format!(
                "naive Bayes needs per-class parameters for each of its {k} classes"
            )))
        }
    }
}

impl Predictor for NaiveBayesModel {
    /// Predicts the most probable class; the detail holds the posterior
    /// probability of each class (keys: class names). A category not seen
    /// in training (or a null) in a text feature is ignored for that row,
    /// as PMML treats a missing value.
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        self.check()?;
        check_predict_features(frame, &self.features)?;
        let k = self.classes.len();
        let n = frame.n_rows;
        let total: u64 = self.class_counts.iter().sum();
        let log_prior: Vec<f64> = self
            .class_counts
            .iter()
            .map(|&c| (c as f64 / total.max(1) as f64).ln())
            .collect();
        let numeric: Vec<&[f64]> = self
            .gaussian
            .iter()
            .map(|g| frame.numeric(&g.column))
            .collect::<Result<_, _>>()?;
        // Per feature and class: -0.5·log(2πσ²) and 1/(2σ²).
        let gauss_terms: Vec<Vec<(f64, f64)>> = self
            .gaussian
            .iter()
            .map(|g| {
                g.variances
                    .iter()
                    .map(|v| (-0.5 * (2.0 * std::f64::consts::PI * v).ln(), 0.5 / v))
                    .collect()
            })
            .collect();
        let mut text = Vec::with_capacity(self.categorical.len());
        for c in &self.categorical {
            let codes: Vec<Option<usize>> = match frame.column(&c.column)? {
                ColumnData::Text(v) => {
                    let index: HashMap<&str, usize> = c
                        .categories
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (s.as_str(), i))
                        .collect();
                    v.iter()
                        .map(|s| s.and_then(|s| index.get(s).copied()))
                        .collect()
                }
                ColumnData::Numeric(_) => {
                    return Err(MlError::InvalidValue {
                        column: c.column.clone(),
                        row: 0,
                        message: "the feature was text in training but is numeric here; give it the same type".into(),
                    });
                }
            };
            // log((count + alpha) / (class total + alpha·categories)).
            let logp: Vec<Vec<f64>> = c
                .counts
                .iter()
                .map(|row| {
                    let denom =
                        row.iter().sum::<u64>() as f64 + self.alpha * c.categories.len() as f64;
                    row.iter()
                        .map(|&x| ((x as f64 + self.alpha) / denom).ln())
                        .collect()
                })
                .collect();
            text.push((codes, logp));
        }
        let mut labels = vec![0u32; n];
        let mut probs = vec![0.0; n * k];
        labels
            .par_chunks_mut(CHUNK)
            .zip(probs.par_chunks_mut(CHUNK * k))
            .enumerate()
            .for_each(|(ch, (lab, pr))| {
                let (start, end) = chunk_range(ch, n);
                for (r, i) in (start..end).enumerate() {
                    let row = &mut pr[r * k..(r + 1) * k];
                    row.copy_from_slice(&log_prior);
                    for ((g, col), terms) in self.gaussian.iter().zip(&numeric).zip(&gauss_terms) {
                        let x = col[i];
                        for (c, jll) in row.iter_mut().enumerate() {
                            let dlt = x - g.means[c];
                            *jll += terms[c].0 - dlt * dlt * terms[c].1;
                        }
                    }
                    for (codes, logp) in &text {
                        if let Some(j) = codes[i] {
                            for (c, jll) in row.iter_mut().enumerate() {
                                *jll += logp[c][j];
                            }
                        }
                    }
                    let (best, m) =
                        row.iter()
                            .enumerate()
                            .fold(
                                (0, f64::NEG_INFINITY),
                                |(b, m), (c, &v)| if v > m { (c, v) } else { (b, m) },
                            );
                    lab[r] = best as u32;
                    if m == f64::NEG_INFINITY {
                        for (p, lp) in row.iter_mut().zip(&log_prior) {
                            *p = lp.exp();
                        }
                        continue;
                    }
                    let mut s = 0.0;
                    for v in row.iter_mut() {
                        *v = (*v - m).exp();
                        s += *v;
                    }
                    for v in row.iter_mut() {
                        *v /= s;
                    }
                }
            });
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
