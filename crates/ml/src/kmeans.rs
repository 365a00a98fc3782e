//! k-means clustering (scikit-learn's `KMeans` with one initialisation):
//! greedy k-means++ or random seeding drawn as scikit-learn draws them
//! ([`crate::kmeans_init`]), then Lloyd iterations accelerated with
//! Hamerly's distance bounds (same assignments as plain Lloyd, far fewer
//! distance computations); the fitted model and its prediction.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::{numeric_columns, predict_numeric, resolve_features};
use crate::kernels::{dot, sq_dist};
use crate::kmeans_init::{kmeans_plus_plus_indices, random_indices};
use crate::kmeans_lloyd::Lloyd;
use crate::linear_scores::{CHUNK, chunk_range};
use crate::{Detail, Frame, MlError, PredictedValues, PredictionOutput, Predictor};

/// Seeding of the centres (scikit-learn's `init`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum KMeansInit {
    /// Greedy k-means++ with `2 + ln k` candidates per centre (default).
    #[default]
    KMeansPlusPlus,
    /// `k` distinct rows drawn uniformly.
    Random,
}

impl KMeansInit {
    /// Parses `kmeans++` (or `k-means++`) or `random`.
    pub fn parse(s: &str) -> Result<Self, MlError> {
        match s {
            "kmeans++" | "k-means++" => Ok(KMeansInit::KMeansPlusPlus),
            "random" => Ok(KMeansInit::Random),
            _ => Err(MlError::InvalidParam {
                param: "init".into(),
                message: format!("unknown init `{s}`; use `kmeans++` or `random`"),
            }),
        }
    }
}

/// The distance k-means works with.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum KMeansDistance {
    /// Euclidean distance (default; scikit-learn's `KMeans`).
    #[default]
    Euclidean,
    /// Cosine distance `1 - cos(x, c)`: rows are scaled to unit length and
    /// centres are re-normalised after each update (spherical k-means).
    Cosine,
}

impl KMeansDistance {
    /// Parses `euclidean` or `cosine`.
    pub fn parse(s: &str) -> Result<Self, MlError> {
        match s {
            "euclidean" => Ok(KMeansDistance::Euclidean),
            "cosine" => Ok(KMeansDistance::Cosine),
            _ => Err(MlError::InvalidParam {
                param: "distance".into(),
                message: format!("unknown distance `{s}`; use `euclidean` or `cosine`"),
            }),
        }
    }
}

/// Parameters of [`fit_kmeans`] (scikit-learn's `KMeans(n_clusters=k,
/// max_iter, tol, init, random_state=seed, n_init=1)`).
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    /// Number of clusters (default 8, scikit-learn's).
    pub k: usize,
    /// Maximum Lloyd iterations (default 300).
    pub max_iter: usize,
    /// Seeding (default k-means++).
    pub init: KMeansInit,
    /// Seed of the random generator (default 0). The stream differs from
    /// numpy's, so seeds do not carry over from scikit-learn.
    pub seed: u64,
    /// Distance (default Euclidean).
    pub distance: KMeansDistance,
    /// Relative tolerance: stop when the summed squared centre shift is at
    /// most `tol` times the mean feature variance (default 1e-4).
    pub tol: f64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            k: 8,
            max_iter: 300,
            init: KMeansInit::KMeansPlusPlus,
            seed: 0,
            distance: KMeansDistance::Euclidean,
            tol: 1e-4,
        }
    }
}

/// A fitted k-means model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KMeansModel {
    /// The feature columns, in centre coordinate order.
    pub features: Vec<String>,
    /// The distance rows are assigned by.
    pub distance: KMeansDistance,
    /// The cluster centres, one row of `features.len()` values per cluster
    /// (unit length with the cosine distance).
    pub centers: Vec<Vec<f64>>,
    /// The number of training rows in each cluster.
    pub sizes: Vec<u64>,
    /// The Lloyd iterations the fit took, counted as scikit-learn's
    /// `n_iter_` (0 when not recorded).
    #[serde(default)]
    pub iterations: u64,
}

/// Trains k-means on the numeric columns `features` (empty: every column).
pub fn fit_kmeans(
    frame: &Frame<'_>,
    features: &[String],
    params: &KMeansParams,
) -> Result<KMeansModel, MlError> {
    let features = resolve_features(frame, features, None)?;
    let n = frame.n_rows;
    let k = params.k;
    if k == 0 || k > n {
        return Err(MlError::InvalidParam {
            param: "k".into(),
            message: format!(
                "k = {k} must be between 1 and the number of rows ({n}); lower `k` or add rows"
            ),
        });
    }
    if params.max_iter == 0 {
        return Err(MlError::InvalidParam {
            param: "max_iter".into(),
            message: "must be at least 1".into(),
        });
    }
    if !(params.tol.is_finite() && params.tol >= 0.0) {
        return Err(MlError::InvalidParam {
            param: "tol".into(),
            message: format!("must be a finite number >= 0, got {}", params.tol),
        });
    }
    let cols = numeric_columns(frame, &features)?;
    let d = cols.len();
    let spherical = params.distance == KMeansDistance::Cosine;
    let unit = if spherical {
        unit_rows(&cols, n, &features)?
    } else {
        Vec::new()
    };
    let cols: Vec<&[f64]> = if spherical {
        unit.iter().map(Vec::as_slice).collect()
    } else {
        cols
    };
    let tol = params.tol * mean_variance(&cols, n);
    // scikit-learn's choices for `random_state = seed`.
    let rows = match params.init {
        KMeansInit::KMeansPlusPlus => kmeans_plus_plus_indices(&cols, n, k, params.seed),
        KMeansInit::Random => random_indices(n, k, params.seed),
    };
    let centers = rows
        .iter()
        .flat_map(|&i| cols.iter().map(move |c| c[i]))
        .collect();
    let mut state = Lloyd::new(cols, n, k, centers, spherical);
    state.run(params.max_iter, tol);
    let sizes = state.counts.iter().map(|&c| c as u64).collect();
    Ok(KMeansModel {
        features,
        distance: params.distance,
        centers: state
            .centers
            .chunks(d.max(1))
            .take(k)
            .map(<[f64]>::to_vec)
            .collect(),
        sizes,
        // The last E-step only labels the rows against the final centres.
        iterations: state.iterations.saturating_sub(1) as u64,
    })
}

