//! `f32` screening of the rows the bounded E-step ([`crate::kmeans_bounds`])
//! must relabel: the distances to every centre are computed from an `f32`
//! copy of the row and of the centres (half the bytes to gather, twice the
//! lanes per vector), with a proven bound on their error. When the nearest
//! centre beats the runner-up by more than twice that bound, it is the
//! nearest under the exact `f64` formula too (strictly, so tie-breaking
//! cannot differ), and the bound gives valid distance bounds for the row;
//! otherwise the row falls back to the `f64` computation.
//!
//! # Error bound
//!
//! With `u = 2⁻²⁴`, `x̃ = fl32(x)`, `c̃ = fl32(c)`, `X = ‖x‖`, `C = ‖c‖` and
//! `γ = d·u / (1 - d·u)`, the screen computes `n = Σ x̃ᵢ²`, `p = Σ x̃ᵢc̃ᵢ`
//! (any summation order: error at most `γ` times the sum of the absolute
//! terms), `m = fl32(‖c‖²)` and `D = (n + m) - 2p`, all in `f32`. Writing
//! `a = γ(1 + u)² + 2u + u²`: `|n - X²| ≤ aX²`, `|p - x·c| ≤ aXC`,
//! `|m - C²| ≤ (u + d·2⁻⁵²)C²` (the `f64` norm, then its rounding), and
//! the two last operations add at most `u(n + m) + u|n + m - 2p|`. Using
//! `2XC ≤ X² + C²`, the computed `D` is within `(2γ + 7u)(X² + C²)` of the
//! true squared distance up to `O(u²)` and `d·2⁻⁵²` terms, and the `f64`
//! formula is within `γ₆₄(X² + C²)`, `γ₆₄ = (2d + 8)·2⁻⁵³` (see
//! `Lloyd::new`). The bound used,
//! `E = 1.02·(2γ + 8u + γ₆₄)·(n + max C²) + A`, covers both: the extra `u` absorbs those small terms (`d·u <
//! 0.01`) and the rounding of `E` and of the comparisons made with it
//! (relative `2⁻⁵³`, on values at most `4(X² + C²)`), the factor
//! `X² ≤ n/(1 - a)`. `A = (8d + 16)·2⁻¹⁴⁹·(1 + max X + max C)²` covers
//! `f32` underflow (each of the at most `4d + 8` underflowing operations
//! errs by at most `2⁻¹⁵⁰` times a coordinate or norm).
//! The screen is off when `d·u ≥ 0.01` or a squared norm reaches `10³⁶`
//! (no `f32` overflow below that).
//!
//! If `D_b + E < D_j - E` for every `j ≠ b`, the `f64` values satisfy
//! `D64_b ≤ T_b + E < T_j - E ≤ D64_j` with `T` the true squared
//! distances, and `D64_j > 0`, so clamping at 0 keeps the order: `b` is the
//! `f64` label. `T_b ≤ D_b + E` and `T_j ≥ D_j - E` are then true distance
//! bounds, tighter than the `f64` path's (which are only within its
//! rounding of the truth, which the bounds' margin covers).

use rayon::prelude::*;

use crate::kernels::CENTRE_LANES;
use crate::linear_scores::{CHUNK, chunk_range};

/// Unit roundoff of `f32`.
const U32: f64 = 1.0 / (1u64 << 24) as f64;

/// Squared norms (rows and centres) at or above this disable the screen:
/// every `f32` value it computes stays far below `f32::MAX`.
const MAX_SQ_NORM: f64 = 1e36;

/// The `f32` centres of one E-step and the error bound of their distances.
pub(crate) struct Screen {
    /// Centres rounded to `f32`, transposed in blocks of [`CENTRE_LANES`].
    ct: Vec<f32>,
    /// Squared centre norms (computed in `f64`) rounded to `f32`; `+∞` in
    /// the padding lanes.
    cn: Vec<f32>,
    /// Relative error coefficient of a row's distances (`E` above, per unit
    /// of `n + max C²`).
    rel: f64,
    /// Largest squared centre norm.
    cmax2: f64,
    /// Absolute error term (`f32` underflow).
    abs: f64,
    d: usize,
}

