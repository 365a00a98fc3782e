//! Expressions of `DerivedField`s and `transformedValue` outputs: `Constant`,
//! `FieldRef`, `NormContinuous`, `NormDiscrete`, `Discretize`, `MapValues` and
//! `Apply` (whose built-in functions live in `functions.rs`).

use crate::compile::Compiler;
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::functions::{self, Func};
use crate::schema::Interval;
use crate::value::{DataType, Value, parse_number};
use crate::xml::{self, Node};

/// A compiled expression.
#[derive(Debug)]
pub(crate) enum Expr {
    Const(Value),
    Field {
        slot: Slot,
        map_missing_to: Option<Value>,
    },
    Apply(Box<Apply>),
    NormContinuous {
        slot: Slot,
        points: Vec<(f64, f64)>,
        outliers: NormOutliers,
        map_missing_to: Option<f64>,
    },
    NormDiscrete {
        slot: Slot,
        value: Value,
        map_missing_to: Option<f64>,
    },
    Discretize {
        slot: Slot,
        bins: Vec<(Interval, Value)>,
        map_missing_to: Option<Value>,
        default_value: Option<Value>,
    },
    MapValues(Box<MapValues>),
    /// Plain double arithmetic over numeric fields and constants (the hot path of scalers).
    Num(Box<NumExpr>),
}

/// Arithmetic compiled to work on `f64` directly; a missing operand makes the result missing.
#[derive(Debug)]
pub(crate) enum NumExpr {
    Slot(Slot),
    Const(f64),
    Add(NumExpr2),
    Sub(NumExpr2),
    Mul(NumExpr2),
    Div(NumExpr2),
}

/// The two operands of a binary [`NumExpr`].
pub(crate) type NumExpr2 = Box<(NumExpr, NumExpr)>;

impl NumExpr {
    /// Converts a compiled expression of static type `dt` when it is plain double arithmetic.
    fn from_expr(e: Expr, dt: Option<DataType>) -> Result<NumExpr, Expr> {
        match e {
            Expr::Field {
                slot,
                map_missing_to: None,
            } if matches!(dt, Some(DataType::Double | DataType::Integer)) => {
                Ok(NumExpr::Slot(slot))
            }
            Expr::Const(Value::Number(x)) => Ok(NumExpr::Const(x)),
            Expr::Num(n) => Ok(*n),
            e => Err(e),
        }
    }

    #[inline]
    fn eval(&self, ctx: &mut Ctx) -> Result<Option<f64>, PmmlError> {
        Ok(match self {
            NumExpr::Slot(s) => ctx.number(*s)?,
            NumExpr::Const(x) => Some(*x),
            NumExpr::Add(p) => Self::pair(p, ctx)?.map(|(a, b)| a + b),
            NumExpr::Sub(p) => Self::pair(p, ctx)?.map(|(a, b)| a - b),
            NumExpr::Mul(p) => Self::pair(p, ctx)?.map(|(a, b)| a * b),
            NumExpr::Div(p) => Self::pair(p, ctx)?.map(|(a, b)| a / b),
        })
    }

    /// The same arithmetic on computed slot values (NaN for missing ones).
    #[inline]
    pub(crate) fn eval_f64(&self, vals: &[f64]) -> f64 {
        match self {
            NumExpr::Slot(s) => vals[*s],
            NumExpr::Const(x) => *x,
            NumExpr::Add(p) => p.0.eval_f64(vals) + p.1.eval_f64(vals),
            NumExpr::Sub(p) => p.0.eval_f64(vals) - p.1.eval_f64(vals),
            NumExpr::Mul(p) => p.0.eval_f64(vals) * p.1.eval_f64(vals),
            NumExpr::Div(p) => p.0.eval_f64(vals) / p.1.eval_f64(vals),
        }
    }

    /// The slots the expression reads.
    pub(crate) fn slots(&self, out: &mut Vec<Slot>) {
        match self {
            NumExpr::Slot(s) => out.push(*s),
            NumExpr::Const(_) => {}
            NumExpr::Add(p) | NumExpr::Sub(p) | NumExpr::Mul(p) | NumExpr::Div(p) => {
                p.0.slots(out);
                p.1.slots(out);
            }
        }
    }

