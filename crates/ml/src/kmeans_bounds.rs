//! The bounded E-step of k-means ([`crate::kmeans_lloyd`]): per-row
//! distance bounds stored relative to the centres' cumulative drift, the
//! test that proves a row's label from them, and the exact relabelling of
//! the rows where it fails.
//!
//! A row keeps an upper bound `u` on its distance to its centre `a` and, per
//! group `g` of centres, a lower bound `l_g` on its distance to the group's
//! centres (`a` excluded). When centre `j` moves by `δ_j`, the bounds stay
//! valid as `u + δ_a` and `l_g - max_{j∈g} δ_j`; they are stored as
//! `u - S_a` and `l_g + D_g`, where `S_j` and `D_g` are those moves summed
//! over the iterations, so a row whose label is proved is never written.
//! Values are `f32` rounded outwards; the test demands a margin that covers
//! the rounding of computed squared distances, so a proved label is the one
//! plain Lloyd computes.
//!
//! A row whose bounds fail is first screened in `f32`
//! ([`crate::kmeans_f32`]): when the `f32` distances prove the `f64` label,
//! its bounds come from them (widened by their error bound); only the
//! other rows are read from the `f64` columns and recomputed.

use crate::kernels::{CENTRE_LANES, dots_to_block};
use crate::kmeans_f32::{BATCH, Screen, Verdicts};

/// Most groups of centres carrying a lower bound: one group per centre up
/// to this `k` (Elkan), contiguous runs of centres beyond (Yinyang). One
/// group is Hamerly's single lower bound; on the 1M × 20, k = 8 benchmark
/// it was the fastest (1 < 2 < 8 in CPU time): the finer bounds opened
/// hardly fewer rows there but cost more bytes per row and per refresh.
pub(crate) const MAX_GROUPS: usize = 1;

/// A label change: row, old cluster, new cluster.
pub(crate) type Change = (usize, u32, u32);

/// What an E-step needs of the centres and drifts.
pub(crate) struct Pass {
    /// Centres transposed in blocks of [`CENTRE_LANES`].
    pub(crate) ct: Vec<f64>,
    /// Squared centre norms.
    pub(crate) cn: Vec<f64>,
    /// The test of [`Pass::open_rows`] per label ([`open_limits`]; `sep_a`
    /// is half the distance from centre `a` to its nearest other centre).
    pub(crate) limits: Vec<[f64; 2]>,
    /// Cumulative drift `S_j` of each centre.
    pub(crate) drift: Vec<f64>,
    /// Cumulative drift `D_g` of each group (0 past the last group).
    pub(crate) group_drift: [f64; MAX_GROUPS],
    /// The group of each centre.
    pub(crate) group_of: Vec<usize>,
    /// Safety margin of the test (see `Lloyd::new`).
    pub(crate) margin: f64,
    /// Whether a chunk reports the change of the cluster sums and counts
    /// its label changes make ([`ChunkOut::delta`]).
    pub(crate) track: bool,
    /// The `f32` screen of opened rows (`None`: every opened row is
    /// computed in `f64`).
    pub(crate) screen: Option<Screen>,
    pub(crate) d: usize,
    pub(crate) k: usize,
}

/// What one chunk of rows reports from an E-step.
pub(crate) struct ChunkOut {
    /// Label changes.
    pub(crate) changes: usize,
    /// With [`Pass::track`], what the changes add to the cluster sums
    /// (`k * d`, from the `f64` columns, in row order; empty when none).
    pub(crate) delta: Vec<f64>,
    /// With [`Pass::track`], what they add to the cluster counts (`k`).
    pub(crate) moved: Vec<isize>,
    /// Rows whose distances were computed.
    pub(crate) opened: usize,
    /// Opened rows whose label the `f32` screen proved.
    pub(crate) screened: usize,
}

/// Relabelled rows of a chunk waiting for [`Pass::store_batch`]: the row
/// (chunk offset) and its centre, the squared distance to it (upper bound)
/// and to the nearest other centre (lower bound).
#[derive(Default)]
struct Batch {
    rows: Vec<(u32, u32)>,
    up: Vec<f64>,
    lo: Vec<f64>,
}

impl Batch {
    #[inline(always)]
    fn clear(&mut self) {
        self.rows.clear();
        self.up.clear();
        self.lo.clear();
    }

    #[inline(always)]
    fn push(&mut self, r: usize, best: usize, up: f64, lo: f64) {
        self.rows.push((r as u32, best as u32));
        self.up.push(up);
        self.lo.push(lo);
    }
}

