//! A compiled model element of any kind: its mining function, `MiningSchema`
//! bindings, `Targets` post-processing, body and `Output`; dispatches
//! compilation and evaluation to the per-kind modules.

use std::sync::Arc;

use crate::clustering::ClusteringModel;
use crate::compile::{Binding, Compiler};
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot, SlotDef};
use crate::general_regression::GeneralRegressionModel;
use crate::kernel::NumPred;
use crate::mining::MiningModel;
use crate::naive_bayes::NaiveBayesModel;
use crate::output::{self, OutputDef};
use crate::prediction::{ClassResult, Prediction, Probs};
use crate::regression::RegressionModel;
use crate::schema::FieldPrep;
use crate::tree::TreeModel;
use crate::value::{DataType, OpType, Value};
use crate::xml::{self, Node};

/// `functionName` of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Regression,
    Classification,
    Clustering,
}

/// Model elements this crate evaluates.
pub(crate) const MODEL_ELEMENTS: &[&str] = &[
    "RegressionModel",
    "TreeModel",
    "MiningModel",
    "ClusteringModel",
    "NaiveBayesModel",
    "GeneralRegressionModel",
];

/// Model elements of PMML 4.x that this crate does not evaluate.
pub(crate) const UNSUPPORTED_MODELS: &[&str] = &[
    "AnomalyDetectionModel",
    "AssociationModel",
    "BayesianNetworkModel",
    "BaselineModel",
    "GaussianProcessModel",
    "NearestNeighborModel",
    "NeuralNetwork",
    "RuleSetModel",
    "SequenceModel",
    "Scorecard",
    "SupportVectorMachineModel",
    "TextModel",
    "TimeSeriesModel",
];

/// `castInteger` of a `Target`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CastInteger {
    Round,
    Ceiling,
    Floor,
}

/// The target field of a model and its `Target` post-processing.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub name: Option<Arc<str>>,
    pub data_type: DataType,
    pub op_type: OpType,
    /// Declared categories of a categorical target (empty when undeclared).
    pub categories: Arc<[Value]>,
    rescale_factor: f64,
    rescale_constant: f64,
    min: Option<f64>,
    max: Option<f64>,
    cast_integer: Option<CastInteger>,
    default_value: Option<f64>,
    priors: Option<(Arc<[Value]>, Vec<f64>)>,
}

/// The body of a model, by kind.
#[derive(Debug)]
pub(crate) enum Body {
    Regression(RegressionModel),
    Tree(TreeModel),
    Mining(MiningModel),
    Clustering(ClusteringModel),
    NaiveBayes(NaiveBayesModel),
    GeneralRegression(GeneralRegressionModel),
}

/// A compiled model element.
#[derive(Debug)]
pub(crate) struct Model {
    pub function: Function,
    pub target: Target,
    pub body: Body,
    pub outputs: Vec<OutputDef>,
}

const COMMON_CHILDREN: &[&str] = &[
    "MiningSchema",
    "Output",
    "ModelStats",
    "ModelExplanation",
    "Targets",
    "LocalTransformations",
    "ModelVerification",
];

/// Compiles a model element; `td` is the document's `TransformationDictionary` for the top model.
pub(crate) fn compile<'a, 'i>(
    c: &mut Compiler<'a, 'i>,
    node: Node<'a, 'i>,
    td: Option<Node<'a, 'i>>,
    top: bool,
) -> Result<Model, PmmlError> {
    let kind = xml::name(node);
    if !MODEL_ELEMENTS.contains(&kind) {
        return Err(xml::unsupported_hint(
            node,
            "supported models are RegressionModel, TreeModel, MiningModel, ClusteringModel, NaiveBayesModel and GeneralRegressionModel",
        ));
    }
    if xml::attr(node, "isScorable") == Some("false") {
        return Err(xml::invalid(
            node,
            "the model is marked `isScorable=\"false\"`",
        ));
    }
    let fname = xml::req_attr(node, "functionName")?;
    let function = match fname {
        "regression" => Function::Regression,
        "classification" => Function::Classification,
        "clustering" => Function::Clustering,
        other => return Err(xml::bad_attr(node, "functionName", other)),
    };
    let specific: &[&str] = match kind {
        "RegressionModel" => &["RegressionTable"],
        "TreeModel" => &["Node"],
        "MiningModel" => &["Segmentation"],
        "ClusteringModel" => &[
            "ComparisonMeasure",
            "ClusteringField",
            "MissingValueWeights",
            "Cluster",
        ],
        "NaiveBayesModel" => &["BayesInputs", "BayesOutput"],
        _ => &[
            "ParameterList",
            "FactorList",
            "CovariateList",
            "PPMatrix",
            "PCovMatrix",
            "ParamMatrix",
            "EventValues",
            "BaseCumHazardTables",
        ],
    };
    for ch in xml::elements(node) {
        let n = xml::name(ch);
        if !COMMON_CHILDREN.contains(&n) && !specific.contains(&n) {
            return Err(xml::unsupported(ch));
        }
    }

    c.push_scope();
    let r = compile_scoped(c, node, td, top, function, kind);
    c.pop_scope();
    r
}

