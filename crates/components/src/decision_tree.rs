//! `decision_tree`: an exact CART classification or regression tree.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::train::{DATA_INPUT, LabelKind, MODEL_OUTPUT, run_supervised};

crate::train::trainer_config! {
    /// Trains a CART decision tree, like scikit-learn's `DecisionTreeClassifier`
    /// (criterion `gini` or `entropy`) or `DecisionTreeRegressor` (`mse`).
    pub struct DecisionTree {
        /// The numeric feature columns (default: every column except the label).
        feature_cols,
        /// The label column: classes for `gini`/`entropy`, numbers for `mse`.
        label_col,
        /// The impurity measure; it also chooses classification or regression.
        #[serde(default)]
        pub criterion: TreeCriterion,
        /// The maximum depth (the root is depth 0); unbounded when omitted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        pub max_depth: Option<usize>,
        /// The minimum number of training rows in each leaf.
        #[serde(default = "default_min_samples_leaf")]
        #[schemars(range(min = 1))]
        pub min_samples_leaf: usize,
    }
}

/// The impurity measure of a decision tree.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TreeCriterion {
    /// Gini impurity (classification).
    #[default]
    Gini,
    /// Entropy / information gain (classification).
    Entropy,
    /// Mean squared error (regression).
    Mse,
}

fn default_min_samples_leaf() -> usize {
    pai_ml::DecisionTreeParams::default().min_samples_leaf
}

impl Component for DecisionTree {
    const NAME: &'static str = "decision_tree";
    const SUMMARY: &'static str = "Train a CART decision tree (classification or regression)";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let (criterion, kind) = match self.criterion {
            TreeCriterion::Gini => (pai_ml::Criterion::Gini, LabelKind::Classes),
            TreeCriterion::Entropy => (pai_ml::Criterion::Entropy, LabelKind::Classes),
            TreeCriterion::Mse => (pai_ml::Criterion::Mse, LabelKind::Continuous),
        };
        let params = pai_ml::DecisionTreeParams {
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            criterion: Some(criterion),
        };
        run_supervised(
            ctx,
            self,
            &self.feature_cols,
            &self.label_col,
            kind,
            |frame, features, target| {
                pai_ml::fit_decision_tree(frame, features, target, &params)
                    .map(FittedModel::DecisionTreeModel)
            },
        )
    }
}
