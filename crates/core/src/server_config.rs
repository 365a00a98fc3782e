//! The `[server]` table of `pai-engine.toml`: where `pai-engine serve`
//! listens and how clients reach it. Its own type here, because both the
//! server and the admin client read it; the configuration file itself is
//! read by pai-store.

use serde::Deserialize;

/// The `[server]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The address clients call, e.g. `http://127.0.0.1:8080` (after
    /// `--server` and `PAI_SERVER`).
    pub url: Option<String>,
    /// The address `pai-engine serve` listens on (after `--listen`).
    pub listen: Option<String>,
    /// The admin token (after `PAI_ADMIN_TOKEN`).
    pub admin_token: Option<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: Option<u64>,
}
