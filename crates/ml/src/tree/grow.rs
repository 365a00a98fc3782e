//! The histogram tree grower used by boosting.
//!
//! A node's rows are a contiguous slice of row ids in ascending order. The
//! grower builds the histograms of gradient, hessian and row count over the
//! `u8` bins of every feature in one pass over the node's rows: the packed
//! rows (bins, gradient, hessian) of a batch are gathered from the
//! row-major [`BinMatrix`] first, then added. It picks the split with the
//! best second-order gain, partitions the row ids stably into a scratch
//! buffer of the same shape (the two buffers swap roles at every level, so
//! ids are never copied back), builds the histogram of the smaller child
//! only and gets the larger one by subtraction from the parent's. A node
//! whose children are both leaves is not partitioned: its rows and test are
//! handed back as a [`Terminal`]. Growth is depth-first to `max_depth`.
//!
//! Sums: a histogram is built block by block ([`Tuning::hist_block`] rows);
//! within a block every bin keeps gradient, hessian and count as four `f32`
//! lanes, so one 16-byte add updates a bin (counts stay exact, and the
//! block's sums keep about seven significant digits); the blocks are added
//! into `f64` sums in order, one rayon task per [`Tuning::hist_task`]
//! blocks, and the tasks' sums in task order. The two subtrees of a node
//! grow in parallel. Every sum runs in an order fixed by the data alone, so
//! the tree does not depend on the thread count. Histogram buffers are
//! recycled through pools.

use std::sync::Mutex;

use rayon::prelude::*;

use super::hist::BinMatrix;
use super::histogram::{
    BlockHist, EMPTY, FeatureHist, Hist, Lanes, add_block, add_into, fill, subtract,
};

/// Minimum hessian sum of each child (scikit-learn's `min_hessian_to_split`).
const MIN_CHILD_HESSIAN: f64 = 1e-3;

/// Most rows of a block histogram: its `f32` counts stay exact.
const MAX_BLOCK_ROWS: usize = 1 << 24;

/// Thresholds of the parallel paths. `hist_block` and `hist_task` fix how
/// sums are grouped, so they are part of the result (never derived from the
/// thread count); the others only decide what runs in parallel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    /// Rows per block of a histogram build: the rows of a block are summed
    /// in `f32`, in row order (at most [`MAX_BLOCK_ROWS`], so that counts
    /// stay exact).
    pub hist_block: usize,
    /// Blocks per task of a histogram build: a task adds its blocks' sums
    /// into `f64` in block order; the tasks' sums are added in task order.
    pub hist_task: usize,
    /// Rows from which a node is partitioned in parallel (when there is
    /// more than one thread).
    pub par_partition_rows: usize,
    /// Rows per task of a parallel partition.
    pub partition_chunk: usize,
    /// Rows from which the two subtrees of a node grow in parallel.
    pub par_subtree_rows: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            hist_block: 1 << 14,
            hist_task: 8,
            par_partition_rows: 1 << 16,
            partition_chunk: 1 << 15,
            par_subtree_rows: 4096,
        }
    }
}

/// Shape and regularisation of the grown trees.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GrowParams {
    /// Maximum depth (root = 0).
    pub max_depth: usize,
    /// Minimum rows per leaf.
    pub min_samples_leaf: usize,
    /// L2 penalty on leaf values.
    pub l2: f64,
    /// Factor applied to every node value.
    pub learning_rate: f64,
}

/// A split on bins: rows with `bin <= bin` go left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BinSplit {
    /// The feature.
    pub feature: usize,
    /// The last bin of the left side.
    pub bin: u8,
    /// Left child index (relative to the tree's root).
    pub left: usize,
    /// Right child index.
    pub right: usize,
}

/// A node of a grown tree, in pre-order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GrownNode {
    /// The split; `None` for a leaf.
    pub split: Option<BinSplit>,
    /// Rows reaching the node.
    pub count: u64,
    /// `-G / (H + l2) * learning_rate` over those rows.
    pub value: f64,
}

