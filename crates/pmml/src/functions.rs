//! Built-in functions of `Apply`: arithmetic, aggregates, math, comparisons,
//! boolean logic, set membership, `if`, a few string functions and the
//! `x-`-prefixed variants JPMML writes.

use crate::error::PmmlError;
use crate::eval::Ctx;
use crate::expr::Apply;
use crate::math;
use crate::value::{DataType, Value};

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Add,
    Sub,
    Mul,
    Div,
    Modulo,
    Min,
    Max,
    Sum,
    Avg,
    Product,
    Log10,
    Ln,
    Ln1p,
    Sqrt,
    Abs,
    Exp,
    Expm1,
    Pow,
    Hypot,
    Threshold,
    Floor,
    Ceil,
    Round,
    Rint,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Sinh,
    Cosh,
    Tanh,
    Sigmoid,
    Logit,
    StdNormalCdf,
    Erf,
    IsMissing,
    IsNotMissing,
    IsValid,
    IsNotValid,
    Equal,
    NotEqual,
    LessThan,
    LessOrEqual,
    GreaterThan,
    GreaterOrEqual,
    And,
    Or,
    Not,
    IsIn,
    IsNotIn,
    If,
    Uppercase,
    Lowercase,
    TrimBlanks,
    Concat,
    Substring,
    StringLength,
}

const TABLE: &[(&str, Func)] = &[
    ("+", Func::Add),
    ("-", Func::Sub),
    ("*", Func::Mul),
    ("/", Func::Div),
    ("modulo", Func::Modulo),
    ("min", Func::Min),
    ("max", Func::Max),
    ("sum", Func::Sum),
    ("avg", Func::Avg),
    ("product", Func::Product),
    ("log10", Func::Log10),
    ("ln", Func::Ln),
    ("ln1p", Func::Ln1p),
    ("sqrt", Func::Sqrt),
    ("abs", Func::Abs),
    ("exp", Func::Exp),
    ("expm1", Func::Expm1),
    ("pow", Func::Pow),
    ("hypot", Func::Hypot),
    ("threshold", Func::Threshold),
    ("floor", Func::Floor),
    ("ceil", Func::Ceil),
    ("round", Func::Round),
    ("rint", Func::Rint),
    ("sin", Func::Sin),
    ("cos", Func::Cos),
    ("tan", Func::Tan),
    ("asin", Func::Asin),
    ("acos", Func::Acos),
    ("atan", Func::Atan),
    ("atan2", Func::Atan2),
    ("sinh", Func::Sinh),
    ("cosh", Func::Cosh),
    ("tanh", Func::Tanh),
    ("sigmoid", Func::Sigmoid),
    ("logit", Func::Logit),
    ("stdNormalCDF", Func::StdNormalCdf),
    ("erf", Func::Erf),
    ("isMissing", Func::IsMissing),
    ("isNotMissing", Func::IsNotMissing),
    ("isValid", Func::IsValid),
    ("isNotValid", Func::IsNotValid),
    ("equal", Func::Equal),
    ("notEqual", Func::NotEqual),
    ("lessThan", Func::LessThan),
    ("lessOrEqual", Func::LessOrEqual),
    ("greaterThan", Func::GreaterThan),
    ("greaterOrEqual", Func::GreaterOrEqual),
    ("and", Func::And),
    ("or", Func::Or),
    ("not", Func::Not),
    ("isIn", Func::IsIn),
    ("isNotIn", Func::IsNotIn),
    ("if", Func::If),
    ("uppercase", Func::Uppercase),
    ("lowercase", Func::Lowercase),
    ("trimBlanks", Func::TrimBlanks),
    ("concat", Func::Concat),
    ("substring", Func::Substring),
    ("stringLength", Func::StringLength),
];

impl Func {
    /// Looks a function up by its PMML name; `x-` prefixed names map to the same built-ins.
    pub(crate) fn parse(name: &str) -> Option<Func> {
        let n = name.strip_prefix("x-").unwrap_or(name);
        TABLE.iter().find(|(k, _)| *k == n).map(|(_, f)| *f)
    }

