//! [`Store`]: one handle on everything components and commands keep: the
//! configuration, the OfflineModels and the OSS buckets.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{Config, ModelStore, Oss, StoreError, Workspace};

/// The workspace's models and object storage.
#[derive(Debug)]
pub struct Store {
    /// The parsed `pai-engine.toml`.
    pub config: Arc<Config>,
    /// The state directory (`.pai/`).
    pub state_dir: PathBuf,
    /// The OfflineModels.
    pub models: ModelStore,
    /// The OSS buckets.
    pub oss: Oss,
}

impl Store {
    /// Opens the store of a workspace and rolls back exports whose writer
    /// died.
    pub fn open(ws: &Workspace) -> Result<Self, StoreError> {
        let catalog = Arc::new(ws.catalog()?);
        let config = Arc::new(ws.config.clone());
        let config_dir = ws
            .config_path
            .as_ref()
            .and_then(|p| p.parent())
            .map(PathBuf::from)
            .or_else(|| ws.state_dir.parent().map(PathBuf::from))
            .unwrap_or_default();
        let store = Store {
            oss: Oss::new(config.clone(), config_dir, ws.state_dir.clone())?,
            models: ModelStore::new(catalog, &ws.state_dir),
            config,
            state_dir: ws.state_dir.clone(),
        };
        store.recover_exports()?;
        Ok(store)
    }
}