/// A range of the row buffers passed to [`Grower::grow`].
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub(crate) struct RowRange {
    /// In the `scratch` buffer rather than `rows`.
    pub in_scratch: bool,
    /// First position.
    pub start: usize,
    /// One past the last position.
    pub end: usize,
}

/// Where the rows of the leaves ended up: either a leaf's rows, or the rows
/// of a split node whose two children are leaves (not partitioned).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Terminal {
    /// The rows, ascending.
    pub rows: RowRange,
    /// For a split node: its feature and last left bin.
    pub test: Option<(usize, u8)>,
    /// The leaf's value (the left child's for a split node).
    pub left: f64,
    /// The right child's value (unused for a leaf).
    pub right: f64,
}

/// A grown tree.
pub(crate) struct Grown {
    /// The nodes, in pre-order.
    pub nodes: Vec<GrownNode>,
    /// Every row of the tree is in exactly one terminal.
    pub terminals: Vec<Terminal>,
}

/// Sums of a node.
#[derive(Clone, Copy, Debug)]
struct Totals {
    g: f64,
    h: f64,
    c: u64,
}

/// The best split found on a node's histograms.
struct Best {
    feature: usize,
    bin: u8,
    gain: f64,
    left: Totals,
}

/// Grows trees on a fixed binned dataset.
pub(crate) struct Grower<'a> {
    /// `cols[f][row]`: the bins column by column (read by the partition).
    cols: &'a [Vec<u8>],
    n_bins: Vec<usize>,
    params: GrowParams,
    tuning: Tuning,
    /// Histogram buffers to reuse.
    pool: Mutex<Vec<Hist>>,
    /// Block histogram buffers to reuse.
    block_pool: Mutex<Vec<BlockHist>>,
}

impl<'a> Grower<'a> {
    /// A grower over the bins of `cols[f][row]`, feature `f` having
    /// `n_bins[f]` bins.
    pub fn new(
        cols: &'a [Vec<u8>],
        n_bins: Vec<usize>,
        params: GrowParams,
        tuning: Tuning,
    ) -> Self {
        Grower {
            cols,
            n_bins,
            params,
            tuning,
            pool: Mutex::new(Vec::new()),
            block_pool: Mutex::new(Vec::new()),
        }
    }

    /// Grows one tree on `rows` (ascending row ids), with the bins,
    /// gradients and hessians of `matrix` (the same rows as the grower's
    /// columns). The ids are reordered by node on return, in `rows` or
    /// `scratch` (same length) as the terminals say.
    pub fn grow(&self, matrix: &BinMatrix, rows: &mut [u32], scratch: &mut [u32]) -> Grown {
        let hist = self.build(matrix, rows);
        let mut totals = Totals {
            g: 0.0,
            h: 0.0,
            c: 0,
        };
        if let Some(h0) = hist.first() {
            let nb = self.n_bins.first().copied().unwrap_or(0);
            for (b, &c) in h0.sums.iter().zip(&h0.counts).take(nb) {
                totals.g += b.g;
                totals.h += b.h;
                totals.c += u64::from(c);
            }
        }
        let at = RowRange {
            in_scratch: false,
            start: 0,
            end: rows.len(),
        };
        self.node(matrix, rows, scratch, Some(hist), totals, 0, at)
    }

    /// Whether a node at `depth` with `count` rows may be split.
    fn splittable(&self, count: u64, depth: usize) -> bool {
        depth < self.params.max_depth && count >= 2 * self.params.min_samples_leaf as u64
    }

    /// The Newton value of a node, shrunk by the learning rate.
    fn value(&self, t: Totals) -> f64 {
        -t.g / (t.h + self.params.l2) * self.params.learning_rate
    }