impl Screen {
    /// The screen for centres `centers` (`k * d`, row-major) with squared
    /// norms `cn`, for rows of squared norm at most `max_norm`; `None` when
    /// the magnitudes or `d` rule out a proven `f32` bound.
    pub(crate) fn new(
        centers: &[f64],
        cn: &[f64],
        k: usize,
        d: usize,
        max_norm: f64,
    ) -> Option<Self> {
        let cmax2 = cn.iter().copied().fold(0.0, f64::max);
        let du = d as f64 * U32;
        let usable = d > 0
            && du < 0.01
            && max_norm < MAX_SQ_NORM
            && cmax2 < MAX_SQ_NORM
            && cn.iter().all(|v| v.is_finite());
        if !usable {
            return None;
        }
        let blocks = k.div_ceil(CENTRE_LANES);
        let mut ct = vec![0.0f32; blocks * d * CENTRE_LANES];
        for c in 0..k {
            let (b, lane) = (c / CENTRE_LANES, c % CENTRE_LANES);
            for j in 0..d {
                ct[(b * d + j) * CENTRE_LANES + lane] = centers[c * d + j] as f32;
            }
        }
        let mut cn32 = vec![f32::INFINITY; blocks * CENTRE_LANES];
        for (o, &v) in cn32.iter_mut().zip(cn) {
            *o = v as f32;
        }
        let gamma = du / (1.0 - du);
        let gamma64 = (2 * d + 8) as f64 * f64::EPSILON * 0.5;
        let rel = 1.02 * (2.0 * gamma + 8.0 * U32 + gamma64);
        let big = 1.0 + max_norm.sqrt() * 1.01 + cmax2.sqrt() * 1.01;
        let abs = (8 * d + 16) as f64 * 2f64.powi(-149) * big * big;
        Some(Screen {
            ct,
            cn: cn32,
            rel,
            cmax2,
            abs,
            d,
        })
    }

    /// Screens up to [`BATCH`] rows: row `b` is `x[at[b] * d..][..d]`.
    /// For each, `out` says whether the `f32` distances prove its `f64`
    /// label and, if so, the label, an upper bound on the squared distance
    /// to it and a lower bound on the squared distance to every other
    /// centre (true distances; see the module header).
    ///
    /// Proved means a single centre's `f32` distance is at most `t`, an
    /// `f32` at least `D_b + 2E` (`D_b` the least distance): every other one
    /// exceeds `D_b + 2E`. A NaN distance would count as at most `t` (a row
    /// whose distances are all NaN is never proved); none arises, as
    /// [`Screen::new`] admits only finite squared norms below `10³⁶`.
    ///
    /// The distances are first computed row by row (independent work),
    /// then the decision is taken for all the rows at once, each row in its
    /// own vector lane, so no row waits on a chain of horizontal reductions.
    #[inline(always)]
    pub(crate) fn decide_batch(
        &self,
        x: &[f32],
        at: &[u32],
        dist: &mut Vec<f32>,
        out: &mut Verdicts,
    ) {
        let d = self.d;
        let lanes = self.cn.len();
        // `dist[c * BATCH + b]`: row `b`'s distance to centre `c`; rows
        // past `at.len()` stay `+∞` (never proved).
        dist.clear();
        dist.resize(lanes * BATCH, f32::INFINITY);
        let mut xn = [0.0f32; BATCH];
        for (b, &r) in at.iter().enumerate().take(BATCH) {
            let xi = &x[r as usize * d..(r as usize + 1) * d];
            let n = crate::kmeans_bounds::sq_norm(xi);
            xn[b] = n;
            for (blk, (block, cn)) in self
                .ct
                .chunks_exact(d * CENTRE_LANES)
                .zip(self.cn.chunks_exact(CENTRE_LANES))
                .enumerate()
            {
                let acc = dots32_to_block(xi, block);
                for (lane, (&p, &c)) in acc.iter().zip(cn).enumerate() {
                    dist[(blk * CENTRE_LANES + lane) * BATCH + b] = (n + c) - 2.0 * p;
                }
            }
        }
        let mut low = [f32::INFINITY; BATCH];
        for col in dist.chunks_exact(BATCH) {
            for (m, &v) in low.iter_mut().zip(col) {
                *m = if v < *m { v } else { *m };
            }
        }
        let mut t = [0.0f32; BATCH];
        for b in 0..BATCH {
            let e = self.rel * (f64::from(xn[b]) + self.cmax2) + self.abs;
            out.e[b] = e;
            t[b] = up_to_f32(f64::from(low[b]) + 2.0 * e);
        }
        // Per row: how many distances are at most `t`, which (when one),
        // its value, and the least of the others; written with masks, as
        // `close` is unpredictable.
        let mut count = [0u32; BATCH];
        let mut best = [0u32; BATCH];
        let mut near = [0u32; BATCH];
        let mut far = [f32::INFINITY; BATCH];
        for (c, col) in dist.chunks_exact(BATCH).enumerate() {
            for b in 0..BATCH {
                let v = col[b];
                let close = u32::from((v <= t[b]) | v.is_nan()).wrapping_neg();
                count[b] += close & 1;
                best[b] |= close & c as u32;
                near[b] |= close & v.to_bits();
                let other = f32::from_bits(!close & v.to_bits() | close & f32::INFINITY.to_bits());
                far[b] = if other < far[b] { other } else { far[b] };
            }
        }
        for b in 0..BATCH {
            out.proved[b] = count[b] == 1;
            out.best[b] = best[b];
            out.up[b] = f64::from(f32::from_bits(near[b])) + out.e[b];
            out.lo[b] = f64::from(far[b]) - out.e[b];
        }
    }
}

