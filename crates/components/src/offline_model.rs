//! OfflineModels seen from a pipeline: the workspace store a node reaches
//! through its context, registering a node's model as a new version,
//! writing a registered version as a node's `model` output, and the
//! provenance file (`offline_model.json`) that travels with a model output
//! so that later nodes know which OfflineModel it is.

use std::path::{Path, PathBuf};

use pai_core::{Error, Result, RunContext};
use pai_store::{IfExists, ModelFile, ModelVersion, NewModelVersion, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::model_file::read_model;

/// The provenance file beside a model output's files.
pub const PROVENANCE_FILE: &str = "offline_model.json";

/// Which OfflineModel version a model output is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The project.
    pub project: String,
    /// The model name.
    pub name: String,
    /// The version.
    pub version: u32,
}

/// The workspace store, which `pai-engine run` hands to every node.
pub fn store(ctx: &RunContext) -> Result<&Store> {
    ctx.services
        .as_ref()
        .and_then(|s| s.downcast_ref::<Store>())
        .ok_or_else(|| {
            Error::invalid(
                "this component needs the workspace's model and OSS store, which `pai-engine run` provides",
            )
        })
}

/// A store error as a component error.
pub fn store_error(e: StoreError) -> Error {
    Error::invalid(e)
}

/// The files of the native model whose `.meta` is `meta_path`: `.meta`,
/// `.model`, and `.xml` (PMML) when present.
pub fn model_files(meta_path: &Path) -> Vec<ModelFile> {
    ["meta", "model", "xml"]
        .into_iter()
        .map(|ext| ModelFile {
            source: meta_path.with_extension(ext),
            extension: ext,
        })
        .filter(|f| f.source.is_file())
        .collect()
}

/// What registering the native model at `meta_path` as `project/name`
/// records, and its files. The lineage is the model's own (run, node,
/// pipeline, manifest, commit) plus the digest of its training data.
pub fn describe(
    meta_path: &Path,
    project: &str,
    name: &str,
    input_digest: Option<&str>,
) -> Result<(NewModelVersion, Vec<ModelFile>)> {
    let loaded = read_model(meta_path)?;
    let files = model_files(meta_path);
    let mut formats = vec!["original".to_string()];
    if files.iter().any(|f| f.extension == "xml") {
        formats.push("pmml".to_string());
    }
    let mut lineage = serde_json::to_value(&loaded.meta.lineage).map_err(Error::invalid)?;
    if let (Some(obj), Some(d)) = (lineage.as_object_mut(), input_digest) {
        obj.insert("input_digest".into(), d.into());
    }
    let new = NewModelVersion {
        project: project.to_string(),
        name: name.to_string(),
        class: loaded.meta.model_class.clone(),
        formats,
        lineage,
        metrics: loaded.meta.metrics.clone(),
        copied_from: None,
    };
    Ok((new, files))
}

/// Registers the native model at `meta_path` (this node's output) as a
/// new version of `project/name` and writes the provenance file beside it.
pub fn register(
    ctx: &RunContext,
    meta_path: &Path,
    project: &str,
    name: &str,
    input_digest: Option<&str>,
) -> Result<ModelVersion> {
    let (new, files) = describe(meta_path, project, name, input_digest)?;
    let v = store(ctx)?
        .models
        .register(&new, &files, IfExists::AddVersion, None)
        .map_err(store_error)?;
    write_provenance(meta_path, &v)?;
    ctx.log(
        "info",
        format!("registered OfflineModel `{}`", v.reference()),
    );
    Ok(v)
}

/// Writes a registered version's files as output `port`
/// (`model.meta`, `model.model`, `model.xml`) with its provenance, and
/// returns the `.meta` path.
pub fn write_version(ctx: &RunContext, port: &str, v: &ModelVersion) -> Result<PathBuf> {
    let models = &store(ctx)?.models;
    let meta = ctx.output_file(port, "model.meta")?;
    for ext in ["meta", "model", "xml"] {
        let source = models.file(v, ext);
        if source.is_file() {
            let target = meta.with_extension(ext);
            std::fs::copy(&source, &target).map_err(|e| Error::io(&target, e))?;
        }
    }
    // check the digest now, so that a damaged version fails here
    read_model(&meta)?;
    write_provenance(&meta, v)?;
    Ok(meta)
}

fn write_provenance(meta_path: &Path, v: &ModelVersion) -> Result<()> {
    let p = Provenance {
        project: v.project.clone(),
        name: v.name.clone(),
        version: v.version,
    };
    let path = provenance_path(meta_path);
    let bytes = serde_json::to_vec_pretty(&p).map_err(Error::invalid)?;
    pai_store::fsutil::write_atomic(&path, &bytes, true).map_err(|e| Error::io(&path, e))
}

fn provenance_path(meta_path: &Path) -> PathBuf {
    meta_path.with_file_name(PROVENANCE_FILE)
}

/// The OfflineModel a model output is, if it is one.
pub fn provenance(meta_path: &Path) -> Option<Provenance> {
    let bytes = std::fs::read(provenance_path(meta_path)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The project a node works in: `project` if given (checked), else the
/// run's.
pub fn project_or_current(ctx: &RunContext, field: &str, project: Option<&str>) -> Result<String> {
    match project {
        Some(p) => {
            pai_core::ProjectName::check(p)
                .map_err(|m| Error::invalid(format!("`{field}`: {m}")))?;
            Ok(p.to_string())
        }
        None => Ok(ctx.run.project.clone()),
    }
}
