//! The KServe V2 (Open Inference Protocol) request and response bodies:
//! JSON tensors, and the binary tensor data extension `tritonclient` uses
//! by default (a JSON header of `Inference-Header-Content-Length` bytes
//! followed by raw tensors). Inputs are named per feature (`[N]` or
//! `[N, 1]` each) or one `[N, F]` tensor with the features in the model's
//! input order.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::{FieldIndex, InputBatch, InputColumn, InputField, OutputField};

#[derive(Deserialize)]
struct WireRequest {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    inputs: Vec<WireInput>,
    #[serde(default)]
    outputs: Option<Vec<WireOutput>>,
}

#[derive(Deserialize)]
struct WireInput {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    #[serde(default)]
    data: Option<Value>,
}

#[derive(Deserialize)]
struct WireOutput {
    name: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
}

/// A decoded inference request.
#[derive(Debug)]
pub struct InferRequest {
    /// The request id, echoed back.
    pub id: Option<Value>,
    /// The typed inputs.
    pub batch: InputBatch,
    /// The outputs to answer (index into the model's outputs) and whether
    /// each goes as binary data.
    pub outputs: Vec<(usize, bool)>,
}

/// One scalar of a tensor.
enum Scalar {
    Num(f64),
    Bool(bool),
    Str(String),
}

fn flag(params: Option<&Map<String, Value>>, key: &str) -> Option<bool> {
    params.and_then(|p| p.get(key)).and_then(Value::as_bool)
}

/// Decodes a request for a model with `fields` and `outputs`.
/// `header_len` is the `Inference-Header-Content-Length` header.
pub fn decode(
    body: &[u8],
    header_len: Option<usize>,
    fields: &[InputField],
    index: &FieldIndex,
    outputs: &[OutputField],
    eas_defaults: bool,
) -> Result<InferRequest, String> {
    let (head, mut binary) = match header_len {
        Some(n) if n <= body.len() => body.split_at(n),
        Some(n) => {
            return Err(format!(
                "`Inference-Header-Content-Length` is {n} but the body has only {} bytes",
                body.len()
            ));
        }
        None => (body, &[][..]),
    };
    let req: WireRequest =
        serde_json::from_slice(head).map_err(|e| format!("invalid inference request: {e}"))?;
    if req.inputs.is_empty() {
        return Err("the request has no `inputs`".into());
    }
    let mut tensors = Vec::with_capacity(req.inputs.len());
    for input in &req.inputs {
        let count = element_count(input)?;
        let size_param = input
            .parameters
            .as_ref()
            .and_then(|p| p.get("binary_data_size"));
        let values = match size_param {
            Some(v) => {
                let size = v.as_u64().ok_or_else(|| {
                    format!(
                        "input `{}`: `binary_data_size` must be a whole number",
                        input.name
                    )
                })?;
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                if size > binary.len() {
                    return Err(format!(
                        "input `{}`: `binary_data_size` {size} is past the end of the body",
                        input.name
                    ));
                }
                let (mine, rest) = binary.split_at(size);
                binary = rest;
                decode_binary(&input.name, &input.datatype, mine)?
            }
            None => decode_json(input)?,
        };
        if values.len() != count {
            return Err(format!(
                "input `{}`: shape {:?} holds {count} values but {} were given",
                input.name,
                input.shape,
                values.len()
            ));
        }
        tensors.push((input, values));
    }
    let batch = to_batch(tensors, fields, index, eas_defaults)?;
    let default_binary = flag(req.parameters.as_ref(), "binary_data_output").unwrap_or(false);
    let picked = match &req.outputs {
        None => (0..outputs.len()).map(|i| (i, default_binary)).collect(),
        Some(list) => {
            let mut picked = Vec::with_capacity(list.len());
            for o in list {
                let i = outputs
                    .iter()
                    .position(|f| f.name == o.name)
                    .ok_or_else(|| {
                        let names: Vec<&str> = outputs.iter().map(|f| f.name.as_str()).collect();
                        format!(
                            "unknown output `{}`; the model's outputs are {}",
                            o.name,
                            names.join(", ")
                        )
                    })?;
                picked.push((
                    i,
                    flag(o.parameters.as_ref(), "binary_data").unwrap_or(default_binary),
                ));
            }
            picked
        }
    };
    Ok(InferRequest {
        id: req.id,
        batch,
        outputs: picked,
    })
}

