//! k-means clustering (scikit-learn's `KMeans` with one initialisation):
//! greedy k-means++ or random seeding, then Lloyd iterations accelerated
//! with Hamerly's distance bounds (same assignments as plain Lloyd, far
//! fewer distance computations); the fitted model and its prediction.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::{numeric_columns, predict_numeric, resolve_features, row_major};
use crate::kernels::{CENTRE_LANES, dot, dots_to_block, sq_dist, sq_dists_to_block};
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
/// for `tol`).
fn mean_variance(x: &[f64], n: usize, d: usize) -> f64 {
    if d == 0 {
        return 0.0;
    }
    let mut mean = vec![0.0; d];
    for row in x.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    for m in mean.iter_mut() {
        *m /= n as f64;
    }
    let mut var = vec![0.0; d];
    for row in x.chunks_exact(d) {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (v - m) * (v - m);
        }
    }
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
    update_closest(x, d, row(first), &mut closest, true);
    let mut pot = ordered_sum(&closest);
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
        let closest_ref = &closest;
        let parts: Vec<Vec<f64>> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let (start, end) = chunk_range(c, n);
                let mut pots = vec![0.0; trials];
                for (i, &old) in closest_ref.iter().enumerate().take(end).skip(start) {
                    for (b, block) in ct.chunks_exact(d * CENTRE_LANES).enumerate() {
                        let acc = sq_dists_to_block(row(i), block);
                        for (lane, v) in acc.iter().enumerate() {
                            if let Some(p) = pots.get_mut(b * CENTRE_LANES + lane) {
                                *p += v.min(old);
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
        let cand = row(candidates[best]);
        update_closest(x, d, cand, &mut closest, false);
        centers.extend_from_slice(cand);
    }
    centers
}

/// `closest[i] = min(closest[i], ‖x_i - c‖²)` (or the distance itself when
/// `reset`), computed exactly as the candidate scoring does.
fn update_closest(x: &[f64], d: usize, c: &[f64], closest: &mut [f64], reset: bool) {
    let ct = transpose_centres(c, 1, d);
    closest
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(ch, out)| {
            let start = ch * CHUNK;
            for (r, v) in out.iter_mut().enumerate() {
                let i = start + r;
                let dist = sq_dists_to_block(&x[i * d..(i + 1) * d], &ct)[0];
                *v = if reset { dist } else { v.min(dist) };
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

/// The Lloyd/Hamerly iteration state.
struct Lloyd {
    /// The rows, row-major.
    x: Vec<f64>,
    n: usize,
    d: usize,
    k: usize,
    spherical: bool,
    centers: Vec<f64>,
    labels: Vec<u32>,
    /// Upper bound on the distance to the assigned centre.
    upper: Vec<f64>,
    /// Lower bound on the distance to every other centre.
    lower: Vec<f64>,
    /// Per-cluster coordinate sums (`k * d`) and row counts of `labels`.
    sums: Vec<f64>,
    counts: Vec<usize>,
}

/// A label change: row, old cluster, new cluster.
type Change = (usize, u32, u32);

impl Lloyd {
    fn new(x: Vec<f64>, n: usize, d: usize, k: usize, centers: Vec<f64>, spherical: bool) -> Self {
        Lloyd {
            x,
            n,
            d,
            k,
            spherical,
            centers,
            labels: vec![0; n],
            upper: vec![0.0; n],
            lower: vec![0.0; n],
            sums: vec![0.0; k * d],
            counts: vec![0; k],
        }
    }

    /// Runs up to `max_iter` iterations, stopping when no label changes or
    /// the summed squared centre shift is at most `tol` (scikit-learn's
    /// loop), then relabels every row against the final centres.
    fn run(&mut self, max_iter: usize, tol: f64) {
        self.assign_full();
        self.recompute_sums();
        let mut shifts = self.update_centers();
        let mut total: f64 = shifts.iter().map(|s| s * s).sum();
        for _ in 1..max_iter {
            if total <= tol {
                break;
            }
            let changes = self.assign_bounded(&shifts);
            if changes.is_empty() {
                break;
            }
            if changes.len() > self.n / 32 {
                self.recompute_sums();
            } else {
                self.apply_changes(&changes);
            }
            shifts = self.update_centers();
            total = shifts.iter().map(|s| s * s).sum();
        }
        // The sums were updated incrementally: make the centres the exact
        // means of the last labels, then label every row against them.
        self.recompute_sums();
        self.update_centers();
        self.assign_full();
        self.recompute_sums();
    }

    /// The centres transposed in blocks of [`CENTRE_LANES`], and their
    /// squared norms.
    fn transposed(&self) -> (Vec<f64>, Vec<f64>) {
        let cn = self
            .centers
            .chunks(self.d.max(1))
            .map(|c| dot(c, c))
            .collect();
        (transpose_centres(&self.centers, self.k, self.d), cn)
    }

    /// Half the distance from each centre to its nearest other centre.
    fn half_separations(&self) -> Vec<f64> {
        let (d, k) = (self.d, self.k);
        (0..k)
            .map(|a| {
                (0..k)
                    .filter(|&b| b != a)
                    .map(|b| {
                        sq_dist(
                            &self.centers[a * d..(a + 1) * d],
                            &self.centers[b * d..(b + 1) * d],
                        )
                        .sqrt()
                    })
                    .fold(f64::INFINITY, f64::min)
                    * 0.5
            })
            .collect()
    }

    /// Exact E-step: every distance, fresh bounds.
    fn assign_full(&mut self) {
        let (x, d, k) = (&self.x, self.d, self.k);
        let (ct, cn) = self.transposed();
        self.labels
            .par_chunks_mut(CHUNK)
            .zip(self.upper.par_chunks_mut(CHUNK))
            .zip(self.lower.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(c, ((labels, upper), lower))| {
                let start = c * CHUNK;
                for r in 0..labels.len() {
                    let i = start + r;
                    let (best, d1, d2) = nearest_two(&x[i * d..(i + 1) * d], &ct, &cn, d, k);
                    labels[r] = best as u32;
                    upper[r] = d1.sqrt();
                    lower[r] = d2.sqrt();
                }
            });
    }

    /// E-step with Hamerly's bounds, first loosened by the last centre
    /// shifts. Returns the label changes in row order.
    fn assign_bounded(&mut self, shifts: &[f64]) -> Vec<Change> {
        let (x, d, k) = (&self.x, self.d, self.k);
        let sep = self.half_separations();
        let (ct, cn) = self.transposed();
        // Largest and second-largest shift, for the lower bounds.
        let (mut m1, mut m2, mut arg) = (0.0f64, 0.0f64, usize::MAX);
        for (j, &s) in shifts.iter().enumerate() {
            if s > m1 {
                m2 = m1;
                m1 = s;
                arg = j;
            } else if s > m2 {
                m2 = s;
            }
        }
        let per_chunk: Vec<Vec<Change>> = self
            .labels
            .par_chunks_mut(CHUNK)
            .zip(self.upper.par_chunks_mut(CHUNK))
            .zip(self.lower.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(c, ((labels, upper), lower))| {
                let start = c * CHUNK;
                // Pass 1 (no row access): loosen the bounds and keep the rows
                // whose bounds no longer prove their assignment (written
                // without a branch: the test is unpredictable).
                let mut open = vec![0usize; labels.len()];
                let mut n_open = 0;
                for r in 0..labels.len() {
                    let a = labels[r] as usize;
                    let u = upper[r] + shifts.get(a).copied().unwrap_or(0.0);
                    let l = lower[r] - if a == arg { m2 } else { m1 };
                    upper[r] = u;
                    lower[r] = l;
                    open[n_open] = r;
                    n_open += usize::from(u > sep.get(a).copied().unwrap_or(0.0).max(l));
                }
                open.truncate(n_open);
                // Pass 2: exact distances for those rows only.
                let mut changes = Vec::new();
                // Gather the open rows first: a loop of independent loads
                // keeps many cache misses in flight, unlike loads spread
                // between distance computations.
                let mut rows = Vec::with_capacity(open.len() * d);
                for &r in &open {
                    let i = start + r;
                    rows.extend_from_slice(&x[i * d..(i + 1) * d]);
                }
                for (&r, xi) in open.iter().zip(rows.chunks_exact(d.max(1))) {
                    let a = labels[r];
                    let (best, d1, d2) = nearest_two(xi, &ct, &cn, d, k);
                    upper[r] = d1.sqrt();
                    lower[r] = d2.sqrt();
                    if best as u32 != a {
                        labels[r] = best as u32;
                        changes.push((start + r, a, best as u32));
                    }
                }
                changes
            })
            .collect();
        per_chunk.into_iter().flatten().collect()
    }

    /// Recomputes the cluster sums and counts from the labels, by fixed
    /// chunks reduced in order (deterministic).
    fn recompute_sums(&mut self) {
        let (x, d, k, n) = (&self.x, self.d, self.k, self.n);
        let labels = &self.labels;
        let parts: Vec<(Vec<f64>, Vec<usize>)> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let (start, end) = chunk_range(c, n);
                let mut sums = vec![0.0; k * d];
                let mut counts = vec![0usize; k];
                for i in start..end {
                    let a = labels[i] as usize;
                    counts[a] += 1;
                    for (s, v) in sums[a * d..(a + 1) * d]
                        .iter_mut()
                        .zip(&x[i * d..(i + 1) * d])
                    {
                        *s += v;
                    }
                }
                (sums, counts)
            })
            .collect();
        self.sums.fill(0.0);
        self.counts.fill(0);
        for (sums, counts) in parts {
            for (t, s) in self.sums.iter_mut().zip(&sums) {
                *t += s;
            }
            for (t, c) in self.counts.iter_mut().zip(&counts) {
                *t += c;
            }
        }
    }

    /// Moves changed rows between cluster sums, in row order.
    fn apply_changes(&mut self, changes: &[Change]) {
        let d = self.d;
        for &(i, old, new) in changes {
            let (old, new) = (old as usize, new as usize);
            let xi = &self.x[i * d..(i + 1) * d];
            for (s, v) in self.sums[old * d..(old + 1) * d].iter_mut().zip(xi) {
                *s -= v;
            }
            for (s, v) in self.sums[new * d..(new + 1) * d].iter_mut().zip(xi) {
                *s += v;
            }
            self.counts[old] -= 1;
            self.counts[new] += 1;
        }
    }

    /// M-step: centres become the means of their rows (an empty cluster
    /// takes the row farthest from its centre, as scikit-learn does).
    /// Returns each centre's shift.
    fn update_centers(&mut self) -> Vec<f64> {
        let (d, k) = (self.d, self.k);
        let empty: Vec<usize> = (0..k).filter(|&j| self.counts[j] == 0).collect();
        let mut relocated = false;
        if !empty.is_empty() {
            let far = self.farthest_rows(empty.len());
            for (&j, &i) in empty.iter().zip(&far) {
                let old = self.labels[i] as usize;
                if self.counts[old] <= 1 {
                    continue;
                }
                self.apply_changes(&[(i, old as u32, j as u32)]);
                self.labels[i] = j as u32;
                relocated = true;
            }
        }
        let mut shifts = vec![0.0; k];
        for (j, shift) in shifts.iter_mut().enumerate() {
            if self.counts[j] == 0 {
                continue;
            }
            let inv = 1.0 / self.counts[j] as f64;
            let mut new: Vec<f64> = self.sums[j * d..(j + 1) * d]
                .iter()
                .map(|s| s * inv)
                .collect();
            if self.spherical {
                let norm = dot(&new, &new).sqrt();
                if norm > 0.0 {
                    for v in new.iter_mut() {
                        *v /= norm;
                    }
                }
            }
            let old = &mut self.centers[j * d..(j + 1) * d];
            *shift = sq_dist(old, &new).sqrt();
            old.copy_from_slice(&new);
        }
        if relocated {
            // Relocated rows broke their bounds: make every bound void.
            self.upper.fill(f64::INFINITY);
            self.lower.fill(0.0);
        }
        shifts
    }

    /// The `m` rows farthest from their assigned centres (exact distances;
    /// ties to the lower row index).
    fn farthest_rows(&self, m: usize) -> Vec<usize> {
        let d = self.d;
        let mut dist: Vec<(f64, usize)> = (0..self.n)
            .into_par_iter()
            .map(|i| {
                let a = self.labels[i] as usize;
                (
                    sq_dist(
                        &self.x[i * d..(i + 1) * d],
                        &self.centers[a * d..(a + 1) * d],
                    ),
                    i,
                )
            })
            .collect();
        dist.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        dist.into_iter().take(m).map(|(_, i)| i).collect()
    }
}

/// Transposes `k` centres of `d` values into blocks of [`CENTRE_LANES`]
/// centres (`[block][coordinate][lane]`), padding with zeros.
fn transpose_centres(centers: &[f64], k: usize, d: usize) -> Vec<f64> {
    let blocks = k.div_ceil(CENTRE_LANES);
    let mut ct = vec![0.0; blocks * d * CENTRE_LANES];
    for c in 0..k {
        let (b, lane) = (c / CENTRE_LANES, c % CENTRE_LANES);
        for j in 0..d {
            ct[(b * d + j) * CENTRE_LANES + lane] = centers[c * d + j];
        }
    }
    ct
}

/// The nearest centre of `x` and the squared distances to the nearest and
/// second-nearest centres (ties to the lower index), computed as
/// `‖x‖² + ‖c‖² - 2·x·c` like scikit-learn (clamped at 0). `cn` holds the
/// squared centre norms.
#[inline]
fn nearest_two(x: &[f64], ct: &[f64], cn: &[f64], d: usize, k: usize) -> (usize, f64, f64) {
    let xn = dot(x, x);
    let (mut best, mut d1, mut d2) = (0usize, f64::INFINITY, f64::INFINITY);
    for (b, block) in ct.chunks_exact(d * CENTRE_LANES).enumerate() {
        let acc = dots_to_block(x, block);
        for (lane, &p) in acc.iter().enumerate() {
            let j = b * CENTRE_LANES + lane;
            if j >= k {
                break;
            }
            let dj = (xn + cn[j] - 2.0 * p).max(0.0);
            if dj < d1 {
                d2 = d1;
                d1 = dj;
                best = j;
            } else if dj < d2 {
                d2 = dj;
            }
        }
    }
    (best, d1, d2)
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
