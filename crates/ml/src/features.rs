//! Resolving and fetching the feature columns of the trainers: the default
//! feature list, the checks shared by every `fit`, and the predict-time
//! check that the input carries the training features.

use crate::{ColumnData, Frame, MlError};

/// The feature columns to train on: `features` when it is not empty,
/// otherwise every column of `frame` except `label`.
///
/// Refuses an empty table, a missing or duplicated feature, the label listed
/// as a feature, and a table with no feature column left.
pub fn resolve_features(
    frame: &Frame<'_>,
    features: &[String],
    label: Option<&str>,
) -> Result<Vec<String>, MlError> {
    if frame.n_rows == 0 {
        return Err(MlError::EmptyData);
    }
    let names: Vec<String> = if features.is_empty() {
        frame
            .names()
            .into_iter()
            .filter(|n| Some(*n) != label)
            .map(str::to_string)
            .collect()
    } else {
        features.to_vec()
    };
    if names.is_empty() {
        return Err(MlError::InvalidParam {
            param: "feature_cols".into(),
            message: "there is no feature column; list the features in `feature_cols` or add columns besides the label".into(),
        });
    }
    for (i, name) in names.iter().enumerate() {
        if Some(name.as_str()) == label {
            return Err(MlError::InvalidParam {
                param: "feature_cols".into(),
                message: format!(
                    "the label column `{name}` is also listed as a feature; remove it from `feature_cols`"
                ),
            });
        }
        if names[..i].contains(name) {
            return Err(MlError::InvalidParam {
                param: "feature_cols".into(),
                message: format!("feature `{name}` is listed twice; list each column once"),
            });
        }
        check_length(frame, name, frame.column(name)?)?;
    }
    Ok(names)
}

/// Refuses a column whose length differs from the table's row count, so that
/// later indexing cannot go out of bounds.
pub(crate) fn check_length(
    frame: &Frame<'_>,
    name: &str,
    col: &ColumnData<'_>,
) -> Result<(), MlError> {
    if col.len() != frame.n_rows {
        return Err(MlError::InvalidValue {
            column: name.to_string(),
            row: col.len().min(frame.n_rows),
            message: format!(
                "the column has {} rows but the table has {}; every column must have the same length",
                col.len(),
                frame.n_rows
            ),
        });
    }
    Ok(())
}

/// The numeric slices of `names`, refusing text, NaN and short columns.
pub(crate) fn numeric_columns<'a>(
    frame: &Frame<'a>,
    names: &[String],
) -> Result<Vec<&'a [f64]>, MlError> {
    names
        .iter()
        .map(|n| {
            let col = frame.numeric(n)?;
            if col.len() != frame.n_rows {
                check_length(frame, n, &ColumnData::Numeric(col))?;
            }
            Ok(col)
        })
        .collect()
}

/// Predict-time check: every training feature must be present in `frame`
/// (extra columns are ignored); a missing one is a [`MlError::FeatureMismatch`].
pub(crate) fn check_predict_features(
    frame: &Frame<'_>,
    features: &[String],
) -> Result<(), MlError> {
    let names = frame.names();
    if features.iter().any(|f| !names.contains(&f.as_str())) {
        return Err(MlError::FeatureMismatch {
            expected: features.join(", "),
            found: names.join(", "),
        });
    }
    for f in features {
        check_length(frame, f, frame.column(f)?)?;
    }
    Ok(())
}

/// The numeric feature slices for prediction, after
/// [`check_predict_features`].
pub(crate) fn predict_numeric<'a>(
    frame: &Frame<'a>,
    features: &[String],
) -> Result<Vec<&'a [f64]>, MlError> {
    check_predict_features(frame, features)?;
    numeric_columns(frame, features)
}

/// Copies column slices into one row-major buffer (`rows × cols.len()`);
/// a column shorter than `n_rows` leaves zeros (callers check lengths).
pub(crate) fn row_major(cols: &[&[f64]], n_rows: usize) -> Vec<f64> {
    use rayon::prelude::*;
    const BLOCK: usize = 4096;
    let d = cols.len();
    let mut out = vec![0.0; n_rows * d];
    if d == 0 {
        return out;
    }
    out.par_chunks_mut(d * BLOCK)
        .enumerate()
        .for_each(|(c, block)| {
            let start = c * BLOCK;
            let rows = block.len() / d;
            for (j, col) in cols.iter().enumerate() {
                let Some(src) = col.get(start..start + rows) else {
                    continue;
                };
                for (dst, v) in block[j..].iter_mut().step_by(d).zip(src) {
                    *dst = *v;
                }
            }
        });
    out
}