    /// Grows the subtree of a node whose rows are `rows` (at `at` of the
    /// caller's buffers); returns it in pre-order with indices relative to
    /// this node. `hist` is `None` when the node cannot be split.
    #[allow(clippy::too_many_arguments)]
    fn node(
        &self,
        matrix: &BinMatrix,
        rows: &mut [u32],
        scratch: &mut [u32],
        hist: Option<Hist>,
        totals: Totals,
        depth: usize,
        at: RowRange,
    ) -> Grown {
        let value = self.value(totals);
        let leaf = |count| Grown {
            nodes: vec![GrownNode {
                split: None,
                count,
                value,
            }],
            terminals: vec![Terminal {
                rows: at,
                test: None,
                left: value,
                right: value,
            }],
        };
        let Some(mut hist) = hist else {
            return leaf(totals.c);
        };
        let best = if self.splittable(totals.c, depth) {
            self.best_split(&hist, totals)
        } else {
            None
        };
        let Some(best) = best else {
            self.give(hist);
            return leaf(totals.c);
        };
        let left_t = best.left;
        let right_t = Totals {
            g: totals.g - left_t.g,
            h: totals.h - left_t.h,
            c: totals.c - left_t.c,
        };
        let split_node = |left_len: usize| GrownNode {
            split: Some(BinSplit {
                feature: best.feature,
                bin: best.bin,
                left: 1,
                right: 1 + left_len,
            }),
            count: totals.c,
            value,
        };
        let need_l = self.splittable(left_t.c, depth + 1);
        let need_r = self.splittable(right_t.c, depth + 1);
        if !need_l && !need_r {
            // Both children are leaves: no partition, no histogram.
            self.give(hist);
            let (vl, vr) = (self.value(left_t), self.value(right_t));
            return Grown {
                nodes: vec![
                    split_node(1),
                    GrownNode {
                        split: None,
                        count: left_t.c,
                        value: vl,
                    },
                    GrownNode {
                        split: None,
                        count: right_t.c,
                        value: vr,
                    },
                ],
                terminals: vec![Terminal {
                    rows: at,
                    test: Some((best.feature, best.bin)),
                    left: vl,
                    right: vr,
                }],
            };
        }
        let n_left = left_t.c as usize;
        self.partition(rows, scratch, best.feature, best.bin, n_left);
        let (sl, sr) = scratch.split_at_mut(n_left);
        let (el, er) = rows.split_at_mut(n_left);

        // Children histograms: build the smaller, subtract for the larger.
        let left_smaller = left_t.c <= right_t.c;
        let (need_small, need_large) = if left_smaller {
            (need_l, need_r)
        } else {
            (need_r, need_l)
        };
        let small_rows: &[u32] = if left_smaller { sl } else { sr };
        let small = self.build(matrix, small_rows);
        let hist_large = if need_large {
            subtract(&mut hist, &small);
            Some(hist)
        } else {
            self.give(hist);
            None
        };
        let hist_small = if need_small {
            Some(small)
        } else {
            self.give(small);
            None
        };
        let (hist_l, hist_r) = if left_smaller {
            (hist_small, hist_large)
        } else {
            (hist_large, hist_small)
        };

        let at_l = RowRange {
            in_scratch: !at.in_scratch,
            start: at.start,
            end: at.start + n_left,
        };
        let at_r = RowRange {
            in_scratch: !at.in_scratch,
            start: at.start + n_left,
            end: at.end,
        };
        let d = depth + 1;
        let (left, right) = if totals.c as usize >= self.tuning.par_subtree_rows {
            rayon::join(
                || self.node(matrix, sl, el, hist_l, left_t, d, at_l),
                || self.node(matrix, sr, er, hist_r, right_t, d, at_r),
            )
        } else {
            (
                self.node(matrix, sl, el, hist_l, left_t, d, at_l),
                self.node(matrix, sr, er, hist_r, right_t, d, at_r),
            )
        };
        let mut nodes = Vec::with_capacity(1 + left.nodes.len() + right.nodes.len());
        nodes.push(split_node(left.nodes.len()));
        let shift = |mut n: GrownNode, by: usize| {
            if let Some(s) = n.split.as_mut() {
                s.left += by;
                s.right += by;
            }
            n
        };
        let right_at = 1 + left.nodes.len();
        nodes.extend(left.nodes.into_iter().map(|n| shift(n, 1)));
        nodes.extend(right.nodes.into_iter().map(|n| shift(n, right_at)));
        let mut terminals = left.terminals;
        terminals.extend(right.terminals);
        Grown { nodes, terminals }
    }

