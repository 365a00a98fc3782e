//! The services this process serves: one [`ServiceSlot`] per catalog
//! service, holding the loaded version behind a swap-able `Arc`. A request
//! clones the `Arc` under a read lock held for nanoseconds and scores
//! without any lock, so an update's swap is atomic: requests already
//! holding the old version finish on it, later ones see only the new one.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use pai_client::{MissingValues, ServiceSpec};
use pai_store::ServiceState;

use crate::metrics::VersionMetrics;
use crate::model::{FieldIndex, ServingModel};

/// A loaded, checked version of a service.
pub struct LoadedVersion {
    /// The version number.
    pub version: u32,
    /// Its description.
    pub spec: ServiceSpec,
    /// The model.
    pub model: Arc<dyn ServingModel>,
    /// The model's input fields by name.
    pub index: FieldIndex,
    /// Its counters.
    pub metrics: Arc<VersionMetrics>,
    /// At most `metadata.instance` requests score at once.
    pub limiter: Option<tokio::sync::Semaphore>,
}

impl LoadedVersion {
    /// Wraps a loaded model.
    pub fn new(
        version: u32,
        spec: ServiceSpec,
        model: Arc<dyn ServingModel>,
        metrics: Arc<VersionMetrics>,
    ) -> Self {
        let index = FieldIndex::new(model.inputs());
        let limiter = spec
            .metadata
            .instance
            .map(|n| tokio::sync::Semaphore::new(n.max(1) as usize));
        LoadedVersion {
            version,
            spec,
            model,
            index,
            metrics,
            limiter,
        }
    }

    /// Whether missing fields get EAS's type defaults.
    pub fn eas_defaults(&self) -> bool {
        self.spec.missing_values == MissingValues::EasDefaults
    }
}

/// One service of this process.
pub struct ServiceSlot {
    /// The service name.
    pub name: String,
    /// The token predictions must carry.
    pub token: String,
    current: RwLock<Option<Arc<LoadedVersion>>>,
    state: RwLock<(ServiceState, Option<String>)>,
    /// Serializes changes (create, update, rollback, stop, start, delete,
    /// reconcile) of this service; never taken by predictions.
    pub op: tokio::sync::Mutex<()>,
    /// `(generation, version)` of the last load that failed, so the
    /// reconciler retries only after the desired state changes.
    failed: Mutex<Option<(u64, u32)>>,
}

impl ServiceSlot {
    fn new(name: &str, token: &str, state: ServiceState) -> Self {
        ServiceSlot {
            name: name.to_string(),
            token: token.to_string(),
            current: RwLock::new(None),
            state: RwLock::new((state, None)),
            op: tokio::sync::Mutex::new(()),
            failed: Mutex::new(None),
        }
    }

    /// The version serving now.
    pub fn current(&self) -> Option<Arc<LoadedVersion>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Swaps in `next` (or nothing); returns the version it replaced.
    pub fn install(&self, next: Option<Arc<LoadedVersion>>) -> Option<Arc<LoadedVersion>> {
        let mut cur = self.current.write().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *cur, next)
    }

    /// The observed state and reason.
    pub fn state(&self) -> (ServiceState, Option<String>) {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records the observed state.
    pub fn set_state(&self, state: ServiceState, reason: Option<String>) {
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = (state, reason);
    }

    /// The last failed load.
    pub fn failed(&self) -> Option<(u64, u32)> {
        *self.failed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records (or clears) a failed load.
    pub fn set_failed(&self, failed: Option<(u64, u32)>) {
        *self.failed.lock().unwrap_or_else(|p| p.into_inner()) = failed;
    }
}

/// Every service slot, by name.
#[derive(Default)]
pub struct Registry {
    slots: RwLock<HashMap<String, Arc<ServiceSlot>>>,
}

impl Registry {
    /// The slot of `name`.
    pub fn get(&self, name: &str) -> Option<Arc<ServiceSlot>> {
        self.slots
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// The slot of `name`, created (or replaced, when the token differs:
    /// the service was deleted and created again) as needed.
    pub fn ensure(&self, name: &str, token: &str, state: ServiceState) -> Arc<ServiceSlot> {
        if let Some(s) = self.get(name).filter(|s| s.token == token) {
            return s;
        }
        let mut map = self.slots.write().unwrap_or_else(|p| p.into_inner());
        match map.get(name) {
            Some(s) if s.token == token => s.clone(),
            _ => {
                let s = Arc::new(ServiceSlot::new(name, token, state));
                map.insert(name.to_string(), s.clone());
                s
            }
        }
    }

    /// Drops the slot of `name`.
    pub fn remove(&self, name: &str) -> Option<Arc<ServiceSlot>> {
        self.slots
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
    }

    /// Drops every slot whose name is not in `keep`; returns their names.
    pub fn retain(&self, keep: &HashSet<String>) -> Vec<String> {
        let mut map = self.slots.write().unwrap_or_else(|p| p.into_inner());
        let gone: Vec<String> = map.keys().filter(|k| !keep.contains(*k)).cloned().collect();
        for g in &gone {
            map.remove(g);
        }
        gone
    }

    /// Every service's observed state, by name.
    pub fn states(&self) -> Vec<(String, ServiceState)> {
        let map = self.slots.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<(String, ServiceState)> = map
            .values()
            .map(|s| (s.name.clone(), s.state().0))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}