/// What an E-step reads of the rows: the input columns and the rows
/// rounded to `f32`, row-major (read when [`Pass::screen`] is set).
#[derive(Clone, Copy)]
pub(crate) struct Data<'a> {
    pub(crate) cols: &'a [&'a [f64]],
    pub(crate) x32: &'a [f32],
}

/// One chunk's per-row state: rows `start..start + labels.len()`, their
/// labels and bounds (`upper` one value per row, `lower` `G` per row).
pub(crate) struct ChunkRows<'a> {
    pub(crate) start: usize,
    pub(crate) labels: &'a mut [u32],
    pub(crate) upper: &'a mut [f32],
    pub(crate) lower: &'a mut [f32],
}

/// Reusable per-thread buffers of [`Pass::chunk`].
#[derive(Default)]
pub(crate) struct Scratch {
    open: Vec<u32>,
    batch: Batch,
    changes: Vec<Change>,
    row: Vec<f64>,
    rows32: Vec<f32>,
    dist: Vec<f64>,
    dist32: Vec<f32>,
    verdicts: Verdicts,
}

impl Pass {
    /// The E-step on one chunk of rows with `G` groups: relabels the rows
    /// whose bounds fail and refreshes their bounds.
    ///
    /// `summary` (`k * G` values) holds, per label `a` and group `g`, the
    /// least `l_g - u` over the chunk's rows labelled `a`: when every one
    /// exceeds `S_a + D_g + margin`, every row's bounds hold and the chunk
    /// is skipped unread. It is recomputed whenever the chunk is read.
    #[inline(always)]
    pub(crate) fn chunk<const G: usize>(
        &self,
        data: Data<'_>,
        mut rows: ChunkRows<'_>,
        summary: &mut [f64],
        scratch: &mut Scratch,
    ) -> ChunkOut {
        let mut holds = true;
        for (a, s) in summary.chunks_exact(G).enumerate() {
            let limit = self.drift[a] + self.margin;
            for (v, dg) in s.iter().zip(&self.group_drift) {
                holds &= *v > limit + dg;
            }
        }
        if holds {
            return ChunkOut {
                changes: 0,
                delta: Vec::new(),
                moved: Vec::new(),
                opened: 0,
                screened: 0,
            };
        }
        let out = self.relabel::<G>(data, &mut rows, scratch);
        summary.fill(f64::INFINITY);
        let ChunkRows {
            labels,
            upper,
            lower,
            ..
        } = rows;
        for ((&a, &u), l) in labels.iter().zip(upper.iter()).zip(lower.chunks_exact(G)) {
            let s = &mut summary[a as usize * G..(a as usize + 1) * G];
            let u = f64::from(u);
            for (v, lg) in s.iter_mut().zip(l) {
                let q = f64::from(*lg) - u;
                *v = if q < *v { q } else { *v };
            }
        }
        out
    }

