//! The plumbing every trainer shares: read the `data` table, resolve the
//! features and the label, fit, measure the fit on the training rows, and
//! write the model artifact with its metadata and metrics.

use pai_core::{Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use pai_ml::{Frame, MlError, PredictedValues, Target};
use serde::Serialize;

use crate::fitted_model::{Applied, FittedModel};
use crate::frame::{TableColumns, ValueType};
use crate::io::input_table;
use crate::metrics::{multi_class_metrics_of_codes, regression_metrics};
use crate::model_file::{FieldInfo, LabelInfo, ModelInfo, write_model};

/// The input port of every trainer and preprocessing stage.
pub const DATA_INPUT: &[PortSpec] = &[PortSpec::required(
    "data",
    PortType::Table,
    "the training table",
)];

/// The output port of every trainer.
pub const MODEL_OUTPUT: &[PortSpec] = &[PortSpec::required(
    "model",
    PortType::Model,
    "the fitted model (`model.meta` + `model.model`, and `model.xml` with `generate_pmml`)",
)];

/// The file name (without extension) of model artifacts.
pub const MODEL_NAME: &str = "model";

/// What a trainer learns from its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// Classes (classifiers).
    Classes,
    /// A continuous value (regressors).
    Continuous,
}

/// What every trainer's config offers besides its algorithm's params.
pub trait TrainerConfig: Serialize {
    /// The OfflineModel to register the trained model as, if any.
    fn output_model_name(&self) -> Option<&str>;
    /// Whether to also write the model as PMML (`model.xml`).
    fn generate_pmml(&self) -> bool;
}

