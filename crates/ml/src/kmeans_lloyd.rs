//! The Lloyd iterations of k-means: the iteration state, the loop
//! (scikit-learn's stopping rule), incremental centre sums and the M-step
//! with scikit-learn's empty-cluster relocation. The E-steps are exact but
//! pruned by per-row distance bounds ([`crate::kmeans_bounds`]: one lower
//! bound per group of centres, `MAX_GROUPS` of them — Hamerly's single
//! bound as tuned), so an iteration reads `4 + 4·(groups + 1)` bytes per
//! row, skips chunks whose bound summary proves every row, and touches the
//! rows only where a bound fails — their row-major `f32` copy
//! ([`crate::kmeans_f32`]), the `f64` input columns only where that cannot
//! prove the label. The centre sums are kept from the input columns.

use rayon::prelude::*;

use crate::kernels::{CENTRE_LANES, dot, sq_dist};
use crate::kmeans_bounds::{
    ChunkOut, ChunkRows, Data, MAX_GROUPS, Pass, Scratch, open_limits, row_of,
};
use crate::kmeans_f32::{Screen, to_f32_and_max_norm};
use crate::linear_scores::{CHUNK, chunk_range};

/// The Lloyd iteration state.
pub(crate) struct Lloyd<'a> {
    /// The input, one slice of `n` values per feature.
    cols: Vec<&'a [f64]>,
    /// The rows rounded to `f32`, row-major (for the screen of
    /// [`Pass::chunk`]).
    x32: Vec<f32>,
    /// The largest squared row norm.
    max_norm: f64,
    n: usize,
    d: usize,
    k: usize,
    /// Re-normalise the centres after each update (cosine distance).
    spherical: bool,
    /// The centres, `k * d` row-major.
    pub(crate) centers: Vec<f64>,
    /// The cluster of each row.
    pub(crate) labels: Vec<u32>,
    /// Row counts of `labels`.
    pub(crate) counts: Vec<usize>,
    /// Per-cluster coordinate sums of `labels` (`k * d`).
    sums: Vec<f64>,
    /// Number of centre groups with a lower bound each.
    groups: usize,
    /// The group of each centre.
    group_of: Vec<usize>,
    /// Per row, the upper bound on the distance to the assigned centre minus
    /// that centre's drift (`+∞`: unknown).
    upper: Vec<f32>,
    /// Per row and group, the lower bound on the distance to the group's
    /// centres (the assigned one excluded) plus the group's drift.
    lower: Vec<f32>,
    /// Cumulative (over-estimated) shift of each centre.
    drift: Vec<f64>,
    /// Cumulative largest shift in each group.
    group_drift: Vec<f64>,
    /// A bound proves an assignment only by more than this: covers the
    /// rounding of the computed squared distances (see [`Lloyd::new`]).
    margin: f64,
    /// Per chunk of rows, label and group, the least `l_g - u` (see
    /// [`Pass::chunk`]); `-∞`: unknown.
    summary: Vec<f64>,
    /// E-steps run (the initial one included).
    pub(crate) iterations: usize,
    /// Rows whose distances were computed, over all E-steps.
    pub(crate) opened: usize,
    /// Opened rows whose label the `f32` screen proved, over all E-steps.
    pub(crate) screened: usize,
}

impl<'a> Lloyd<'a> {
    /// The state for the `n` rows of the columns `cols` and initial
    /// `centers` (`k * d`, row-major); no row is assigned yet.
    pub(crate) fn new(
        cols: Vec<&'a [f64]>,
        n: usize,
        k: usize,
        centers: Vec<f64>,
        spherical: bool,
    ) -> Self {
        let d = cols.len();
        let groups = k.min(MAX_GROUPS);
        let group_of = (0..k).map(|j| j * groups / k).collect();
        // A computed squared distance `‖x‖² + ‖c‖² - 2x·c` is within
        // E = γ(‖x‖² + ‖c‖²) of the true one, γ = (2d + 8)·2⁻⁵³; centres are
        // means (or copies) of rows, so ‖c‖ ≤ max ‖x‖. Stored distances are
        // then within √E of the truth, and computed distances keep the order
        // of true ones whose gap exceeds √(2E): 4√E covers both.
        let (x32, max_norm) = to_f32_and_max_norm(&cols, n);
        let gamma = (2 * d + 8) as f64 * f64::EPSILON * 0.5;
        let margin = 4.0 * (gamma * 2.0 * max_norm).sqrt() + f64::MIN_POSITIVE;
        Lloyd {
            cols,
            x32,
            max_norm,
            n,
            d,
            k,
            spherical,
            centers,
            labels: vec![0; n],
            counts: vec![0; k],
            sums: vec![0.0; k * d],
            groups,
            group_of,
            upper: vec![f32::INFINITY; n],
            lower: vec![0.0; n * groups],
            drift: vec![0.0; k],
            group_drift: vec![0.0; groups],
            margin,
            summary: vec![f64::NEG_INFINITY; n.div_ceil(CHUNK) * k * groups],
            iterations: 0,
            opened: 0,
            screened: 0,
        }
    }

