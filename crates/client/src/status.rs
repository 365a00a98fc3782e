//! What the admin API answers: [`ServiceStatus`] with its versions, and
//! the small request and error bodies.

use serde::{Deserialize, Serialize};

use crate::spec::{MissingValues, Processor, ServiceMetadata};
use pai_core::ServiceState;

/// One recorded version of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The version, from 1.
    pub version: u32,
    /// Its model.
    pub model_path: String,
    /// Its processor.
    pub processor: Processor,
    /// `create` or `update`.
    pub source: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Whether it is the version that serves.
    pub current: bool,
}

/// A service as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// The name.
    pub name: String,
    /// The observed state.
    pub state: ServiceState,
    /// Why it failed, or why its last update failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The current version (the one serving when `Running`).
    pub version: u32,
    /// The highest recorded version.
    pub latest_version: u32,
    /// `running` or `stopped`: what was asked for.
    pub desired: String,
    /// The EAS predict URL.
    pub endpoint: String,
    /// The token predictions must carry.
    pub token: String,
    /// The current version's model.
    pub model_path: String,
    /// The current version's processor.
    pub processor: Processor,
    /// The current version's resources.
    pub metadata: ServiceMetadata,
    /// The current version's missing-value treatment.
    pub missing_values: MissingValues,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// Every version, oldest first.
    pub versions: Vec<VersionInfo>,
}

/// The body of `PUT /api/v2/services/{name}/version`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// The version to make current; absent = the highest version below
    /// the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// Every error answer of the server: `{"error": "message"}` (also the
/// KServe V2 error shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong and how to fix it.
    pub error: String,
}
