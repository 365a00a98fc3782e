//! The admin API (`/api/v2/services…`, admin token required): create,
//! list, show, update, roll back, stop, start and delete services. Every
//! change of a service holds its `op` lock, so changes of one service
//! never interleave; predictions never take that lock.

use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use pai_client::{RollbackRequest, ServiceSpec, UsageContext};
use pai_core::{UsageClass, UsageEntry};
use pai_store::{DesiredState, Meter, ServiceCatalog, ServiceRecord, ServiceState, UsageLedger};
use serde_json::{Map, Value};

use crate::ServeError;
use crate::app::App;
use crate::reconcile::{install, reconcile_service};
use crate::registry::{LoadedVersion, ServiceSlot};
use crate::status::{base_url, body, json, status};

type Result<T> = std::result::Result<T, ServeError>;
type Body = std::result::Result<Bytes, BytesRejection>;

/// Refuses a request without the admin token.
fn authorize(app: &App, headers: &HeaderMap) -> Result<()> {
    let given = headers.get(header::AUTHORIZATION).map(|h| h.as_bytes());
    if crate::token::matches(given, &app.admin_token) {
        Ok(())
    } else if given.is_none() {
        Err(ServeError::Unauthorized(
            "the admin API needs the admin token: send `Authorization: Bearer <token>`".into(),
        ))
    } else {
        Err(ServeError::Unauthorized("the admin token is wrong".into()))
    }
}

fn unknown(name: &str) -> ServeError {
    ServeError::NotFound(format!(
        "no service `{name}`; `pai-engine services list` (`GET /api/v2/services`) lists the services"
    ))
}

async fn record(app: &App, name: &str) -> Result<ServiceRecord> {
    let n = name.to_string();
    app.catalog(move |c| c.get_service(&n))
        .await?
        .ok_or_else(|| unknown(name))
}

/// `200 OK` with the status of the service `rec`.
async fn ok_status(app: &App, rec: ServiceRecord, headers: &HeaderMap) -> Result<Response> {
    Ok(json(
        StatusCode::OK,
        &status(app, rec, &base_url(app, headers)).await?,
    ))
}

/// The slot of a catalog service (made when this process has none yet).
async fn slot(app: &App, name: &str) -> Result<Arc<ServiceSlot>> {
    if let Some(s) = app.registry.get(name) {
        return Ok(s);
    }
    let r = record(app, name).await?;
    Ok(app.registry.ensure(&r.name, &r.token, r.state))
}

fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ServeError::BadRequest(
            "the body must be a JSON object".into(),
        )),
        Err(e) => Err(ServeError::BadRequest(format!("malformed JSON: {e}"))),
    }
}

/// The description as the catalog stores it (the token lives apart).
fn stored(spec: &ServiceSpec) -> Result<Value> {
    let mut s = spec.clone();
    s.token = None;
    serde_json::to_value(&s).map_err(|e| ServeError::BadRequest(e.to_string()))
}

/// `POST /api/v2/services`.
pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, b: Body) -> Result<Response> {
    authorize(&app, &headers)?;
    let bytes = body(b, app.max_body_bytes)?;
    let spec = ServiceSpec::from_json(Value::Object(parse_object(&bytes)?))
        .map_err(ServeError::BadRequest)?;
    let token = spec
        .token
        .clone()
        .unwrap_or_else(crate::token::generate_token);
    let value = stored(&spec)?;
    let (name, t) = (spec.name.clone(), token.clone());
    let rec = app
        .catalog(move |c| c.create_service(&name, &t, &value))
        .await?
        .ok_or_else(|| {
            ServeError::Conflict(format!(
                "service `{0}` already exists; update it with `pai-engine services update {0} --json FILE` (`PUT /api/v2/services/{0}`), or delete it first with `pai-engine services delete {0}`",
                spec.name
            ))
        })?;
    tracing::info!(service = %rec.name, model_path = %spec.model_path, "service created");
    app.registry.ensure(&rec.name, &rec.token, rec.state);
    let task_app = app.clone();
    let task_rec = rec.clone();
    tokio::spawn(async move { reconcile_service(&task_app, task_rec).await });
    Ok(json(
        StatusCode::CREATED,
        &status(&app, rec, &base_url(&app, &headers)).await?,
    ))
}

/// `GET /api/v2/services`.
pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response> {
    authorize(&app, &headers)?;
    let base = base_url(&app, &headers);
    let records = app.catalog(|c| c.list_services()).await?;
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        out.push(status(&app, r, &base).await?);
    }
    Ok(json(StatusCode::OK, &out))
}

