//! The `Output` element: `OutputField`s computed from a model's prediction
//! (predictedValue, probability, affinity, entityId, clusterId,
//! transformedValue ...), stored in slots so later fields and chained
//! segments can refer to them by name.

use std::sync::Arc;

use crate::compile::{Binding, Compiler};
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot, SlotDef};
use crate::expr::{self, Expr};
use crate::kernel::NumPred;
use crate::model::{Function, Target};
use crate::prediction::Prediction;
use crate::value::{DataType, OpType, Value};
use crate::xml::{self, Node};

/// What an `OutputField` reports.
#[derive(Debug)]
pub(crate) enum Feature {
    PredictedValue,
    PredictedDisplayValue,
    Probability(Option<Value>),
    Affinity(Option<Value>),
    EntityId,
    ClusterId,
    Transformed(Expr),
}

/// A compiled `OutputField`.
#[derive(Debug)]
pub(crate) struct OutputDef {
    pub name: Arc<str>,
    pub slot: Slot,
    pub data_type: Option<DataType>,
    pub feature: Feature,
    /// `isFinalResult`: whether the field appears in the model's results.
    pub final_result: bool,
}

impl OutputDef {
    /// The data type results of this field have.
    pub(crate) fn result_type(&self, target: &Target) -> DataType {
        if let Some(t) = self.data_type {
            return t;
        }
        match &self.feature {
            Feature::PredictedValue => target.data_type,
            Feature::PredictedDisplayValue | Feature::EntityId => DataType::String,
            Feature::ClusterId => DataType::String,
            Feature::Probability(_) | Feature::Affinity(_) => DataType::Double,
            Feature::Transformed(_) => DataType::Double,
        }
    }
}

/// Compiles the `OutputField`s of an `Output` element, binding each name in the current scope.
pub(crate) fn compile(
    c: &mut Compiler,
    node: Node,
    function: Function,
    target: &Target,
) -> Result<Vec<OutputDef>, PmmlError> {
    xml::check_children(node, &["OutputField"])?;
    let mut out = Vec::new();
    for of in xml::children(node, "OutputField") {
        let name = xml::req_attr(of, "name")?;
        let data_type = xml::data_type(of)?;
        if xml::attr(of, "segmentId").is_some() {
            return Err(xml::bad_attr(
                of,
                "segmentId",
                xml::attr(of, "segmentId").unwrap_or(""),
            ));
        }
        if let (Some(tf), Some(tn)) = (xml::attr(of, "targetField"), target.name.as_deref())
            && tf != tn
        {
            return Err(xml::bad_attr(of, "targetField", tf));
        }
        let value_of = |dt: DataType| {
            xml::attr(of, "value").map(|v| dt.parse_value(v).unwrap_or_else(|| Value::str(v)))
        };
        let feature = match xml::attr(of, "feature").unwrap_or("predictedValue") {
            "predictedValue" => Feature::PredictedValue,
            "predictedDisplayValue" => Feature::PredictedDisplayValue,
            "probability" => {
                if function != Function::Classification {
                    return Err(xml::invalid(
                        of,
                        "`probability` needs a classification model",
                    ));
                }
                Feature::Probability(value_of(target.data_type))
            }
            "affinity" | "clusterAffinity" => {
                if function != Function::Clustering {
                    return Err(xml::invalid(
                        of,
                        "`affinity` is only supported for clustering models",
                    ));
                }
                if xml::attr(of, "feature") == Some("clusterAffinity") {
                    Feature::Affinity(None)
                } else {
                    Feature::Affinity(value_of(DataType::String))
                }
            }
            "entityId" => Feature::EntityId,
            "clusterId" => Feature::ClusterId,
            "transformedValue" | "decision" => {
                let (e, _) = expr::compile_child(c, of)?;
                Feature::Transformed(e)
            }
            other => return Err(xml::bad_attr(of, "feature", other)),
        };
        if !matches!(feature, Feature::Transformed(_)) {
            xml::check_children(of, &["Decisions", "Value"])?;
        }
        let slot = c.new_slot(SlotDef::Assigned);
        let def = OutputDef {
            name: Arc::from(name),
            slot,
            data_type,
            feature,
            final_result: xml::attr(of, "isFinalResult") != Some("false"),
        };
        let dt = def.result_type(target);
        c.bind(Binding {
            name: def.name.clone(),
            slot,
            data_type: dt,
            op_type: xml::op_type(of)?.unwrap_or(OpType::default_for(dt)),
            values: Arc::from(Vec::new()),
        });
        out.push(def);
    }
    Ok(out)
}

