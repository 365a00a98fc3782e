//! `deploy_eas`: deploys a model or pipeline model as an online prediction
//! service of `pai-engine serve`, through its admin API, and waits until
//! it is `Running`.

use std::time::Duration;

use pai_client::{MissingValues, Processor, ServiceMetadata, ServiceSpec, ServiceState};
use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::eas::{client, client_error, model_path_of, processor_of};

/// Deploys the model on `model` as the service `name` (EAS's service
/// description fields). The node succeeds once the service is `Running`
/// and answers predictions; it fails with the service's reason otherwise.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployEas {
    /// The service name: lowercase letters, digits and `_`, starting with a
    /// letter.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,62}$"))]
    pub name: String,
    /// `pmml` or `pai-pipeline`; default: `pmml` for a PMML document,
    /// `pai-pipeline` for a model in the original format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor: Option<ProcessorParam>,
    /// Parallel workers (`metadata.instance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1024))]
    pub instance: Option<u32>,
    /// CPU cores per instance (`metadata.cpu`; recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// Memory per instance in MB (`metadata.memory`; recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    /// The service token callers send in `Authorization`; generated when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `model` (the model's own missing-value treatment) or `eas_defaults`
    /// (0, false, "" for a missing field).
    #[serde(default)]
    pub missing_values: MissingValuesParam,
    /// When the service exists already: `false` fails, `true` updates it
    /// to this model (a new version).
    #[serde(default)]
    pub update_existing: bool,
    /// Seconds to wait for `Running`.
    #[serde(default = "default_wait")]
    #[schemars(range(min = 1, max = 3600))]
    pub wait_seconds: u64,
}

/// The processor param.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ProcessorParam {
    /// A PMML document.
    #[serde(rename = "pmml")]
    Pmml,
    /// The engine's native format.
    #[serde(rename = "pai-pipeline")]
    PaiPipeline,
}

impl From<ProcessorParam> for Processor {
    fn from(p: ProcessorParam) -> Self {
        match p {
            ProcessorParam::Pmml => Processor::Pmml,
            ProcessorParam::PaiPipeline => Processor::PaiPipeline,
        }
    }
}

/// The missing-values param.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingValuesParam {
    /// The model's own treatment.
    #[default]
    Model,
    /// EAS's type defaults.
    EasDefaults,
}

fn default_wait() -> u64 {
    60
}

impl Component for DeployEas {
    const NAME: &'static str = "deploy_eas";
    const SUMMARY: &'static str =
        "Deploy a model or pipeline model as an online prediction service of `pai-engine serve`";
    const INPUTS: &'static [PortSpec] = &[PortSpec::required(
        "model",
        PortType::Model,
        "the model, pipeline model or PMML document to serve",
    )];
    const OUTPUTS: &'static [PortSpec] = &[];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        pai_client::check_service_name(&self.name).map_err(Error::invalid)?;
        let input = ctx.input("model")?.path.clone();
        let processor = self
            .processor
            .map_or_else(|| processor_of(&input), Processor::from);
        let model_path = model_path_of(ctx, processor)?;
        let admin = client(ctx)?;
        let exists = admin
            .list()
            .map_err(client_error)?
            .iter()
            .any(|s| s.name == self.name);
        let status = if exists {
            if !self.update_existing {
                return Err(Error::invalid(format!(
                    "service `{}` exists already; set `update_existing: true` to deploy this model as its next version, or choose another `name`",
                    self.name
                )));
            }
            let patch =
                serde_json::json!({ "model_path": model_path, "processor": processor.as_str() });
            admin
                .update(&self.name, &patch, Some(&ctx.usage_context()))
                .map_err(client_error)?
        } else {
            let mut spec = ServiceSpec::new(&self.name, &model_path, processor);
            spec.metadata = ServiceMetadata {
                instance: self.instance,
                cpu: self.cpu,
                memory: self.memory,
                extra: Default::default(),
            };
            spec.token = self.token.clone();
            spec.missing_values = match self.missing_values {
                MissingValuesParam::Model => MissingValues::Model,
                MissingValuesParam::EasDefaults => MissingValues::EasDefaults,
            };
            admin.create(&spec).map_err(client_error)?;
            admin
                .wait_for_state(
                    &self.name,
                    ServiceState::Running,
                    Duration::from_secs(self.wait_seconds),
                )
                .map_err(client_error)?
        };
        ctx.log(
            "info",
            format!(
                "service `{}` is {} at version {} ({})",
                status.name, status.state, status.version, status.endpoint
            ),
        );
        ctx.set_metrics(serde_json::json!({
            "service": status.name, "state": status.state.to_string(),
            "version": status.version, "endpoint": status.endpoint,
        }));
        Ok(NodeOutputs::default())
    }
}
