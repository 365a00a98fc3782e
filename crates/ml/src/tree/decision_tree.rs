//! The fitted decision-tree types (classifier and regressor), their
//! prediction, and `fit_decision_tree`, which picks the kind from the label.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cart::{self, CartLabel, CartLimits, CartNode};
use super::input;
use super::split::check_nodes;
use super::{Criterion, DecisionTreeParams, Split};
use crate::{Detail, Frame, MlError, PredictedValues, PredictionOutput, Predictor, Target};

/// A fitted `decision_tree`: a classifier for a class label, a regressor
/// for a continuous one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionTree {
    /// Fitted on a class label.
    Classifier(DecisionTreeClassifier),
    /// Fitted on a continuous label.
    Regressor(DecisionTreeRegressor),
}

/// A classification tree. Nodes are in pre-order (index 0 is the root).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DecisionTreeClassifier {
    /// The feature columns, in the order `Split::feature` indexes.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The class names, in the order of `class_counts`.
    pub classes: Vec<String>,
    /// The impurity measure used (`gini` or `entropy`).
    pub criterion: Criterion,
    /// The nodes, root first.
    pub nodes: Vec<ClassificationNode>,
}

/// A node of a classification tree.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ClassificationNode {
    /// The test of an internal node; `None` for a leaf.
    pub split: Option<Split>,
    /// Training rows of each class reaching the node; a leaf predicts
    /// `class_counts / sum` as probabilities, like scikit-learn.
    pub class_counts: Vec<u64>,
    /// The node's impurity (Gini, or entropy in bits).
    pub impurity: f64,
}

/// A regression tree. Nodes are in pre-order (index 0 is the root).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DecisionTreeRegressor {
    /// The feature columns, in the order `Split::feature` indexes.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The nodes, root first.
    pub nodes: Vec<RegressionNode>,
}

/// A node of a regression tree.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RegressionNode {
    /// The test of an internal node; `None` for a leaf.
    pub split: Option<Split>,
    /// Training rows reaching the node.
    pub n_samples: u64,
    /// The mean label of those rows (the prediction of a leaf).
    pub value: f64,
    /// The variance of the label over those rows.
    pub impurity: f64,
}

/// Fits a CART decision tree: a classifier when `target` is
/// [`Target::Classes`], a regressor when it is [`Target::Continuous`].
/// An empty `features` list means every column except the label.
pub fn fit_decision_tree(
    frame: &Frame<'_>,
    features: &[String],
    target: &Target<'_>,
    params: &DecisionTreeParams,
) -> Result<DecisionTree, MlError> {
    params.validate()?;
    let (features, cols) = input::training_columns(frame, features, target)?;
    let limits = CartLimits {
        max_depth: params.max_depth,
        min_samples_leaf: params.min_samples_leaf,
    };
    match target {
        Target::Classes { .. } => {
            let criterion = params.criterion.unwrap_or(Criterion::Gini);
            if criterion == Criterion::Mse {
                return Err(criterion_error(
                    criterion,
                    "a class label",
                    "`gini` or `entropy`",
                ));
            }
            let label = input::class_label(target, frame.n_rows, "decision_tree")?;
            let cart_label = CartLabel::Classes {
                codes: label.codes,
                n_classes: label.classes.len(),
                entropy: criterion == Criterion::Entropy,
            };
            let nodes = cart::build(&cols, &cart_label, &limits)
                .into_iter()
                .map(|n: CartNode| ClassificationNode {
                    split: n.split,
                    class_counts: n.class_counts,
                    impurity: n.impurity,
                })
                .collect();
            Ok(DecisionTree::Classifier(DecisionTreeClassifier {
                features: features.clone(),
                label: label.column.to_string(),
                classes: label.classes.to_vec(),
                criterion,
                nodes,
            }))
        }
        Target::Continuous { .. } => {
            let criterion = params.criterion.unwrap_or(Criterion::Mse);
            if criterion != Criterion::Mse {
                return Err(criterion_error(criterion, "a continuous label", "`mse`"));
            }
            let (column, values) = input::continuous_label(target, frame.n_rows, "decision_tree")?;
            let nodes = cart::build(&cols, &CartLabel::Values(values), &limits)
                .into_iter()
                .map(|n: CartNode| RegressionNode {
                    split: n.split,
                    n_samples: n.n_samples,
                    value: n.value,
                    impurity: n.impurity,
                })
                .collect();
            Ok(DecisionTree::Regressor(DecisionTreeRegressor {
                features: features.clone(),
                label: column.to_string(),
                nodes,
            }))
        }
    }
}

/// The error for a criterion that does not fit the label.
fn criterion_error(criterion: Criterion, label: &str, allowed: &str) -> MlError {
    MlError::InvalidParam {
        param: "criterion".into(),
        message: format!(
            "`{}` does not apply to {label}; use {allowed}",
            criterion.as_str()
        ),
    }
}