/// `GET /api/v2/services/{name}`.
pub async fn show(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&app, &headers)?;
    let r = record(&app, &name).await?;
    ok_status(&app, r, &headers).await
}

/// RFC 7396 JSON merge patch.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge(t.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p,
    }
}

/// `PUT /api/v2/services/{name}`: a partial description merged into the
/// current one; the new version loads and is checked while the old one
/// serves, then replaces it atomically.
pub async fn update(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    b: Body,
) -> Result<Response> {
    authorize(&app, &headers)?;
    let mut patch = parse_object(&body(b, app.max_body_bytes)?)?;
    let usage = match patch.remove("usage") {
        None | Some(Value::Null) => None,
        Some(u) => Some(serde_json::from_value::<UsageContext>(u).map_err(|e| {
            ServeError::BadRequest(format!(
                "invalid `usage` (project, pipeline, run_id, node): {e}"
            ))
        })?),
    };
    if patch.contains_key("token") {
        return Err(ServeError::BadRequest(
            "a service's `token` cannot be changed by an update".into(),
        ));
    }
    if patch
        .get("name")
        .is_some_and(|n| n.as_str() != Some(name.as_str()))
    {
        return Err(ServeError::BadRequest(format!(
            "`name` cannot be changed by an update (the service is `{name}`)"
        )));
    }
    let slot = slot(&app, &name).await?;
    let _guard = slot.op.lock().await;
    let rec = record(&app, &name).await?;
    if rec.state != ServiceState::Running || slot.current().is_none() {
        let why = rec
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        return Err(ServeError::Conflict(format!(
            "service `{name}` is {}{why}; only a Running service can be updated",
            rec.state
        )));
    }
    let (n, v) = (name.clone(), rec.current_version);
    let mut spec_value = app
        .catalog(move |c| c.service_version(&n, v))
        .await?
        .ok_or_else(|| {
            ServeError::Unavailable(format!("the catalog lost version {v} of `{name}`"))
        })?
        .spec;
    merge(&mut spec_value, Value::Object(patch));
    let spec = ServiceSpec::from_json(spec_value).map_err(ServeError::BadRequest)?;
    let value = stored(&spec)?;
    let entry = UsageEntry {
        class: UsageClass::ServiceUpdate,
        operation: if usage.is_some() {
            "update_eas_service"
        } else {
            "services update"
        }
        .into(),
        context: usage.unwrap_or_else(|| UsageContext::cli(&app.default_project)),
        succeeded: true,
    };
    let back_to_running = |reason: Option<String>| {
        let app = app.clone();
        let name = name.clone();
        async move {
            let n = name.clone();
            let r = reason.clone();
            let _ = app
                .catalog(move |c| c.set_state(&n, ServiceState::Running, r.as_deref()))
                .await;
            if let Some(s) = app.registry.get(&name) {
                s.set_state(ServiceState::Running, reason);
            }
        }
    };
    slot.set_state(ServiceState::Updating, None);
    let n = name.clone();
    app.catalog(move |c| c.set_state(&n, ServiceState::Updating, None))
        .await?;
    tracing::info!(service = %name, model_path = %spec.model_path, "update: loading the new version");
    let model = match app.load_model(&spec).await {
        Ok(m) => m,
        Err(reason) => {
            let message = format!(
                "update of service `{name}` failed, version {} keeps serving: {reason}",
                rec.current_version
            );
            tracing::warn!(service = %name, reason = %reason, "update failed");
            back_to_running(Some(message.clone())).await;
            let failed = UsageEntry {
                succeeded: false,
                ..entry
            };
            let _ = app
                .catalog(move |c| c.record_at(&failed, pai_store::now()))
                .await;
            return Err(ServeError::Unprocessable(message));
        }
    };
    let meter_app = app.clone();
    let n = name.clone();
    let committed = app
        .catalog(move |c| {
            let meter = Meter {
                entry: &entry,
                billing: &meter_app.billing,
            };
            c.commit_version(&n, &value, Some(&meter))
        })
        .await;
    let new = match committed {
        Ok(Some(r)) => r,
        Ok(None) => return Err(unknown(&name)),
        Err(e) => {
            back_to_running(Some(format!("update refused: {e}"))).await;
            return Err(e);
        }
    };
    let metrics = app.metrics.version(&name, new.current_version);
    install(
        &slot,
        Arc::new(LoadedVersion::new(
            new.current_version,
            spec,
            model,
            metrics,
        )),
    );
    tracing::info!(service = %name, version = new.current_version, "update committed; new version serving");
    ok_status(&app, new, &headers).await
}

