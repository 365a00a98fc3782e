//! `pai-engine.toml`: the workspace configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use pai_core::ServerConfig;

use crate::StoreError;

/// The workspace configuration. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The project used when a manifest names none.
    pub default_project: Option<String>,
    /// OSS buckets by name (`oss://NAME/...`); an unlisted bucket is a
    /// local directory `.pai/oss/NAME`.
    #[serde(default)]
    pub buckets: BTreeMap<String, BucketConfig>,
    /// RAM roles by name: what each may read and write.
    #[serde(default)]
    pub roles: BTreeMap<String, RoleConfig>,
    /// `[server]`: where the serving process listens and how clients reach it.
    #[serde(default)]
    pub server: ServerConfig,
    /// `[billing]`: prices, free tiers and the timezone of billing months.
    #[serde(default)]
    pub billing: BillingConfig,
    /// `[budget]`: an optional monthly spending limit.
    #[serde(default)]
    pub budget: BudgetConfig,
    /// `[scheduler]`: settings of the cron trigger.
    #[serde(default)]
    pub scheduler: SchedulerConfig,
}

/// A decimal amount as written in the config: a string (`"0.001"`,
/// exact) or a TOML number (read back through its shortest decimal form).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum DecimalText {
    /// `"0.001"`.
    Text(String),
    /// `0.001`.
    Number(f64),
    /// `100`.
    Integer(i64),
}

impl DecimalText {
    /// The amount's decimal text.
    pub fn text(&self) -> String {
        match self {
            DecimalText::Text(s) => s.trim().to_string(),
            DecimalText::Number(f) => format!("{f}"),
            DecimalText::Integer(i) => i.to_string(),
        }
    }
}

/// The `[billing]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingConfig {
    /// The IANA timezone whose calendar months bound the free tier
    /// (default `UTC`).
    pub timezone: Option<String>,
    /// The currency code printed with amounts (default `CNY`).
    pub currency: Option<String>,
    /// Price overrides per class: `offline_model`, `lorenz_curve`,
    /// `service_update`.
    #[serde(default)]
    pub prices: BTreeMap<String, PriceConfig>,
}

/// One `[billing.prices.CLASS]` table; unset keys keep the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// The input price of one request.
    pub input: Option<DecimalText>,
    /// The output price of one request.
    pub output: Option<DecimalText>,
    /// The requests free each month.
    pub free_per_month: Option<u64>,
}

/// The `[budget]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    /// The most the month's bill may reach; a billable operation that
    /// would pass it is refused before it runs.
    pub monthly_limit: Option<DecimalText>,
}

/// The `[scheduler]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// How long a trigger's lease on a schedule lasts, in seconds.
    pub lease_seconds: Option<u64>,
}

/// Where a bucket lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketKind {
    /// A local directory.
    #[default]
    Local,
    /// An S3-compatible endpoint (Alibaba OSS, MinIO, AWS S3).
    S3,
}

/// One `[buckets.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    /// `local` (default) or `s3`.
    #[serde(default)]
    pub kind: BucketKind,
    /// For `local`: the directory (relative to the config file); default
    /// `.pai/oss/NAME`.
    pub path: Option<PathBuf>,
    /// For `s3`: the endpoint URL, e.g. `https://oss-cn-hangzhou.aliyuncs.com`.
    pub endpoint: Option<String>,
    /// For `s3`: the region (default `us-east-1`).
    pub region: Option<String>,
    /// For `s3`: the bucket's name on the server (default: NAME).
    pub bucket: Option<String>,
    /// For `s3`: the environment variable holding the access key id
    /// (default `AWS_ACCESS_KEY_ID`).
    pub access_key_id_env: Option<String>,
    /// For `s3`: the environment variable holding the secret access key
    /// (default `AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key_env: Option<String>,
    /// Every access must name a RAM role that grants it.
    #[serde(default)]
    pub require_role: bool,
}

/// One `[roles.NAME]` table: `bucket/prefix` patterns (`*` matches any
/// run of characters; a pattern ending in `/` covers everything below it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// Patterns the role may read.
    #[serde(default)]
    pub read: Vec<String>,
    /// Patterns the role may write.
    #[serde(default)]
    pub write: Vec<String>,
}

impl Config {
    /// Reads and parses a config file; errors carry line and column.
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
        let config: Config = toml::from_str(&text).map_err(|e| StoreError::Config {
            path: path.to_path_buf(),
            message: describe_toml_error(&text, &e),
        })?;
        if let Some(p) = &config.default_project {
            pai_core::ProjectName::check(p).map_err(|message| StoreError::Config {
                path: path.to_path_buf(),
                message: format!("`default_project`: {message}"),
            })?;
        }
        for name in config.buckets.keys() {
            crate::oss_uri::check_bucket(name).map_err(|message| StoreError::Config {
                path: path.to_path_buf(),
                message: format!("`buckets.{name}`: {message}"),
            })?;
        }
        Ok(config)
    }
}

/// `line:column: message` for a TOML error.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{line}:{col}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pai-engine.toml");
        std::fs::write(&p, "default_project = \"demo\"\ndefault_projet = 1\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("2:1"), "{err}");
        assert!(err.contains("default_projet"), "{err}");
    }

    #[test]
    fn bad_project_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pai-engine.toml");
        std::fs::write(&p, "default_project = \"../etc\"\n").unwrap();
        assert!(Config::load(&p).is_err());
    }
}
