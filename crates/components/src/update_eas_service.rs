//! `update_eas_service`: rolls a running online service onto a new model
//! version — the platform's "Update EAS Service" node, which a schedule
//! reruns to keep a service fresh. Metered as one service update.

use pai_client::Processor;
use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::eas::{client, client_error, model_path_of, processor_of};

/// Updates the running service `eas_service_name` to the model on `model`
/// (or to `model_path`, e.g. an OSS export). The new version loads and is
/// checked while the old one serves; the switch is atomic, and a model
/// that fails to load leaves the old version serving and fails the node.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEasService {
    /// The service to update; it must be `Running`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,62}$"))]
    pub eas_service_name: String,
    /// A JSON object merged into the service's current description (for
    /// example `{"metadata": {"instance": 2}}`); `model_path` and
    /// `processor` come from the model unless it sets them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eas_service_description_json: Option<String>,
    /// The model to serve when no `model` input is connected:
    /// `oss://bucket/key`, a path, or `offline-model://project/NAME[@V]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_path: Option<String>,
}

impl Component for UpdateEasService {
    const NAME: &'static str = "update_eas_service";
    const SUMMARY: &'static str =
        "Update a running online service to a new model version, atomically";
    const INPUTS: &'static [PortSpec] = &[PortSpec::optional(
        "model",
        PortType::Model,
        "the new model (or set `model_path`)",
    )];
    const OUTPUTS: &'static [PortSpec] = &[];
    const BILLING: Option<pai_core::UsageClass> = Some(pai_core::UsageClass::ServiceUpdate);

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let mut patch = match &self.eas_service_description_json {
            Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v @ serde_json::Value::Object(_)) => v,
                Ok(_) => {
                    return Err(Error::invalid(
                        "`eas_service_description_json` must be a JSON object",
                    ));
                }
                Err(e) => {
                    return Err(Error::invalid(format!(
                        "`eas_service_description_json` is not valid JSON: {e}"
                    )));
                }
            },
            None => serde_json::json!({}),
        };
        let given = patch
            .get("processor")
            .and_then(|p| p.as_str())
            .map(str::to_string);
        let (model_path, processor) = match (ctx.optional_input("model"), &self.model_path) {
            (Some(a), None) => {
                let processor = match given.as_deref() {
                    Some("pmml") => Processor::Pmml,
                    Some("pai-pipeline") => Processor::PaiPipeline,
                    _ => processor_of(&a.path),
                };
                (model_path_of(ctx, processor)?, Some(processor))
            }
            (None, Some(p)) => (p.clone(), None),
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "connect input `model` or set `model_path`, not both",
                ));
            }
            (None, None) => {
                return Err(Error::invalid(
                    "nothing to deploy: connect input `model` or set `model_path`",
                ));
            }
        };
        if let Some(obj) = patch.as_object_mut() {
            obj.insert("model_path".into(), model_path.clone().into());
            if let (Some(p), None) = (processor, &given) {
                obj.insert("processor".into(), p.as_str().into());
            }
        }
        let admin = client(ctx)?;
        let status = admin
            .update(&self.eas_service_name, &patch, Some(&ctx.usage_context()))
            .map_err(client_error)?;
        ctx.log(
            "info",
            format!(
                "service `{}` now serves version {} ({model_path})",
                status.name, status.version
            ),
        );
        ctx.set_metrics(serde_json::json!({
            "service": status.name, "version": status.version, "model_path": model_path,
        }));
        Ok(NodeOutputs::default())
    }
}