/// `PUT /api/v2/services/{name}/version`: makes `{"version": V}` (or,
/// without it, the highest version below the current one) current again.
/// The version pointer moves; no version is added.
pub async fn rollback(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    b: Body,
) -> Result<Response> {
    authorize(&app, &headers)?;
    let bytes = body(b, app.max_body_bytes)?;
    let req: RollbackRequest = if bytes.trim_ascii().is_empty() {
        RollbackRequest::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|e| {
            ServeError::BadRequest(format!(
                "invalid rollback request, expected {{\"version\": N}}: {e}"
            ))
        })?
    };
    let slot = slot(&app, &name).await?;
    let _guard = slot.op.lock().await;
    let rec = record(&app, &name).await?;
    if rec.desired == DesiredState::Stopped {
        return Err(ServeError::Conflict(format!(
            "service `{name}` is Stopped; start it before rolling back"
        )));
    }
    let n = name.clone();
    let versions = app.catalog(move |c| c.service_versions(&n)).await?;
    let target = match req.version {
        Some(v) => v,
        None => versions
            .iter()
            .map(|v| v.version)
            .filter(|v| *v < rec.current_version)
            .max()
            .ok_or_else(|| {
                ServeError::Conflict(format!(
                    "service `{name}` is at version {}; there is no earlier version to roll back to",
                    rec.current_version
                ))
            })?,
    };
    let Some(found) = versions.iter().find(|v| v.version == target) else {
        let listed: Vec<String> = versions.iter().map(|v| v.version.to_string()).collect();
        return Err(ServeError::NotFound(format!(
            "service `{name}` has no version {target}; its versions are {}",
            listed.join(", ")
        )));
    };
    if target == rec.current_version && slot.current().is_some_and(|v| v.version == target) {
        return ok_status(&app, rec, &headers).await;
    }
    let spec = ServiceSpec::from_json(found.spec.clone()).map_err(ServeError::Unavailable)?;
    let previous = slot.state();
    slot.set_state(ServiceState::Updating, None);
    let model = match app.load_model(&spec).await {
        Ok(m) => m,
        Err(reason) => {
            slot.set_state(previous.0, previous.1);
            return Err(ServeError::Unprocessable(format!(
                "rollback of service `{name}` to version {target} failed; nothing changed: {reason}"
            )));
        }
    };
    let n = name.clone();
    let new = app
        .catalog(move |c| c.set_current_version(&n, target))
        .await?
        .ok_or_else(|| unknown(&name))?;
    let metrics = app.metrics.version(&name, target);
    install(
        &slot,
        Arc::new(LoadedVersion::new(target, spec, model, metrics)),
    );
    tracing::info!(service = %name, version = target, "rolled back");
    ok_status(&app, new, &headers).await
}

/// `POST /api/v2/services/{name}/stop`.
pub async fn stop(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&app, &headers)?;
    let slot = slot(&app, &name).await?;
    let _guard = slot.op.lock().await;
    let n = name.clone();
    let rec = app
        .catalog(move |c| c.set_desired(&n, DesiredState::Stopped, ServiceState::Stopped))
        .await?
        .ok_or_else(|| unknown(&name))?;
    slot.install(None);
    slot.set_state(ServiceState::Stopped, None);
    tracing::info!(service = %name, "service stopped");
    ok_status(&app, rec, &headers).await
}

/// `POST /api/v2/services/{name}/start`.
pub async fn start(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&app, &headers)?;
    let slot = slot(&app, &name).await?;
    let rec = {
        let _guard = slot.op.lock().await;
        let rec = record(&app, &name).await?;
        let serving = slot
            .current()
            .is_some_and(|v| v.version == rec.current_version);
        if rec.desired == DesiredState::Running && serving {
            rec
        } else {
            let n = name.clone();
            let rec = app
                .catalog(move |c| c.set_desired(&n, DesiredState::Running, ServiceState::Creating))
                .await?
                .ok_or_else(|| unknown(&name))?;
            slot.set_failed(None);
            slot.set_state(ServiceState::Creating, None);
            let task_app = app.clone();
            let task_rec = rec.clone();
            tokio::spawn(async move { reconcile_service(&task_app, task_rec).await });
            rec
        }
    };
    ok_status(&app, rec, &headers).await
}

/// `DELETE /api/v2/services/{name}`.
pub async fn delete(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&app, &headers)?;
    let slot = slot(&app, &name).await?;
    let _guard = slot.op.lock().await;
    let n = name.clone();
    if !app.catalog(move |c| c.delete_service(&n)).await? {
        return Err(unknown(&name));
    }
    app.registry.remove(&name);
    slot.install(None);
    app.metrics.forget(&name);
    tracing::info!(service = %name, "service deleted");
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "deleted": name }),
    ))
}
