//! Artifacts: the recorded outputs of node runs.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::PortType;

/// How an artifact is laid out on disk.
pub type ArtifactKind = PortType;

/// One output of a node run, stored under the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// The output port that produced it.
    pub port: String,
    /// Its type.
    pub kind: ArtifactKind,
    /// The main file (for models, the `.meta` file; the other files sit beside it).
    pub path: PathBuf,
    /// `sha256:<hex>` over the artifact's files.
    pub digest: String,
    /// The total size in bytes of the artifact's files.
    pub size: u64,
}
