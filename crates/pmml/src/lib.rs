//! PMML 4.x: parse, compile and evaluate documents written by any producer.
//!
//! [`PmmlModel::parse`] reads a PMML 4.0–4.4 document with `roxmltree`,
//! compiles it once (field names become slot indices, predicates and
//! expressions become trees of enums) and then scores records without string
//! lookups. Results follow JPMML-Evaluator, the reference implementation:
//! the same output columns, names and numbers.
//!
//! Anything the evaluator does not implement is refused at load time with an
//! error naming the element and its line, never answered wrongly.
//!
//! [`export`] goes the other way: it writes `pai-ml`'s fitted models, alone
//! or behind preprocessing stages, as PMML 4.4 documents that score like
//! `pai-ml`.
//!
//! ```
//! use pai_pmml::{PmmlModel, Value};
//! let xml = r#"<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
//!   <DataDictionary>
//!     <DataField name="x" optype="continuous" dataType="double"/>
//!     <DataField name="y" optype="continuous" dataType="double"/>
//!   </DataDictionary>
//!   <RegressionModel functionName="regression">
//!     <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
//!     <RegressionTable intercept="1"><NumericPredictor name="x" coefficient="2"/></RegressionTable>
//!   </RegressionModel>
//! </PMML>"#;
//! let model = PmmlModel::parse(xml).unwrap();
//! let out = model.evaluate(&[Value::Number(3.0)]).unwrap();
//! assert_eq!(model.output_columns()[0].name, "y");
//! assert_eq!(out[0], Value::Number(7.0));
//! ```

mod batch;
mod clustering;
mod compile;
mod error;
mod eval;
pub mod export;
mod expr;
mod functions;
mod general_regression;
mod kernel;
mod math;
mod mining;
mod model;
mod naive_bayes;
mod output;
mod predicate;
mod prediction;
mod regression;
mod schema;
mod tree;
mod value;
mod xml;

use std::collections::HashMap;

pub use batch::{BatchOutput, Column};
pub use error::PmmlError;
pub use eval::Scratch;
pub use value::{DataType, OpType, Value};

use compile::Compiler;
use eval::{Ctx, RowSource, Slot, SlotDef};
use kernel::{Kernel, NumPred};
use mining::Method;
use model::{Body, Function, Model};
use output::OutputDef;
use schema::DataFieldDef;

/// An input (or target) field of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    /// Field name as written in the document.
    pub name: String,
    /// Declared data type.
    pub data_type: DataType,
    /// Declared operational type.
    pub op_type: OpType,
    /// Declared valid values (categories), empty when none are declared.
    pub values: Vec<Value>,
}

/// One column of a model's results.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumn {
    /// Column name, as JPMML-Evaluator names it (empty for a clustering model's unnamed target).
    pub name: String,
    /// Data type of the values.
    pub data_type: DataType,
}

#[derive(Debug, Clone)]
enum Source {
    /// The top model's predicted value.
    Predicted,
    /// An output field's slot.
    Slot(Slot),
    /// Probability of category `i` of the top model (synthesized column).
    Probability(Value),
}

/// A compiled PMML model, ready to score records. `Send + Sync`: share it between threads.
#[derive(Debug)]
pub struct PmmlModel {
    slots: Vec<SlotDef>,
    model: Model,
    inputs: Vec<FieldInfo>,
    target: Option<FieldInfo>,
    columns: Vec<OutputColumn>,
    sources: Vec<Source>,
    version: String,
    input_index: HashMap<String, usize>,
    kernel: Option<Kernel>,
}

const PMML_CHILDREN: &[&str] = &[
    "Header",
    "MiningBuildTask",
    "DataDictionary",
    "TransformationDictionary",
];

