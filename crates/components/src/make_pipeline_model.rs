//! `make_pipeline_model`: packages up to four upstream models, applied in
//! order, into one pipeline model in the original format (plus one PMML
//! document when every stage has a PMML form), optionally copied to OSS
//! and registered as an OfflineModel.

use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use pai_store::{ExportObject, OssUri};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::model_file::{LoadedModel, ModelInfo, read_model, write_model};
use crate::pipeline_model::PipelineModel;

/// Packages the models on `model1`…`model4` (in that order, which is the
/// order they apply in) into one pipeline model that `predict`, the model
/// export components and `deploy_eas` take like any model. Preprocessing
/// stages come first and at most one predictive model last; each stage's
/// output columns must feed the next stage.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MakePipelineModel {
    /// The stages' model classes, comma-separated (e.g.
    /// `StandardScalerModel,LogisticRegressionModel`); filled in from the
    /// upstream models when omitted, and checked against them when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_names: Option<String>,
    /// The stages' training params as a JSON array string, one object per
    /// stage; filled in when omitted, checked when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_array: Option<String>,
    /// An OSS directory (`oss://bucket/dir/`) to copy the pipeline model
    /// to; default: only the run's own storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oss_dir: Option<String>,
    /// The file name (without extension) in `oss_dir`; default
    /// `pipeline_model_<run id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub file_name: Option<String>,
    /// Replace existing objects in `oss_dir`; without it an existing file
    /// is an error and nothing is written.
    #[serde(default)]
    pub overwrite: bool,
    /// Register the pipeline model as this OfflineModel (a new version in
    /// the pipeline's project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub output_model_name: Option<String>,
}

const MODEL_PORTS: [&str; 4] = ["model1", "model2", "model3", "model4"];

impl Component for MakePipelineModel {
    const NAME: &'static str = "make_pipeline_model";
    const SUMMARY: &'static str =
        "Package up to four models, applied in order, into one deployable pipeline model";
    const INPUTS: &'static [PortSpec] = &[
        PortSpec::optional(
            "train_data",
            PortType::Table,
            "a table whose columns must include the pipeline's inputs",
        ),
        PortSpec::required("model1", PortType::Model, "the first stage"),
        PortSpec::optional("model2", PortType::Model, "the second stage"),
        PortSpec::optional("model3", PortType::Model, "the third stage"),
        PortSpec::optional("model4", PortType::Model, "the fourth stage"),
    ];
    const OUTPUTS: &'static [PortSpec] = &[PortSpec::required(
        "model",
        PortType::Model,
        "the pipeline model (`model.meta` + `model.model`, and `model.xml` when every stage has a PMML form)",
    )];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let mut stages: Vec<LoadedModel> = Vec::new();
        let mut gap = None;
        for port in MODEL_PORTS {
            match ctx.optional_input(port) {
                Some(a) => {
                    if let Some(missing) = gap {
                        return Err(Error::invalid(format!(
                            "input `{port}` is connected but `{missing}` is not; connect the models in order from `model1`"
                        )));
                    }
                    if a.path.extension().is_some_and(|e| e == "pmml") {
                        return Err(Error::invalid(format!(
                            "input `{port}`: a PMML document read by `read_pmml_model` cannot be a stage; connect models trained or read by the engine"
                        )));
                    }
                    stages.push(read_model(&a.path)?);
                }
                None => gap = gap.or(Some(port)),
            }
        }
        let pipeline = PipelineModel::new(stages).map_err(Error::invalid)?;
        self.check_declared(&pipeline)?;
        if let Some(table) = ctx.optional_input("train_data") {
            check_train_data(&pipeline, &table.path)?;
        }
        let classes: Vec<String> = pipeline
            .stages
            .iter()
            .map(|s| s.meta.model_class.clone())
            .collect();
        let params: Vec<serde_json::Value> = pipeline
            .stages
            .iter()
            .map(|s| s.meta.params.clone())
            .collect();
        let info = ModelInfo {
            input_schema: pipeline.input_schema(),
            label: pipeline.last().and_then(|s| s.meta.label.clone()),
            params: serde_json::json!({
                "class_names": classes.join(","),
                "params_array": serde_json::to_string(&params).unwrap_or_default(),
            }),
            metrics: pipeline
                .last()
                .map_or(serde_json::Value::Null, |s| s.meta.metrics.clone()),
        };
        let summary = classes.join(" → ");
        let model = FittedModel::PipelineModel(pipeline);
        let meta_path = write_model(ctx, "model", "model", &model, info)?;
        match crate::pmml_export::pmml_supported(&model) {
            Ok(()) => {
                crate::pmml_export::write_pmml_beside(ctx, &meta_path)?;
            }
            Err(why) => ctx.log("info", format!("no PMML form: {why}")),
        }
        if let Some(dir) = &self.oss_dir {
            self.copy_to_oss(ctx, &meta_path, dir)?;
        }
        if let Some(name) = &self.output_model_name {
            crate::offline_model::register(ctx, &meta_path, &ctx.run.project, name, None)?;
        }
        ctx.log("info", format!("made pipeline model {summary}"));
        ctx.set_metrics(serde_json::json!({ "stages": classes }));
        Ok(NodeOutputs::default().with("model", meta_path))
    }
}

