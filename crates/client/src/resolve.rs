//! Where clients find the server and its admin token: `--server`, then
//! `PAI_SERVER`, then `[server] url` in `pai-engine.toml`, then
//! [`DEFAULT_SERVER`]; the token from `PAI_ADMIN_TOKEN`, then
//! `[server] admin_token`, then the file `pai-engine serve` writes into the
//! state directory when neither is set.

use std::path::{Path, PathBuf};

use pai_core::ServerConfig;

/// The server address used when nothing else names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";
/// The environment variable naming the server address.
pub const SERVER_ENV: &str = "PAI_SERVER";
/// The environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "PAI_ADMIN_TOKEN";
/// The file (in the state directory) holding a generated admin token.
pub const ADMIN_TOKEN_FILE: &str = "admin_token";

/// The generated admin token's file in `state_dir`.
pub fn admin_token_path(state_dir: &Path) -> PathBuf {
    state_dir.join(ADMIN_TOKEN_FILE)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The server address, without a trailing `/`.
pub fn resolve_server_url(flag: Option<&str>, server: &ServerConfig) -> String {
    let url = flag
        .map(str::to_string)
        .or_else(|| env(SERVER_ENV))
        .or_else(|| server.url.clone())
        .unwrap_or_else(|| DEFAULT_SERVER.to_string());
    url.trim().trim_end_matches('/').to_string()
}

/// The admin token, if any source has one.
pub fn resolve_admin_token(server: &ServerConfig, state_dir: &Path) -> Option<String> {
    env(ADMIN_TOKEN_ENV)
        .or_else(|| server.admin_token.clone())
        .or_else(|| {
            std::fs::read_to_string(admin_token_path(state_dir))
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        })
}
