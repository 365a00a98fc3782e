//! The KServe V2 / Open Inference Protocol endpoints: server liveness,
//! readiness and metadata without a token; model metadata, readiness and
//! inference with the service's token, as the EAS API. Each service is a
//! model; its current version is the one version available.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::ServeError;
use crate::app::App;
use crate::predict::serving;
use crate::registry::LoadedVersion;
use crate::status::{body, json};
use crate::v2_answer::encode;
use crate::v2_codec::decode;

/// The header giving the JSON part's length in binary-data requests.
const HEADER_LEN: &str = "inference-header-content-length";

/// `GET /v2`.
pub async fn server_metadata() -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "name": "pai-engine",
            "version": pai_core::ENGINE_VERSION,
            "extensions": ["binary_tensor_data"],
        }),
    )
}

/// `GET /v2/health/live`.
pub async fn live() -> StatusCode {
    StatusCode::OK
}

/// `GET /v2/health/ready`: once the first reconcile pass is done.
pub async fn ready(State(app): State<Arc<App>>) -> StatusCode {
    if app.ready.load(Ordering::Acquire) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// The serving version of `name`, checked against a requested version.
fn model(
    app: &App,
    name: &str,
    version: Option<&str>,
    headers: &HeaderMap,
) -> Result<Arc<LoadedVersion>, ServeError> {
    let (_, v) = serving(app, name, headers)?;
    if let Some(want) = version
        && want != v.version.to_string()
    {
        return Err(ServeError::NotFound(format!(
            "model `{name}` has no version `{want}` loaded; version {} serves",
            v.version
        )));
    }
    Ok(v)
}

fn metadata_of(name: &str, v: &LoadedVersion) -> Response {
    let tensor =
        |n: &str, dt: &str| serde_json::json!({ "name": n, "datatype": dt, "shape": [-1] });
    json(
        StatusCode::OK,
        &serde_json::json!({
            "name": name,
            "versions": [v.version.to_string()],
            "platform": v.model.platform(),
            "inputs": v.model.inputs().iter().map(|f| tensor(&f.name, f.kind.v2_datatype())).collect::<Vec<_>>(),
            "outputs": v.model.outputs().iter().map(|f| tensor(&f.name, f.kind.v2_datatype())).collect::<Vec<_>>(),
        }),
    )
}

/// `GET /v2/models/{name}`.
pub async fn metadata(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ServeError> {
    let v = model(&app, &name, None, &headers)?;
    Ok(metadata_of(&name, &v))
}

/// `GET /v2/models/{name}/versions/{version}`.
pub async fn metadata_version(
    State(app): State<Arc<App>>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServeError> {
    let v = model(&app, &name, Some(&version), &headers)?;
    Ok(metadata_of(&name, &v))
}

/// `GET /v2/models/{name}/ready`.
pub async fn model_ready(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ServeError> {
    model(&app, &name, None, &headers).map(|_| StatusCode::OK)
}

/// `GET /v2/models/{name}/versions/{version}/ready`.
pub async fn model_version_ready(
    State(app): State<Arc<App>>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ServeError> {
    model(&app, &name, Some(&version), &headers).map(|_| StatusCode::OK)
}

/// `POST /v2/models/{name}/infer`.
pub async fn infer(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    run_infer(&app, &name, None, &headers, b).await
}

/// `POST /v2/models/{name}/versions/{version}/infer`.
pub async fn infer_version(
    State(app): State<Arc<App>>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    run_infer(&app, &name, Some(&version), &headers, b).await
}

async fn run_infer(
    app: &App,
    name: &str,
    version: Option<&str>,
    headers: &HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match model(app, name, version, headers) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let start = Instant::now();
    let _permit = match &v.limiter {
        Some(s) => s.acquire().await.ok(),
        None => None,
    };
    match infer_body(app, name, &v, headers, b) {
        Ok((resp, rows)) => {
            v.metrics.observe(start.elapsed(), rows, false);
            resp
        }
        Err(e) => {
            v.metrics.observe(start.elapsed(), 0, true);
            e.into_response()
        }
    }
}

fn infer_body(
    app: &App,
    name: &str,
    v: &LoadedVersion,
    headers: &HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<(Response, usize), ServeError> {
    let bytes = body(b, app.max_body_bytes)?;
    let header_len = match headers.get(HEADER_LEN) {
        None => None,
        Some(h) => Some(
            h.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .ok_or_else(|| {
                    ServeError::BadRequest(
                        "`Inference-Header-Content-Length` must be a whole number".into(),
                    )
                })?,
        ),
    };
    let model = &v.model;
    let req = decode(
        &bytes,
        header_len,
        model.inputs(),
        &v.index,
        model.outputs(),
        v.eas_defaults(),
    )
    .map_err(ServeError::BadRequest)?;
    let out = model
        .score(&req.batch)
        .map_err(|e| ServeError::BadRequest(format!("scoring failed: {e}")))?;
    let (body, json_len) = encode(
        name,
        v.version,
        req.id.as_ref(),
        model.outputs(),
        &out,
        &req.outputs,
    );
    let mut resp = (StatusCode::OK, Bytes::from(body)).into_response();
    let h = resp.headers_mut();
    match json_len {
        Some(n) => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            h.insert(HEADER_LEN, HeaderValue::from(n));
        }
        None => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
    }
    Ok((resp, req.batch.rows))
}