/// Rows screened together by [`Screen::decide_batch`].
pub(crate) const BATCH: usize = 16;

/// What [`Screen::decide_batch`] finds for each row of a batch.
#[derive(Default)]
pub(crate) struct Verdicts {
    /// Whether the row's label is proved.
    pub(crate) proved: [bool; BATCH],
    /// The proved label.
    pub(crate) best: [u32; BATCH],
    /// Upper bound on the squared distance to `best`.
    pub(crate) up: [f64; BATCH],
    /// Lower bound on the squared distance to every other centre.
    pub(crate) lo: [f64; BATCH],
    /// The error bound `E` of the row's `f32` distances.
    pub(crate) e: [f64; BATCH],
}

/// The least `f32` at least `v` (`NaN` for `NaN`). Without a branch: the
/// rounding goes either way unpredictably.
#[inline(always)]
fn up_to_f32(v: f64) -> f32 {
    let y = v as f32;
    // One step up is one more in the bits at or above +0.0, one less below
    // (`y` is -0.0 only when `v` is at most 0, which needs no step).
    let step = if y.is_sign_negative() { u32::MAX } else { 1 };
    let below = u32::from(f64::from(y) < v).wrapping_neg();
    f32::from_bits(y.to_bits().wrapping_add(step & below))
}

/// The `n` rows of the columns `cols` rounded to `f32`, row-major, and the
/// largest squared row norm (computed in `f64`).
pub(crate) fn to_f32_and_max_norm(cols: &[&[f64]], n: usize) -> (Vec<f32>, f64) {
    let d = cols.len();
    let mut out = vec![0.0f32; n * d];
    let max_norm = out
        .par_chunks_mut(d.max(1) * CHUNK)
        .enumerate()
        .map_init(Vec::new, |norms, (c, rows)| {
            let (start, end) = chunk_range(c, n);
            norms.clear();
            norms.resize(end - start, 0.0f64);
            for (j, col) in cols.iter().enumerate() {
                let col = &col[start..end];
                for ((o, &v), s) in rows[j..]
                    .iter_mut()
                    .step_by(d)
                    .zip(col)
                    .zip(norms.iter_mut())
                {
                    *o = v as f32;
                    *s += v * v;
                }
            }
            norms.iter().copied().fold(0.0, f64::max)
        })
        .reduce(|| 0.0, f64::max);
    (out, max_norm)
}

/// The columns of the row-major `x` with `d` values per row.
#[cfg(test)]
pub(crate) fn columns_of(x: &[f64], d: usize) -> Vec<Vec<f64>> {
    (0..d)
        .map(|j| x.iter().skip(j).step_by(d).copied().collect())
        .collect()
}

