//! `MiningModel` with `Segmentation`: segments guarded by predicates, nested
//! models of any kind, and the multiple-model methods sum, average,
//! weightedAverage, median, majorityVote, weightedMajorityVote, modelChain
//! (later segments read earlier segments' `OutputField`s) and selectFirst.

use std::sync::Arc;

use crate::compile::{Binding, Compiler};
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::kernel::NumPred;
use crate::model::{self, Function, Model, Target};
use crate::predicate::{self, Pred};
use crate::prediction::{ClassResult, Prediction, Probs};
use crate::value::{OpType, Value};
use crate::xml::{self, Node};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Sum,
    Average,
    WeightedAverage,
    Median,
    MajorityVote,
    WeightedMajorityVote,
    ModelChain,
    SelectFirst,
}

#[derive(Debug)]
pub(crate) struct Segment {
    pred: Pred,
    pub model: Model,
    weight: f64,
    /// For each category of the segment's model, its index in the mining model's categories.
    cat_map: Vec<usize>,
    cats: Option<Arc<[Value]>>,
}

/// A compiled `MiningModel`.
#[derive(Debug)]
pub(crate) struct MiningModel {
    pub method: Method,
    pub segments: Vec<Segment>,
    cats: Arc<[Value]>,
    treatment: Treatment,
}

/// `missingPredictionTreatment` of a `Segmentation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Treatment {
    ReturnMissing,
    SkipSegment,
    Continue,
}

impl MiningModel {
    /// Compiles the segmentation.
    pub(crate) fn compile<'a, 'i>(
        c: &mut Compiler<'a, 'i>,
        node: Node<'a, 'i>,
        function: Function,
        target: &Target,
    ) -> Result<Self, PmmlError> {
        let seg = xml::req_child(node, "Segmentation")?;
        xml::check_children(seg, &["Segment"])?;
        let mname = xml::req_attr(seg, "multipleModelMethod")?;
        let method = match mname {
            "sum" => Method::Sum,
            "average" => Method::Average,
            "weightedAverage" => Method::WeightedAverage,
            "median" => Method::Median,
            "majorityVote" => Method::MajorityVote,
            "weightedMajorityVote" => Method::WeightedMajorityVote,
            "modelChain" => Method::ModelChain,
            "selectFirst" => Method::SelectFirst,
            other => return Err(xml::bad_attr(seg, "multipleModelMethod", other)),
        };
        let allowed = match function {
            Function::Regression => matches!(
                method,
                Method::Sum
                    | Method::Average
                    | Method::WeightedAverage
                    | Method::Median
                    | Method::ModelChain
                    | Method::SelectFirst
            ),
            Function::Classification => matches!(
                method,
                Method::Average
                    | Method::WeightedAverage
                    | Method::MajorityVote
                    | Method::WeightedMajorityVote
                    | Method::ModelChain
                    | Method::SelectFirst
            ),
            Function::Clustering => matches!(method, Method::ModelChain | Method::SelectFirst),
        };
        if !allowed {
            return Err(xml::bad_attr(seg, "multipleModelMethod", mname));
        }
        let treatment = match xml::attr(seg, "missingPredictionTreatment").unwrap_or("continue") {
            "returnMissing" => Treatment::ReturnMissing,
            "skipSegment" => Treatment::SkipSegment,
            "continue" => Treatment::Continue,
            other => return Err(xml::bad_attr(seg, "missingPredictionTreatment", other)),
        };
        if xml::attr(seg, "missingThreshold").is_some_and(|t| t != "1") {
            return Err(xml::bad_attr(
                seg,
                "missingThreshold",
                xml::attr(seg, "missingThreshold").unwrap_or(""),
            ));
        }
        let mut segments = Vec::new();
        let mut cats: Vec<Value> = target.categories.to_vec();
        let seg_nodes: Vec<Node> = xml::children(seg, "Segment").collect();
        for (i, s) in seg_nodes.iter().enumerate() {
            let pred = predicate::compile_child(c, *s)?;
            let mnode = xml::elements(*s)
                .find(|e| {
                    !predicate::PREDICATES.contains(&xml::name(*e))
                        && xml::name(*e) != "VariableWeight"
                })
                .ok_or_else(|| PmmlError::MissingElement {
                    element: "Segment".into(),
                    child: "a model".into(),
                    line: xml::line(*s),
                })?;
            if let Some(vw) = xml::child(*s, "VariableWeight") {
                return Err(xml::unsupported(vw));
            }
            let m = model::compile(c, mnode, None, false)?;
            let last = i + 1 == seg_nodes.len();
            if method != Method::ModelChain && m.function != function {
                return Err(xml::invalid(
                    mnode,
                    "segment models must have the same `functionName` as the `MiningModel`",
                ));
            }
            if method == Method::ModelChain && last && m.function != function {
                return Err(xml::invalid(
                    mnode,
                    "the last model of a chain must have the `MiningModel`'s `functionName`",
                ));
            }
            if method == Method::ModelChain {
                // Later segments see this segment's output fields.
                for o in &m.outputs {
                    let dt = o.result_type(&m.target);
                    c.bind(Binding {
                        name: o.name.clone(),
                        slot: o.slot,
                        data_type: dt,
                        op_type: OpType::default_for(dt),
                        values: Arc::from(Vec::new()),
                    });
                }
            }
            let seg_cats = m.categories();
            let mut cat_map = Vec::new();
            if let Some(sc) = &seg_cats {
                for v in sc.iter() {
                    let k = match cats.iter().position(|x| x.same(v)) {
                        Some(k) => k,
                        None => {
                            cats.push(v.clone());
                            cats.len() - 1
                        }
                    };
                    cat_map.push(k);
                }
            }
            segments.push(Segment {
                pred,
                model: m,
                weight: xml::f64_or(*s, "weight", 1.0)?,
                cat_map,
                cats: seg_cats,
            });
        }
        Ok(MiningModel {
            method,
            segments,
            cats: cats.into(),
            treatment,
        })
    }