    /// The split with the largest positive gain
    /// `GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ)`, respecting `min_samples_leaf`
    /// and the minimum child hessian; the first feature and bin win ties.
    fn best_split(&self, hist: &[FeatureHist], t: Totals) -> Option<Best> {
        let l2 = self.params.l2;
        let msl = self.params.min_samples_leaf as u64;
        let parent = t.g * t.g / (t.h + l2);
        let mut best: Option<Best> = None;
        for (f, fh) in hist.iter().enumerate() {
            let nb = self.n_bins.get(f).copied().unwrap_or(0);
            let (mut g, mut h, mut c) = (0.0, 0.0, 0u64);
            let bins = fh.sums.iter().zip(&fh.counts);
            for (b, (bin, &bc)) in bins.enumerate().take(nb.saturating_sub(1)) {
                // An empty bin repeats the previous candidate, which either
                // was refused or wins the tie.
                if bc == 0 {
                    continue;
                }
                g += bin.g;
                h += bin.h;
                c += u64::from(bc);
                if c < msl {
                    continue;
                }
                if t.c - c < msl {
                    break;
                }
                let (gr, hr) = (t.g - g, t.h - h);
                if h < MIN_CHILD_HESSIAN || hr < MIN_CHILD_HESSIAN {
                    continue;
                }
                let gain = g * g / (h + l2) + gr * gr / (hr + l2) - parent;
                if gain > best.as_ref().map_or(0.0, |b| b.gain) {
                    best = Some(Best {
                        feature: f,
                        bin: b as u8,
                        gain,
                        left: Totals { g, h, c },
                    });
                }
            }
        }
        best
    }

    /// A zeroed histogram, recycled when possible.
    fn take(&self) -> Hist {
        let reused = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        match reused {
            Some(mut h) => {
                h.fill(EMPTY);
                h
            }
            None => vec![EMPTY; self.cols.len()],
        }
    }