    #[inline]
    fn pair(p: &(NumExpr, NumExpr), ctx: &mut Ctx) -> Result<Option<(f64, f64)>, PmmlError> {
        let Some(a) = p.0.eval(ctx)? else {
            return Ok(None);
        };
        let Some(b) = p.1.eval(ctx)? else {
            return Ok(None);
        };
        Ok(Some((a, b)))
    }
}

/// `outliers` attribute of `NormContinuous`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NormOutliers {
    Keep,
    ToMissing,
    Clamp,
}

/// A compiled `Apply`.
#[derive(Debug)]
pub(crate) struct Apply {
    pub func: Func,
    pub args: Vec<Expr>,
    pub map_missing_to: Option<Value>,
    pub default_value: Option<Value>,
    pub invalid: ApplyInvalid,
    /// Round numeric results to single precision (all numeric arguments are `float`).
    pub float: bool,
}

/// `invalidValueTreatment` of `Apply`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ApplyInvalid {
    ReturnInvalid,
    AsMissing,
    AsIs,
}

/// A compiled `MapValues` with its `InlineTable`.
#[derive(Debug)]
pub(crate) struct MapValues {
    pub inputs: Vec<Slot>,
    pub rows: Vec<(Vec<Value>, Value)>,
    pub map_missing_to: Option<Value>,
    pub default_value: Option<Value>,
}

/// Names of the elements that are expressions.
pub(crate) const EXPRESSIONS: &[&str] = &[
    "Constant",
    "FieldRef",
    "NormContinuous",
    "NormDiscrete",
    "Discretize",
    "MapValues",
    "Apply",
    "TextIndex",
    "Aggregate",
    "Lag",
];

/// The single expression child of `node` (e.g. a `DerivedField`).
pub(crate) fn compile_child(
    c: &mut Compiler,
    node: Node,
) -> Result<(Expr, Option<DataType>), PmmlError> {
    let mut found = None;
    for ch in xml::elements(node) {
        if EXPRESSIONS.contains(&xml::name(ch)) {
            if found.is_some() {
                return Err(xml::invalid(node, "expected exactly one expression"));
            }
            found = Some(ch);
        } else if xml::name(ch) != "Value" {
            return Err(xml::unsupported(ch));
        }
    }
    let e = found.ok_or_else(|| PmmlError::MissingElement {
        element: xml::name(node).to_string(),
        child: "an expression".into(),
        line: xml::line(node),
    })?;
    compile(c, e)
}

fn opt_value(node: Node, key: &str, dt: Option<DataType>) -> Option<Value> {
    xml::attr(node, key).map(|s| literal(s, dt))
}

/// A literal from the document, typed by `dt` when known, else a number if it looks like one.
pub(crate) fn literal(s: &str, dt: Option<DataType>) -> Value {
    match dt {
        Some(t) => t.parse_value(s).unwrap_or_else(|| Value::str(s)),
        None => match parse_number(s) {
            Some(x) if !s.trim().is_empty() => Value::Number(x),
            _ => Value::str(s),
        },
    }
}

