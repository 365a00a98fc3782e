//! Min–max scaling to `[min, max]`, like scikit-learn's `MinMaxScaler`.

use serde::{Deserialize, Serialize};

use super::{OwnedColumn, numeric_allow_nan, selected_columns};
use crate::{ColumnData, Frame, MlError};

/// Parameters of [`fit_min_max_scaler`] (scikit-learn's
/// `feature_range = (min, max)`).
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScalerParams {
    /// Columns to scale; empty means every numeric column.
    pub selected_cols: Vec<String>,
    /// Lower end of the output range (default 0).
    pub min: f64,
    /// Upper end of the output range (default 1).
    pub max: f64,
}

impl Default for MinMaxScalerParams {
    fn default() -> Self {
        MinMaxScalerParams {
            selected_cols: Vec::new(),
            min: 0.0,
            max: 1.0,
        }
    }
}

/// A fitted min–max scaler: `x' = (x - data_min) / (data_max - data_min)
/// * (max - min) + min`. A constant column (`data_min == data_max`) maps to
/// `min`, as in scikit-learn.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MinMaxScalerModel {
    /// The scaled columns.
    pub columns: Vec<String>,
    /// The smallest training value of each column.
    pub data_min: Vec<f64>,
    /// The largest training value of each column.
    pub data_max: Vec<f64>,
    /// Lower end of the output range.
    pub min: f64,
    /// Upper end of the output range.
    pub max: f64,
}

/// Fits a min–max scaler. NaN values are ignored when fitting and stay NaN
/// when transforming; values outside the training range map outside
/// `[min, max]` (no clipping, scikit-learn's default).
pub fn fit_min_max_scaler(
    frame: &Frame<'_>,
    params: &MinMaxScalerParams,
) -> Result<MinMaxScalerModel, MlError> {
    if !(params.min.is_finite() && params.max.is_finite() && params.min < params.max) {
        return Err(MlError::InvalidParam {
            param: "min".into(),
            message: format!(
                "`min` must be smaller than `max` and both finite, got min = {} and max = {}",
                params.min, params.max
            ),
        });
    }
    let columns = selected_columns(frame, &params.selected_cols, |c| {
        matches!(c, ColumnData::Numeric(_))
    })?;
    let mut data_min = Vec::with_capacity(columns.len());
    let mut data_max = Vec::with_capacity(columns.len());
    for name in &columns {
        let v = numeric_allow_nan(frame, name, "min_max_scaler")?;
        let (lo, hi) = v
            .iter()
            .filter(|x| !x.is_nan())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        if lo > hi {
            return Err(MlError::InvalidValue {
                column: name.clone(),
                row: 0,
                message: "every value is null or NaN; fill the column with an `imputer` or drop it"
                    .into(),
            });
        }
        data_min.push(lo);
        data_max.push(hi);
    }
    Ok(MinMaxScalerModel {
        columns,
        data_min,
        data_max,
        min: params.min,
        max: params.max,
    })
}

impl MinMaxScalerModel {
    /// Scales the model's columns of `frame`; each returned column replaces
    /// the input column of the same name.
    pub fn transform(&self, frame: &Frame<'_>) -> Result<Vec<(String, OwnedColumn)>, MlError> {
        if self.data_min.len() != self.columns.len() || self.data_max.len() != self.columns.len() {
            return Err(MlError::Corrupt(
                "min-max scaler needs one minimum and one maximum per column".into(),
            ));
        }
        let mut out = Vec::with_capacity(self.columns.len());
        for ((name, &lo), &hi) in self.columns.iter().zip(&self.data_min).zip(&self.data_max) {
            let v = numeric_allow_nan(frame, name, "min_max_scaler")?;
            // scikit-learn: scale = (max - min) / range (range 0 -> 1),
            // offset = min - data_min * scale.
            let range = if hi - lo == 0.0 { 1.0 } else { hi - lo };
            let scale = (self.max - self.min) / range;
            let offset = self.min - lo * scale;
            out.push((
                name.clone(),
                OwnedColumn::Numeric(v.iter().map(|x| x * scale + offset).collect()),
            ));
        }
        Ok(out)
    }
}
