//! Fast evaluation of a tree ensemble. Each tree of depth at most
//! [`MAX_FLAT_DEPTH`] is laid out as a complete binary tree (leaves above
//! the bottom level are padded with always-left tests and copied to every
//! slot below them), so a row walks exactly `depth` levels with the
//! branch-free step `i = 2i + 1 + (x > threshold)`. Rows are scored in
//! small row-major blocks so that the trees and the block stay in cache,
//! each tree walking all the rows of a block one level at a time (the walks
//! are independent, so their loads overlap); deeper trees fall back to
//! walking the linked nodes.

use rayon::prelude::*;

use super::Split;

/// Deepest tree laid out as a complete binary tree (4096 leaf slots).
const MAX_FLAT_DEPTH: usize = 12;

/// Rows per cache block.
const BLOCK: usize = 64;

/// Rows per parallel task.
const TASK_ROWS: usize = 4096;

/// The parts of a tree node the evaluator needs.
pub(crate) trait EvalNode {
    /// The test; `None` for a leaf.
    fn split(&self) -> Option<&Split>;
    /// The leaf's contribution.
    fn value(&self) -> f64;
}

/// A test of a complete-layout tree.
#[derive(Clone, Copy, Debug)]
struct FlatTest {
    threshold: f64,
    feature: usize,
}

/// One compiled tree.
enum Compiled<'a, N> {
    /// Complete layout: `tests` has `2^depth - 1` entries, `leaves` `2^depth`.
    Flat {
        depth: usize,
        tests: Vec<FlatTest>,
        leaves: Vec<f64>,
    },
    /// A pre-order node array walked through its links.
    Linked(&'a [N]),
}

/// A compiled ensemble: `base + Σ tree(x)`.
pub(crate) struct Forest<'a, N> {
    trees: Vec<Compiled<'a, N>>,
}

impl<'a, N: EvalNode + Sync> Forest<'a, N> {
    /// Compiles checked pre-order trees (children after parents, features
    /// in range).
    pub fn new(trees: impl Iterator<Item = &'a [N]>) -> Self {
        let trees = trees
            .map(|nodes| {
                let depth = depth_of(nodes);
                if depth > MAX_FLAT_DEPTH {
                    return Compiled::Linked(nodes);
                }
                let mut tests = vec![
                    FlatTest {
                        threshold: f64::INFINITY,
                        feature: 0
                    };
                    (1 << depth) - 1
                ];
                let mut leaves = vec![0.0; 1 << depth];
                lay_out(nodes, 0, 0, 0, depth, &mut tests, &mut leaves);
                Compiled::Flat {
                    depth,
                    tests,
                    leaves,
                }
            })
            .collect();
        Forest { trees }
    }

    /// `base + Σ tree(x)` for every row of `cols` (each of `n_rows` values).
    pub fn score(&self, cols: &[&[f64]], n_rows: usize, base: f64) -> Vec<f64> {
        let mut out = vec![base; n_rows];
        let nf = cols.len();
        out.par_chunks_mut(TASK_ROWS)
            .enumerate()
            .for_each(|(task, chunk)| {
                let mut block = vec![0.0; BLOCK * nf];
                for (b, acc) in chunk.chunks_mut(BLOCK).enumerate() {
                    let start = task * TASK_ROWS + b * BLOCK;
                    let rows = acc.len();
                    for (f, col) in cols.iter().enumerate() {
                        let src = col.get(start..start + rows).unwrap_or_default();
                        for (r, &v) in src.iter().enumerate() {
                            block[r * nf + f] = v;
                        }
                    }
                    for tree in &self.trees {
                        add_tree(tree, &block[..rows * nf], nf, acc);
                    }
                }
            });
        out
    }
}

/// Adds one tree's value to `acc` for each row of the row-major `block`.
fn add_tree<N: EvalNode>(tree: &Compiled<'_, N>, block: &[f64], nf: usize, acc: &mut [f64]) {
    match tree {
        Compiled::Flat {
            depth,
            tests,
            leaves,
        } => {
            // Level by level over the whole block: the rows' walks are
            // independent, so their loads overlap.
            let first_leaf = tests.len();
            let mut pos = [0usize; BLOCK];
            let pos = pos.get_mut(..acc.len()).unwrap_or_default();
            for _ in 0..*depth {
                for (i, x) in pos.iter_mut().zip(block.chunks_exact(nf)) {
                    let t = tests.get(*i).copied().unwrap_or(FlatTest {
                        threshold: f64::INFINITY,
                        feature: 0,
                    });
                    let v = x.get(t.feature).copied().unwrap_or(0.0);
                    *i = 2 * *i + 1 + usize::from(v > t.threshold);
                }
            }
            for (a, &i) in acc.iter_mut().zip(pos.iter()) {
                *a += leaves.get(i - first_leaf).copied().unwrap_or(0.0);
            }
        }
        Compiled::Linked(nodes) => {
            for (x, a) in block.chunks_exact(nf).zip(acc.iter_mut()) {
                let mut i = 0;
                while let Some(node) = nodes.get(i) {
                    match node.split() {
                        Some(s) => {
                            let v = x.get(s.feature).copied().unwrap_or(0.0);
                            i = if v <= s.threshold { s.left } else { s.right };
                        }
                        None => {
                            *a += node.value();
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// The depth of a checked pre-order tree (a lone leaf has depth 0).
fn depth_of<N: EvalNode>(nodes: &[N]) -> usize {
    let mut depth = 0;
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, d)) = stack.pop() {
        depth = depth.max(d);
        if let Some(s) = nodes.get(i).and_then(|n| n.split())
            && s.left > i
            && s.right > i
        {
            stack.push((s.left, d + 1));
            stack.push((s.right, d + 1));
        }
    }
    depth
}

/// Writes the subtree of node `i` at complete-layout position `pos`
/// (level `level`); a leaf above the bottom fills every slot below it.
fn lay_out<N: EvalNode>(
    nodes: &[N],
    i: usize,
    pos: usize,
    level: usize,
    depth: usize,
    tests: &mut [FlatTest],
    leaves: &mut [f64],
) {
    let Some(node) = nodes.get(i) else { return };
    if level == depth {
        if let Some(slot) = leaves.get_mut(pos - tests.len()) {
            *slot = node.value();
        }
        return;
    }
    match node.split() {
        Some(s) if s.left > i && s.right > i => {
            if let Some(t) = tests.get_mut(pos) {
                *t = FlatTest {
                    threshold: s.threshold,
                    feature: s.feature,
                };
            }
            lay_out(nodes, s.left, 2 * pos + 1, level + 1, depth, tests, leaves);
            lay_out(nodes, s.right, 2 * pos + 2, level + 1, depth, tests, leaves);
        }
        _ => {
            // The padded test keeps the default always-left threshold; the
            // leaf is copied to both sides so either way ends on it.
            lay_out(nodes, i, 2 * pos + 1, level + 1, depth, tests, leaves);
            lay_out(nodes, i, 2 * pos + 2, level + 1, depth, tests, leaves);
        }
    }
}
