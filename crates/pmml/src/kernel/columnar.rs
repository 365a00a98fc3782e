//! Columnar block scoring on the numeric kernel: a block of records is
//! scored column by column (each derived field a tight loop over `f64`
//! slices, the linear predictor accumulated term by term into one buffer,
//! the inverse link applied over the block), for documents whose top model
//! is a linear `RegressionModel` (a regression or a binary classification).
//!
//! Every record sees exactly the operations, in the same order, that the
//! record kernel ([`Kernel::run`]) applies to it, so results are
//! bit-identical. Records the record kernel would decline (a non-finite
//! value anywhere, an integer field given a fraction) are flagged as not
//! clean and left to the interpreter.

use std::sync::Arc;

use super::{Kernel, Step};
use crate::Source;
use crate::eval::{Slot, SlotDef};
use crate::expr::{Expr, NumExpr};
use crate::model::{Body, Function, Model};
use crate::output::Feature;
use crate::value::{DataType, Value};

/// Records scored together: their slot columns stay in the core's caches.
pub(crate) const BLOCK: usize = 256;

/// What a result column holds for a clean record.
#[derive(Debug, Clone, Copy)]
enum Out {
    /// The regression value.
    Value,
    /// The predicted class.
    Label,
    /// Probability of the first (0) or second (1) class.
    Prob(usize),
    /// Probability of the predicted class.
    LabelProb,
    /// Probability of a class the model does not know.
    Zero,
}

/// How a kernel's model is scored a block at a time.
#[derive(Debug)]
pub(crate) struct BlockPlan {
    /// One entry per result column.
    outs: Vec<Out>,
    /// Binary classification (else regression).
    class: bool,
    cats: Arc<[Value]>,
}

/// Reusable buffers of block scoring; keep one per thread.
#[derive(Debug, Default)]
pub(crate) struct Block {
    /// Slot values, one column per slot (empty for slots not computed).
    cols: Vec<Vec<f64>>,
    /// Whether each record of the block was scored here.
    clean: Vec<bool>,
    /// Regression value, or probability of the first class.
    p: Vec<f64>,
    /// Probability of the second class.
    q: Vec<f64>,
    /// Temporaries of nested arithmetic.
    tmp: Vec<Vec<f64>>,
}

impl Block {
    /// Whether each record of the last block was scored (false: interpret it).
    pub(crate) fn clean(&self) -> &[bool] {
        &self.clean
    }
}

impl BlockPlan {
    /// The plan of a kernel, `None` when its top model is not a linear
    /// `RegressionModel` over slots the kernel computes.
    pub(super) fn build(k: &Kernel, model: &Model, sources: &[Source]) -> Option<BlockPlan> {
        let Body::Regression(m) = &model.body else {
            return None;
        };
        let mut need = Vec::new();
        if !m.block_slots(model.function, &mut need) {
            return None;
        }
        let computed = |s: Slot| {
            k.steps.iter().any(|st| match *st {
                Step::Input { slot, .. } | Step::Derived(slot) => slot == s,
            })
        };
        if !need.into_iter().all(computed) {
            return None;
        }
        let class = model.function == Function::Classification;
        let cats = m.categories();
        if class && cats.len() != 2 {
            return None;
        }
        let prob = |cat: &Value| {
            cats.iter()
                .position(|c| c.same(cat))
                .map_or(Out::Zero, Out::Prob)
        };
        let mut outs = Vec::with_capacity(sources.len());
        for s in sources {
            outs.push(match s {
                Source::Predicted if class => Out::Label,
                Source::Predicted => Out::Value,
                Source::Probability(cat) if class => prob(cat),
                Source::Slot(slot) => {
                    let o = model.outputs.iter().find(|o| o.slot == *slot)?;
                    match (&o.feature, class) {
                        (Feature::PredictedValue, false) => Out::Value,
                        (Feature::Probability(Some(cat)), true) => prob(cat),
                        (Feature::Probability(None), true) => Out::LabelProb,
                        _ => return None,
                    }
                }
                Source::Probability(_) => return None,
            });
        }
        Some(BlockPlan { outs, class, cats })
    }
}