    /// Categories of the combined classification.
    pub(crate) fn categories(&self) -> Arc<[Value]> {
        match self.method {
            Method::ModelChain | Method::SelectFirst => self
                .segments
                .last()
                .and_then(|s| s.cats.clone())
                .unwrap_or_else(|| self.cats.clone()),
            _ => self.cats.clone(),
        }
    }

    /// Scores one record.
    pub(crate) fn predict(
        &self,
        ctx: &mut Ctx,
        model: &Model,
    ) -> Result<Prediction<'_>, PmmlError> {
        match self.method {
            Method::ModelChain | Method::SelectFirst => {
                let mut last = None;
                for s in &self.segments {
                    if s.pred.eval(ctx)? != Some(true) {
                        continue;
                    }
                    let p = s.model.evaluate(ctx)?;
                    if self.method == Method::SelectFirst {
                        return Ok(p);
                    }
                    if matches!(p, Prediction::Missing)
                        && self.treatment == Treatment::ReturnMissing
                    {
                        return Ok(Prediction::Missing);
                    }
                    last = Some(p);
                }
                Ok(last.unwrap_or(Prediction::Missing))
            }
            _ => match model.function {
                Function::Regression => self.regression(ctx),
                _ => self.classification(ctx, model),
            },
        }
    }

    /// Whether the numeric kernel handles this segmentation: sums and
    /// averages of regressions, model chains and selectFirst, over segments
    /// with simple predicates that it handles; pushes the slots it reads.
    pub(crate) fn lower(&self, function: Function, need: &mut Vec<Slot>) -> bool {
        let method_ok = match self.method {
            Method::Sum | Method::Average | Method::WeightedAverage => {
                function == Function::Regression
            }
            Method::ModelChain | Method::SelectFirst => true,
            _ => false,
        };
        method_ok
            && self
                .segments
                .iter()
                .all(|s| s.pred.lower(need) && s.model.lower(need))
    }

    /// [`MiningModel::predict`] on the numeric kernel's slot values.
    pub(crate) fn predict_num(&self, vals: &mut [f64], function: Function) -> Option<NumPred<'_>> {
        match self.method {
            Method::ModelChain | Method::SelectFirst => {
                let mut last = None;
                for s in &self.segments {
                    if !s.pred.eval_num(vals)? {
                        continue;
                    }
                    let p = s.model.evaluate_num(vals)?;
                    if self.method == Method::SelectFirst {
                        return Some(p);
                    }
                    last = Some(p);
                }
                last
            }
            _ if function == Function::Regression => {
                let mut sum = 0.0;
                let mut denom = 0.0;
                for s in &self.segments {
                    if !s.pred.eval_num(vals)? {
                        continue;
                    }
                    let NumPred::Value(x) = s.model.predict_num(vals)? else {
                        return None;
                    };
                    if self.method == Method::WeightedAverage {
                        sum += x * s.weight;
                        denom += s.weight;
                    } else {
                        sum += x;
                        denom += 1.0;
                    }
                }
                let y = match self.method {
                    Method::Sum if denom > 0.0 => sum,
                    Method::Average | Method::WeightedAverage if denom > 0.0 => sum / denom,
                    _ => return None,
                };
                Some(NumPred::Value(y))
            }
            _ => None,
        }
    }

    fn regression(&self, ctx: &mut Ctx) -> Result<Prediction<'_>, PmmlError> {
        let mut sum = 0.0;
        let mut denom = 0.0;
        let mut values = Vec::new();
        for s in &self.segments {
            if s.pred.eval(ctx)? != Some(true) {
                continue;
            }
            let x = match s.model.predict(ctx)?.value() {
                Value::Missing if self.treatment == Treatment::SkipSegment => continue,
                Value::Missing => return Ok(Prediction::Missing),
                v => v.as_f64().ok_or_else(|| {
                    PmmlError::eval(format!("segment predicted `{v}`, which is not a number"))
                })?,
            };
            match self.method {
                Method::WeightedAverage => {
                    sum += x * s.weight;
                    denom += s.weight;
                }
                Method::Median => values.push(x),
                _ => {
                    sum += x;
                    denom += 1.0;
                }
            }
        }
        let y = match self.method {
            Method::Sum if denom > 0.0 => sum,
            Method::Average | Method::WeightedAverage if denom > 0.0 => sum / denom,
            Method::Median if !values.is_empty() => {
                values.sort_by(f64::total_cmp);
                let n = values.len();
                if n % 2 == 1 {
                    values[n / 2]
                } else {
                    (values[n / 2 - 1] + values[n / 2]) / 2.0
                }
            }
            _ => return Ok(Prediction::Missing),
        };
        Ok(Prediction::Value {
            value: Value::Number(y),
            entity: None,
        })
    }

    fn classification(&self, ctx: &mut Ctx, _model: &Model) -> Result<Prediction<'_>, PmmlError> {
        let k = self.cats.len();
        let mut acc = Probs::zeros(k);
        // Order in which categories were first seen, for JPMML's tie-breaking.
        let mut seen = Probs::zeros(k);
        let mut rank = 0.0;
        let mut denom = 0.0;
        // With `continue`, a missing prediction is a vote for "no result".
        let mut missing_votes = 0.0;
        let mut missing_rank = 0.0;
        let vote = matches!(
            self.method,
            Method::MajorityVote | Method::WeightedMajorityVote
        );
        for s in &self.segments {
            if s.pred.eval(ctx)? != Some(true) {
                continue;
            }
            let p = s.model.predict(ctx)?;
            let c = match p {
                Prediction::Missing if self.treatment == Treatment::ReturnMissing => {
                    return Ok(Prediction::Missing);
                }
                Prediction::Missing if self.treatment == Treatment::SkipSegment => continue,
                Prediction::Missing if !vote => return Ok(Prediction::Missing),
                Prediction::Missing => {
                    missing_votes += match self.method {
                        Method::WeightedMajorityVote => s.weight,
                        _ => 1.0,
                    };
                    if missing_rank == 0.0 {
                        rank += 1.0;
                        missing_rank = rank;
                    }
                    continue;
                }
                Prediction::Class(c) => c,
                _ => {
                    return Err(PmmlError::eval(
                        "a segment of a classification did not classify",
                    ));
                }
            };
            let w = match self.method {
                Method::WeightedAverage | Method::WeightedMajorityVote => s.weight,
                _ => 1.0,
            };
            denom += w;
            let map = |i: usize, v: &Value| -> Option<usize> {
                if s.cats
                    .as_ref()
                    .is_some_and(|sc| std::ptr::eq(sc.as_ref(), c.cats))
                {
                    s.cat_map.get(i).copied()
                } else {
                    self.cats.iter().position(|x| x.same(v))
                }
            };
            let a = acc.as_mut_slice();
            let sn = seen.as_mut_slice();
            if vote {
                let i = c.cats.iter().position(|x| x.same(&c.label));
                let j = match i {
                    Some(i) => map(i, &c.label),
                    None => self.cats.iter().position(|x| x.same(&c.label)),
                }
                .ok_or_else(|| {
                    PmmlError::eval(format!("segment voted for unknown class `{}`", c.label))
                })?;
                a[j] += w;
                if sn[j] == 0.0 {
                    rank += 1.0;
                    sn[j] = rank;
                }
            } else {
                for (i, (v, p)) in c.cats.iter().zip(c.probs.as_slice()).enumerate() {
                    let j = map(i, v).ok_or_else(|| {
                        PmmlError::eval(format!("segment gave unknown class `{v}`"))
                    })?;
                    a[j] += p * w;
                    if sn[j] == 0.0 {
                        rank += 1.0;
                        sn[j] = rank;
                    }
                }
            }
        }
        if denom == 0.0 {
            return Err(PmmlError::eval(
                "empty classification: no segment produced a prediction",
            ));
        }
        let total: f64 = if vote {
            acc.as_slice().iter().sum()
        } else {
            denom
        };
        let mut best: Option<(usize, f64, f64)> = None;
        for (j, p) in acc.as_mut_slice().iter_mut().enumerate() {
            *p /= total;
            let r = seen.as_slice()[j];
            if r == 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, bp, br)) => *p > bp || (*p == bp && r < br),
            };
            if better {
                best = Some((j, *p, r));
            }
        }
        if let Some((j, _, r)) = best {
            let top = acc.as_slice()[j] * total;
            if missing_votes > top || (missing_votes == top && missing_rank < r) {
                return Ok(Prediction::Missing);
            }
        }
        let mut r = ClassResult::from_probs(&self.cats, acc);
        if let Some((j, _, _)) = best {
            r.label = self.cats[j].clone();
        }
        Ok(Prediction::Class(r))
    }
}
