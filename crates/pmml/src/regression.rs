//! `RegressionModel`: `RegressionTable`s of `NumericPredictor`,
//! `CategoricalPredictor` and `PredictorTerm`, and the normalisation methods
//! that turn table values into a regression value or class probabilities
//! (following JPMML-Evaluator's binomial/multinomial/ordinal rules).

use std::sync::Arc;

use crate::compile::Compiler;
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::kernel::{self, NumPred};
use crate::math;
use crate::model::{Function, Model, Target};
use crate::prediction::{ClassResult, Prediction, Probs};
use crate::value::{OpType, Value};
use crate::xml::{self, Node};

/// `normalizationMethod` of a `RegressionModel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Norm {
    None,
    Simplemax,
    Softmax,
    Logit,
    Probit,
    Cloglog,
    Exp,
    Loglog,
    Cauchit,
}

impl Norm {
    fn parse(node: Node) -> Result<Self, PmmlError> {
        Ok(
            match xml::attr(node, "normalizationMethod").unwrap_or("none") {
                "none" => Norm::None,
                "simplemax" => Norm::Simplemax,
                "softmax" => Norm::Softmax,
                "logit" => Norm::Logit,
                "probit" => Norm::Probit,
                "cloglog" => Norm::Cloglog,
                "exp" => Norm::Exp,
                "loglog" => Norm::Loglog,
                "cauchit" => Norm::Cauchit,
                other => return Err(xml::bad_attr(node, "normalizationMethod", other)),
            },
        )
    }

    /// The inverse link applied to one value (binary/ordinal/regression use).
    fn apply(self, y: f64) -> f64 {
        match self {
            Norm::None | Norm::Simplemax => y,
            Norm::Softmax | Norm::Logit => math::logistic(y),
            Norm::Probit => math::normal_cdf(y),
            Norm::Cloglog => math::cloglog(y),
            Norm::Exp => y.exp(),
            Norm::Loglog => math::loglog(y),
            Norm::Cauchit => math::cauchit(y),
        }
    }
}

#[derive(Debug)]
struct Table {
    intercept: f64,
    numeric: Vec<(Slot, f64, i32)>,
    categorical: Vec<(Slot, Value, f64)>,
    terms: Vec<(Vec<Slot>, f64)>,
}

impl Table {
    fn compile(c: &mut Compiler, node: Node) -> Result<Self, PmmlError> {
        xml::check_children(
            node,
            &["NumericPredictor", "CategoricalPredictor", "PredictorTerm"],
        )?;
        let mut t = Table {
            intercept: xml::f64_or(node, "intercept", 0.0)?,
            numeric: Vec::new(),
            categorical: Vec::new(),
            terms: Vec::new(),
        };
        for p in xml::children(node, "NumericPredictor") {
            let b = c.resolve(xml::req_attr(p, "name")?, p)?;
            let exp = xml::f64_or(p, "exponent", 1.0)?;
            if exp.fract() != 0.0 {
                return Err(xml::invalid(p, "`exponent` must be an integer"));
            }
            t.numeric
                .push((b.slot, xml::req_f64(p, "coefficient")?, exp as i32));
        }
        for p in xml::children(node, "CategoricalPredictor") {
            let b = c.resolve(xml::req_attr(p, "name")?, p)?;
            let text = xml::req_attr(p, "value")?;
            let v = b
                .data_type
                .parse_value(text)
                .unwrap_or_else(|| Value::str(text));
            t.categorical
                .push((b.slot, v, xml::req_f64(p, "coefficient")?));
        }
        for p in xml::children(node, "PredictorTerm") {
            xml::check_children(p, &["FieldRef"])?;
            let mut slots = Vec::new();
            for f in xml::children(p, "FieldRef") {
                slots.push(c.resolve(xml::req_attr(f, "field")?, f)?.slot);
            }
            t.terms.push((slots, xml::req_f64(p, "coefficient")?));
        }
        Ok(t)
    }

    /// Whether the table is empty (intercept 0, no predictors).
    fn is_default(&self) -> bool {
        self.numeric.is_empty()
            && self.categorical.is_empty()
            && self.terms.is_empty()
            && self.intercept == 0.0
    }

    /// The table's value, or `None` when a numeric input is missing.
    #[inline]
    fn eval(&self, ctx: &mut Ctx) -> Result<Option<f64>, PmmlError> {
        let mut sum = 0.0;
        for &(slot, coef, exp) in &self.numeric {
            let Some(x) = ctx.number(slot)? else {
                return Ok(None);
            };
            sum += if exp == 1 {
                coef * x
            } else {
                coef * x.powi(exp)
            };
        }
        let mut matched: Option<Slot> = None;
        for (slot, value, coef) in &self.categorical {
            if matched == Some(*slot) {
                continue;
            }
            matched = None;
            let v = ctx.get(*slot)?;
            if v.is_missing() {
                matched = Some(*slot);
                continue;
            }
            if v.same(value) {
                matched = Some(*slot);
                sum += coef;
            }
        }
        for (slots, coef) in &self.terms {
            let mut prod = *coef;
            for s in slots {
                let Some(x) = ctx.number(*s)? else {
                    return Ok(None);
                };
                prod *= x;
            }
            sum += prod;
        }
        Ok(Some(sum + self.intercept))
    }
}

