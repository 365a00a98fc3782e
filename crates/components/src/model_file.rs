//! The original model format: a model artifact is `NAME.meta` (pretty JSON:
//! format version, class, engine version, input schema, label, params,
//! metrics, lineage, and the sha256 of the parameters) beside `NAME.model`
//! (the fitted parameters as deterministic JSON). Both are written
//! atomically; loading verifies the version and the digest.

use std::path::{Path, PathBuf};

use pai_core::{Error, Result, RunContext};
use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::frame::ValueType;

/// The version of the format this engine writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One input column of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldInfo {
    /// The column name.
    pub name: String,
    /// Its type in the training table.
    #[serde(rename = "type")]
    pub ty: ValueType,
}

/// The label a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelInfo {
    /// The label column.
    pub name: String,
    /// Its type in the training table (predictions keep it).
    #[serde(rename = "type")]
    pub ty: ValueType,
    /// The class names, for classifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// The run that trained it.
    pub run_id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// The training node.
    pub node: String,
    /// sha256 of the manifest.
    pub manifest_sha256: String,
    /// The git commit of the manifest's repository, if any.
    pub git_commit: Option<String>,
}

/// The content of a `.meta` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// The format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The [`FittedModel`] variant.
    pub model_class: String,
    /// The engine version that wrote it.
    pub engine_version: String,
    /// The input columns and their types.
    pub input_schema: Vec<FieldInfo>,
    /// The label, for supervised models.
    pub label: Option<LabelInfo>,
    /// The training parameters.
    pub params: serde_json::Value,
    /// The training metrics.
    pub metrics: serde_json::Value,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Where it comes from.
    pub lineage: Lineage,
    /// sha256 hex of the `.model` file.
    pub model_sha256: String,
}

/// A model read back from its artifact (also one stage of a pipeline
/// model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedModel {
    /// The metadata.
    pub meta: ModelMeta,
    /// The fitted model.
    pub model: FittedModel,
}

/// What [`write_model`] needs besides the model.
pub struct ModelInfo {
    /// The input columns and their types.
    pub input_schema: Vec<FieldInfo>,
    /// The label, for supervised models.
    pub label: Option<LabelInfo>,
    /// The training parameters.
    pub params: serde_json::Value,
    /// The training metrics.
    pub metrics: serde_json::Value,
}

/// The `.model` bytes of a model: deterministic JSON.
fn model_bytes(model: &FittedModel) -> Result<Vec<u8>> {
    serde_json::to_vec(model).map_err(|e| Error::invalid(format!("serializing the model: {e}")))
}

/// Writes `name.meta` and `name.model` as output `port` and returns the
/// `.meta` path (the artifact's main file).
pub fn write_model(
    ctx: &RunContext,
    port: &str,
    name: &str,
    model: &FittedModel,
    info: ModelInfo,
) -> Result<PathBuf> {
    let bytes = model_bytes(model)?;
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        model_class: model.class_name().to_string(),
        engine_version: pai_core::ENGINE_VERSION.to_string(),
        input_schema: info.input_schema,
        label: info.label,
        params: info.params,
        metrics: info.metrics,
        created_at: pai_core::now_rfc3339(),
        lineage: Lineage {
            run_id: ctx.run.run_id.clone(),
            pipeline: ctx.run.pipeline.clone(),
            node: ctx.node_id.clone(),
            manifest_sha256: ctx.run.manifest_sha256.clone(),
            git_commit: ctx.run.git_commit.clone(),
        },
        model_sha256: pai_core::sha256_hex(&bytes),
    };
    let meta_path = ctx.output_file(port, &format!("{name}.meta"))?;
    let model_path = meta_path.with_extension("model");
    let meta_bytes = serde_json::to_vec_pretty(&meta)
        .map_err(|e| Error::invalid(format!("serializing the model metadata: {e}")))?;
    pai_store::fsutil::write_atomic(&model_path, &bytes, true)
        .map_err(|e| Error::io(&model_path, e))?;
    pai_store::fsutil::write_atomic(&meta_path, &meta_bytes, true)
        .map_err(|e| Error::io(&meta_path, e))?;
    Ok(meta_path)
}