impl Kernel {
    /// Scores records `start..start + len` of the kernel's input columns
    /// (`inputs[index]`, NaN: missing) into `b`; false without a block plan.
    pub(crate) fn run_block(
        &self,
        slots: &[SlotDef],
        model: &Model,
        inputs: &[&[f64]],
        start: usize,
        len: usize,
        b: &mut Block,
    ) -> bool {
        let (Some(plan), Body::Regression(m)) = (&self.block, &model.body) else {
            return false;
        };
        b.cols.resize_with(self.slot_count, Vec::new);
        b.clean.clear();
        b.clean.resize(len, true);
        for &s in &self.assigned {
            b.cols[s].clear();
            b.cols[s].resize(len, f64::NAN);
        }
        for step in &self.steps {
            match *step {
                Step::Input {
                    slot,
                    index,
                    data_type,
                } => {
                    let Some(src) = inputs.get(index).and_then(|c| c.get(start..start + len))
                    else {
                        return false;
                    };
                    let dst = &mut b.cols[slot];
                    dst.clear();
                    match data_type {
                        DataType::Float => dst.extend(src.iter().map(|&x| x as f32 as f64)),
                        DataType::Integer => {
                            for (ok, &x) in b.clean.iter_mut().zip(src) {
                                *ok &= x.fract() == 0.0;
                            }
                            dst.extend_from_slice(src);
                        }
                        _ => dst.extend_from_slice(src),
                    }
                    keep_finite(&mut b.clean, dst);
                }
                Step::Derived(slot) => {
                    let SlotDef::Derived {
                        expr: Expr::Num(n), ..
                    } = &slots[slot]
                    else {
                        return false;
                    };
                    let mut dst = std::mem::take(&mut b.cols[slot]);
                    dst.clear();
                    dst.resize(len, 0.0);
                    eval_into(n, &b.cols, &mut dst, &mut b.tmp);
                    keep_finite(&mut b.clean, &dst);
                    b.cols[slot] = dst;
                }
            }
        }
        b.p.clear();
        b.p.resize(len, 0.0);
        m.predict_block(model.function, &b.cols, &mut b.p);
        if plan.class {
            b.q.clear();
            b.q.extend(b.p.iter().map(|p| 1.0 - p));
            keep_finite(&mut b.clean, &b.p);
            keep_finite(&mut b.clean, &b.q);
        } else {
            for (ok, y) in b.clean.iter_mut().zip(b.p.iter_mut()) {
                match model.target_num(*y) {
                    Some(v) => *y = v,
                    None => *ok = false,
                }
            }
        }
        true
    }

    /// Writes result column `c` of the clean records of the last block
    /// (`dst[r]` for record `r` of the block); other records are left as they are.
    pub(crate) fn write_block(&self, c: usize, b: &Block, dst: &mut [Value]) {
        let Some(plan) = &self.block else {
            return;
        };
        let Some(&out) = plan.outs.get(c) else {
            return;
        };
        let (p, q) = (&b.p, &b.q);
        match out {
            Out::Value | Out::Prob(0) => put(dst, &b.clean, |r| Value::Number(p[r])),
            Out::Prob(_) => put(dst, &b.clean, |r| Value::Number(q[r])),
            Out::Zero => put(dst, &b.clean, |_| Value::Number(0.0)),
            Out::LabelProb => put(dst, &b.clean, |r| {
                Value::Number(if q[r] > p[r] { q[r] } else { p[r] })
            }),
            Out::Label => put(dst, &b.clean, |r| {
                plan.cats
                    .get(usize::from(q[r] > p[r]))
                    .cloned()
                    .unwrap_or(Value::Missing)
            }),
        }
    }
}

/// Sets `dst[r] = value(r)` for the clean records `r`.
#[inline]
fn put(dst: &mut [Value], clean: &[bool], value: impl Fn(usize) -> Value) {
    for (r, (d, &ok)) in dst.iter_mut().zip(clean).enumerate() {
        if ok {
            *d = value(r);
        }
    }
}

/// A binary operator of [`NumExpr`].
#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Evaluates `e` for every record of the block into `out` (one element per
/// record), reading slot columns from `cols`; the same operations per
/// record as [`NumExpr::eval_f64`].
fn eval_into(e: &NumExpr, cols: &[Vec<f64>], out: &mut [f64], tmp: &mut Vec<Vec<f64>>) {
    let (op, pair) = match e {
        NumExpr::Slot(s) => {
            out.copy_from_slice(&cols[*s][..out.len()]);
            return;
        }
        NumExpr::Const(x) => {
            out.fill(*x);
            return;
        }
        NumExpr::Add(p) => (Op::Add, p),
        NumExpr::Sub(p) => (Op::Sub, p),
        NumExpr::Mul(p) => (Op::Mul, p),
        NumExpr::Div(p) => (Op::Div, p),
    };
    eval_into(&pair.0, cols, out, tmp);
    match &pair.1 {
        NumExpr::Const(c) => {
            let c = *c;
            match op {
                Op::Add => out.iter_mut().for_each(|a| *a += c),
                Op::Sub => out.iter_mut().for_each(|a| *a -= c),
                Op::Mul => out.iter_mut().for_each(|a| *a *= c),
                Op::Div => out.iter_mut().for_each(|a| *a /= c),
            }
        }
        NumExpr::Slot(s) => combine(op, out, &cols[*s][..out.len()]),
        rhs => {
            let mut t = tmp.pop().unwrap_or_default();
            t.clear();
            t.resize(out.len(), 0.0);
            eval_into(rhs, cols, &mut t, tmp);
            combine(op, out, &t);
            tmp.push(t);
        }
    }
}

/// `out[r] = out[r] op rhs[r]` for every record.
#[inline]
fn combine(op: Op, out: &mut [f64], rhs: &[f64]) {
    let pairs = out.iter_mut().zip(rhs);
    match op {
        Op::Add => pairs.for_each(|(a, &b)| *a += b),
        Op::Sub => pairs.for_each(|(a, &b)| *a -= b),
        Op::Mul => pairs.for_each(|(a, &b)| *a *= b),
        Op::Div => pairs.for_each(|(a, &b)| *a /= b),
    }
}

/// Clears `clean[r]` where `xs[r]` is not finite.
#[inline]
fn keep_finite(clean: &mut [bool], xs: &[f64]) {
    for (ok, x) in clean.iter_mut().zip(xs) {
        *ok &= x.is_finite();
    }
}