fn element_count(input: &WireInput) -> Result<usize, String> {
    if input.shape.is_empty() || input.shape.len() > 2 {
        return Err(format!(
            "input `{}`: shape {:?} is not supported; send [N], [N, 1] per feature or one [N, F]",
            input.name, input.shape
        ));
    }
    let mut n: usize = 1;
    for d in &input.shape {
        let d = usize::try_from(*d).map_err(|_| {
            format!(
                "input `{}`: shape {:?} has a negative dimension",
                input.name, input.shape
            )
        })?;
        n = n.checked_mul(d).filter(|n| *n <= 1 << 32).ok_or_else(|| {
            format!(
                "input `{}`: shape {:?} is too large",
                input.name, input.shape
            )
        })?;
    }
    Ok(n)
}

fn decode_json(input: &WireInput) -> Result<Vec<Scalar>, String> {
    let data = input
        .data
        .as_ref()
        .ok_or_else(|| format!("input `{}` has no `data` (and no binary data)", input.name))?;
    let dt = input.datatype.as_str();
    if !is_numeric(dt) && dt != "BOOL" && dt != "BYTES" {
        return Err(format!(
            "input `{}`: unknown datatype `{dt}`; use FP64, FP32, INT64, INT32, BOOL or BYTES",
            input.name
        ));
    }
    let mut out = Vec::new();
    flatten(&input.name, &input.datatype, data, &mut out, 0)?;
    Ok(out)
}

fn flatten(
    name: &str,
    dt: &str,
    v: &Value,
    out: &mut Vec<Scalar>,
    depth: usize,
) -> Result<(), String> {
    let wrong = |what: &str| format!("input `{name}` ({dt}): {what}");
    match v {
        Value::Array(items) if depth < 3 => {
            for item in items {
                flatten(name, dt, item, out, depth + 1)?;
            }
        }
        Value::Array(_) => return Err(wrong("`data` is nested too deeply")),
        Value::Number(n) if is_numeric(dt) => {
            out.push(Scalar::Num(
                n.as_f64()
                    .ok_or_else(|| wrong("a number is out of range"))?,
            ));
        }
        Value::Bool(b) if dt == "BOOL" => out.push(Scalar::Bool(*b)),
        Value::String(s) if dt == "BYTES" => out.push(Scalar::Str(s.clone())),
        other => {
            return Err(wrong(&format!(
                "`data` holds {other}, which is not a {dt} value"
            )));
        }
    }
    Ok(())
}

fn is_numeric(dt: &str) -> bool {
    matches!(
        dt,
        "FP64"
            | "FP32"
            | "FP16"
            | "INT64"
            | "INT32"
            | "INT16"
            | "INT8"
            | "UINT64"
            | "UINT32"
            | "UINT16"
            | "UINT8"
    )
}

fn decode_binary(name: &str, dt: &str, bytes: &[u8]) -> Result<Vec<Scalar>, String> {
    let fixed = |width: usize, f: &dyn Fn(&[u8]) -> f64| -> Result<Vec<Scalar>, String> {
        if !bytes.len().is_multiple_of(width) {
            return Err(format!(
                "input `{name}`: {} bytes of binary {dt} data is not a whole number of values",
                bytes.len()
            ));
        }
        Ok(bytes
            .chunks_exact(width)
            .map(|c| Scalar::Num(f(c)))
            .collect())
    };
    let arr = |c: &[u8], n: usize| -> [u8; 8] {
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(&c[..n]);
        a
    };
    match dt {
        "FP64" => fixed(8, &|c| f64::from_le_bytes(arr(c, 8))),
        "FP32" => fixed(4, &|c| {
            f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        }),
        "INT64" => fixed(8, &|c| i64::from_le_bytes(arr(c, 8)) as f64),
        "INT32" => fixed(4, &|c| {
            f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        }),
        "INT16" => fixed(2, &|c| f64::from(i16::from_le_bytes([c[0], c[1]]))),
        "INT8" => fixed(1, &|c| f64::from(c[0] as i8)),
        "UINT64" => fixed(8, &|c| u64::from_le_bytes(arr(c, 8)) as f64),
        "UINT32" => fixed(4, &|c| {
            f64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        }),
        "UINT16" => fixed(2, &|c| f64::from(u16::from_le_bytes([c[0], c[1]]))),
        "UINT8" => fixed(1, &|c| f64::from(c[0])),
        "BOOL" => Ok(bytes.iter().map(|b| Scalar::Bool(*b != 0)).collect()),
        "BYTES" => {
            let mut out = Vec::new();
            let mut rest = bytes;
            while !rest.is_empty() {
                if rest.len() < 4 {
                    return Err(format!("input `{name}`: truncated BYTES element length"));
                }
                let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                rest = &rest[4..];
                if n > rest.len() {
                    return Err(format!(
                        "input `{name}`: a BYTES element runs past its data"
                    ));
                }
                out.push(Scalar::Str(
                    String::from_utf8_lossy(&rest[..n]).into_owned(),
                ));
                rest = &rest[n..];
            }
            Ok(out)
        }
        _ => Err(format!(
            "input `{name}`: binary data of datatype `{dt}` is not supported; use FP64, FP32, INT64, INT32, BOOL or BYTES"
        )),
    }
}

