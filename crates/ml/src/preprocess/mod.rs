//! Preprocessing stages: each has a `fit_*` function returning a fitted
//! model whose `transform` yields the replacement columns, plus the owned
//! column type they return.
//!
//! Contract of every `transform`: for each selected column, in the order of
//! the model's column list, the returned columns replace that input column
//! in place (scalers and the imputer return one column under the same name;
//! the one-hot encoder returns its indicator columns). Other columns are
//! left to the caller untouched.

mod column;
mod imputer;
mod min_max_scaler;
mod one_hot;
mod standard_scaler;

pub use column::OwnedColumn;
pub use imputer::{FillValue, ImputeStrategy, ImputerModel, ImputerParams, fit_imputer};
pub use min_max_scaler::{MinMaxScalerModel, MinMaxScalerParams, fit_min_max_scaler};
pub use one_hot::{
    CategoryKind, HandleUnknown, OneHotColumn, OneHotEncoderModel, OneHotEncoderParams,
    fit_one_hot_encoder,
};
pub use standard_scaler::{StandardScalerModel, StandardScalerParams, fit_standard_scaler};

use crate::features::check_length;
use crate::{ColumnData, Frame, MlError};

/// The columns a stage works on: `selected` when not empty, otherwise every
/// column of `frame` accepted by `keep`. Refuses an empty table, missing
/// and duplicated columns.
pub(crate) fn selected_columns(
    frame: &Frame<'_>,
    selected: &[String],
    keep: impl Fn(&ColumnData<'_>) -> bool,
) -> Result<Vec<String>, MlError> {
    if frame.n_rows == 0 {
        return Err(MlError::EmptyData);
    }
    let names: Vec<String> = if selected.is_empty() {
        frame
            .columns
            .iter()
            .filter(|(_, c)| keep(c))
            .map(|(n, _)| n.clone())
            .collect()
    } else {
        selected.to_vec()
    };
    if names.is_empty() {
        return Err(MlError::InvalidParam {
            param: "selected_cols".into(),
            message: "no column to work on; list the columns in `selected_cols`".into(),
        });
    }
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(MlError::InvalidParam {
                param: "selected_cols".into(),
                message: format!("column `{n}` is listed twice; list each column once"),
            });
        }
        check_length(frame, n, frame.column(n)?)?;
    }
    Ok(names)
}

/// A numeric column whose NaN values are allowed (they are missing values
/// that the stage skips in `fit` and keeps in `transform`); text is refused
/// naming the first non-null row.
pub(crate) fn numeric_allow_nan<'a>(
    frame: &Frame<'a>,
    name: &str,
    stage: &str,
) -> Result<&'a [f64], MlError> {
    match frame.column(name)? {
        ColumnData::Numeric(v) => {
            check_length(frame, name, &ColumnData::Numeric(v))?;
            Ok(v)
        }
        ColumnData::Text(v) => {
            let row = v.iter().position(Option::is_some).unwrap_or(0);
            Err(MlError::InvalidValue {
                column: name.to_string(),
                row,
                message: format!(
                    "non-numeric value {:?}; `{stage}` needs numeric columns (encode text first, for example with `one_hot_encoder`)",
                    v.get(row).copied().flatten().unwrap_or("")
                ),
            })
        }
    }
}

/// Population variance (ddof = 0) of the non-NaN values; NaN when none.
pub(crate) fn population_variance(v: &[f64]) -> f64 {
    standard_scaler::mean_var(v).1
}
