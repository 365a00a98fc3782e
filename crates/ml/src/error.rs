//! The one error type of `pai-ml`.

use thiserror::Error;

/// Everything that can go wrong while fitting or applying a model.
///
/// Messages are lowercase and name columns in backticks; the component layer
/// prefixes them with the node id.
#[derive(Debug, Error, PartialEq)]
pub enum MlError {
    /// The input table has no rows.
    #[error("the input table is empty: there is nothing to fit on")]
    EmptyData,
    /// A column the algorithm needs is not in the input.
    #[error("column `{column}` is missing from the input (available: {available})")]
    MissingColumn {
        /// The column that was asked for.
        column: String,
        /// The columns that exist, comma-separated.
        available: String,
    },
    /// A value that the algorithm cannot use, at a known row (0-based data row).
    #[error("column `{column}`, row {row}: {message}")]
    InvalidValue {
        /// The column holding the value.
        column: String,
        /// The 0-based data row.
        row: usize,
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A parameter is out of its allowed range, or does not fit the data.
    #[error("parameter `{param}`: {message}")]
    InvalidParam {
        /// The parameter name as written in the manifest.
        param: String,
        /// What is wrong, with the allowed values.
        message: String,
    },
    /// The label column of a classifier has fewer than two classes.
    #[error(
        "label column `{column}` has a single class `{class}`; a classifier needs at least two"
    )]
    SingleClass {
        /// The label column.
        column: String,
        /// The only class present.
        class: String,
    },
    /// The features given at predict time differ from those seen in training.
    #[error("the model was trained on features [{expected}] but the input has [{found}]")]
    FeatureMismatch {
        /// The training features, comma-separated.
        expected: String,
        /// What the input provides, comma-separated.
        found: String,
    },
    /// A model's serialized parameters could not be read back.
    #[error("invalid model parameters: {0}")]
    Corrupt(String),
}
