//! `kmeans`: k-means clustering.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::train::{DATA_INPUT, MODEL_OUTPUT, run_unsupervised};

crate::train::trainer_config! {
    /// Clusters the rows into `k` groups with Lloyd's k-means, like
    /// scikit-learn's `KMeans` (or spherical k-means with the cosine distance).
    pub struct KMeans {
        /// The numeric feature columns (default: every column).
        feature_cols,
        /// The number of clusters; at most the number of rows.
        #[serde(default = "default_k")]
        #[schemars(range(min = 1))]
        pub k: usize,
        /// The maximum number of iterations.
        #[serde(default = "default_max_iter")]
        #[schemars(range(min = 1))]
        pub max_iter: usize,
        /// How the first centres are chosen.
        #[serde(default)]
        pub init: KMeansInit,
        /// The random seed of the initialization: scikit-learn's
        /// `random_state` (numpy's MT19937 stream), so a seed picks the same
        /// initial centres, and Lloyd then reaches the same clusters, as
        /// `KMeans(n_init=1, random_state=seed)`.
        #[serde(default)]
        pub seed: u64,
        /// The distance between rows and centres.
        #[serde(default)]
        pub distance: KMeansDistance,
    }
}

/// How the first centres are chosen.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
pub enum KMeansInit {
    /// k-means++ seeding.
    #[default]
    #[serde(rename = "kmeans++")]
    KMeansPlusPlus,
    /// `k` distinct rows drawn at random.
    #[serde(rename = "random")]
    Random,
}

/// The distance k-means works with.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KMeansDistance {
    /// Euclidean distance.
    #[default]
    Euclidean,
    /// Cosine distance `1 - cos(x, c)`.
    Cosine,
}

fn default_k() -> usize {
    pai_ml::KMeansParams::default().k
}

fn default_max_iter() -> usize {
    pai_ml::KMeansParams::default().max_iter
}

impl Component for KMeans {
    const NAME: &'static str = "kmeans";
    const SUMMARY: &'static str = "Cluster rows into k groups with k-means";
    const INPUTS: &'static [PortSpec] = DATA_INPUT;
    const OUTPUTS: &'static [PortSpec] = MODEL_OUTPUT;

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let params = pai_ml::KMeansParams {
            k: self.k,
            max_iter: self.max_iter,
            init: match self.init {
                KMeansInit::KMeansPlusPlus => pai_ml::KMeansInit::KMeansPlusPlus,
                KMeansInit::Random => pai_ml::KMeansInit::Random,
            },
            seed: self.seed,
            distance: match self.distance {
                KMeansDistance::Euclidean => pai_ml::KMeansDistance::Euclidean,
                KMeansDistance::Cosine => pai_ml::KMeansDistance::Cosine,
            },
            ..Default::default()
        };
        run_unsupervised(ctx, self, &self.feature_cols, |frame, features| {
            pai_ml::fit_kmeans(frame, features, &params).map(FittedModel::KMeansModel)
        })
    }
}
