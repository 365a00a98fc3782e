//! k-means initialisations that pick the same rows as scikit-learn.
//!
//! Both functions replay scikit-learn 1.9.1's draws from numpy's legacy
//! `RandomState` ([`NumpyRng`]) with unit sample weights, and numpy's
//! arithmetic wherever it decides an index: `cumsum` is a sequential sum,
//! `searchsorted` finds the first cumulative value above (`side='right'`)
//! or at least (`side='left'`) the drawn value. Given the same integer seed
//! they return the same row indices as scikit-learn, in the same order.
//!
//! The one place where the arithmetic differs is the squared distances of
//! k-means++: scikit-learn computes them from dot products of centred data,
//! here they are sums of squared differences (more accurate). The values
//! differ in the last bits, which changes a choice only when a draw lands
//! within about 1e-13 (relative) of a cumulative-sum boundary.
//!
//! The data is column-major: `cols[j][i]` is feature `j` of row `i`.

use rayon::prelude::*;

use crate::numpy_rng::NumpyRng;

/// Rows per parallel block of the k-means++ distance passes. Blocks are
/// fixed, so the potentials (summed per block, then in block order) do not
/// depend on the number of threads.
const BLOCK: usize = 8192;

/// Indices per checkpoint of [`UniformCdf`].
const CHECKPOINT: usize = 4096;

/// The rows scikit-learn's k-means++ (`_kmeans_plusplus`, unit sample
/// weights, `n_local_trials = 2 + floor(ln k)`) picks as initial centres
/// for `np.random.RandomState(seed)`, in the order picked.
///
/// `cols` holds the features (each at least `n` long); `k` is at most `n`
/// (scikit-learn refuses larger `k`; here the result then has repeated
/// rows). Empty when `n` or `k` is 0. Seeds above `u32::MAX`, which numpy
/// refuses, follow [`NumpyRng::new`].
pub(crate) fn kmeans_plus_plus_indices(
    cols: &[&[f64]],
    n: usize,
    k: usize,
    seed: u64,
) -> Vec<usize> {
    if n == 0 || k == 0 {
        return Vec::new();
    }
    let cols: Vec<&[f64]> = cols.iter().map(|c| &c[..n]).collect();
    let mut rng = NumpyRng::new(seed);
    let trials = n_local_trials(k);

    // `random_state.choice(n, p=sample_weight / sample_weight.sum())`.
    let first = UniformCdf::new(n, &[]).search_right(rng.random_sample());
    let mut indices = Vec::with_capacity(k);
    indices.push(first);
    if k == 1 {
        return indices;
    }

    let mut store = DistanceStore::new(n, trials + 1);
    let mut pot = store.pass(&cols, &[first]).0;
    let mut targets = vec![0.0; trials];
    for _ in 1..k {
        // `random_state.uniform(size=n_local_trials) * current_pot`.
        for t in &mut targets {
            *t = rng.random_sample() * pot;
        }
        let candidates = store.search_left(&targets);
        let (best_pot, best) = store.pass(&cols, &candidates);
        indices.push(candidates[best]);
        pot = best_pot;
    }
    indices
}

/// The rows scikit-learn's `init='random'` picks for
/// `np.random.RandomState(seed)` with unit sample weights:
/// `random_state.choice(n, size=k, replace=False, p=ones(n) / n)`, which
/// draws in rounds (numpy's legacy `choice` without replacement but with
/// `p`): each round draws as many uniforms as rows are still missing, zeroes
/// the probabilities of the rows already found, and keeps the first
/// occurrence of each new row in draw order.
///
/// `k` is capped at `n` (numpy refuses larger `k`). Seeds above
/// `u32::MAX`, which numpy refuses, follow [`NumpyRng::new`].
pub(crate) fn random_indices(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let k = k.min(n);
    let mut rng = NumpyRng::new(seed);
    let mut found: Vec<usize> = Vec::with_capacity(k);
    let mut sorted_found: Vec<usize> = Vec::with_capacity(k);
    let mut draws = Vec::with_capacity(k);
    while found.len() < k {
        draws.clear();
        draws.extend((found.len()..k).map(|_| rng.random_sample()));
        let cdf = UniformCdf::new(n, &sorted_found);
        let round_start = found.len();
        for &x in &draws {
            let i = cdf.search_right(x);
            // Rows already found have probability 0 and are never drawn;
            // a row drawn twice in one round counts once.
            if !found[round_start..].contains(&i) {
                found.push(i);
            }
        }
        sorted_found.clone_from(&found);
        sorted_found.sort_unstable();
    }
    found
}