    /// Returns a histogram to the pool.
    fn give(&self, hist: Hist) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(hist);
        }
    }

    /// A zeroed block histogram, recycled when possible.
    fn take_block(&self) -> BlockHist {
        let reused = self.block_pool.lock().ok().and_then(|mut pool| pool.pop());
        match reused {
            Some(mut h) => {
                h.fill([Lanes::default(); 256]);
                h
            }
            None => vec![[Lanes::default(); 256]; self.cols.len()],
        }
    }

    /// Returns a block histogram to the pool.
    fn give_block(&self, hist: BlockHist) {
        if let Ok(mut pool) = self.block_pool.lock() {
            pool.push(hist);
        }
    }

    /// The histograms of every feature over the rows of one task: block by
    /// block in `f32`, each block added into `f64` in order.
    fn build_task(&self, matrix: &BinMatrix, rows: &[u32]) -> Hist {
        let mut hist = self.take();
        let mut block = self.take_block();
        let block_rows = self.tuning.hist_block.clamp(1, MAX_BLOCK_ROWS);
        for (k, chunk) in rows.chunks(block_rows).enumerate() {
            if k > 0 {
                block.fill([Lanes::default(); 256]);
            }
            fill(&mut block, matrix, chunk);
            add_block(&mut hist, &block);
        }
        self.give_block(block);
        hist
    }

    /// The histograms of every feature over `rows`: tasks of a fixed number
    /// of rows in parallel, their sums added in order.
    fn build(&self, matrix: &BinMatrix, rows: &[u32]) -> Hist {
        let task = self.tuning.hist_block.clamp(1, MAX_BLOCK_ROWS) * self.tuning.hist_task.max(1);
        if rows.len() <= task {
            return self.build_task(matrix, rows);
        }
        let parts: Vec<Hist> = rows
            .par_chunks(task)
            .map(|chunk| self.build_task(matrix, chunk))
            .collect();
        let mut parts = parts.into_iter();
        let mut total = parts.next().unwrap_or_else(|| self.take());
        for part in parts {
            add_into(&mut total, &part);
            self.give(part);
        }
        total
    }

    /// Stable partition of `src` into `dst`: rows with `bin <= split_bin`
    /// first (`n_left` of them), then the others.
    fn partition(&self, src: &[u32], dst: &mut [u32], feature: usize, bin: u8, n_left: usize) {
        let col: &[u8] = self.cols.get(feature).map_or(&[], Vec::as_slice);
        let (left, right) = dst.split_at_mut(n_left);
        if src.len() < self.tuning.par_partition_rows || rayon::current_num_threads() < 2 {
            partition_into(src, left, right, col, bin);
            return;
        }
        let chunks: Vec<&[u32]> = src.chunks(self.tuning.partition_chunk.max(1)).collect();
        let lefts: Vec<usize> = chunks
            .par_iter()
            .map(|ch| {
                ch.iter()
                    .map(|&r| usize::from(col.get(r as usize).is_some_and(|&b| b <= bin)))
                    .sum()
            })
            .collect();
        let (mut left, mut right) = (left, right);
        let mut jobs = Vec::with_capacity(chunks.len());
        for (ch, &nl) in chunks.iter().zip(&lefts) {
            let nl = nl.min(left.len());
            let nr = (ch.len() - nl.min(ch.len())).min(right.len());
            let (l, rest) = std::mem::take(&mut left).split_at_mut(nl);
            left = rest;
            let (r, rest) = std::mem::take(&mut right).split_at_mut(nr);
            right = rest;
            jobs.push((*ch, l, r));
        }
        jobs.into_par_iter()
            .for_each(|(ch, l, r)| partition_into(ch, l, r, col, bin));
    }
}

