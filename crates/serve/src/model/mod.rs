//! The model seam of serving: [`ServingModel`] is anything that scores a
//! batch of typed input columns into typed output columns. The PMML and
//! native (`pai-pipeline`) adapters implement it; the request parsers and
//! response writers depend only on it.

pub mod linear;
pub mod load;
pub mod native;
pub mod pmml;

use std::collections::HashMap;

/// The type of an input field, as requests must supply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A floating-point number.
    Number,
    /// A whole number.
    Integer,
    /// `true` / `false`.
    Boolean,
    /// Text (a number or boolean given for it is read as its text).
    Text,
}

impl FieldKind {
    /// The KServe V2 datatype of the field.
    pub fn v2_datatype(self) -> &'static str {
        match self {
            FieldKind::Number => "FP64",
            FieldKind::Integer => "INT64",
            FieldKind::Boolean => "BOOL",
            FieldKind::Text => "BYTES",
        }
    }

    /// A word for messages: `a number`, `text`, …
    pub fn describe(self) -> &'static str {
        match self {
            FieldKind::Number => "a number",
            FieldKind::Integer => "a whole number",
            FieldKind::Boolean => "a boolean",
            FieldKind::Text => "a string",
        }
    }
}

/// One input field of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct InputField {
    /// The field name.
    pub name: String,
    /// Its type.
    pub kind: FieldKind,
}

/// The type of an output column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// Numbers.
    Number,
    /// Whole numbers.
    Integer,
    /// Booleans.
    Boolean,
    /// Text.
    Text,
    /// A JSON object per row (the `prediction_detail` of native models).
    Json,
}

impl OutputKind {
    /// The KServe V2 datatype: FP64 for numbers, BOOL, BYTES for text.
    pub fn v2_datatype(self) -> &'static str {
        match self {
            OutputKind::Number | OutputKind::Integer => "FP64",
            OutputKind::Boolean => "BOOL",
            OutputKind::Text | OutputKind::Json => "BYTES",
        }
    }
}

/// One output column of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputField {
    /// The column name.
    pub name: String,
    /// Its type.
    pub kind: OutputKind,
}

/// A column of input values, one per row; `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum InputColumn {
    /// Numbers.
    Number(Vec<Option<f64>>),
    /// Whole numbers.
    Integer(Vec<Option<i64>>),
    /// Booleans.
    Boolean(Vec<Option<bool>>),
    /// Text.
    Text(Vec<Option<String>>),
}

impl InputColumn {
    /// An empty column of `kind` with room for `rows`.
    pub fn with_capacity(kind: FieldKind, rows: usize) -> Self {
        match kind {
            FieldKind::Number => InputColumn::Number(Vec::with_capacity(rows)),
            FieldKind::Integer => InputColumn::Integer(Vec::with_capacity(rows)),
            FieldKind::Boolean => InputColumn::Boolean(Vec::with_capacity(rows)),
            FieldKind::Text => InputColumn::Text(Vec::with_capacity(rows)),
        }
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            InputColumn::Number(v) => v.len(),
            InputColumn::Integer(v) => v.len(),
            InputColumn::Boolean(v) => v.len(),
            InputColumn::Text(v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a missing value, or with `defaults` EAS's type default
    /// (0, `false`, `""`).
    pub fn push_missing(&mut self, defaults: bool) {
        match self {
            InputColumn::Number(v) => v.push(defaults.then_some(0.0)),
            InputColumn::Integer(v) => v.push(defaults.then_some(0)),
            InputColumn::Boolean(v) => v.push(defaults.then_some(false)),
            InputColumn::Text(v) => v.push(defaults.then(String::new)),
        }
    }
}

/// Typed input columns, one per model input field, in the model's order.
#[derive(Debug, Clone, PartialEq)]
pub struct InputBatch {
    /// The number of rows.
    pub rows: usize,
    /// One column per input field.
    pub columns: Vec<InputColumn>,
}

/// A column of results; `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputColumn {
    /// Numbers.
    Number(Vec<Option<f64>>),
    /// Whole numbers.
    Integer(Vec<Option<i64>>),
    /// Booleans.
    Boolean(Vec<Option<bool>>),
    /// Text.
    Text(Vec<Option<String>>),
    /// JSON text, emitted as JSON (not as a string) by the EAS API.
    Json(Vec<Option<String>>),
}

impl OutputColumn {
    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            OutputColumn::Number(v) => v.len(),
            OutputColumn::Integer(v) => v.len(),
            OutputColumn::Boolean(v) => v.len(),
            OutputColumn::Text(v) | OutputColumn::Json(v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The results of a batch: one column per [`ServingModel::outputs`] field,
/// in that order.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputBatch {
    /// The number of rows.
    pub rows: usize,
    /// One column per output field.
    pub columns: Vec<OutputColumn>,
}

/// A loaded model that a service can serve.
pub trait ServingModel: Send + Sync {
    /// `pmml` or `pai-pipeline`.
    fn platform(&self) -> &'static str;
    /// The fields a request may supply, in the model's order.
    fn inputs(&self) -> &[InputField];
    /// The result columns, in order.
    fn outputs(&self) -> &[OutputField];
    /// Scores every row; an error is the data's fault and says why.
    fn score(&self, batch: &InputBatch) -> Result<OutputBatch, String>;

    /// Scores every row and appends the EAS answer to `buf` — exactly the
    /// bytes [`crate::rows::write_rows`] writes for [`ServingModel::score`]'s
    /// result — when the model has a direct path for `batch`. `None` (and
    /// `buf` unchanged) otherwise: the caller then uses `score`.
    fn write_answer(&self, _batch: &InputBatch, _buf: &mut Vec<u8>) -> Option<()> {
        None
    }
}

/// Input field names to their positions, for request parsing.
#[derive(Debug, Clone, Default)]
pub struct FieldIndex {
    map: HashMap<String, usize>,
    /// Per field: its name has no character JSON must escape.
    plain: Vec<bool>,
}

impl FieldIndex {
    /// The index of `fields`.
    pub fn new(fields: &[InputField]) -> Self {
        FieldIndex {
            map: fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.clone(), i))
                .collect(),
            plain: fields
                .iter()
                .map(|f| f.name.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\'))
                .collect(),
        }
    }

    /// Whether the name of field `i` needs no escape in JSON.
    pub fn is_plain(&self, i: usize) -> bool {
        self.plain.get(i).copied().unwrap_or(false)
    }

    /// The position of field `name`.
    pub fn get(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }
}

/// A one-row batch to check a freshly loaded model with: 0 for numbers,
/// `false` for booleans, a missing value for text.
pub fn probe_batch(fields: &[InputField]) -> InputBatch {
    let columns = fields
        .iter()
        .map(|f| match f.kind {
            FieldKind::Number => InputColumn::Number(vec![Some(0.0)]),
            FieldKind::Integer => InputColumn::Integer(vec![Some(0)]),
            FieldKind::Boolean => InputColumn::Boolean(vec![Some(false)]),
            FieldKind::Text => InputColumn::Text(vec![None]),
        })
        .collect();
    InputBatch { rows: 1, columns }
}
