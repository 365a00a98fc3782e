//! Quantile binning of numeric features into `u8` bins for the histogram
//! tree grower, following scikit-learn's `_BinMapper`: bin edges are the
//! midpoints between distinct values when a feature has at most `max_bins`
//! of them, and `max_bins`-quantiles (numpy's "midpoint" percentiles)
//! otherwise, computed on a seeded sample of at most 200 000 rows.
//!
//! A value `x` falls in bin `b` = the number of edges `< x`, so "bin <= b"
//! is exactly "x <= edges[b]": the real-valued edge is the split threshold.
//!
//! The bins are kept twice: column by column (read by the partition and
//! the score updates, one feature at a time) and row by row in a
//! [`BinMatrix`] of 32-byte [`PackedRow`]s that also carry each row's
//! gradient and hessian, so that a histogram build reads one half cache line
//! per row for every feature at once.

use rayon::prelude::*;

use crate::rng::Rng;

/// Rows used to compute the bin edges (scikit-learn's `subsample`).
pub(crate) const BINNING_SAMPLE: usize = 200_000;

/// Features binned to `u8`, column-major and row-major.
pub(crate) struct Binned {
    /// `bins[f][row]` is the bin of row `row` for feature `f`.
    pub bins: Vec<Vec<u8>>,
    /// The same bins row by row.
    pub matrix: BinMatrix,
    /// `edges[f]` are the ascending cut points of feature `f`
    /// (`edges[f].len() + 1` bins, at most 255 edges).
    pub edges: Vec<Vec<f64>>,
}

/// Bins every column (non-NaN values, all of length `n`) into at most
/// `max_bins` (2..=256) bins.
pub(crate) fn bin_columns(cols: &[&[f64]], max_bins: usize, rng: &mut Rng) -> Binned {
    let n = cols.first().map_or(0, |c| c.len());
    let sample = sample_rows(n, BINNING_SAMPLE, rng);
    let edges: Vec<Vec<f64>> = cols
        .par_iter()
        .map(|col| {
            let mut values: Vec<f64> = match &sample {
                Some(rows) => rows.iter().map(|&r| col[r as usize]).collect(),
                None => col.to_vec(),
            };
            find_edges(&mut values, max_bins)
        })
        .collect();
    let bins: Vec<Vec<u8>> = cols
        .par_iter()
        .zip(&edges)
        .map(|(col, e)| map_to_bins(col, e))
        .collect();
    let matrix = row_major(&bins, n);
    Binned {
        bins,
        matrix,
        edges,
    }
}

/// Rows per parallel task of the transposition.
const TRANSPOSE_ROWS: usize = 1 << 14;

/// Most features in one group of the row-major bin matrix.
pub(crate) const GROUP_WIDTH: usize = 24;

/// One row of a feature group: the bins of its features and the row's
/// current gradient and hessian, 32 bytes aligned, so that a histogram build
/// fetches one half cache line per row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(32))]
pub(crate) struct PackedRow {
    /// The bins of the group's features (unused slots are 0).
    pub bins: [u8; GROUP_WIDTH],
    /// The gradient of the loss at the row's score.
    pub g: f32,
    /// The hessian of the loss at the row's score.
    pub h: f32,
}

/// The bins row by row, in groups of at most [`GROUP_WIDTH`] features, each
/// row carrying its gradient and hessian.
pub(crate) struct BinMatrix {
    /// The groups, covering the features in order.
    pub groups: Vec<FeatureGroup>,
}

/// The bins of features `first..first + width`, row by row.
pub(crate) struct FeatureGroup {
    /// The first feature.
    pub first: usize,
    /// The number of features (1..=[`GROUP_WIDTH`]).
    pub width: usize,
    /// One entry per row.
    pub rows: Vec<PackedRow>,
}

/// The row-major copy of column-major bins (`n` rows each).
fn row_major(bins: &[Vec<u8>], n: usize) -> BinMatrix {
    let groups = bins
        .chunks(GROUP_WIDTH)
        .enumerate()
        .map(|(k, cols)| {
            let mut rows = vec![PackedRow::default(); n];
            rows.par_chunks_mut(TRANSPOSE_ROWS)
                .enumerate()
                .for_each(|(task, out)| {
                    let start = task * TRANSPOSE_ROWS;
                    for (f, col) in cols.iter().enumerate() {
                        let src = col.get(start..).unwrap_or_default();
                        for (dst, &b) in out.iter_mut().zip(src) {
                            if let Some(slot) = dst.bins.get_mut(f) {
                                *slot = b;
                            }
                        }
                    }
                });
            FeatureGroup {
                first: k * GROUP_WIDTH,
                width: cols.len(),
                rows,
            }
        })
        .collect();
    BinMatrix { groups }
}

/// Up to `k` distinct rows out of `n`, sorted, or `None` when `n <= k`
/// (use every row).
fn sample_rows(n: usize, k: usize, rng: &mut Rng) -> Option<Vec<u32>> {
    if n <= k {
        return None;
    }
    let mut all: Vec<u32> = (0..n as u32).collect();
    // Partial Fisher–Yates: the first k slots become a uniform sample.
    for i in 0..k {
        let j = i + rng.below(n - i);
        all.swap(i, j);
    }
    all.truncate(k);
    all.sort_unstable();
    Some(all)
}

