//! The histogram tree grower used by gradient boosting.
//!
//! A node's rows live in a contiguous slice of [`Elem`]s (row id, gradient,
//! hessian). The grower builds per-feature histograms of gradient, hessian
//! and row count over the `u8` bins, picks the split with the best
//! second-order gain, partitions the slice stably into a scratch buffer of
//! the same shape (the two buffers swap roles at every level, so rows are
//! never copied back), builds the histogram of the smaller child only and
//! gets the larger one by subtraction from the parent's. Growth is
//! depth-first to `max_depth`; large nodes build their histograms with one
//! rayon task per feature and the two subtrees of a node grow in
//! parallel. Every reduction runs in a fixed order, so the tree does not
//! depend on the thread count.

use rayon::prelude::*;

/// A row of a node with its gradient and hessian.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Elem {
    /// The row index into the binned columns.
    pub row: u32,
    /// First derivative of the loss at the current score.
    pub g: f32,
    /// Second derivative of the loss at the current score.
    pub h: f32,
}

/// Gradient, hessian and row count of one bin.
#[derive(Clone, Copy, Default, Debug)]
struct Bin {
    g: f64,
    h: f64,
    c: u64,
}

/// The histogram of one feature (bins beyond the feature's count stay 0).
type FeatureHist = [Bin; 256];

/// Minimum hessian sum of each child (scikit-learn's `min_hessian_to_split`).
const MIN_CHILD_HESSIAN: f64 = 1e-3;

/// Rows from which a node's histograms are built in parallel.
const PAR_HIST_ROWS: usize = 8192;

/// Rows from which a node is partitioned in parallel.
const PAR_PARTITION_ROWS: usize = 1 << 16;

/// Rows per task of a parallel partition.
const PARTITION_CHUNK: usize = 1 << 14;

/// Rows from which the two subtrees of a node grow in parallel.
const PAR_SUBTREE_ROWS: usize = 4096;

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
    /// Where a leaf's rows ended up (meaningless for internal nodes).
    pub rows: RowRange,
}

/// A range of the row buffers passed to [`Grower::grow`].
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub(crate) struct RowRange {
    /// In the `scratch` buffer rather than `elems`.
    pub in_scratch: bool,
    /// First position.
    pub start: usize,
    /// One past the last position.
    pub end: usize,
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
    bins: &'a [Vec<u8>],
    n_bins: Vec<usize>,
    params: GrowParams,
}

impl<'a> Grower<'a> {
    /// A grower over `bins[f][row]`, feature `f` having `n_bins[f]` bins.
    pub fn new(bins: &'a [Vec<u8>], n_bins: Vec<usize>, params: GrowParams) -> Self {
        Grower {
            bins,
            n_bins,
            params,
        }
    }

    /// Grows one tree on the rows of `elems` (reordered by leaf on return,
    /// in `elems` or `scratch`); `scratch` must have the same length.
    pub fn grow(&self, elems: &mut [Elem], scratch: &mut [Elem]) -> Vec<GrownNode> {
        let identity = elems.iter().enumerate().all(|(i, e)| e.row as usize == i);
        let hist = self.build(elems, identity);
        let mut totals = Totals {
            g: 0.0,
            h: 0.0,
            c: 0,
        };
        if let Some(h0) = hist.first() {
            for b in h0.iter().take(self.n_bins.first().copied().unwrap_or(0)) {
                totals.g += b.g;
                totals.h += b.h;
                totals.c += b.c;
            }
        }
        let at = RowRange {
            in_scratch: false,
            start: 0,
            end: elems.len(),
        };
        self.node(elems, scratch, Some(hist), totals, 0, at)
    }

    /// Whether a node at `depth` with `count` rows may be split.
    fn splittable(&self, count: u64, depth: usize) -> bool {
        depth < self.params.max_depth && count >= 2 * self.params.min_samples_leaf as u64
    }

    /// The Newton value of a node, shrunk by the learning rate.
    fn value(&self, t: Totals) -> f64 {
        -t.g / (t.h + self.params.l2) * self.params.learning_rate
    }