/// Depth (root alone = 0) and leaf count of a checked pre-order tree.
fn shape(splits: &[Option<&Split>]) -> (usize, usize) {
    let (mut depth, mut leaves) = (0, 0);
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, d)) = stack.pop() {
        depth = depth.max(d);
        match splits.get(i).copied().flatten() {
            // Children always follow their parent; anything else (a corrupt
            // model) is treated as a leaf so that the walk ends.
            Some(s) if s.left > i && s.right > i => {
                stack.push((s.left, d + 1));
                stack.push((s.right, d + 1));
            }
            _ => leaves += 1,
        }
    }
    (depth, leaves)
}

/// The leaf reached by each row of `cols` in a checked pre-order tree.
fn leaves_of(splits: &[Option<&Split>], cols: &[&[f64]], n_rows: usize) -> Vec<usize> {
    (0..n_rows)
        .into_par_iter()
        .with_min_len(4096)
        .map(|row| {
            let mut i = 0;
            while let Some(Some(s)) = splits.get(i) {
                let x = cols.get(s.feature).and_then(|c| c.get(row)).copied();
                i = match x {
                    Some(v) if v <= s.threshold => s.left,
                    _ => s.right,
                };
            }
            i
        })
        .collect()
}

impl DecisionTreeClassifier {
    /// The splits of the nodes, in node order.
    fn splits(&self) -> Vec<Option<&Split>> {
        self.nodes.iter().map(|n| n.split.as_ref()).collect()
    }

    /// Checks the node array of a deserialized model.
    fn check(&self) -> Result<(), MlError> {
        check_nodes(
            self.nodes.iter().map(|n| n.split.as_ref()),
            self.nodes.len(),
            self.features.len(),
        )?;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.class_counts.len() != self.classes.len()
                || (n.split.is_none() && n.class_counts.iter().all(|&c| c == 0))
            {
                return Err(MlError::Corrupt(format!(
                    "node {i} has class counts {:?} for {} classes",
                    n.class_counts,
                    self.classes.len()
                )));
            }
        }
        Ok(())
    }

    /// The depth of the tree (a lone root leaf has depth 0).
    pub fn depth(&self) -> usize {
        shape(&self.splits()).0
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        shape(&self.splits()).1
    }
}

impl Predictor for DecisionTreeClassifier {
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        self.check()?;
        let cols = input::predict_columns(frame, &self.features)?;
        let leaves = leaves_of(&self.splits(), &cols, frame.n_rows);
        let k = self.classes.len();
        let mut labels = Vec::with_capacity(leaves.len());
        let mut probs = Vec::with_capacity(leaves.len() * k);
        for leaf in leaves {
            let counts = self
                .nodes
                .get(leaf)
                .map(|n| n.class_counts.as_slice())
                .unwrap_or_default();
            let total: u64 = counts.iter().sum();
            let mut best = 0;
            for (c, &count) in counts.iter().enumerate() {
                if count > counts[best] {
                    best = c;
                }
                probs.push(count as f64 / total as f64);
            }
            labels.push(best as u32);
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

impl DecisionTreeRegressor {
    /// The splits of the nodes, in node order.
    fn splits(&self) -> Vec<Option<&Split>> {
        self.nodes.iter().map(|n| n.split.as_ref()).collect()
    }

    /// The depth of the tree (a lone root leaf has depth 0).
    pub fn depth(&self) -> usize {
        shape(&self.splits()).0
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        shape(&self.splits()).1
    }
}

impl Predictor for DecisionTreeRegressor {
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        check_nodes(
            self.nodes.iter().map(|n| n.split.as_ref()),
            self.nodes.len(),
            self.features.len(),
        )?;
        let cols = input::predict_columns(frame, &self.features)?;
        let values = leaves_of(&self.splits(), &cols, frame.n_rows)
            .into_iter()
            .map(|leaf| self.nodes.get(leaf).map_or(f64::NAN, |n| n.value))
            .collect();
        Ok(PredictionOutput {
            classes: Vec::new(),
            values: PredictedValues::Numbers(values),
            detail: None,
        })
    }
}

impl DecisionTree {
    /// The depth of the tree (a lone root leaf has depth 0).
    pub fn depth(&self) -> usize {
        match self {
            DecisionTree::Classifier(t) => t.depth(),
            DecisionTree::Regressor(t) => t.depth(),
        }
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        match self {
            DecisionTree::Classifier(t) => t.n_leaves(),
            DecisionTree::Regressor(t) => t.n_leaves(),
        }
    }
}

impl Predictor for DecisionTree {
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError> {
        match self {
            DecisionTree::Classifier(t) => t.predict(frame),
            DecisionTree::Regressor(t) => t.predict(frame),
        }
    }
}
