//! Gradient-boosted trees: the boosting loop over the histogram grower, the
//! fitted types `GbdtBinaryClassifier` and `GbdtRegressor`, and their fit
//! functions.
//!
//! Each round fits one regression tree to the gradients of the loss at the
//! current scores (binary logloss on the log-odds scale, or squared error),
//! with Newton leaf values `-G / (H + λ)`. The stored trees have real-valued
//! thresholds (bin edges) and leaf values already multiplied by the learning
//! rate, so a model's raw score is `base_score + Σ leaf values` and a
//! classifier's probability of the second class is `sigmoid(raw)`.
//!
//! Without row sampling, the training scores are updated from the rows the
//! grower left in each leaf (no tree walk), in the same parallel pass that
//! computes the next round's gradients into the packed bin rows.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::flat::{EvalNode, Forest};
use super::grow::{GrowParams, Grower, GrownNode, Terminal, Tuning};
use super::hist::{BinMatrix, Binned, bin_columns};
use super::input;
use super::split::check_nodes;
use super::{GbdtParams, Split};
use crate::rng::Rng;
use crate::{Detail, Frame, MlError, PredictedValues, PredictionOutput, Predictor, Target};

/// Rows per parallel task of the elementwise passes.
const CHUNK: usize = 1 << 14;

/// One node of a boosted tree.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BoostedNode {
    /// The test of an internal node; `None` for a leaf.
    pub split: Option<Split>,
    /// Training rows (of the tree's sample) reaching the node.
    pub n_samples: u64,
    /// The Newton value `-G / (H + λ)` of the node's rows times the learning
    /// rate: what a leaf adds to the raw score (kept on internal nodes too).
    pub value: f64,
}

/// One tree of a boosted ensemble, nodes in pre-order (index 0 is the root).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BoostedTree {
    /// The nodes, root first.
    pub nodes: Vec<BoostedNode>,
}

/// A fitted `gbdt_binary_classifier`: `P(classes[1]) = sigmoid(base_score +
/// Σ tree leaf values)`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GbdtBinaryClassifier {
    /// The feature columns, in the order `Split::feature` indexes.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The two class names; the raw score is the log-odds of `classes[1]`.
    pub classes: Vec<String>,
    /// The initial raw score: the log-odds of `classes[1]` in training.
    pub base_score: f64,
    /// The learning rate the leaf values were already multiplied by.
    pub learning_rate: f64,
    /// The trees, in boosting order.
    pub trees: Vec<BoostedTree>,
}

/// A fitted `gbdt_regressor`: `prediction = base_score + Σ tree leaf values`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GbdtRegressor {
    /// The feature columns, in the order `Split::feature` indexes.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The initial prediction: the training mean of the label.
    pub base_score: f64,
    /// The learning rate the leaf values were already multiplied by.
    pub learning_rate: f64,
    /// The trees, in boosting order.
    pub trees: Vec<BoostedTree>,
}

/// The loss being boosted.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Loss {
    /// Binary logloss on log-odds; labels are 0/1.
    Logistic,
    /// Half squared error.
    Squared,
}

/// Fits a binary classifier by gradient boosting on the logloss. The label
/// must have exactly two classes; the model predicts the probability of each
/// and labels a row with the second class when its probability is above 0.5.
/// An empty `features` list means every column except the label.
pub fn fit_gbdt_binary_classifier(
    frame: &Frame<'_>,
    features: &[String],
    target: &Target<'_>,
    params: &GbdtParams,
) -> Result<GbdtBinaryClassifier, MlError> {
    params.validate()?;
    let (features, cols) = input::training_columns(frame, features, target)?;
    let label = input::class_label(target, frame.n_rows, "gbdt_binary_classifier")?;
    if label.classes.len() != 2 {
        return Err(MlError::InvalidParam {
            param: "label".into(),
            message: format!(
                "`gbdt_binary_classifier` needs exactly two classes but label column `{}` has {} ({}); use `decision_tree` for more classes",
                label.column,
                label.classes.len(),
                label.classes.join(", ")
            ),
        });
    }
    let y: Vec<f64> = label.codes.iter().map(|&c| f64::from(c)).collect();
    let Boosted {
        base_score, trees, ..
    } = boost(&cols, &y, Loss::Logistic, params);
    Ok(GbdtBinaryClassifier {
        features,
        label: label.column.to_string(),
        classes: label.classes.to_vec(),
        base_score,
        learning_rate: params.learning_rate,
        trees,
    })
}

