//! `GeneralRegressionModel`: `ParameterList`, `FactorList`/`CovariateList`,
//! `PPMatrix` and `ParamMatrix` for the model types regression, generalLinear,
//! generalizedLinear (with link functions), multinomialLogistic and
//! ordinalMultinomial (with cumulative links), as JPMML-Evaluator computes them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::compile::Compiler;
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::math;
use crate::model::{Function, Model, Target};
use crate::prediction::{ClassResult, Prediction, Probs};
use crate::value::Value;
use crate::xml::{self, Node};

#[derive(Debug, Clone, Copy, PartialEq)]
enum ModelType {
    Regression,
    GeneralLinear,
    GeneralizedLinear,
    MultinomialLogistic,
    OrdinalMultinomial,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Link {
    Identity,
    Log,
    Logc,
    Logit,
    Probit,
    Cloglog,
    Loglog,
    Cauchit,
    Power(f64),
    OddsPower(f64),
    NegBin(f64),
}

impl Link {
    fn inverse(self, x: f64) -> f64 {
        match self {
            Link::Identity => x,
            Link::Log => x.exp(),
            Link::Logc => 1.0 - x.exp(),
            Link::Logit => math::logistic(x),
            Link::Probit => math::normal_cdf(x),
            Link::Cloglog => math::cloglog(x),
            Link::Loglog => math::loglog(x),
            Link::Cauchit => math::cauchit(x),
            Link::Power(c) => {
                if c == 0.0 {
                    x.exp()
                } else {
                    x.powf(1.0 / c)
                }
            }
            Link::OddsPower(c) => {
                if c == 0.0 {
                    math::logistic(x)
                } else {
                    1.0 / (1.0 + (1.0 + c * x).powf(-1.0 / c))
                }
            }
            Link::NegBin(a) => 1.0 / (a * ((-x).exp() - 1.0)),
        }
    }
}

/// One factor or covariate term of a parameter's design row.
#[derive(Debug)]
enum Term {
    /// 1 when the field equals the value, else 0.
    Factor(Slot, Value),
    /// The field raised to a power.
    Covariate(Slot, f64),
}

/// A `PCell`: coefficient of a parameter, with the parameter's design row.
#[derive(Debug)]
struct Cell {
    beta: f64,
    /// Index into `rows`; `None` for a parameter without predictors (an intercept).
    row: Option<usize>,
}

/// A compiled `GeneralRegressionModel`.
#[derive(Debug)]
pub(crate) struct GeneralRegressionModel {
    model_type: ModelType,
    link: Option<Link>,
    cumulative: Option<Link>,
    rows: Vec<Vec<Term>>,
    /// Cells without `targetCategory`.
    common: Vec<Cell>,
    /// Cells per category (aligned with `cats`), for classification.
    per_cat: Vec<Vec<Cell>>,
    cats: Arc<[Value]>,
    offset_value: Option<f64>,
    offset_slot: Option<Slot>,
    trials_value: Option<f64>,
    trials_slot: Option<Slot>,
}

fn parse_link(node: Node, key: &str) -> Result<Option<Link>, PmmlError> {
    let lp = xml::attr_f64(node, "linkParameter")?;
    let dp = xml::attr_f64(node, "distParameter")?;
    let missing = |a: &str| PmmlError::MissingAttribute {
        element: "GeneralRegressionModel".into(),
        attribute: a.into(),
        line: xml::line(node),
    };
    Ok(Some(match xml::attr(node, key) {
        None => return Ok(None),
        Some("identity") => Link::Identity,
        Some("log") => Link::Log,
        Some("logc") => Link::Logc,
        Some("logit") => Link::Logit,
        Some("probit") => Link::Probit,
        Some("cloglog") => Link::Cloglog,
        Some("loglog") => Link::Loglog,
        Some("cauchit") => Link::Cauchit,
        Some("power") => Link::Power(lp.ok_or_else(|| missing("linkParameter"))?),
        Some("oddspower") => Link::OddsPower(lp.ok_or_else(|| missing("linkParameter"))?),
        Some("negbin") => Link::NegBin(dp.ok_or_else(|| missing("distParameter"))?),
        Some(other) => return Err(xml::bad_attr(node, key, other)),
    }))
}

impl GeneralRegressionModel {
    /// Compiles the parameter matrices.
    pub(crate) fn compile(
        c: &mut Compiler,
        node: Node,
        function: Function,
        target: &Target,
    ) -> Result<Self, PmmlError> {
        let model_type = match xml::req_attr(node, "modelType")? {
            "regression" => ModelType::Regression,
            "generalLinear" => ModelType::GeneralLinear,
            "generalizedLinear" => ModelType::GeneralizedLinear,
            "multinomialLogistic" => ModelType::MultinomialLogistic,
            "ordinalMultinomial" => ModelType::OrdinalMultinomial,
            other => return Err(xml::bad_attr(node, "modelType", other)),
        };
        let classification = function == Function::Classification;
        let ok = match model_type {
            ModelType::Regression | ModelType::GeneralLinear => function == Function::Regression,
            ModelType::GeneralizedLinear => function != Function::Clustering,
            _ => classification,
        };
        if !ok {
            return Err(xml::invalid(
                node,
                "`modelType` does not fit `functionName`",
            ));
        }
        let link = parse_link(node, "linkFunction")?;
        if model_type == ModelType::GeneralizedLinear && link.is_none() {
            return Err(PmmlError::MissingAttribute {
                element: "GeneralRegressionModel".into(),
                attribute: "linkFunction".into(),
                line: xml::line(node),
            });
        }
        let cumulative = match xml::attr(node, "cumulativeLink") {
            None => None,
            Some("logit") => Some(Link::Logit),
            Some("probit") => Some(Link::Probit),
            Some("cloglog") => Some(Link::Cloglog),
            Some("loglog") => Some(Link::Loglog),
            Some("cauchit") => Some(Link::Cauchit),
            Some(other) => return Err(xml::bad_attr(node, "cumulativeLink", other)),
        };
        if model_type == ModelType::OrdinalMultinomial && cumulative.is_none() {
            return Err(PmmlError::MissingAttribute {
                element: "GeneralRegressionModel".into(),
                attribute: "cumulativeLink".into(),
                line: xml::line(node),
            });
        }
        // Predictors: factor or covariate.
        let mut factors = HashMap::new();
        let mut covariates = HashMap::new();
        for (list, is_factor) in [("FactorList", true), ("CovariateList", false)] {
            if let Some(l) = xml::child(node, list) {
                for p in xml::children(l, "Predictor") {
                    if let Some(ch) = xml::elements(p).next() {
                        return Err(xml::unsupported_hint(
                            ch,
                            "contrast matrices are not supported",
                        ));
                    }
                    let name = xml::req_attr(p, "name")?;
                    let b = c.resolve(name, p)?;
                    if is_factor {
                        factors.insert(name.to_string(), b);
                    } else {
                        covariates.insert(name.to_string(), b);
                    }
                }
            }
        }
        // Design rows per parameter.
        let mut rows: Vec<Vec<Term>> = Vec::new();
        let mut row_of: HashMap<String, usize> = HashMap::new();
        if let Some(pp) = xml::child(node, "PPMatrix") {
            for cell in xml::children(pp, "PPCell") {
                if xml::attr(cell, "targetCategory").is_some() {
                    return Err(xml::bad_attr(
                        cell,
                        "targetCategory",
                        xml::attr(cell, "targetCategory").unwrap_or(""),
                    ));
                }
                let pname = xml::req_attr(cell, "parameterName")?;
                let fname = xml::req_attr(cell, "predictorName")?;
                let text = xml::req_attr(cell, "value")?;
                let term = if let Some(b) = factors.get(fname) {
                    Term::Factor(
                        b.slot,
                        b.data_type
                            .parse_value(text)
                            .unwrap_or_else(|| Value::str(text)),
                    )
                } else if let Some(b) = covariates.get(fname) {
                    let e = crate::value::parse_number(text).ok_or_else(|| {
                        xml::invalid(cell, format!("covariate exponent `{text}` is not a number"))
                    })?;
                    Term::Covariate(b.slot, e)
                } else {
                    return Err(xml::invalid(
                        cell,
                        format!("`{fname}` is neither a factor nor a covariate"),
                    ));
                };
                let i = *row_of.entry(pname.to_string()).or_insert_with(|| {
                    rows.push(Vec::new());
                    rows.len() - 1
                });
                rows[i].push(term);
            }
        }
        // Factors are evaluated before covariates, as JPMML does.
        for r in &mut rows {
            r.sort_by_key(|t| matches!(t, Term::Covariate(..)));
        }
        let pm = xml::req_child(node, "ParamMatrix")?;
        let mut common = Vec::new();
        let mut by_cat: Vec<(Value, Vec<Cell>)> = Vec::new();
        for cell in xml::children(pm, "PCell") {
            let pname = xml::req_attr(cell, "parameterName")?;
            let pc = Cell {
                beta: xml::req_f64(cell, "beta")?,
                row: row_of.get(pname).copied(),
            };
            match xml::attr(cell, "targetCategory") {
                None => common.push(pc),
                Some(tc) => {
                    let v = target
                        .data_type
                        .parse_value(tc)
                        .unwrap_or_else(|| Value::str(tc));
                    match by_cat.iter_mut().find(|(k, _)| k.same(&v)) {
                        Some((_, cells)) => cells.push(pc),
                        None => by_cat.push((v, vec![pc])),
                    }
                }
            }
        }
        let mut cats: Vec<Value> = Vec::new();
        let mut per_cat = Vec::new();
        if classification {
            cats = target.categories.to_vec();
            if cats.len() < 2 {
                return Err(xml::invalid(
                    node,
                    "the target needs at least two declared categories",
                ));
            }
            if matches!(
                model_type,
                ModelType::GeneralizedLinear | ModelType::MultinomialLogistic
            ) {
                let reference = match xml::attr(node, "targetReferenceCategory") {
                    Some(r) => target
                        .data_type
                        .parse_value(r)
                        .unwrap_or_else(|| Value::str(r)),
                    None => {
                        let missing: Vec<&Value> = cats
                            .iter()
                            .filter(|c| !by_cat.iter().any(|(k, _)| k.same(c)))
                            .collect();
                        if missing.len() != 1 {
                            if model_type == ModelType::GeneralizedLinear
                                && cats.len() == 2
                                && by_cat.is_empty()
                            {
                                cats[1].clone()
                            } else {
                                return Err(xml::invalid(
                                    pm,
                                    "cannot tell the reference category; set `targetReferenceCategory`",
                                ));
                            }
                        } else {
                            missing[0].clone()
                        }
                    }
                };
                if let Some(i) = cats.iter().position(|c| c.same(&reference)) {
                    let r = cats.remove(i);
                    cats.push(r);
                }
            }
            for cat in &cats[..cats.len() - 1] {
                let pos = by_cat.iter().position(|(k, _)| k.same(cat));
                let cells = match (model_type, pos) {
                    (ModelType::OrdinalMultinomial, Some(i)) => {
                        let cells = std::mem::take(&mut by_cat[i].1);
                        if cells.len() != 1 {
                            return Err(xml::invalid(
                                pm,
                                "ordinal models need one intercept cell per category",
                            ));
                        }
                        cells
                    }
                    (_, Some(i)) => std::mem::take(&mut by_cat[i].1),
                    (ModelType::GeneralizedLinear | ModelType::MultinomialLogistic, None)
                        if cats.len() == 2 =>
                    {
                        Vec::new()
                    }
                    _ => {
                        return Err(xml::invalid(
                            pm,
                            format!("no parameters for target category `{cat}`"),
                        ));
                    }
                };
                per_cat.push(cells);
            }
            if model_type != ModelType::OrdinalMultinomial
                && cats.len() == 2
                && per_cat[0].is_empty()
            {
                per_cat[0] = std::mem::take(&mut common);
            }
        } else if !by_cat.is_empty() {
            return Err(xml::invalid(
                pm,
                "a regression cannot have `targetCategory` cells",
            ));
        }
        let slot_of = |key: &str, c: &mut Compiler| -> Result<Option<Slot>, PmmlError> {
            match xml::attr(node, key) {
                None => Ok(None),
                Some(f) => Ok(Some(c.resolve(f, node)?.slot)),
            }
        };
        let offset_slot = slot_of("offsetVariable", c)?;
        let trials_slot = slot_of("trialsVariable", c)?;
        Ok(GeneralRegressionModel {
            model_type,
            link,
            cumulative,
            rows,
            common,
            per_cat,
            cats: cats.into(),
            offset_value: xml::attr_f64(node, "offsetValue")?,
            offset_slot,
            trials_value: xml::attr_f64(node, "trialsValue")?,
            trials_slot,
        })
    }

