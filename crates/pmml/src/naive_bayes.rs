//! `NaiveBayesModel`: class priors from `BayesOutput`, discrete inputs from
//! `PairCounts` (optionally discretized by a `DerivedField`), continuous
//! inputs from `TargetValueStats` with `GaussianDistribution`; computed on a
//! log scale with the model's `threshold` as the probability floor.

use std::f64::consts::PI;
use std::sync::Arc;

use crate::compile::Compiler;
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::model::{Function, Model, Target};
use crate::prediction::{ClassResult, Prediction, Probs};
use crate::schema::Interval;
use crate::value::{DataType, Value};
use crate::xml::{self, Node};

#[derive(Debug)]
enum Kind {
    /// For each input value: ln-probability per class (`None` leaves the class unchanged).
    Discrete {
        bins: Option<Vec<(Interval, Value)>>,
        pairs: Vec<(Value, Vec<Option<f64>>)>,
    },
    /// Mean and variance per class.
    Gaussian(Vec<Option<(f64, f64)>>),
}

#[derive(Debug)]
struct Input {
    slot: Slot,
    kind: Kind,
}

/// A compiled `NaiveBayesModel`.
#[derive(Debug)]
pub(crate) struct NaiveBayesModel {
    cats: Arc<[Value]>,
    priors_ln: Vec<f64>,
    threshold: f64,
    inputs: Vec<Input>,
}

fn class_index(cats: &[Value], text: &str, dt: DataType, node: Node) -> Result<usize, PmmlError> {
    let v = dt.parse_value(text).unwrap_or_else(|| Value::str(text));
    cats.iter().position(|c| c.same(&v)).ok_or_else(|| {
        xml::invalid(
            node,
            format!("class `{text}` is not listed in `BayesOutput`"),
        )
    })
}

impl NaiveBayesModel {
    /// Compiles priors and inputs.
    pub(crate) fn compile(
        c: &mut Compiler,
        node: Node,
        function: Function,
        target: &Target,
    ) -> Result<Self, PmmlError> {
        if function != Function::Classification {
            return Err(xml::invalid(
                node,
                "a `NaiveBayesModel` must do classification",
            ));
        }
        let threshold = xml::req_f64(node, "threshold")?;
        let out = xml::req_child(node, "BayesOutput")?;
        let tvcs = xml::req_child(out, "TargetValueCounts")?;
        let dt = target.data_type;
        let mut cats = Vec::new();
        let mut priors_ln = Vec::new();
        for tvc in xml::children(tvcs, "TargetValueCount") {
            let text = xml::req_attr(tvc, "value")?;
            cats.push(dt.parse_value(text).unwrap_or_else(|| Value::str(text)));
            priors_ln.push(xml::req_f64(tvc, "count")?.ln());
        }
        let ins = xml::req_child(node, "BayesInputs")?;
        xml::check_children(ins, &["BayesInput"])?;
        let mut inputs = Vec::new();
        for bi in xml::children(ins, "BayesInput") {
            xml::check_children(bi, &["DerivedField", "PairCounts", "TargetValueStats"])?;
            let b = c.resolve(xml::req_attr(bi, "fieldName")?, bi)?;
            if let Some(tvs) = xml::child(bi, "TargetValueStats") {
                let mut stats = vec![None; cats.len()];
                for s in xml::children(tvs, "TargetValueStat") {
                    let k = class_index(&cats, xml::req_attr(s, "value")?, dt, s)?;
                    let d = xml::elements(s)
                        .next()
                        .ok_or_else(|| PmmlError::MissingElement {
                            element: "TargetValueStat".into(),
                            child: "GaussianDistribution".into(),
                            line: xml::line(s),
                        })?;
                    if xml::name(d) != "GaussianDistribution" {
                        return Err(xml::unsupported(d));
                    }
                    let var = xml::req_f64(d, "variance")?;
                    if var <= 0.0 {
                        return Err(xml::invalid(d, "`variance` must be positive"));
                    }
                    stats[k] = Some((xml::req_f64(d, "mean")?, var));
                }
                inputs.push(Input {
                    slot: b.slot,
                    kind: Kind::Gaussian(stats),
                });
                continue;
            }
            let mut bdt = None;
            let bins = match xml::child(bi, "DerivedField") {
                None => None,
                Some(df) => {
                    let disc = xml::elements(df)
                        .find(|e| xml::name(*e) == "Discretize")
                        .ok_or_else(|| {
                            xml::invalid(df, "only a `Discretize` expression is allowed here")
                        })?;
                    bdt = xml::data_type(df)?;
                    let mut bins = Vec::new();
                    for bin in xml::children(disc, "DiscretizeBin") {
                        let iv = Interval::parse(xml::req_child(bin, "Interval")?)?;
                        let text = xml::req_attr(bin, "binValue")?;
                        bins.push((iv, crate::expr::literal(text, bdt)));
                    }
                    Some(bins)
                }
            };
            let pcs: Vec<Node> = xml::children(bi, "PairCounts").collect();
            let mut sums = vec![0.0; cats.len()];
            let mut raw = Vec::new();
            for pc in &pcs {
                let text = xml::req_attr(*pc, "value")?;
                let v = match &bins {
                    Some(_) => crate::expr::literal(text, bdt),
                    None => b
                        .data_type
                        .parse_value(text)
                        .unwrap_or_else(|| Value::str(text)),
                };
                let tvcs = xml::req_child(*pc, "TargetValueCounts")?;
                let mut counts = vec![None; cats.len()];
                for tvc in xml::children(tvcs, "TargetValueCount") {
                    let k = class_index(&cats, xml::req_attr(tvc, "value")?, dt, tvc)?;
                    let n = xml::req_f64(tvc, "count")?;
                    sums[k] += n;
                    counts[k] = Some(n);
                }
                raw.push((v, counts));
            }
            let pairs = raw
                .into_iter()
                .map(|(v, counts)| {
                    let lns = counts
                        .iter()
                        .enumerate()
                        .map(|(k, n)| {
                            n.map(|n| {
                                if n.abs() < f64::EPSILON {
                                    threshold.ln()
                                } else {
                                    (n / sums[k]).ln()
                                }
                            })
                        })
                        .collect();
                    (v, lns)
                })
                .collect();
            inputs.push(Input {
                slot: b.slot,
                kind: Kind::Discrete { bins, pairs },
            });
        }
        Ok(NaiveBayesModel {
            cats: cats.into(),
            priors_ln,
            threshold,
            inputs,
        })
    }

