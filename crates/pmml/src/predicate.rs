//! Predicates of tree nodes and segments: `SimplePredicate`,
//! `SimpleSetPredicate`, `CompoundPredicate` (and/or/xor/surrogate), `True`
//! and `False`, evaluated with PMML's three-valued logic.

use std::cmp::Ordering;

use crate::compile::Compiler;
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::kernel;
use crate::value::Value;
use crate::xml::{self, Node};

/// Comparison operator of a `SimplePredicate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    #[inline]
    fn test_f64(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }

    fn test(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o.is_eq(),
            CmpOp::Ne => o.is_ne(),
            CmpOp::Lt => o.is_lt(),
            CmpOp::Le => o.is_le(),
            CmpOp::Gt => o.is_gt(),
            CmpOp::Ge => o.is_ge(),
        }
    }
}

/// A compiled predicate.
#[derive(Debug)]
pub(crate) enum Pred {
    True,
    False,
    Num {
        slot: Slot,
        op: CmpOp,
        value: f64,
    },
    Cmp {
        slot: Slot,
        op: CmpOp,
        value: Value,
    },
    IsMissing(Slot),
    IsNotMissing(Slot),
    Set {
        slot: Slot,
        is_in: bool,
        values: Vec<Value>,
    },
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Xor(Vec<Pred>),
    Surrogate(Vec<Pred>),
}

/// Names of the predicate elements.
pub(crate) const PREDICATES: &[&str] = &[
    "SimplePredicate",
    "SimpleSetPredicate",
    "CompoundPredicate",
    "True",
    "False",
];

/// Finds and compiles the predicate child of `node`.
pub(crate) fn compile_child(c: &mut Compiler, node: Node) -> Result<Pred, PmmlError> {
    let p = xml::elements(node)
        .find(|e| PREDICATES.contains(&xml::name(*e)))
        .ok_or_else(|| PmmlError::MissingElement {
            element: xml::name(node).to_string(),
            child: "a predicate".into(),
            line: xml::line(node),
        })?;
    compile(c, p)
}

/// Compiles one predicate element.
pub(crate) fn compile(c: &mut Compiler, node: Node) -> Result<Pred, PmmlError> {
    match xml::name(node) {
        "True" => Ok(Pred::True),
        "False" => Ok(Pred::False),
        "SimplePredicate" => {
            xml::check_children(node, &[])?;
            let b = c.resolve(xml::req_attr(node, "field")?, node)?;
            let op = xml::req_attr(node, "operator")?;
            let op = match op {
                "isMissing" => return Ok(Pred::IsMissing(b.slot)),
                "isNotMissing" => return Ok(Pred::IsNotMissing(b.slot)),
                "equal" => CmpOp::Eq,
                "notEqual" => CmpOp::Ne,
                "lessThan" => CmpOp::Lt,
                "lessOrEqual" => CmpOp::Le,
                "greaterThan" => CmpOp::Gt,
                "greaterOrEqual" => CmpOp::Ge,
                other => return Err(xml::bad_attr(node, "operator", other)),
            };
            let text = xml::req_attr(node, "value")?;
            let value = b.data_type.parse_value(text).ok_or_else(|| {
                xml::invalid(
                    node,
                    format!(
                        "`{text}` is not a valid {} value for field `{}`",
                        b.data_type.as_str(),
                        b.name
                    ),
                )
            })?;
            Ok(match value {
                Value::Number(x) => Pred::Num {
                    slot: b.slot,
                    op,
                    value: x,
                },
                value => Pred::Cmp {
                    slot: b.slot,
                    op,
                    value,
                },
            })
        }
        "SimpleSetPredicate" => {
            xml::check_children(node, &["Array"])?;
            let b = c.resolve(xml::req_attr(node, "field")?, node)?;
            let is_in = match xml::req_attr(node, "booleanOperator")? {
                "isIn" => true,
                "isNotIn" => false,
                other => return Err(xml::bad_attr(node, "booleanOperator", other)),
            };
            let arr = xml::req_child(node, "Array")?;
            let mut values = Vec::new();
            for item in xml::array_items(arr) {
                let v = b.data_type.parse_value(&item).ok_or_else(|| {
                    xml::invalid(
                        arr,
                        format!("`{item}` is not a valid {} value", b.data_type.as_str()),
                    )
                })?;
                values.push(v);
            }
            Ok(Pred::Set {
                slot: b.slot,
                is_in,
                values,
            })
        }
        "CompoundPredicate" => {
            let mut parts = Vec::new();
            for ch in xml::elements(node) {
                if !PREDICATES.contains(&xml::name(ch)) {
                    return Err(xml::unsupported(ch));
                }
                parts.push(compile(c, ch)?);
            }
            if parts.len() < 2 {
                return Err(xml::invalid(node, "needs at least two predicates"));
            }
            Ok(match xml::req_attr(node, "booleanOperator")? {
                "and" => Pred::And(parts),
                "or" => Pred::Or(parts),
                "xor" => Pred::Xor(parts),
                "surrogate" => Pred::Surrogate(parts),
                other => return Err(xml::bad_attr(node, "booleanOperator", other)),
            })
        }
        _ => Err(xml::unsupported(node)),
    }
}

