//! Scalar values, PMML data types and operational types, and the conversions
//! between them that input preparation and expressions rely on.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// One scalar value flowing through a model: an input, an intermediate field or an output.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value (PMML's missing value).
    #[default]
    Missing,
    /// A number; `integer`, `float` and `double` fields all use it
    /// (`float` values are kept rounded to single precision).
    Number(f64),
    /// A string.
    Str(Arc<str>),
    /// A boolean.
    Bool(bool),
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Self {
        Value::Str(Arc::from(s))
    }

    /// Whether this is [`Value::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }

    /// The number held, if this is a [`Value::Number`] (booleans count as 1/0).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    /// The string held, if this is a [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Total order used by comparisons: numbers numerically, strings
    /// lexicographically; `None` when the kinds differ or a value is missing.
    pub(crate) fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
            (Value::Str(a), Value::Str(b)) => Some(a.as_ref().cmp(b.as_ref())),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Bool(_), Value::Number(_)) | (Value::Number(_), Value::Bool(_)) => {
                self.as_f64()?.partial_cmp(&other.as_f64()?)
            }
            _ => None,
        }
    }

    /// Equality used by predicates and lookups; numbers compare numerically.
    pub(crate) fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Bool(_), Value::Number(_)) | (Value::Number(_), Value::Bool(_)) => {
                self.as_f64() == other.as_f64()
            }
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Missing => Ok(()),
            Value::Number(x) => write!(f, "{}", format_number(*x)),
            Value::Str(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Text form of a number: integral values without a fraction ("1"), others
/// in their shortest round-tripping form.
pub(crate) fn format_number(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// PMML `dataType` of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `string`
    String,
    /// `integer`
    Integer,
    /// `float` (single precision)
    Float,
    /// `double`
    Double,
    /// `boolean`
    Boolean,
}

impl DataType {
    /// Parses a PMML `dataType` attribute value; `None` for types this crate does not support.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => DataType::String,
            "integer" => DataType::Integer,
            "float" => DataType::Float,
            "double" => DataType::Double,
            "boolean" => DataType::Boolean,
            _ => return None,
        })
    }

    /// The PMML name of this type.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Integer => "integer",
            DataType::Float => "float",
            DataType::Double => "double",
            DataType::Boolean => "boolean",
        }
    }

    /// Whether values of this type are numbers.
    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::Integer | DataType::Float | DataType::Double)
    }

    /// Converts a value to this type; `Err(())` when it cannot be
    /// (an invalid value). Missing stays missing, and so does a NaN number.
    #[allow(clippy::result_unit_err)]
    pub(crate) fn coerce(self, v: &Value) -> Result<Value, ()> {
        match (self, v) {
            (_, Value::Missing) => Ok(Value::Missing),
            (DataType::Double, Value::Number(x)) => Ok(num_or_missing(*x)),
            (DataType::Float, Value::Number(x)) => Ok(num_or_missing(*x as f32 as f64)),
            (DataType::Integer, Value::Number(x)) => {
                if x.is_nan() {
                    Ok(Value::Missing)
                } else if x.fract() == 0.0 {
                    Ok(Value::Number(*x))
                } else {
                    Err(())
                }
            }
            (DataType::String, Value::Str(_)) | (DataType::Boolean, Value::Bool(_)) => {
                Ok(v.clone())
            }
            (DataType::String, Value::Number(x)) => {
                if x.is_nan() {
                    Ok(Value::Missing)
                } else {
                    Ok(Value::Str(Arc::from(format_number(*x))))
                }
            }
            (DataType::String, Value::Bool(b)) => Ok(Value::str(if *b { "true" } else { "false" })),
            (DataType::Boolean, Value::Number(x)) => {
                if *x == 1.0 {
                    Ok(Value::Bool(true))
                } else if *x == 0.0 {
                    Ok(Value::Bool(false))
                } else {
                    Err(())
                }
            }
            (DataType::Boolean, Value::Str(s)) => match s.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(Value::Bool(true)),
                t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(Value::Bool(false)),
                _ => Err(()),
            },
            (_, Value::Bool(b)) => Ok(Value::Number(if *b { 1.0 } else { 0.0 })),
            (t, Value::Str(s)) => {
                let x = parse_number(s).ok_or(())?;
                t.coerce(&Value::Number(x))
            }
        }
    }

    /// Parses the text of an attribute or table cell as a value of this type.
    pub(crate) fn parse_value(self, s: &str) -> Option<Value> {
        self.coerce(&Value::str(s)).ok()
    }
}

fn num_or_missing(x: f64) -> Value {
    if x.is_nan() {
        Value::Missing
    } else {
        Value::Number(x)
    }
}

/// Parses a number the way PMML documents write them ("1", "-2.5e3", "INF", "NaN").
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    match t {
        "INF" | "Infinity" | "+INF" => return Some(f64::INFINITY),
        "-INF" | "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    t.parse::<f64>().ok()
}

/// PMML `optype` of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpType {
    /// `categorical`
    Categorical,
    /// `ordinal`
    Ordinal,
    /// `continuous`
    Continuous,
}

impl OpType {
    /// Parses a PMML `optype` attribute value.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "categorical" => OpType::Categorical,
            "ordinal" => OpType::Ordinal,
            "continuous" => OpType::Continuous,
            _ => return None,
        })
    }

    /// The PMML name of this optype.
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Categorical => "categorical",
            OpType::Ordinal => "ordinal",
            OpType::Continuous => "continuous",
        }
    }

    /// The optype PMML assumes for a data type when none is given.
    pub(crate) fn default_for(dt: DataType) -> Self {
        match dt {
            DataType::Integer | DataType::Float | DataType::Double => OpType::Continuous,
            _ => OpType::Categorical,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;

    #[test]
    fn coercion() {
        assert_eq!(
            DataType::Integer.coerce(&Value::str("3")),
            Ok(Value::Number(3.0))
        );
        assert_eq!(DataType::Integer.coerce(&Value::Number(3.5)), Err(()));
        assert_eq!(
            DataType::String.coerce(&Value::Number(3.0)),
            Ok(Value::str("3"))
        );
        assert_eq!(
            DataType::Float.coerce(&Value::Number(0.1)),
            Ok(Value::Number(0.1f32 as f64))
        );
        assert_eq!(
            DataType::Double.coerce(&Value::Number(f64::NAN)),
            Ok(Value::Missing)
        );
        assert_eq!(
            DataType::Boolean.coerce(&Value::str("TRUE")),
            Ok(Value::Bool(true))
        );
        assert_eq!(DataType::Double.coerce(&Value::str("x")), Err(()));
    }
}
