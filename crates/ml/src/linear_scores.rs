//! Scoring rows with a set of linear functions (`w_k · x + b_k`) over
//! column slices, in fixed row chunks processed in parallel: the inner loop
//! of logistic regression's objective and of every linear model's predict.

/// Rows per chunk of the parallel loops. Fixed (not derived from the thread
/// count) so that chunked sums are bit-for-bit reproducible.
pub(crate) const CHUNK: usize = 2048;

/// Number of chunks covering `n` rows.
pub(crate) fn n_chunks(n: usize) -> usize {
    n.div_ceil(CHUNK)
}

/// The row range of chunk `c`.
pub(crate) fn chunk_range(c: usize, n: usize) -> (usize, usize) {
    let start = c * CHUNK;
    (start, (start + CHUNK).min(n))
}

/// Writes `z[k * len + r] = b_k + Σ_j w_k[j] · cols[j][start + r]` for rows
/// `start..start + len`. `weights[k]` must have `cols.len()` entries; a
/// missing intercept is 0.
pub(crate) fn scores(
    cols: &[&[f64]],
    start: usize,
    len: usize,
    weights: &[&[f64]],
    intercepts: &[f64],
    z: &mut [f64],
) {
    for (k, w) in weights.iter().enumerate() {
        let Some(zk) = z.get_mut(k * len..(k + 1) * len) else {
            return;
        };
        zk.fill(intercepts.get(k).copied().unwrap_or(0.0));
        for (col, &wj) in cols.iter().zip(w.iter()) {
            if let Some(x) = col.get(start..start + len) {
                crate::kernels::axpy(wj, x, zk);
            }
        }
    }
}
