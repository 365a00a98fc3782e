//! Feature and label extraction for the tree models, with the crate's error
//! texts (column and row named, what to do said).

use crate::features::{numeric_columns, predict_numeric, resolve_features};
use crate::{Frame, MlError, Target};

/// The resolved training features (every column but the label when
/// `features` is empty) and their numeric columns, refusing an empty table,
/// duplicated or missing features, text columns and NaN values.
pub(crate) fn training_columns<'a>(
    frame: &Frame<'a>,
    features: &[String],
    target: &Target<'_>,
) -> Result<(Vec<String>, Vec<&'a [f64]>), MlError> {
    let label = match target {
        Target::Classes { column, .. } | Target::Continuous { column, .. } => column.as_str(),
    };
    let names = resolve_features(frame, features, Some(label))?;
    if frame.n_rows > u32::MAX as usize {
        return Err(MlError::InvalidParam {
            param: "feature_cols".into(),
            message: format!(
                "the table has {} rows; tree models handle at most {} rows, sample it first",
                frame.n_rows,
                u32::MAX
            ),
        });
    }
    let cols = numeric_columns(frame, &names)?;
    Ok((names, cols))
}

/// The numeric prediction columns of `features`: every training feature must
/// be present (extra columns are ignored), numeric and non-NaN.
pub(crate) fn predict_columns<'a>(
    frame: &Frame<'a>,
    features: &[String],
) -> Result<Vec<&'a [f64]>, MlError> {
    predict_numeric(frame, features)
}

/// A classification label: the column name, class codes and class names.
pub(crate) struct ClassLabel<'t> {
    pub column: &'t str,
    pub codes: &'t [u32],
    pub classes: &'t [String],
}

/// Checks a class target against the table: one code per row, codes in
/// range, and at least two classes present.
pub(crate) fn class_label<'t>(
    target: &'t Target<'_>,
    n_rows: usize,
    model: &str,
) -> Result<ClassLabel<'t>, MlError> {
    let Target::Classes {
        column,
        codes,
        classes,
    } = target
    else {
        return Err(wrong_target(target, model, "a categorical (class) label"));
    };
    check_len(column, codes.len(), n_rows)?;
    let mut counts = vec![0u64; classes.len()];
    for (row, &code) in codes.iter().enumerate() {
        match counts.get_mut(code as usize) {
            Some(c) => *c += 1,
            None => {
                return Err(MlError::InvalidValue {
                    column: column.clone(),
                    row,
                    message: format!(
                        "class code {code} is out of range for {} classes; this is a bug in the caller",
                        classes.len()
                    ),
                });
            }
        }
    }
    let present: Vec<usize> = (0..classes.len()).filter(|&k| counts[k] > 0).collect();
    if present.len() < 2 {
        let class = present
            .first()
            .and_then(|&k| classes.get(k))
            .cloned()
            .unwrap_or_default();
        return Err(MlError::SingleClass {
            column: column.clone(),
            class,
        });
    }
    Ok(ClassLabel {
        column,
        codes,
        classes,
    })
}

/// Checks a continuous target: one finite value per row.
pub(crate) fn continuous_label<'t>(
    target: &'t Target<'t>,
    n_rows: usize,
    model: &str,
) -> Result<(&'t str, &'t [f64]), MlError> {
    let Target::Continuous { column, values } = target else {
        return Err(wrong_target(target, model, "a numeric (continuous) label"));
    };
    check_len(column, values.len(), n_rows)?;
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(MlError::InvalidValue {
            column: column.clone(),
            row,
            message: format!(
                "the label is {}; drop or impute rows without a finite label",
                values[row]
            ),
        });
    }
    Ok((column, values))
}

/// The error for a label of the wrong kind.
fn wrong_target(target: &Target<'_>, model: &str, wanted: &str) -> MlError {
    let (column, kind) = match target {
        Target::Classes { column, .. } => (column, "categorical"),
        Target::Continuous { column, .. } => (column, "continuous"),
    };
    MlError::InvalidParam {
        param: "label".into(),
        message: format!(
            "`{model}` needs {wanted} but label column `{column}` is {kind}; pick the matching model"
        ),
    }
}

/// One label per row.
fn check_len(column: &str, len: usize, n_rows: usize) -> Result<(), MlError> {
    if len == n_rows {
        return Ok(());
    }
    Err(MlError::InvalidValue {
        column: column.to_string(),
        row: len.min(n_rows),
        message: format!("the label has {len} values but the table has {n_rows} rows"),
    })
}