/// Dot products of `x` with a block of [`CENTRE_LANES`] transposed `f32`
/// centres (one accumulator per centre, so it vectorises; four sets of
/// them over interleaved coordinates, so the additions do not form one
/// chain of `d` latencies).
#[inline(always)]
fn dots32_to_block(x: &[f32], block: &[f32]) -> [f32; CENTRE_LANES] {
    let mut acc = [[0.0f32; CENTRE_LANES]; 4];
    let xs = x.chunks_exact(4);
    let rows = block.chunks_exact(4 * CENTRE_LANES);
    let (x_rest, rows_rest) = (xs.remainder(), rows.remainder());
    for (xj, row) in xs.zip(rows) {
        for (s, (a, r)) in acc
            .iter_mut()
            .zip(row.chunks_exact(CENTRE_LANES))
            .enumerate()
        {
            for c in 0..CENTRE_LANES {
                a[c] += xj[s] * r[c];
            }
        }
    }
    for (xj, r) in x_rest.iter().zip(rows_rest.chunks_exact(CENTRE_LANES)) {
        for c in 0..CENTRE_LANES {
            acc[0][c] += xj * r[c];
        }
    }
    let mut out = [0.0f32; CENTRE_LANES];
    for (c, o) in out.iter_mut().enumerate() {
        *o = (acc[0][c] + acc[2][c]) + (acc[1][c] + acc[3][c]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{dot, sq_dist};
    use crate::kmeans_bounds::Pass;
    use crate::rng::Rng;

    /// [`to_f32_and_max_norm`] of the row-major `x`.
    fn f32_rows(x: &[f64], d: usize) -> (Vec<f32>, f64) {
        let cols = columns_of(x, d);
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        to_f32_and_max_norm(&refs, x.len() / d)
    }

    /// Screens every row of the `f32` rows `x32` in batches of 1 to
    /// [`BATCH`] rows (cycling): per row, the proved label and bounds.
    fn verdicts(screen: &Screen, x32: &[f32], d: usize) -> Vec<Option<(usize, f64, f64)>> {
        let n = x32.len() / d;
        let (mut v, mut buf) = (Verdicts::default(), Vec::new());
        let mut found = Vec::with_capacity(n);
        let mut size = 1;
        while found.len() < n {
            let at: Vec<u32> = (found.len()..(found.len() + size).min(n))
                .map(|r| r as u32)
                .collect();
            screen.decide_batch(x32, &at, &mut buf, &mut v);
            for b in 0..at.len() {
                found.push(v.proved[b].then(|| (v.best[b] as usize, v.up[b], v.lo[b])));
            }
            size = size % BATCH + 1;
        }
        found
    }

    /// Screens every row of `x` against `centers`: a proved label must be
    /// the `f64` formula's, and the returned bounds must hold for the
    /// exact distances. Returns (rows proved, rows screened).
    fn screen_rows(x: &[f64], centers: &[f64], k: usize, d: usize) -> (usize, usize) {
        let (x32, max_norm) = f32_rows(x, d);
        let cn: Vec<f64> = centers.chunks(d).map(|c| dot(c, c)).collect();
        let Some(screen) = Screen::new(centers, &cn, k, d, max_norm) else {
            return (0, 0);
        };
        let pass = Pass::exact(centers, k, d);
        let mut dist = vec![0.0; k.div_ceil(CENTRE_LANES) * CENTRE_LANES];
        let mut proved = 0;
        for (i, (xi, found)) in x.chunks(d).zip(verdicts(&screen, &x32, d)).enumerate() {
            let Some((best, up, lo)) = found else {
                continue;
            };
            proved += 1;
            let want = pass.distances(xi, &mut dist);
            assert_eq!(best, want, "row {i}: {:?}", &dist[..k]);
            let exact: Vec<f64> = centers.chunks(d).map(|c| sq_dist(xi, c)).collect();
            assert!(up >= exact[best], "row {i}");
            let other = (0..k)
                .filter(|&j| j != best)
                .map(|j| exact[j])
                .fold(f64::INFINITY, f64::min);
            assert!(lo <= other, "row {i}");
        }
        (proved, x.len() / d)
    }

    fn random(n: usize, scale: f64, offset: f64, rng: &mut Rng) -> Vec<f64> {
        (0..n)
            .map(|_| offset + scale * (rng.next_f64() - 0.5))
            .collect()
    }

    #[test]
    fn up_to_f32_is_the_least_f32_at_least_v() {
        let reference = |v: f64| {
            let y = v as f32;
            if f64::from(y) >= v { y } else { y.next_up() }
        };
        let mut rng = Rng::new(4);
        let mut values = vec![
            0.0,
            -0.0,
            1e-46,
            -1e-46,
            1e-300,
            -1e-300,
            f64::from(f32::MAX) * (1.0 + 1e-12),
            -f64::from(f32::MAX) * (1.0 + 1e-12),
            1e39,
            -1e39,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for _ in 0..100_000 {
            let e = (rng.next_f64() * 300.0) as i32 - 150;
            values.push((rng.next_f64() - 0.5) * 2f64.powi(e));
        }
        for v in values {
            let (got, want) = (up_to_f32(v), reference(v));
            assert_eq!(got.to_bits(), want.to_bits(), "{v:e}");
            assert!(f64::from(got) >= v, "{v:e}");
        }
        assert!(up_to_f32(f64::NAN).is_nan());
    }

    #[test]
    fn screen_proves_the_f64_label_on_random_rows() {
        let mut rng = Rng::new(1);
        for (k, d) in [(1, 3), (2, 1), (8, 20), (9, 7), (20, 5)] {
            let centers = random(k * d, 4.0, 0.0, &mut rng);
            let x = random(3000 * d, 6.0, 0.0, &mut rng);
            let (proved, rows) = screen_rows(&x, &centers, k, d);
            assert!(proved * 100 > rows * 95, "k {k} d {d}: {proved} of {rows}");
        }
    }

    #[test]
    fn screen_falls_back_on_near_ties() {
        // Rows on the bisector of two centres, nudged towards the first by
        // relative amounts from 1e-12 to 1e-1: the closest calls must fall
        // back, the rest be proved, and exact ties never be.
        let mut rng = Rng::new(2);
        let (k, d) = (8, 20);
        for offset in [0.0, 3.0, 1e3] {
            let centers = random(k * d, 2.0, offset, &mut rng);
            let mut x = Vec::new();
            let mut ties = Vec::new();
            for i in 0..4000 {
                let (a, b) = (rng.below(k), rng.below(k));
                let eps = if i % 4 == 0 {
                    0.0
                } else {
                    10f64.powf(-12.0 + 11.0 * rng.next_f64())
                };
                for j in 0..d {
                    let (ca, cb) = (centers[a * d + j], centers[b * d + j]);
                    x.push(0.5 * (ca + cb) + eps * (ca - cb));
                }
                ties.push((a != b && eps == 0.0).then_some((a, b)));
            }
            let (proved, rows) = screen_rows(&x, &centers, k, d);
            // Far from the origin the f32 error swamps these distances.
            assert!(proved < rows, "offset {offset}: {proved}");
            assert!(offset > 100.0 || proved > 0, "offset {offset}: {proved}");
            // A row equidistant from two centres is proved only for a third.
            let (x32, max_norm) = f32_rows(&x, d);
            let cn: Vec<f64> = centers.chunks(d).map(|c| dot(c, c)).collect();
            let screen = Screen::new(&centers, &cn, k, d, max_norm);
            let Some(screen) = screen else {
                panic!("no screen");
            };
            for (found, tie) in verdicts(&screen, &x32, d).iter().zip(&ties) {
                if let (Some((a, b)), Some((best, _, _))) = (tie, found) {
                    assert!(best != a && best != b, "offset {offset}");
                }
            }
        }
    }

    #[test]
    fn screen_is_sound_at_extreme_magnitudes() {
        let mut rng = Rng::new(3);
        let (k, d) = (8, 20);
        for (scale, offset) in [
            (1.0, 1e6),
            (1e-3, 1.0),
            (1e-20, 0.0),
            (1e-30, 0.0),
            (1e-40, 0.0),
            (1e15, 0.0),
            (1.0, 1e12),
        ] {
            let centers = random(k * d, scale, offset, &mut rng);
            let x = random(2000 * d, 1.5 * scale, offset, &mut rng);
            screen_rows(&x, &centers, k, d);
        }
        // Too large for f32: no screen.
        let big = random(8 * d, 1e19, 0.0, &mut rng);
        let cn: Vec<f64> = big.chunks(d).map(|c| dot(c, c)).collect();
        assert!(Screen::new(&big, &cn, 8, d, 1.0).is_none());
        assert!(Screen::new(&big[..d], &cn[..1], 1, d, 0.0).is_none());
    }
}
