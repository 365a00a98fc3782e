//! Building the admin API's [`ServiceStatus`] from catalog records, and
//! the small response helpers the handlers share.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use pai_client::{ServiceSpec, ServiceStatus, VersionInfo};
use pai_store::{ServiceCatalog, ServiceRecord};

use crate::ServeError;
use crate::app::App;

/// `http://HOST` of the request (or the listen address).
pub fn base_url(app: &App, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or(&app.listen);
    format!("http://{host}")
}

/// The status of a service from its record and versions.
pub async fn status(
    app: &App,
    record: ServiceRecord,
    base: &str,
) -> Result<ServiceStatus, ServeError> {
    let name = record.name.clone();
    let versions = app.catalog(move |c| c.service_versions(&name)).await?;
    let mut infos = Vec::with_capacity(versions.len());
    let mut current: Option<ServiceSpec> = None;
    for v in versions {
        let spec = ServiceSpec::from_json(v.spec).map_err(|e| {
            ServeError::Unavailable(format!(
                "the catalog holds an unreadable description of `{}` version {}: {e}",
                record.name, v.version
            ))
        })?;
        infos.push(VersionInfo {
            version: v.version,
            model_path: spec.model_path.clone(),
            processor: spec.processor,
            source: v.source,
            created_at: v.created_at,
            current: v.version == record.current_version,
        });
        if v.version == record.current_version {
            current = Some(spec);
        }
    }
    let spec = current.ok_or_else(|| {
        ServeError::Unavailable(format!(
            "the catalog has no version {} of `{}`",
            record.current_version, record.name
        ))
    })?;
    Ok(ServiceStatus {
        endpoint: format!("{base}/api/predict/{}", record.name),
        name: record.name,
        state: record.state,
        reason: record.reason,
        version: record.current_version,
        latest_version: record.latest_version,
        desired: record.desired.as_str().to_string(),
        token: record.token,
        model_path: spec.model_path,
        processor: spec.processor,
        metadata: spec.metadata,
        missing_values: spec.missing_values,
        created_at: record.created_at,
        updated_at: record.updated_at,
        versions: infos,
    })
}

/// A JSON response.
pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_bytes(status, body),
        Err(e) => ServeError::Unavailable(format!("cannot encode the answer: {e}")).into_response(),
    }
}

/// A response of JSON bytes.
pub fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = (status, Bytes::from(body)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The request body, or the error its reading hit (413 over the limit).
pub fn body(
    b: Result<Bytes, axum::extract::rejection::BytesRejection>,
    limit: usize,
) -> Result<Bytes, ServeError> {
    b.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServeError::TooLarge(format!(
                "the request body is larger than the limit of {limit} bytes (`[server] max_body_bytes`, or `serve --max-body-bytes`)"
            ))
        } else {
            ServeError::BadRequest(format!("cannot read the request body: {e}"))
        }
    })
}