/// Computes output fields from a prediction into their slots.
pub(crate) fn evaluate(
    outputs: &[OutputDef],
    p: &Prediction,
    ctx: &mut Ctx,
) -> Result<(), PmmlError> {
    // As in JPMML-Evaluator, no output field is defined when there is no prediction.
    if matches!(p, Prediction::Missing) {
        for o in outputs {
            ctx.undefine(o.slot);
        }
        return Ok(());
    }
    for o in outputs {
        let v = match (&o.feature, p) {
            (Feature::Transformed(e), _) => e.eval(ctx)?,
            (_, Prediction::Missing) => Value::Missing,
            (Feature::PredictedValue, _) => p.value(),
            (Feature::PredictedDisplayValue, _) => match p.value() {
                Value::Missing => Value::Missing,
                v => Value::str(&v.to_string()),
            },
            (Feature::Probability(_), Prediction::Class(c)) if !c.has_probabilities => {
                return Err(PmmlError::eval(format!(
                    "output field `{}` asks for a probability, but the model only votes (add `ScoreDistribution`s)",
                    o.name
                )));
            }
            (Feature::Probability(cat), Prediction::Class(c)) => Value::Number(match cat {
                Some(cat) => c.probability(cat),
                None => c.label_probability(),
            }),
            (Feature::Affinity(id), Prediction::Cluster(c)) => {
                let i = match id {
                    Some(id) => c.ids.iter().position(|x| x.same(id)),
                    None => Some(c.index),
                };
                i.and_then(|i| c.values.as_slice().get(i).copied())
                    .map_or(Value::Missing, Value::Number)
            }
            (Feature::EntityId, Prediction::Cluster(c)) => {
                c.ids.get(c.index).cloned().unwrap_or_default()
            }
            (Feature::EntityId, Prediction::Class(c)) => {
                c.entity.map_or(Value::Missing, Value::str)
            }
            (Feature::EntityId, Prediction::Value { entity, .. }) => {
                entity.map_or(Value::Missing, Value::str)
            }
            (Feature::ClusterId, Prediction::Cluster(c)) => {
                c.ids.get(c.index).cloned().unwrap_or_default()
            }
            _ => {
                return Err(PmmlError::eval(format!(
                    "output field `{}` asks for something this model does not produce",
                    o.name
                )));
            }
        };
        let v = match o.data_type {
            Some(t) => t.coerce(&v).map_err(|_| {
                PmmlError::eval(format!(
                    "output field `{}` got `{v}`, which is not a valid {}",
                    o.name,
                    t.as_str()
                ))
            })?,
            None => v,
        };
        ctx.set(o.slot, v);
    }
    Ok(())
}

/// Whether the numeric kernel computes these output fields: predicted values
/// of regressions and class probabilities, as doubles.
pub(crate) fn lower(outputs: &[OutputDef], function: Function) -> bool {
    outputs.iter().all(|o| {
        matches!(o.data_type, None | Some(DataType::Double))
            && match o.feature {
                Feature::PredictedValue => function == Function::Regression,
                Feature::Probability(_) => function == Function::Classification,
                _ => false,
            }
    })
}

/// [`evaluate`] on the numeric kernel's slot values; `None` declines the record.
pub(crate) fn evaluate_num(outputs: &[OutputDef], p: &NumPred, vals: &mut [f64]) -> Option<()> {
    for o in outputs {
        let x = match (&o.feature, p) {
            (Feature::PredictedValue, NumPred::Value(x)) => *x,
            (Feature::Probability(Some(cat)), _) => p.probability(cat)?,
            (Feature::Probability(None), NumPred::Class { cats, .. }) => {
                p.probability(cats.get(p.label_index()?)?)?
            }
            _ => return None,
        };
        if !x.is_finite() {
            return None;
        }
        vals[o.slot] = x;
    }
    Some(())
}
