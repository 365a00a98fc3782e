//! Per-record evaluation state: the compiled field slots, the lazily filled
//! slot values of one record, and how raw inputs reach them.

use std::sync::Arc;

use crate::error::PmmlError;
use crate::expr::Expr;
use crate::schema::FieldPrep;
use crate::value::{DataType, Value};

/// Index of a field's value in the per-record slot array.
pub(crate) type Slot = usize;

/// How the value of a slot is produced.
#[derive(Debug)]
pub(crate) enum SlotDef {
    /// Raw input number `index`, converted to `data_type`.
    Input {
        index: usize,
        name: Arc<str>,
        data_type: DataType,
    },
    /// Another slot's value, prepared by a `MiningField`.
    View { source: Slot, prep: Box<FieldPrep> },
    /// A `DerivedField`, computed on first use.
    Derived {
        expr: Expr,
        data_type: Option<DataType>,
        name: Arc<str>,
    },
    /// Written by model evaluation (output fields); missing until then.
    Assigned,
}

/// Where raw input values come from.
pub(crate) trait RowSource {
    /// Raw value of input number `index` (order of [`crate::PmmlModel::input_fields`]).
    fn input(&self, index: usize) -> Value;
}

/// A record given as values in input order.
pub(crate) struct SliceRow<'a>(pub &'a [Value]);

impl RowSource for SliceRow<'_> {
    #[inline]
    fn input(&self, index: usize) -> Value {
        self.0.get(index).cloned().unwrap_or(Value::Missing)
    }
}

const EMPTY: u8 = 0;
const BUSY: u8 = 1;
const DONE: u8 = 2;
const UNDEFINED: u8 = 3;

/// Reusable per-record buffers; keep one per thread to score without allocating.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    pub(crate) vals: Vec<Value>,
    pub(crate) state: Vec<u8>,
    /// Slot values of the numeric kernel.
    pub(crate) nums: Vec<f64>,
}

impl Scratch {
    /// Empty buffers, sized on first use.
    pub fn new() -> Self {
        Scratch::default()
    }

    pub(crate) fn reset(&mut self, n: usize) {
        if self.state.len() != n {
            self.vals.clear();
            self.vals.resize(n, Value::Missing);
            self.state.clear();
            self.state.resize(n, EMPTY);
        } else {
            self.state.fill(EMPTY);
        }
    }
}

/// Evaluation context of one record.
pub(crate) struct Ctx<'a> {
    pub slots: &'a [SlotDef],
    pub row: &'a dyn RowSource,
    pub vals: &'a mut [Value],
    pub state: &'a mut [u8],
}

impl<'a> Ctx<'a> {
    /// Value of a slot, computing it on first use.
    pub(crate) fn get(&mut self, slot: Slot) -> Result<Value, PmmlError> {
        match self.state[slot] {
            DONE => return Ok(self.vals[slot].clone()),
            BUSY => {
                return Err(PmmlError::eval(
                    "a derived field refers to itself; break the cycle in the document",
                ));
            }
            UNDEFINED => {
                return Err(PmmlError::eval(
                    "an output field is not defined because its model produced no prediction",
                ));
            }
            _ => {}
        }
        self.state[slot] = BUSY;
        let slots: &'a [SlotDef] = self.slots;
        let v = match &slots[slot] {
            SlotDef::Input {
                index,
                name,
                data_type,
            } => {
                let raw = self.row.input(*index);
                if let (DataType::Double, Value::Number(x)) = (data_type, &raw) {
                    let x = *x;
                    if !x.is_nan() {
                        self.vals[slot] = Value::Number(x);
                        self.state[slot] = DONE;
                        return Ok(Value::Number(x));
                    }
                }
                data_type
                    .coerce(&raw)
                    .map_err(|_| PmmlError::InvalidValue {
                        field: name.to_string(),
                        value: raw.to_string(),
                    })?
            }
            SlotDef::View { source, prep } => {
                let v = self.get(*source)?;
                prep.apply(v)?
            }
            SlotDef::Derived {
                expr,
                data_type,
                name,
            } => {
                let v = expr.eval(self)?;
                match data_type {
                    Some(DataType::Double) if matches!(v, Value::Number(_)) => v,
                    Some(t) => t.coerce(&v).map_err(|_| {
                        PmmlError::eval(format!(
                            "derived field `{name}` computed `{v}`, which is not a valid {}",
                            t.as_str()
                        ))
                    })?,
                    None => v,
                }
            }
            SlotDef::Assigned => {
                self.state[slot] = UNDEFINED;
                return Err(PmmlError::eval(
                    "an output field is not defined because its model was not evaluated",
                ));
            }
        };
        self.vals[slot] = v.clone();
        self.state[slot] = DONE;
        Ok(v)
    }

    /// Numeric value of a slot (`None` when missing); errors on non-numbers.
    #[inline]
    pub(crate) fn number(&mut self, slot: Slot) -> Result<Option<f64>, PmmlError> {
        if self.state[slot] == DONE
            && let Value::Number(x) = self.vals[slot]
        {
            return Ok(Some(x));
        }
        match self.get(slot)? {
            Value::Missing => Ok(None),
            v => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| PmmlError::eval(format!("expected a number, found `{v}`"))),
        }
    }

    /// Value of an output slot, missing when it was not computed.
    pub(crate) fn peek(&self, slot: Slot) -> Value {
        if self.state[slot] == DONE {
            self.vals[slot].clone()
        } else {
            Value::Missing
        }
    }

    /// Marks an output slot as not defined (its model produced no prediction).
    pub(crate) fn undefine(&mut self, slot: Slot) {
        self.state[slot] = UNDEFINED;
    }

    /// Stores a value computed by model evaluation.
    pub(crate) fn set(&mut self, slot: Slot, v: Value) {
        self.vals[slot] = v;
        self.state[slot] = DONE;
    }
}
