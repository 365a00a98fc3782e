//! [`App`]: what every handler shares — the catalog, the model loader,
//! the registry of loaded services, the metrics and the settings — and the
//! helpers that run blocking work (catalog writes, model loads) off the
//! async workers.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use pai_client::ServiceSpec;
use pai_store::{Billing, SqliteCatalog, StoreError};

use crate::ServeError;
use crate::metrics::Metrics;
use crate::model::ServingModel;
use crate::model::load::Loader;
use crate::registry::{LoadedVersion, Registry};

/// The shared state of the server.
pub struct App {
    /// The catalog (desired and observed service states, versions).
    pub catalog: Arc<SqliteCatalog>,
    /// Loads models.
    pub loader: Arc<Loader>,
    /// The services of this process.
    pub registry: Registry,
    /// The counters.
    pub metrics: Metrics,
    /// The admin token.
    pub admin_token: String,
    /// Prices and budget, for metering updates.
    pub billing: Billing,
    /// The project metered updates are charged to when they name none.
    pub default_project: String,
    /// The largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The address served, for endpoints when a request names no host.
    pub listen: String,
    /// Set once the first reconcile pass is done.
    pub ready: AtomicBool,
}

impl App {
    /// Runs `f` on the catalog on a blocking thread.
    pub async fn catalog<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SqliteCatalog) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ServeError> {
        let cat = self.catalog.clone();
        tokio::task::spawn_blocking(move || f(&cat))
            .await
            .map_err(|e| ServeError::Unavailable(format!("catalog task failed: {e}")))?
            .map_err(ServeError::from)
    }

    /// Loads and checks the model of `spec` on a blocking thread.
    pub async fn load_model(&self, spec: &ServiceSpec) -> Result<Arc<dyn ServingModel>, String> {
        let loader = self.loader.clone();
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || loader.load(&spec))
            .await
            .map_err(|e| format!("the model load crashed: {e}"))?
    }

    /// Loads version `version` of `name` described by `spec`, ready to
    /// install.
    pub async fn load_version(
        &self,
        name: &str,
        version: u32,
        spec: ServiceSpec,
    ) -> Result<Arc<LoadedVersion>, String> {
        let model = self.load_model(&spec).await?;
        let metrics = self.metrics.version(name, version);
        Ok(Arc::new(LoadedVersion::new(version, spec, model, metrics)))
    }
}