/// Compiles one expression element; also returns its static data type when known.
pub(crate) fn compile(c: &mut Compiler, node: Node) -> Result<(Expr, Option<DataType>), PmmlError> {
    match xml::name(node) {
        "Constant" => {
            xml::check_children(node, &[])?;
            let dt = xml::data_type(node)?;
            if xml::attr(node, "missing") == Some("true") {
                return Ok((Expr::Const(Value::Missing), dt));
            }
            let text = node.text().unwrap_or("");
            let v = match dt {
                Some(t) => t.parse_value(text).ok_or_else(|| {
                    xml::invalid(node, format!("`{text}` is not a valid {}", t.as_str()))
                })?,
                None => literal(text, None),
            };
            let dt = dt.or(match v {
                Value::Number(x) if x.fract() == 0.0 && !text.contains(['.', 'e', 'E']) => {
                    Some(DataType::Integer)
                }
                Value::Number(_) => Some(DataType::Double),
                _ => Some(DataType::String),
            });
            Ok((Expr::Const(v), dt))
        }
        "FieldRef" => {
            xml::check_children(node, &[])?;
            let b = c.resolve(xml::req_attr(node, "field")?, node)?;
            Ok((
                Expr::Field {
                    slot: b.slot,
                    map_missing_to: opt_value(node, "mapMissingTo", Some(b.data_type)),
                },
                Some(b.data_type),
            ))
        }
        "NormContinuous" => {
            xml::check_children(node, &["LinearNorm"])?;
            let b = c.resolve(xml::req_attr(node, "field")?, node)?;
            let mut points = Vec::new();
            for ln in xml::children(node, "LinearNorm") {
                points.push((xml::req_f64(ln, "orig")?, xml::req_f64(ln, "norm")?));
            }
            if points.len() < 2 {
                return Err(xml::invalid(
                    node,
                    "needs at least two `LinearNorm` elements",
                ));
            }
            if points.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(xml::invalid(
                    node,
                    "`LinearNorm` elements must have increasing `orig`",
                ));
            }
            let outliers = match xml::attr(node, "outliers").unwrap_or("asIs") {
                "asIs" => NormOutliers::Keep,
                "asMissingValues" => NormOutliers::ToMissing,
                "asExtremeValues" => NormOutliers::Clamp,
                other => return Err(xml::bad_attr(node, "outliers", other)),
            };
            Ok((
                Expr::NormContinuous {
                    slot: b.slot,
                    points,
                    outliers,
                    map_missing_to: xml::attr_f64(node, "mapMissingTo")?,
                },
                Some(DataType::Double),
            ))
        }
        "NormDiscrete" => {
            xml::check_children(node, &[])?;
            let b = c.resolve(xml::req_attr(node, "field")?, node)?;
            if let Some(m) = xml::attr(node, "method")
                && m != "indicator"
            {
                return Err(xml::bad_attr(node, "method", m));
            }
            let text = xml::req_attr(node, "value")?;
            Ok((
                Expr::NormDiscrete {
                    slot: b.slot,
                    value: literal(text, Some(b.data_type)),
                    map_missing_to: xml::attr_f64(node, "mapMissingTo")?,
                },
                Some(DataType::Double),
            ))
        }
        "Discretize" => {
            xml::check_children(node, &["DiscretizeBin"])?;
            let b = c.resolve(xml::req_attr(node, "field")?, node)?;
            let dt = xml::data_type(node)?;
            let mut bins = Vec::new();
            for bin in xml::children(node, "DiscretizeBin") {
                xml::check_children(bin, &["Interval"])?;
                let iv = Interval::parse(xml::req_child(bin, "Interval")?)?;
                bins.push((iv, literal(xml::req_attr(bin, "binValue")?, dt)));
            }
            Ok((
                Expr::Discretize {
                    slot: b.slot,
                    bins,
                    map_missing_to: opt_value(node, "mapMissingTo", dt),
                    default_value: opt_value(node, "defaultValue", dt),
                },
                dt,
            ))
        }
        "MapValues" => compile_map_values(c, node),
        "Apply" => compile_apply(c, node),
        _ => Err(xml::unsupported(node)),
    }
}

fn compile_map_values(c: &mut Compiler, node: Node) -> Result<(Expr, Option<DataType>), PmmlError> {
    xml::check_children(node, &["FieldColumnPair", "InlineTable", "TableLocator"])?;
    if let Some(t) = xml::child(node, "TableLocator") {
        return Err(xml::unsupported_hint(
            t,
            "inline the table with `InlineTable`",
        ));
    }
    let dt = xml::data_type(node)?;
    let out_col = xml::req_attr(node, "outputColumn")?;
    let mut inputs = Vec::new();
    let mut cols = Vec::new();
    let mut types = Vec::new();
    for p in xml::children(node, "FieldColumnPair") {
        let b = c.resolve(xml::req_attr(p, "field")?, p)?;
        inputs.push(b.slot);
        types.push(b.data_type);
        cols.push(xml::req_attr(p, "column")?);
    }
    let table = xml::req_child(node, "InlineTable")?;
    let mut rows = Vec::new();
    for row in xml::children(table, "row") {
        let mut keys = Vec::with_capacity(cols.len());
        let mut out = None;
        for (i, col) in cols.iter().enumerate() {
            let cell = cell(row, col)
                .ok_or_else(|| xml::invalid(row, format!("row has no cell for column `{col}`")))?;
            keys.push(literal(&cell, Some(types[i])));
        }
        if let Some(v) = cell(row, out_col) {
            out = Some(literal(&v, dt));
        }
        let out = out
            .ok_or_else(|| xml::invalid(row, format!("row has no cell for column `{out_col}`")))?;
        rows.push((keys, out));
    }
    Ok((
        Expr::MapValues(Box::new(MapValues {
            inputs,
            rows,
            map_missing_to: opt_value(node, "mapMissingTo", dt),
            default_value: opt_value(node, "defaultValue", dt),
        })),
        dt,
    ))
}

