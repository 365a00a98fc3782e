//! [`Store`]: one handle on everything components and commands keep: the
//! configuration, the OfflineModels and the OSS buckets.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{Billing, Config, ModelStore, Oss, StoreError, UsageLedger, Workspace};

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
    /// The billing rules in force.
    pub billing: Billing,
    /// The usage ledger.
    pub usage: Arc<dyn UsageLedger>,
}

impl std::fmt::Debug for dyn UsageLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UsageLedger")
    }
}

impl Store {
    /// Opens the store of a workspace and rolls back exports whose writer
    /// died.
    pub fn open(ws: &Workspace) -> Result<Self, StoreError> {
        let catalog = Arc::new(ws.catalog()?);
        let config = Arc::new(ws.config.clone());
        let config_dir = ws.config_dir();
        let billing = Billing::from_config(&config).map_err(|message| StoreError::Config {
            path: ws.config_path.clone().unwrap_or_default(),
            message,
        })?;
        let store = Store {
            oss: Oss::new(config.clone(), config_dir, ws.state_dir.clone())?,
            models: ModelStore::new(catalog.clone(), &ws.state_dir),
            billing,
            usage: catalog,
            config,
            state_dir: ws.state_dir.clone(),
        };
        store.recover_exports()?;
        Ok(store)
    }

    /// Runs `effect` with a meter for `entry` (whose effect records it in
    /// its own commit); a failure other than the budget's refusal is
    /// recorded as failed, which is not billed.
    pub fn metered<T>(
        &self,
        entry: &pai_core::UsageEntry,
        effect: impl FnOnce(&crate::Meter<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let result = effect(&self.meter(entry));
        if let Err(e) = &result
            && !matches!(e, StoreError::BudgetExceeded(_))
        {
            {
                let failed = pai_core::UsageEntry {
                    succeeded: false,
                    ..entry.clone()
                };
                if let Err(rec) = self.usage.record_at(&failed, crate::usage::now()) {
                    tracing::warn!(error = %rec, "could not record a failed request in the usage ledger");
                }
            }
        }
        result
    }

    /// A meter for `entry` under this workspace's billing rules.
    pub fn meter<'a>(&'a self, entry: &'a pai_core::UsageEntry) -> crate::Meter<'a> {
        crate::Meter {
            entry,
            billing: &self.billing,
        }
    }
}
