//! The plain column views that algorithms fit on and predict from, and the
//! shape of a prediction.

use crate::MlError;

/// One input column. Numeric nulls are `NaN`; text nulls are `None`.
#[derive(Debug, Clone)]
pub enum ColumnData<'a> {
    /// A numeric column (integers are widened to `f64`).
    Numeric(&'a [f64]),
    /// A string (categorical) column.
    Text(Vec<Option<&'a str>>),
}

impl ColumnData<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Text(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table of named columns of equal length, borrowed from the engine's
/// Arrow batches.
#[derive(Debug, Clone, Default)]
pub struct Frame<'a> {
    /// The columns in table order.
    pub columns: Vec<(String, ColumnData<'a>)>,
    /// The number of rows (every column has this length).
    pub n_rows: usize,
}

impl<'a> Frame<'a> {
    /// Looks a column up by name.
    pub fn column(&self, name: &str) -> Result<&ColumnData<'a>, MlError> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .ok_or_else(|| MlError::MissingColumn {
                column: name.to_string(),
                available: self.names().join(", "),
            })
    }

    /// The column names in table order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Looks up a numeric column, refusing text columns and NaN/null values
    /// with the column name and the first offending row.
    pub fn numeric(&self, name: &str) -> Result<&'a [f64], MlError> {
        match self.column(name)? {
            ColumnData::Numeric(v) => {
                if let Some(row) = first_nan(v) {
                    return Err(MlError::InvalidValue {
                        column: name.to_string(),
                        row,
                        message: "null or NaN value; add an `imputer` node upstream to fill missing values".into(),
                    });
                }
                Ok(v)
            }
            ColumnData::Text(v) => {
                let row = v.iter().position(|x| x.is_some()).unwrap_or(0);
                Err(MlError::InvalidValue {
                    column: name.to_string(),
                    row,
                    message: format!(
                        "non-numeric value {:?} in a numeric feature; encode it first (for example with `one_hot_encoder`)",
                        v.get(row).copied().flatten().unwrap_or("")
                    ),
                })
            }
        }
    }
}

/// The index of the first NaN in `v`. Blocks are tested without a branch
/// per value (which vectorises), and only a block with a NaN is searched.
pub(crate) fn first_nan(v: &[f64]) -> Option<usize> {
    const BLOCK: usize = 1024;
    v.chunks(BLOCK).enumerate().find_map(|(b, chunk)| {
        if chunk.iter().fold(false, |any, x| any | x.is_nan()) {
            chunk.iter().position(|x| x.is_nan()).map(|i| b * BLOCK + i)
        } else {
            None
        }
    })
}

/// The training target.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// Class codes `0..classes.len()` for each row, and the class names
    /// (as they print, in sorted order: numerically for numeric labels).
    Classes {
        /// The label column's name.
        column: String,
        /// The class index of each row.
        codes: Vec<u32>,
        /// The class names, indexed by code.
        classes: Vec<String>,
    },
    /// A continuous target for regression.
    Continuous {
        /// The label column's name.
        column: String,
        /// The target value of each row.
        values: &'a [f64],
    },
}

/// The predicted value of each row.
#[derive(Debug, Clone, PartialEq)]
pub enum PredictedValues {
    /// Class (or cluster) indices into [`PredictionOutput::classes`].
    Labels(Vec<u32>),
    /// Regression outputs.
    Numbers(Vec<f64>),
}

/// Per-row detail: the probability of each class, or the distance to each
/// cluster, stored row-major (`values[row * keys.len() + k]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// The detail keys: class names or cluster ids.
    pub keys: Vec<String>,
    /// Row-major values.
    pub values: Vec<f64>,
}

/// What a model predicts for a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionOutput {
    /// The class names (or cluster ids) that `Labels` index into; empty for
    /// regression.
    pub classes: Vec<String>,
    /// The predicted label or value of each row.
    pub values: PredictedValues,
    /// Probabilities or distances, when the model has them.
    pub detail: Option<Detail>,
}

/// A fitted model that scores a batch.
pub trait Predictor {
    /// Predicts every row of `frame`. Columns are looked up by name; extra
    /// columns are ignored, and missing or mistyped ones are an error.
    fn predict(&self, frame: &Frame<'_>) -> Result<PredictionOutput, MlError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_nan_finds_the_first_one() {
        let mut v = vec![1.0; 5000];
        assert_eq!(first_nan(&v), None);
        assert_eq!(first_nan(&[]), None);
        for at in [0, 1023, 1024, 4999] {
            v[at] = f64::NAN;
            v[4999] = f64::NAN;
            assert_eq!(first_nan(&v), Some(at));
            v.fill(1.0);
        }
    }
}