    /// [`Pass::chunk`] on a chunk that must be read.
    #[inline(always)]
    fn relabel<const G: usize>(
        &self,
        data: Data<'_>,
        rows: &mut ChunkRows<'_>,
        scratch: &mut Scratch,
    ) -> ChunkOut {
        let (d, cols, x32, start) = (self.d, data.cols, data.x32, rows.start);
        let len = rows.labels.len();
        self.open_rows::<G>(rows.labels, rows.upper, rows.lower, &mut scratch.open);
        let lanes = self.k.div_ceil(CENTRE_LANES) * CENTRE_LANES;
        scratch.dist.resize(lanes, 0.0);
        let mut changes = std::mem::take(&mut scratch.changes);
        changes.clear();
        let mut screened = 0;
        let mut out = Bounds {
            labels: &mut *rows.labels,
            upper: &mut *rows.upper,
            lower: &mut *rows.lower,
            changes: &mut changes,
            start,
        };
        if let Some(screen) = &self.screen {
            // Many open rows are read in place (a stream the prefetcher
            // follows), few are gathered first.
            let dense = scratch.open.len() * DENSE >= len;
            let rows = if dense {
                &x32[start * d..(start + len) * d]
            } else {
                gather(x32, start, d, &scratch.open, &mut scratch.rows32)
            };
            let row = &mut scratch.row;
            let batch = &mut scratch.batch;
            batch.clear();
            let v = &mut scratch.verdicts;
            let mut at = [0u32; BATCH];
            for (g, group) in scratch.open.chunks(BATCH).enumerate() {
                for (b, (a, &r)) in at.iter_mut().zip(group).enumerate() {
                    *a = if dense { r } else { (g * BATCH + b) as u32 };
                }
                screen.decide_batch(rows, &at[..group.len()], &mut scratch.dist32, v);
                for (b, &r) in group.iter().enumerate() {
                    let r = r as usize;
                    if !v.proved[b] {
                        row_of(cols, start + r, row);
                        let best = self.distances(row, &mut scratch.dist);
                        if G == 1 {
                            let lo = self.second(best, &scratch.dist);
                            batch.push(r, best, scratch.dist[best], lo);
                        } else {
                            let up = scratch.dist[best];
                            self.record::<G>(&mut out, r, best, up, &scratch.dist);
                        }
                        continue;
                    }
                    screened += 1;
                    let best = v.best[b] as usize;
                    if G == 1 {
                        batch.push(r, best, v.up[b], v.lo[b]);
                    } else {
                        for (o, col) in scratch
                            .dist
                            .iter_mut()
                            .zip(scratch.dist32.chunks_exact(BATCH))
                        {
                            let lo = f64::from(col[b]) - v.e[b];
                            *o = if lo > 0.0 { lo } else { 0.0 };
                        }
                        self.record::<G>(&mut out, r, best, v.up[b], &scratch.dist);
                    }
                }
            }
            if G == 1 {
                self.store_batch(&mut out, batch);
            }
        } else {
            for &r in &scratch.open {
                row_of(cols, start + r as usize, &mut scratch.row);
                let best = self.distances(&scratch.row, &mut scratch.dist);
                let up = scratch.dist[best];
                self.record::<G>(&mut out, r as usize, best, up, &scratch.dist);
            }
        }
        let (delta, moved) = if self.track && !changes.is_empty() {
            self.delta(cols, &changes)
        } else {
            (Vec::new(), Vec::new())
        };
        let out = ChunkOut {
            changes: changes.len(),
            delta,
            moved,
            opened: scratch.open.len(),
            screened,
        };
        scratch.changes = changes;
        out
    }

    /// What the label `changes` add to the cluster sums (each sum in row
    /// order) and counts. Change by change: the row's values, one per
    /// column, are independent loads that miss together.
    #[inline(always)]
    fn delta(&self, cols: &[&[f64]], changes: &[Change]) -> (Vec<f64>, Vec<isize>) {
        let d = self.d;
        let mut delta = vec![0.0; self.k * d];
        for &(i, old, new) in changes {
            let (o, w) = (old as usize * d, new as usize * d);
            for (j, col) in cols.iter().enumerate() {
                let v = col[i];
                delta[o + j] -= v;
                delta[w + j] += v;
            }
        }
        let mut moved = vec![0isize; self.k];
        for &(_, old, new) in changes {
            moved[old as usize] -= 1;
            moved[new as usize] += 1;
        }
        (delta, moved)
    }

    /// Stores row `r`'s new label `best` and its bounds: the upper bound from
    /// the squared distance `up` to `best`, the lower bounds from the squared
    /// distances `dist` to the others.
    #[inline(always)]
    fn record<const G: usize>(
        &self,
        out: &mut Bounds<'_>,
        r: usize,
        best: usize,
        up: f64,
        dist: &[f64],
    ) {
        let mut group_min = [f64::INFINITY; G];
        if G == 1 {
            group_min[0] = self.second(best, dist);
        } else if self.k == G {
            group_min.copy_from_slice(&dist[..G]);
            group_min[best] = f64::INFINITY;
        } else {
            for (j, &v) in dist[..self.k].iter().enumerate() {
                let g = self.group_of[j];
                if j != best && v < group_min[g] {
                    group_min[g] = v;
                }
            }
        }
        self.store::<G>(out, r, best, up, &group_min);
    }

    /// Stores row `r`'s new label `best`, its upper bound from the squared
    /// distance `up` and its lower bounds from the least squared distances
    /// `group_min` to each group's other centres.
    #[inline(always)]
    fn store<const G: usize>(
        &self,
        out: &mut Bounds<'_>,
        r: usize,
        best: usize,
        up: f64,
        group_min: &[f64; G],
    ) {
        out.upper[r] = round_up(up.sqrt() - self.drift[best]);
        let lower = &mut out.lower[r * G..(r + 1) * G];
        for ((o, m), gd) in lower.iter_mut().zip(group_min).zip(&self.group_drift) {
            *o = round_down(m.sqrt() + gd);
        }
        out.set_label(r, best);
    }

