//! What `model_export` and `export_general_model` share: turning a model
//! input into the objects of an export in the original format
//! (`<name>.model`, then `<name>.meta`, which commits it) or as PMML
//! (`<name>.xml`), and writing them to OSS as one unit.

use std::path::Path;

use pai_core::{Artifact, Error, Result, RunContext, UsageClass};
use pai_store::{ExportObject, OssUri};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::offline_model::{provenance, store};

/// The input port of both export components.
pub const MODEL_INPUT: &[pai_core::PortSpec] = &[pai_core::PortSpec::required(
    "model",
    pai_core::PortType::Model,
    "the model to export",
)];

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The engine's own format: `<name>.meta` + `<name>.model`.
    Original,
    /// A PMML 4.4 document: `<name>.xml`.
    Pmml,
}

/// The name an export gets by default: the OfflineModel's name when the
/// model is one, else the id of the node that trained it.
pub fn default_name(input: &Artifact) -> String {
    if let Some(p) = provenance(&input.path) {
        return p.name;
    }
    crate::model_file::read_model(&input.path)
        .map(|m| m.meta.lineage.node)
        .unwrap_or_else(|_| "model".to_string())
}

/// Checks a user-given export name: it becomes a file name.
pub fn check_name(field: &str, name: &str) -> Result<()> {
    pai_core::check_name(pai_core::NameKind::Export, name)
        .map_err(|m| Error::invalid(format!("`{field}`: {m}")))
}

/// The objects exporting the model whose main file is `model_path` (a
/// `.meta`, or a `.pmml` document) as `format` under `dir` with `name`.
pub fn objects(
    model_path: &Path,
    format: ExportFormat,
    dir: &OssUri,
    name: &str,
) -> Result<Vec<ExportObject>> {
    let uri = |ext: &str| {
        dir.join(&format!("{name}.{ext}"))
            .map_err(|m| Error::invalid(format!("export path: {m}")))
    };
    let read = |path: &std::path::Path| std::fs::read(path).map_err(|e| Error::io(path, e));
    let is_pmml_input = model_path.extension().is_some_and(|e| e == "pmml");
    match format {
        ExportFormat::Original => {
            if is_pmml_input {
                return Err(Error::invalid(
                    "input `model` is a PMML document (from `read_pmml_model`); it can only be exported as `pmml`",
                ));
            }
            // verify the digest before anything leaves the workspace
            crate::model_file::read_model(model_path)?;
            Ok(vec![
                ExportObject {
                    uri: uri("model")?,
                    bytes: read(&model_path.with_extension("model"))?,
                },
                ExportObject {
                    uri: uri("meta")?,
                    bytes: read(model_path)?,
                },
            ])
        }
        ExportFormat::Pmml => {
            let bytes = if is_pmml_input {
                read(model_path)?
            } else if model_path.with_extension("xml").is_file() {
                read(&model_path.with_extension("xml"))?
            } else {
                let loaded = crate::model_file::read_model(model_path)?;
                crate::pmml_export::model_to_pmml(&loaded)?.into_bytes()
            };
            Ok(vec![ExportObject {
                uri: uri("xml")?,
                bytes,
            }])
        }
    }
}

/// Writes `objects` to OSS under `role`, as one unit, metered as one
/// OfflineModel request of `operation`.
pub fn write(
    ctx: &RunContext,
    operation: &str,
    objects: &[ExportObject],
    overwrite: bool,
    role: Option<&str>,
) -> Result<Vec<String>> {
    ctx.check_cancelled()?;
    let st = store(ctx)?;
    crate::metering::with_meter(ctx, UsageClass::OfflineModel, operation, |meter| {
        st.export(objects, overwrite, role, meter)
    })?;
    let uris: Vec<String> = objects.iter().map(|o| o.uri.to_string()).collect();
    for u in &uris {
        ctx.log("info", format!("exported `{u}`"));
    }
    ctx.set_metrics(serde_json::json!({ "exported": uris }));
    Ok(uris)
}

/// Parses an OSS address param.
pub fn parse_uri(field: &str, text: &str) -> Result<OssUri> {
    OssUri::parse(text).map_err(|m| Error::invalid(format!("`{field}`: {m}")))
}
