//! The validated pipeline: typed nodes, resolved wiring and a topological
//! order. This is what the scheduler executes.

use std::path::PathBuf;
use std::time::Duration;

use pai_components::ComponentConfig;

/// One wired input: `port` reads `from_port` of node `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEdge {
    /// The consuming port.
    pub port: String,
    /// Index of the producing node in [`ValidatedPipeline::nodes`].
    pub from: usize,
    /// The producing port.
    pub from_port: String,
}

/// How a node's failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub limit: u32,
    /// Wait before the first retry; doubled for each later one.
    pub backoff: Duration,
}

/// A node ready to run.
#[derive(Debug, Clone)]
pub struct ValidatedNode {
    /// The node id.
    pub id: String,
    /// The component with its typed params.
    pub config: ComponentConfig,
    /// Data inputs.
    pub inputs: Vec<InputEdge>,
    /// Every upstream node (data and `depends_on`), by index, deduplicated.
    pub upstream: Vec<usize>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Per-attempt time limit.
    pub timeout: Option<Duration>,
}

/// A manifest that passed every check.
#[derive(Debug, Clone)]
pub struct ValidatedPipeline {
    /// The manifest file as given.
    pub path: PathBuf,
    /// The directory that relative paths resolve against.
    pub dir: PathBuf,
    /// sha256 hex of the file bytes.
    pub sha256: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.project`, if set.
    pub project: Option<String>,
    /// `metadata.description`, if set.
    pub description: Option<String>,
    /// `spec.parallelism`, if set.
    pub parallelism: Option<u32>,
    /// The nodes in manifest order.
    pub nodes: Vec<ValidatedNode>,
    /// Node indices in a topological order.
    pub order: Vec<usize>,
}

impl ValidatedPipeline {
    /// The index of node `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}
