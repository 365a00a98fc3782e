//! The registry: the one closed enum of components and the one place that
//! dispatches on it. Adding a component means adding one line here.

use pai_core::{Component, ComponentInfo, NodeOutputs, Result, RunContext};
use schemars::{Schema, SchemaGenerator};

macro_rules! registry {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// A node's component with its typed params.
        #[derive(Debug, Clone)]
        pub enum ComponentConfig {
            $(
                #[doc = concat!("`", stringify!($ty), "`")]
                $variant($ty),
            )*
        }

        impl ComponentConfig {
            /// Builds the typed config of component `name` from its params.
            /// `None` when no component has that name.
            pub fn parse(name: &str, params: serde_json::Value) -> Option<serde_json::Result<Self>> {
                match name {
                    $(<$ty as Component>::NAME => Some(serde_json::from_value::<$ty>(params).map(ComponentConfig::$variant)),)*
                    _ => None,
                }
            }

            /// The component's description.
            pub fn info(&self) -> ComponentInfo {
                match self {
                    $(ComponentConfig::$variant(_) => ComponentInfo::of::<$ty>(),)*
                }
            }

            /// Runs the component.
            pub fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
                match self {
                    $(ComponentConfig::$variant(c) => c.run(ctx),)*
                }
            }

            /// The params as JSON (with defaults filled in).
            pub fn params_json(&self) -> serde_json::Value {
                match self {
                    $(ComponentConfig::$variant(c) => serde_json::to_value(c).unwrap_or_default(),)*
                }
            }
        }

        /// Every registered component, in registration order.
        pub fn all() -> Vec<ComponentInfo> {
            vec![$(ComponentInfo::of::<$ty>(),)*]
        }

        /// The params schema of every component, registered in `generator`'s
        /// definitions: `(info, reference to the params schema)`.
        pub fn params_schemas(generator: &mut SchemaGenerator) -> Vec<(ComponentInfo, Schema)> {
            vec![$((ComponentInfo::of::<$ty>(), generator.subschema_for::<$ty>()),)*]
        }
    };
}

registry! {
    ReadTable(crate::read_table::ReadTable),
    WriteTable(crate::write_table::WriteTable),
    Split(crate::split::Split),
    Delay(crate::delay::Delay),
    LorenzCurve(crate::lorenz_curve::LorenzCurve),
    ReadPmmlModel(crate::read_pmml_model::ReadPmmlModel),
    StandardScaler(crate::standard_scaler::StandardScaler),
    MinMaxScaler(crate::min_max_scaler::MinMaxScaler),
    OneHotEncoder(crate::one_hot_encoder::OneHotEncoder),
    Imputer(crate::imputer::Imputer),
    LogisticRegression(crate::logistic_regression::LogisticRegression),
    LinearRegression(crate::linear_regression::LinearRegression),
    LinearSvm(crate::linear_svm::LinearSvm),
    GbdtBinaryClassifier(crate::gbdt_binary_classifier::GbdtBinaryClassifier),
    GbdtRegressor(crate::gbdt_regressor::GbdtRegressor),
    DecisionTree(crate::decision_tree::DecisionTree),
    KMeans(crate::kmeans::KMeans),
    MakePipelineModel(crate::make_pipeline_model::MakePipelineModel),
    DeployEas(crate::deploy_eas::DeployEas),
    UpdateEasService(crate::update_eas_service::UpdateEasService),
    NaiveBayes(crate::naive_bayes::NaiveBayes),
    Predict(crate::predict::Predict),
    EvalBinaryClass(crate::eval_binary_class::EvalBinaryClass),
    EvalMultiClass(crate::eval_multi_class::EvalMultiClass),
    EvalRegression(crate::eval_regression::EvalRegression),
    ReadOfflineModel(crate::read_offline_model::ReadOfflineModel),
    CopyOfflineModel(crate::copy_offline_model::CopyOfflineModel),
    ModelExport(crate::model_export::ModelExport),
    ExportGeneralModel(crate::export_general_model::ExportGeneralModel),
}

/// The description of component `name`.
pub fn lookup(name: &str) -> Option<ComponentInfo> {
    all().into_iter().find(|c| c.name == name)
}
