//! The states of runs, node runs and online services.

use serde::{Deserialize, Serialize};

/// The state of one node in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    /// Waiting for its upstream nodes.
    Pending,
    /// Executing.
    Running,
    /// Finished successfully (or its outputs were reused on resume).
    Succeeded,
    /// Failed after its retries.
    Failed,
    /// Not run because it was not selected, or a fail-fast stop.
    Skipped,
    /// Not run because an upstream node failed.
    UpstreamFailed,
    /// Stopped by a cancel.
    Cancelled,
    /// Left `pending` or `running` by a process that is gone.
    Abandoned,
}

impl NodeState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Pending => "pending",
            NodeState::Running => "running",
            NodeState::Succeeded => "succeeded",
            NodeState::Failed => "failed",
            NodeState::Skipped => "skipped",
            NodeState::UpstreamFailed => "upstream_failed",
            NodeState::Cancelled => "cancelled",
            NodeState::Abandoned => "abandoned",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => NodeState::Pending,
            "running" => NodeState::Running,
            "succeeded" => NodeState::Succeeded,
            "failed" => NodeState::Failed,
            "skipped" => NodeState::Skipped,
            "upstream_failed" => NodeState::UpstreamFailed,
            "cancelled" => NodeState::Cancelled,
            "abandoned" => NodeState::Abandoned,
            _ => return None,
        })
    }

    /// Whether the node will not change state any more.
    pub fn is_terminal(self) -> bool {
        !matches!(self, NodeState::Pending | NodeState::Running)
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Nodes are executing.
    Running,
    /// Every selected node succeeded.
    Succeeded,
    /// At least one node failed.
    Failed,
    /// The run was cancelled.
    Cancelled,
    /// The process that ran it is gone (killed, or aborted by a second
    /// Ctrl-C) and it can never finish; `--resume` continues it.
    Abandoned,
}

impl RunState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
            RunState::Abandoned => "abandoned",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => RunState::Running,
            "succeeded" => RunState::Succeeded,
            "failed" => RunState::Failed,
            "cancelled" => RunState::Cancelled,
            "abandoned" => RunState::Abandoned,
            _ => return None,
        })
    }
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lifecycle state of a service, as the serving process observed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServiceState {
    /// Recorded; its model is loading.
    Creating,
    /// Answering predictions.
    Running,
    /// A new version is loading while the current one keeps serving.
    Updating,
    /// Stopped on request; not answering.
    Stopped,
    /// Its model could not be loaded; the reason says why.
    Failed,
}

impl ServiceState {
    /// Every state, in lifecycle order.
    pub const ALL: [ServiceState; 5] = [
        ServiceState::Creating,
        ServiceState::Running,
        ServiceState::Updating,
        ServiceState::Stopped,
        ServiceState::Failed,
    ];

    /// The state's name (`Running`).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Creating => "Creating",
            ServiceState::Running => "Running",
            ServiceState::Updating => "Updating",
            ServiceState::Stopped => "Stopped",
            ServiceState::Failed => "Failed",
        }
    }

    /// Parses a state name, ignoring case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for ServiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