fn compile_scoped<'a, 'i>(
    c: &mut Compiler<'a, 'i>,
    node: Node<'a, 'i>,
    td: Option<Node<'a, 'i>>,
    top: bool,
    function: Function,
    kind: &str,
) -> Result<Model, PmmlError> {
    let ms = xml::req_child(node, "MiningSchema")?;
    let mut target_name: Option<&str> = None;
    for mf in xml::elements(ms) {
        if xml::name(mf) != "MiningField" {
            return Err(xml::unsupported(mf));
        }
        let name = xml::req_attr(mf, "name")?;
        match xml::attr(mf, "usageType").unwrap_or("active") {
            "active" => {
                let b = mining_binding(c, name, mf, top)?;
                c.bind(b);
            }
            "target" | "predicted" => {
                if target_name.is_some() {
                    return Err(xml::invalid(
                        ms,
                        "more than one target field is not supported",
                    ));
                }
                target_name = Some(name);
            }
            "supplementary" | "group" | "order" | "frequencyWeight" | "analysisWeight" => {}
            other => return Err(xml::bad_attr(mf, "usageType", other)),
        }
    }
    if let Some(t) = xml::attr(node, "targetFieldName").or(xml::attr(node, "targetField")) {
        target_name.get_or_insert(t);
    }
    if let Some(td) = td {
        c.derived_fields(td)?;
    }
    if let Some(lt) = xml::child(node, "LocalTransformations") {
        c.derived_fields(lt)?;
    }
    let mut target = make_target(c, target_name, function);
    if let Some(t) = xml::child(node, "Targets") {
        parse_targets(t, &mut target)?;
    }
    c.targets.push(target.clone());
    let body = compile_body(c, node, function, &target, kind);
    c.targets.pop();
    let body = body?;
    let out_node = xml::child(node, "Output");
    let outputs = match out_node {
        Some(o) => output::compile(c, o, function, &target)?,
        None => Vec::new(),
    };
    Ok(Model {
        function,
        target,
        body,
        outputs,
    })
}

fn compile_body<'a, 'i>(
    c: &mut Compiler<'a, 'i>,
    node: Node<'a, 'i>,
    function: Function,
    target: &Target,
    kind: &str,
) -> Result<Body, PmmlError> {
    Ok(match kind {
        "RegressionModel" => Body::Regression(RegressionModel::compile(c, node, function, target)?),
        "TreeModel" => Body::Tree(TreeModel::compile(c, node, function, target)?),
        "MiningModel" => Body::Mining(MiningModel::compile(c, node, function, target)?),
        "ClusteringModel" => Body::Clustering(ClusteringModel::compile(c, node, function)?),
        "NaiveBayesModel" => Body::NaiveBayes(NaiveBayesModel::compile(c, node, function, target)?),
        _ => Body::GeneralRegression(GeneralRegressionModel::compile(c, node, function, target)?),
    })
}

/// Binding of an active `MiningField`.
fn mining_binding(c: &mut Compiler, name: &str, mf: Node, top: bool) -> Result<Binding, PmmlError> {
    if top && c.dd.contains_key(name) {
        return c.data_field(name, Some(mf));
    }
    let parent = match c.lookup(name) {
        Some(b) => b,
        None if c.dd.contains_key(name) => return c.data_field(name, Some(mf)),
        None => return Err(xml::unknown_field(mf, name)),
    };
    let def = c.dd.get(name).cloned();
    let prep = FieldPrep::new(
        def.as_ref(),
        name,
        parent.data_type,
        parent.op_type,
        Some(mf),
    )?;
    let has_treatment = [
        "missingValueReplacement",
        "invalidValueTreatment",
        "outliers",
        "missingValueTreatment",
    ]
    .iter()
    .any(|a| xml::attr(mf, a).is_some());
    if !has_treatment || prep.is_trivial() {
        return Ok(parent);
    }
    let op_type = prep.op_type;
    let slot = c.new_slot(SlotDef::View {
        source: parent.slot,
        prep: Box::new(prep),
    });
    Ok(Binding {
        slot,
        op_type,
        ..parent
    })
}

