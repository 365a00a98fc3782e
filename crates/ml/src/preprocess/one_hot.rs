//! One-hot encoding of text or integer-valued columns, like scikit-learn's
//! `OneHotEncoder` with sorted categories.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{OwnedColumn, selected_columns};
use crate::target::format_number;
use crate::{ColumnData, Frame, MlError};

/// What to do with a category not seen in training (scikit-learn's
/// `handle_unknown`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum HandleUnknown {
    /// Refuse the row, naming the column, row and value (default).
    #[default]
    Error,
    /// Encode it as all zeros.
    Ignore,
}

impl HandleUnknown {
    /// Parses `error` or `ignore`.
    pub fn parse(s: &str) -> Result<Self, MlError> {
        match s {
            "error" => Ok(HandleUnknown::Error),
            "ignore" => Ok(HandleUnknown::Ignore),
            _ => Err(MlError::InvalidParam {
                param: "handle_unknown".into(),
                message: format!("unknown value `{s}`; use `error` or `ignore`"),
            }),
        }
    }
}

/// Parameters of [`fit_one_hot_encoder`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OneHotEncoderParams {
    /// Columns to encode; empty means every text column.
    pub selected_cols: Vec<String>,
    /// Leave out the indicator of each column's last category (default
    /// false; scikit-learn's `drop=[last category of each column]`).
    pub drop_last: bool,
    /// Unknown categories at transform time (default `error`).
    pub handle_unknown: HandleUnknown,
}

/// How a column's categories are read.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    /// Text values, sorted by bytes.
    Text,
    /// Integer-valued numbers, sorted numerically and printed without a
    /// fraction (`3`, not `3.0`).
    Integer,
}

/// The categories of one encoded column.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OneHotColumn {
    /// The source column.
    pub column: String,
    /// Whether it held text or integers.
    pub kind: CategoryKind,
    /// The sorted categories; the indicator of category `c` is named
    /// `<column>_<c>`.
    pub categories: Vec<String>,
}

/// A fitted one-hot encoder.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OneHotEncoderModel {
    /// The encoded columns, in order.
    pub columns: Vec<OneHotColumn>,
    /// Whether the last category of each column has no indicator.
    pub drop_last: bool,
    /// What unknown categories do at transform time.
    pub handle_unknown: HandleUnknown,
}

fn null_error(column: &str, row: usize) -> MlError {
    MlError::InvalidValue {
        column: column.to_string(),
        row,
        message: "null value; fill missing values with an `imputer` before `one_hot_encoder`"
            .into(),
    }
}

/// Fits a one-hot encoder: collects the sorted categories of each column.
/// Nulls and non-integer numbers are refused.
pub fn fit_one_hot_encoder(
    frame: &Frame<'_>,
    params: &OneHotEncoderParams,
) -> Result<OneHotEncoderModel, MlError> {
    let names = selected_columns(frame, &params.selected_cols, |c| {
        matches!(c, ColumnData::Text(_))
    })?;
    let mut columns = Vec::with_capacity(names.len());
    for name in names {
        let col = match frame.column(&name)? {
            ColumnData::Text(v) => {
                if let Some(row) = v.iter().position(Option::is_none) {
                    return Err(null_error(&name, row));
                }
                let mut cats: Vec<&str> = v.iter().flatten().copied().collect();
                cats.sort_unstable();
                cats.dedup();
                OneHotColumn {
                    column: name,
                    kind: CategoryKind::Text,
                    categories: cats.into_iter().map(str::to_string).collect(),
                }
            }
            ColumnData::Numeric(v) => {
                for (row, x) in v.iter().enumerate() {
                    if x.is_nan() {
                        return Err(null_error(&name, row));
                    }
                    if x.fract() != 0.0 || x.abs() >= 1e15 {
                        return Err(MlError::InvalidValue {
                            column: name.clone(),
                            row,
                            message: format!(
                                "value {x} is not an integer; `one_hot_encoder` encodes text or integer-valued columns (bin or round the numbers first)"
                            ),
                        });
                    }
                }
                let mut cats = v.to_vec();
                cats.sort_by(f64::total_cmp);
                cats.dedup();
                OneHotColumn {
                    column: name,
                    kind: CategoryKind::Integer,
                    categories: cats.into_iter().map(format_number).collect(),
                }
            }
        };
        columns.push(col);
    }
    Ok(OneHotEncoderModel {
        columns,
        drop_last: params.drop_last,
        handle_unknown: params.handle_unknown,
    })
}