    /// The classes, reference category last.
    pub(crate) fn categories(&self) -> Arc<[Value]> {
        self.cats.clone()
    }

    fn row(&self, ctx: &mut Ctx, r: usize) -> Result<Option<f64>, PmmlError> {
        let mut x = 1.0;
        for t in &self.rows[r] {
            match t {
                Term::Factor(slot, v) => {
                    let fv = ctx.get(*slot)?;
                    if fv.is_missing() {
                        return Ok(None);
                    }
                    if !fv.same(v) {
                        x = 0.0;
                    }
                }
                Term::Covariate(slot, e) => {
                    if x == 0.0 {
                        return Ok(Some(0.0));
                    }
                    let Some(v) = ctx.number(*slot)? else {
                        return Ok(None);
                    };
                    x *= if *e == 1.0 { v } else { v.powf(*e) };
                }
            }
        }
        Ok(Some(x))
    }

    fn dot(&self, ctx: &mut Ctx, cells: &[&Cell]) -> Result<Option<f64>, PmmlError> {
        let mut s = 0.0;
        for cell in cells {
            match cell.row {
                Some(r) => match self.row(ctx, r)? {
                    Some(x) => s += cell.beta * x,
                    None => return Ok(None),
                },
                None => s += cell.beta,
            }
        }
        Ok(Some(s))
    }

