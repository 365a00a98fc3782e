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
    /// A run id that is not in the catalog.
    #[error("no run `{0}` in the catalog; `pai-engine runs list` shows the runs")]
    UnknownRun(String),
    /// A run id prefix that matches several runs.
    #[error("run id prefix `{prefix}` is ambiguous: it matches {matches}")]
    AmbiguousRun {
        /// What was given.
        prefix: String,
        /// The matching ids, comma-separated.
        matches: String,
    },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}
