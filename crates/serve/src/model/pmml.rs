//! The `pmml` processor: a compiled PMML document scored record by record.
//! A document with `Output` fields answers exactly those (for PAI
//! Designer's exports, `p_0`, `p_1`, …); a document without answers the
//! columns JPMML-Evaluator names (the target, then `probability(…)` of a
//! classifier) — the same as `pai-engine pmml score`. Missing inputs get
//! the document's `MiningField` missing-value treatment.

use std::cell::RefCell;

use pai_pmml::{DataType, PmmlModel, Scratch, Value};

use super::{
    FieldKind, InputBatch, InputColumn, InputField, OutputBatch, OutputColumn, OutputField,
    OutputKind, ServingModel,
};

/// A PMML document ready to serve.
pub struct PmmlServing {
    model: PmmlModel,
    inputs: Vec<InputField>,
    outputs: Vec<OutputField>,
    /// Which of the model's result columns are answered, in order.
    picked: Vec<usize>,
}

thread_local! {
    static BUFFERS: RefCell<(Scratch, Vec<Value>, Vec<Value>)> =
        RefCell::new((Scratch::new(), Vec::new(), Vec::new()));
}

impl PmmlServing {
    /// Compiles `xml`.
    pub fn parse(xml: &str) -> Result<Self, String> {
        let model =
            PmmlModel::parse(xml).map_err(|e| format!("not a usable PMML document: {e}"))?;
        let has_output = declares_outputs(xml);
        let inputs = model
            .input_fields()
            .iter()
            .map(|f| InputField {
                name: f.name.clone(),
                kind: match f.data_type {
                    DataType::Boolean => FieldKind::Boolean,
                    DataType::String => FieldKind::Text,
                    DataType::Integer | DataType::Float | DataType::Double => FieldKind::Number,
                },
            })
            .collect();
        let columns = model.output_columns();
        let skip_target = has_output && columns.len() > 1;
        let picked: Vec<usize> = (usize::from(skip_target)..columns.len()).collect();
        let outputs = picked
            .iter()
            .filter_map(|&i| columns.get(i))
            .map(|c| OutputField {
                name: if c.name.is_empty() {
                    "cluster".to_string()
                } else {
                    c.name.clone()
                },
                kind: match c.data_type {
                    DataType::Boolean => OutputKind::Boolean,
                    DataType::String => OutputKind::Text,
                    DataType::Integer | DataType::Float | DataType::Double => OutputKind::Number,
                },
            })
            .collect();
        Ok(PmmlServing {
            model,
            inputs,
            outputs,
            picked,
        })
    }
}

/// Whether the document declares any `OutputField`.
fn declares_outputs(xml: &str) -> bool {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(xml, opts)
        .map(|d| {
            d.descendants()
                .any(|n| n.tag_name().name() == "OutputField")
        })
        .unwrap_or(false)
}

fn input_value(column: &InputColumn, row: usize) -> Value {
    match column {
        InputColumn::Number(v) => v
            .get(row)
            .copied()
            .flatten()
            .map_or(Value::Missing, Value::Number),
        InputColumn::Integer(v) => v
            .get(row)
            .copied()
            .flatten()
            .map_or(Value::Missing, |x| Value::Number(x as f64)),
        InputColumn::Boolean(v) => v
            .get(row)
            .copied()
            .flatten()
            .map_or(Value::Missing, Value::Bool),
        InputColumn::Text(v) => v
            .get(row)
            .and_then(|s| s.as_deref())
            .map_or(Value::Missing, Value::str),
    }
}

impl ServingModel for PmmlServing {
    fn platform(&self) -> &'static str {
        "pmml"
    }

    fn inputs(&self) -> &[InputField] {
        &self.inputs
    }

    fn outputs(&self) -> &[OutputField] {
        &self.outputs
    }

    fn score(&self, batch: &InputBatch) -> Result<OutputBatch, String> {
        let mut columns: Vec<OutputColumn> = self
            .outputs
            .iter()
            .map(|o| match o.kind {
                OutputKind::Boolean => OutputColumn::Boolean(Vec::with_capacity(batch.rows)),
                OutputKind::Text | OutputKind::Json => {
                    OutputColumn::Text(Vec::with_capacity(batch.rows))
                }
                OutputKind::Number | OutputKind::Integer => {
                    OutputColumn::Number(Vec::with_capacity(batch.rows))
                }
            })
            .collect();
        BUFFERS.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (scratch, inputs, out) = &mut *guard;
            for row in 0..batch.rows {
                inputs.clear();
                inputs.extend(batch.columns.iter().map(|c| input_value(c, row)));
                self.model
                    .evaluate_into(inputs, scratch, out)
                    .map_err(|e| format!("row {row}: {e}"))?;
                for (col, &i) in columns.iter_mut().zip(&self.picked) {
                    let v = out.get(i).unwrap_or(&Value::Missing);
                    match col {
                        OutputColumn::Number(c) => c.push(v.as_f64().filter(|x| !x.is_nan())),
                        OutputColumn::Boolean(c) => c.push(match v {
                            Value::Bool(b) => Some(*b),
                            _ => None,
                        }),
                        OutputColumn::Text(c) | OutputColumn::Json(c) => c.push(match v {
                            Value::Missing => None,
                            Value::Str(s) => Some(s.to_string()),
                            Value::Number(x) => Some(pai_ml_number(*x)),
                            Value::Bool(b) => Some(b.to_string()),
                        }),
                        OutputColumn::Integer(c) => c.push(v.as_f64().map(|x| x as i64)),
                    }
                }
            }
            Ok::<(), String>(())
        })?;
        Ok(OutputBatch {
            rows: batch.rows,
            columns,
        })
    }
}

/// A number as text: integral values without a fraction.
fn pai_ml_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PAI Designer export committed under `data/pmml/`.
    fn designer() -> String {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/pmml/pai_designer_lr.pmml"
        );
        std::fs::read_to_string(p).unwrap()
    }

    #[test]
    fn designer_export_answers_its_output_fields() {
        let m = PmmlServing::parse(&designer()).unwrap();
        let names: Vec<&str> = m.outputs().iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["p_1", "p_0"]);
        assert_eq!(m.inputs().len(), 4);
        let batch = InputBatch {
            rows: 2,
            columns: vec![
                InputColumn::Number(vec![Some(1.0), Some(0.5)]),
                InputColumn::Number(vec![Some(0.1), Some(0.2)]),
                InputColumn::Number(vec![Some(0.2), None]),
                InputColumn::Number(vec![Some(0.3), Some(0.4)]),
            ],
        };
        let out = m.score(&batch).unwrap();
        let OutputColumn::Number(p1) = &out.columns[0] else {
            panic!("numbers expected")
        };
        let OutputColumn::Number(p0) = &out.columns[1] else {
            panic!("numbers expected")
        };
        let z: f64 = -16.89823252736313 + 18.25811359934353 + 2.051957330416824 * 0.1
            - 0.5280526237281141 * 0.2
            + 11.60497429920501 * 0.3;
        let want = 1.0 / (1.0 + (-z).exp());
        assert!((p1[0].unwrap() - want).abs() < 1e-12);
        assert!((p0[0].unwrap() + p1[0].unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(p1.len(), 2);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(PmmlServing::parse("<x/>").is_err());
        assert!(PmmlServing::parse("not xml").is_err());
    }
}
