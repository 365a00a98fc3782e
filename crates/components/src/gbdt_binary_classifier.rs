//! `gbdt_binary_classifier`: gradient-boosted trees on the log-loss, and
//! the boosting config (a macro) it shares with `gbdt_regressor`.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};

use crate::fitted_model::FittedModel;
use crate::train::{DATA_INPUT, LabelKind, MODEL_OUTPUT, run_supervised};

/// Declares a boosting component's config struct: the features and label
/// plus the histogram-based gradient boosting options (like LightGBM or
/// scikit-learn's `HistGradientBoosting*`), and its `pai-ml` parameters.
macro_rules! gbdt_config {
    ($(#[$doc:meta])* $name:ident) => {
        crate::train::trainer_config! {
            $(#[$doc])*
            pub struct $name {
                /// The numeric feature columns (default: every column except the label).
                feature_cols,
                /// The label column.
                label_col,
                /// The number of boosting rounds (one tree each).
                #[serde(default = "crate::gbdt_binary_classifier::default_num_trees")]
                #[schemars(range(min = 1, max = 100_000))]
                pub num_trees: usize,
                /// The shrinkage applied to every tree, in (0, 1].
                #[serde(default = "crate::gbdt_binary_classifier::default_learning_rate")]
                pub learning_rate: f64,
                /// The maximum depth of each tree.
                #[serde(default = "crate::gbdt_binary_classifier::default_max_depth")]
                #[schemars(range(min = 1, max = 32))]
                pub max_depth: usize,
                /// The minimum number of rows in each leaf.
                #[serde(default = "crate::gbdt_binary_classifier::default_min_samples_leaf")]
                #[schemars(range(min = 1))]
                pub min_samples_leaf: usize,
                /// The maximum number of histogram bins per feature.
                #[serde(default = "crate::gbdt_binary_classifier::default_max_bins")]
                #[schemars(range(min = 2, max = 255))]
                pub max_bins: usize,
                /// The share of rows sampled (without replacement) for each tree, in (0, 1].
                #[serde(default = "crate::gbdt_binary_classifier::default_subsample")]
                pub subsample: f64,
                /// The random seed of binning and row sampling.
                #[serde(default)]
                pub seed: u64,
            }
        }

        impl $name {
            /// The `pai-ml` parameters.
            pub fn params(&self) -> pai_ml::GbdtParams {
                pai_ml::GbdtParams {
                    num_trees: self.num_trees,
                    learning_rate: self.learning_rate,
                    max_depth: self.max_depth,
                    min_samples_leaf: self.min_samples_leaf,
                    max_bins: self.max_bins,
                    subsample: self.subsample,
                    seed: self.seed,
                    ..Default::default()
                }
            }
        }
    };
}

pub(crate) use gbdt_config;

pub(crate) fn default_num_trees() -> usize {
    pai_ml::GbdtParams::default().num_trees
}

pub(crate) fn default_learning_rate() -> f64 {
    pai_ml::GbdtParams::default().learning_rate
}

pub(crate) fn default_max_depth() -> usize {
    pai_ml::GbdtParams::default().max_depth
}

pub(crate) fn default_min_samples_leaf() -> usize {
    pai_ml::GbdtParams::default().min_samples_leaf
}

pub(crate) fn default_max_bins() -> usize {
    pai_ml::GbdtParams::default().max_bins
}

pub(crate) fn default_subsample() -> f64 {
    pai_ml::GbdtParams::default().subsample
}

gbdt_config! {
    /// Trains gradient-boosted trees for a two-class label on the log-loss.
    GbdtBinaryClassifier
}

impl Component for GbdtBinaryClassifier {
    const NAME: &'static str = "gbdt_binary_classifier";
    const SUMMARY: &'static str = "Train gradient-boosted trees for a two-class label";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = self.params();
        run_supervised(
            ctx,
            self,
            &self.feature_cols,
            &self.label_col,
            LabelKind::Classes,
            |frame, features, target| {
                pai_ml::fit_gbdt_binary_classifier(frame, features, target, &params)
                    .map(FittedModel::GbdtBinaryClassifierModel)
            },
        )
    }
}
