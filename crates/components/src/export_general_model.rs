//! `export_general_model`: the platform's "Export General-Purpose Model".

use pai_core::{Component, Error, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::export::{
    ExportFormat, MODEL_INPUT, check_name, default_name, objects, parse_uri, write,
};

/// Exports a model in a general-purpose format. Each run exports below
/// `oss_path/<run id>/`, so exports accumulate; with
/// `overwrite_existing_model` and `rename` the export goes to
/// `oss_path/<rename>.*` instead and replaces the previous run's. A model
/// class that cannot be written in `export_format` is refused.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportGeneralModel {
    /// The target prefix, `oss://bucket/prefix/`.
    #[schemars(regex(pattern = r"^oss://"))]
    pub oss_path: String,
    /// The exported file name without extension (default: the model name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub rename: Option<String>,
    /// With `rename`: write to `oss_path/<rename>.*`, replacing the
    /// previous export, instead of a new per-run directory.
    #[serde(default)]
    pub overwrite_existing_model: bool,
    /// Replace existing objects of the same name.
    #[serde(default)]
    pub overwrite: bool,
    /// `original` (`.meta` + `.model`) or `pmml` (`.xml`).
    pub export_format: ExportFormat,
    /// The RAM role to write with (required by buckets with `require_role`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oss_ram_role: Option<String>,
}

impl Component for ExportGeneralModel {
    const NAME: &'static str = "export_general_model";
    const SUMMARY: &'static str =
        "Export a model in a general-purpose format (original or PMML) to OSS";
    const INPUTS: &'static [PortSpec] = MODEL_INPUT;
    const OUTPUTS: &'static [PortSpec] = &[];
    const BILLING: Option<pai_core::UsageClass> = Some(pai_core::UsageClass::OfflineModel);

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let base = parse_uri("oss_path", &self.oss_path)?;
        let input = ctx.input("model")?;
        let (dir, name, overwrite) = if self.overwrite_existing_model {
            let Some(rename) = &self.rename else {
                return Err(Error::invalid(
                    "`overwrite_existing_model` needs `rename`: it names the export that each run replaces",
                ));
            };
            check_name("rename", rename)?;
            (base, rename.clone(), true)
        } else {
            let name = match &self.rename {
                Some(n) => {
                    check_name("rename", n)?;
                    n.clone()
                }
                None => default_name(input),
            };
            let dir = base
                .join(&format!("{}/", ctx.run.run_id))
                .map_err(|m| Error::invalid(format!("`oss_path`: {m}")))?;
            (dir, name, self.overwrite)
        };
        if self.export_format == ExportFormat::Pmml
            && input.path.extension().is_some_and(|e| e == "meta")
        {
            let loaded = crate::model_file::read_model(&input.path)?;
            crate::pmml_export::pmml_supported(&loaded.model).map_err(|why| {
                Error::invalid(format!(
                    "`export_format`: `{}` cannot be exported as `pmml`: {why}; use `export_format: original`",
                    loaded.meta.model_class
                ))
            })?;
        }
        let objs = objects(&input.path, self.export_format, &dir, &name)?;
        write(
            ctx,
            Self::NAME,
            &objs,
            overwrite,
            self.oss_ram_role.as_deref(),
        )?;
        Ok(NodeOutputs::default())
    }
}
