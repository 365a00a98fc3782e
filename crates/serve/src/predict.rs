//! The EAS predict API: `POST /api/predict/{service}` with the service
//! token in `Authorization`; a JSON array of objects in, a JSON array of
//! objects out. No catalog access and no lock is held while scoring.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use pai_store::ServiceState;

use crate::ServeError;
use crate::app::App;
use crate::registry::{LoadedVersion, ServiceSlot};
use crate::rows::{parse_rows, write_rows};
use crate::status::{body, json_bytes};

/// Finds a service, checks the token and returns the version serving;
/// the errors are 404, 401 and 503 in that order.
pub fn serving(
    app: &App,
    name: &str,
    headers: &HeaderMap,
) -> Result<(Arc<ServiceSlot>, Arc<LoadedVersion>), ServeError> {
    let slot = app.registry.get(name).ok_or_else(|| {
        ServeError::NotFound(format!(
            "no service `{name}` is deployed on this server; `pai-engine services list` lists the services"
        ))
    })?;
    let given = headers.get(header::AUTHORIZATION).map(|h| h.as_bytes());
    if !crate::token::matches(given, &slot.token) {
        return Err(ServeError::Unauthorized(format!(
            "{} token for service `{name}`: send the service's token in the `Authorization` header (`pai-engine services show {name}` shows it)",
            if given.is_some() { "wrong" } else { "missing" }
        )));
    }
    let current = slot.current().ok_or_else(|| {
        let (state, reason) = slot.state();
        let why = match (state, reason) {
            (_, Some(r)) => format!(": {r}"),
            (ServiceState::Creating, None) => ": its model is still loading".to_string(),
            _ => String::new(),
        };
        ServeError::Unavailable(format!("service `{name}` is {state}{why}"))
    })?;
    Ok((slot, current))
}

/// Scores an EAS body with `v`; returns the answer and the rows scored.
pub fn score_rows(v: &LoadedVersion, bytes: &[u8]) -> Result<(Vec<u8>, usize), ServeError> {
    let model = &v.model;
    let batch = parse_rows(bytes, model.inputs(), &v.index, v.eas_defaults())
        .map_err(ServeError::BadRequest)?;
    let mut buf = Vec::with_capacity(16 + batch.rows * 48 * model.outputs().len().max(1));
    if model.write_answer(&batch, &mut buf).is_none() {
        let out = model
            .score(&batch)
            .map_err(|e| ServeError::BadRequest(format!("scoring failed: {e}")))?;
        write_rows(model.outputs(), &out, &mut buf);
    }
    Ok((buf, batch.rows))
}

/// `POST /api/predict/{service}`.
pub async fn predict(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    let (_slot, v) = match serving(&app, &name, &headers) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let start = Instant::now();
    let result = match body(b, app.max_body_bytes) {
        Ok(bytes) => {
            let _permit = match &v.limiter {
                Some(s) => s.acquire().await.ok(),
                None => None,
            };
            score_rows(&v, &bytes)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((buf, rows)) => {
            v.metrics.observe(start.elapsed(), rows, false);
            json_bytes(StatusCode::OK, buf)
        }
        Err(e) => {
            v.metrics.observe(start.elapsed(), 0, true);
            e.into_response()
        }
    }
}