/// Text of the cell named `col` in an `InlineTable` row (`data:col` or `col`).
pub(crate) fn cell(row: Node, col: &str) -> Option<String> {
    xml::elements(row)
        .find(|e| xml::name(*e) == col)
        .map(|e| e.text().unwrap_or("").to_string())
}

fn compile_apply(c: &mut Compiler, node: Node) -> Result<(Expr, Option<DataType>), PmmlError> {
    let fname = xml::req_attr(node, "function")?;
    let mut args = Vec::new();
    let mut types: Vec<Option<DataType>> = Vec::new();
    for ch in xml::elements(node) {
        if !EXPRESSIONS.contains(&xml::name(ch)) {
            return Err(xml::unsupported(ch));
        }
        let (e, t) = compile(c, ch)?;
        args.push(e);
        types.push(t);
    }
    let invalid = match xml::attr(node, "invalidValueTreatment").unwrap_or("returnInvalid") {
        "returnInvalid" => ApplyInvalid::ReturnInvalid,
        "asMissing" => ApplyInvalid::AsMissing,
        "asIs" => ApplyInvalid::AsIs,
        other => return Err(xml::bad_attr(node, "invalidValueTreatment", other)),
    };
    let func = match Func::parse(fname) {
        Some(f) => f,
        None => {
            if c.has_function(fname) {
                return c.inline_function(fname, node, args, types);
            }
            return Err(xml::bad_attr(node, "function", fname));
        }
    };
    func.check_arity(args.len())
        .map_err(|m| xml::invalid(node, format!("function `{fname}` {m}")))?;
    let (rt, float) = functions::result_type(func, &types);
    let plain = matches!(func, Func::Add | Func::Sub | Func::Mul | Func::Div)
        && !float
        && invalid == ApplyInvalid::ReturnInvalid
        && xml::attr(node, "mapMissingTo").is_none()
        && xml::attr(node, "defaultValue").is_none();
    if plain {
        let mut it = args.into_iter().zip(types.iter().copied());
        let (a, b) = match (it.next(), it.next()) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(xml::invalid(node, "arithmetic needs two arguments")),
        };
        match (NumExpr::from_expr(a.0, a.1), NumExpr::from_expr(b.0, b.1)) {
            (Ok(x), Ok(y)) => {
                let pair = Box::new((x, y));
                let n = match func {
                    Func::Add => NumExpr::Add(pair),
                    Func::Sub => NumExpr::Sub(pair),
                    Func::Mul => NumExpr::Mul(pair),
                    _ => NumExpr::Div(pair),
                };
                return Ok((Expr::Num(Box::new(n)), rt));
            }
            (x, y) => {
                let back = |r: Result<NumExpr, Expr>| match r {
                    Ok(n) => Expr::Num(Box::new(n)),
                    Err(e) => e,
                };
                args = vec![back(x), back(y)];
            }
        }
    }
    Ok((
        Expr::Apply(Box::new(Apply {
            func,
            args,
            map_missing_to: opt_value(node, "mapMissingTo", rt),
            default_value: opt_value(node, "defaultValue", rt),
            invalid,
            float,
        })),
        rt,
    ))
}

