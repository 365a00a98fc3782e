//! The building blocks of model elements: [`Model`] (a model element under
//! construction, assembled with its `MiningSchema`, `Output` and
//! `LocalTransformations` in the order the schema wants) and the small
//! expression elements (`FieldRef`, `Constant`, `Apply`, `Array`).

use super::err;
use super::fields::Fields;
use super::writer::{self, El};
use crate::error::PmmlError;
use crate::value::DataType;

/// A model element under construction: its attributes, output fields,
/// local derived fields and specific children, and every field name it
/// reads (including those of nested models).
pub(crate) struct Model {
    /// The model element with its attributes.
    pub el: El,
    /// `OutputField`s.
    pub output: Vec<El>,
    /// `DerivedField`s of its `LocalTransformations`.
    pub local: Vec<El>,
    /// Names of the local derived fields.
    pub local_names: Vec<String>,
    /// The model-specific children (tables, nodes, segmentation, ...).
    pub body: Vec<El>,
    /// Names of the fields read, in first-use order, without repeats.
    pub refs: Vec<String>,
}

impl Model {
    /// An empty model element named `tag`.
    pub(crate) fn new(tag: &'static str, function: &str, algorithm: &str) -> Self {
        Model {
            el: El::new(tag)
                .attr("functionName", function)
                .attr("algorithmName", algorithm),
            output: Vec::new(),
            local: Vec::new(),
            local_names: Vec::new(),
            body: Vec::new(),
            refs: Vec::new(),
        }
    }

    /// Records that the model reads field `name`.
    pub(crate) fn read(&mut self, name: &str) {
        if !self.refs.iter().any(|r| r == name) {
            self.refs.push(name.to_string());
        }
    }

    /// Adds a local `DerivedField` (named by `fields`) computing `expr`
    /// from `deps`; returns its name.
    pub(crate) fn local_field(
        &mut self,
        fields: &mut Fields,
        base: &str,
        data_type: DataType,
        expr: El,
        deps: &[String],
    ) -> String {
        let name = fields.fresh(base);
        let optype = if data_type.is_numeric() {
            "continuous"
        } else {
            "categorical"
        };
        self.local.push(
            El::new("DerivedField")
                .attr("name", &name)
                .attr("optype", optype)
                .attr("dataType", data_type.as_str())
                .child(expr),
        );
        for d in deps {
            self.read(d);
        }
        self.local_names.push(name.clone());
        name
    }

    /// The finished element with `mining_schema` first.
    pub(crate) fn finish(self, mining_schema: El) -> El {
        let mut el = self.el.child(mining_schema);
        if !self.output.is_empty() {
            el.push(El::new("Output").children(self.output));
        }
        if !self.local.is_empty() {
            el.push(El::new("LocalTransformations").children(self.local));
        }
        el.children(self.body)
    }

    /// The element of a nested model (a segment): its `MiningSchema` lists
    /// the fields it reads from its parent (`fallback` when it reads none,
    /// since a `MiningSchema` needs one) and `target` as its target.
    pub(crate) fn nested(self, target: Option<&str>, fallback: &str) -> El {
        let mut ms = El::new("MiningSchema");
        let mut any = false;
        for r in self.refs.iter().filter(|r| !self.local_names.contains(r)) {
            ms.push(mining_field(r, "active"));
            any = true;
        }
        if let Some(t) = target {
            ms.push(mining_field(t, "target"));
            any = true;
        }
        if !any {
            ms.push(mining_field(fallback, "active"));
        }
        self.finish(ms)
    }
}

/// A `MiningField` with its usage type.
pub(crate) fn mining_field(name: &str, usage: &str) -> El {
    El::new("MiningField")
        .attr("name", name)
        .attr("usageType", usage)
}

/// A `FieldRef`.
pub(crate) fn field_ref(name: &str) -> El {
    El::new("FieldRef").attr("field", name)
}

/// A double `Constant`.
pub(crate) fn constant(x: f64) -> El {
    El::new("Constant").attr("dataType", "double").num_text(x)
}

/// An `Apply` of `function` to `args`.
pub(crate) fn apply(function: &str, args: impl IntoIterator<Item = El>) -> El {
    El::new("Apply").attr("function", function).children(args)
}

/// An `Array` of reals, for cluster centres (every value must be finite).
pub(crate) fn real_array(values: &[f64], what: &str) -> Result<El, PmmlError> {
    let mut text = String::new();
    for (i, v) in values.iter().enumerate() {
        let s = writer::number(*v).ok_or_else(|| {
            err(format!(
                "{what} holds the non-finite number `{v}`; the model's parameters must be finite"
            ))
        })?;
        if i > 0 {
            text.push(' ');
        }
        text.push_str(&s);
    }
    Ok(El::new("Array")
        .attr("type", "real")
        .attr("n", values.len().to_string())
        .text(text))
}
