//! Center-based `ClusteringModel`: `ComparisonMeasure` (euclidean,
//! squaredEuclidean, cityBlock, chebychev, minkowski), per-field compare
//! functions and weights, and PMML's adjustment for missing inputs.

use std::sync::Arc;

use crate::compile::Compiler;
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::model::Function;
use crate::prediction::{ClusterResult, Prediction, Probs};
use crate::value::Value;
use crate::xml::{self, Node};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Measure {
    Euclidean,
    SquaredEuclidean,
    CityBlock,
    Chebychev,
    Minkowski(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Compare {
    AbsDiff,
    Delta,
    Equal,
    GaussSim(f64),
}

impl Compare {
    fn parse(node: Node, key: &str, scale: Option<f64>) -> Result<Option<Self>, PmmlError> {
        Ok(match xml::attr(node, key) {
            None => None,
            Some("absDiff") => Some(Compare::AbsDiff),
            Some("delta") => Some(Compare::Delta),
            Some("equal") => Some(Compare::Equal),
            Some("gaussSim") => {
                let s = scale.ok_or_else(|| PmmlError::MissingAttribute {
                    element: xml::name(node).to_string(),
                    attribute: "similarityScale".into(),
                    line: xml::line(node),
                })?;
                Some(Compare::GaussSim(s))
            }
            Some(other) => return Err(xml::bad_attr(node, key, other)),
        })
    }

    #[inline]
    fn apply(self, x: f64, y: f64) -> f64 {
        match self {
            Compare::AbsDiff => (x - y).abs(),
            Compare::Delta => {
                if x == y {
                    0.0
                } else {
                    1.0
                }
            }
            Compare::Equal => {
                if x == y {
                    1.0
                } else {
                    0.0
                }
            }
            Compare::GaussSim(s) => {
                let z = x - y;
                (-(2.0f64.ln()) * z * z / (s * s)).exp()
            }
        }
    }
}

#[derive(Debug)]
struct Field {
    slot: Slot,
    weight: f64,
    compare: Compare,
    missing_weight: f64,
}

/// A compiled center-based `ClusteringModel`.
#[derive(Debug)]
pub(crate) struct ClusteringModel {
    fields: Vec<Field>,
    measure: Measure,
    similarity: bool,
    centers: Vec<Vec<f64>>,
    ids: Arc<[Value]>,
}

impl ClusteringModel {
    /// Compiles the measure, fields and cluster centers.
    pub(crate) fn compile(
        c: &mut Compiler,
        node: Node,
        function: Function,
    ) -> Result<Self, PmmlError> {
        if function != Function::Clustering {
            return Err(xml::invalid(
                node,
                "a `ClusteringModel` must have `functionName=\"clustering\"`",
            ));
        }
        match xml::req_attr(node, "modelClass")? {
            "centerBased" => {}
            other => return Err(xml::bad_attr(node, "modelClass", other)),
        }
        let cm = xml::req_child(node, "ComparisonMeasure")?;
        let similarity = match xml::req_attr(cm, "kind")? {
            "distance" => false,
            "similarity" => true,
            other => return Err(xml::bad_attr(cm, "kind", other)),
        };
        let mnode = xml::elements(cm)
            .next()
            .ok_or_else(|| PmmlError::MissingElement {
                element: "ComparisonMeasure".into(),
                child: "a measure".into(),
                line: xml::line(cm),
            })?;
        let measure = match xml::name(mnode) {
            "euclidean" => Measure::Euclidean,
            "squaredEuclidean" => Measure::SquaredEuclidean,
            "cityBlock" => Measure::CityBlock,
            "chebychev" => Measure::Chebychev,
            "minkowski" => Measure::Minkowski(xml::req_f64(mnode, "p-parameter")?),
            _ => return Err(xml::unsupported(mnode)),
        };
        let default_compare =
            Compare::parse(cm, "compareFunction", None)?.unwrap_or(Compare::AbsDiff);
        let mut fields = Vec::new();
        for f in xml::children(node, "ClusteringField") {
            xml::check_children(f, &[])?;
            if xml::attr(f, "isCenterField") == Some("false") {
                continue;
            }
            let b = c.resolve(xml::req_attr(f, "field")?, f)?;
            let scale = xml::attr_f64(f, "similarityScale")?;
            fields.push(Field {
                slot: b.slot,
                weight: xml::f64_or(f, "fieldWeight", 1.0)?,
                compare: Compare::parse(f, "compareFunction", scale)?.unwrap_or(default_compare),
                missing_weight: 1.0,
            });
        }
        if fields.is_empty() {
            return Err(xml::invalid(
                node,
                "no `ClusteringField` with `isCenterField=\"true\"`",
            ));
        }
        if let Some(mvw) = xml::child(node, "MissingValueWeights") {
            let arr = xml::req_child(mvw, "Array")?;
            let w = xml::num_array(arr)?;
            if w.len() != fields.len() {
                return Err(xml::invalid(mvw, "needs one weight per clustering field"));
            }
            for (f, w) in fields.iter_mut().zip(w) {
                f.missing_weight = w;
            }
        }
        let mut centers = Vec::new();
        let mut ids = Vec::new();
        for (i, cl) in xml::children(node, "Cluster").enumerate() {
            for ch in xml::elements(cl) {
                if !matches!(
                    xml::name(ch),
                    "Array" | "KohonenMap" | "Partition" | "Covariances"
                ) {
                    return Err(xml::unsupported(ch));
                }
            }
            let arr = xml::req_child(cl, "Array")?;
            let center = xml::num_array(arr)?;
            if center.len() != fields.len() {
                return Err(xml::invalid(
                    arr,
                    format!(
                        "center has {} values for {} fields",
                        center.len(),
                        fields.len()
                    ),
                ));
            }
            centers.push(center);
            let id = xml::attr(cl, "id").map_or_else(|| (i + 1).to_string(), str::to_string);
            ids.push(Value::str(&id));
        }
        if centers.is_empty() {
            return Err(xml::invalid(node, "no `Cluster`"));
        }
        Ok(ClusteringModel {
            fields,
            measure,
            similarity,
            centers,
            ids: ids.into(),
        })
    }

    /// The cluster ids.
    pub(crate) fn ids(&self) -> Arc<[Value]> {
        self.ids.clone()
    }

    /// Scores one record.
    pub(crate) fn predict(&self, ctx: &mut Ctx) -> Result<Prediction<'_>, PmmlError> {
        let nf = self.fields.len();
        let mut xs = Probs::zeros(nf);
        let mut present = 0usize;
        let mut q_all = 0.0;
        let mut q_present = 0.0;
        {
            let x = xs.as_mut_slice();
            for (i, f) in self.fields.iter().enumerate() {
                q_all += f.missing_weight;
                match ctx.number(f.slot)? {
                    Some(v) => {
                        x[i] = v;
                        present += 1;
                        q_present += f.missing_weight;
                    }
                    None => x[i] = f64::NAN,
                }
            }
        }
        if present == 0 {
            return Ok(Prediction::Missing);
        }
        let adjust = if present == nf {
            1.0
        } else {
            q_all / q_present
        };
        let x = xs.as_slice();
        let mut values = Probs::zeros(self.centers.len());
        for (k, center) in self.centers.iter().enumerate() {
            let mut acc = 0.0;
            for ((f, &xi), &yi) in self.fields.iter().zip(x).zip(center) {
                if xi.is_nan() {
                    continue;
                }
                let d = f.compare.apply(xi, yi);
                match self.measure {
                    Measure::Euclidean | Measure::SquaredEuclidean => acc += f.weight * d * d,
                    Measure::CityBlock => acc += f.weight * d,
                    Measure::Chebychev => acc = f64::max(acc, f.weight * d),
                    Measure::Minkowski(p) => acc += f.weight * d.powf(p),
                }
            }
            values.as_mut_slice()[k] = match self.measure {
                Measure::Euclidean => (acc * adjust).sqrt(),
                Measure::SquaredEuclidean | Measure::CityBlock => acc * adjust,
                Measure::Chebychev => acc,
                Measure::Minkowski(p) => (acc * adjust).powf(1.0 / p),
            };
        }
        let index = if self.similarity {
            values.argmax()
        } else {
            values.argmin()
        };
        let Some(index) = index else {
            return Ok(Prediction::Missing);
        };
        Ok(Prediction::Cluster(ClusterResult {
            index,
            ids: &self.ids,
            values,
        }))
    }
}
