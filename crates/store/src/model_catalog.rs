//! The catalog's side of OfflineModels and exports: the records and the
//! trait a database implements (SQLite now).

use serde::Serialize;

use crate::{Meter, StoreError};

/// One immutable version of an OfflineModel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelVersion {
    /// The project.
    pub project: String,
    /// The model name.
    pub name: String,
    /// The version, from 1.
    pub version: u32,
    /// The fitted model class (e.g. `LogisticRegressionModel`).
    pub class: String,
    /// The stored formats: `original`, and `pmml` when a PMML document was
    /// stored too.
    pub formats: Vec<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Where it came from: run, node, pipeline, manifest sha256, git
    /// commit, input data digest.
    pub lineage: serde_json::Value,
    /// The training metrics.
    pub metrics: serde_json::Value,
    /// `project/name@version` of the source, for copies.
    pub copied_from: Option<String>,
}

impl ModelVersion {
    /// `project/name@version`.
    pub fn reference(&self) -> String {
        format!("{}/{}@{}", self.project, self.name, self.version)
    }
}

/// What a new version records (the version number is assigned on commit).
#[derive(Debug, Clone)]
pub struct NewModelVersion {
    /// The project.
    pub project: String,
    /// The model name.
    pub name: String,
    /// The fitted model class.
    pub class: String,
    /// The stored formats.
    pub formats: Vec<String>,
    /// The lineage.
    pub lineage: serde_json::Value,
    /// The metrics.
    pub metrics: serde_json::Value,
    /// The source of a copy.
    pub copied_from: Option<String>,
}

/// What to do when the model name already has versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Add the next version (registration, and copies with overwrite).
    AddVersion,
    /// Refuse, changing nothing (copies without overwrite).
    Refuse,
}

/// The catalog of OfflineModels and the journal of exports in flight.
pub trait ModelCatalog: Send + Sync {
    /// In one transaction: checks `if_exists`, assigns the next version,
    /// calls `place(version)` (which moves the files into place) and
    /// records the version. If `place` fails or the process dies before
    /// the commit, no version is recorded. A `meter` is checked against
    /// the budget before `place` and appended to the usage ledger in the
    /// same transaction.
    fn commit_model_version(
        &self,
        new: &NewModelVersion,
        if_exists: IfExists,
        meter: Option<&Meter<'_>>,
        place: &mut dyn FnMut(u32) -> Result<(), StoreError>,
    ) -> Result<ModelVersion, StoreError>;
    /// Every version of a model, oldest first (empty when unknown).
    fn model_versions(&self, project: &str, name: &str) -> Result<Vec<ModelVersion>, StoreError>;
    /// The latest version of every model, of one project or all, by
    /// project and name.
    fn latest_models(&self, project: Option<&str>) -> Result<Vec<ModelVersion>, StoreError>;
    /// Records an export about to write `objects` (addresses that did not
    /// exist before); returns the journal id.
    fn begin_export(&self, objects: &[String]) -> Result<i64, StoreError>;
    /// Marks an export complete: its objects stay. A `meter` is checked
    /// against the budget and appended to the usage ledger in the same
    /// transaction; when the budget refuses, the export stays pending.
    fn end_export(&self, id: i64, meter: Option<&Meter<'_>>) -> Result<(), StoreError>;
    /// Exports begun and never ended: `(id, objects, pid)`.
    fn pending_exports(&self) -> Result<Vec<(i64, Vec<String>, u32)>, StoreError>;
}
