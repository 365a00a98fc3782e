//! The KServe V2 answer: one tensor per requested output (FP64 for
//! numbers, BOOL, BYTES for text), as JSON `data` or, when asked for, as
//! binary tensor data after a JSON header whose length goes in
//! `Inference-Header-Content-Length`.

use serde_json::{Map, Value};

use crate::model::{OutputBatch, OutputColumn, OutputField};

/// Encodes the answer; returns the body and, when any output goes as
/// binary data, the length of its JSON header.
pub fn encode(
    model_name: &str,
    version: u32,
    id: Option<&Value>,
    outputs: &[OutputField],
    batch: &OutputBatch,
    picked: &[(usize, bool)],
) -> (Vec<u8>, Option<usize>) {
    let mut binary: Vec<u8> = Vec::new();
    let mut any_binary = false;
    let mut list = Vec::with_capacity(picked.len());
    for &(i, as_binary) in picked {
        let (Some(field), Some(col)) = (outputs.get(i), batch.columns.get(i)) else {
            continue;
        };
        let mut o = Map::new();
        o.insert("name".into(), field.name.clone().into());
        o.insert("datatype".into(), field.kind.v2_datatype().into());
        o.insert("shape".into(), serde_json::json!([batch.rows]));
        if as_binary {
            any_binary = true;
            let before = binary.len();
            write_binary(col, &mut binary);
            o.insert(
                "parameters".into(),
                serde_json::json!({ "binary_data_size": binary.len() - before }),
            );
        } else {
            o.insert("data".into(), json_data(col));
        }
        list.push(Value::Object(o));
    }
    let mut head = Map::new();
    head.insert("model_name".into(), model_name.into());
    head.insert("model_version".into(), version.to_string().into());
    if let Some(id) = id {
        head.insert("id".into(), id.clone());
    }
    head.insert("outputs".into(), Value::Array(list));
    let mut body = Value::Object(head).to_string().into_bytes();
    if any_binary {
        let n = body.len();
        body.extend_from_slice(&binary);
        (body, Some(n))
    } else {
        (body, None)
    }
}

fn json_data(col: &OutputColumn) -> Value {
    match col {
        OutputColumn::Number(v) => v
            .iter()
            .map(|x| x.map_or(Value::Null, Value::from))
            .collect(),
        OutputColumn::Integer(v) => v
            .iter()
            .map(|x| x.map_or(Value::Null, |i| Value::from(i as f64)))
            .collect(),
        OutputColumn::Boolean(v) => v
            .iter()
            .map(|x| x.map_or(Value::Null, Value::from))
            .collect(),
        OutputColumn::Text(v) | OutputColumn::Json(v) => v
            .iter()
            .map(|x| x.as_deref().map_or(Value::Null, Value::from))
            .collect(),
    }
}

fn write_binary(col: &OutputColumn, out: &mut Vec<u8>) {
    match col {
        OutputColumn::Number(v) => {
            for x in v {
                out.extend_from_slice(&x.unwrap_or(f64::NAN).to_le_bytes());
            }
        }
        OutputColumn::Integer(v) => {
            for x in v {
                out.extend_from_slice(&x.map_or(f64::NAN, |i| i as f64).to_le_bytes());
            }
        }
        OutputColumn::Boolean(v) => out.extend(v.iter().map(|b| u8::from(b.unwrap_or(false)))),
        OutputColumn::Text(v) | OutputColumn::Json(v) => {
            for s in v {
                let s = s.as_deref().unwrap_or("");
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
}