fn make_target(c: &Compiler, name: Option<&str>, function: Function) -> Target {
    let def = name.and_then(|n| c.dd.get(n));
    let fallback = match function {
        Function::Regression => DataType::Double,
        _ => DataType::String,
    };
    let (data_type, op_type, categories) = match (def, name.and_then(|n| c.lookup(n))) {
        (Some(d), _) => (d.data_type, d.op_type, d.valid.clone()),
        (None, Some(b)) => (b.data_type, b.op_type, b.values.clone()),
        (None, None) => match c.targets.last() {
            // A segment without a target of its own predicts its parent's target.
            Some(p) if function == Function::Classification && p.op_type != OpType::Continuous => {
                (p.data_type, p.op_type, p.categories.clone())
            }
            _ => (
                fallback,
                OpType::default_for(fallback),
                Arc::from(Vec::new()),
            ),
        },
    };
    Target {
        name: name.map(Arc::from),
        data_type,
        op_type,
        categories,
        rescale_factor: 1.0,
        rescale_constant: 0.0,
        min: None,
        max: None,
        cast_integer: None,
        default_value: None,
        priors: None,
    }
}

fn parse_targets(node: Node, target: &mut Target) -> Result<(), PmmlError> {
    xml::check_children(node, &["Target"])?;
    let ts: Vec<Node> = xml::children(node, "Target").collect();
    if ts.len() > 1 {
        return Err(xml::invalid(
            node,
            "more than one `Target` is not supported",
        ));
    }
    let Some(t) = ts.first().copied() else {
        return Ok(());
    };
    xml::check_children(t, &["TargetValue"])?;
    if let (Some(f), Some(n)) = (xml::attr(t, "field"), target.name.as_deref())
        && f != n
    {
        return Err(xml::invalid(
            t,
            format!("`Target` names field `{f}` but the model's target is `{n}`"),
        ));
    }
    target.rescale_factor = xml::f64_or(t, "rescaleFactor", 1.0)?;
    target.rescale_constant = xml::f64_or(t, "rescaleConstant", 0.0)?;
    target.min = xml::attr_f64(t, "min")?;
    target.max = xml::attr_f64(t, "max")?;
    target.cast_integer = match xml::attr(t, "castInteger") {
        None => None,
        Some("round") => Some(CastInteger::Round),
        Some("ceiling") => Some(CastInteger::Ceiling),
        Some("floor") => Some(CastInteger::Floor),
        Some(other) => return Err(xml::bad_attr(t, "castInteger", other)),
    };
    let mut cats = Vec::new();
    let mut priors = Vec::new();
    for tv in xml::children(t, "TargetValue") {
        if let Some(d) = xml::attr_f64(tv, "defaultValue")? {
            target.default_value = Some(d);
        }
        if let Some(p) = xml::attr_f64(tv, "priorProbability")? {
            let v = xml::req_attr(tv, "value")?;
            cats.push(
                target
                    .data_type
                    .parse_value(v)
                    .unwrap_or_else(|| Value::str(v)),
            );
            priors.push(p);
        }
        if xml::child(tv, "Partition").is_some() {
            return Err(xml::unsupported(tv));
        }
    }
    if !cats.is_empty() {
        target.priors = Some((cats.into(), priors));
    }
    Ok(())
}

impl Target {
    /// Applies `min`/`max`, `rescaleFactor`, `rescaleConstant` and `castInteger`.
    fn process(&self, x: f64) -> f64 {
        let mut y = x;
        if let Some(m) = self.min {
            y = y.max(m);
        }
        if let Some(m) = self.max {
            y = y.min(m);
        }
        y = y * self.rescale_factor + self.rescale_constant;
        match self.cast_integer {
            Some(CastInteger::Round) => (y + 0.5).floor(),
            Some(CastInteger::Ceiling) => y.ceil(),
            Some(CastInteger::Floor) => y.floor(),
            None => y,
        }
    }

    /// Whether `process` is the identity.
    fn is_identity(&self) -> bool {
        self.rescale_factor == 1.0
            && self.rescale_constant == 0.0
            && self.min.is_none()
            && self.max.is_none()
            && self.cast_integer.is_none()
    }
}