impl MakePipelineModel {
    /// Checks `class_names` and `params_array`, when given, against the
    /// upstream models.
    fn check_declared(&self, pipeline: &PipelineModel) -> Result<()> {
        let actual: Vec<&str> = pipeline
            .stages
            .iter()
            .map(|s| s.meta.model_class.as_str())
            .collect();
        if let Some(names) = &self.class_names {
            let given: Vec<&str> = names
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            // `com.example.LogisticRegressionModel` names the same class.
            let short = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
            if given
                .iter()
                .map(|g| short(g))
                .ne(actual.iter().map(|a| short(a)))
            {
                return Err(Error::invalid(format!(
                    "`class_names` is `{names}`, but the connected models are `{}`; fix it or leave it out to fill it in",
                    actual.join(",")
                )));
            }
        }
        if let Some(text) = &self.params_array {
            let given: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|e| {
                Error::invalid(format!(
                    "`params_array` is not a JSON array of objects: {e}"
                ))
            })?;
            if given.len() != pipeline.stages.len() {
                return Err(Error::invalid(format!(
                    "`params_array` has {} entries for {} connected models",
                    given.len(),
                    pipeline.stages.len()
                )));
            }
            for (i, (g, s)) in given.iter().zip(&pipeline.stages).enumerate() {
                if let Some((key, want)) = first_mismatch(g, &s.meta.params) {
                    return Err(Error::invalid(format!(
                        "`params_array` entry {} says `{key}` = {g_key}, but stage {} (`{}`) was trained with {want}; fix it or leave `params_array` out",
                        i + 1,
                        i + 1,
                        s.meta.model_class,
                        g_key = g.get(&key).map_or("null".into(), ToString::to_string),
                    )));
                }
            }
        }
        Ok(())
    }

    /// Copies the pipeline model's files to `dir` as one unit.
    fn copy_to_oss(&self, ctx: &RunContext, meta_path: &std::path::Path, dir: &str) -> Result<()> {
        let dir = OssUri::parse(dir).map_err(|m| Error::invalid(format!("`oss_dir`: {m}")))?;
        let name = match &self.file_name {
            Some(n) => n.clone(),
            None => format!("pipeline_model_{}", ctx.run.run_id.replace('-', "_")),
        };
        let mut objects = Vec::new();
        for ext in ["meta", "model", "xml"] {
            let source = meta_path.with_extension(ext);
            if !source.is_file() {
                continue;
            }
            let bytes = std::fs::read(&source).map_err(|e| Error::io(&source, e))?;
            let uri = dir
                .join(&format!("{name}.{ext}"))
                .map_err(|m| Error::invalid(format!("`file_name`: {m}")))?;
            objects.push(ExportObject { uri, bytes });
        }
        crate::offline_model::store(ctx)?
            .export(&objects, self.overwrite, None, None)
            .map_err(crate::offline_model::store_error)?;
        for o in &objects {
            ctx.log("info", format!("wrote `{}`", o.uri));
        }
        Ok(())
    }
}

/// The first key of `given` whose value differs from `actual`'s.
fn first_mismatch(
    given: &serde_json::Value,
    actual: &serde_json::Value,
) -> Option<(String, String)> {
    let obj = given.as_object()?;
    obj.iter()
        .find(|(k, v)| actual.get(k.as_str()) != Some(*v))
        .map(|(k, _)| {
            (
                k.clone(),
                actual
                    .get(k.as_str())
                    .map_or("nothing".into(), ToString::to_string),
            )
        })
}

/// Checks that `train_data` has every input column of the pipeline.
fn check_train_data(pipeline: &PipelineModel, path: &std::path::Path) -> Result<()> {
    let batch = crate::io::read_artifact(path)?;
    let schema = batch.schema();
    for f in pipeline.input_schema() {
        if schema.column_with_name(&f.name).is_none() {
            return Err(Error::invalid(format!(
                "`train_data` has no column `{}`, which the pipeline reads; connect the table the models were trained on",
                f.name
            )));
        }
    }
    Ok(())
}
