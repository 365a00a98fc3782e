//! The manifest's document types, as written in YAML. They generate the
//! JSON Schema (with schemars) and hold the raw, unvalidated document.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A pai-engine pipeline manifest.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pai-engine pipeline manifest")]
pub struct ManifestDoc {
    /// The manifest format version.
    #[serde(rename = "apiVersion")]
    pub api_version: ApiVersion,
    /// The kind of document.
    pub kind: Kind,
    /// Name, project and description of the pipeline.
    pub metadata: Metadata,
    /// The nodes to run.
    pub spec: Spec,
}

/// The manifest format version.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
pub enum ApiVersion {
    /// Version 1.
    #[serde(rename = "pai-engine/v1")]
    V1,
}

/// The kind of document.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
pub enum Kind {
    /// A pipeline of nodes.
    Pipeline,
}

/// Name, project and description of the pipeline.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The pipeline's name: lowercase letters, digits and `-`, starting with a letter.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{0,62}$"))]
    pub name: String,
    /// The project that models and tables belong to; the workspace's `default_project` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = pai_core::NAME_PATTERN))]
    pub project: Option<String>,
    /// Free text describing the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The nodes to run and how.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// How many nodes may run at once (default: the number of CPU cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1024), example = 4)]
    pub parallelism: Option<u32>,
    /// The nodes of the pipeline's DAG.
    #[schemars(length(min = 1))]
    pub nodes: Vec<NodeDoc>,
    /// Cron triggers that run the pipeline periodically (`pai-engine schedule run`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<crate::schedules::ScheduleDoc>,
}

/// One node: a component with its params and its wiring.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeDoc {
    /// Unique within the pipeline: a lowercase letter, then lowercase letters, digits and `_`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub id: String,
    /// The component this node runs.
    pub component: String,
    /// The component's parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Input ports wired to upstream outputs: `PORT: NODE.PORT`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, InputRef>")]
    pub inputs: BTreeMap<String, String>,
    /// Nodes that must finish first, without passing data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Retry a failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// Cancel an attempt that runs longer than this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1), example = 600)]
    pub timeout_seconds: Option<u64>,
}

/// An upstream output: `NODE.PORT`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct InputRef(#[schemars(regex(pattern = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"))] String);

/// How a failed attempt is retried.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// How many retries after the first attempt.
    #[schemars(range(min = 0, max = 100))]
    pub limit: u32,
    /// Seconds to wait before the first retry; each later retry waits twice as long.
    #[serde(default = "default_backoff")]
    #[schemars(range(min = 0.0, max = 3600.0))]
    pub backoff_seconds: f64,
}

fn default_backoff() -> f64 {
    1.0
}
