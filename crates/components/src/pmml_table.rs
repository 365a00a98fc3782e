//! Scoring Arrow tables with a compiled PMML document: input columns are
//! matched to the model's fields by name, and the results come back as a
//! table whose columns are named as JPMML-Evaluator names them.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use pai_core::{Error, Result};
use pai_pmml::{Column, DataType as PmmlType, PmmlModel, Value};

/// Reads and compiles a PMML file.
pub fn load_pmml(path: &std::path::Path) -> Result<PmmlModel> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    PmmlModel::parse(&text).map_err(|e| Error::invalid(format!("`{}`: {e}", path.display())))
}

/// An input column converted for the evaluator.
enum Owned {
    F64(Vec<f64>),
    Str(Vec<Option<String>>),
}

/// Scores every row of `batch`. Fields the table lacks are missing values
/// (the model's missing-value treatment applies). The first failing record
/// is an error naming its row.
pub fn score_table(model: &PmmlModel, batch: &RecordBatch) -> Result<RecordBatch> {
    let mut owned: Vec<(String, Owned)> = Vec::new();
    for field in model.input_fields() {
        let Some(col) = batch.column_by_name(&field.name) else {
            continue;
        };
        owned.push((field.name.clone(), convert(&field.name, col)?));
    }
    let strs: Vec<Vec<Option<&str>>> = owned
        .iter()
        .map(|(_, o)| match o {
            Owned::Str(v) => v.iter().map(|s| s.as_deref()).collect(),
            Owned::F64(_) => Vec::new(),
        })
        .collect();
    let columns: Vec<(&str, Column<'_>)> = owned
        .iter()
        .zip(&strs)
        .map(|((name, o), s)| {
            let c = match o {
                Owned::F64(v) => Column::F64(v),
                Owned::Str(_) => Column::Str(s),
            };
            (name.as_str(), c)
        })
        .collect();
    let out = if columns.is_empty() {
        let missing = vec![f64::NAN; batch.num_rows()];
        let name = model
            .input_fields()
            .first()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        model.evaluate_batch(&[(name.as_str(), Column::F64(&missing))])
    } else {
        model.evaluate_batch(&columns)
    }
    .map_err(|e| Error::invalid(format!("scoring failed: {e}")))?;
    if let Some((row, e)) = out.errors.first() {
        return Err(Error::invalid(format!("row {row}: {e}")));
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (spec, values) in model.output_columns().iter().zip(out.columns) {
        let numeric = matches!(spec.data_type, PmmlType::Double | PmmlType::Float);
        let integer = spec.data_type == PmmlType::Integer
            && values.iter().all(|v| match v {
                Value::Number(x) => x.fract() == 0.0 && x.abs() < 9.0e15,
                _ => matches!(v, Value::Missing),
            });
        let boolean = spec.data_type == PmmlType::Boolean;
        let (dt, array): (DataType, ArrayRef) = if integer {
            (
                DataType::Int64,
                Arc::new(
                    values
                        .iter()
                        .map(|v| v.as_f64().map(|x| x as i64))
                        .collect::<Int64Array>(),
                ),
            )
        } else if numeric || spec.data_type == PmmlType::Integer {
            (
                DataType::Float64,
                Arc::new(values.iter().map(Value::as_f64).collect::<Float64Array>()),
            )
        } else if boolean {
            (
                DataType::Boolean,
                Arc::new(
                    values
                        .iter()
                        .map(|v| {
                            if let Value::Bool(b) = v {
                                Some(*b)
                            } else {
                                None
                            }
                        })
                        .collect::<BooleanArray>(),
                ),
            )
        } else {
            (
                DataType::Utf8,
                Arc::new(
                    values
                        .iter()
                        .map(|v| {
                            if matches!(v, Value::Missing) {
                                None
                            } else {
                                Some(v.to_string())
                            }
                        })
                        .collect::<StringArray>(),
                ),
            )
        };
        fields.push(Field::new(&spec.name, dt, true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(Error::invalid)
}

fn convert(name: &str, col: &ArrayRef) -> Result<Owned> {
    Ok(match col.data_type() {
        DataType::Float64 => {
            let a = col.as_primitive::<Float64Type>();
            Owned::F64(
                (0..a.len())
                    .map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) })
                    .collect(),
            )
        }
        DataType::Int64 => {
            let a = col.as_primitive::<Int64Type>();
            Owned::F64(
                (0..a.len())
                    .map(|i| {
                        if a.is_null(i) {
                            f64::NAN
                        } else {
                            a.value(i) as f64
                        }
                    })
                    .collect(),
            )
        }
        DataType::Boolean => {
            let a = col.as_boolean();
            Owned::F64(
                (0..a.len())
                    .map(|i| {
                        if a.is_null(i) {
                            f64::NAN
                        } else {
                            f64::from(u8::from(a.value(i)))
                        }
                    })
                    .collect(),
            )
        }
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            Owned::Str(
                (0..a.len())
                    .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
                    .collect(),
            )
        }
        other => {
            let cast = arrow::compute::cast(col, &DataType::Utf8).map_err(|_| {
                Error::invalid(format!(
                    "column `{name}` has type {other}, which PMML scoring does not take"
                ))
            })?;
            let a = cast.as_string::<i32>();
            Owned::Str(
                (0..a.len())
                    .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
                    .collect(),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sklearn2pmml fixtures, scored through Arrow, match scikit-learn's
    /// own outputs (the fixtures' `.expected.csv`).
    #[test]
    fn scores_the_linear_regression_fixture() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let fixtures = repo.join("tests/fixtures");
        let model = load_pmml(&fixtures.join("pmml/linreg_diabetes.sklearn2pmml.pmml")).unwrap();
        let data = crate::table::read_csv(&repo.join("data/diabetes.csv"), b',', &[]).unwrap();
        let out = score_table(&model, &data).unwrap();
        let expected =
            std::fs::read_to_string(fixtures.join("pmml/linreg_diabetes.expected.csv")).unwrap();
        let got = out.column(0).as_primitive::<Float64Type>();
        assert_eq!(got.len(), 442);
        for (i, line) in expected.lines().skip(1).enumerate() {
            let want: f64 = line.split(',').next().unwrap().parse().unwrap();
            assert!(
                (got.value(i) - want).abs() <= 1e-9 * want.abs().max(1.0),
                "row {i}: {} vs {want}",
                got.value(i)
            );
        }
    }
}
