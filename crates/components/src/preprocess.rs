//! The plumbing the preprocessing stages share: fit on input `data`, write
//! the model, and output the transformed table; and [`transform_batch`],
//! which `predict` also uses to apply a stored preprocessing model.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Float64Type, Schema};
use pai_core::{Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use pai_ml::{Frame, MlError, OwnedColumn};
use serde::Serialize;

use crate::fitted_model::{Applied, FittedModel};
use crate::frame::{TableColumns, owned_to_array};
use crate::io::{input_table, output_table};
use crate::model_file::{ModelInfo, write_model};
use crate::train::{MODEL_NAME, input_schema, ml_error};

/// The output ports of every preprocessing stage.
pub const PREPROCESS_OUTPUTS: &[PortSpec] = &[
    PortSpec::required(
        "model",
        PortType::Model,
        "the fitted stage, to apply to other tables with `predict`",
    ),
    PortSpec::required(
        "output",
        PortType::Table,
        "the input table with the selected columns transformed",
    ),
];

/// Fits a preprocessing stage on input `data`, writes it as output `model`
/// and the transformed table as output `output`.
pub fn run_preprocess(
    ctx: &RunContext,
    config: &impl Serialize,
    fit: impl FnOnce(&Frame<'_>) -> std::result::Result<FittedModel, MlError>,
) -> Result<NodeOutputs> {
    let batch = input_table(ctx, "data")?;
    let columns = TableColumns::new(&batch)?;
    let frame = columns.frame();
    let model = fit(&frame).map_err(ml_error)?;
    ctx.check_cancelled()?;
    let Applied::Transform(replacements) = model.apply(&frame).map_err(ml_error)? else {
        return Err(Error::invalid(format!(
            "`{}` is a trained model, not a preprocessing stage",
            model.class_name()
        )));
    };
    let out = transform_batch(&batch, &model, &replacements)?;
    let selected = model.input_columns();
    let metrics = serde_json::json!({
        "rows": batch.num_rows(),
        "columns": selected,
        "output_columns": out.num_columns(),
    });
    let info = ModelInfo {
        input_schema: input_schema(&columns, &selected),
        label: None,
        params: serde_json::to_value(config).map_err(Error::invalid)?,
        metrics: metrics.clone(),
    };
    let model_path = write_model(ctx, "model", MODEL_NAME, &model, info)?;
    let table = output_table(ctx, "output", &out)?;
    ctx.log(
        "info",
        format!(
            "fitted `{}` on {} columns of {} rows",
            model.class_name(),
            selected.len(),
            batch.num_rows()
        ),
    );
    ctx.set_metrics(metrics);
    Ok(NodeOutputs::default()
        .with("model", model_path)
        .with("output", table))
}

/// Builds the output of preprocessing model `model` on `batch`: each of the
/// model's columns is replaced in place by its transformed column(s)
/// (`replacements`, as the model's transform returned them); other columns
/// are kept as they are.
pub fn transform_batch(
    batch: &RecordBatch,
    model: &FittedModel,
    replacements: &[(String, OwnedColumn)],
) -> Result<RecordBatch> {
    let inputs = model.input_columns();
    let widths = output_widths(model);
    let mut groups: Vec<&[(String, OwnedColumn)]> = Vec::with_capacity(inputs.len());
    let mut rest = replacements;
    for w in &widths {
        let (head, tail) = rest.split_at((*w).min(rest.len()));
        groups.push(head);
        rest = tail;
    }
    let schema = batch.schema();
    let mut fields: Vec<Field> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (field, array) in schema.fields().iter().zip(batch.columns()) {
        match inputs.iter().position(|c| c == field.name()) {
            Some(i) => {
                for (name, col) in groups.get(i).copied().unwrap_or_default() {
                    let mut a = owned_to_array(col);
                    if matches!(model, FittedModel::ImputerModel(_)) {
                        a = keep_integer_type(a, field.data_type());
                    }
                    fields.push(Field::new(name, a.data_type().clone(), true));
                    arrays.push(a);
                }
            }
            None => {
                fields.push(field.as_ref().clone());
                arrays.push(array.clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(Error::invalid)
}

/// An imputed column keeps an integer or boolean input type when every
/// value still fits it (an integral fill value); otherwise it stays Float64.
fn keep_integer_type(array: ArrayRef, original: &DataType) -> ArrayRef {
    let integral = original.is_integer() || original == &DataType::Boolean;
    if !integral {
        return array;
    }
    let Some(values) = array.as_primitive_opt::<Float64Type>() else {
        return array;
    };
    let fits = values
        .iter()
        .flatten()
        .all(|v| v.fract() == 0.0 && v.abs() < 9.0e15);
    if !fits {
        return array;
    }
    arrow::compute::cast(&array, original).unwrap_or(array)
}

/// How many output columns each of the model's input columns becomes.
fn output_widths(model: &FittedModel) -> Vec<usize> {
    match model {
        FittedModel::OneHotEncoderModel(m) => m
            .columns
            .iter()
            .map(|c| c.categories.len().saturating_sub(usize::from(m.drop_last)))
            .collect(),
        other => vec![1; other.input_columns().len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("size", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
            Field::new("y", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["s", "l", "s"])),
                Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])),
                Arc::new(Int64Array::from(vec![0, 1, 0])),
            ],
        )
        .unwrap()
    }

    fn apply(model: &FittedModel, batch: &RecordBatch) -> RecordBatch {
        let columns = TableColumns::new(batch).unwrap();
        let Applied::Transform(r) = model.apply(&columns.frame()).unwrap() else {
            panic!("a transform expected");
        };
        transform_batch(batch, model, &r).unwrap()
    }

    #[test]
    fn indicators_replace_their_column_in_place() {
        let b = batch();
        let columns = TableColumns::new(&b).unwrap();
        let params = pai_ml::OneHotEncoderParams {
            selected_cols: vec!["size".into()],
            ..Default::default()
        };
        let model = FittedModel::OneHotEncoderModel(
            pai_ml::fit_one_hot_encoder(&columns.frame(), &params).unwrap(),
        );
        let out = apply(&model, &b);
        let names: Vec<String> = out
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["size_l", "size_s", "n", "y"]);
        assert_eq!(out.column(2), b.column(1));
    }

    #[test]
    fn an_imputed_integer_column_stays_integer() {
        let b = batch();
        let columns = TableColumns::new(&b).unwrap();
        let params = pai_ml::ImputerParams {
            selected_cols: vec!["n".into()],
            strategy: pai_ml::ImputeStrategy::Mean,
            fill_value: None,
        };
        let model =
            FittedModel::ImputerModel(pai_ml::fit_imputer(&columns.frame(), &params).unwrap());
        let out = apply(&model, &b);
        assert_eq!(
            out.column(1).as_ref(),
            &Int64Array::from(vec![1, 2, 3]) as &dyn arrow::array::Array
        );
        // a fractional fill value makes it Float64
        let b2 = RecordBatch::try_new(
            b.schema(),
            vec![
                b.column(0).clone(),
                Arc::new(Int64Array::from(vec![Some(1), None, Some(2)])),
                b.column(2).clone(),
            ],
        )
        .unwrap();
        let columns = TableColumns::new(&b2).unwrap();
        let model =
            FittedModel::ImputerModel(pai_ml::fit_imputer(&columns.frame(), &params).unwrap());
        assert_eq!(apply(&model, &b2).column(1).data_type(), &DataType::Float64);
    }
}