    /// The classes, in `BayesOutput` order.
    pub(crate) fn categories(&self) -> Arc<[Value]> {
        self.cats.clone()
    }

    /// Scores one record.
    pub(crate) fn predict(
        &self,
        ctx: &mut Ctx,
        _model: &Model,
    ) -> Result<Prediction<'_>, PmmlError> {
        let n = self.cats.len();
        let mut acc = Probs::zeros(n);
        acc.as_mut_slice().copy_from_slice(&self.priors_ln);
        for input in &self.inputs {
            match &input.kind {
                Kind::Gaussian(stats) => {
                    let Some(x) = ctx.number(input.slot)? else {
                        continue;
                    };
                    let a = acc.as_mut_slice();
                    for (k, s) in stats.iter().enumerate() {
                        if let Some((mean, var)) = s {
                            let z = x - mean;
                            let p = (-(z * z) / (2.0 * var)).exp() / (2.0 * PI * var).sqrt();
                            a[k] += p.max(self.threshold).ln();
                        }
                    }
                }
                Kind::Discrete { bins, pairs } => {
                    let mut v = ctx.get(input.slot)?;
                    if v.is_missing() {
                        continue;
                    }
                    if let Some(bins) = bins {
                        let x = v.as_f64().ok_or_else(|| {
                            PmmlError::eval(format!(
                                "cannot discretize `{v}`, which is not a number"
                            ))
                        })?;
                        match bins.iter().find(|(iv, _)| iv.contains(x)) {
                            Some((_, bv)) => v = bv.clone(),
                            None => continue,
                        }
                    }
                    let Some((_, lns)) = pairs.iter().find(|(pv, _)| pv.same(&v)) else {
                        continue;
                    };
                    let a = acc.as_mut_slice();
                    for (k, l) in lns.iter().enumerate() {
                        if let Some(l) = l {
                            a[k] += l;
                        }
                    }
                }
            }
        }
        let a = acc.as_mut_slice();
        let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for x in a.iter_mut() {
            *x = (*x - max).exp();
            sum += *x;
        }
        for x in a.iter_mut() {
            *x /= sum;
        }
        Ok(Prediction::Class(ClassResult::from_probs(&self.cats, acc)))
    }
}