    /// Runs up to `max_iter` iterations, stopping when no label changes or
    /// the summed squared centre shift is at most `tol` (scikit-learn's
    /// loop), then relabels every row against the final centres.
    pub(crate) fn run(&mut self, max_iter: usize, tol: f64) {
        self.assign(false);
        self.recompute_sums();
        let mut shifts = self.update_centers();
        let mut total: f64 = shifts.iter().map(|s| s * s).sum();
        for _ in 1..max_iter {
            if total <= tol {
                break;
            }
            if self.assign(true) == 0 {
                break;
            }
            shifts = self.update_centers();
            total = shifts.iter().map(|s| s * s).sum();
        }
        // The sums were updated incrementally: make the centres the exact
        // means of the last labels, then label every row against them.
        self.recompute_sums();
        self.update_centers();
        self.assign(true);
    }

    /// Adds the last centre shifts to the cumulative drifts, rounded up.
    fn add_drift(&mut self, shifts: &[f64]) {
        let up = |s: f64| s * (1.0 + 1e-12);
        for (t, s) in self.drift.iter_mut().zip(shifts) {
            *t += up(*s);
        }
        let mut most = vec![0.0f64; self.groups];
        for (j, s) in shifts.iter().enumerate() {
            let g = self.group_of[j];
            most[g] = most[g].max(up(*s));
        }
        for (t, s) in self.group_drift.iter_mut().zip(most) {
            *t += s;
        }
    }

    /// The E-step: relabels every row whose bounds do not prove its label
    /// (every row when the bounds are unknown), refreshing its bounds.
    /// Merges the chunks' sum and count changes when `track`; returns the
    /// number of label changes.
    fn assign(&mut self, track: bool) -> usize {
        let per_chunk = match self.groups {
            1 => self.assign_chunks::<1>(track),
            2 => self.assign_chunks::<2>(track),
            3 => self.assign_chunks::<3>(track),
            4 => self.assign_chunks::<4>(track),
            5 => self.assign_chunks::<5>(track),
            6 => self.assign_chunks::<6>(track),
            7 => self.assign_chunks::<7>(track),
            _ => self.assign_chunks::<MAX_GROUPS>(track),
        };
        self.iterations += 1;
        let mut changes = 0;
        for out in per_chunk {
            self.opened += out.opened;
            self.screened += out.screened;
            changes += out.changes;
            for (s, v) in self.sums.iter_mut().zip(&out.delta) {
                *s += v;
            }
            for (c, &v) in self.counts.iter_mut().zip(&out.moved) {
                *c = c.wrapping_add_signed(v);
            }
        }
        changes
    }

    /// [`Lloyd::assign`] with `G == self.groups`, by chunks in parallel.
    fn assign_chunks<const G: usize>(&mut self, track: bool) -> Vec<ChunkOut> {
        let mut pass = self.pass();
        pass.track = track;
        let data = Data {
            cols: &self.cols,
            x32: &self.x32,
        };
        self.labels
            .par_chunks_mut(CHUNK)
            .zip(self.upper.par_chunks_mut(CHUNK))
            .zip(self.lower.par_chunks_mut(CHUNK * G))
            .zip(self.summary.par_chunks_mut(self.k * G))
            .enumerate()
            .map_init(
                Scratch::default,
                |scratch, (c, (((labels, upper), lower), summary))| {
                    let rows = ChunkRows {
                        start: c * CHUNK,
                        labels,
                        upper,
                        lower,
                    };
                    crate::simd::with_avx2(
                        #[inline(always)]
                        || pass.chunk::<G>(data, rows, summary, scratch),
                    )
                },
            )
            .collect()
    }