/// Fits a regressor by gradient boosting on the squared error.
/// An empty `features` list means every column except the label.
pub fn fit_gbdt_regressor(
    frame: &Frame<'_>,
    features: &[String],
    target: &Target<'_>,
    params: &GbdtParams,
) -> Result<GbdtRegressor, MlError> {
    params.validate()?;
    let (features, cols) = input::training_columns(frame, features, target)?;
    let (column, y) = input::continuous_label(target, frame.n_rows, "gbdt_regressor")?;
    let Boosted {
        base_score, trees, ..
    } = boost(&cols, y, Loss::Squared, params);
    Ok(GbdtRegressor {
        features,
        label: column.to_string(),
        base_score,
        learning_rate: params.learning_rate,
        trees,
    })
}

/// The result of the boosting loop.
struct Boosted {
    /// The initial raw score.
    base_score: f64,
    /// The trees, in boosting order.
    trees: Vec<BoostedTree>,
    /// The final raw score of every training row (checked against the
    /// exported trees by the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    raw: Vec<f64>,
}

/// The boosting loop.
fn boost(cols: &[&[f64]], y: &[f64], loss: Loss, params: &GbdtParams) -> Boosted {
    boost_with(cols, y, loss, params, Tuning::default())
}

/// The boosting loop with the grower's parallel thresholds (the tests make
/// them tiny to exercise the parallel paths on small data).
fn boost_with(
    cols: &[&[f64]],
    y: &[f64],
    loss: Loss,
    params: &GbdtParams,
    tuning: Tuning,
) -> Boosted {
    let n = y.len();
    let mut rng = Rng::new(params.seed);
    let Binned {
        bins,
        mut matrix,
        edges,
    } = bin_columns(cols, params.max_bins, &mut rng);
    let n_bins: Vec<usize> = edges.iter().map(|e| e.len() + 1).collect();
    let grower = Grower::new(
        &bins,
        n_bins,
        GrowParams {
            max_depth: params.max_depth,
            min_samples_leaf: params.min_samples_leaf,
            l2: params.l2_regularization,
            learning_rate: params.learning_rate,
        },
        tuning,
    );
    let mean = y.iter().sum::<f64>() / n as f64;
    let base = match loss {
        Loss::Squared => mean,
        Loss::Logistic => (mean / (1.0 - mean)).ln(),
    };
    let mut raw = vec![base; n];
    let m = if params.subsample < 1.0 {
        ((params.subsample * n as f64).round() as usize).clamp(1, n)
    } else {
        n
    };
    let mut sample: Vec<u32> = Vec::new();
    let mut rows = vec![0u32; m];
    let mut scratch = vec![0u32; m];
    let mut trees = Vec::with_capacity(params.num_trees);
    if m == n {
        gradients(&mut matrix, None, &raw, y, loss);
    }
    for tree in 0..params.num_trees {
        if m < n {
            sample_sorted(n, m, &mut rng, &mut sample);
            rows.copy_from_slice(&sample);
            gradients(&mut matrix, Some(&sample), &raw, y, loss);
        } else {
            rows.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(ci, chunk)| {
                    for (j, r) in chunk.iter_mut().enumerate() {
                        *r = (ci * CHUNK + j) as u32;
                    }
                });
        }
        let grown = grower.grow(&matrix, &mut rows, &mut scratch);
        if m < n {
            add_tree(&mut raw, &grown.nodes, &bins);
        } else {
            let next = (tree + 1 < params.num_trees).then_some((&mut matrix, y, loss));
            add_leaves(&mut raw, &grown.terminals, &rows, &scratch, &bins, next);
        }
        let nodes = grown.nodes;
        trees.push(BoostedTree {
            nodes: nodes
                .iter()
                .map(|node| BoostedNode {
                    split: node.split.map(|s| Split {
                        feature: s.feature,
                        threshold: edges
                            .get(s.feature)
                            .and_then(|e| e.get(usize::from(s.bin)))
                            .copied()
                            .unwrap_or(f64::INFINITY),
                        left: s.left,
                        right: s.right,
                    }),
                    n_samples: node.count,
                    value: node.value,
                })
                .collect(),
        });
    }
    Boosted {
        base_score: base,
        trees,
        raw,
    }
}