/// Reads a model artifact given its `.meta` path, checking the format
/// version and the digest of the `.model` file.
pub fn read_model(meta_path: &Path) -> Result<LoadedModel> {
    let text = std::fs::read(meta_path).map_err(|e| Error::io(meta_path, e))?;
    let meta: ModelMeta = serde_json::from_slice(&text).map_err(|e| {
        Error::invalid(format!(
            "`{}`: not a model metadata file (truncated or altered?): {e}",
            meta_path.display()
        ))
    })?;
    if meta.format_version != FORMAT_VERSION {
        return Err(Error::invalid(format!(
            "`{}`: model format version {} is not supported (this engine reads version {FORMAT_VERSION})",
            meta_path.display(),
            meta.format_version
        )));
    }
    let model_path = meta_path.with_extension("model");
    let bytes = std::fs::read(&model_path).map_err(|e| Error::io(&model_path, e))?;
    let found = pai_core::sha256_hex(&bytes);
    if found != meta.model_sha256 {
        return Err(Error::invalid(format!(
            "`{}`: the model file is truncated or altered: its sha256 is {found}, but `{}` records {}",
            model_path.display(),
            meta_path.display(),
            meta.model_sha256
        )));
    }
    let model: FittedModel = serde_json::from_slice(&bytes).map_err(|e| {
        Error::invalid(format!(
            "`{}`: unreadable model parameters: {e}",
            model_path.display()
        ))
    })?;
    if model.class_name() != meta.model_class {
        return Err(Error::invalid(format!(
            "`{}`: the metadata says `{}` but the model file holds `{}`",
            meta_path.display(),
            meta.model_class,
            model.class_name()
        )));
    }
    Ok(LoadedModel { meta, model })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> FittedModel {
        FittedModel::StandardScalerModel(pai_ml::StandardScalerModel {
            columns: vec!["a".into(), "b".into()],
            means: vec![0.1, 1.0 / 3.0],
            scales: vec![2.5, 1e-300],
        })
    }

    fn write(dir: &Path) -> PathBuf {
        let ctx = RunContext::new(
            Default::default(),
            "scale",
            dir.into(),
            dir.into(),
            dir.join("out"),
        );
        let info = ModelInfo {
            input_schema: vec![FieldInfo {
                name: "a".into(),
                ty: ValueType::Float64,
            }],
            label: None,
            params: serde_json::json!({}),
            metrics: serde_json::json!({}),
        };
        write_model(&ctx, "model", "model", &model(), info).unwrap()
    }

    #[test]
    fn round_trips_bit_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let meta = write(dir.path());
        let loaded = read_model(&meta).unwrap();
        assert_eq!(loaded.model, model());
        assert_eq!(loaded.meta.model_class, "StandardScalerModel");
        assert_eq!(loaded.meta.lineage.node, "scale");
        let a = std::fs::read(meta.with_extension("model")).unwrap();
        assert_eq!(a, model_bytes(&model()).unwrap());
    }

    #[test]
    fn truncated_and_altered_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let meta = write(dir.path());
        let file = meta.with_extension("model");
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        let e = read_model(&meta).unwrap_err().to_string();
        assert!(
            e.contains("truncated or altered") && e.contains("model.model"),
            "{e}"
        );
        // same length, one digit changed
        let altered = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("2.5", "2.6", 1);
        std::fs::write(&file, altered).unwrap();
        let e = read_model(&meta).unwrap_err().to_string();
        assert!(e.contains("truncated or altered"), "{e}");
        std::fs::write(&file, &bytes).unwrap();
        assert!(read_model(&meta).is_ok());
        let text = std::fs::read_to_string(&meta).unwrap();
        std::fs::write(
            &meta,
            text.replace("\"format_version\": 1", "\"format_version\": 9"),
        )
        .unwrap();
        let e = read_model(&meta).unwrap_err().to_string();
        assert!(e.contains("format version 9"), "{e}");
        std::fs::write(&meta, &text[..10]).unwrap();
        let e = read_model(&meta).unwrap_err().to_string();
        assert!(e.contains("truncated or altered"), "{e}");
    }
}
