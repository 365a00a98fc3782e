//! The preprocessing stages as `DerivedField`s: standard and min–max
//! scaling as `Apply` arithmetic in `pai-ml`'s exact operation order,
//! one-hot indicators as `NormDiscrete`, imputation as
//! `if(isMissing(x), fill, x)`. Each transformed column gets a new field
//! and the column map points at it.

use pai_ml::{CategoryKind, FillValue, HandleUnknown};

use super::fields::{Fields, Kind};
use super::writer::{self, El};
use super::{Stage, apply, check_len, constant, err, field_ref};
use crate::error::PmmlError;
use crate::value::DataType;

/// Adds the derived fields of preprocessing `stage`.
pub(crate) fn apply_stage(stage: &Stage<'_>, fields: &mut Fields) -> Result<(), PmmlError> {
    match stage {
        Stage::StandardScaler(m) => standard_scaler(m, fields),
        Stage::MinMaxScaler(m) => min_max_scaler(m, fields),
        Stage::OneHotEncoder(m) => one_hot(m, fields),
        Stage::Imputer(m) => imputer(m, fields),
        other => Err(err(format!(
            "`{}` is not a preprocessing stage",
            other.component()
        ))),
    }
}

/// `(x - mean) / scale`, as `pai-ml` computes it.
fn standard_scaler(m: &pai_ml::StandardScalerModel, fields: &mut Fields) -> Result<(), PmmlError> {
    const C: &str = "standard_scaler";
    check_len("`means`", m.means.len(), m.columns.len(), C)?;
    check_len("`scales`", m.scales.len(), m.columns.len(), C)?;
    for ((col, &mean), &scale) in m.columns.iter().zip(&m.means).zip(&m.scales) {
        let x = fields.numeric(col, C)?;
        let expr = apply(
            "/",
            [apply("-", [field_ref(&x), constant(mean)]), constant(scale)],
        );
        let name = fields.derive(&format!("{C}({x})"), DataType::Double, expr, vec![x]);
        fields.replace(col, name, Kind::Numeric);
    }
    Ok(())
}

/// `x * scale + offset` with `pai-ml`'s `scale` and `offset`.
fn min_max_scaler(m: &pai_ml::MinMaxScalerModel, fields: &mut Fields) -> Result<(), PmmlError> {
    const C: &str = "min_max_scaler";
    check_len("`data_min`", m.data_min.len(), m.columns.len(), C)?;
    check_len("`data_max`", m.data_max.len(), m.columns.len(), C)?;
    for ((col, &lo), &hi) in m.columns.iter().zip(&m.data_min).zip(&m.data_max) {
        let x = fields.numeric(col, C)?;
        // The same arithmetic as `MinMaxScalerModel::transform`.
        let range = if hi - lo == 0.0 { 1.0 } else { hi - lo };
        let scale = (m.max - m.min) / range;
        let offset = m.min - lo * scale;
        let expr = apply(
            "+",
            [
                apply("*", [field_ref(&x), constant(scale)]),
                constant(offset),
            ],
        );
        let name = fields.derive(&format!("{C}({x})"), DataType::Double, expr, vec![x]);
        fields.replace(col, name, Kind::Numeric);
    }
    Ok(())
}

/// One `NormDiscrete` indicator per kept category. A raw input gets the
/// categories as its valid values: with `handle_unknown: error` unseen and
/// missing values are invalid; with `ignore` they give all zeros.
fn one_hot(m: &pai_ml::OneHotEncoderModel, fields: &mut Fields) -> Result<(), PmmlError> {
    const C: &str = "one_hot_encoder";
    for col in &m.columns {
        let (x, kind) = fields.column(&col.column, C)?;
        match (col.kind, kind) {
            (CategoryKind::Text, Kind::Text) | (CategoryKind::Integer, Kind::Numeric) => {}
            (CategoryKind::Text, Kind::Numeric) => {
                return Err(err(format!(
                    "`{C}` was fitted on text in column `{}`, which holds numbers here",
                    col.column
                )));
            }
            (CategoryKind::Integer, Kind::Text) => {
                return Err(err(format!(
                    "`{C}` was fitted on integers in column `{}`, which holds text here",
                    col.column
                )));
            }
        }
        let ignore = m.handle_unknown == HandleUnknown::Ignore;
        // Integer categories print without a fraction, which reads as the
        // same number in an integer or double field.
        let values = &col.categories;
        if let Some(raw) = fields.raw_input_mut(&x) {
            raw.values = values.clone();
            if ignore {
                raw.invalid = Some("asIs");
            } else {
                raw.invalid = Some("returnInvalid");
                raw.missing = Some("returnInvalid");
            }
        }
        let keep = if m.drop_last {
            col.categories.len().saturating_sub(1)
        } else {
            col.categories.len()
        };
        let mut new = Vec::with_capacity(keep);
        for (cat, value) in col.categories.iter().zip(values).take(keep) {
            let engine = format!("{}_{cat}", col.column);
            let mut expr = El::new("NormDiscrete")
                .attr("field", &x)
                .attr("value", value);
            if ignore {
                expr = expr.attr("mapMissingTo", "0");
            }
            let name = fields.derive(&engine, DataType::Double, expr, vec![x.clone()]);
            new.push((engine, name));
        }
        fields.expand(&col.column, new, C)?;
    }
    Ok(())
}

/// `if(isMissing(x), fill, x)`.
fn imputer(m: &pai_ml::ImputerModel, fields: &mut Fields) -> Result<(), PmmlError> {
    const C: &str = "imputer";
    check_len("`values`", m.values.len(), m.columns.len(), C)?;
    for (col, value) in m.columns.iter().zip(&m.values) {
        let (x, kind) = fields.column(col, C)?;
        let (fill, dt) = match (value, kind) {
            (FillValue::Number(v), Kind::Numeric) => {
                let text = writer::number(*v).ok_or_else(|| {
                    err(format!(
                        "the `{C}` fill value of column `{col}` is not finite"
                    ))
                })?;
                (
                    El::new("Constant").attr("dataType", "double").text(text),
                    DataType::Double,
                )
            }
            (FillValue::Text(t), Kind::Text) => (
                El::new("Constant").attr("dataType", "string").text(t),
                DataType::String,
            ),
            _ => {
                return Err(err(format!(
                    "the `{C}` fill value of column `{col}` does not match the column's type"
                )));
            }
        };
        let expr = apply(
            "if",
            [apply("isMissing", [field_ref(&x)]), fill, field_ref(&x)],
        );
        let name = fields.derive(&format!("{C}({x})"), dt, expr, vec![x]);
        fields.replace(col, name, kind);
    }
    Ok(())
}
