//! Building a [`Target`] from a label column, and the checks the classifiers
//! and regressors share on it (class count, label type, lengths).

use crate::features::check_length;
use crate::{ColumnData, Frame, MlError, Target};

/// Formats a numeric label the way class names print: integers without a
/// fraction (`1`, not `1.0`), other values in Rust's shortest form.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Reads the label column `label` of `frame` as classes: sorted numerically
/// for a numeric column, lexicographically (by bytes) for a text column.
///
/// Errors: a missing column, a null/NaN label (naming the row), an empty table.
pub fn class_target<'a>(frame: &Frame<'a>, label: &str) -> Result<Target<'a>, MlError> {
    if frame.n_rows == 0 {
        return Err(MlError::EmptyData);
    }
    let col = frame.column(label)?;
    check_length(frame, label, col)?;
    let missing = |row: usize| MlError::InvalidValue {
        column: label.to_string(),
        row,
        message: "null or NaN label; drop or fill the rows without a label".into(),
    };
    match col {
        ColumnData::Numeric(v) => {
            if let Some(row) = crate::data::first_nan(v) {
                return Err(missing(row));
            }
            let mut values: Vec<f64> = v.to_vec();
            values.sort_by(f64::total_cmp);
            values.dedup();
            let codes = v
                .iter()
                .map(|x| values.partition_point(|c| c < x) as u32)
                .collect();
            Ok(Target::Classes {
                column: label.to_string(),
                codes,
                classes: values.into_iter().map(format_number).collect(),
            })
        }
        ColumnData::Text(v) => {
            if let Some(row) = v.iter().position(Option::is_none) {
                return Err(missing(row));
            }
            let mut values: Vec<&str> = v.iter().flatten().copied().collect();
            values.sort_unstable();
            values.dedup();
            let codes = v
                .iter()
                .map(|x| values.partition_point(|c| Some(*c) < *x) as u32)
                .collect();
            Ok(Target::Classes {
                column: label.to_string(),
                codes,
                classes: values.into_iter().map(str::to_string).collect(),
            })
        }
    }
}

/// Reads the label column `label` of `frame` as a continuous target,
/// refusing text and NaN values (naming the row).
pub fn continuous_target<'a>(frame: &Frame<'a>, label: &str) -> Result<Target<'a>, MlError> {
    if frame.n_rows == 0 {
        return Err(MlError::EmptyData);
    }
    let values = frame.numeric(label)?;
    check_length(frame, label, &ColumnData::Numeric(values))?;
    Ok(Target::Continuous {
        column: label.to_string(),
        values,
    })
}

/// The name of the label column of a target.
pub(crate) fn label_name<'t>(target: &'t Target<'_>) -> &'t str {
    match target {
        Target::Classes { column, .. } | Target::Continuous { column, .. } => column,
    }
}

/// A validated classification target: codes of every row (all below
/// `classes.len()`), at least two classes present.
pub(crate) struct ClassTarget<'t> {
    /// The label column's name.
    pub column: &'t str,
    /// The class code of each row.
    pub codes: &'t [u32],
    /// The class names.
    pub classes: &'t [String],
}

/// Checks that `target` is a class target matching the frame's row count
/// with at least two classes present.
pub(crate) fn class_target_of<'t>(
    target: &'t Target<'_>,
    n_rows: usize,
) -> Result<ClassTarget<'t>, MlError> {
    let Target::Classes {
        column,
        codes,
        classes,
    } = target
    else {
        return Err(MlError::InvalidParam {
            param: "label_col".into(),
            message: format!(
                "label column `{}` is continuous; a classifier needs class labels (use a regressor, or a categorical label)",
                label_name(target)
            ),
        });
    };
    if codes.len() != n_rows {
        return Err(MlError::InvalidValue {
            column: column.clone(),
            row: codes.len().min(n_rows),
            message: format!(
                "the label has {} rows but the features have {n_rows}",
                codes.len()
            ),
        });
    }
    if let Some(row) = codes.iter().position(|&c| c as usize >= classes.len()) {
        return Err(MlError::InvalidValue {
            column: column.clone(),
            row,
            message: format!("class code {} has no class name", codes[row]),
        });
    }
    let first = codes.first().copied().unwrap_or(0);
    if codes.iter().all(|&c| c == first) {
        return Err(MlError::SingleClass {
            column: column.clone(),
            class: classes.get(first as usize).cloned().unwrap_or_default(),
        });
    }
    Ok(ClassTarget {
        column,
        codes,
        classes,
    })
}

/// Checks that `target` is continuous with the frame's row count.
pub(crate) fn continuous_of<'t>(
    target: &'t Target<'_>,
    n_rows: usize,
) -> Result<(&'t str, &'t [f64]), MlError> {
    let Target::Continuous { column, values } = target else {
        return Err(MlError::InvalidParam {
            param: "label_col".into(),
            message: format!(
                "label column `{}` holds classes; a regressor needs a numeric label",
                label_name(target)
            ),
        });
    };
    if values.len() != n_rows {
        return Err(MlError::InvalidValue {
            column: column.clone(),
            row: values.len().min(n_rows),
            message: format!(
                "the label has {} rows but the features have {n_rows}",
                values.len()
            ),
        });
    }
    if let Some(row) = values.iter().position(|v| v.is_nan()) {
        return Err(MlError::InvalidValue {
            column: column.clone(),
            row,
            message: "null or NaN label; drop or fill the rows without a label".into(),
        });
    }
    Ok((column, values))
}
