//! The one error type of `pai-serve`, and how each error answers over
//! HTTP: every variant has its own status; nothing answers 500.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pai_store::StoreError;

/// What can go wrong serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A malformed request: bad JSON, wrong types or shapes (400).
    #[error("{0}")]
    BadRequest(String),
    /// A missing or wrong token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// An unknown service, version or route (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the service's state (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// A model that failed to load or to pass its check (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The service exists but is not serving (503).
    #[error("{0}")]
    Unavailable(String),
    /// The catalog failed or refused (budget: 402; otherwise 503).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server cannot start as configured.
    #[error("{0}")]
    Config(String),
    /// A file operation failed (start-up only).
    #[error("`{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl ServeError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ServeError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            ServeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServeError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServeError::NotFound(_) => StatusCode::NOT_FOUND,
            ServeError::Conflict(_) => StatusCode::CONFLICT,
            ServeError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ServeError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ServeError::Store(StoreError::BudgetExceeded { .. }) => StatusCode::PAYMENT_REQUIRED,
            ServeError::Unavailable(_)
            | ServeError::Store(_)
            | ServeError::Config(_)
            | ServeError::Io { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A JSON error answer `{"error": message}` with `status`.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self, "request failed on the server side");
        }
        error_response(status, &self.to_string())
    }
}