/// Draws `m` of `n` rows without replacement into `out`, ascending
/// (selection sampling, Knuth's algorithm S).
fn sample_sorted(n: usize, m: usize, rng: &mut Rng, out: &mut Vec<u32>) {
    out.clear();
    let mut needed = m;
    for row in 0..n {
        if needed == 0 {
            break;
        }
        if rng.below(n - row) < needed {
            out.push(row as u32);
            needed -= 1;
        }
    }
}

/// The gradient and hessian of the loss at raw score `f` for label `t`.
#[inline]
fn grad(loss: Loss, f: f64, t: f64) -> (f32, f32) {
    let (g, h) = match loss {
        Loss::Squared => (f - t, 1.0),
        Loss::Logistic => {
            let p = sigmoid(f);
            (p - t, p * (1.0 - p))
        }
    };
    (g as f32, h as f32)
}

/// Stores in every row of `matrix` the gradient and hessian of the loss at
/// its current raw score (only the rows of `sample`, ascending, when given;
/// the others are left as they were).
fn gradients(matrix: &mut BinMatrix, sample: Option<&[u32]>, raw: &[f64], y: &[f64], loss: Loss) {
    let at = |r: usize| {
        grad(
            loss,
            raw.get(r).copied().unwrap_or(0.0),
            y.get(r).copied().unwrap_or(0.0),
        )
    };
    let Some(first) = matrix.groups.first_mut() else {
        return;
    };
    first
        .rows
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(ci, chunk)| {
            let lo = ci * CHUNK;
            match sample {
                None => {
                    for (j, e) in chunk.iter_mut().enumerate() {
                        (e.g, e.h) = at(lo + j);
                    }
                }
                Some(s) => {
                    let from = s.partition_point(|&r| (r as usize) < lo);
                    let to = s.partition_point(|&r| (r as usize) < lo + chunk.len());
                    for &r in s.get(from..to).unwrap_or_default() {
                        if let Some(e) = chunk.get_mut(r as usize - lo) {
                            (e.g, e.h) = at(r as usize);
                        }
                    }
                }
            }
        });
    copy_gradients(matrix);
}

/// Copies the gradients of the first feature group to the others.
fn copy_gradients(matrix: &mut BinMatrix) {
    let Some((first, rest)) = matrix.groups.split_first_mut() else {
        return;
    };
    for group in rest {
        group
            .rows
            .par_chunks_mut(CHUNK)
            .zip(first.rows.par_chunks(CHUNK))
            .for_each(|(dst, src)| {
                for (d, s) in dst.iter_mut().zip(src) {
                    (d.g, d.h) = (s.g, s.h);
                }
            });
    }
}

/// Adds a grown tree's leaf values to every row's raw score, walking the
/// tree on the binned features.
fn add_tree(raw: &mut [f64], nodes: &[GrownNode], bins: &[Vec<u8>]) {
    raw.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(ci, chunk)| {
            for (j, r) in chunk.iter_mut().enumerate() {
                let row = ci * CHUNK + j;
                let mut i = 0;
                while let Some(node) = nodes.get(i) {
                    match node.split {
                        Some(s) => {
                            let b = bins
                                .get(s.feature)
                                .and_then(|c| c.get(row))
                                .copied()
                                .unwrap_or(0);
                            i = if b <= s.bin { s.left } else { s.right };
                        }
                        None => {
                            *r += node.value;
                            break;
                        }
                    }
                }
            }
        });
}