    /// The least squared distance to a centre other than `best`.
    #[inline(always)]
    fn second(&self, best: usize, dist: &[f64]) -> f64 {
        let mut m = f64::INFINITY;
        for (j, &v) in dist[..self.k].iter().enumerate() {
            m = if (j != best) & (v < m) { v } else { m };
        }
        m
    }

    /// [`Pass::store`] for a batch of rows with one group: the square roots
    /// first, over the whole batch (they vectorise and pipeline), then the
    /// bounds and labels, in row order.
    #[inline(always)]
    fn store_batch(&self, out: &mut Bounds<'_>, batch: &mut Batch) {
        for v in batch.up.iter_mut() {
            *v = v.sqrt();
        }
        for v in batch.lo.iter_mut() {
            *v = if *v > 0.0 { v.sqrt() } else { 0.0 };
        }
        let gd = self.group_drift[0];
        for ((&(r, best), &up), &lo) in batch.rows.iter().zip(&batch.up).zip(&batch.lo) {
            let (r, best) = (r as usize, best as usize);
            out.upper[r] = round_up(up - self.drift[best]);
            out.lower[r] = round_down(lo + gd);
            out.set_label(r, best);
        }
    }

    /// The rows (chunk offsets) whose bounds do not prove their label:
    /// `u + S_a + margin` must be below half the separation of `a` or below
    /// every `l_g - D_g`, tested as `u < sep_a - S_a - margin` or
    /// `u - min_g (l_g - D_g) < -(S_a + margin)` ([`open_limits`]). Written
    /// without a branch (the test is unpredictable) or a bounds check.
    #[inline(always)]
    fn open_rows<const G: usize>(
        &self,
        labels: &[u32],
        upper: &[f32],
        lower: &[f32],
        open: &mut Vec<u32>,
    ) {
        open.clear();
        open.resize(labels.len(), 0);
        let mut gd = [0.0; G];
        gd.copy_from_slice(&self.group_drift[..G]);
        let mask = self.limits.len() - 1;
        let mut n_open = 0;
        for (r, ((&a, &u), l)) in labels
            .iter()
            .zip(upper)
            .zip(lower.chunks_exact(G))
            .enumerate()
        {
            let [by_sep, by_lower] = self.limits[a as usize & mask];
            let mut lo = f64::INFINITY;
            for (lg, dg) in l.iter().zip(&gd) {
                let v = f64::from(*lg) - dg;
                lo = if v < lo { v } else { lo };
            }
            let u = f64::from(u);
            open[n_open] = r as u32;
            n_open += usize::from(!((u < by_sep) | (u - lo < by_lower)));
        }
        open.truncate(n_open);
    }

    /// The squared distances from `x` to every centre into `dist`, computed
    /// as `‖x‖² + ‖c‖² - 2·x·c` like scikit-learn (clamped at 0; padding
    /// lanes get +∞), and the nearest centre (ties to the lower index).
    #[inline(always)]
    pub(crate) fn distances(&self, x: &[f64], dist: &mut [f64]) -> usize {
        let xn = sq_norm(x);
        for (b, (block, out)) in self
            .ct
            .chunks_exact(self.d * CENTRE_LANES)
            .zip(dist.chunks_exact_mut(CENTRE_LANES))
            .enumerate()
        {
            let acc = dots_to_block(x, block);
            for (lane, (o, &p)) in out.iter_mut().zip(&acc).enumerate() {
                let j = b * CENTRE_LANES + lane;
                let cn = self.cn.get(j).copied().unwrap_or(f64::INFINITY);
                let v = xn + cn - 2.0 * p;
                *o = if v > 0.0 { v } else { 0.0 };
            }
        }
        let (mut best, mut d1) = (0usize, f64::INFINITY);
        for (j, &v) in dist[..self.k].iter().enumerate() {
            let lt = v < d1;
            d1 = if lt { v } else { d1 };
            best = if lt { j } else { best };
        }
        best
    }
}

/// The per-row state [`Pass::record`] writes, for one chunk.
struct Bounds<'a> {
    labels: &'a mut [u32],
    upper: &'a mut [f32],
    lower: &'a mut [f32],
    changes: &'a mut Vec<Change>,
    /// The chunk's first row.
    start: usize,
}

impl Bounds<'_> {
    /// Labels row `r` (chunk offset) `best`, noting a change.
    #[inline(always)]
    fn set_label(&mut self, r: usize, best: usize) {
        let best = best as u32;
        if best != self.labels[r] {
            self.changes.push((self.start + r, self.labels[r], best));
            self.labels[r] = best;
        }
    }
}

