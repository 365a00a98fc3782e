//! pai-ml: the algorithms behind the training, preprocessing and prediction
//! components, and the fitted-model types they produce.
//!
//! Everything here works on plain column slices ([`Frame`]); the Arrow tables
//! of the engine are converted at the component boundary, so this crate has
//! no I/O and no engine dependencies.

mod data;
mod error;
mod features;
mod kernels;
mod kmeans;
mod kmeans_bounds;
mod kmeans_f32;
mod kmeans_init;
mod kmeans_lloyd;
mod linear;
mod linear_scores;
mod logistic;
mod naive_bayes;
mod numpy_rng;
mod optim;
mod preprocess;
mod rng;
mod simd;
mod svm;
mod target;
mod tree;

pub use data::{ColumnData, Detail, Frame, PredictedValues, PredictionOutput, Predictor, Target};
pub use error::MlError;
pub use features::resolve_features;
pub use kmeans::{KMeansDistance, KMeansInit, KMeansModel, KMeansParams, fit_kmeans};
pub use linear::{LinearRegressionModel, LinearRegressionParams, fit_linear_regression};
pub use logistic::{
    LogisticRegressionModel, LogisticRegressionParams, class_probabilities, fit_logistic_regression,
};
pub use naive_bayes::{
    CategoricalFeature, GaussianFeature, NaiveBayesModel, NaiveBayesParams, fit_naive_bayes,
};
pub use preprocess::{
    CategoryKind, FillValue, HandleUnknown, ImputeStrategy, ImputerModel, ImputerParams,
    MinMaxScalerModel, MinMaxScalerParams, OneHotColumn, OneHotEncoderModel, OneHotEncoderParams,
    OwnedColumn, StandardScalerModel, StandardScalerParams, fit_imputer, fit_min_max_scaler,
    fit_one_hot_encoder, fit_standard_scaler,
};
pub use svm::{LinearSvmModel, LinearSvmParams, SvmLoss, fit_linear_svm};
pub use target::{class_target, continuous_target, format_number};
pub use tree::{
    BoostedNode, BoostedTree, ClassificationNode, Criterion, DecisionTree, DecisionTreeClassifier,
    DecisionTreeParams, DecisionTreeRegressor, GbdtBinaryClassifier, GbdtParams, GbdtRegressor,
    RegressionNode, Split, fit_decision_tree, fit_gbdt_binary_classifier, fit_gbdt_regressor,
};
