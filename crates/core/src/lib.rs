//! pai-core: the types every other pai-engine crate shares.
//!
//! It owns the vocabulary of a run (ports and their types, artifacts, node
//! outputs), the [`Component`] trait with the [`RunContext`] a runner gets,
//! and the [`Error`] components return. It does no I/O of its own.

mod artifact;
mod component;
mod context;
mod digest;
mod error;
mod failpoint;
mod names;
mod port;
mod server_config;
mod state;
mod usage;

pub use artifact::{Artifact, ArtifactKind};
pub use component::{Component, ComponentInfo};
pub use context::{CancelFlag, LogLine, NodeOutputs, RunContext, RunInfo, Services, now_rfc3339};
pub use digest::sha256_hex;
pub use error::{Error, Result};
pub use failpoint::failpoint;
pub use names::{
    MAX_NAME_LEN, MODEL_REF_PATTERN, ModelName, ModelRef, NAME_PATTERN, NAME_RULE, NameError,
    NameKind, ProjectName, check_name, check_node_id, check_pipeline_name, suggest,
};
pub use port::{PortSpec, PortType};
pub use server_config::ServerConfig;
pub use state::{NodeState, RunState, ServiceState};
pub use usage::{Metered, UsageClass, UsageContext, UsageEntry};

/// The engine's version, recorded in run rows and model metadata.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
