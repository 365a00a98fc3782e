//! `copy_offline_model`: copies the input model into a project as an
//! OfflineModel (for example from dev to prod).

use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext, UsageClass};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use pai_store::{IfExists, NewModelVersion, StoreError};

use crate::metering::with_meter;
use crate::offline_model::{describe, project_or_current, provenance, store, write_version};

/// Copies a model to `dest_project/target_model_name`. Without `overwrite`
/// an existing target is an error; with it, the copy becomes the target's
/// new latest version in one atomic step (readers never see the model
/// missing, and older versions stay listed).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyOfflineModel {
    /// The name of the copy.
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub target_model_name: String,
    /// The project to copy into (default: the pipeline's project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub dest_project: Option<String>,
    /// Add the copy as a new version when the target already exists.
    #[serde(default)]
    pub overwrite: bool,
}

impl Component for CopyOfflineModel {
    const NAME: &'static str = "copy_offline_model";
    const SUMMARY: &'static str = "Copy a model into a project as an OfflineModel";
    const INPUTS: &'static [PortSpec] = &[PortSpec::required(
        "model",
        PortType::Model,
        "the model to copy (a trained model or a `read_offline_model` output)",
    )];
    const OUTPUTS: &'static [PortSpec] = &[PortSpec::required(
        "model",
        PortType::Model,
        "the copy, as registered",
    )];
    const BILLING: Option<pai_core::UsageClass> = Some(pai_core::UsageClass::OfflineModel);

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let dest = project_or_current(ctx, "dest_project", self.dest_project.as_deref())?;
        let input = ctx.input("model")?;
        if input.path.extension().is_some_and(|e| e == "pmml") {
            return Err(Error::invalid(
                "input `model`: a PMML document read by `read_pmml_model` is not an OfflineModel; copy a model trained or read by the engine",
            ));
        }
        let models = &store(ctx)?.models;
        let copy = with_meter(ctx, UsageClass::OfflineModel, Self::NAME, |meter| {
            match provenance(&input.path) {
                Some(p) => {
                    let source =
                        models.resolve(&p.project, &format!("{}@{}", p.name, p.version))?;
                    models.copy(
                        &source,
                        &dest,
                        &self.target_model_name,
                        self.overwrite,
                        meter,
                    )
                }
                None => {
                    // an unregistered model straight from a trainer
                    let (mut new, files) =
                        describe(&input.path, &dest, &self.target_model_name, None)
                            .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    new.copied_from = Some(format!(
                        "run {} node {}",
                        lineage_field(&new, "run_id"),
                        lineage_field(&new, "node")
                    ));
                    let if_exists = if self.overwrite {
                        IfExists::AddVersion
                    } else {
                        IfExists::Refuse
                    };
                    models.register(&new, &files, if_exists, meter)
                }
            }
        })?;
        let meta = write_version(ctx, "model", &copy)?;
        ctx.log(
            "info",
            format!(
                "copied to OfflineModel `{}` ({})",
                copy.reference(),
                copy.copied_from.as_deref().unwrap_or("")
            ),
        );
        ctx.set_metrics(serde_json::json!({
            "project": copy.project, "name": copy.name, "version": copy.version,
            "copied_from": copy.copied_from,
        }));
        Ok(NodeOutputs::default().with("model", meta))
    }
}

/// A lineage field of a model being copied.
fn lineage_field<'a>(new: &'a NewModelVersion, field: &str) -> &'a str {
    new.lineage
        .get(field)
        .and_then(|v| v.as_str())
        .unwrap_or("?")
}