    /// PMML name of the function.
    pub(crate) fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(k, _)| k)
    }

    /// Checks the number of arguments.
    pub(crate) fn check_arity(self, n: usize) -> Result<(), String> {
        use Func::*;
        let (lo, hi) = match self {
            Add | Sub | Mul | Div | Modulo | Pow | Hypot | Threshold | Atan2 | Equal | NotEqual
            | LessThan | LessOrEqual | GreaterThan | GreaterOrEqual => (2, 2),
            Min | Max | Sum | Avg | Product | And | Or | Concat => (1, usize::MAX),
            IsIn | IsNotIn => (2, usize::MAX),
            If => (2, 3),
            Substring => (3, 3),
            _ => (1, 1),
        };
        if n < lo || n > hi {
            Err(format!(
                "takes {lo}..{} arguments, found {n}",
                if hi == usize::MAX {
                    "n".to_string()
                } else {
                    hi.to_string()
                }
            ))
        } else {
            Ok(())
        }
    }
}

fn common(types: &[Option<DataType>]) -> Option<DataType> {
    let mut out: Option<DataType> = None;
    for t in types {
        let t = (*t)?;
        out = Some(match (out, t) {
            (None, t) => t,
            (Some(DataType::Double), _) | (_, DataType::Double) => DataType::Double,
            (Some(DataType::Float), _) | (_, DataType::Float) => DataType::Float,
            (Some(DataType::Integer), DataType::Integer) => DataType::Integer,
            _ => return None,
        });
    }
    out
}

/// Static result type of a call, and whether numeric results are rounded to `float`.
pub(crate) fn result_type(f: Func, types: &[Option<DataType>]) -> (Option<DataType>, bool) {
    use Func::*;
    let t = match f {
        Add | Sub | Mul | Min | Max | Sum | Product | Modulo => {
            common(types).or(Some(DataType::Double))
        }
        Div | Avg => match common(types) {
            Some(DataType::Float) => Some(DataType::Float),
            _ => Some(DataType::Double),
        },
        Abs => types[0]
            .filter(|t| t.is_numeric())
            .or(Some(DataType::Double)),
        Floor | Ceil | Round | Rint | StringLength => Some(DataType::Integer),
        Threshold => Some(DataType::Integer),
        IsMissing | IsNotMissing | IsValid | IsNotValid | Equal | NotEqual | LessThan
        | LessOrEqual | GreaterThan | GreaterOrEqual | And | Or | Not | IsIn | IsNotIn => {
            Some(DataType::Boolean)
        }
        If => types.get(1).copied().flatten(),
        Uppercase | Lowercase | TrimBlanks | Concat | Substring => Some(DataType::String),
        _ => match types.first().copied().flatten() {
            Some(DataType::Float) => Some(DataType::Float),
            _ => Some(DataType::Double),
        },
    };
    let float = t == Some(DataType::Float) && !matches!(f, If | Floor | Ceil | Round | Rint);
    (t, float)
}

/// Outcome of a call before `defaultValue` handling.
pub(crate) enum Call {
    /// An argument was missing and `mapMissingTo` applies.
    Mapped(Value),
    /// The function's result (may be missing).
    Done(Value),
}

fn num(v: &Value, f: Func) -> Result<f64, PmmlError> {
    v.as_f64().ok_or_else(|| {
        PmmlError::eval(format!(
            "function `{}` expects numbers, found `{v}`",
            f.name()
        ))
    })
}

fn truth(v: &Value, f: Func) -> Result<bool, PmmlError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(x) => Ok(*x != 0.0),
        _ => Err(PmmlError::eval(format!(
            "function `{}` expects booleans, found `{v}`",
            f.name()
        ))),
    }
}