impl Table {
    /// Whether the table has numeric predictors only; pushes their slots.
    fn lower(&self, need: &mut Vec<Slot>) -> bool {
        need.extend(self.numeric.iter().map(|&(slot, _, _)| slot));
        self.categorical.is_empty() && self.terms.is_empty()
    }

    /// [`Table::eval`] on the numeric kernel's slot values.
    #[inline]
    fn eval_num(&self, vals: &[f64]) -> Option<f64> {
        let mut sum = 0.0;
        for &(slot, coef, exp) in &self.numeric {
            let x = kernel::get(vals, slot)?;
            sum += if exp == 1 {
                coef * x
            } else {
                coef * x.powi(exp)
            };
        }
        Some(sum + self.intercept)
    }
}

/// How class probabilities are derived from table values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scheme {
    Binomial(Norm),
    Multinomial(Norm),
    Ordinal(Norm),
}

/// A compiled `RegressionModel`.
#[derive(Debug)]
pub(crate) struct RegressionModel {
    tables: Vec<Table>,
    norm: Norm,
    cats: Arc<[Value]>,
    scheme: Scheme,
}

impl RegressionModel {
    /// Compiles the model's tables.
    pub(crate) fn compile(
        c: &mut Compiler,
        node: Node,
        function: Function,
        target: &Target,
    ) -> Result<Self, PmmlError> {
        let norm = Norm::parse(node)?;
        let mut tables = Vec::new();
        let mut cats = Vec::new();
        for t in xml::children(node, "RegressionTable") {
            tables.push(Table::compile(c, t)?);
            if function == Function::Classification {
                let tc = xml::req_attr(t, "targetCategory")?;
                let v = target.data_type.parse_value(tc).ok_or_else(|| {
                    xml::invalid(
                        t,
                        format!(
                            "`targetCategory` `{tc}` is not a valid {}",
                            target.data_type.as_str()
                        ),
                    )
                })?;
                if !target.categories.is_empty() && !target.categories.iter().any(|x| x.same(&v)) {
                    return Err(xml::invalid(
                        t,
                        format!("`targetCategory` `{tc}` is not a category of the target"),
                    ));
                }
                cats.push(v);
            }
        }
        let scheme = match function {
            Function::Regression => {
                if tables.len() != 1 {
                    return Err(xml::invalid(
                        node,
                        "a regression needs exactly one `RegressionTable`",
                    ));
                }
                if norm == Norm::Simplemax {
                    return Err(xml::bad_attr(node, "normalizationMethod", "simplemax"));
                }
                Scheme::Binomial(norm)
            }
            Function::Classification => {
                if tables.len() < 2 {
                    return Err(xml::invalid(
                        node,
                        "a classification needs at least two `RegressionTable`s",
                    ));
                }
                if !target.categories.is_empty() && target.categories.len() != tables.len() {
                    return Err(xml::invalid(
                        node,
                        "one `RegressionTable` is needed per target category",
                    ));
                }
                let ordinal = target.op_type == OpType::Ordinal;
                let bad = || {
                    xml::bad_attr(
                        node,
                        "normalizationMethod",
                        xml::attr(node, "normalizationMethod").unwrap_or("none"),
                    )
                };
                match norm {
                    Norm::None if ordinal => Scheme::Ordinal(norm),
                    Norm::None if tables.len() == 2 => Scheme::Binomial(norm),
                    Norm::None => Scheme::Multinomial(norm),
                    Norm::Simplemax | Norm::Softmax if ordinal => return Err(bad()),
                    Norm::Softmax if tables.len() == 2 && tables[1].is_default() => {
                        Scheme::Binomial(Norm::Logit)
                    }
                    Norm::Simplemax | Norm::Softmax => Scheme::Multinomial(norm),
                    Norm::Exp => return Err(bad()),
                    _ if ordinal => Scheme::Ordinal(norm),
                    _ if tables.len() == 2 => Scheme::Binomial(norm),
                    _ => return Err(bad()),
                }
            }
            Function::Clustering => {
                return Err(xml::invalid(
                    node,
                    "a `RegressionModel` cannot do clustering",
                ));
            }
        };
        Ok(RegressionModel {
            tables,
            norm,
            cats: cats.into(),
            scheme,
        })
    }

    /// The classes, in table order.
    pub(crate) fn categories(&self) -> Arc<[Value]> {
        self.cats.clone()
    }

    /// Whether the numeric kernel handles this model: numeric predictors only,
    /// a regression or a binary classification; pushes the slots it reads.
    pub(crate) fn lower(&self, function: Function, need: &mut Vec<Slot>) -> bool {
        let scheme_ok = match function {
            Function::Regression => true,
            Function::Classification => matches!(self.scheme, Scheme::Binomial(_)),
            Function::Clustering => false,
        };
        let mut ok = scheme_ok;
        for t in &self.tables {
            ok &= t.lower(need);
        }
        ok
    }