    /// Grows the subtree of a node whose rows are `elems`; returns it in
    /// pre-order with indices relative to this node.
    fn node(
        &self,
        elems: &mut [Elem],
        scratch: &mut [Elem],
        hist: Option<Vec<FeatureHist>>,
        totals: Totals,
        depth: usize,
        at: RowRange,
    ) -> Vec<GrownNode> {
        let leaf = vec![GrownNode {
            split: None,
            count: totals.c,
            value: self.value(totals),
            rows: at,
        }];
        let Some(mut hist) = hist.filter(|_| self.splittable(totals.c, depth)) else {
            return leaf;
        };
        let Some(best) = self.best_split(&hist, totals) else {
            return leaf;
        };
        let left_t = best.left;
        let right_t = Totals {
            g: totals.g - left_t.g,
            h: totals.h - left_t.h,
            c: totals.c - left_t.c,
        };
        let n_left = left_t.c as usize;
        self.partition(elems, scratch, best.feature, best.bin, n_left);
        let (sl, sr) = scratch.split_at_mut(n_left);
        let (el, er) = elems.split_at_mut(n_left);

        // Children histograms: build the smaller, subtract for the larger.
        let need_l = self.splittable(left_t.c, depth + 1);
        let need_r = self.splittable(right_t.c, depth + 1);
        let left_smaller = left_t.c <= right_t.c;
        let (need_small, need_large) = if left_smaller {
            (need_l, need_r)
        } else {
            (need_r, need_l)
        };
        let (mut hist_small, mut hist_large) = (None, None);
        if need_small || need_large {
            let small_rows: &[Elem] = if left_smaller { sl } else { sr };
            let small = self.build(small_rows, false);
            if need_large {
                for (p, s) in hist.iter_mut().zip(&small) {
                    for (pb, sb) in p.iter_mut().zip(s) {
                        pb.g -= sb.g;
                        pb.h -= sb.h;
                        pb.c -= sb.c;
                    }
                }
                hist_large = Some(hist);
            }
            if need_small {
                hist_small = Some(small);
            }
        }
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
        let (left, right) = if totals.c as usize >= PAR_SUBTREE_ROWS {
            rayon::join(
                || self.node(sl, el, hist_l, left_t, depth + 1, at_l),
                || self.node(sr, er, hist_r, right_t, depth + 1, at_r),
            )
        } else {
            (
                self.node(sl, el, hist_l, left_t, depth + 1, at_l),
                self.node(sr, er, hist_r, right_t, depth + 1, at_r),
            )
        };
        let mut out = Vec::with_capacity(1 + left.len() + right.len());
        out.push(GrownNode {
            split: Some(BinSplit {
                feature: best.feature,
                bin: best.bin,
                left: 1,
                right: 1 + left.len(),
            }),
            count: totals.c,
            value: self.value(totals),
            rows: at,
        });
        let shift = |mut n: GrownNode, by: usize| {
            if let Some(s) = n.split.as_mut() {
                s.left += by;
                s.right += by;
            }
            n
        };
        let right_at = 1 + left.len();
        out.extend(left.into_iter().map(|n| shift(n, 1)));
        out.extend(right.into_iter().map(|n| shift(n, right_at)));
        out
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
            let nb = self.n_bins[f];
            let (mut g, mut h, mut c) = (0.0, 0.0, 0u64);
            for (b, bin) in fh.iter().enumerate().take(nb.saturating_sub(1)) {
                g += bin.g;
                h += bin.h;
                c += bin.c;
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

    /// The histograms of every feature over `elems`.
    fn build(&self, elems: &[Elem], identity: bool) -> Vec<FeatureHist> {
        let mut hist = vec![[Bin::default(); 256]; self.bins.len()];
        if elems.len() >= PAR_HIST_ROWS {
            hist.par_iter_mut()
                .zip(self.bins.par_iter())
                .for_each(|(h, col)| fill(h, col, elems, identity));
        } else {
            hist.iter_mut()
                .zip(self.bins)
                .for_each(|(h, col)| fill(h, col, elems, identity));
        }
        hist
    }

    /// Stable partition of `src` into `dst`: rows with `bin <= split_bin`
    /// first (`n_left` of them), then the others.
    fn partition(&self, src: &[Elem], dst: &mut [Elem], feature: usize, bin: u8, n_left: usize) {
        let col = &self.bins[feature];
        let (left, right) = dst.split_at_mut(n_left);
        if src.len() < PAR_PARTITION_ROWS {
            partition_into(src, left, right, col, bin);
            return;
        }
        let chunks: Vec<&[Elem]> = src.chunks(PARTITION_CHUNK).collect();
        let lefts: Vec<usize> = chunks
            .par_iter()
            .map(|ch| {
                ch.iter()
                    .filter(|e| col.get(e.row as usize).is_some_and(|&b| b <= bin))
                    .count()
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

/// Adds every row of `elems` to the histogram of one feature. `identity`
/// says that `elems[i].row == i` (the unsampled root), so the bins are read
/// sequentially.
fn fill(hist: &mut FeatureHist, col: &[u8], elems: &[Elem], identity: bool) {
    if identity {
        for (e, &b) in elems.iter().zip(col) {
            add(&mut hist[b as usize], e);
        }
    } else {
        for e in elems {
            if let Some(&b) = col.get(e.row as usize) {
                add(&mut hist[b as usize], e);
            }
        }
    }
}

/// Adds one row to a bin.
#[inline(always)]
fn add(bin: &mut Bin, e: &Elem) {
    bin.g += f64::from(e.g);
    bin.h += f64::from(e.h);
    bin.c += 1;
}

/// Sequential stable partition of `src` into `left` and `right`, without a
/// data-dependent branch.
fn partition_into(src: &[Elem], left: &mut [Elem], right: &mut [Elem], col: &[u8], bin: u8) {
    let (mut li, mut ri) = (0, 0);
    for e in src {
        let goes_left = col.get(e.row as usize).is_some_and(|&b| b <= bin);
        if let Some(d) = left.get_mut(li) {
            *d = *e;
        }
        if let Some(d) = right.get_mut(ri) {
            *d = *e;
        }
        li += usize::from(goes_left);
        ri += usize::from(!goes_left);
    }
}