/// Adds each leaf's value to the raw score of the rows the grower left in
/// it (every row was in the tree's sample): the rows of a terminal are
/// ascending, so each parallel task finds the rows of its own block of
/// `raw` in every terminal by binary search. A terminal split node sends
/// each of its rows to one of its two leaves by the binned test. With
/// `next`, each task then stores the gradients at the new scores of its
/// block for the next tree, while the block is still in cache.
fn add_leaves(
    raw: &mut [f64],
    terminals: &[Terminal],
    rows: &[u32],
    scratch: &[u32],
    bins: &[Vec<u8>],
    next: Option<(&mut BinMatrix, &[f64], Loss)>,
) {
    let block = raw.len().div_ceil(16).max(CHUNK);
    let add = |bi: usize, chunk: &mut [f64]| {
        let lo = bi * block;
        let hi = lo + chunk.len();
        for t in terminals {
            let buf = if t.rows.in_scratch { scratch } else { rows };
            let ids = buf.get(t.rows.start..t.rows.end).unwrap_or_default();
            let from = ids.partition_point(|&r| (r as usize) < lo);
            let to = ids.partition_point(|&r| (r as usize) < hi);
            let ids = ids.get(from..to).unwrap_or_default();
            match t.test {
                None => {
                    for &r in ids {
                        if let Some(x) = chunk.get_mut(r as usize - lo) {
                            *x += t.left;
                        }
                    }
                }
                Some((feature, bin)) => {
                    let col: &[u8] = bins.get(feature).map_or(&[], Vec::as_slice);
                    for &r in ids {
                        let left = col.get(r as usize).is_some_and(|&b| b <= bin);
                        if let Some(x) = chunk.get_mut(r as usize - lo) {
                            *x += if left { t.left } else { t.right };
                        }
                    }
                }
            }
        }
    };
    let Some((matrix, y, loss)) = next else {
        raw.par_chunks_mut(block)
            .enumerate()
            .for_each(|(bi, chunk)| add(bi, chunk));
        return;
    };
    if let Some(first) = matrix.groups.first_mut() {
        raw.par_chunks_mut(block)
            .zip(first.rows.par_chunks_mut(block))
            .enumerate()
            .for_each(|(bi, (chunk, packed))| {
                add(bi, chunk);
                let ys = y.get(bi * block..).unwrap_or_default();
                for ((e, &f), &t) in packed.iter_mut().zip(chunk.iter()).zip(ys) {
                    (e.g, e.h) = grad(loss, f, t);
                }
            });
    }
    copy_gradients(matrix);
}

/// The logistic function.
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl EvalNode for BoostedNode {
    fn split(&self) -> Option<&Split> {
        self.split.as_ref()
    }

    fn value(&self) -> f64 {
        self.value
    }
}

/// Checks deserialized trees and computes `base + Σ tree(x)` for every row.
fn raw_scores(
    trees: &[BoostedTree],
    features: &[String],
    base: f64,
    frame: &Frame<'_>,
) -> Result<Vec<f64>, MlError> {
    for tree in trees {
        check_nodes(
            tree.nodes.iter().map(|n| n.split.as_ref()),
            tree.nodes.len(),
            features.len(),
        )?;
    }
    let cols = input::predict_columns(frame, features)?;
    let forest = Forest::new(trees.iter().map(|t| t.nodes.as_slice()));
    Ok(forest.score(&cols, frame.n_rows, base))
}

impl GbdtBinaryClassifier {
    /// The raw score (log-odds of `classes[1]`) of every row.
    pub fn decision_function(&self, frame: &Frame<'_>) -> Result<Vec<f64>, MlError> {
        raw_scores(&self.trees, &self.features, self.base_score, frame)
    }
}

