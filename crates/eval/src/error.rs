//! The crate's one error type, [`EvalError`]: every way a Lorenz/Gini computation can fail,
//! each message naming the field or option at fault and saying what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong while building a Lorenz curve.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// `quantile` is outside `1..=1_000_000`.
    #[error(
        "`quantile` must be between 1 and {max}, got {quantile}; choose a number of intervals in that range"
    )]
    InvalidQuantile {
        /// The rejected value.
        quantile: u32,
        /// The largest accepted value.
        max: u32,
    },

    /// `threads` is zero.
    #[error(
        "`threads` (computing_cores) must be at least 1, got 0; pass the number of cores to use"
    )]
    InvalidThreads,

    /// The memory budget cannot hold a single buffered value.
    #[error(
        "memory budget of {budget} bytes cannot hold one value ({needed} bytes); raise `memory_size_per_core_mb` or `computing_cores`"
    )]
    BudgetTooSmall {
        /// The budget in bytes.
        budget: u64,
        /// Bytes needed per buffered value.
        needed: u64,
    },

    /// A negative value was met while negatives are not allowed.
    #[error(
        "field `{field}` has a negative value {value} at row {row} (counting from 0); Lorenz curves expect non-negative values, set `allow_negative: true` to compute anyway"
    )]
    NegativeValue {
        /// The field being processed.
        field: String,
        /// Row index, counted from 0 across all pushed batches.
        row: u64,
        /// The offending value.
        value: f64,
    },

    /// An infinite value was met.
    #[error(
        "field `{field}` has an infinite value at row {row} (counting from 0); filter or replace infinite values before computing the Lorenz curve"
    )]
    InfiniteValue {
        /// The field being processed.
        field: String,
        /// Row index, counted from 0 across all pushed batches.
        row: u64,
    },

    /// A weight is negative, NaN or infinite.
    #[error(
        "field `{field}` has an invalid weight {weight} at row {row} (counting from 0); frequency weights must be finite and non-negative"
    )]
    InvalidWeight {
        /// The field being processed.
        field: String,
        /// Row index, counted from 0 across all pushed batches.
        row: u64,
        /// The offending weight.
        weight: f64,
    },

    /// A weighted builder was pushed a batch without weights, or an unweighted one a batch with weights.
    #[error(
        "field `{field}` was set up {expected} but a batch came {got}; create the builder with `weighted` matching the presence of `weight_field`"
    )]
    WeightsMismatch {
        /// The field being processed.
        field: String,
        /// How the builder was set up ("with weights" / "without weights").
        expected: &'static str,
        /// What the batch had.
        got: &'static str,
    },

    /// Columns of one batch have different lengths.
    #[error(
        "field `{field}`: the {what} column has {got} rows but the value column has {expected}; pass columns of the same batch"
    )]
    LengthMismatch {
        /// The field being processed.
        field: String,
        /// Which column is off ("weight", "validity").
        what: &'static str,
        /// Rows in the value column.
        expected: usize,
        /// Rows in the other column.
        got: usize,
    },

    /// No usable rows at all.
    #[error(
        "field `{field}` has no non-null values ({nulls} null and {nans} NaN rows dropped); check the input table and the field name"
    )]
    NoValues {
        /// The field being processed.
        field: String,
        /// Null rows dropped.
        nulls: u64,
        /// NaN rows dropped.
        nans: u64,
    },

    /// Every weight is zero.
    #[error(
        "field `{field}` has a total weight of 0; at least one row needs a positive weight in `weight_field`"
    )]
    ZeroTotalWeight {
        /// The field being processed.
        field: String,
    },

    /// Negative and positive values cancel out exactly, so shares are undefined.
    #[error(
        "field `{field}` sums to 0 while containing negative values, so value shares are undefined; the Lorenz curve needs a non-zero total"
    )]
    ZeroSum {
        /// The field being processed.
        field: String,
    },

    /// Spill files could not be created, written or read.
    #[error(
        "cannot spill sorted runs to `{dir}`: {source}; make sure `spill_dir` exists, is writable and has free space"
    )]
    Spill {
        /// The spill directory.
        dir: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },

    /// The worker thread pool could not be started.
    #[error("cannot start {threads} worker threads: {reason}; lower `computing_cores`")]
    ThreadPool {
        /// Threads requested.
        threads: usize,
        /// Why the pool failed.
        reason: String,
    },
}