/// The bin edges of one feature from (a sample of) its values; sorts
/// `values` in place.
pub(crate) fn find_edges(values: &mut [f64], max_bins: usize) -> Vec<f64> {
    sort_floats(values);
    let mut distinct: Vec<f64> = Vec::new();
    for &v in values.iter() {
        if distinct.last() != Some(&v) {
            distinct.push(v);
        }
    }
    let mut edges: Vec<f64> = if distinct.len() <= max_bins {
        distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect()
    } else {
        // numpy.percentile(values, 100 * i / max_bins, method="midpoint")
        let m = values.len();
        (1..max_bins)
            .map(|i| {
                let pos = i as f64 / max_bins as f64 * (m - 1) as f64;
                let lo = (pos.floor() as usize).min(m - 1);
                let hi = (pos.ceil() as usize).min(m - 1);
                midpoint(values[lo], values[hi])
            })
            .collect()
    };
    for e in &mut edges {
        *e = e.clamp(f64::MIN, f64::MAX);
    }
    edges.dedup();
    edges
}

/// Sorts in `f64::total_cmp` order, through integer keys (much faster than
/// comparing floats).
fn sort_floats(values: &mut [f64]) {
    const SIGN: u64 = 1 << 63;
    let mut keys: Vec<u64> = values
        .iter()
        .map(|v| {
            let b = v.to_bits();
            if b & SIGN != 0 { !b } else { b | SIGN }
        })
        .collect();
    keys.sort_unstable();
    for (v, &k) in values.iter_mut().zip(&keys) {
        *v = f64::from_bits(if k & SIGN != 0 { k & !SIGN } else { !k });
    }
}

/// The midpoint of `a <= b`, never overflowing.
fn midpoint(a: f64, b: f64) -> f64 {
    a / 2.0 + b / 2.0
}

/// The bin of every value: the number of edges strictly below it.
fn map_to_bins(col: &[f64], edges: &[f64]) -> Vec<u8> {
    col.iter().map(|&x| bin_of(x, edges)).collect()
}

/// The bin of one value.
#[inline]
pub(crate) fn bin_of(x: f64, edges: &[f64]) -> u8 {
    edges.partition_point(|&e| e < x) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_cut_at_midpoints() {
        let mut v = vec![3.0, 1.0, 2.0, 2.0, 1.0];
        let e = find_edges(&mut v, 255);
        assert_eq!(e, vec![1.5, 2.5]);
        assert_eq!(bin_of(1.0, &e), 0);
        assert_eq!(bin_of(1.5, &e), 0);
        assert_eq!(bin_of(2.0, &e), 1);
        assert_eq!(bin_of(3.0, &e), 2);
    }

    #[test]
    fn many_values_cut_at_quantiles() {
        let mut v: Vec<f64> = (0..1000).map(f64::from).collect();
        let e = find_edges(&mut v, 4);
        // numpy.percentile(range(1000), [25, 50, 75], method="midpoint")
        assert_eq!(e, vec![249.5, 499.5, 749.5]);
        let binned = bin_columns(&[&v], 4, &mut Rng::new(0));
        let counts: Vec<usize> = (0..4)
            .map(|b| binned.bins[0].iter().filter(|&&x| x == b).count())
            .collect();
        assert_eq!(counts, vec![250, 250, 250, 250]);
    }

    #[test]
    fn large_columns_are_binned_from_a_seeded_sample() {
        let n = BINNING_SAMPLE + 50_000;
        let v: Vec<f64> = (0..n).map(|i| ((i * 7_919) % n) as f64).collect();
        let a = bin_columns(&[&v], 255, &mut Rng::new(1));
        let b = bin_columns(&[&v], 255, &mut Rng::new(1));
        assert_eq!(a.edges, b.edges);
        assert_eq!(a.edges[0].len(), 254);
        let mut counts = [0usize; 255];
        for &x in &a.bins[0] {
            counts[x as usize] += 1;
        }
        let even = n / 255;
        assert!(
            counts
                .iter()
                .all(|&c| c > even * 8 / 10 && c < even * 12 / 10)
        );
        // Every row's bin agrees with its threshold test.
        for (&x, &bin) in v.iter().zip(&a.bins[0]).step_by(97) {
            let e = &a.edges[0];
            assert!(bin as usize == e.len() || x <= e[bin as usize]);
            assert!(bin == 0 || x > e[bin as usize - 1]);
        }
    }

    #[test]
    fn float_sort_is_the_total_order() {
        let mut rng = Rng::new(5);
        let mut v: Vec<f64> = (0..2000)
            .map(|_| (rng.next_f64() - 0.5) * 10f64.powi(rng.below(40) as i32 - 20))
            .collect();
        v.extend([
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            1e-310,
            -1e-310,
        ]);
        let mut want = v.clone();
        want.sort_by(f64::total_cmp);
        sort_floats(&mut v);
        assert_eq!(
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn row_major_groups_hold_the_column_bins() {
        let n = 700;
        let cols: Vec<Vec<f64>> = (0..GROUP_WIDTH + 5)
            .map(|f| (0..n).map(|i| ((i * (f + 3)) % 101) as f64).collect())
            .collect();
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let b = bin_columns(&refs, 255, &mut Rng::new(0));
        assert_eq!(b.matrix.groups.len(), 2);
        for group in &b.matrix.groups {
            assert_eq!(group.rows.len(), n);
            for (r, row) in group.rows.iter().enumerate() {
                for k in 0..GROUP_WIDTH {
                    let want = if k < group.width {
                        b.bins[group.first + k][r]
                    } else {
                        0
                    };
                    assert_eq!(row.bins[k], want);
                }
            }
        }
        assert_eq!(b.matrix.groups[1].first, GROUP_WIDTH);
        assert_eq!(b.matrix.groups[1].width, 5);
    }

    #[test]
    fn constant_feature_has_one_bin() {
        let mut v = vec![7.0; 10];
        assert!(find_edges(&mut v, 255).is_empty());
    }
}
