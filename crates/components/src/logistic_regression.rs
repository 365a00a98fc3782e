//! `logistic_regression`: a binary or multinomial logistic regression.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};

use crate::fitted_model::FittedModel;
use crate::train::{DATA_INPUT, LabelKind, MODEL_OUTPUT, default_true, run_supervised};

crate::train::trainer_config! {
    /// Trains a logistic regression (binary, or multinomial for more than two
    /// classes) with L1/L2 regularization, minimised with L-BFGS/OWL-QN.
    pub struct LogisticRegression {
        /// The numeric feature columns (default: every column except the label).
        feature_cols,
        /// The label column (numbers or text; each distinct value is a class).
        label_col,
        /// L2 regularization strength (scikit-learn's `1 / C`).
        #[serde(default = "default_l2")]
        #[schemars(range(min = 0.0))]
        pub l2: f64,
        /// L1 regularization strength.
        #[serde(default)]
        #[schemars(range(min = 0.0))]
        pub l1: f64,
        /// The maximum number of optimizer iterations.
        #[serde(default = "default_max_iter")]
        #[schemars(range(min = 1))]
        pub max_iter: usize,
        /// Convergence tolerance on the gradient.
        #[serde(default = "default_epsilon")]
        pub epsilon: f64,
        /// Fit an intercept.
        #[serde(default = "default_true")]
        pub fit_intercept: bool,
    }
}

fn default_l2() -> f64 {
    pai_ml::LogisticRegressionParams::default().l2
}

fn default_max_iter() -> usize {
    pai_ml::LogisticRegressionParams::default().max_iter
}

fn default_epsilon() -> f64 {
    pai_ml::LogisticRegressionParams::default().epsilon
}

impl Component for LogisticRegression {
    const NAME: &'static str = "logistic_regression";
    const SUMMARY: &'static str = "Train a binary or multinomial logistic regression";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::LogisticRegressionParams {
            l1: self.l1,
            l2: self.l2,
            max_iter: self.max_iter,
            epsilon: self.epsilon,
            fit_intercept: self.fit_intercept,
        };
        run_supervised(
            ctx,
            self,
            &self.feature_cols,
            &self.label_col,
            LabelKind::Classes,
            |frame, features, target| {
                pai_ml::fit_logistic_regression(frame, features, target, &params)
                    .map(FittedModel::LogisticRegressionModel)
            },
        )
    }
}