/// scikit-learn's number of candidates per k-means++ centre after the
/// first: `2 + int(np.log(k))`.
fn n_local_trials(k: usize) -> usize {
    // Truncation intended (`int()` of a non-negative float).
    2 + (k as f64).ln() as usize
}

/// numpy's normalised `cumsum` of `n` equal probabilities `1.0 / n` of which
/// those at some indices are set to 0, walked without being stored:
/// cumulative values are kept every [`CHECKPOINT`] indices and the walk is
/// replayed from the checkpoint before the searched value.
struct UniformCdf<'a> {
    /// Number of probabilities.
    n: usize,
    /// Each probability that is not zeroed (`1.0 / n`, as numpy's
    /// `ones(n) / ones(n).sum()`).
    p: f64,
    /// Sorted indices whose probability is 0.
    zeroed: &'a [usize],
    /// The cumulative sum at the end of each checkpoint span.
    ends: Vec<f64>,
}

impl<'a> UniformCdf<'a> {
    /// Walks the whole sum once to record the checkpoints.
    fn new(n: usize, zeroed: &'a [usize]) -> Self {
        // Exact conversion: row counts are far below 2^53.
        let p = 1.0 / n as f64;
        let mut cdf = UniformCdf {
            n,
            p,
            zeroed,
            ends: Vec::with_capacity(n.div_ceil(CHECKPOINT)),
        };
        let mut sum = 0.0;
        for start in (0..n).step_by(CHECKPOINT) {
            let end = (start + CHECKPOINT).min(n);
            sum = if zeroed.is_empty() {
                // The common case, without the per-index check of `walk`.
                (start..end).fold(sum, |s, _| s + p)
            } else {
                cdf.walk(start, end, sum, |_, _| false).1
            };
            cdf.ends.push(sum);
        }
        cdf
    }

    /// Adds the probabilities of `start..end` to `sum` in order until
    /// `stop(index, cumulative value)` holds; returns that index (or `end`)
    /// and the sum reached.
    fn walk(
        &self,
        start: usize,
        end: usize,
        mut sum: f64,
        mut stop: impl FnMut(usize, f64) -> bool,
    ) -> (usize, f64) {
        let mut zeroed = self.zeroed[self.zeroed.partition_point(|&z| z < start)..].iter();
        let mut next_zero = zeroed.next().copied();
        for i in start..end {
            if next_zero == Some(i) {
                // `sum + 0.0 == sum`: the cumulative value does not move.
                next_zero = zeroed.next().copied();
            } else {
                sum += self.p;
            }
            if stop(i, sum) {
                return (i, sum);
            }
        }
        (end, sum)
    }

    /// `(cdf / cdf[-1]).searchsorted(x, side='right')`: the first index
    /// whose normalised cumulative probability exceeds `x`, clipped to
    /// `n - 1` (never needed for `x` in `[0, 1)` and a positive total).
    fn search_right(&self, x: f64) -> usize {
        let total = self.ends.last().copied().unwrap_or(0.0);
        let Some(span) = self.ends.iter().position(|&e| e / total > x) else {
            return self.n.saturating_sub(1);
        };
        let start = span * CHECKPOINT;
        let before = if span == 0 { 0.0 } else { self.ends[span - 1] };
        let end = (start + CHECKPOINT).min(self.n);
        let (i, _) = self.walk(start, end, before, |_, s| s / total > x);
        i.min(self.n - 1)
    }
}

