//! The exact CART builder: at every node each feature's values are sorted and
//! every boundary between distinct values is tried, with the threshold at the
//! midpoint of the two neighbouring values — the algorithm of scikit-learn's
//! `BestSplitter` with `max_features=None`, so a fully grown tree matches
//! scikit-learn's up to ties between equally good splits (scikit-learn breaks
//! those by a random feature order; here the first feature wins).

use rayon::prelude::*;

use super::Split;

/// Values closer than this are treated as equal (scikit-learn's
/// `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;

/// Node rows × features above which features are searched in parallel.
const PARALLEL_WORK: usize = 1 << 15;

/// What the tree predicts.
pub(crate) enum CartLabel<'a> {
    /// Class codes in `0..n_classes`, split by Gini or entropy.
    Classes {
        /// The class of each row.
        codes: &'a [u32],
        /// The number of classes.
        n_classes: usize,
        /// Entropy instead of Gini.
        entropy: bool,
    },
    /// A continuous value, split by squared error.
    Values(&'a [f64]),
}

/// One node of the built tree, with scikit-learn's per-node statistics.
#[derive(Debug, Clone)]
pub(crate) struct CartNode {
    /// The test, or `None` for a leaf.
    pub split: Option<Split>,
    /// Training rows reaching the node.
    pub n_samples: u64,
    /// The node's impurity (Gini, entropy in bits, or variance).
    pub impurity: f64,
    /// Rows per class (classification; empty for regression).
    pub class_counts: Vec<u64>,
    /// Mean label (regression; 0 for classification).
    pub value: f64,
}

/// Tree-shape limits.
pub(crate) struct CartLimits {
    /// Maximum depth; `None` for unbounded.
    pub max_depth: Option<usize>,
    /// Minimum rows per leaf (at least 1).
    pub min_samples_leaf: usize,
}

/// The best split of one node.
struct Candidate {
    /// scikit-learn's proxy impurity improvement (higher is better).
    proxy: f64,
    feature: usize,
    threshold: f64,
}

/// A pending node: its rows are `rows[start..end]`.
struct Pending {
    start: usize,
    end: usize,
    depth: usize,
    /// The parent's index and whether this is its left child.
    parent: Option<(usize, bool)>,
}

/// Builds a tree on `cols` (one slice per feature, all of the same length,
/// no NaN) in pre-order.
pub(crate) fn build(cols: &[&[f64]], label: &CartLabel<'_>, limits: &CartLimits) -> Vec<CartNode> {
    let n = cols.first().map_or(0, |c| c.len());
    let mut rows: Vec<u32> = (0..n as u32).collect();
    let mut nodes: Vec<CartNode> = Vec::new();
    let mut stack = vec![Pending {
        start: 0,
        end: n,
        depth: 0,
        parent: None,
    }];
    let msl = limits.min_samples_leaf.max(1);
    while let Some(p) = stack.pop() {
        let id = nodes.len();
        if let Some((parent, is_left)) = p.parent
            && let Some(Some(s)) = nodes.get_mut(parent).map(|n| n.split.as_mut())
        {
            if is_left {
                s.left = id;
            } else {
                s.right = id;
            }
        }
        let node_rows = &rows[p.start..p.end];
        let mut node = node_stats(node_rows, label);
        let count = node_rows.len();
        let is_leaf = limits.max_depth.is_some_and(|d| p.depth >= d)
            || count < 2
            || count < 2 * msl
            || node.impurity <= f64::EPSILON;
        let best = if is_leaf {
            None
        } else {
            best_split(cols, node_rows, label, msl)
        };
        match best {
            None => nodes.push(node),
            Some(c) => {
                let col = cols[c.feature];
                let slice = &mut rows[p.start..p.end];
                let n_left = stable_partition(slice, |r| col[r as usize] <= c.threshold);
                node.split = Some(Split {
                    feature: c.feature,
                    threshold: c.threshold,
                    left: 0,
                    right: 0,
                });
                nodes.push(node);
                let mid = p.start + n_left;
                stack.push(Pending {
                    start: mid,
                    end: p.end,
                    depth: p.depth + 1,
                    parent: Some((id, false)),
                });
                stack.push(Pending {
                    start: p.start,
                    end: mid,
                    depth: p.depth + 1,
                    parent: Some((id, true)),
                });
            }
        }
    }
    nodes
}

/// Moves the rows matching `left` to the front, keeping both sides in their
/// original order; returns how many matched.
fn stable_partition(rows: &mut [u32], left: impl Fn(u32) -> bool) -> usize {
    let mut right = Vec::new();
    let mut n_left = 0;
    for i in 0..rows.len() {
        let r = rows[i];
        if left(r) {
            rows[n_left] = r;
            n_left += 1;
        } else {
            right.push(r);
        }
    }
    rows[n_left..].copy_from_slice(&right);
    n_left
}

/// Counts, impurity and value of the rows of a node.
fn node_stats(rows: &[u32], label: &CartLabel<'_>) -> CartNode {
    let n = rows.len();
    match label {
        CartLabel::Classes {
            codes,
            n_classes,
            entropy,
        } => {
            let mut counts = vec![0u64; *n_classes];
            for &r in rows {
                if let Some(c) = counts.get_mut(codes[r as usize] as usize) {
                    *c += 1;
                }
            }
            let as_f64: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
            let impurity = class_impurity(&as_f64, n as f64, *entropy);
            CartNode {
                split: None,
                n_samples: n as u64,
                impurity,
                class_counts: counts,
                value: 0.0,
            }
        }
        CartLabel::Values(y) => {
            let (mut sum, mut sq) = (0.0, 0.0);
            for &r in rows {
                let v = y[r as usize];
                sum += v;
                sq += v * v;
            }
            let w = n as f64;
            let mean = sum / w;
            CartNode {
                split: None,
                n_samples: n as u64,
                impurity: sq / w - mean * mean,
                class_counts: Vec::new(),
                value: mean,
            }
        }
    }
}