    /// Whether [`RegressionModel::predict_block`] handles this model (a
    /// regression, or a binary classification whose second class gets
    /// `1 - p0`); pushes the slots it reads.
    pub(crate) fn block_slots(&self, function: Function, need: &mut Vec<Slot>) -> bool {
        if !self.lower(function, need) {
            return false;
        }
        function == Function::Regression || self.tables.len() == 2
    }

    /// [`RegressionModel::predict_num`] over a block of records, column by
    /// column: `cols[slot]` holds a slot's values, `out` gets the regression
    /// value (before target processing) or the first class's probability.
    /// Each record sees the same additions in the same order as
    /// [`Table::eval_num`]; records with a non-finite value get garbage that
    /// the caller discards.
    pub(crate) fn predict_block(&self, function: Function, cols: &[Vec<f64>], out: &mut [f64]) {
        let t = &self.tables[0];
        out.fill(0.0);
        for &(slot, coef, exp) in &t.numeric {
            let xs = &cols[slot][..out.len()];
            if exp == 1 {
                for (a, &x) in out.iter_mut().zip(xs) {
                    *a += coef * x;
                }
            } else {
                for (a, &x) in out.iter_mut().zip(xs) {
                    *a += coef * x.powi(exp);
                }
            }
        }
        for a in out.iter_mut() {
            *a += t.intercept;
        }
        let norm = match (function, self.scheme) {
            (Function::Regression, _) => self.norm,
            (_, Scheme::Binomial(Norm::None)) => {
                for a in out.iter_mut() {
                    *a = a.clamp(0.0, 1.0);
                }
                return;
            }
            (_, Scheme::Binomial(norm)) => norm,
            _ => return,
        };
        match norm {
            Norm::None | Norm::Simplemax => {}
            Norm::Softmax | Norm::Logit => {
                for a in out.iter_mut() {
                    *a = math::logistic(*a);
                }
            }
            _ => {
                for a in out.iter_mut() {
                    *a = norm.apply(*a);
                }
            }
        }
    }

    /// [`RegressionModel::predict`] on the numeric kernel's slot values.
    pub(crate) fn predict_num(&self, vals: &[f64], function: Function) -> Option<NumPred<'_>> {
        if function == Function::Regression {
            return Some(NumPred::Value(
                self.norm.apply(self.tables[0].eval_num(vals)?),
            ));
        }
        let Scheme::Binomial(norm) = self.scheme else {
            return None;
        };
        let mut probs = Probs::zeros(self.tables.len());
        let p = probs.as_mut_slice();
        for (i, t) in self.tables.iter().enumerate() {
            p[i] = t.eval_num(vals)?;
        }
        p[0] = match norm {
            Norm::None => p[0].clamp(0.0, 1.0),
            _ => norm.apply(p[0]),
        };
        p[1] = 1.0 - p[0];
        Some(NumPred::Class {
            probs,
            cats: &self.cats,
        })
    }

    /// Scores one record.
    pub(crate) fn predict(
        &self,
        ctx: &mut Ctx,
        model: &Model,
    ) -> Result<Prediction<'_>, PmmlError> {
        if model.function == Function::Regression {
            let Some(y) = self.tables[0].eval(ctx)? else {
                return Ok(Prediction::Missing);
            };
            return Ok(Prediction::Value {
                value: Value::Number(self.norm.apply(y)),
                entity: None,
            });
        }
        let n = self.tables.len();
        let mut probs = Probs::zeros(n);
        {
            let p = probs.as_mut_slice();
            for (i, t) in self.tables.iter().enumerate() {
                match t.eval(ctx)? {
                    Some(y) => p[i] = y,
                    None => return Ok(Prediction::Missing),
                }
            }
            match self.scheme {
                Scheme::Binomial(norm) => {
                    p[0] = match norm {
                        Norm::None => p[0].clamp(0.0, 1.0),
                        _ => norm.apply(p[0]),
                    };
                    p[1] = 1.0 - p[0];
                }
                Scheme::Multinomial(Norm::None) => {
                    let s: f64 = p[..n - 1].iter().sum();
                    p[n - 1] = 1.0 - s;
                }
                Scheme::Multinomial(norm) => {
                    let mut s = 0.0;
                    for y in p.iter_mut() {
                        if norm == Norm::Softmax {
                            *y = y.exp();
                        }
                        s += *y;
                    }
                    for y in p.iter_mut() {
                        *y /= s;
                    }
                }
                Scheme::Ordinal(norm) => {
                    let mut sum = 0.0;
                    for (i, y) in p[..n - 1].iter_mut().enumerate() {
                        let v = match norm {
                            Norm::None => y.clamp(0.0, 1.0),
                            _ => norm.apply(*y),
                        };
                        if i == 0 {
                            *y = v;
                            sum = v;
                        } else {
                            *y = v - sum;
                            sum += *y;
                        }
                    }
                    p[n - 1] = 1.0 - sum;
                }
            }
        }
        Ok(Prediction::Class(ClassResult::from_probs(
            &self.cats, probs,
        )))
    }
}
