//! The one error type of `pai-trigger`.

/// What stops a trigger, a manual fire or a backfill.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The catalog failed.
    #[error(transparent)]
    Store(#[from] pai_store::StoreError),
    /// A manifest is invalid (every diagnostic, one per line).
    #[error(transparent)]
    Manifest(#[from] pai_manifest::ManifestError),
    /// A run could not be started.
    #[error("schedule `{schedule}`: cannot start the run: {message}")]
    Launch {
        /// The schedule id.
        schedule: String,
        /// Why.
        message: String,
    },
    /// The slot already has a record.
    #[error(
        "schedule `{schedule}`: slot {slot} was already fired; `pai-engine schedule list` shows the last fires"
    )]
    AlreadyFired {
        /// The schedule id.
        schedule: String,
        /// The slot, RFC 3339.
        slot: String,
    },
    /// No schedule has this name.
    #[error(
        "no schedule `{0}`; `pai-engine schedule list` shows the schedules (a schedule is known once `schedule run` or `--file` has read its manifest)"
    )]
    UnknownSchedule(String),
    /// Several schedules have this name.
    #[error("schedule name `{name}` is ambiguous: write one of {matches}")]
    AmbiguousSchedule {
        /// What was given.
        name: String,
        /// The matching ids, comma-separated.
        matches: String,
    },
    /// A file or directory could not be read.
    #[error("`{path}`: {source}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}