impl Predictor for GbdtBinaryClassifier {
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        if self.classes.len() != 2 {
            return Err(MlError::Corrupt(format!(
                "a binary classifier needs two classes, found {}",
                self.classes.len()
            )));
        }
        let raw = self.decision_function(frame)?;
        let mut labels = Vec::with_capacity(raw.len());
        let mut probs = Vec::with_capacity(2 * raw.len());
        for f in raw {
            let p = sigmoid(f);
            labels.push(u32::from(p > 0.5));
            probs.push(1.0 - p);
            probs.push(p);
        }
        Ok(PredictionOutput {
            classes: self.classes.clone(),
            values: PredictedValues::Labels(labels),
            detail: Some(Detail {
                keys: self.classes.clone(),
                values: probs,
            }),
        })
    }
}

impl GbdtRegressor {
    /// The prediction of every row (the same as `predict`'s numbers).
    pub fn decision_function(&self, frame: &Frame<'_>) -> Result<Vec<f64>, MlError> {
        raw_scores(&self.trees, &self.features, self.base_score, frame)
    }
}

impl Predictor for GbdtRegressor {
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        Ok(PredictionOutput {
            classes: Vec::new(),
            values: PredictedValues::Numbers(self.decision_function(frame)?),
            detail: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The training scores kept by the boosting loop (leaf scatter without
    /// sampling, binned walk with it) equal the exported trees' evaluation.
    #[test]
    fn training_scores_match_the_exported_trees() {
        let n = 3000;
        let a: Vec<f64> = (0..n).map(|i| f64::from((i * 7919) % 1000)).collect();
        let b: Vec<f64> = (0..n).map(|i| f64::from((i * 104_729) % 997)).collect();
        let y: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(a, b)| f64::from(a * 0.01 + b * 0.003 > 7.0))
            .collect();
        for subsample in [1.0, 0.6] {
            for loss in [Loss::Logistic, Loss::Squared] {
                let params = GbdtParams {
                    num_trees: 15,
                    subsample,
                    min_samples_leaf: 5,
                    ..GbdtParams::default()
                };
                for tuning in [Tuning::default(), tiny()] {
                    let fit = boost_with(&[&a, &b], &y, loss, &params, tuning);
                    let forest = Forest::new(fit.trees.iter().map(|t| t.nodes.as_slice()));
                    assert_eq!(forest.score(&[&a, &b], n as usize, fit.base_score), fit.raw);
                }
            }
        }
    }

    /// Tiny parallel thresholds, to exercise the parallel paths.
    fn tiny() -> Tuning {
        Tuning {
            hist_block: 64,
            hist_task: 4,
            par_partition_rows: 300,
            partition_chunk: 128,
            par_subtree_rows: 100,
        }
    }

    /// The same trees and training scores on 1, 2 and 3 threads.
    #[test]
    fn fits_do_not_depend_on_the_thread_count() {
        let n = 5000;
        let cols: Vec<Vec<f64>> = (0..30)
            .map(|f| {
                (0..n)
                    .map(|i| ((i * (7 + 2 * f) + f * f) % 997) as f64 / 7.0)
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| f64::from(cols[0][i] + cols[29][i] * 0.5 + (i % 13) as f64 > 110.0))
            .collect();
        let fit = |threads: usize, subsample: f64| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let params = GbdtParams {
                num_trees: 8,
                subsample,
                ..GbdtParams::default()
            };
            let b = pool.install(|| boost_with(&refs, &y, Loss::Logistic, &params, tiny()));
            (b.trees, b.raw)
        };
        for subsample in [1.0, 0.7] {
            let one = fit(1, subsample);
            assert!(one.0.iter().any(|t| t.nodes.len() > 20));
            assert!(fit(2, subsample) == one);
            assert!(fit(3, subsample) == one);
        }
    }
}
