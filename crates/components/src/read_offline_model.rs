//! `read_offline_model`: brings a registered OfflineModel version into a
//! pipeline as its `model` output.

use pai_core::{Component, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::offline_model::{project_or_current, store, store_error, write_version};

/// Reads an OfflineModel by name (`NAME` is the latest version, `NAME@3`
/// version 3) from a project; an unknown model or project is an error that
/// lists the close names.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadOfflineModel {
    /// The model: `NAME` or `NAME@VERSION`.
    #[schemars(regex(pattern = pai_core::MODEL_REF_PATTERN))]
    pub model_name: String,
    /// The project to read from (default: the pipeline's project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub project: Option<String>,
}

impl Component for ReadOfflineModel {
    const NAME: &'static str = "read_offline_model";
    const SUMMARY: &'static str = "Read an OfflineModel version from a project";
    const INPUTS: &'static [PortSpec] = &[];
    const OUTPUTS: &'static [PortSpec] = &[PortSpec::required(
        "model",
        PortType::Model,
        "the model version (`model.meta` + `model.model`, and `model.xml` when stored)",
    )];
    const BILLING: Option<pai_core::UsageClass> = Some(pai_core::UsageClass::OfflineModel);

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let project = project_or_current(ctx, "project", self.project.as_deref())?;
        crate::metering::meter_node(ctx, pai_core::UsageClass::OfflineModel, Self::NAME)?;
        let v = store(ctx)?
            .models
            .resolve(&project, &self.model_name)
            .map_err(store_error)?;
        let meta = write_version(ctx, "model", &v)?;
        ctx.log(
            "info",
            format!("read OfflineModel `{}` ({})", v.reference(), v.class),
        );
        ctx.set_metrics(serde_json::json!({
            "project": v.project, "name": v.name, "version": v.version, "class": v.class,
        }));
        Ok(NodeOutputs::default().with("model", meta))
    }
}