impl Expr {
    /// Evaluates the expression for the current record.
    pub(crate) fn eval(&self, ctx: &mut Ctx) -> Result<Value, PmmlError> {
        match self {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Field {
                slot,
                map_missing_to,
            } => {
                let v = ctx.get(*slot)?;
                match (v, map_missing_to) {
                    (Value::Missing, Some(m)) => Ok(m.clone()),
                    (v, _) => Ok(v),
                }
            }
            Expr::Apply(a) => a.eval(ctx),
            Expr::Num(n) => match n.eval(ctx)? {
                None => Ok(Value::Missing),
                Some(x) if x.is_finite() => Ok(Value::Number(x)),
                Some(x) => Err(PmmlError::eval(format!(
                    "arithmetic gave an undefined result ({x}); set `invalidValueTreatment` on the `Apply` to tolerate it"
                ))),
            },
            Expr::NormContinuous {
                slot,
                points,
                outliers,
                map_missing_to,
            } => {
                let Some(x) = ctx.number(*slot)? else {
                    return Ok(map_missing_to.map_or(Value::Missing, Value::Number));
                };
                Ok(norm_continuous(x, points, *outliers))
            }
            Expr::NormDiscrete {
                slot,
                value,
                map_missing_to,
            } => {
                let v = ctx.get(*slot)?;
                if v.is_missing() {
                    return Ok(map_missing_to.map_or(Value::Missing, Value::Number));
                }
                Ok(Value::Number(if v.same(value) { 1.0 } else { 0.0 }))
            }
            Expr::Discretize {
                slot,
                bins,
                map_missing_to,
                default_value,
            } => {
                let Some(x) = ctx.number(*slot)? else {
                    return Ok(map_missing_to.clone().unwrap_or(Value::Missing));
                };
                for (iv, v) in bins {
                    if iv.contains(x) {
                        return Ok(v.clone());
                    }
                }
                Ok(default_value.clone().unwrap_or(Value::Missing))
            }
            Expr::MapValues(m) => {
                let mut keys = [const { Value::Missing }; 4];
                let mut heap = Vec::new();
                let n = m.inputs.len();
                for (i, s) in m.inputs.iter().enumerate() {
                    let v = ctx.get(*s)?;
                    if v.is_missing() {
                        return Ok(m.map_missing_to.clone().unwrap_or(Value::Missing));
                    }
                    if n <= 4 {
                        keys[i] = v;
                    } else {
                        heap.push(v);
                    }
                }
                let keys: &[Value] = if n <= 4 { &keys[..n] } else { &heap };
                for (k, out) in &m.rows {
                    if k.iter().zip(keys).all(|(a, b)| a.same(b)) {
                        return Ok(out.clone());
                    }
                }
                Ok(m.default_value.clone().unwrap_or(Value::Missing))
            }
        }
    }
}

fn norm_continuous(x: f64, pts: &[(f64, f64)], outliers: NormOutliers) -> Value {
    let n = pts.len();
    let (first, last) = (pts[0], pts[n - 1]);
    if x < first.0 || x > last.0 {
        match outliers {
            NormOutliers::ToMissing => return Value::Missing,
            NormOutliers::Clamp => {
                return Value::Number(if x < first.0 { first.1 } else { last.1 });
            }
            NormOutliers::Keep => {}
        }
    }
    let i = if x < first.0 {
        0
    } else if x > last.0 {
        n - 2
    } else {
        let mut i = 0;
        while i + 2 < n && x > pts[i + 1].0 {
            i += 1;
        }
        i
    };
    let (a, b) = (pts[i], pts[i + 1]);
    Value::Number(a.1 + (x - a.0) / (b.0 - a.0) * (b.1 - a.1))
}

impl Apply {
    fn eval(&self, ctx: &mut Ctx) -> Result<Value, PmmlError> {
        let r = match functions::call(self, ctx)? {
            functions::Call::Mapped(v) => return Ok(v),
            functions::Call::Done(v) => v,
        };
        let r = match r {
            Value::Number(x) if !x.is_finite() => match self.invalid {
                ApplyInvalid::ReturnInvalid => {
                    return Err(PmmlError::eval(format!(
                        "function `{}` gave an undefined result ({x}); set `invalidValueTreatment` on the `Apply` to tolerate it",
                        self.func.name()
                    )));
                }
                ApplyInvalid::AsMissing => Value::Missing,
                ApplyInvalid::AsIs => Value::Number(x),
            },
            Value::Number(x) if self.float => Value::Number(x as f32 as f64),
            v => v,
        };
        if r.is_missing()
            && let Some(d) = &self.default_value
        {
            return Ok(d.clone());
        }
        Ok(r)
    }
}
