//! The one error type of `pai-scheduler`.

/// What stops a run from starting or being recorded.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The catalog failed.
    #[error(transparent)]
    Store(#[from] pai_store::StoreError),
    /// `--resume` names a run that cannot be resumed with this manifest.
    #[error("cannot resume run `{run}`: {reason}")]
    Resume {
        /// The run to resume.
        run: String,
        /// Why not.
        reason: String,
    },
    /// A directory for the run could not be created.
    #[error("`{path}`: {source}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}