/// The squared distances of k-means++, in one buffer allocated once per
/// call: `slots` arrays of `n` values, laid out block by block (for each
/// block of [`BLOCK`] rows, the block's values of slot 0, then slot 1, ...)
/// so that one parallel task owns a block of every slot. One slot holds each
/// row's squared distance to its closest centre; a pass writes the other
/// slots with the updated closest distances for each candidate, and the
/// winner's slot becomes the closest one, so nothing is copied.
struct DistanceStore {
    /// Number of rows.
    n: usize,
    /// Number of slots (candidates per pass + 1).
    slots: usize,
    /// The slot holding the current closest distances (none before the
    /// first pass).
    closest: Option<usize>,
    /// `slots * n` values, block by block.
    buf: Vec<f64>,
}

impl DistanceStore {
    /// An empty store for `n` rows. The buffer is zero-allocated, so its
    /// pages are first touched by the parallel passes.
    fn new(n: usize, slots: usize) -> Self {
        DistanceStore {
            n,
            slots,
            closest: None,
            buf: vec![0.0; slots * n],
        }
    }

    /// The current closest distances, block by block.
    fn closest_blocks(&self, slot: usize) -> impl Iterator<Item = &[f64]> {
        self.buf.chunks(self.slots * BLOCK).map(move |chunk| {
            let len = chunk.len() / self.slots;
            &chunk[slot * len..(slot + 1) * len]
        })
    }

    /// `np.searchsorted(np.cumsum(closest), targets)` (`side='left'`: the
    /// first index whose cumulative value is at least the target), clipped
    /// to `n - 1`, with the sum accumulated sequentially as numpy does. One
    /// pass over the sorted targets, stopping at the largest.
    fn search_left(&self, targets: &[f64]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..targets.len()).collect();
        order.sort_by(|&a, &b| targets[a].total_cmp(&targets[b]));
        let last = self.n - 1;
        let mut found = vec![last; targets.len()];
        let Some(slot) = self.closest else {
            return found;
        };
        let mut pending = order.iter().peekable();
        let mut sum = 0.0;
        let mut row = 0;
        'blocks: for block in self.closest_blocks(slot) {
            for &v in block {
                sum += v;
                while let Some(&&t) = pending.peek() {
                    if targets[t] > sum {
                        break;
                    }
                    found[t] = row;
                    pending.next();
                }
                if pending.peek().is_none() {
                    break 'blocks;
                }
                row += 1;
            }
        }
        found
    }

    /// Computes, for each candidate row, every row's squared distance to
    /// it, lowered to the current closest distance (when there is one), and
    /// its sum (the potential). The first candidate with the lowest
    /// potential wins: its distances become the closest ones. Returns the
    /// winner's potential and position in `candidates` (at most
    /// `slots - 1` of them).
    fn pass(&mut self, cols: &[&[f64]], candidates: &[usize]) -> (f64, usize) {
        let d = cols.len();
        let closest = self.closest;
        // Candidate coordinates, candidate-major.
        let centres: Vec<f64> = candidates
            .iter()
            .flat_map(|&c| cols.iter().map(move |col| col[c]))
            .collect();
        // The slots receiving each candidate's distances.
        let dest: Vec<usize> = (0..self.slots)
            .filter(|&s| Some(s) != closest)
            .take(candidates.len())
            .collect();
        let slots = self.slots;
        let partials: Vec<Vec<f64>> = self
            .buf
            .par_chunks_mut(slots * BLOCK)
            .enumerate()
            .map(|(b, chunk)| {
                let len = chunk.len() / slots;
                let r0 = b * BLOCK;
                let mut outs: Vec<&mut [f64]> = Vec::with_capacity(dest.len());
                let mut near: Option<&[f64]> = None;
                for (s, part) in chunk.chunks_mut(len).enumerate() {
                    if Some(s) == closest {
                        near = Some(part);
                    } else if dest.contains(&s) {
                        outs.push(part);
                    }
                }
                let block: Vec<&[f64]> = cols.iter().map(|c| &c[r0..r0 + len]).collect();
                crate::simd::with_avx2(
                    #[inline(always)]
                    || block_distances(&block, &centres, d, near, &mut outs),
                )
            })
            .collect();
        let mut pots = vec![0.0; candidates.len()];
        for part in &partials {
            for (p, v) in pots.iter_mut().zip(part) {
                *p += v;
            }
        }
        let mut best = 0;
        for (t, &p) in pots.iter().enumerate() {
            if p < pots[best] {
                best = t;
            }
        }
        self.closest = dest.get(best).copied();
        (pots.get(best).copied().unwrap_or(0.0), best)
    }
}

