//! Standard scaling (`(x - mean) / std`), like scikit-learn's
//! `StandardScaler`.

use serde::{Deserialize, Serialize};

use super::{OwnedColumn, numeric_allow_nan, selected_columns};
use crate::{ColumnData, Frame, MlError};

/// Parameters of [`fit_standard_scaler`].
#[derive(Debug, Clone, PartialEq)]
pub struct StandardScalerParams {
    /// Columns to scale; empty means every numeric column.
    pub selected_cols: Vec<String>,
    /// Subtract the mean (default true; scikit-learn's `with_mean`).
    pub with_mean: bool,
    /// Divide by the population standard deviation (ddof = 0; default true;
    /// scikit-learn's `with_std`).
    pub with_std: bool,
}

impl Default for StandardScalerParams {
    fn default() -> Self {
        StandardScalerParams {
            selected_cols: Vec::new(),
            with_mean: true,
            with_std: true,
        }
    }
}

/// A fitted standard scaler: `x' = (x - means[i]) / scales[i]`.
///
/// `means` is 0 when `with_mean` was off; `scales` is the population
/// standard deviation, or 1 when `with_std` was off or the column is
/// constant (which leaves it centred only, as scikit-learn does).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StandardScalerModel {
    /// The scaled columns.
    pub columns: Vec<String>,
    /// The value subtracted from each column.
    pub means: Vec<f64>,
    /// The value each centred column is divided by.
    pub scales: Vec<f64>,
}

/// Population mean and variance of the non-NaN values, and their count.
pub(crate) fn mean_var(v: &[f64]) -> (f64, f64, usize) {
    let mut n = 0usize;
    let mut s = 0.0;
    for &x in v.iter().filter(|x| !x.is_nan()) {
        n += 1;
        s += x;
    }
    if n == 0 {
        return (f64::NAN, f64::NAN, 0);
    }
    let mean = s / n as f64;
    let mut ss = 0.0;
    for &x in v.iter().filter(|x| !x.is_nan()) {
        let d = x - mean;
        ss += d * d;
    }
    (mean, ss / n as f64, n)
}

/// Fits a standard scaler. NaN values are ignored when fitting and stay
/// NaN when transforming (scikit-learn's behaviour); a column with no
/// non-missing value is an error.
pub fn fit_standard_scaler(
    frame: &Frame<'_>,
    params: &StandardScalerParams,
) -> Result<StandardScalerModel, MlError> {
    let columns = selected_columns(frame, &params.selected_cols, |c| {
        matches!(c, ColumnData::Numeric(_))
    })?;
    let mut means = Vec::with_capacity(columns.len());
    let mut scales = Vec::with_capacity(columns.len());
    for name in &columns {
        let v = numeric_allow_nan(frame, name, "standard_scaler")?;
        let (mean, var, n) = mean_var(v);
        if n == 0 {
            return Err(MlError::InvalidValue {
                column: name.clone(),
                row: 0,
                message: "every value is null or NaN; fill the column with an `imputer` or drop it"
                    .into(),
            });
        }
        // scikit-learn's `_is_constant_feature`: variance within rounding.
        let eps = f64::EPSILON;
        let nf = n as f64;
        let constant = var <= nf * eps * var + (nf * mean * eps).powi(2);
        means.push(if params.with_mean { mean } else { 0.0 });
        scales.push(if params.with_std && !constant {
            var.sqrt()
        } else {
            1.0
        });
    }
    Ok(StandardScalerModel {
        columns,
        means,
        scales,
    })
}

impl StandardScalerModel {
    /// Scales the model's columns of `frame`; each returned column replaces
    /// the input column of the same name.
    pub fn transform(&self, frame: &Frame<'_>) -> Result<Vec<(String, OwnedColumn)>, MlError> {
        if self.means.len() != self.columns.len() || self.scales.len() != self.columns.len() {
            return Err(MlError::Corrupt(
                "standard scaler needs one mean and one scale per column".into(),
            ));
        }
        let mut out = Vec::with_capacity(self.columns.len());
        for ((name, &m), &s) in self.columns.iter().zip(&self.means).zip(&self.scales) {
            let v = numeric_allow_nan(frame, name, "standard_scaler")?;
            out.push((
                name.clone(),
                OwnedColumn::Numeric(v.iter().map(|x| (x - m) / s).collect()),
            ));
        }
        Ok(out)
    }
}
