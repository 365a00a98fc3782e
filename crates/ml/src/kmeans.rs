//! k-means clustering (scikit-learn's `KMeans` with one initialisation):
//! greedy k-means++ or random seeding, then Lloyd iterations accelerated
//! with Hamerly's distance bounds (same assignments as plain Lloyd, far
//! fewer distance computations); the fitted model and its prediction.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::{numeric_columns, predict_numeric, resolve_features, row_major};
use crate::kernels::{CENTRE_LANES, dot, sq_dist, sq_dists_to_block};
use crate::kmeans_lloyd::{Lloyd, transpose_centres};
use crate::linear_scores::{CHUNK, chunk_range};
use crate::rng::Rng;
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
    /// The Lloyd iterations the fit took (0 when not recorded).
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
    let mut x = row_major(&cols, n);
    if params.distance == KMeansDistance::Cosine {
        normalize_rows(&mut x, d, &features)?;
    }
    let tol = params.tol * mean_variance(&x, n, d);
    let mut rng = Rng::new(params.seed);
    let centers = match params.init {
        KMeansInit::KMeansPlusPlus => kmeans_plus_plus(&x, n, d, k, &mut rng),
        KMeansInit::Random => {
            let mut idx: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = i + rng.below(n - i);
                idx.swap(i, j);
            }
            idx[..k]
                .iter()
                .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
                .collect()
        }
    };
    let mut state = Lloyd::new(
        x,
        n,
        d,
        k,
        centers,
        params.distance == KMeansDistance::Cosine,
    );
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
        iterations: state.iterations as u64,
    })
}

/// Scales every row to unit Euclidean length; a zero row is an error.
fn normalize_rows(x: &mut [f64], d: usize, features: &[String]) -> Result<(), MlError> {
    let zero = x
        .par_chunks_mut(d.max(1))
        .enumerate()
        .map(|(i, row)| {
            let norm = dot(row, row).sqrt();
            if norm == 0.0 {
                return Some(i);
            }
            for v in row.iter_mut() {
                *v /= norm;
            }
            None
        })
        .flatten()
        .min();
    match zero {
        Some(row) => Err(MlError::InvalidValue {
            column: features.join(", "),
            row,
            message: "the row is all zeros, so its cosine distance is undefined; drop it or use `distance: euclidean`"
                .into(),
        }),
        None => Ok(()),
    }
}

/// Mean over features of the population variance (scikit-learn's scale
/// for `tol`), by fixed chunks reduced in order (deterministic).
fn mean_variance(x: &[f64], n: usize, d: usize) -> f64 {
    if d == 0 {
        return 0.0;
    }
    let reduce = |parts: Vec<Vec<f64>>| {
        let mut total = vec![0.0; d];
        for p in parts {
            for (t, v) in total.iter_mut().zip(&p) {
                *t += v;
            }
        }
        total
    };
    let mut mean = reduce(
        x.par_chunks(CHUNK * d)
            .map(|rows| {
                let mut s = vec![0.0; d];
                for row in rows.chunks_exact(d) {
                    for (m, v) in s.iter_mut().zip(row) {
                        *m += v;
                    }
                }
                s
            })
            .collect(),
    );
    for m in mean.iter_mut() {
        *m /= n as f64;
    }
    let var = reduce(
        x.par_chunks(CHUNK * d)
            .map(|rows| {
                let mut s = vec![0.0; d];
                for row in rows.chunks_exact(d) {
                    for ((t, v), m) in s.iter_mut().zip(row).zip(&mean) {
                        *t += (v - m) * (v - m);
                    }
                }
                s
            })
            .collect(),
    );
    var.iter().sum::<f64>() / (n as f64 * d as f64)
}

/// Greedy k-means++ as in scikit-learn: each new centre is the best (lowest
/// potential) of `2 + ln k` candidates drawn with probability ∝ D². All
/// candidates are scored in one pass over the rows.
fn kmeans_plus_plus(x: &[f64], n: usize, d: usize, k: usize, rng: &mut Rng) -> Vec<f64> {
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let first = rng.below(n);
    centers.extend_from_slice(row(first));
    let mut closest = vec![0.0; n];
    update_closest(x, d, row(first), &mut closest);
    let mut pot = ordered_sum(&closest);
    let mut cand_dist = vec![0.0; n * trials];
    for _ in 1..k {
        let mut cumsum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for v in &closest {
            acc += v;
            cumsum.push(acc);
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let r = rng.next_f64() * pot;
                cumsum.partition_point(|&c| c < r).min(n - 1)
            })
            .collect();
        let rows: Vec<f64> = candidates
            .iter()
            .flat_map(|&i| row(i).iter().copied())
            .collect();
        let ct = transpose_centres(&rows, trials, d);
        // Score every candidate in one pass, keeping each row's distance
        // to each candidate so that the winner's need not be recomputed.
        let parts: Vec<Vec<f64>> = closest
            .par_chunks(CHUNK)
            .zip(cand_dist.par_chunks_mut(CHUNK * trials))
            .enumerate()
            .map(|(c, (old, out))| {
                let start = c * CHUNK;
                let mut pots = vec![0.0; trials];
                for (r, (&old, out)) in old.iter().zip(out.chunks_exact_mut(trials)).enumerate() {
                    for (b, block) in ct.chunks_exact(d * CENTRE_LANES).enumerate() {
                        let acc = sq_dists_to_block(row(start + r), block);
                        for (lane, v) in acc.iter().enumerate() {
                            let t = b * CENTRE_LANES + lane;
                            if let (Some(p), Some(o)) = (pots.get_mut(t), out.get_mut(t)) {
                                *p += v.min(old);
                                *o = *v;
                            }
                        }
                    }
                }
                pots
            })
            .collect();
        let mut totals = vec![0.0; trials];
        for p in parts {
            for (t, v) in totals.iter_mut().zip(&p) {
                *t += v;
            }
        }
        let mut best = 0;
        for (t, v) in totals.iter().enumerate() {
            if *v < totals[best] {
                best = t;
            }
        }
        pot = totals[best];
        closest
            .par_iter_mut()
            .zip(cand_dist.par_chunks(trials))
            .for_each(|(c, ds)| *c = c.min(ds[best]));
        centers.extend_from_slice(row(candidates[best]));
    }
    centers
}

/// `closest[i] = ‖x_i - c‖²`, computed exactly as the candidate scoring
/// does.
fn update_closest(x: &[f64], d: usize, c: &[f64], closest: &mut [f64]) {
    let ct = transpose_centres(c, 1, d);
    closest
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(ch, out)| {
            let start = ch * CHUNK;
            for (r, v) in out.iter_mut().enumerate() {
                let i = start + r;
                let dist = sq_dists_to_block(&x[i * d..(i + 1) * d], &ct)[0];
                *v = dist;
            }
        });
}

/// Sum in fixed chunks (deterministic for any thread count).
fn ordered_sum(v: &[f64]) -> f64 {
    v.par_chunks(CHUNK)
        .map(crate::kernels::sum)
        .collect::<Vec<_>>()
        .iter()
        .sum()
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
