//! Small numeric kernels (dot products, axpy, stable logistic functions)
//! written so that the compiler vectorises them; shared by the linear
//! models, k-means and the optimisers.

/// Dot product of two slices over their common length, with eight
/// independent accumulators so that it vectorises. The summation order is
/// fixed, so the result is deterministic.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0.0f64; 8];
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Sum of a slice with eight accumulators (vectorised, fixed order).
pub(crate) fn sum(a: &[f64]) -> f64 {
    let ca = a.chunks_exact(8);
    let ra = ca.remainder();
    let mut acc = [0.0f64; 8];
    for x in ca {
        for i in 0..8 {
            acc[i] += x[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for x in ra {
        s += x;
    }
    s
}

/// `y += a * x` over the common length.
pub(crate) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Squared Euclidean distance between two slices over their common length
/// (four accumulators, fixed order).
#[inline]
pub(crate) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0.0f64; 4];
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        let d = x - y;
        s += d * d;
    }
    s
}

/// Number of centres handled together by [`dots_to_block`].
pub(crate) const CENTRE_LANES: usize = 8;

/// Dot products of `x` with a block of [`CENTRE_LANES`] centres stored
/// transposed (`block[j * CENTRE_LANES + c]` is coordinate `j` of centre
/// `c`); one independent accumulator per centre, so it vectorises.
#[inline(always)]
pub(crate) fn dots_to_block(x: &[f64], block: &[f64]) -> [f64; CENTRE_LANES] {
    let mut acc = [0.0f64; CENTRE_LANES];
    for (xj, row) in x.iter().zip(block.chunks_exact(CENTRE_LANES)) {
        for c in 0..CENTRE_LANES {
            acc[c] += xj * row[c];
        }
    }
    acc
}

/// `log(1 + exp(z))` and the sigmoid `1 / (1 + exp(-z))`, computed together
/// from one exponential without overflow.
#[inline]
pub(crate) fn log1pexp_and_sigmoid(z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    let l = z.max(0.0) + e.ln_1p();
    let p = if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (l, p)
}

/// The sigmoid `1 / (1 + exp(-z))` without overflow.
#[inline]
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_agree_with_naive_loops() {
        let a: Vec<f64> = (0..19).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..19).map(|i| 1.0 - i as f64).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-12);
        assert!((sum(&a) - a.iter().sum::<f64>()).abs() < 1e-12);
        let mut y = b.clone();
        axpy(2.0, &a, &mut y);
        assert!((y[3] - (b[3] + 2.0 * a[3])).abs() < 1e-15);
        let (l, p) = log1pexp_and_sigmoid(800.0);
        assert!((l - 800.0).abs() < 1e-12 && (p - 1.0).abs() < 1e-15);
        let (l, p) = log1pexp_and_sigmoid(-800.0);
        assert!(l.abs() < 1e-300 && p < 1e-300);
        assert!((sigmoid(0.3) - 1.0 / (1.0 + (-0.3f64).exp())).abs() < 1e-16);
    }
}