impl OneHotEncoderModel {
    /// The names of the indicator columns that replace `col`.
    fn output_names(&self, col: &OneHotColumn) -> Vec<String> {
        let keep = if self.drop_last {
            col.categories.len().saturating_sub(1)
        } else {
            col.categories.len()
        };
        col.categories[..keep]
            .iter()
            .map(|c| format!("{}_{c}", col.column))
            .collect()
    }

    /// Encodes the model's columns of `frame`. For each source column, in
    /// order, the returned 0/1 indicator columns `<col>_<category>` replace
    /// it. An unknown (or null) value is an error with `handle_unknown:
    /// error`, all zeros with `ignore`. An indicator name that collides with
    /// another input column is an error.
    pub fn transform(&self, frame: &Frame<'_>) -> Result<Vec<(String, OwnedColumn)>, MlError> {
        let replaced: Vec<&str> = self.columns.iter().map(|c| c.column.as_str()).collect();
        let mut out: Vec<(String, OwnedColumn)> = Vec::new();
        for col in &self.columns {
            let names = self.output_names(col);
            for n in &names {
                if frame
                    .names()
                    .iter()
                    .any(|f| f == n && !replaced.contains(f))
                    || out.iter().any(|(o, _)| o == n)
                {
                    return Err(MlError::InvalidParam {
                        param: "selected_cols".into(),
                        message: format!(
                            "the indicator column `{n}` of `{}` would overwrite an existing column; rename that column first",
                            col.column
                        ),
                    });
                }
            }
            let codes = self.codes(frame, col)?;
            let width = names.len();
            let mut indicators = vec![vec![0.0; frame.n_rows]; width];
            for (row, code) in codes.into_iter().enumerate() {
                if let Some(ind) = code.and_then(|c| indicators.get_mut(c)) {
                    ind[row] = 1.0;
                }
            }
            out.extend(
                names
                    .into_iter()
                    .zip(indicators.into_iter().map(OwnedColumn::Numeric)),
            );
        }
        Ok(out)
    }

    /// The category index of each row (`None`: unknown, when ignored).
    fn codes(&self, frame: &Frame<'_>, col: &OneHotColumn) -> Result<Vec<Option<usize>>, MlError> {
        let name = &col.column;
        let input = frame.column(name)?;
        crate::features::check_length(frame, name, input)?;
        let unknown = |row: usize, value: String| -> Result<Option<usize>, MlError> {
            match self.handle_unknown {
                HandleUnknown::Ignore => Ok(None),
                HandleUnknown::Error => Err(MlError::InvalidValue {
                    column: name.clone(),
                    row,
                    message: format!(
                        "category {value} was not seen in training; set `handle_unknown: ignore` to encode it as all zeros"
                    ),
                }),
            }
        };
        match (col.kind, input) {
            (CategoryKind::Text, ColumnData::Text(v)) => {
                let index: HashMap<&str, usize> = col
                    .categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i))
                    .collect();
                v.iter()
                    .enumerate()
                    .map(|(row, x)| match x.and_then(|s| index.get(s)) {
                        Some(&i) => Ok(Some(i)),
                        None => unknown(row, x.map_or("null".to_string(), |s| format!("`{s}`"))),
                    })
                    .collect()
            }
            (CategoryKind::Integer, ColumnData::Numeric(v)) => {
                let values: Vec<f64> = col
                    .categories
                    .iter()
                    .map(|c| c.parse::<f64>().unwrap_or(f64::NAN))
                    .collect();
                v.iter()
                    .enumerate()
                    .map(|(row, x)| {
                        let i = values.partition_point(|c| c < x);
                        if values.get(i) == Some(x) {
                            Ok(Some(i))
                        } else {
                            unknown(
                                row,
                                if x.is_nan() {
                                    "null".to_string()
                                } else {
                                    format!("`{x}`")
                                },
                            )
                        }
                    })
                    .collect()
            }
            (kind, _) => Err(MlError::InvalidValue {
                column: name.clone(),
                row: 0,
                message: format!(
                    "the encoder was fitted on {} values but the column is {}; give it the same type as in training",
                    if kind == CategoryKind::Text {
                        "text"
                    } else {
                        "integer"
                    },
                    if kind == CategoryKind::Text {
                        "numeric"
                    } else {
                        "text"
                    }
                ),
            }),
        }
    }
}
