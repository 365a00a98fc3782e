//! The one error type of `pai-store`.

use std::path::PathBuf;

/// What can go wrong reading or writing the workspace.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("`{path}`: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The catalog database failed.
    #[error("catalog `{path}`: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// `pai-engine.toml` is malformed.
    #[error("`{path}`: {message}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A stored value could not be decoded.
    #[error("catalog holds a malformed value in `{field}`: {message}")]
    Corrupt {
        /// The column.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A billable operation refused because the month's bill would pass
    /// the budget.
    #[error("{0}")]
    BudgetExceeded(Box<BudgetRefusal>),
    /// A run id that is not in the catalog.
    #[error("no run `{0}` in the catalog; `pai-engine runs list` shows the runs")]
    UnknownRun(String),
    /// `PIPELINE@latest` of a pipeline with no run.
    #[error(
        "no run of pipeline `{pipeline}` in the catalog (a pipeline is named by its manifest's `metadata.name`); {known}"
    )]
    NoPipelineRun {
        /// The pipeline named.
        pipeline: String,
        /// The pipelines that have runs, as a sentence.
        known: String,
    },
    /// A run id prefix that matches several runs.
    #[error(
        "run id prefix `{prefix}` is ambiguous: it matches {count} runs ({matches}); give more of the id"
    )]
    AmbiguousRun {
        /// What was given.
        prefix: String,
        /// How many runs match.
        count: usize,
        /// A few of the matching ids, comma-separated.
        matches: String,
    },
    /// A bucket requires a role and none was given.
    #[error(
        "`{uri}`: the bucket requires a RAM role for {access} access; name one (`oss_ram_role`, or `--role`) that grants it"
    )]
    RoleRequired {
        /// The address.
        uri: String,
        /// `read` or `write`.
        access: &'static str,
    },
    /// A role that is not configured.
    #[error("RAM role `{role}` is not configured; {known}")]
    UnknownRole {
        /// The role asked for.
        role: String,
        /// The configured roles, or how to add one.
        known: String,
    },
    /// A role without the needed grant.
    #[error(
        "RAM role `{role}` may not {access} `{uri}`: it has no `{access}` grant matching that path; add one to `[roles.{role}]` in pai-engine.toml"
    )]
    AccessDenied {
        /// The role.
        role: String,
        /// The address.
        uri: String,
        /// `read` or `write`.
        access: &'static str,
    },
    /// A malformed address, name or key.
    #[error("{0}")]
    Invalid(String),
    /// An object exists where nothing may be overwritten.
    #[error("`{0}` already exists; set `overwrite: true` (or pass `--overwrite`) to replace it")]
    ObjectExists(String),
    /// An object that does not exist.
    #[error("`{0}` does not exist")]
    ObjectNotFound(String),
    /// A bucket that is neither configured nor present: reading it does
    /// not create it.
    #[error("no bucket `{bucket}`: {known}")]
    NoSuchBucket {
        /// The bucket asked for.
        bucket: String,
        /// The buckets there are, or how to make one.
        known: String,
    },
    /// The object store failed.
    #[error("`{uri}`: {message}")]
    Oss {
        /// The address involved.
        uri: String,
        /// What the store said.
        message: String,
    },
    /// An OfflineModel or project lookup failed.
    #[error("{0}")]
    Model(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Why the budget refused a request.
#[derive(Debug, thiserror::Error)]
#[error(
    "budget exceeded: one more `{class}` request ({operation}) would bring {month}'s bill to {would} {currency}, over `budget.monthly_limit` = {limit}; nothing was done. Raise the limit in pai-engine.toml or wait for next month"
)]
pub struct BudgetRefusal {
    /// The class of the refused request.
    pub class: pai_core::UsageClass,
    /// The operation.
    pub operation: String,
    /// The billing month.
    pub month: String,
    /// The bill it would make.
    pub would: crate::Money,
    /// The limit.
    pub limit: crate::Money,
    /// The currency.
    pub currency: String,
}

impl From<pai_core::NameError> for StoreError {
    fn from(e: pai_core::NameError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}
