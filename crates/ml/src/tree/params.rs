//! Parameters of the tree models, their defaults and their validation.

use serde::{Deserialize, Serialize};

use crate::MlError;

/// The impurity measure a decision tree minimises.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Gini impurity (classification; the default for class labels).
    Gini,
    /// Shannon entropy / information gain (classification).
    Entropy,
    /// Mean squared error (regression; the default for continuous labels).
    Mse,
}

impl Criterion {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Gini => "gini",
            Criterion::Entropy => "entropy",
            Criterion::Mse => "mse",
        }
    }
}

/// Parameters of `decision_tree` (exact CART, like scikit-learn's
/// `DecisionTreeClassifier` / `DecisionTreeRegressor`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTreeParams {
    /// Maximum depth (root = depth 0); `None` (default) grows until leaves
    /// are pure or cannot be split. Must be at least 1 when given.
    pub max_depth: Option<usize>,
    /// Minimum number of training rows in each leaf (default 1, at least 1).
    pub min_samples_leaf: usize,
    /// Impurity measure; `None` (default) picks `gini` for class labels and
    /// `mse` for continuous ones.
    pub criterion: Option<Criterion>,
}

impl Default for DecisionTreeParams {
    fn default() -> Self {
        DecisionTreeParams {
            max_depth: None,
            min_samples_leaf: 1,
            criterion: None,
        }
    }
}

impl DecisionTreeParams {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), MlError> {
        if self.max_depth == Some(0) {
            return Err(invalid(
                "max_depth",
                "must be at least 1 (or left unset for unbounded depth)".into(),
            ));
        }
        if self.min_samples_leaf == 0 {
            return Err(invalid("min_samples_leaf", "must be at least 1".into()));
        }
        Ok(())
    }
}

/// Parameters of `gbdt_binary_classifier` and `gbdt_regressor`
/// (histogram-based gradient boosting, like LightGBM or scikit-learn's
/// `HistGradientBoosting*`, grown depth-first to `max_depth`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GbdtParams {
    /// Number of boosting rounds, one tree each (default 100, 1..=100000).
    pub num_trees: usize,
    /// Shrinkage applied to every leaf value (default 0.1, in (0, 1]).
    pub learning_rate: f64,
    /// Maximum tree depth (default 6, 1..=32).
    pub max_depth: usize,
    /// Minimum number of (sampled) rows in each leaf (default 20, at least 1).
    pub min_samples_leaf: usize,
    /// Maximum number of bins per feature (default 255, 2..=255). Bin edges
    /// are quantiles of at most 200 000 rows.
    pub max_bins: usize,
    /// Fraction of rows drawn without replacement for each tree (default
    /// 1.0, in (0, 1]).
    pub subsample: f64,
    /// Seed of the binning sample and the row sampling (default 0).
    pub seed: u64,
    /// L2 penalty λ on leaf values: a leaf is `-G / (H + λ)` for gradient
    /// sum `G` and hessian sum `H` (default 0.001, small enough to leave the
    /// fit unchanged, large enough to keep saturated leaves finite; >= 0).
    pub l2_regularization: f64,
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            num_trees: 100,
            learning_rate: 0.1,
            max_depth: 6,
            min_samples_leaf: 20,
            max_bins: 255,
            subsample: 1.0,
            seed: 0,
            l2_regularization: 1e-3,
        }
    }
}

impl GbdtParams {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), MlError> {
        if !(1..=100_000).contains(&self.num_trees) {
            return Err(invalid(
                "num_trees",
                format!("is {}; must be between 1 and 100000", self.num_trees),
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err(invalid(
                "learning_rate",
                format!("is {}; must be in (0, 1]", self.learning_rate),
            ));
        }
        if !(1..=32).contains(&self.max_depth) {
            return Err(invalid(
                "max_depth",
                format!("is {}; must be between 1 and 32", self.max_depth),
            ));
        }
        if self.min_samples_leaf == 0 {
            return Err(invalid("min_samples_leaf", "must be at least 1".into()));
        }
        if !(2..=255).contains(&self.max_bins) {
            return Err(invalid(
                "max_bins",
                format!("is {}; must be between 2 and 255", self.max_bins),
            ));
        }
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return Err(invalid(
                "subsample",
                format!("is {}; must be in (0, 1]", self.subsample),
            ));
        }
        if !(self.l2_regularization >= 0.0 && self.l2_regularization.is_finite()) {
            return Err(invalid(
                "l2_regularization",
                format!("is {}; must be finite and >= 0", self.l2_regularization),
            ));
        }
        Ok(())
    }
}

/// An [`MlError::InvalidParam`].
fn invalid(param: &str, message: String) -> MlError {
    MlError::InvalidParam {
        param: param.into(),
        message,
    }
}
