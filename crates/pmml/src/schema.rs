//! Field declarations: the `DataDictionary` (`DataField` with `Value` lists and
//! `Interval`s), `MiningField` treatments of missing, invalid and outlier
//! values, and `Interval` closures shared with `Discretize`.

use std::sync::Arc;

use crate::error::PmmlError;
use crate::value::{DataType, OpType, Value};
use crate::xml::{self, Node};

/// A numeric interval with PMML's `closure` semantics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Interval {
    pub left: f64,
    pub right: f64,
    pub left_closed: bool,
    pub right_closed: bool,
}

impl Interval {
    /// Parses an `Interval` element.
    pub(crate) fn parse(node: Node) -> Result<Self, PmmlError> {
        let closure = xml::req_attr(node, "closure")?;
        let (left_closed, right_closed) = match closure {
            "openClosed" => (false, true),
            "openOpen" => (false, false),
            "closedOpen" => (true, false),
            "closedClosed" => (true, true),
            other => return Err(xml::bad_attr(node, "closure", other)),
        };
        Ok(Interval {
            left: xml::attr_f64(node, "leftMargin")?.unwrap_or(f64::NEG_INFINITY),
            right: xml::attr_f64(node, "rightMargin")?.unwrap_or(f64::INFINITY),
            left_closed,
            right_closed,
        })
    }

    /// Whether `x` lies inside.
    pub(crate) fn contains(&self, x: f64) -> bool {
        let left_ok = if self.left_closed {
            x >= self.left
        } else {
            x > self.left
        };
        let right_ok = if self.right_closed {
            x <= self.right
        } else {
            x < self.right
        };
        left_ok && right_ok
    }
}

/// A `DataField` of the `DataDictionary`.
#[derive(Debug, Clone)]
pub(crate) struct DataFieldDef {
    pub name: String,
    pub data_type: DataType,
    pub op_type: OpType,
    /// `Value` elements with `property="valid"` (or no property), in document order.
    pub valid: Arc<[Value]>,
    pub invalid: Vec<Value>,
    pub missing: Vec<Value>,
    pub intervals: Vec<Interval>,
}

impl DataFieldDef {
    /// Parses a `DataField` element.
    pub(crate) fn parse(node: Node) -> Result<Self, PmmlError> {
        let name = xml::req_attr(node, "name")?.to_string();
        let data_type = xml::data_type(node)?.ok_or_else(|| PmmlError::MissingAttribute {
            element: "DataField".into(),
            attribute: "dataType".into(),
            line: xml::line(node),
        })?;
        let op_type = xml::op_type(node)?.unwrap_or(OpType::default_for(data_type));
        let mut valid = Vec::new();
        let mut invalid = Vec::new();
        let mut missing = Vec::new();
        let mut intervals = Vec::new();
        for c in xml::elements(node) {
            match xml::name(c) {
                "Value" => {
                    let text = xml::req_attr(c, "value")?;
                    let v = data_type.parse_value(text).ok_or_else(|| {
                        xml::invalid(
                            c,
                            format!("`{text}` is not a valid {} value", data_type.as_str()),
                        )
                    })?;
                    match xml::attr(c, "property").unwrap_or("valid") {
                        "valid" => valid.push(v),
                        "invalid" => invalid.push(v),
                        "missing" => missing.push(v),
                        other => return Err(xml::bad_attr(c, "property", other)),
                    }
                }
                "Interval" => intervals.push(Interval::parse(c)?),
                _ => return Err(xml::unsupported(c)),
            }
        }
        Ok(DataFieldDef {
            name,
            data_type,
            op_type,
            valid: valid.into(),
            invalid,
            missing,
            intervals,
        })
    }
}

/// What to do with a value the field declares invalid.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InvalidTreatment {
    ReturnInvalid,
    AsIs,
    AsMissing,
    AsValue(Value),
}

/// What to do with continuous values outside `[lowValue, highValue]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Outliers {
    Keep,
    ToMissing { low: f64, high: f64 },
    Clamp { low: f64, high: f64 },
}

/// Preparation of a field's value by a `MiningField`: validity against the
/// `DataField`, then the invalid, missing and outlier treatments.
#[derive(Debug, Clone)]
pub(crate) struct FieldPrep {
    pub name: String,
    pub data_type: DataType,
    pub op_type: OpType,
    pub valid: Arc<[Value]>,
    pub invalid: Vec<Value>,
    pub missing: Vec<Value>,
    pub intervals: Vec<Interval>,
    pub invalid_treatment: InvalidTreatment,
    pub missing_replacement: Option<Value>,
    pub missing_is_error: bool,
    pub outliers: Outliers,
}

