//! The catalog trait and its records: what a run and its nodes did.

use pai_core::{Artifact, LogLine, NodeState, RunState};
use serde::Serialize;

use crate::StoreError;

/// One pipeline run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// The run id.
    pub id: String,
    /// `pipeline` for `pai-engine run`, or a task name such as `model-combination`.
    pub kind: String,
    /// The pipeline's `metadata.name`.
    pub pipeline: String,
    /// The project the run worked in.
    pub project: String,
    /// The manifest path as given.
    pub manifest_path: String,
    /// sha256 of the manifest bytes.
    pub manifest_sha256: String,
    /// The git commit of the manifest's repository.
    pub git_commit: Option<String>,
    /// Whether the manifest had uncommitted changes.
    pub git_dirty: bool,
    /// The run's state.
    pub state: RunState,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub ended_at: Option<String>,
    /// Why the run failed, if it did.
    pub error: Option<String>,
    /// The run this one resumed.
    pub resumed_from: Option<String>,
    /// The process that runs (or ran) it; `None` for runs recorded before
    /// owners were.
    pub owner: Option<crate::RunOwner>,
}

/// One node of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeRecord {
    /// The run id.
    pub run_id: String,
    /// The node id.
    pub node_id: String,
    /// The YAML component name.
    pub component: String,
    /// The node's state.
    pub state: NodeState,
    /// Attempts made (retries count).
    pub attempts: u32,
    /// RFC 3339 start time of the first attempt.
    pub started_at: Option<String>,
    /// RFC 3339 end time.
    pub ended_at: Option<String>,
    /// Wall time of all attempts, in milliseconds.
    pub duration_ms: Option<u64>,
    /// The error of the last attempt.
    pub error: Option<String>,
    /// The published outputs.
    pub outputs: Vec<Artifact>,
    /// Metrics the component reported.
    pub metrics: Option<serde_json::Value>,
    /// The run whose outputs were reused (on `--resume`).
    pub reused_from: Option<String>,
    /// Metered requests of the node's attempts with their times, appended
    /// to the usage ledger in the transaction that records the node.
    #[serde(skip)]
    pub usage: Vec<(pai_core::UsageEntry, chrono::DateTime<chrono::Utc>)>,
}

impl NodeRecord {
    /// A pending node.
    pub fn pending(run_id: &str, node_id: &str, component: &str) -> Self {
        NodeRecord {
            run_id: run_id.to_string(),
            node_id: node_id.to_string(),
            component: component.to_string(),
            state: NodeState::Pending,
            attempts: 0,
            started_at: None,
            ended_at: None,
            duration_ms: None,
            error: None,
            outputs: Vec::new(),
            metrics: None,
            reused_from: None,
            usage: Vec::new(),
        }
    }
}

/// Where runs are recorded. SQLite implements it now; PostgreSQL can later,
/// for several workers sharing one catalog.
pub trait Catalog: Send + Sync {
    /// Records a new run and its nodes, in one transaction.
    fn create_run(&self, run: &RunRecord, nodes: &[NodeRecord]) -> Result<(), StoreError>;
    /// Writes node snapshots and log lines in one transaction.
    fn write_nodes(
        &self,
        nodes: &[NodeRecord],
        logs: &[(String, String, LogLine)],
    ) -> Result<(), StoreError>;
    /// Sets a run's final state.
    fn finish_run(
        &self,
        run_id: &str,
        state: RunState,
        ended_at: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
    /// The most recent runs, newest first.
    fn list_runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError>;
    /// A run by id, unique id prefix, `latest` (the newest run) or
    /// `PIPELINE@latest` (the newest run of a pipeline).
    fn get_run(&self, id: &str) -> Result<RunRecord, StoreError>;
    /// Marks every `running` run whose owner is gone `abandoned`, with its
    /// `pending` and `running` nodes, in one transaction; returns their ids.
    fn reap_abandoned(&self) -> Result<Vec<String>, StoreError>;
    /// Marks run `run_id` `abandoned` now, with its unfinished nodes (the
    /// owner aborting, as on a second Ctrl-C).
    fn abandon_run(&self, run_id: &str, reason: &str) -> Result<(), StoreError>;
    /// The nodes of a run, in the manifest's order.
    fn node_runs(&self, run_id: &str) -> Result<Vec<NodeRecord>, StoreError>;
    /// The log lines of a run, optionally of one node: `(node, line)`.
    fn logs(&self, run_id: &str, node: Option<&str>) -> Result<Vec<(String, LogLine)>, StoreError>;
}