impl Pred {
    /// Whether the numeric kernel evaluates this predicate (`True`, `False`,
    /// a numeric comparison); pushes the slot it reads.
    pub(crate) fn lower(&self, need: &mut Vec<Slot>) -> bool {
        match self {
            Pred::True | Pred::False => true,
            Pred::Num { slot, .. } => {
                need.push(*slot);
                true
            }
            _ => false,
        }
    }

    /// [`Pred::eval`] on the numeric kernel's slot values; `None` for a value
    /// that was not computed.
    #[inline]
    pub(crate) fn eval_num(&self, vals: &[f64]) -> Option<bool> {
        match self {
            Pred::True => Some(true),
            Pred::Num { slot, op, value } => Some(op.test_f64(kernel::get(vals, *slot)?, *value)),
            _ => Some(false),
        }
    }

    /// `Some(true/false)`, or `None` when unknown because of a missing value.
    pub(crate) fn eval(&self, ctx: &mut Ctx) -> Result<Option<bool>, PmmlError> {
        Ok(match self {
            Pred::True => Some(true),
            Pred::False => Some(false),
            Pred::Num { slot, op, value } => match ctx.get(*slot)? {
                Value::Missing => None,
                Value::Number(x) => Some(op.test_f64(x, *value)),
                v => {
                    let o = v.compare(&Value::Number(*value)).ok_or_else(|| {
                        PmmlError::eval(format!("cannot compare `{v}` with {value}"))
                    })?;
                    Some(op.test(o))
                }
            },
            Pred::Cmp { slot, op, value } => {
                let v = ctx.get(*slot)?;
                if v.is_missing() {
                    None
                } else {
                    let o = v.compare(value).ok_or_else(|| {
                        PmmlError::eval(format!("cannot compare `{v}` with `{value}`"))
                    })?;
                    Some(op.test(o))
                }
            }
            Pred::IsMissing(s) => Some(ctx.get(*s)?.is_missing()),
            Pred::IsNotMissing(s) => Some(!ctx.get(*s)?.is_missing()),
            Pred::Set {
                slot,
                is_in,
                values,
            } => {
                let v = ctx.get(*slot)?;
                if v.is_missing() {
                    None
                } else {
                    Some(values.iter().any(|x| x.same(&v)) == *is_in)
                }
            }
            Pred::And(ps) => {
                let mut unknown = false;
                for p in ps {
                    match p.eval(ctx)? {
                        Some(false) => return Ok(Some(false)),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            Pred::Or(ps) => {
                let mut unknown = false;
                for p in ps {
                    match p.eval(ctx)? {
                        Some(true) => return Ok(Some(true)),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { None } else { Some(false) }
            }
            Pred::Xor(ps) => {
                let mut acc = false;
                for p in ps {
                    match p.eval(ctx)? {
                        None => return Ok(None),
                        Some(b) => acc ^= b,
                    }
                }
                Some(acc)
            }
            Pred::Surrogate(ps) => {
                for p in ps {
                    if let Some(b) = p.eval(ctx)? {
                        return Ok(Some(b));
                    }
                }
                None
            }
        })
    }
}
