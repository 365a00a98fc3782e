//! `linear_regression`: ordinary least squares, optionally ridge.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};

use crate::fitted_model::FittedModel;
use crate::train::{DATA_INPUT, LabelKind, MODEL_OUTPUT, default_true, run_supervised};

crate::train::trainer_config! {
    /// Trains a linear regression by least squares, with an optional L2
    /// (ridge) penalty.
    pub struct LinearRegression {
        /// The numeric feature columns (default: every column except the label).
        feature_cols,
        /// The numeric label column.
        label_col,
        /// L2 (ridge) penalty on the coefficients; 0 is ordinary least squares.
        #[serde(default)]
        #[schemars(range(min = 0.0))]
        pub l2: f64,
        /// Fit an intercept.
        #[serde(default = "default_true")]
        pub fit_intercept: bool,
    }
}

impl Component for LinearRegression {
    const NAME: &'static str = "linear_regression";
    const SUMMARY: &'static str = "Train a linear regression (least squares, optional ridge)";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::LinearRegressionParams {
            l2: self.l2,
            fit_intercept: self.fit_intercept,
        };
        run_supervised(
            ctx,
            self,
            &self.feature_cols,
            &self.label_col,
            LabelKind::Continuous,
            |frame, features, target| {
                pai_ml::fit_linear_regression(frame, features, target, &params)
                    .map(FittedModel::LinearRegressionModel)
            },
        )
    }
}