/// Sequential stable partition of `src` into `left` and `right`, without a
/// data-dependent branch.
fn partition_into(src: &[u32], left: &mut [u32], right: &mut [u32], col: &[u8], bin: u8) {
    let (mut li, mut ri) = (0, 0);
    for &r in src {
        let goes_left = col.get(r as usize).is_some_and(|&b| b <= bin);
        if let Some(d) = left.get_mut(li) {
            *d = r;
        }
        if let Some(d) = right.get_mut(ri) {
            *d = r;
        }
        li += usize::from(goes_left);
        ri += usize::from(!goes_left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::tree::hist::{Binned, bin_columns};

    /// `p` random features of `n` rows binned into at most 40 bins, with
    /// dyadic gradients and hessians (exact in `f32` sums, so every
    /// summation order gives the same histograms) that depend on two of the
    /// features.
    fn dataset(n: usize, p: usize, seed: u64) -> Binned {
        let mut rng = Rng::new(seed);
        let cols: Vec<Vec<f64>> = (0..p)
            .map(|f| {
                (0..n)
                    .map(|_| (rng.below(1000 + f) as f64).sqrt())
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let mut binned = bin_columns(&refs, 40, &mut rng);
        for group in &mut binned.matrix.groups {
            for (r, row) in group.rows.iter_mut().enumerate() {
                let signal = (cols[1][r] > 15.0) as i32 - (cols[p - 1][r] < 9.0) as i32;
                row.g = (signal * 4 + (r % 5) as i32 - 2) as f32 / 8.0;
                row.h = (1 + r % 3) as f32 / 4.0;
            }
        }
        binned
    }

    fn grower<'a>(b: &'a Binned, params: GrowParams, tuning: Tuning) -> Grower<'a> {
        let n_bins = b.edges.iter().map(|e| e.len() + 1).collect();
        Grower::new(&b.bins, n_bins, params, tuning)
    }

    fn params() -> GrowParams {
        GrowParams {
            max_depth: 5,
            min_samples_leaf: 7,
            l2: 1e-3,
            learning_rate: 0.5,
        }
    }

    /// Tiny thresholds: several blocks and tasks per histogram, parallel
    /// partitions and subtrees on small data.
    fn tiny() -> Tuning {
        Tuning {
            hist_block: 13,
            hist_task: 3,
            par_partition_rows: 64,
            partition_chunk: 50,
            par_subtree_rows: 32,
        }
    }

    /// The gradient and hessian of `row`.
    fn grad_of(b: &Binned, row: usize) -> (f64, f64) {
        let r = b.matrix.groups[0].rows[row];
        (f64::from(r.g), f64::from(r.h))
    }

    #[test]
    fn histograms_match_a_plain_sum() {
        let (n, p) = (3000, 30);
        let b = dataset(n, p, 1);
        assert_eq!(b.matrix.groups.len(), 2);
        // Scattered rows (gathered), every row (contiguous runs), and runs
        // with a gap.
        let subsets: [Vec<u32>; 3] = [
            (0..n as u32).filter(|r| r % 3 != 1).collect(),
            (0..n as u32).collect(),
            (0..n as u32)
                .filter(|r| !(1000..1500).contains(r))
                .collect(),
        ];
        for (tuning, rows) in [Tuning::default(), tiny()]
            .into_iter()
            .flat_map(|t| subsets.iter().map(move |rows| (t, rows)))
        {
            let g = grower(&b, params(), tuning);
            let hist = g.build(&b.matrix, rows);
            for (f, got) in hist.iter().enumerate() {
                let mut want = EMPTY;
                for &r in rows {
                    let bin = usize::from(b.bins[f][r as usize]);
                    let (gr, hr) = grad_of(&b, r as usize);
                    want.sums[bin].g += gr;
                    want.sums[bin].h += hr;
                    want.counts[bin] += 1;
                }
                assert_eq!(*got, want, "feature {f}");
            }
        }
    }

    /// A node of the reference tree: `(feature, bin)` of a split or the
    /// leaf value, and the row count.
    #[derive(Debug, PartialEq)]
    enum Naive {
        Split(usize, u8, u64),
        Leaf(f64, u64),
    }

    /// The straightforward grower: per node, sums over its rows for every
    /// feature and bin, the same gain rule, pre-order output.
    fn naive(b: &Binned, p: &GrowParams, rows: &[usize], depth: usize, out: &mut Vec<Naive>) {
        let (g, h): (f64, f64) = rows
            .iter()
            .map(|&r| grad_of(b, r))
            .fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
        let c = rows.len() as u64;
        let value = -g / (h + p.l2) * p.learning_rate;
        let mut best: Option<(f64, usize, u8)> = None;
        if depth < p.max_depth && c >= 2 * p.min_samples_leaf as u64 {
            let parent = g * g / (h + p.l2);
            for f in 0..b.bins.len() {
                let nb = b.edges[f].len() + 1;
                for bin in 0..nb - 1 {
                    let left: Vec<usize> = rows
                        .iter()
                        .copied()
                        .filter(|&r| usize::from(b.bins[f][r]) <= bin)
                        .collect();
                    let (gl, hl) = left
                        .iter()
                        .map(|&r| grad_of(b, r))
                        .fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
                    let cl = left.len() as u64;
                    if cl < p.min_samples_leaf as u64 || c - cl < p.min_samples_leaf as u64 {
                        continue;
                    }
                    if hl < MIN_CHILD_HESSIAN || h - hl < MIN_CHILD_HESSIAN {
                        continue;
                    }
                    let gain =
                        gl * gl / (hl + p.l2) + (g - gl) * (g - gl) / (h - hl + p.l2) - parent;
                    if gain > best.map_or(0.0, |b| b.0) {
                        best = Some((gain, f, bin as u8));
                    }
                }
            }
        }
        match best {
            None => out.push(Naive::Leaf(value, c)),
            Some((_, f, bin)) => {
                out.push(Naive::Split(f, bin, c));
                let (l, r): (Vec<usize>, Vec<usize>) =
                    rows.iter().partition(|&&r| b.bins[f][r] <= bin);
                naive(b, p, &l, depth + 1, out);
                naive(b, p, &r, depth + 1, out);
            }
        }
    }

    /// The leaf of `row` by walking the grown nodes on the bins.
    fn walk(nodes: &[GrownNode], b: &Binned, row: usize) -> usize {
        let mut i = 0;
        while let Some(s) = nodes[i].split {
            i = if b.bins[s.feature][row] <= s.bin {
                s.left
            } else {
                s.right
            };
        }
        i
    }

    #[test]
    fn trees_match_the_naive_grower_and_terminals_cover_every_row() {
        let (n, p) = (1500, 26);
        let b = dataset(n, p, 2);
        let sample: Vec<u32> = (0..n as u32).filter(|r| r % 7 != 3).collect();
        let mut want = Vec::new();
        let sample_rows: Vec<usize> = sample.iter().map(|&r| r as usize).collect();
        naive(&b, &params(), &sample_rows, 0, &mut want);
        assert!(want.len() > 15, "the reference tree is too small: {want:?}");
        for tuning in [Tuning::default(), tiny()] {
            let g = grower(&b, params(), tuning);
            let mut rows = sample.clone();
            let mut scratch = vec![0; rows.len()];
            let grown = g.grow(&b.matrix, &mut rows, &mut scratch);
            let got: Vec<Naive> = grown
                .nodes
                .iter()
                .map(|nd| match nd.split {
                    Some(s) => Naive::Split(s.feature, s.bin, nd.count),
                    None => Naive::Leaf(nd.value, nd.count),
                })
                .collect();
            assert_eq!(got.len(), want.len());
            for (a, w) in got.iter().zip(&want) {
                match (a, w) {
                    (Naive::Leaf(va, ca), Naive::Leaf(vw, cw)) => {
                        assert_eq!(ca, cw);
                        assert!((va - vw).abs() <= 1e-12 * vw.abs().max(1.0), "{va} vs {vw}");
                    }
                    _ => assert_eq!(a, w),
                }
            }
            // Every sampled row is in exactly one terminal, which sends it
            // to the leaf the tree's tests do.
            let mut seen = vec![0u32; n];
            for t in &grown.terminals {
                let buf = if t.rows.in_scratch { &scratch } else { &rows };
                let ids = &buf[t.rows.start..t.rows.end];
                assert!(ids.windows(2).all(|w| w[0] < w[1]));
                for &r in ids {
                    seen[r as usize] += 1;
                    let leaf = &grown.nodes[walk(&grown.nodes, &b, r as usize)];
                    let value = match t.test {
                        None => t.left,
                        Some((f, bin)) if b.bins[f][r as usize] <= bin => t.left,
                        Some(_) => t.right,
                    };
                    assert_eq!(value, leaf.value);
                }
            }
            for (r, &times) in seen.iter().enumerate() {
                assert_eq!(times, u32::from(r % 7 != 3), "row {r}");
            }
        }
    }

    #[test]
    fn trees_do_not_depend_on_threads_or_parallel_thresholds() {
        let (n, p) = (4000, 9);
        let mut b = dataset(n, p, 3);
        // Gradients that are not dyadic, so summation order would show.
        for row in b.matrix.groups[0].rows.iter_mut() {
            row.g *= 1.0 / 3.0;
            row.h *= 0.7;
        }
        let serial = Tuning {
            par_partition_rows: usize::MAX,
            par_subtree_rows: usize::MAX,
            ..tiny()
        };
        let run = |tuning: Tuning, threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let g = grower(&b, params(), tuning);
                let mut rows: Vec<u32> = (0..n as u32).collect();
                let mut scratch = vec![0; n];
                let grown = g.grow(&b.matrix, &mut rows, &mut scratch);
                (grown.nodes, grown.terminals, rows, scratch)
            })
        };
        let want = run(serial, 1);
        assert!(want.0.len() > 15);
        for threads in [1, 2, 3] {
            assert!(run(tiny(), threads) == want, "{threads} threads");
        }
    }
}
