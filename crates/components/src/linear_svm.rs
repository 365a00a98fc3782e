//! `linear_svm`: a linear support vector classifier.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};

use crate::fitted_model::FittedModel;
use crate::train::{DATA_INPUT, LabelKind, MODEL_OUTPUT, run_supervised};

crate::train::trainer_config! {
    /// Trains a linear support vector classifier (squared hinge loss, like
    /// scikit-learn's `LinearSVC`; one-vs-rest for more than two classes).
    pub struct LinearSvm {
        /// The numeric feature columns (default: every column except the label).
        feature_cols,
        /// The label column (each distinct value is a class).
        label_col,
        /// L2 regularization strength (scikit-learn's `1 / C`); must be positive.
        #[serde(default = "default_l2")]
        pub l2: f64,
        /// The maximum number of optimizer iterations.
        #[serde(default = "default_max_iter")]
        #[schemars(range(min = 1))]
        pub max_iter: usize,
    }
}

fn default_l2() -> f64 {
    pai_ml::LinearSvmParams::default().l2
}

fn default_max_iter() -> usize {
    pai_ml::LinearSvmParams::default().max_iter
}

impl Component for LinearSvm {
    const NAME: &'static str = "linear_svm";
    const SUMMARY: &'static str = "Train a linear support vector classifier";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::LinearSvmParams {
            l2: self.l2,
            max_iter: self.max_iter,
            ..Default::default()
        };
        run_supervised(
            ctx,
            self,
            &self.feature_cols,
            &self.label_col,
            LabelKind::Classes,
            |frame, features, target| {
                pai_ml::fit_linear_svm(frame, features, target, &params)
                    .map(FittedModel::LinearSvmModel)
            },
        )
    }
}
