//! The boundary between Arrow tables and `pai-ml`: a [`TableColumns`] view
//! of a record batch that lends [`pai_ml::Frame`]s (Float64 columns without
//! nulls are borrowed, not copied), and the conversions of transformed or
//! predicted columns back to Arrow arrays.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Float64Type};
use pai_core::{Error, Result};
use pai_ml::{ColumnData, Frame, OwnedColumn};
use serde::{Deserialize, Serialize};

/// The type of a column as recorded in model metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// 64-bit integers (and narrower integer types).
    Int64,
    /// Floating-point numbers.
    Float64,
    /// Booleans.
    Bool,
    /// Text (and any other type, read as its text form).
    String,
}

impl ValueType {
    /// The type recorded for an Arrow data type.
    pub fn of(ty: &DataType) -> Self {
        match ty {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => ValueType::Int64,
            DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _) => ValueType::Float64,
            DataType::Boolean => ValueType::Bool,
            _ => ValueType::String,
        }
    }
}

/// How one column is held for the frame.
enum Source {
    /// A Float64 array without nulls, lent as it is.
    Borrowed(ArrayRef),
    /// Numbers converted to `f64` (nulls are NaN).
    Owned(Vec<f64>),
    /// A Utf8 array.
    Text(ArrayRef),
}

/// The columns of a record batch in the form `pai-ml` reads.
pub struct TableColumns {
    columns: Vec<(String, ValueType, Source)>,
    n_rows: usize,
}

impl TableColumns {
    /// Converts `batch`: Float64 without nulls is borrowed; other numbers and
    /// booleans are widened to `f64` with nulls as NaN; everything else is
    /// read as text.
    pub fn new(batch: &RecordBatch) -> Result<Self> {
        let schema = batch.schema();
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let ty = ValueType::of(field.data_type());
            let source = match (field.data_type(), ty) {
                (DataType::Float64, _) if array.null_count() == 0 => {
                    Source::Borrowed(array.clone())
                }
                (_, ValueType::String) => {
                    let text = match field.data_type() {
                        DataType::Utf8 => array.clone(),
                        _ => arrow::compute::cast(array, &DataType::Utf8).map_err(|e| {
                            Error::invalid(format!(
                                "column `{}` of type {} cannot be read as text: {e}",
                                field.name(),
                                field.data_type()
                            ))
                        })?,
                    };
                    Source::Text(text)
                }
                _ => Source::Owned(to_f64(array).map_err(|e| {
                    Error::invalid(format!(
                        "column `{}` of type {} cannot be read as numbers: {e}",
                        field.name(),
                        field.data_type()
                    ))
                })?),
            };
            columns.push((field.name().clone(), ty, source));
        }
        Ok(TableColumns {
            columns,
            n_rows: batch.num_rows(),
        })
    }

    /// A frame over the columns.
    pub fn frame(&self) -> Frame<'_> {
        let columns = self
            .columns
            .iter()
            .map(|(name, _, source)| {
                let data = match source {
                    Source::Borrowed(a) => {
                        ColumnData::Numeric(a.as_primitive::<Float64Type>().values())
                    }
                    Source::Owned(v) => ColumnData::Numeric(v),
                    Source::Text(a) => ColumnData::Text(a.as_string::<i32>().iter().collect()),
                };
                (name.clone(), data)
            })
            .collect();
        Frame {
            columns,
            n_rows: self.n_rows,
        }
    }

    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The recorded type of column `name`, if present.
    pub fn value_type(&self, name: &str) -> Option<ValueType> {
        self.columns
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, t, _)| *t)
    }
}

/// Widens a numeric or boolean array to `f64`; nulls become NaN.
fn to_f64(array: &ArrayRef) -> std::result::Result<Vec<f64>, arrow::error::ArrowError> {
    let cast = arrow::compute::cast(array, &DataType::Float64)?;
    let values = cast.as_primitive::<Float64Type>();
    Ok((0..values.len())
        .map(|i| {
            if values.is_null(i) {
                f64::NAN
            } else {
                values.value(i)
            }
        })
        .collect())
}

/// An Arrow array of a transformed column: numbers (NaN as null) or text.
pub fn owned_to_array(column: &OwnedColumn) -> ArrayRef {
    match column {
        OwnedColumn::Numeric(v) => Arc::new(
            v.iter()
                .map(|x| (!x.is_nan()).then_some(*x))
                .collect::<Float64Array>(),
        ),
        OwnedColumn::Text(v) => Arc::new(v.iter().map(Option::as_deref).collect::<StringArray>()),
    }
}

