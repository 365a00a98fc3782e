//! Reconciling toward the catalog: every poll reads each service's desired
//! state and makes this process match it — loads the current version of a
//! running service (a failed load is retried only after the desired state
//! changes), unloads stopped and deleted services, and writes the observed
//! state back. Several serving processes on one catalog converge the same
//! way.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use pai_client::ServiceSpec;
use pai_store::{DesiredState, ServiceCatalog, ServiceRecord, ServiceState};

use crate::ServeError;
use crate::app::App;
use crate::registry::{LoadedVersion, ServiceSlot};

/// Reconciles every `interval` until the process ends.
pub async fn run_loop(app: Arc<App>, interval: Duration) {
    loop {
        if let Err(e) = reconcile_all(&app).await {
            tracing::warn!(error = %e, "reconcile pass failed");
        }
        app.ready.store(true, Ordering::Release);
        tokio::time::sleep(interval).await;
    }
}

/// One pass over every service of the catalog.
pub async fn reconcile_all(app: &Arc<App>) -> Result<(), ServeError> {
    let records = app.catalog(|c| c.list_services()).await?;
    let names: HashSet<String> = records.iter().map(|r| r.name.clone()).collect();
    for gone in app.registry.retain(&names) {
        app.metrics.forget(&gone);
        tracing::info!(service = %gone, "service deleted; unloaded");
    }
    let tasks: Vec<_> = records
        .into_iter()
        .map(|r| {
            let app = app.clone();
            tokio::spawn(async move { reconcile_service(&app, r).await })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    Ok(())
}

/// Reconciles one service unless a change of it is in progress.
pub async fn reconcile_service(app: &Arc<App>, record: ServiceRecord) {
    let slot = app
        .registry
        .ensure(&record.name, &record.token, record.state);
    let Ok(_guard) = slot.op.try_lock() else {
        return;
    };
    apply(app, &slot, &record).await;
}

/// Writes an observed state to the catalog, logging a failure.
async fn observe(app: &App, name: &str, state: ServiceState, reason: Option<String>) {
    let n = name.to_string();
    let r = app
        .catalog(move |c| c.set_state(&n, state, reason.as_deref()))
        .await;
    if let Err(e) = r {
        tracing::warn!(service = %name, error = %e, "cannot record the service state");
    }
}

/// Makes `slot` match `record`; the caller holds the slot's `op` lock.
async fn apply(app: &Arc<App>, slot: &ServiceSlot, record: &ServiceRecord) {
    let name = &record.name;
    if record.desired == DesiredState::Stopped {
        if slot.install(None).is_some() {
            tracing::info!(service = %name, "service stopped; unloaded");
        }
        slot.set_state(ServiceState::Stopped, None);
        if record.state != ServiceState::Stopped {
            observe(app, name, ServiceState::Stopped, None).await;
        }
        return;
    }
    let wanted = record.current_version;
    if slot.current().map(|v| v.version) == Some(wanted) {
        if slot.state().0 != ServiceState::Running {
            slot.set_state(ServiceState::Running, record.reason.clone());
        }
        if record.state != ServiceState::Running {
            observe(app, name, ServiceState::Running, record.reason.clone()).await;
        }
        return;
    }
    if slot.failed() == Some((record.generation, wanted)) {
        return;
    }
    let n = name.clone();
    let spec = match app.catalog(move |c| c.service_version(&n, wanted)).await {
        Ok(Some(v)) => ServiceSpec::from_json(v.spec),
        Ok(None) => Err(format!("version {wanted} is not in the catalog")),
        Err(e) => {
            tracing::warn!(service = %name, error = %e, "cannot read the service version");
            return;
        }
    };
    let loaded = match spec {
        Ok(spec) => app.load_version(name, wanted, spec).await,
        Err(e) => Err(e),
    };
    match loaded {
        Ok(v) => {
            slot.install(Some(v));
            slot.set_failed(None);
            slot.set_state(ServiceState::Running, None);
            tracing::info!(service = %name, version = wanted, "service running");
            observe(app, name, ServiceState::Running, None).await;
        }
        Err(reason) => {
            let reason = format!("version {wanted} cannot be served: {reason}");
            tracing::warn!(service = %name, version = wanted, reason = %reason, "service failed");
            slot.set_failed(Some((record.generation, wanted)));
            slot.set_state(ServiceState::Failed, Some(reason.clone()));
            observe(app, name, ServiceState::Failed, Some(reason)).await;
        }
    }
}

/// Installs a freshly loaded version and marks the slot running.
pub fn install(slot: &ServiceSlot, v: Arc<LoadedVersion>) {
    slot.install(Some(v));
    slot.set_failed(None);
    slot.set_state(ServiceState::Running, None);
}
