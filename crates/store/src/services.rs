//! The catalog's side of online services: each service's desired state
//! (running or stopped, and the version that should serve), its observed
//! state, and every version's description, behind the [`ServiceCatalog`]
//! trait a database implements (SQLite now).
//!
//! Versions are numbered 1, 2, 3… per service and never change once
//! written. A rollback re-points `current_version` to an older version; it
//! adds no version.

use serde::{Deserialize, Serialize};

pub use pai_core::ServiceState;

use crate::{Meter, StoreError};

/// What the operator asked a service to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DesiredState {
    /// Serve `current_version`.
    Running,
    /// Serve nothing.
    Stopped,
}

impl DesiredState {
    /// `running` or `stopped`.
    pub fn as_str(self) -> &'static str {
        match self {
            DesiredState::Running => "running",
            DesiredState::Stopped => "stopped",
        }
    }
}

/// One service as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRecord {
    /// The service name.
    pub name: String,
    /// The token predictions must carry.
    pub token: String,
    /// Running or stopped.
    pub desired: DesiredState,
    /// The version that should serve.
    pub current_version: u32,
    /// The highest version recorded.
    pub latest_version: u32,
    /// The state last observed by the serving process.
    pub state: ServiceState,
    /// Why the service failed, or why its last update failed.
    pub reason: Option<String>,
    /// Grows with every change of the desired state.
    pub generation: u64,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// One recorded version of a service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceVersionRecord {
    /// The service.
    pub service: String,
    /// The version, from 1.
    pub version: u32,
    /// The full service description of this version (JSON).
    pub spec: serde_json::Value,
    /// `create` or `update`.
    pub source: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// The catalog of online services. Every change is one transaction.
/// Methods that name a service return `None` when it does not exist.
pub trait ServiceCatalog: Send + Sync {
    /// Records a new service with `spec` as its version 1, desired
    /// running, state `Creating`. `None` when the name is taken (nothing
    /// is changed).
    fn create_service(
        &self,
        name: &str,
        token: &str,
        spec: &serde_json::Value,
    ) -> Result<Option<ServiceRecord>, StoreError>;
    /// One service.
    fn get_service(&self, name: &str) -> Result<Option<ServiceRecord>, StoreError>;
    /// Every service, by name.
    fn list_services(&self) -> Result<Vec<ServiceRecord>, StoreError>;
    /// Sets the desired state and the observed state that goes with the
    /// request (`Stopped`, or `Creating` on start); bumps the generation.
    fn set_desired(
        &self,
        name: &str,
        desired: DesiredState,
        state: ServiceState,
    ) -> Result<Option<ServiceRecord>, StoreError>;
    /// Records the observed state and reason (the generation is kept).
    fn set_state(
        &self,
        name: &str,
        state: ServiceState,
        reason: Option<&str>,
    ) -> Result<Option<ServiceRecord>, StoreError>;
    /// In one transaction: checks the budget and meters the update (when
    /// `meter` is given; a refusal is [`StoreError::BudgetExceeded`] and
    /// changes nothing), records `spec` as the next version, makes it
    /// current and sets the state `Running`.
    fn commit_version(
        &self,
        name: &str,
        spec: &serde_json::Value,
        meter: Option<&Meter<'_>>,
    ) -> Result<Option<ServiceRecord>, StoreError>;
    /// Makes an existing version current (a rollback) and sets the state
    /// `Running`; adds no version. An unknown version is
    /// [`StoreError::Invalid`].
    fn set_current_version(
        &self,
        name: &str,
        version: u32,
    ) -> Result<Option<ServiceRecord>, StoreError>;
    /// Every version of a service, oldest first (empty when unknown).
    fn service_versions(&self, name: &str) -> Result<Vec<ServiceVersionRecord>, StoreError>;
    /// One version of a service.
    fn service_version(
        &self,
        name: &str,
        version: u32,
    ) -> Result<Option<ServiceVersionRecord>, StoreError>;
    /// Deletes a service and its versions; `false` when it did not exist.
    fn delete_service(&self, name: &str) -> Result<bool, StoreError>;
}