/// The predicted labels as an array of the label's type when every class
/// name converts to it (integer labels come out as Int64), else as text.
pub fn labels_to_array(classes: &[String], codes: &[u32], ty: ValueType) -> ArrayRef {
    let names = |c: u32| classes.get(c as usize).map(String::as_str);
    match ty {
        ValueType::Int64 => {
            let parsed: Option<Vec<i64>> = classes.iter().map(|c| c.parse().ok()).collect();
            if let Some(p) = parsed {
                return Arc::new(
                    codes
                        .iter()
                        .map(|&c| p.get(c as usize).copied())
                        .collect::<Int64Array>(),
                );
            }
        }
        ValueType::Float64 => {
            let parsed: Option<Vec<f64>> = classes.iter().map(|c| c.parse().ok()).collect();
            if let Some(p) = parsed {
                return Arc::new(
                    codes
                        .iter()
                        .map(|&c| p.get(c as usize).copied())
                        .collect::<Float64Array>(),
                );
            }
        }
        ValueType::Bool => {
            let parsed: Option<Vec<bool>> = classes
                .iter()
                .map(|c| match c.as_str() {
                    "0" | "false" => Some(false),
                    "1" | "true" => Some(true),
                    _ => None,
                })
                .collect();
            if let Some(p) = parsed {
                return Arc::new(
                    codes
                        .iter()
                        .map(|&c| p.get(c as usize).copied())
                        .collect::<BooleanArray>(),
                );
            }
        }
        ValueType::String => {}
    }
    Arc::new(codes.iter().map(|&c| names(c)).collect::<StringArray>())
}

/// The text of each value of a label or prediction column, as `pai-ml`
/// names classes: numbers print without a fraction when integral
/// (`1`, not `1.0`), booleans as `1`/`0`; nulls are `None`.
pub fn column_as_labels(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let array = column(batch, name)?;
    Ok(match ValueType::of(array.data_type()) {
        ValueType::String => {
            let text = arrow::compute::cast(array, &DataType::Utf8).map_err(Error::invalid)?;
            text.as_string::<i32>()
                .iter()
                .map(|s| s.map(str::to_string))
                .collect()
        }
        _ => to_f64(array)
            .map_err(Error::invalid)?
            .into_iter()
            .map(|v| (!v.is_nan()).then(|| pai_ml::format_number(v)))
            .collect(),
    })
}

/// The values of a numeric column as `f64` (nulls are NaN); a text column
/// is an error naming the column.
pub fn column_as_numbers(batch: &RecordBatch, name: &str) -> Result<Vec<f64>> {
    let array = column(batch, name)?;
    if ValueType::of(array.data_type()) == ValueType::String {
        return Err(Error::invalid(format!(
            "column `{name}` holds {} values; a numeric column is needed",
            array.data_type()
        )));
    }
    to_f64(array).map_err(Error::invalid)
}

/// Column `name` of `batch`, or an error listing the columns.
pub fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch.column_by_name(name).ok_or_else(|| {
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        Error::invalid(format!(
            "column `{name}` is missing from the input (available: {})",
            names.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Schema};

    #[test]
    fn columns_convert_and_nulls_become_nan() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("f", DataType::Float64, true),
            Field::new("i", DataType::Int64, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Float64Array::from(vec![1.5, 2.5])),
                Arc::new(Int64Array::from(vec![Some(3), None])),
                Arc::new(BooleanArray::from(vec![true, false])),
                Arc::new(StringArray::from(vec![Some("a"), None])),
            ],
        )
        .unwrap();
        let cols = TableColumns::new(&batch).unwrap();
        let frame = cols.frame();
        assert_eq!(frame.numeric("f").unwrap(), &[1.5, 2.5]);
        match frame.column("i").unwrap() {
            ColumnData::Numeric(v) => assert!(v[0] == 3.0 && v[1].is_nan()),
            ColumnData::Text(_) => panic!("numeric expected"),
        }
        assert_eq!(frame.numeric("b").unwrap(), &[1.0, 0.0]);
        match frame.column("s").unwrap() {
            ColumnData::Text(v) => assert_eq!(v, &vec![Some("a"), None]),
            ColumnData::Numeric(_) => panic!("text expected"),
        }
        assert_eq!(cols.value_type("i"), Some(ValueType::Int64));
        assert_eq!(
            column_as_labels(&batch, "i").unwrap(),
            vec![Some("3".to_string()), None]
        );
    }

    #[test]
    fn labels_keep_their_type() {
        let classes = vec!["0".to_string(), "1".to_string()];
        let a = labels_to_array(&classes, &[1, 0], ValueType::Int64);
        assert_eq!(a.data_type(), &DataType::Int64);
        let a = labels_to_array(&["x".to_string()], &[0], ValueType::Int64);
        assert_eq!(a.data_type(), &DataType::Utf8);
        let a = labels_to_array(&classes, &[1], ValueType::Bool);
        assert!(a.as_boolean().value(0));
    }
}
