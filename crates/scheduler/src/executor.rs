//! The seam between the scheduler and what a node does.

use pai_core::{NodeOutputs, Result, RunContext};
use pai_manifest::ValidatedNode;

/// Executes one attempt of a node, on a blocking thread.
pub trait NodeExecutor: Send + Sync + 'static {
    /// Runs `node` with `ctx`; outputs go below `ctx.output_dir`.
    fn execute(&self, node: &ValidatedNode, ctx: &RunContext) -> Result<NodeOutputs>;

    /// Called when a run starts, before its first node.
    fn run_started(&self) {}

    /// Called when a run has ended, however it ended.
    fn run_ended(&self) {}
}

/// Runs nodes' components: the executor of `pai-engine run`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ComponentExecutor;

impl NodeExecutor for ComponentExecutor {
    fn execute(&self, node: &ValidatedNode, ctx: &RunContext) -> Result<NodeOutputs> {
        node.config.run(ctx)
    }

    /// Tables handed between the run's nodes in memory are kept from here…
    fn run_started(&self) {
        pai_components::table_cache::run_started();
    }

    /// …until the last running run ends.
    fn run_ended(&self) {
        pai_components::table_cache::run_ended();
    }
}