/// One block of a k-means++ pass: writes into `outs[t]` each row's squared
/// distance to centre `t` (coordinates `centres[t * d..(t + 1) * d]`),
/// lowered to `near` when given, and returns the block sums of `outs`.
///
/// Four columns at a time, so an output value is loaded and stored once per
/// four squares added; the inner loops run over contiguous rows and
/// vectorise. Each row's sum runs over the columns in order.
#[inline(always)]
fn block_distances(
    block: &[&[f64]],
    centres: &[f64],
    d: usize,
    near: Option<&[f64]>,
    outs: &mut [&mut [f64]],
) -> Vec<f64> {
    for (t, out) in outs.iter_mut().enumerate() {
        let centre = &centres[t * d..(t + 1) * d];
        if block.is_empty() {
            out.fill(0.0);
        }
        for (g, (xs, c)) in block.chunks(4).zip(centre.chunks(4)).enumerate() {
            let first = g == 0;
            match (xs, c) {
                ([a, b, e, f], [ca, cb, ce, cf]) => {
                    add_squares(out, [a, b, e, f], [*ca, *cb, *ce, *cf], first);
                }
                ([a, b, e], [ca, cb, ce]) => add_squares(out, [a, b, e], [*ca, *cb, *ce], first),
                ([a, b], [ca, cb]) => add_squares(out, [a, b], [*ca, *cb], first),
                ([a], [ca]) => add_squares(out, [a], [*ca], first),
                _ => {}
            }
        }
    }
    outs.iter_mut()
        .map(|out| {
            if let Some(near) = near {
                for (o, &m) in out.iter_mut().zip(near) {
                    *o = o.min(m);
                }
            }
            lane_sum(out)
        })
        .collect()
}

/// Adds to each `out[i]` (replaces it with, when `first`) the squares
/// `(xs[g][i] - c[g])²` for `g` in order.
#[inline(always)]
fn add_squares<const G: usize>(out: &mut [f64], xs: [&&[f64]; G], c: [f64; G], first: bool) {
    let n = out.len();
    let xs = xs.map(|x| &x[..n]);
    for (i, o) in out.iter_mut().enumerate() {
        // `0.0 + e²` is `e²` exactly.
        let mut s = if first { 0.0 } else { *o };
        for g in 0..G {
            let e = xs[g][i] - c[g];
            s += e * e;
        }
        *o = s;
    }
}