    fn required(
        &self,
        ctx: &mut Ctx,
        slot: Option<Slot>,
        value: Option<f64>,
        what: &str,
    ) -> Result<Option<f64>, PmmlError> {
        match slot {
            Some(s) => ctx
                .number(s)?
                .map(Some)
                .ok_or_else(|| PmmlError::eval(format!("the {what} variable is missing"))),
            None => Ok(value),
        }
    }

    fn linked(&self, ctx: &mut Ctx, eta: f64, link: Link) -> Result<f64, PmmlError> {
        let offset = self.required(ctx, self.offset_slot, self.offset_value, "offset")?;
        let mut y = link.inverse(eta + offset.unwrap_or(0.0));
        if let Some(t) = self.required(ctx, self.trials_slot, self.trials_value, "trials")? {
            y *= t;
        }
        Ok(y)
    }

    /// Scores one record.
    pub(crate) fn predict(
        &self,
        ctx: &mut Ctx,
        model: &Model,
    ) -> Result<Prediction<'_>, PmmlError> {
        if model.function == Function::Regression {
            let cells: Vec<&Cell> = self.common.iter().collect();
            let Some(eta) = self.dot(ctx, &cells)? else {
                return Ok(Prediction::Missing);
            };
            let y = match (self.model_type, self.link) {
                (ModelType::GeneralizedLinear, Some(l)) => self.linked(ctx, eta, l)?,
                _ => eta,
            };
            return Ok(Prediction::Value {
                value: Value::Number(y),
                entity: None,
            });
        }
        let k = self.cats.len();
        let mut probs = Probs::zeros(k);
        let mut prev = 0.0;
        for i in 0..k {
            let v = if i + 1 < k {
                let cells: Vec<&Cell> = match self.model_type {
                    ModelType::OrdinalMultinomial => {
                        self.per_cat[i].iter().chain(self.common.iter()).collect()
                    }
                    _ => self.per_cat[i].iter().collect(),
                };
                let Some(eta) = self.dot(ctx, &cells)? else {
                    return Ok(Prediction::Missing);
                };
                match self.model_type {
                    ModelType::GeneralizedLinear => {
                        let l = self.link.unwrap_or(Link::Identity);
                        self.linked(ctx, eta, l)?
                    }
                    ModelType::MultinomialLogistic => eta.exp(),
                    _ => {
                        let offset =
                            self.required(ctx, self.offset_slot, self.offset_value, "offset")?;
                        self.cumulative
                            .unwrap_or(Link::Logit)
                            .inverse(eta + offset.unwrap_or(0.0))
                    }
                }
            } else {
                match self.model_type {
                    ModelType::GeneralizedLinear => 1.0 - prev,
                    ModelType::MultinomialLogistic => 1.0,
                    _ => 1.0,
                }
            };
            let p = probs.as_mut_slice();
            match self.model_type {
                ModelType::OrdinalMultinomial => {
                    p[i] = v - prev;
                    prev = v;
                }
                _ => {
                    p[i] = v;
                    prev = v;
                }
            }
        }
        if self.model_type == ModelType::MultinomialLogistic {
            let p = probs.as_mut_slice();
            let s: f64 = p.iter().sum();
            for x in p.iter_mut() {
                *x /= s;
            }
        }
        Ok(Prediction::Class(ClassResult::from_probs(
            &self.cats, probs,
        )))
    }
}