/// Compares two values, converting a string to a number when the other side is numeric.
fn cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(_), Value::Str(s)) => a.compare(&Value::Number(s.trim().parse().ok()?)),
        (Value::Str(s), Value::Number(_)) => Value::Number(s.trim().parse().ok()?).compare(b),
        _ => a.compare(b),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    cmp(a, b) == Some(std::cmp::Ordering::Equal)
}

/// Evaluates `apply` for the current record.
pub(crate) fn call(apply: &Apply, ctx: &mut Ctx) -> Result<Call, PmmlError> {
    use Func::*;
    let f = apply.func;
    // Lazy: only the chosen branch is evaluated.
    if f == If {
        let c = apply.args[0].eval(ctx)?;
        if c.is_missing() {
            if let Some(m) = &apply.map_missing_to {
                return Ok(Call::Mapped(m.clone()));
            }
            return Ok(Call::Done(Value::Missing));
        }
        let branch = if truth(&c, f)? {
            apply.args.get(1)
        } else {
            apply.args.get(2)
        };
        let v = match branch {
            Some(e) => e.eval(ctx)?,
            None => Value::Missing,
        };
        if v.is_missing()
            && let Some(m) = &apply.map_missing_to
        {
            return Ok(Call::Mapped(m.clone()));
        }
        return Ok(Call::Done(v));
    }
    let n = apply.args.len();
    let mut small = [const { Value::Missing }; 3];
    let mut big = Vec::new();
    let mut first_missing = None;
    for (i, e) in apply.args.iter().enumerate() {
        let v = e.eval(ctx)?;
        if v.is_missing() {
            if let Some(m) = &apply.map_missing_to {
                return Ok(Call::Mapped(m.clone()));
            }
            first_missing.get_or_insert(i);
        }
        if n <= 3 {
            small[i] = v;
        } else {
            big.push(v);
        }
    }
    let a: &[Value] = if n <= 3 { &small[..n] } else { &big };
    // JPMML-Evaluator: arithmetic propagates missing values, aggregates skip
    // them, membership and missing-checks accept them; other functions refuse them.
    if let Some(pos) = first_missing {
        match f {
            Add | Sub | Mul | Div => return Ok(Call::Done(Value::Missing)),
            IsMissing | IsNotMissing | IsValid | IsNotValid | Min | Max | Sum | Avg | Product
            | IsIn | IsNotIn => {}
            _ => {
                return Err(PmmlError::eval(format!(
                    "function `{}` cannot accept a missing value at position {pos}; set `mapMissingTo` on the `Apply`",
                    f.name()
                )));
            }
        }
    }
    let x = |i: usize| num(&a[i], f);
    let r = match f {
        Add => Value::Number(x(0)? + x(1)?),
        Sub => Value::Number(x(0)? - x(1)?),
        Mul => Value::Number(x(0)? * x(1)?),
        Div => Value::Number(x(0)? / x(1)?),
        Modulo => {
            let (p, q) = (x(0)?, x(1)?);
            Value::Number(p - q * (p / q).floor())
        }
        Min | Max | Sum | Avg | Product => {
            let mut acc: Option<f64> = None;
            let mut count = 0.0;
            for v in a.iter().filter(|v| !v.is_missing()) {
                let y = num(v, f)?;
                count += 1.0;
                acc = Some(match (acc, f) {
                    (None, _) => y,
                    (Some(s), Min) => s.min(y),
                    (Some(s), Max) => s.max(y),
                    (Some(s), Product) => s * y,
                    (Some(s), _) => s + y,
                });
            }
            match acc {
                None => Value::Missing,
                Some(s) if f == Avg => Value::Number(s / count),
                Some(s) => Value::Number(s),
            }
        }
        Log10 => Value::Number(x(0)?.log10()),
        Ln => Value::Number(x(0)?.ln()),
        Ln1p => Value::Number(x(0)?.ln_1p()),
        Sqrt => Value::Number(x(0)?.sqrt()),
        Abs => Value::Number(x(0)?.abs()),
        Exp => Value::Number(x(0)?.exp()),
        Expm1 => Value::Number(x(0)?.exp_m1()),
        Pow => Value::Number(x(0)?.powf(x(1)?)),
        Hypot => Value::Number(x(0)?.hypot(x(1)?)),
        Threshold => Value::Number(if x(0)? > x(1)? { 1.0 } else { 0.0 }),
        Floor => Value::Number(x(0)?.floor()),
        Ceil => Value::Number(x(0)?.ceil()),
        Round => Value::Number((x(0)? + 0.5).floor()),
        Rint => Value::Number(x(0)?.round_ties_even()),
        Sin => Value::Number(x(0)?.sin()),
        Cos => Value::Number(x(0)?.cos()),
        Tan => Value::Number(x(0)?.tan()),
        Asin => Value::Number(x(0)?.asin()),
        Acos => Value::Number(x(0)?.acos()),
        Atan => Value::Number(x(0)?.atan()),
        Atan2 => Value::Number(x(0)?.atan2(x(1)?)),
        Sinh => Value::Number(x(0)?.sinh()),
        Cosh => Value::Number(x(0)?.cosh()),
        Tanh => Value::Number(x(0)?.tanh()),
        Sigmoid => Value::Number(1.0 / (1.0 + (-x(0)?).exp())),
        Logit => {
            let p = x(0)?;
            Value::Number((p / (1.0 - p)).ln())
        }
        StdNormalCdf => Value::Number(math::normal_cdf(x(0)?)),
        Erf => Value::Number(math::erf(x(0)?)),
        IsMissing => Value::Bool(a[0].is_missing()),
        IsNotMissing => Value::Bool(!a[0].is_missing()),
        // Arguments reaching a function have already been validated.
        IsValid => Value::Bool(!a[0].is_missing()),
        IsNotValid => Value::Bool(false),
        Equal => Value::Bool(equal(&a[0], &a[1])),
        NotEqual => Value::Bool(!equal(&a[0], &a[1])),
        LessThan | LessOrEqual | GreaterThan | GreaterOrEqual => {
            let o = cmp(&a[0], &a[1]).ok_or_else(|| {
                PmmlError::eval(format!("cannot compare `{}` with `{}`", a[0], a[1]))
            })?;
            Value::Bool(match f {
                LessThan => o.is_lt(),
                LessOrEqual => o.is_le(),
                GreaterThan => o.is_gt(),
                _ => o.is_ge(),
            })
        }
        And | Or => {
            // Three-valued logic: a decisive operand wins over a missing one.
            let decisive = f == Or;
            let mut missing = false;
            let mut out = !decisive;
            for v in a {
                if v.is_missing() {
                    missing = true;
                } else if truth(v, f)? == decisive {
                    out = decisive;
                    missing = false;
                    break;
                }
            }
            if missing {
                Value::Missing
            } else {
                Value::Bool(out)
            }
        }
        Not => Value::Bool(!truth(&a[0], f)?),
        IsIn | IsNotIn => {
            let hit = a[1..].iter().any(|v| equal(&a[0], v));
            Value::Bool(hit == (f == IsIn))
        }
        Uppercase => Value::str(&a[0].to_string().to_uppercase()),
        Lowercase => Value::str(&a[0].to_string().to_lowercase()),
        TrimBlanks => Value::str(a[0].to_string().trim()),
        Concat => {
            let mut s = String::new();
            for v in a {
                s.push_str(&v.to_string());
            }
            Value::str(&s)
        }
        Substring => {
            let s = a[0].to_string();
            let start = (x(1)? as usize).max(1) - 1;
            let len = x(2)? as usize;
            Value::str(&s.chars().skip(start).take(len).collect::<String>())
        }
        StringLength => Value::Number(a[0].to_string().chars().count() as f64),
        If => Value::Missing,
    };
    Ok(Call::Done(r))
}