/// Per label `a` (padded to a power of two), the limits of the test of
/// [`Pass::open_rows`]: `sep_a - S_a - margin` and `-(S_a + margin)`.
pub(crate) fn open_limits(sep: &[f64], drift: &[f64], margin: f64) -> Vec<[f64; 2]> {
    let mut limits = vec![[f64::NEG_INFINITY; 2]; sep.len().next_power_of_two()];
    for ((l, &s), &t) in limits.iter_mut().zip(sep).zip(drift) {
        *l = [s - t - margin, -(t + margin)];
    }
    limits
}

/// A chunk's rows are read in place when at least `1 / DENSE` of them are
/// open, else gathered ([`gather`]).
const DENSE: usize = 2;

/// The open rows `open` (offsets from `start`) of the row-major `x` with
/// `d` columns, copied into `buf`: a loop of independent loads keeps many
/// cache misses in flight, unlike loads spread between distance
/// computations.
#[inline(always)]
fn gather<'s>(
    x: &'s [f32],
    start: usize,
    d: usize,
    open: &[u32],
    buf: &'s mut Vec<f32>,
) -> &'s [f32] {
    buf.clear();
    for &r in open {
        let i = start + r as usize;
        buf.extend_from_slice(&x[i * d..(i + 1) * d]);
    }
    buf
}

/// Row `i` of the columns `cols`, into `row`.
#[inline(always)]
pub(crate) fn row_of(cols: &[&[f64]], i: usize, row: &mut Vec<f64>) {
    row.clear();
    row.extend(cols.iter().map(|c| c[i]));
}

/// `‖x‖²` with four accumulators (fixed order), in `f64` or `f32`.
#[inline(always)]
pub(crate) fn sq_norm<T>(x: &[T]) -> T
where
    T: Copy + Default + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    let c = x.chunks_exact(4);
    let rest = c.remainder();
    let mut acc = [T::default(); 4];
    for v in c {
        for i in 0..4 {
            acc[i] = acc[i] + v[i] * v[i];
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for &v in rest {
        s = s + v * v;
    }
    s
}

#[cfg(test)]
impl Pass {
    /// A pass that only computes exact distances to `centers` (no bounds,
    /// no screen), for reference computations in tests.
    pub(crate) fn exact(centers: &[f64], k: usize, d: usize) -> Pass {
        Pass {
            ct: crate::kmeans_lloyd::transpose_centres(centers, k, d),
            cn: centers
                .chunks(d)
                .map(|c| crate::kernels::dot(c, c))
                .collect(),
            limits: open_limits(&vec![0.0; k], &vec![0.0; k], 0.0),
            drift: vec![0.0; k],
            group_drift: [0.0; MAX_GROUPS],
            group_of: vec![0; k],
            margin: 0.0,
            track: false,
            screen: None,
            d,
            k,
        }
    }
}

/// Relative slack that makes a rounding to nearest `f32` land on the right
/// side: `|fl32(y) - y| ≤ 2⁻²⁴|y|` (plus `2⁻¹⁵⁰` among subnormals).
const F32_SLACK: f64 = 1.0 / (1u64 << 23) as f64;

/// Absolute slack covering the `f32` subnormal spacing.
const F32_TINY: f64 = 1e-37;

/// An `f32` at least `v` (at least `-f32::MAX`).
#[inline(always)]
pub(crate) fn round_up(v: f64) -> f32 {
    let y = v + v.abs() * F32_SLACK + F32_TINY;
    if y > -f64::from(f32::MAX) {
        y as f32
    } else {
        -f32::MAX
    }
}

/// An `f32` at most `v` (at most `f32::MAX`, which `+∞` becomes: still
/// far above any distance).
#[inline(always)]
pub(crate) fn round_down(v: f64) -> f32 {
    let y = v - v.abs() * F32_SLACK - F32_TINY;
    if y < f64::from(f32::MAX) {
        y as f32
    } else {
        f32::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_outwards() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let m = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let e = ((s >> 3) % 80) as i32 - 40;
            let v = m * 2f64.powi(e);
            assert!(f64::from(round_up(v)) >= v, "{v}");
            assert!(f64::from(round_down(v)) <= v, "{v}");
        }
        for v in [0.0, -0.0, 1e-45, -1e-45, 1e-39, 3e38, 1e300, -1e300] {
            assert!(f64::from(round_up(v)) >= v.max(-f64::from(f32::MAX)), "{v}");
            assert!(f64::from(round_down(v)) <= v, "{v}");
        }
        assert_eq!(round_down(f64::INFINITY), f32::MAX);
        assert_eq!(round_up(f64::INFINITY), f32::INFINITY);
    }
}
