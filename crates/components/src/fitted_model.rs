//! [`FittedModel`]: every fitted model a pipeline can store, as one tagged
//! enum over `pai-ml`'s model types, with the dispatch to prediction or
//! transformation.

use pai_ml::{Frame, MlError, OwnedColumn, PredictionOutput, Predictor};
use serde::{Deserialize, Serialize};

/// A fitted model; serialized with its variant name in `class`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class")]
pub enum FittedModel {
    /// A `logistic_regression` model.
    LogisticRegressionModel(pai_ml::LogisticRegressionModel),
    /// A `linear_regression` model.
    LinearRegressionModel(pai_ml::LinearRegressionModel),
    /// A `linear_svm` model.
    LinearSvmModel(pai_ml::LinearSvmModel),
    /// A `decision_tree` model (classifier or regressor).
    DecisionTreeModel(pai_ml::DecisionTree),
    /// A `gbdt_binary_classifier` model.
    GbdtBinaryClassifierModel(pai_ml::GbdtBinaryClassifier),
    /// A `gbdt_regressor` model.
    GbdtRegressorModel(pai_ml::GbdtRegressor),
    /// A `kmeans` model.
    KMeansModel(pai_ml::KMeansModel),
    /// A `naive_bayes` model.
    NaiveBayesModel(pai_ml::NaiveBayesModel),
    /// A `standard_scaler` model.
    StandardScalerModel(pai_ml::StandardScalerModel),
    /// A `min_max_scaler` model.
    MinMaxScalerModel(pai_ml::MinMaxScalerModel),
    /// A `one_hot_encoder` model.
    OneHotEncoderModel(pai_ml::OneHotEncoderModel),
    /// An `imputer` model.
    ImputerModel(pai_ml::ImputerModel),
    /// A `make_pipeline_model` chain of the models above.
    PipelineModel(crate::pipeline_model::PipelineModel),
}

/// What applying a model to a table yields.
pub enum Applied {
    /// Predictions of a trained model.
    Prediction(PredictionOutput),
    /// Replacement columns of a preprocessing model (see `pai-ml`'s
    /// preprocessing contract: each input column is replaced in place).
    Transform(Vec<(String, OwnedColumn)>),
}

impl FittedModel {
    /// The variant name, recorded as `model_class` in the metadata.
    pub fn class_name(&self) -> &'static str {
        match self {
            FittedModel::LogisticRegressionModel(_) => "LogisticRegressionModel",
            FittedModel::LinearRegressionModel(_) => "LinearRegressionModel",
            FittedModel::LinearSvmModel(_) => "LinearSvmModel",
            FittedModel::DecisionTreeModel(_) => "DecisionTreeModel",
            FittedModel::GbdtBinaryClassifierModel(_) => "GbdtBinaryClassifierModel",
            FittedModel::GbdtRegressorModel(_) => "GbdtRegressorModel",
            FittedModel::KMeansModel(_) => "KMeansModel",
            FittedModel::NaiveBayesModel(_) => "NaiveBayesModel",
            FittedModel::StandardScalerModel(_) => "StandardScalerModel",
            FittedModel::MinMaxScalerModel(_) => "MinMaxScalerModel",
            FittedModel::OneHotEncoderModel(_) => "OneHotEncoderModel",
            FittedModel::ImputerModel(_) => "ImputerModel",
            FittedModel::PipelineModel(_) => "PipelineModel",
        }
    }

    /// The input columns the model reads.
    pub fn input_columns(&self) -> Vec<String> {
        match self {
            FittedModel::LogisticRegressionModel(m) => m.features.clone(),
            FittedModel::LinearRegressionModel(m) => m.features.clone(),
            FittedModel::LinearSvmModel(m) => m.features.clone(),
            FittedModel::DecisionTreeModel(pai_ml::DecisionTree::Classifier(m)) => {
                m.features.clone()
            }
            FittedModel::DecisionTreeModel(pai_ml::DecisionTree::Regressor(m)) => {
                m.features.clone()
            }
            FittedModel::GbdtBinaryClassifierModel(m) => m.features.clone(),
            FittedModel::GbdtRegressorModel(m) => m.features.clone(),
            FittedModel::KMeansModel(m) => m.features.clone(),
            FittedModel::NaiveBayesModel(m) => m.features.clone(),
            FittedModel::StandardScalerModel(m) => m.columns.clone(),
            FittedModel::MinMaxScalerModel(m) => m.columns.clone(),
            FittedModel::OneHotEncoderModel(m) => {
                m.columns.iter().map(|c| c.column.clone()).collect()
            }
            FittedModel::ImputerModel(m) => m.columns.clone(),
            FittedModel::PipelineModel(p) => p.input_schema().into_iter().map(|f| f.name).collect(),
        }
    }

    /// Whether the model is a clustering (its labels are cluster ids).
    pub fn is_clustering(&self) -> bool {
        match self {
            FittedModel::KMeansModel(_) => true,
            FittedModel::PipelineModel(p) => p.last().is_some_and(|s| s.model.is_clustering()),
            _ => false,
        }
    }

    /// Whether the model transforms tables (a preprocessing stage, or a
    /// pipeline of them) rather than predicting.
    pub fn is_transformer(&self) -> bool {
        match self {
            FittedModel::StandardScalerModel(_)
            | FittedModel::MinMaxScalerModel(_)
            | FittedModel::OneHotEncoderModel(_)
            | FittedModel::ImputerModel(_) => true,
            FittedModel::PipelineModel(p) => p.last().is_some_and(|s| s.model.is_transformer()),
            _ => false,
        }
    }

    /// Predicts or transforms every row of `frame`. A pipeline model
    /// changes the table between its stages, so it is applied to a whole
    /// table by `scoring::score_batch` instead.
    pub fn apply(&self, frame: &Frame<'_>) -> Result<Applied, MlError> {
        let p = |m: &dyn Predictor| m.predict(frame).map(Applied::Prediction);
        match self {
            FittedModel::LogisticRegressionModel(m) => p(m),
            FittedModel::LinearRegressionModel(m) => p(m),
            FittedModel::LinearSvmModel(m) => p(m),
            FittedModel::DecisionTreeModel(m) => p(m),
            FittedModel::GbdtBinaryClassifierModel(m) => p(m),
            FittedModel::GbdtRegressorModel(m) => p(m),
            FittedModel::KMeansModel(m) => p(m),
            FittedModel::NaiveBayesModel(m) => p(m),
            FittedModel::StandardScalerModel(m) => m.transform(frame).map(Applied::Transform),
            FittedModel::MinMaxScalerModel(m) => m.transform(frame).map(Applied::Transform),
            FittedModel::OneHotEncoderModel(m) => m.transform(frame).map(Applied::Transform),
            FittedModel::ImputerModel(m) => m.transform(frame).map(Applied::Transform),
            FittedModel::PipelineModel(_) => Err(MlError::Corrupt(
                "a pipeline model is applied to a table stage by stage, not to one frame".into(),
            )),
        }
    }
}
