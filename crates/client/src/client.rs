//! [`AdminClient`]: a blocking client of the admin API. Each call runs an
//! async `reqwest` request on the client's private current-thread runtime,
//! so it may be used from any thread that is not itself inside a tokio
//! runtime.

use std::path::Path;
use std::time::{Duration, Instant};

use pai_core::ServerConfig;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::error::ClientError;
use crate::resolve::{resolve_admin_token, resolve_server_url};
use crate::spec::ServiceSpec;
use crate::status::{ErrorBody, RollbackRequest, ServiceStatus};
use crate::{ServiceState, UsageContext};

/// A client of one server's admin API.
pub struct AdminClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .finish()
    }
}

impl AdminClient {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8080`)
    /// sending `admin_token`.
    pub fn new(base_url: &str, admin_token: Option<String>) -> Result<Self, ClientError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Config(format!(
                "server address `{base}` must start with `http://` or `https://`"
            )));
        }
        // Building a client panics without a crypto provider; another
        // part of the process may have installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| ClientError::Config(format!("cannot build an HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Config(format!("cannot start the HTTP runtime: {e}")))?;
        Ok(AdminClient {
            base,
            token: admin_token,
            http,
            runtime,
        })
    }

    /// A client configured the usual way: the server from `server_flag`,
    /// `PAI_SERVER`, `[server] url` or the default; the admin token from
    /// `PAI_ADMIN_TOKEN`, `[server] admin_token` or the file
    /// `pai-engine serve` writes into `state_dir`.
    pub fn resolve(
        server_flag: Option<&str>,
        server: &ServerConfig,
        state_dir: &Path,
    ) -> Result<Self, ClientError> {
        let url = resolve_server_url(server_flag, server);
        AdminClient::new(&url, resolve_admin_token(server, state_dir))
    }

    /// The server address.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Creates a service; it starts `Creating` (see [`AdminClient::wait_for_state`]).
    pub fn create(&self, spec: &ServiceSpec) -> Result<ServiceStatus, ClientError> {
        self.call(Method::POST, "/api/v2/services", Some(json(spec)?))
    }

    /// One service.
    pub fn get(&self, name: &str) -> Result<ServiceStatus, ClientError> {
        self.call(Method::GET, &service_path(name, ""), None)
    }

    /// Every service, by name.
    pub fn list(&self) -> Result<Vec<ServiceStatus>, ClientError> {
        self.call(Method::GET, "/api/v2/services", None)
    }

    /// Updates a running service with `patch` (merged into its current
    /// description, typically a new `model_path`). Returns once the new
    /// version serves; a model that fails to load or check is an error
    /// and the old version keeps serving. `usage` says whom the update is
    /// metered to (`None`: the command line).
    pub fn update(
        &self,
        name: &str,
        patch: &serde_json::Value,
        usage: Option<&UsageContext>,
    ) -> Result<ServiceStatus, ClientError> {
        let mut body = match patch {
            serde_json::Value::Object(m) => m.clone(),
            _ => {
                return Err(ClientError::Config(
                    "an update must be a JSON object of the fields to change".into(),
                ));
            }
        };
        if let Some(u) = usage {
            body.insert(
                "usage".into(),
                serde_json::to_value(u).map_err(|e| ClientError::Config(e.to_string()))?,
            );
        }
        let bytes = serde_json::to_vec(&body).map_err(|e| ClientError::Config(e.to_string()))?;
        self.call(Method::PUT, &service_path(name, ""), Some(bytes))
    }

    /// Makes version `to` current, or without `to` the highest version
    /// below the current one. No version is added.
    pub fn rollback(&self, name: &str, to: Option<u32>) -> Result<ServiceStatus, ClientError> {
        let body = json(&RollbackRequest { version: to })?;
        self.call(Method::PUT, &service_path(name, "/version"), Some(body))
    }

    /// Stops a service.
    pub fn stop(&self, name: &str) -> Result<ServiceStatus, ClientError> {
        self.call(Method::POST, &service_path(name, "/stop"), None)
    }

    /// Starts a stopped (or failed) service.
    pub fn start(&self, name: &str) -> Result<ServiceStatus, ClientError> {
        self.call(Method::POST, &service_path(name, "/start"), None)
    }

    /// Deletes a service and its versions.
    pub fn delete(&self, name: &str) -> Result<(), ClientError> {
        let _: serde_json::Value = self.call(Method::DELETE, &service_path(name, ""), None)?;
        Ok(())
    }

    /// Polls the service until `until` holds, for at most `timeout`.
    pub fn wait_until(
        &self,
        name: &str,
        until: impl Fn(&ServiceStatus) -> bool,
        timeout: Duration,
    ) -> Result<ServiceStatus, ClientError> {
        let start = Instant::now();
        loop {
            let status = self.get(name)?;
            if until(&status) {
                return Ok(status);
            }
            if start.elapsed() >= timeout {
                return Err(ClientError::Timeout {
                    name: name.to_string(),
                    seconds: timeout.as_secs(),
                    state: status.state.to_string(),
                    reason: status.reason.map(|r| format!(": {r}")).unwrap_or_default(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the service is in `state`. Waiting for `Running`, a
    /// service that turns `Failed` is an error carrying its reason.
    pub fn wait_for_state(
        &self,
        name: &str,
        state: ServiceState,
        timeout: Duration,
    ) -> Result<ServiceStatus, ClientError> {
        let status = self.wait_until(
            name,
            |s| {
                s.state == state
                    || (state == ServiceState::Running && s.state == ServiceState::Failed)
            },
            timeout,
        )?;
        if status.state != state {
            return Err(ClientError::Api {
                status: 422,
                message: format!(
                    "service `{name}` failed: {}",
                    status.reason.as_deref().unwrap_or("no reason given")
                ),
            });
        }
        Ok(status)
    }

    fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let (status, bytes) = self
            .runtime
            .block_on(async move {
                let resp = req.send().await?;
                let status = resp.status();
                let bytes = resp.bytes().await?;
                Ok::<_, reqwest::Error>((status, bytes))
            })
            .map_err(|e| ClientError::Unreachable {
                url: url.clone(),
                message: e.to_string(),
            })?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| b.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).trim().to_string());
            let message = if status.as_u16() == 401 && self.token.is_none() {
                format!(
                    "{message}; no admin token is set: set `PAI_ADMIN_TOKEN` or `[server] admin_token`, or run this in the workspace whose `pai-engine serve` generated one"
                )
            } else {
                message
            };
            return Err(ClientError::Api {
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            url,
            message: e.to_string(),
        })
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(value).map_err(|e| ClientError::Config(e.to_string()))
}

/// `/api/v2/services/NAME` + `suffix`, with the name percent-encoded.
fn service_path(name: &str, suffix: &str) -> String {
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("/api/v2/services/{enc}{suffix}")
}