/// Appends one scalar to a field's column, with the EAS rules.
fn push(col: &mut InputColumn, field: &InputField, s: Scalar, row: usize) -> Result<(), String> {
    let wrong = |got: &str| {
        format!(
            "row {row}: input `{}` expects {}, got {got}",
            field.name,
            field.kind.describe()
        )
    };
    match (col, s) {
        (InputColumn::Number(v), Scalar::Num(x)) => v.push((!x.is_nan()).then_some(x)),
        (InputColumn::Number(v), Scalar::Bool(b)) => v.push(Some(f64::from(u8::from(b)))),
        (InputColumn::Integer(v), Scalar::Num(x)) if x.is_nan() => v.push(None),
        (InputColumn::Integer(v), Scalar::Num(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
            v.push(Some(x as i64))
        }
        (InputColumn::Boolean(v), Scalar::Bool(b)) => v.push(Some(b)),
        (InputColumn::Boolean(v), Scalar::Num(x)) if x == 0.0 || x == 1.0 => v.push(Some(x == 1.0)),
        (InputColumn::Text(v), Scalar::Str(s)) => v.push(Some(s)),
        (InputColumn::Text(v), Scalar::Num(x)) => v.push(Some(pai_ml::format_number(x))),
        (InputColumn::Text(v), Scalar::Bool(b)) => v.push(Some(b.to_string())),
        (_, Scalar::Num(x)) => return Err(wrong(&format!("{x}"))),
        (_, Scalar::Bool(b)) => return Err(wrong(&format!("{b}"))),
        (_, Scalar::Str(s)) => return Err(wrong(&format!("the string {s:?}"))),
    }
    Ok(())
}

fn to_batch(
    tensors: Vec<(&WireInput, Vec<Scalar>)>,
    fields: &[InputField],
    index: &FieldIndex,
    eas_defaults: bool,
) -> Result<InputBatch, String> {
    let mut columns: Vec<InputColumn> = fields
        .iter()
        .map(|f| InputColumn::with_capacity(f.kind, 1))
        .collect();
    let single = tensors.len() == 1;
    let mut tensors = tensors;
    if single && let Some((input, values)) = tensors.pop() {
        let matrix =
            input.shape.len() == 2 && (input.shape[1] != 1 || index.get(&input.name).is_none());
        if matrix {
            let f = usize::try_from(input.shape[1]).unwrap_or(0);
            if f != fields.len() {
                let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                return Err(format!(
                    "input `{}` has {f} columns but the model has {} inputs ({}); send one [N, {}] tensor in that order, or one tensor per feature",
                    input.name,
                    fields.len(),
                    names.join(", "),
                    fields.len()
                ));
            }
            let rows = values.len().checked_div(f).unwrap_or(0);
            for (k, s) in values.into_iter().enumerate() {
                let (row, j) = (k.checked_div(f).unwrap_or(0), k.checked_rem(f).unwrap_or(0));
                if let (Some(col), Some(field)) = (columns.get_mut(j), fields.get(j)) {
                    push(col, field, s, row)?;
                }
            }
            return Ok(InputBatch { rows, columns });
        }
        tensors.push((input, values));
    }
    let mut rows: Option<usize> = None;
    let mut given = vec![false; fields.len()];
    for (input, values) in tensors {
        let i = index.get(&input.name).ok_or_else(|| {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            format!(
                "unknown input `{}`; the model's inputs are {}",
                input.name,
                names.join(", ")
            )
        })?;
        if input.shape.len() == 2 && input.shape[1] != 1 {
            return Err(format!(
                "input `{}` has shape {:?}; a named feature is [N] or [N, 1]",
                input.name, input.shape
            ));
        }
        if given[i] {
            return Err(format!("input `{}` is given twice", input.name));
        }
        given[i] = true;
        match rows {
            Some(n) if n != values.len() => {
                return Err(format!(
                    "input `{}` has {} rows but another input has {n}; every input needs the same N",
                    input.name,
                    values.len()
                ));
            }
            _ => rows = Some(values.len()),
        }
        let (col, field) = (&mut columns[i], &fields[i]);
        for (row, s) in values.into_iter().enumerate() {
            push(col, field, s, row)?;
        }
    }
    let rows = rows.unwrap_or(0);
    for (col, was) in columns.iter_mut().zip(&given) {
        if !was {
            for _ in 0..rows {
                col.push_missing(eas_defaults);
            }
        }
    }
    Ok(InputBatch { rows, columns })
}