    /// The centres as [`Pass`] needs them.
    fn pass(&self) -> Pass {
        let (d, k) = (self.d, self.k);
        let centre = |j: usize| &self.centers[j * d..(j + 1) * d];
        let sep: Vec<f64> = (0..k)
            .map(|a| {
                (0..k)
                    .filter(|&b| b != a)
                    .map(|b| sq_dist(centre(a), centre(b)).sqrt())
                    .fold(f64::INFINITY, f64::min)
                    * 0.5
            })
            .collect();
        let mut group_drift = [0.0; MAX_GROUPS];
        group_drift[..self.groups].copy_from_slice(&self.group_drift);
        let cn: Vec<f64> = (0..k).map(|j| dot(centre(j), centre(j))).collect();
        Pass {
            limits: open_limits(&sep, &self.drift, self.margin),
            ct: transpose_centres(&self.centers, k, d),
            screen: Screen::new(&self.centers, &cn, k, d, self.max_norm),
            cn,
            drift: self.drift.clone(),
            group_drift,
            group_of: self.group_of.clone(),
            margin: self.margin,
            track: false,
            d,
            k,
        }
    }

    /// Moves row `i` from cluster `old` to `new` in the sums and counts.
    fn move_row(&mut self, i: usize, old: usize, new: usize) {
        let d = self.d;
        for (j, col) in self.cols.iter().enumerate() {
            self.sums[old * d + j] -= col[i];
            self.sums[new * d + j] += col[i];
        }
        self.counts[old] -= 1;
        self.counts[new] += 1;
    }

    /// Recomputes the cluster sums and counts from the labels, by fixed
    /// chunks reduced in order (deterministic).
    fn recompute_sums(&mut self) {
        let (cols, d, k, n) = (&self.cols, self.d, self.k, self.n);
        let labels = &self.labels;
        let parts: Vec<(Vec<f64>, Vec<usize>)> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let (start, end) = chunk_range(c, n);
                let mut sums = vec![0.0; k * d];
                let mut counts = vec![0usize; k];
                let labels = &labels[start..end];
                for &a in labels {
                    counts[a as usize] += 1;
                }
                for (j, col) in cols.iter().enumerate() {
                    for (&a, v) in labels.iter().zip(&col[start..end]) {
                        sums[a as usize * d + j] += v;
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

    /// M-step: centres become the means of their rows (an empty cluster
    /// takes the row farthest from its centre, as scikit-learn does).
    /// Returns each centre's shift (added to the drifts).
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
                self.move_row(i, old, j);
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
        self.add_drift(&shifts);
        if relocated {
            // Relocated rows broke their bounds: make every bound unknown.
            self.upper.fill(f32::INFINITY);
            self.summary.fill(f64::NEG_INFINITY);
        }
        shifts
    }

    /// The `m` rows farthest from their assigned centres (exact distances;
    /// ties to the lower row index).
    fn farthest_rows(&self, m: usize) -> Vec<usize> {
        let d = self.d;
        let mut dist: Vec<(f64, usize)> = (0..self.n)
            .into_par_iter()
            .map_init(Vec::new, |row, i| {
                let a = self.labels[i] as usize;
                row_of(&self.cols, i, row);
                (sq_dist(row, &self.centers[a * d..(a + 1) * d]), i)
            })
            .collect();
        dist.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        dist.into_iter().take(m).map(|(_, i)| i).collect()
    }
}

/// Transposes `k` centres of `d` values into blocks of [`CENTRE_LANES`]
/// centres (`[block][coordinate][lane]`), padding with zeros.
pub(crate) fn transpose_centres(centers: &[f64], k: usize, d: usize) -> Vec<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans_f32::columns_of;
    use crate::rng::Rng;

    /// Plain Lloyd with the same distance formula, stopping rule and
    /// empty-cluster rule, every distance computed every iteration and the
    /// sums recomputed from scratch: (labels, centres, counts, E-steps).
    fn plain_lloyd(
        x: &[f64],
        d: usize,
        k: usize,
        mut centers: Vec<f64>,
        spherical: bool,
        max_iter: usize,
        tol: f64,
    ) -> (Vec<u32>, Vec<f64>, Vec<usize>, usize) {
        let n = x.len() / d;
        let nearest = |centers: &[f64]| -> Vec<u32> {
            let pass = Pass::exact(centers, k, d);
            let mut dist = vec![0.0; k.div_ceil(CENTRE_LANES) * CENTRE_LANES];
            x.chunks(d)
                .map(|xi| pass.distances(xi, &mut dist) as u32)
                .collect()
        };
        let sums_counts = |labels: &[u32]| {
            let mut sums = vec![0.0; k * d];
            let mut counts = vec![0usize; k];
            for (xi, &a) in x.chunks(d).zip(labels) {
                let a = a as usize;
                counts[a] += 1;
                for (s, v) in sums[a * d..(a + 1) * d].iter_mut().zip(xi) {
                    *s += v;
                }
            }
            (sums, counts)
        };
        // The M-step, relocation included; returns the summed squared shift.
        let m_step = |labels: &mut Vec<u32>, centers: &mut Vec<f64>| -> f64 {
            let (_, mut counts) = sums_counts(labels);
            let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0).collect();
            if !empty.is_empty() {
                let mut far: Vec<(f64, usize)> = (0..n)
                    .map(|i| {
                        let a = labels[i] as usize;
                        (
                            sq_dist(&x[i * d..(i + 1) * d], &centers[a * d..(a + 1) * d]),
                            i,
                        )
                    })
                    .collect();
                far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                for (&j, &(_, i)) in empty.iter().zip(&far) {
                    let old = labels[i] as usize;
                    if counts[old] <= 1 {
                        continue;
                    }
                    counts[old] -= 1;
                    counts[j] += 1;
                    labels[i] = j as u32;
                }
            }
            let (sums, counts) = sums_counts(labels);
            let mut total = 0.0;
            for j in 0..k {
                if counts[j] == 0 {
                    continue;
                }
                let mut new: Vec<f64> = sums[j * d..(j + 1) * d]
                    .iter()
                    .map(|s| s / counts[j] as f64)
                    .collect();
                if spherical {
                    let norm = dot(&new, &new).sqrt();
                    for v in new.iter_mut() {
                        *v /= norm;
                    }
                }
                total += sq_dist(&centers[j * d..(j + 1) * d], &new);
                centers[j * d..(j + 1) * d].copy_from_slice(&new);
            }
            total
        };
        let mut labels = nearest(&centers);
        let mut steps = 1;
        let mut total = m_step(&mut labels, &mut centers);
        for _ in 1..max_iter {
            if total <= tol {
                break;
            }
            let new = nearest(&centers);
            steps += 1;
            if new == labels {
                break;
            }
            labels = new;
            total = m_step(&mut labels, &mut centers);
        }
        let last = centers.clone();
        let labels = nearest(&centers);
        steps += 1;
        let (_, counts) = sums_counts(&labels);
        (labels, last, counts, steps)
    }

