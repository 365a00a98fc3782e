//! `gbdt_regressor`: gradient-boosted trees on the squared error.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};

use crate::fitted_model::FittedModel;
use crate::gbdt_binary_classifier::gbdt_config;
use crate::train::{DATA_INPUT, LabelKind, MODEL_OUTPUT, run_supervised};

gbdt_config! {
    /// Trains gradient-boosted trees for a numeric label on the squared error.
    GbdtRegressor
}

impl Component for GbdtRegressor {
    const NAME: &'static str = "gbdt_regressor";
    const SUMMARY: &'static str = "Train gradient-boosted trees for a numeric label";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = self.params();
        run_supervised(
            ctx,
            self,
            &self.feature_cols,
            &self.label_col,
            LabelKind::Continuous,
            |frame, features, target| {
                pai_ml::fit_gbdt_regressor(frame, features, target, &params)
                    .map(FittedModel::GbdtRegressorModel)
            },
        )
    }
}