/// Gini impurity or entropy (bits) of class counts summing to `w`.
fn class_impurity(counts: &[f64], w: f64, entropy: bool) -> f64 {
    if entropy {
        let mut e = 0.0;
        for &c in counts {
            if c > 0.0 {
                let p = c / w;
                e -= p * p.log2();
            }
        }
        e
    } else {
        let sq: f64 = counts.iter().map(|c| c * c).sum();
        1.0 - sq / (w * w)
    }
}

/// The best split of a node over all features; the first feature wins ties.
fn best_split(
    cols: &[&[f64]],
    rows: &[u32],
    label: &CartLabel<'_>,
    msl: usize,
) -> Option<Candidate> {
    let per_feature: Vec<Option<Candidate>> = if rows.len() * cols.len() >= PARALLEL_WORK {
        (0..cols.len())
            .into_par_iter()
            .map(|f| feature_split(f, cols[f], rows, label, msl))
            .collect()
    } else {
        (0..cols.len())
            .map(|f| feature_split(f, cols[f], rows, label, msl))
            .collect()
    };
    let mut best: Option<Candidate> = None;
    for c in per_feature.into_iter().flatten() {
        if best.as_ref().is_none_or(|b| c.proxy > b.proxy) {
            best = Some(c);
        }
    }
    best
}

/// The best split of a node on one feature, scanning its sorted values.
fn feature_split(
    feature: usize,
    col: &[f64],
    rows: &[u32],
    label: &CartLabel<'_>,
    msl: usize,
) -> Option<Candidate> {
    let mut sorted: Vec<(f64, u32)> = rows.iter().map(|&r| (col[r as usize], r)).collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let n = sorted.len();
    let (first, last) = (sorted.first()?.0, sorted.last()?.0);
    if last <= first + FEATURE_THRESHOLD {
        return None;
    }
    let mut scan = Scan::new(label, &sorted);
    let mut best: Option<Candidate> = None;
    // `p` is the first row of the right side, as in scikit-learn.
    let mut p = 0;
    let mut moved = 0;
    while p < n {
        while p + 1 < n && sorted[p + 1].0 <= sorted[p].0 + FEATURE_THRESHOLD {
            p += 1;
        }
        p += 1;
        if p >= n {
            break;
        }
        if p < msl || n - p < msl {
            continue;
        }
        while moved < p {
            scan.add(sorted[moved].1);
            moved += 1;
        }
        let proxy = scan.proxy(p, n - p);
        if best.as_ref().is_none_or(|b| proxy > b.proxy) {
            let (a, b) = (sorted[p - 1].0, sorted[p].0);
            let mut threshold = a / 2.0 + b / 2.0;
            if threshold == b || threshold.is_infinite() {
                threshold = a;
            }
            best = Some(Candidate {
                proxy,
                feature,
                threshold,
            });
        }
    }
    best
}

/// Running left-side statistics of a split scan.
enum Scan<'a> {
    Classes {
        codes: &'a [u32],
        left: Vec<f64>,
        total: Vec<f64>,
        entropy: bool,
    },
    Values {
        y: &'a [f64],
        left: f64,
        total: f64,
    },
}

impl<'a> Scan<'a> {
    /// Everything on the right.
    fn new(label: &CartLabel<'a>, sorted: &[(f64, u32)]) -> Self {
        match label {
            CartLabel::Classes {
                codes,
                n_classes,
                entropy,
            } => {
                let mut total = vec![0.0; *n_classes];
                for &(_, r) in sorted {
                    if let Some(t) = total.get_mut(codes[r as usize] as usize) {
                        *t += 1.0;
                    }
                }
                Scan::Classes {
                    codes,
                    left: vec![0.0; *n_classes],
                    total,
                    entropy: *entropy,
                }
            }
            CartLabel::Values(y) => Scan::Values {
                y,
                left: 0.0,
                total: sorted.iter().map(|&(_, r)| y[r as usize]).sum(),
            },
        }
    }

    /// Moves row `r` to the left side.
    fn add(&mut self, r: u32) {
        match self {
            Scan::Classes { codes, left, .. } => {
                if let Some(l) = left.get_mut(codes[r as usize] as usize) {
                    *l += 1.0;
                }
            }
            Scan::Values { y, left, .. } => *left += y[r as usize],
        }
    }

    /// scikit-learn's proxy impurity improvement for `n_left` / `n_right`
    /// rows on each side.
    fn proxy(&self, n_left: usize, n_right: usize) -> f64 {
        let (wl, wr) = (n_left as f64, n_right as f64);
        match self {
            Scan::Classes {
                left,
                total,
                entropy,
                ..
            } => {
                let (il, ir) = if *entropy {
                    let (mut el, mut er) = (0.0, 0.0);
                    for (&t, &l) in total.iter().zip(left) {
                        if l > 0.0 {
                            let p = l / wl;
                            el -= p * p.log2();
                        }
                        if t - l > 0.0 {
                            let p = (t - l) / wr;
                            er -= p * p.log2();
                        }
                    }
                    (el, er)
                } else {
                    let (mut sl, mut sr) = (0.0, 0.0);
                    for (&t, &l) in total.iter().zip(left) {
                        sl += l * l;
                        sr += (t - l) * (t - l);
                    }
                    (1.0 - sl / (wl * wl), 1.0 - sr / (wr * wr))
                };
                -wr * ir - wl * il
            }
            Scan::Values { left, total, .. } => {
                let right = total - left;
                left * left / wl + right * right / wr
            }
        }
    }
}
