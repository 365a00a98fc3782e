//! The error a component runner returns.

use std::path::PathBuf;

/// The result type of component runners.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong inside a component. The scheduler records the message
/// against the node, so messages name the parameter, column or path at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input data or a parameter does not allow the operation.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing a file failed.
    #[error("`{path}`: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The target exists and `overwrite` is false.
    #[error("`{0}` already exists; set `overwrite: true` to replace it")]
    AlreadyExists(PathBuf),
    /// The run was cancelled while the component was working.
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A bad-input error from anything printable.
    pub fn invalid(msg: impl std::fmt::Display) -> Self {
        Error::Invalid(msg.to_string())
    }
}