impl PmmlModel {
    /// Parses and compiles a PMML 4.0–4.4 document.
    ///
    /// Fails on malformed XML (with its line), on documents that are not PMML 4.x,
    /// and on any element or attribute value this crate cannot evaluate exactly.
    pub fn parse(xml_text: &str) -> Result<Self, PmmlError> {
        let opts = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(xml_text, opts).map_err(|e| {
            PmmlError::Xml {
                line: e.pos().row,
                message: e.to_string(),
            }
        })?;
        let root = doc.root_element();
        if xml::name(root) != "PMML" {
            return Err(PmmlError::NotPmml {
                message: format!("the root element is `{}`, expected `PMML`", xml::name(root)),
            });
        }
        let version = check_version(root)?;
        let mut dd_node = None;
        let mut td_node = None;
        let mut model_node = None;
        for ch in xml::elements(root) {
            let n = xml::name(ch);
            match n {
                "DataDictionary" => dd_node = Some(ch),
                "TransformationDictionary" => td_node = Some(ch),
                _ if PMML_CHILDREN.contains(&n) => {}
                _ if model::MODEL_ELEMENTS.contains(&n)
                    || model::UNSUPPORTED_MODELS.contains(&n) =>
                {
                    if model_node.is_none() {
                        model_node = Some(ch);
                    }
                }
                _ => return Err(xml::unsupported(ch)),
            }
        }
        let dd_node = xml::req_child(root, "DataDictionary").map(|_| dd_node)?;
        let mut dd = HashMap::new();
        if let Some(dn) = dd_node {
            for f in xml::elements(dn) {
                match xml::name(f) {
                    "DataField" => {
                        let d = DataFieldDef::parse(f)?;
                        dd.insert(d.name.clone(), d);
                    }
                    "Taxonomy" => return Err(xml::unsupported(f)),
                    _ => return Err(xml::unsupported(f)),
                }
            }
        }
        let model_node = model_node.ok_or_else(|| PmmlError::MissingElement {
            element: "PMML".into(),
            child: "a model element".into(),
            line: xml::line(root),
        })?;
        let mut c = Compiler::new(dd);
        let model = model::compile(&mut c, model_node, td_node, true)?;
        let target = model.target.name.as_ref().map(|n| FieldInfo {
            name: n.to_string(),
            data_type: model.target.data_type,
            op_type: model.target.op_type,
            values: model.target.categories.to_vec(),
        });
        let (columns, sources) = result_columns(&model);
        let inputs = c.inputs;
        let input_index = inputs
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        let kernel = Kernel::build(&c.slots, &model, &sources);
        Ok(PmmlModel {
            kernel,
            slots: c.slots,
            model,
            inputs,
            target,
            columns,
            sources,
            version,
            input_index,
        })
    }

    /// PMML version of the document (e.g. "4.2").
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The fields a record must supply, in the order [`PmmlModel::evaluate`] expects them.
    pub fn input_fields(&self) -> &[FieldInfo] {
        &self.inputs
    }

    /// The model's target field, if the `MiningSchema` declares one.
    pub fn target_field(&self) -> Option<&FieldInfo> {
        self.target.as_ref()
    }

    /// Result columns in JPMML-Evaluator's order: the target, then the output fields.
    ///
    /// A classification model without any output field gets one
    /// `probability(<class>)` column per class after the target.
    pub fn output_columns(&self) -> &[OutputColumn] {
        &self.columns
    }

    /// Index of an input field by name.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.input_index.get(name).copied()
    }

    /// Scores one record given as values in [`PmmlModel::input_fields`] order
    /// (missing trailing values count as missing).
    pub fn evaluate(&self, inputs: &[Value]) -> Result<Vec<Value>, PmmlError> {
        let mut scratch = Scratch::new();
        let mut out = Vec::with_capacity(self.columns.len());
        self.evaluate_into(inputs, &mut scratch, &mut out)?;
        Ok(out)
    }

    /// Scores one record, looking each input up by field name.
    pub fn evaluate_by_name(
        &self,
        lookup: &dyn Fn(&str) -> Value,
    ) -> Result<Vec<Value>, PmmlError> {
        let inputs: Vec<Value> = self.inputs.iter().map(|f| lookup(&f.name)).collect();
        self.evaluate(&inputs)
    }

    /// Scores one record reusing `scratch` and `out` (cleared first): no
    /// allocation once they have grown, on numeric models.
    pub fn evaluate_into(
        &self,
        inputs: &[Value],
        scratch: &mut Scratch,
        out: &mut Vec<Value>,
    ) -> Result<(), PmmlError> {
        self.evaluate_row(&eval::SliceRow(inputs), scratch, out)
    }

    pub(crate) fn evaluate_row(
        &self,
        row: &dyn RowSource,
        scratch: &mut Scratch,
        out: &mut Vec<Value>,
    ) -> Result<(), PmmlError> {
        let number = |i: usize| match row.input(i) {
            Value::Number(x) => x,
            _ => f64::NAN,
        };
        if self.score_numeric(number, scratch, out) {
            return Ok(());
        }
        self.interpret_row(row, scratch, out)
    }

    /// Scores a record on the numeric kernel when the model has one and the
    /// record suits it (`input` gives NaN for anything but a number); false
    /// when the record must be interpreted instead.
    #[inline]
    pub(crate) fn score_numeric(
        &self,
        input: impl Fn(usize) -> f64,
        scratch: &mut Scratch,
        out: &mut Vec<Value>,
    ) -> bool {
        let Some(k) = &self.kernel else {
            return false;
        };
        let Some(p) = k.run(&self.slots, &self.model, input, &mut scratch.nums) else {
            return false;
        };
        out.clear();
        for s in &self.sources {
            out.push(match s {
                Source::Predicted => match &p {
                    NumPred::Value(x) => Value::Number(*x),
                    NumPred::Class { cats, .. } => p
                        .label_index()
                        .and_then(|i| cats.get(i).cloned())
                        .unwrap_or(Value::Missing),
                },
                Source::Slot(slot) => match kernel::get(&scratch.nums, *slot) {
                    Some(x) => Value::Number(x),
                    None => return false,
                },
                Source::Probability(cat) => {
                    p.probability(cat).map_or(Value::Missing, Value::Number)
                }
            });
        }
        true
    }

    /// Scores records `start..start + len` a block at a time on the kernel
    /// (`inputs[index]`: the kernel's input columns); false when the model
    /// has no block plan. [`Block::clean`] then tells which records were scored.
    pub(crate) fn score_block(
        &self,
        inputs: &[&[f64]],
        start: usize,
        len: usize,
        b: &mut kernel::Block,
    ) -> bool {
        self.kernel
            .as_ref()
            .is_some_and(|k| k.run_block(&self.slots, &self.model, inputs, start, len, b))
    }

    /// Writes result column `c` of the last block's clean records into `dst`.
    pub(crate) fn write_block(&self, c: usize, b: &kernel::Block, dst: &mut [Value]) {
        if let Some(k) = &self.kernel {
            k.write_block(c, b, dst);
        }
    }

    /// Input indices the numeric kernel reads, `None` without a kernel.
    pub(crate) fn kernel_inputs(&self) -> Option<&[usize]> {
        self.kernel.as_ref().map(|k| k.inputs())
    }

    /// Scores one record with the interpreter.
    pub(crate) fn interpret_row(
        &self,
        row: &dyn RowSource,
        scratch: &mut Scratch,
        out: &mut Vec<Value>,
    ) -> Result<(), PmmlError> {
        out.clear();
        scratch.reset(self.slots.len());
        let mut ctx = Ctx {
            slots: &self.slots,
            row,
            vals: &mut scratch.vals,
            state: &mut scratch.state,
        };
        let p = self.model.evaluate(&mut ctx)?;
        for s in &self.sources {
            out.push(match s {
                Source::Predicted => p.value(),
                Source::Slot(slot) => ctx.peek(*slot),
                Source::Probability(cat) => match &p {
                    prediction::Prediction::Class(c) if c.has_probabilities => {
                        Value::Number(c.probability(cat))
                    }
                    _ => Value::Missing,
                },
            });
        }
        Ok(())
    }
}

