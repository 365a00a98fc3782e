//! Events a run emits, for progress displays.

use std::time::Duration;

use pai_core::NodeState;

/// Something that happened in a run.
#[derive(Debug, Clone)]
pub enum Event {
    /// An attempt of a node started.
    NodeStarted {
        /// Node index.
        node: usize,
        /// 1-based attempt.
        attempt: u32,
    },
    /// A node reached a terminal state.
    NodeFinished {
        /// Node index.
        node: usize,
        /// Its final state.
        state: NodeState,
        /// Wall time of all its attempts.
        elapsed: Duration,
    },
}

/// Receives run events; called from the scheduler's task, so keep it cheap.
pub trait Observer: Send + Sync {
    /// Handles one event.
    fn on_event(&self, event: &Event);
}

/// An observer that ignores everything.
pub(crate) struct Silent;

impl Observer for Silent {
    fn on_event(&self, _: &Event) {}
}