/// Declares a trainer's config struct with the fields every trainer shares
/// (`feature_cols`, `label_col` unless unsupervised, `output_model_name`,
/// `generate_pmml`, in that order, before its own params), and implements
/// [`TrainerConfig`] for it. The docs of `feature_cols` and `label_col` are
/// the trainer's own:
///
/// ```ignore
/// trainer_config! {
///     /// Trains a ...
///     pub struct MyTrainer {
///         /// The numeric feature columns (default: every column except the label).
///         feature_cols,
///         /// The label column.
///         label_col,
///         /// An own param.
///         #[serde(default)]
///         pub l2: f64,
///     }
/// }
/// ```
macro_rules! trainer_config {
    (@struct [$($doc:tt)*] $name:ident [$($features_doc:tt)*] [$($label:tt)*] $($params:tt)*) => {
        $($doc)*
        #[derive(Debug, Clone, ::serde::Deserialize, ::serde::Serialize, ::schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($features_doc)*
            #[serde(default = "crate::train::all_features")]
            pub feature_cols: Vec<String>,
            $($label)*
            /// Registers the trained model as a new version of this OfflineModel
            /// in the pipeline's project.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
            pub output_model_name: Option<String>,
            /// Whether to also write the model as PMML (`model.xml`) next to the
            /// original format; the platform's "Whether to Generate PMML".
            #[serde(default)]
            pub generate_pmml: bool,
            $($params)*
        }

        impl $crate::train::TrainerConfig for $name {
            fn output_model_name(&self) -> Option<&str> {
                self.output_model_name.as_deref()
            }
            fn generate_pmml(&self) -> bool {
                self.generate_pmml
            }
        }
    };
    // supervised: with `label_col`
    (
        $(#[$doc:meta])*
        pub struct $name:ident {
            $(#[$features_doc:meta])*
            feature_cols,
            $(#[$label_doc:meta])*
            label_col,
            $($params:tt)*
        }
    ) => {
        $crate::train::trainer_config! {
            @struct [$(#[$doc])*] $name [$(#[$features_doc])*]
            [
                $(#[$label_doc])*
                pub label_col: String,
            ]
            $($params)*
        }
    };
    // unsupervised: no `label_col`
    (
        $(#[$doc:meta])*
        pub struct $name:ident {
            $(#[$features_doc:meta])*
            feature_cols,
            $($params:tt)*
        }
    ) => {
        $crate::train::trainer_config! {
            @struct [$(#[$doc])*] $name [$(#[$features_doc])*] [] $($params)*
        }
    };
}
pub(crate) use trainer_config;

/// A `pai-ml` error as a component error.
pub fn ml_error(e: MlError) -> Error {
    Error::invalid(e)
}

/// The default of `feature_cols`: every column except the label.
pub fn all_features() -> Vec<String> {
    Vec::new()
}

/// Trains a supervised model on input `data` and writes it to output
/// `model`. `fit` gets the frame, the resolved features and the target.
pub fn run_supervised(
    ctx: &RunContext,
    config: &impl TrainerConfig,
    feature_cols: &[String],
    label_col: &str,
    kind: LabelKind,
    fit: impl FnOnce(&Frame<'_>, &[String], &Target<'_>) -> std::result::Result<FittedModel, MlError>,
) -> Result<NodeOutputs> {
    let batch = input_table(ctx, "data")?;
    let columns = TableColumns::new(&batch)?;
    let frame = columns.frame();
    let features =
        pai_ml::resolve_features(&frame, feature_cols, Some(label_col)).map_err(ml_error)?;
    let target = match kind {
        LabelKind::Classes => pai_ml::class_target(&frame, label_col),
        LabelKind::Continuous => pai_ml::continuous_target(&frame, label_col),
    }
    .map_err(ml_error)?;
    ctx.check_cancelled()?;
    let model = fit(&frame, &features, &target).map_err(ml_error)?;
    ctx.check_cancelled()?;
    let metrics = training_metrics(&model, &frame, Some(&target))?;
    let label = LabelInfo {
        name: label_col.to_string(),
        ty: columns.value_type(label_col).unwrap_or(ValueType::String),
        classes: match &target {
            Target::Classes { classes, .. } => classes.clone(),
            Target::Continuous { .. } => Vec::new(),
        },
    };
    finish(
        ctx,
        config,
        &columns,
        &features,
        Some(label),
        &model,
        metrics,
    )
}

/// Trains an unsupervised model (no label) on input `data`.
pub fn run_unsupervised(
    ctx: &RunContext,
    config: &impl TrainerConfig,
    feature_cols: &[String],
    fit: impl FnOnce(&Frame<'_>, &[String]) -> std::result::Result<FittedModel, MlError>,
) -> Result<NodeOutputs> {
    let batch = input_table(ctx, "data")?;
    let columns = TableColumns::new(&batch)?;
    let frame = columns.frame();
    let features = pai_ml::resolve_features(&frame, feature_cols, None).map_err(ml_error)?;
    ctx.check_cancelled()?;
    let model = fit(&frame, &features).map_err(ml_error)?;
    ctx.check_cancelled()?;
    let metrics = training_metrics(&model, &frame, None)?;
    finish(ctx, config, &columns, &features, None, &model, metrics)
}

/// The input schema of a model: its columns with their training types.
pub fn input_schema(columns: &TableColumns, names: &[String]) -> Vec<FieldInfo> {
    names
        .iter()
        .map(|n| FieldInfo {
            name: n.clone(),
            ty: columns.value_type(n).unwrap_or(ValueType::String),
        })
        .collect()
}

fn finish(
    ctx: &RunContext,
    config: &impl TrainerConfig,
    columns: &TableColumns,
    features: &[String],
    label: Option<LabelInfo>,
    model: &FittedModel,
    metrics: serde_json::Value,
) -> Result<NodeOutputs> {
    let params = serde_json::to_value(config).map_err(Error::invalid)?;
    let info = ModelInfo {
        input_schema: input_schema(columns, features),
        label,
        params,
        metrics: metrics.clone(),
    };
    let path = write_model(ctx, "model", MODEL_NAME, model, info)?;
    if config.generate_pmml() {
        crate::pmml_export::write_pmml_beside(ctx, &path)?;
    }
    if let Some(name) = config.output_model_name() {
        let digest = ctx.input("data")?.digest.clone();
        crate::offline_model::register(ctx, &path, &ctx.run.project, name, Some(&digest))?;
    }
    ctx.log(
        "info",
        format!(
            "trained `{}` on {} rows and {} features",
            model.class_name(),
            columns.n_rows(),
            features.len()
        ),
    );
    ctx.set_metrics(metrics);
    Ok(NodeOutputs::default().with("model", path))
}

/// How well the model fits its training rows: accuracy for classifiers,
/// R² and RMSE for regressors, the cluster sizes for clusterings.
fn training_metrics(
    model: &FittedModel,
    frame: &Frame<'_>,
    target: Option<&Target<'_>>,
) -> Result<serde_json::Value> {
    if let FittedModel::KMeansModel(km) = model {
        // The fit labelled every row against the final centres already.
        return Ok(serde_json::json!({
            "rows": frame.n_rows,
            "cluster_sizes": km.sizes,
            "iterations": km.iterations,
        }));
    }
    let Applied::Prediction(out) = model.apply(frame).map_err(ml_error)? else {
        return Ok(serde_json::json!({ "rows": frame.n_rows }));
    };
    let mut m = serde_json::Map::new();
    m.insert("rows".into(), frame.n_rows.into());
    match (target, &out.values) {
        (Some(Target::Classes { codes, classes, .. }), PredictedValues::Labels(pred)) => {
            // the model's class codes as the target's (the same list for
            // every trainer; mapped by name otherwise)
            let to_target: Vec<u32> = out
                .classes
                .iter()
                .map(|c| {
                    classes
                        .iter()
                        .position(|t| t == c)
                        .map_or(u32::MAX, |i| i as u32)
                })
                .collect();
            let predicted: Vec<u32> = if to_target.iter().enumerate().all(|(i, &t)| t == i as u32) {
                pred.clone()
            } else {
                pred.iter()
                    .map(|&c| to_target.get(c as usize).copied().unwrap_or(u32::MAX))
                    .collect()
            };
            let mc = multi_class_metrics_of_codes(classes.clone(), codes, &predicted);
            m.insert("accuracy".into(), mc.accuracy.into());
            m.insert("macro_f1".into(), mc.macro_f1.into());
        }
        (Some(Target::Continuous { values, .. }), PredictedValues::Numbers(pred)) => {
            let r = regression_metrics(values, pred);
            m.insert("r2".into(), r.r2.into());
            m.insert("rmse".into(), r.rmse.into());
        }
        _ => {}
    }
    Ok(serde_json::Value::Object(m))
}

/// A `true` default for boolean params.
pub fn default_true() -> bool {
    true
}