fn check_version(root: xml::Node) -> Result<String, PmmlError> {
    let ns = root.tag_name().namespace().unwrap_or("");
    let version = xml::attr(root, "version").unwrap_or("").to_string();
    let ns_ok = ns.is_empty()
        || ["4_0", "4_1", "4_2", "4_3", "4_4"]
            .iter()
            .any(|v| ns == format!("http://www.dmg.org/PMML-{v}"));
    if !ns_ok {
        return Err(PmmlError::NotPmml {
            message: format!("namespace `{ns}` is not a PMML 4.0–4.4 namespace"),
        });
    }
    if !version.starts_with("4.") {
        return Err(PmmlError::NotPmml {
            message: format!("version `{version}` is not 4.x; only PMML 4.0–4.4 is supported"),
        });
    }
    Ok(version)
}

/// Output fields of nested models that JPMML reports with the top model's
/// (the last segments of a chain, the first of a selectFirst).
fn nested_outputs(model: &Model, acc: &mut Vec<(String, Slot, DataType)>) {
    let Body::Mining(m) = &model.body else {
        return;
    };
    let segs: Vec<&mining::Segment> = match m.method {
        Method::ModelChain => m.segments.last().into_iter().collect(),
        Method::SelectFirst => m.segments.iter().collect(),
        _ => Vec::new(),
    };
    for s in segs {
        push_outputs(&s.model.outputs, &s.model, acc);
        nested_outputs(&s.model, acc);
    }
}

fn push_outputs(outputs: &[OutputDef], model: &Model, acc: &mut Vec<(String, Slot, DataType)>) {
    for o in outputs.iter().filter(|o| o.final_result) {
        if !acc.iter().any(|(n, _, _)| n.as_str() == &*o.name) {
            acc.push((o.name.to_string(), o.slot, o.result_type(&model.target)));
        }
    }
}

fn result_columns(model: &Model) -> (Vec<OutputColumn>, Vec<Source>) {
    let mut columns = vec![OutputColumn {
        name: model.target.name.as_deref().unwrap_or("").to_string(),
        data_type: model.target.data_type,
    }];
    let mut sources = vec![Source::Predicted];
    let mut outs = Vec::new();
    push_outputs(&model.outputs, model, &mut outs);
    nested_outputs(model, &mut outs);
    if outs.is_empty() && model.function == Function::Classification {
        for cat in model.categories().iter().flat_map(|c| c.iter()) {
            columns.push(OutputColumn {
                name: format!("probability({cat})"),
                data_type: DataType::Double,
            });
            sources.push(Source::Probability(cat.clone()));
        }
    }
    for (name, slot, dt) in outs {
        columns.push(OutputColumn {
            name,
            data_type: dt,
        });
        sources.push(Source::Slot(slot));
    }
    (columns, sources)
}
