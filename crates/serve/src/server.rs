//! The server: the router of every endpoint, and [`run`], which opens the
//! workspace, binds the listener, starts the reconcile loop and serves on
//! a multi-threaded tokio runtime until Ctrl-C (`TCP_NODELAY` on every
//! connection).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use pai_store::{Billing, Store, Workspace};

use crate::app::App;
use crate::error::error_response;
use crate::metrics::Metrics;
use crate::model::load::Loader;
use crate::registry::Registry;
use crate::routes::ROUTES;
use crate::status::json;
use crate::{ServeError, reconcile};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on (`127.0.0.1:8080`; port 0 picks one).
    pub listen: String,
    /// The admin token.
    pub admin_token: String,
    /// The largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// How often the catalog is polled.
    pub poll_interval: Duration,
    /// Worker threads (default: the CPU cores).
    pub workers: Option<usize>,
}

/// The default body limit: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;

/// The router of every route of [`ROUTES`].
pub fn router(app: Arc<App>) -> Router {
    let limit = app.max_body_bytes;
    let mut router = Router::new();
    for r in ROUTES {
        // Routes on the same path merge into one method router.
        router = router.route(r.path, (r.handler)(r.verb.filter()));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    let text = app.metrics.render(&app.registry.states());
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    resp
}

pub(crate) async fn openapi() -> Response {
    json(StatusCode::OK, &crate::openapi::document())
}

async fn not_found(uri: Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        &format!(
            "no route `{}`; `/openapi.json` describes the endpoints",
            uri.path()
        ),
    )
}

async fn method_not_allowed(uri: Uri) -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "`{}` does not take this method; `/openapi.json` describes the endpoints",
            uri.path()
        ),
    )
}

/// Serves `ws` until Ctrl-C. `on_bound` is called with the bound address
/// once the listener is open.
pub fn run(
    ws: &Workspace,
    opts: ServeOptions,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    // The store owns a runtime of its own: it is created and dropped here,
    // outside the server's runtime.
    let store = Arc::new(Store::open(ws)?);
    let catalog = Arc::new(ws.catalog()?);
    let billing = Billing::from_config(&ws.config)
        .map_err(|e| ServeError::Config(format!("`[billing]`/`[budget]`: {e}")))?;
    let base_dir = ws
        .config_path
        .as_ref()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .or_else(|| ws.state_dir.parent().map(PathBuf::from))
        .unwrap_or_default();
    let loader = Arc::new(Loader::new(
        store.clone(),
        base_dir,
        ws.state_dir.join("tmp"),
    ));
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = opts.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| ServeError::Config(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&opts.listen)
            .await
            .map_err(|e| ServeError::Config(format!("cannot listen on `{}`: {e}", opts.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Config(format!("cannot read the bound address: {e}")))?;
        let app = Arc::new(App {
            catalog,
            loader,
            registry: Registry::default(),
            metrics: Metrics::default(),
            admin_token: opts.admin_token.clone(),
            billing,
            default_project: ws.default_project().to_string(),
            max_body_bytes: opts.max_body_bytes,
            listen: addr.to_string(),
            ready: AtomicBool::new(false),
        });
        tokio::spawn(reconcile::run_loop(app.clone(), opts.poll_interval));
        on_bound(addr);
        tracing::info!(addr = %addr, "serving");
        // Answers go out as soon as they are written: without this, the
        // last segment of a multi-segment answer can wait for the client's
        // delayed ACK (Nagle's algorithm).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, router(app))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| ServeError::Config(format!("the server stopped: {e}")))
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    drop(store);
    result
}