impl FieldPrep {
    /// The preparation for a field, given its declaration and the `MiningField` (if any).
    pub(crate) fn new(
        def: Option<&DataFieldDef>,
        name: &str,
        data_type: DataType,
        op_type: OpType,
        mining_field: Option<Node>,
    ) -> Result<Self, PmmlError> {
        let mut prep = FieldPrep {
            name: name.to_string(),
            data_type,
            op_type,
            valid: def
                .map(|d| d.valid.clone())
                .unwrap_or_else(|| Arc::from(Vec::new())),
            invalid: def.map(|d| d.invalid.clone()).unwrap_or_default(),
            missing: def.map(|d| d.missing.clone()).unwrap_or_default(),
            intervals: def.map(|d| d.intervals.clone()).unwrap_or_default(),
            invalid_treatment: InvalidTreatment::ReturnInvalid,
            missing_replacement: None,
            missing_is_error: false,
            outliers: Outliers::Keep,
        };
        if let Some(mf) = mining_field {
            if let Some(op) = xml::op_type(mf)? {
                prep.op_type = op;
            }
            match xml::attr(mf, "invalidValueTreatment").unwrap_or("returnInvalid") {
                "returnInvalid" => {}
                "asIs" => prep.invalid_treatment = InvalidTreatment::AsIs,
                "asMissing" => prep.invalid_treatment = InvalidTreatment::AsMissing,
                "asValue" => {
                    let text = xml::req_attr(mf, "invalidValueReplacement")?;
                    let v = data_type.parse_value(text).ok_or_else(|| {
                        xml::invalid(mf, format!("`{text}` is not a valid replacement"))
                    })?;
                    prep.invalid_treatment = InvalidTreatment::AsValue(v);
                }
                other => return Err(xml::bad_attr(mf, "invalidValueTreatment", other)),
            }
            if let Some(text) = xml::attr(mf, "missingValueReplacement") {
                let v = data_type.parse_value(text).ok_or_else(|| {
                    xml::invalid(mf, format!("`{text}` is not a valid replacement"))
                })?;
                prep.missing_replacement = Some(v);
            }
            match xml::attr(mf, "missingValueTreatment").unwrap_or("asIs") {
                "asIs" | "asMean" | "asMode" | "asMedian" | "asValue" => {}
                "returnInvalid" => prep.missing_is_error = true,
                other => return Err(xml::bad_attr(mf, "missingValueTreatment", other)),
            }
            let outliers = xml::attr(mf, "outliers").unwrap_or("asIs");
            if outliers != "asIs" {
                let low = xml::req_f64(mf, "lowValue")?;
                let high = xml::req_f64(mf, "highValue")?;
                prep.outliers = match outliers {
                    "asMissingValues" => Outliers::ToMissing { low, high },
                    "asExtremeValues" => Outliers::Clamp { low, high },
                    other => return Err(xml::bad_attr(mf, "outliers", other)),
                };
            }
        }
        Ok(prep)
    }

    /// True when preparing never changes a value that already has the right type.
    pub(crate) fn is_trivial(&self) -> bool {
        let checks_validity = match self.op_type {
            OpType::Continuous => !self.intervals.is_empty(),
            _ => !self.valid.is_empty(),
        };
        !checks_validity
            && self.invalid.is_empty()
            && self.missing.is_empty()
            && self.missing_replacement.is_none()
            && !self.missing_is_error
            && self.outliers == Outliers::Keep
    }

    /// Prepares one value (already converted to the field's data type where possible).
    pub(crate) fn apply(&self, v: Value) -> Result<Value, PmmlError> {
        let v = if v.is_missing() || self.missing.iter().any(|m| m.same(&v)) {
            Value::Missing
        } else if self.is_valid(&v) {
            self.outlier(v)
        } else {
            match &self.invalid_treatment {
                InvalidTreatment::ReturnInvalid => {
                    return Err(PmmlError::InvalidValue {
                        field: self.name.clone(),
                        value: v.to_string(),
                    });
                }
                InvalidTreatment::AsIs => v,
                InvalidTreatment::AsMissing => Value::Missing,
                InvalidTreatment::AsValue(r) => r.clone(),
            }
        };
        if v.is_missing() {
            if let Some(r) = &self.missing_replacement {
                return Ok(r.clone());
            }
            if self.missing_is_error {
                return Err(PmmlError::MissingValue {
                    field: self.name.clone(),
                });
            }
        }
        Ok(v)
    }

    fn is_valid(&self, v: &Value) -> bool {
        let typed = match (self.data_type, v) {
            (DataType::String, Value::Str(_)) => true,
            (DataType::Boolean, Value::Bool(_)) => true,
            (t, Value::Number(_)) => t.is_numeric(),
            _ => false,
        };
        if !typed || self.invalid.iter().any(|x| x.same(v)) {
            return false;
        }
        match self.op_type {
            OpType::Continuous => {
                if self.intervals.is_empty() {
                    true
                } else {
                    v.as_f64()
                        .is_some_and(|x| self.intervals.iter().any(|i| i.contains(x)))
                }
            }
            _ => self.valid.is_empty() || self.valid.iter().any(|x| x.same(v)),
        }
    }

    fn outlier(&self, v: Value) -> Value {
        match (self.outliers, &v) {
            (Outliers::ToMissing { low, high }, Value::Number(x)) if *x < low || *x > high => {
                Value::Missing
            }
            (Outliers::Clamp { low, .. }, Value::Number(x)) if *x < low => Value::Number(low),
            (Outliers::Clamp { high, .. }, Value::Number(x)) if *x > high => Value::Number(high),
            _ => v,
        }
    }
}