impl Model {
    /// Evaluates the model body and applies target post-processing.
    pub(crate) fn predict(&self, ctx: &mut Ctx) -> Result<Prediction<'_>, PmmlError> {
        let p = match &self.body {
            Body::Regression(m) => m.predict(ctx, self)?,
            Body::Tree(m) => m.predict(ctx, self)?,
            Body::Mining(m) => m.predict(ctx, self)?,
            Body::Clustering(m) => m.predict(ctx)?,
            Body::NaiveBayes(m) => m.predict(ctx, self)?,
            Body::GeneralRegression(m) => m.predict(ctx, self)?,
        };
        Ok(self.post_process(p))
    }

    fn post_process<'m>(&'m self, p: Prediction<'m>) -> Prediction<'m> {
        let t = &self.target;
        match (self.function, p) {
            (
                Function::Regression,
                Prediction::Value {
                    value: Value::Number(x),
                    entity,
                },
            ) => {
                let y = if t.is_identity() { x } else { t.process(x) };
                let y = if t.data_type == DataType::Float {
                    y as f32 as f64
                } else {
                    y
                };
                Prediction::Value {
                    value: Value::Number(y),
                    entity,
                }
            }
            (Function::Regression, Prediction::Missing) => match t.default_value {
                Some(d) => Prediction::Value {
                    value: Value::Number(d),
                    entity: None,
                },
                None => Prediction::Missing,
            },
            (Function::Classification, Prediction::Missing) => match &t.priors {
                Some((cats, ps)) => {
                    let mut probs = Probs::zeros(ps.len());
                    probs.as_mut_slice().copy_from_slice(ps);
                    Prediction::Class(ClassResult::from_probs(cats, probs))
                }
                None => Prediction::Missing,
            },
            (_, p) => p,
        }
    }

    /// The classes a classification model can predict, in its own order.
    pub(crate) fn categories(&self) -> Option<Arc<[Value]>> {
        match &self.body {
            Body::Regression(m) => Some(m.categories()),
            Body::Tree(m) => Some(m.categories()),
            Body::Mining(m) => Some(m.categories()),
            Body::NaiveBayes(m) => Some(m.categories()),
            Body::GeneralRegression(m) => Some(m.categories()),
            Body::Clustering(m) => Some(m.ids()),
        }
    }

    /// Whether the numeric kernel handles this model; pushes the slots it reads.
    pub(crate) fn lower(&self, need: &mut Vec<Slot>) -> bool {
        let body = match &self.body {
            Body::Regression(m) => m.lower(self.function, need),
            Body::Tree(m) => self.function == Function::Regression && m.lower(need),
            Body::Mining(m) => m.lower(self.function, need),
            _ => false,
        };
        body && output::lower(&self.outputs, self.function)
    }

    /// [`Model::predict`] on the numeric kernel's slot values; `None` declines the record.
    pub(crate) fn predict_num(&self, vals: &mut [f64]) -> Option<NumPred<'_>> {
        let p = match &self.body {
            Body::Regression(m) => m.predict_num(vals, self.function)?,
            Body::Tree(m) => m.predict_num(vals)?,
            Body::Mining(m) => m.predict_num(vals, self.function)?,
            _ => return None,
        };
        match p {
            NumPred::Value(x) => self.target_num(x).map(NumPred::Value),
            NumPred::Class { probs, cats } => probs
                .as_slice()
                .iter()
                .all(|p| p.is_finite())
                .then_some(NumPred::Class { probs, cats }),
        }
    }

    /// A regression value after target processing, `None` when not finite.
    #[inline]
    pub(crate) fn target_num(&self, x: f64) -> Option<f64> {
        let t = &self.target;
        let y = if t.is_identity() { x } else { t.process(x) };
        let y = if t.data_type == DataType::Float {
            y as f32 as f64
        } else {
            y
        };
        y.is_finite().then_some(y)
    }

    /// [`Model::evaluate`] on the numeric kernel's slot values; `None` declines the record.
    pub(crate) fn evaluate_num(&self, vals: &mut [f64]) -> Option<NumPred<'_>> {
        let p = self.predict_num(vals)?;
        output::evaluate_num(&self.outputs, &p, vals)?;
        Some(p)
    }

    /// Evaluates the model and computes its output fields into their slots.
    pub(crate) fn evaluate(&self, ctx: &mut Ctx) -> Result<Prediction<'_>, PmmlError> {
        let p = self.predict(ctx)?;
        output::evaluate(&self.outputs, &p, ctx)?;
        Ok(p)
    }
}