    /// Overlapping Gaussian blobs (slow to converge: many label changes
    /// near the boundaries for many iterations).
    fn blobs(n: usize, d: usize, centres: usize, rng: &mut Rng) -> Vec<f64> {
        let means: Vec<f64> = (0..centres * d)
            .map(|_| 3.0 * (rng.next_f64() - 0.5))
            .collect();
        let mut x = Vec::with_capacity(n * d);
        for _ in 0..n {
            let c = rng.below(centres);
            for j in 0..d {
                let (u, v) = (rng.next_f64().max(1e-300), rng.next_f64());
                let g = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                x.push(means[c * d + j] + g);
            }
        }
        x
    }

    /// Runs both on `x` (row-major) from `k` random rows; returns (rows
    /// opened, rows × E-steps, rows the `f32` screen proved).
    fn check(
        x: Vec<f64>,
        d: usize,
        k: usize,
        seed: u64,
        spherical: bool,
        tol: f64,
    ) -> (usize, usize, usize) {
        let n = x.len() / d;
        let mut rng = Rng::new(seed);
        let centers: Vec<f64> = (0..k)
            .flat_map(|_| {
                let i = rng.below(n);
                x[i * d..(i + 1) * d].to_vec()
            })
            .collect();
        let want = plain_lloyd(&x, d, k, centers.clone(), spherical, 300, tol);
        let cols = columns_of(&x, d);
        let mut got = Lloyd::new(
            cols.iter().map(Vec::as_slice).collect(),
            n,
            k,
            centers,
            spherical,
        );
        got.run(300, tol);
        let what = format!("n {n} d {d} k {k} seed {seed}");
        assert_eq!(got.iterations, want.3, "{what}: E-steps");
        let labels = &got.labels;
        let diff: Vec<usize> = (0..n).filter(|&i| labels[i] != want.0[i]).collect();
        assert!(
            diff.is_empty(),
            "{what}: {} labels differ, first {:?}",
            diff.len(),
            diff.first()
        );
        assert_eq!(got.counts, want.2, "{what}: counts");
        for (a, b) in got.centers.iter().zip(&want.1) {
            assert!(
                (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                "{what}: {a} vs {b}"
            );
        }
        (got.opened, n * got.iterations, got.screened)
    }

    #[test]
    fn bounded_lloyd_matches_plain_lloyd() {
        let (mut opened, mut rows, mut screened) = (0, 0, 0);
        for (seed, &k) in [1usize, 2, 3, 5, 8, 9, 13, 20].iter().enumerate() {
            for (n, d, centres) in [(3000, 2, 6), (2000, 7, 12), (1500, 20, 5)] {
                let mut rng = Rng::new(100 + seed as u64);
                let x = blobs(n, d, centres, &mut rng);
                let (o, r, s) = check(x, d, k, seed as u64, false, 0.0);
                opened += o;
                screened += s;
                rows += r;
            }
        }
        // The bounds spared most distance computations.
        assert!(opened * 3 < rows, "{opened} of {rows} rows opened");
        // The f32 screen decided almost every opened row.
        assert!(
            screened * 100 > opened * 95,
            "{screened} of {opened} screened"
        );
    }

    #[test]
    fn bounded_lloyd_matches_plain_lloyd_at_large_and_small_magnitudes() {
        // Offsets and scales where the f32 screen proves some, few or no
        // rows (falling back to f64), or loses everything to underflow.
        let (d, k) = (6, 5);
        for (i, (scale, offset)) in [
            (1.0, 1e6),
            (1.0, 300.0),
            (1e-3, 1.0),
            (1e-20, 0.0),
            (1e-42, 0.0),
            (1e15, 0.0),
        ]
        .into_iter()
        .enumerate()
        {
            let mut rng = Rng::new(40 + i as u64);
            let x: Vec<f64> = blobs(1500, d, 7, &mut rng)
                .into_iter()
                .map(|v| offset + scale * v)
                .collect();
            check(x, d, k, i as u64, false, 0.0);
        }
    }

    #[test]
    fn bounded_lloyd_matches_plain_lloyd_with_tiny_differences() {
        // Rows differing by multiples of 2⁻¹³ of their size: squared
        // distances mostly below the f32 screen's error bound (it falls
        // back), far above the f64 rounding. (Differences down at the f64
        // rounding make labels depend on the last bits of the centres,
        // which incremental sums do not reproduce.)
        let mut rng = Rng::new(9);
        let d = 4;
        let step = 1.0 / f64::from(1u32 << 13);
        let x: Vec<f64> = (0..2000 * d)
            .map(|j| (1.0 + (j % d) as f64) * (1.0 + rng.below(64) as f64 * step))
            .collect();
        for seed in 0..3 {
            check(x.clone(), d, 4, seed, false, 0.0);
        }
    }

    #[test]
    fn bounded_lloyd_matches_plain_lloyd_with_tol_and_cosine() {
        for seed in 0..4u64 {
            let mut rng = Rng::new(seed);
            let x = blobs(2500, 5, 9, &mut rng);
            check(x.clone(), 5, 8, seed, false, 1e-4);
            let unit: Vec<f64> = x
                .chunks(5)
                .flat_map(|r| {
                    let norm = dot(r, r).sqrt();
                    r.iter().map(move |v| v / norm).collect::<Vec<_>>()
                })
                .collect();
            check(unit, 5, 6, seed, true, 0.0);
        }
    }

    #[test]
    fn bounded_lloyd_handles_ties_and_empty_clusters() {
        // Integer points with many duplicates: exact distance ties, and
        // duplicate initial centres leave clusters empty (relocation).
        let mut rng = Rng::new(7);
        let x: Vec<f64> = (0..600 * 3).map(|_| rng.below(4) as f64).collect();
        for seed in 0..6 {
            check(x.clone(), 3, 7, seed, false, 0.0);
        }
        let dup: Vec<f64> = (0..200).flat_map(|i| [(i % 5) as f64, 0.0]).collect();
        check(dup, 2, 8, 3, false, 0.0);
    }

    /// The 1M × 20 benchmark table, when present (`cargo test --release --
    /// --ignored`).
    #[test]
    #[ignore]
    fn bounded_lloyd_matches_plain_lloyd_on_benchmark_data() {
        let Ok(bytes) = std::fs::read("/tmp/mc_X.f64") else {
            return;
        };
        let x: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let (opened, rows, screened) = check(x, 20, 8, 2, false, 0.0);
        println!("opened {opened} of {rows} row-steps, f32-screened {screened}");
    }
}
