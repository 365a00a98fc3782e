//! `model_export`: exports a model to OSS in the original format or as
//! PMML, under a RAM role.

use pai_core::{Component, NodeOutputs, PortSpec, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::export::{
    ExportFormat, MODEL_INPUT, check_name, default_name, objects, parse_uri, write,
};

/// Writes `<name>.meta` + `<name>.model` (original) or `<name>.xml` (PMML)
/// below `oss_target_path`. Without `overwrite` an existing object is an
/// error and nothing is written; each object appears atomically.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelExport {
    /// The target prefix, `oss://bucket/prefix/`.
    #[schemars(regex(pattern = r"^oss://"))]
    pub oss_target_path: String,
    /// The exported file name without extension (default: the model name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub rename: Option<String>,
    /// The RAM role to write with (required by buckets with `require_role`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oss_ram_role: Option<String>,
    /// Replace existing objects of the same name.
    #[serde(default)]
    pub overwrite: bool,
    /// `original` (`.meta` + `.model`) or `pmml` (`.xml`).
    #[serde(default = "original")]
    pub export_type: ExportFormat,
}

fn original() -> ExportFormat {
    ExportFormat::Original
}

impl Component for ModelExport {
    const NAME: &'static str = "model_export";
    const SUMMARY: &'static str = "Export a model to OSS (original format or PMML)";
    const INPUTS: &'static [PortSpec] = MODEL_INPUT;
    const OUTPUTS: &'static [PortSpec] = &[];
    const BILLING: Option<pai_core::UsageClass> = Some(pai_core::UsageClass::OfflineModel);

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let dir = parse_uri("oss_target_path", &self.oss_target_path)?;
        let input = ctx.input("model")?;
        let name = match &self.rename {
            Some(n) => {
                check_name("rename", n)?;
                n.clone()
            }
            None => default_name(input),
        };
        let objs = objects(&input.path, self.export_type, &dir, &name)?;
        write(
            ctx,
            Self::NAME,
            &objs,
            self.overwrite,
            self.oss_ram_role.as_deref(),
        )?;
        Ok(NodeOutputs::default())
    }
}
