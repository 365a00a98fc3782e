//! Tree models: exact CART decision trees (classification and regression)
//! and histogram-based gradient-boosted trees (binary logloss and squared
//! error).
//!
//! Every fitted tree is stored as an explicit array of nodes in pre-order
//! (root first, then the left subtree, then the right subtree). A split node
//! sends a row to `left` when `x[feature] <= threshold` and to `right`
//! otherwise, so the fitted structure maps one-to-one onto PMML
//! `TreeModel` / `MiningModel` elements.
//!
//! Files:
//! - `params.rs`: the parameter structs, their defaults and validation;
//! - `input.rs`: feature and label extraction with the crate's error texts;
//! - `split.rs`: the [`Split`] node link shared by every tree;
//! - `cart.rs`: the exact CART builder (sorted feature values, midpoints);
//! - `decision_tree.rs`: the fitted decision-tree types and `fit_decision_tree`;
//! - `hist.rs`: quantile binning of features into `u8` bins, column- and
//!   row-major (rows packed with their gradients);
//! - `histogram.rs`: the per-node and per-block histograms and their sums;
//! - `grow.rs`: the histogram tree grower used by boosting;
//! - `gbdt.rs`: the boosting loop, the fitted GBDT types and their fit functions;
//! - `flat.rs`: the fast, branch-free ensemble evaluator used at predict time.

mod cart;
mod decision_tree;
mod flat;
mod gbdt;
mod grow;
mod hist;
mod histogram;
mod input;
mod params;
mod split;

pub use decision_tree::{
    ClassificationNode, DecisionTree, DecisionTreeClassifier, DecisionTreeRegressor,
    RegressionNode, fit_decision_tree,
};
pub use gbdt::{
    BoostedNode, BoostedTree, GbdtBinaryClassifier, GbdtRegressor, fit_gbdt_binary_classifier,
    fit_gbdt_regressor,
};
pub use params::{Criterion, DecisionTreeParams, GbdtParams};
pub use split::Split;
