//! `naive_bayes`: a naive Bayes classifier over numeric and text features.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};

use crate::fitted_model::FittedModel;
use crate::train::{DATA_INPUT, LabelKind, MODEL_OUTPUT, run_supervised};

crate::train::trainer_config! {
    /// Trains a naive Bayes classifier: Gaussian likelihoods for numeric
    /// features, smoothed categorical likelihoods for text features.
    pub struct NaiveBayes {
        /// The feature columns (default: every column except the label).
        feature_cols,
        /// The label column (each distinct value is a class).
        label_col,
        /// Share of the largest feature variance added to every variance, for stability.
        #[serde(default = "default_var_smoothing")]
        #[schemars(range(min = 0.0))]
        pub var_smoothing: f64,
        /// Additive (Laplace) smoothing of the categorical counts.
        #[serde(default = "default_alpha")]
        #[schemars(range(min = 0.0))]
        pub alpha: f64,
    }
}

fn default_var_smoothing() -> f64 {
    pai_ml::NaiveBayesParams::default().var_smoothing
}

fn default_alpha() -> f64 {
    pai_ml::NaiveBayesParams::default().alpha
}

impl Component for NaiveBayes {
    const NAME: &'static str = "naive_bayes";
    const SUMMARY: &'static str = "Train a naive Bayes classifier";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::NaiveBayesParams {
            var_smoothing: self.var_smoothing,
            alpha: self.alpha,
        };
        run_supervised(
            ctx,
            self,
            &self.feature_cols,
            &self.label_col,
            LabelKind::Classes,
            |frame, features, target| {
                pai_ml::fit_naive_bayes(frame, features, target, &params)
                    .map(FittedModel::NaiveBayesModel)
            },
        )
    }
}