/// The columns with every row scaled to unit Euclidean length; a zero row
/// is an error.
fn unit_rows(cols: &[&[f64]], n: usize, features: &[String]) -> Result<Vec<Vec<f64>>, MlError> {
    let mut norms = vec![0.0f64; n];
    for col in cols {
        for (s, v) in norms.iter_mut().zip(col.iter()) {
            *s += v * v;
        }
    }
    if let Some(row) = norms.iter().position(|&s| s == 0.0) {
        return Err(MlError::InvalidValue {
            column: features.join(", "),
            row,
            message: "the row is all zeros, so its cosine distance is undefined; drop it or use `distance: euclidean`"
                .into(),
        });
    }
    for s in norms.iter_mut() {
        *s = s.sqrt();
    }
    Ok(cols
        .par_iter()
        .map(|col| col.iter().zip(&norms).map(|(v, s)| v / s).collect())
        .collect())
}

/// Mean over features of the population variance (scikit-learn's scale
/// for `tol`), each feature's sums taken in a fixed order
/// (deterministic).
fn mean_variance(cols: &[&[f64]], n: usize) -> f64 {
    if cols.is_empty() || n == 0 {
        return 0.0;
    }
    let total: f64 = cols
        .par_iter()
        .map(|col| {
            let mean = crate::kernels::sum(col) / n as f64;
            let mut acc = [0.0f64; 4];
            let quads = col.chunks_exact(4);
            let rest = quads.remainder();
            for q in quads {
                for (a, v) in acc.iter_mut().zip(q) {
                    *a += (v - mean) * (v - mean);
                }
            }
            let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
            for v in rest {
                s += (v - mean) * (v - mean);
            }
            s
        })
        .collect::<Vec<f64>>()
        .iter()
        .sum();
    total / (n as f64 * cols.len() as f64)
}

impl KMeansModel {
    fn check(&self) -> Result<(), MlError> {
        if self.centers.is_empty()
            || self.centers.iter().any(|c| c.len() != self.features.len())
            || self.sizes.len() != self.centers.len()
        {
            return Err(MlError::Corrupt(format!(
                "k-means needs at least one centre of {} values and one size per centre",
                self.features.len()
            )));
        }
        Ok(())
    }
}

impl Predictor for KMeansModel {
    /// Assigns each row to its nearest centre; `classes` are the cluster ids
    /// `"0".."k-1"` and the detail holds the distance to each centre
    /// (Euclidean, or `1 - cos` with the cosine distance).
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        self.check()?;
        let cols = predict_numeric(frame, &self.features)?;
        let n = frame.n_rows;
        let d = cols.len();
        let k = self.centers.len();
        let cosine = self.distance == KMeansDistance::Cosine;
        let center_norms: Vec<f64> = self.centers.iter().map(|c| dot(c, c).sqrt()).collect();
        let mut labels = vec![0u32; n];
        let mut dist = vec![0.0; n * k];
        let zero_rows: Vec<usize> = labels
            .par_chunks_mut(CHUNK)
            .zip(dist.par_chunks_mut(CHUNK * k))
            .enumerate()
            .map(|(c, (lab, out))| {
                let (start, end) = chunk_range(c, n);
                let mut row = vec![0.0; d];
                for (r, i) in (start..end).enumerate() {
                    for (v, col) in row.iter_mut().zip(&cols) {
                        *v = col[i];
                    }
                    let norm = if cosine { dot(&row, &row).sqrt() } else { 1.0 };
                    if norm == 0.0 {
                        return Some(i);
                    }
                    let mut best = 0;
                    for (j, center) in self.centers.iter().enumerate() {
                        let v = if cosine {
                            let denom = norm * center_norms[j];
                            if denom > 0.0 {
                                1.0 - dot(&row, center) / denom
                            } else {
                                1.0
                            }
                        } else {
                            sq_dist(&row, center).sqrt()
                        };
                        out[r * k + j] = v;
                        if v < out[r * k + best] {
                            best = j;
                        }
                    }
                    lab[r] = best as u32;
                }
                None
            })
            .flatten()
            .collect();
        if let Some(&row) = zero_rows.first() {
            return Err(MlError::InvalidValue {
                column: self.features.join(", "),
                row,
                message: "the row is all zeros, so its cosine distance is undefined".into(),
            });
        }
        let ids: Vec<String> = (0..k).map(|j| j.to_string()).collect();
        Ok(PredictionOutput {
            classes: ids.clone(),
            values: PredictedValues::Labels(labels),
            detail: Some(Detail {
                keys: ids,
                values: dist,
            }),
        })
    }
}