/// A sum in a fixed order (eight interleaved partial sums, then a fixed
/// tree), so it vectorises and is the same on every run.
fn lane_sum(values: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += v;
        }
    }
    let mut sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for &v in rest {
        sum += v;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The four numeric columns of the iris dataset (`data/iris.csv`).
    fn iris() -> Vec<Vec<f64>> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/iris.csv");
        let text = std::fs::read_to_string(path).expect("iris fixture");
        let mut cols = vec![Vec::new(); 4];
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            for (c, field) in cols.iter_mut().zip(line.split(',')) {
                c.push(field.trim().parse::<f64>().expect("number"));
            }
        }
        cols
    }

    /// `x_ij = ((i * 7919 + j * 104729) % 1000) / 37 - 13.5`, 5000 × 3.
    fn synthetic() -> Vec<Vec<f64>> {
        (0..3)
            .map(|j| {
                (0..5000)
                    .map(|i| ((i * 7919 + j * 104_729) % 1000) as f64 / 37.0 - 13.5)
                    .collect()
            })
            .collect()
    }

    fn views(cols: &[Vec<f64>]) -> Vec<&[f64]> {
        cols.iter().map(Vec::as_slice).collect()
    }

    /// From scikit-learn 1.9.1 / numpy 2.4.6:
    /// ```python
    /// X = np.loadtxt("iris.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))
    /// kmeans_plusplus(X - X.mean(0), k, random_state=seed)[1]
    /// ```
    #[test]
    fn kmeans_plus_plus_matches_sklearn_on_iris() {
        let cols = iris();
        assert_eq!(cols[0].len(), 150);
        let cases: [(usize, u64, &[usize]); 4] = [
            (3, 0, &[82, 46, 112]),
            (3, 1, &[62, 0, 77]),
            (3, 7, &[11, 132, 82]),
            (8, 0, &[82, 46, 145, 105, 3, 127, 78, 93]),
        ];
        for (k, seed, want) in cases {
            let got = kmeans_plus_plus_indices(&views(&cols), 150, k, seed);
            assert_eq!(got, want, "k {k}, seed {seed}");
        }
    }

    /// From scikit-learn 1.9.1 / numpy 2.4.6:
    /// ```python
    /// i = np.arange(5000)[:, None]; j = np.arange(3)[None, :]
    /// S = ((i * 7919 + j * 104729) % 1000) / 37.0 - 13.5
    /// kmeans_plusplus(S - S.mean(0), 5, random_state=seed)[1]
    /// ```
    /// 5000 rows span several parallel blocks.
    #[test]
    fn kmeans_plus_plus_matches_sklearn_on_synthetic_data() {
        let cols = synthetic();
        let cases: [(u64, [usize; 5]); 4] = [
            (0, [2744, 3578, 2118, 1914, 3955]),
            (1, [2085, 1510, 464, 2692, 1021]),
            (2, [2179, 2175, 1023, 3091, 674]),
            (3, [2753, 3539, 4483, 2203, 3256]),
        ];
        for (seed, want) in cases {
            let got = kmeans_plus_plus_indices(&views(&cols), 5000, 5, seed);
            assert_eq!(got, want, "seed {seed}");
        }
    }

    #[test]
    fn kmeans_plus_plus_edge_cases() {
        let cols = iris();
        assert!(kmeans_plus_plus_indices(&views(&cols), 150, 0, 0).is_empty());
        assert!(kmeans_plus_plus_indices(&views(&cols), 0, 3, 0).is_empty());
        // The first centre alone: `RandomState(0).choice(150, p=...)`.
        assert_eq!(kmeans_plus_plus_indices(&views(&cols), 150, 1, 0), [82]);
        // No features: every distance is 0, every candidate is row 0.
        assert_eq!(kmeans_plus_plus_indices(&[], 10, 3, 0), [5, 0, 0]);
        // Only the first `n` rows count.
        let short = kmeans_plus_plus_indices(&views(&cols), 100, 3, 0);
        assert!(short.iter().all(|&i| i < 100));
    }

    #[test]
    fn kmeans_plus_plus_is_independent_of_thread_count() {
        let cols = synthetic();
        let want = kmeans_plus_plus_indices(&views(&cols), 5000, 5, 9);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let got = pool.install(|| kmeans_plus_plus_indices(&views(&cols), 5000, 5, 9));
        assert_eq!(got, want);
    }

    #[test]
    fn local_trials_follow_sklearn() {
        // `2 + int(np.log(k))`.
        let want = [(1, 2), (2, 2), (3, 3), (7, 3), (8, 4), (20, 4), (21, 5)];
        for (k, t) in want {
            assert_eq!(n_local_trials(k), t, "k {k}");
        }
    }

    /// From numpy 2.4.6:
    /// `np.random.RandomState(seed).choice(n, size=k, replace=False, p=np.ones(n) / n)`
    /// (what scikit-learn 1.9.1's `init='random'` draws).
    #[test]
    fn random_indices_match_numpy() {
        let cases: [(usize, usize, u64, &[usize]); 5] = [
            (150, 3, 0, &[82, 107, 90]),
            (1000, 8, 0, &[548, 715, 602, 544, 423, 645, 437, 891]),
            (1000, 8, 5, &[221, 870, 206, 918, 488, 611, 765, 518]),
            (5000, 5, 42, &[1872, 4753, 3659, 2993, 780]),
            // n = 10 000 spans several checkpoints.
            (10_000, 3, 0, &[5488, 7151, 6027]),
        ];
        for (n, k, seed, want) in cases {
            assert_eq!(
                random_indices(n, k, seed),
                want,
                "n {n}, k {k}, seed {seed}"
            );
        }
    }

    /// Cases where one round of draws repeats rows, so numpy draws again
    /// with the found rows' probabilities zeroed. From numpy 2.4.6:
    /// `np.random.RandomState(seed).choice(10, size=k, replace=False, p=np.ones(10) / 10)`;
    /// seed 0's first round (k = 8) finds 5 distinct rows, seed 149's only 3.
    #[test]
    fn random_indices_redraw_duplicates() {
        let cases: [(usize, u64, &[usize]); 5] = [
            (8, 0, &[5, 7, 6, 4, 8, 9, 1, 3]),
            (8, 1, &[4, 7, 0, 3, 1, 5, 6, 9]),
            (8, 2, &[4, 0, 5, 3, 2, 6, 7, 8]),
            (8, 149, &[8, 9, 4, 5, 0, 2, 7, 6]),
            (10, 3, &[5, 7, 2, 8, 1, 0, 4, 3, 6, 9]),
        ];
        for (k, seed, want) in cases {
            assert_eq!(random_indices(10, k, seed), want, "k {k}, seed {seed}");
        }
        assert!(random_indices(0, 3, 0).is_empty());
        // `k` capped at `n`: numpy's `choice(3, size=3, ...)` gives [1, 2, 0].
        assert_eq!(random_indices(3, 5, 0), [1, 2, 0]);
    }

    /// Timing on the benchmark table and its agreement with scikit-learn;
    /// needs `/tmp/mc_X.f64` (1M × 20, row-major little-endian `f64`, from
    /// `make_classification(n_samples=1_000_000, n_features=20, random_state=0)`).
    /// Run with `cargo test --release -p pai-ml --lib kmeans_init::tests::bench -- --ignored --nocapture`.
    #[test]
    #[ignore = "needs /tmp/mc_X.f64; a timing, not a check"]
    fn bench_kmeans_plus_plus_on_1m_rows() {
        let bytes = std::fs::read("/tmp/mc_X.f64").expect("/tmp/mc_X.f64");
        let d = 20;
        let x: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        let n = x.len() / d;
        let cols: Vec<Vec<f64>> = (0..d)
            .map(|j| x.iter().skip(j).step_by(d).copied().collect())
            .collect();
        drop(x);
        // scikit-learn 1.9.1's `KMeans(8, random_state=seed)` initial rows.
        let sklearn: [[usize; 8]; 5] = [
            [
                548813, 544639, 891813, 383199, 87001, 978559, 798931, 521607,
            ],
            [417022, 302151, 396550, 538712, 27449, 558688, 692339, 85011],
            [
                435994, 420299, 619214, 134493, 513384, 79531, 427913, 225946,
            ],
            [
                550797, 510586, 207008, 649201, 24004, 558687, 440339, 387708,
            ],
            [967029, 697598, 215889, 434559, 9001, 956584, 173162, 600673],
        ];
        for round in 0..3 {
            for (seed, want) in sklearn.iter().enumerate() {
                let start = std::time::Instant::now();
                let got = kmeans_plus_plus_indices(&views(&cols), n, 8, seed as u64);
                let ms = start.elapsed().as_secs_f64() * 1e3;
                println!(
                    "round {round} seed {seed}: {ms:.1} ms, matches sklearn: {}",
                    got == want
                );
            }
        }
    }
}
