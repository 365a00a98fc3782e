//! Filling missing values (NaN / null), like scikit-learn's
//! `SimpleImputer`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{OwnedColumn, selected_columns};
use crate::target::format_number;
use crate::{ColumnData, Frame, MlError};

/// How the fill value of a column is chosen (scikit-learn's `strategy`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImputeStrategy {
    /// The mean of the non-missing values (numeric columns; default).
    #[default]
    Mean,
    /// The median (numeric columns; the mean of the two middle values for
    /// an even count).
    Median,
    /// The most frequent value, the smallest one on ties (numeric or text).
    MostFrequent,
    /// `fill_value` (numeric or text).
    Constant,
}

impl ImputeStrategy {
    /// Parses `mean`, `median`, `most_frequent` or `constant`.
    pub fn parse(s: &str) -> Result<Self, MlError> {
        match s {
            "mean" => Ok(ImputeStrategy::Mean),
            "median" => Ok(ImputeStrategy::Median),
            "most_frequent" => Ok(ImputeStrategy::MostFrequent),
            "constant" => Ok(ImputeStrategy::Constant),
            _ => Err(MlError::InvalidParam {
                param: "strategy".into(),
                message: format!(
                    "unknown strategy `{s}`; use `mean`, `median`, `most_frequent` or `constant`"
                ),
            }),
        }
    }
}

/// A fill value: a number for numeric columns, a string for text columns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(untagged)]
pub enum FillValue {
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
}

/// Parameters of [`fit_imputer`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImputerParams {
    /// Columns to fill; empty means every column.
    pub selected_cols: Vec<String>,
    /// How to choose the fill value (default `mean`).
    pub strategy: ImputeStrategy,
    /// The value for `constant`; when absent, 0 for numeric columns and
    /// `"missing_value"` for text columns (scikit-learn's defaults). A
    /// number given for a text column is used as its printed form; a string
    /// for a numeric column must parse as a number.
    pub fill_value: Option<FillValue>,
}

/// A fitted imputer: `values[i]` replaces the missing values of
/// `columns[i]` (a number for numeric columns, text for text columns).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ImputerModel {
    /// The filled columns.
    pub columns: Vec<String>,
    /// The fill value of each column.
    pub values: Vec<FillValue>,
}

fn all_missing(column: &str, strategy: ImputeStrategy) -> MlError {
    MlError::InvalidValue {
        column: column.to_string(),
        row: 0,
        message: format!(
            "every value is missing, so strategy `{}` has nothing to compute from; use `strategy: constant` or drop the column",
            match strategy {
                ImputeStrategy::Mean => "mean",
                ImputeStrategy::Median => "median",
                ImputeStrategy::MostFrequent => "most_frequent",
                ImputeStrategy::Constant => "constant",
            }
        ),
    }
}

/// Fits an imputer on the selected columns.
pub fn fit_imputer(frame: &Frame<'_>, params: &ImputerParams) -> Result<ImputerModel, MlError> {
    let columns = selected_columns(frame, &params.selected_cols, |_| true)?;
    let mut values = Vec::with_capacity(columns.len());
    for name in &columns {
        let value = match frame.column(name)? {
            ColumnData::Numeric(v) => FillValue::Number(numeric_fill(name, v, params)?),
            ColumnData::Text(v) => FillValue::Text(text_fill(name, v, params)?),
        };
        values.push(value);
    }
    Ok(ImputerModel { columns, values })
}

fn numeric_fill(name: &str, v: &[f64], params: &ImputerParams) -> Result<f64, MlError> {
    let present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    let strategy = params.strategy;
    if present.is_empty() && strategy != ImputeStrategy::Constant {
        return Err(all_missing(name, strategy));
    }
    match strategy {
        ImputeStrategy::Mean => Ok(present.iter().sum::<f64>() / present.len() as f64),
        ImputeStrategy::Median => {
            let mut s = present;
            s.sort_by(f64::total_cmp);
            let m = s.len() / 2;
            Ok(if s.len() % 2 == 1 { s[m] } else { (s[m - 1] + s[m]) / 2.0 })
        }
        ImputeStrategy::MostFrequent => {
            let mut s = present;
            s.sort_by(f64::total_cmp);
            let (mut best, mut best_n) = (s[0], 0usize);
            let mut i = 0;
            while i < s.len() {
                let j = i + s[i..].iter().take_while(|x| **x == s[i]).count();
                if j - i > best_n {
                    best = s[i];
                    best_n = j - i;
                }
                i = j.max(i + 1);
            }
            Ok(best)
        }
        ImputeStrategy::Constant => match &params.fill_value {
            None => Ok(0.0),
            Some(FillValue::Number(x)) => Ok(*x),
            Some(FillValue::Text(t)) => t.trim().parse::<f64>().map_err(|_| MlError::InvalidParam {
                param: "fill_value".into(),
                message: format!("`{t}` is not a number but column `{name}` is numeric; give a numeric `fill_value`"),
            }),
        },
    }
}

fn text_fill(name: &str, v: &[Option<&str>], params: &ImputerParams) -> Result<String, MlError> {
    match params.strategy {
        ImputeStrategy::Mean | ImputeStrategy::Median => Err(MlError::InvalidParam {
            param: "strategy".into(),
            message: format!(
                "column `{name}` is text, which has no mean or median; use `most_frequent` or `constant` for it"
            ),
        }),
        ImputeStrategy::MostFrequent => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for s in v.iter().flatten() {
                *counts.entry(s).or_default() += 1;
            }
            // BTreeMap iterates in sorted order, so the first maximum is the
            // smallest value among ties.
            let mut best: Option<(&str, usize)> = None;
            for (s, n) in counts {
                if best.is_none_or(|(_, b)| n > b) {
                    best = Some((s, n));
                }
            }
            best.map(|(s, _)| s.to_string())
                .ok_or_else(|| all_missing(name, ImputeStrategy::MostFrequent))
        }
        ImputeStrategy::Constant => Ok(match &params.fill_value {
            None => "missing_value".to_string(),
            Some(FillValue::Number(x)) => format_number(*x),
            Some(FillValue::Text(t)) => t.clone(),
        }),
    }
}

impl ImputerModel {
    /// Fills the missing values of the model's columns of `frame`; each
    /// returned column replaces the input column of the same name.
    pub fn transform(&self, frame: &Frame<'_>) -> Result<Vec<(String, OwnedColumn)>, MlError> {
        if self.values.len() != self.columns.len() {
            return Err(MlError::Corrupt(
                "imputer needs one fill value per column".into(),
            ));
        }
        let mut out = Vec::with_capacity(self.columns.len());
        for (name, value) in self.columns.iter().zip(&self.values) {
            let col = frame.column(name)?;
            crate::features::check_length(frame, name, col)?;
            let filled = match (col, value) {
                (ColumnData::Numeric(v), FillValue::Number(x)) => OwnedColumn::Numeric(
                    v.iter().map(|y| if y.is_nan() { *x } else { *y }).collect(),
                ),
                (ColumnData::Text(v), FillValue::Text(t)) => {
                    OwnedColumn::Text(v.iter().map(|s| Some(s.unwrap_or(t).to_string())).collect())
                }
                (ColumnData::Numeric(_), FillValue::Text(_))
                | (ColumnData::Text(_), FillValue::Number(_)) => {
                    return Err(MlError::InvalidValue {
                        column: name.clone(),
                        row: 0,
                        message: "the column's type differs from training (text vs numeric); give it the same type".into(),
                    });
                }
            };
            out.push((name.clone(), filled));
        }
        Ok(out)
    }
}
