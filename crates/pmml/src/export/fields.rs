//! The field bookkeeping of one export: the `DataField`s (the pipeline's raw
//! inputs and the label), the `DerivedField`s the preprocessing stages add,
//! unique field names, and the map from each engine column (as the next
//! stage sees it) to the PMML field holding it. At the end, only the fields
//! the model needs are kept.

use std::collections::{HashMap, HashSet};

use super::writer::El;
use super::{InputField, Label, apply, constant, err, field_ref};
use crate::error::PmmlError;
use crate::value::DataType;

/// What a column holds, as a stage or model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Numbers (integers, doubles, booleans as 0/1).
    Numeric,
    /// Text.
    Text,
}

/// A `DataField` and the `MiningField` attributes its first consumer sets.
#[derive(Debug, Clone)]
pub(crate) struct RawField {
    /// Field name (the engine column name).
    pub name: String,
    /// PMML data type.
    pub data_type: DataType,
    /// Declared valid values (PMML literals); when not empty the field is
    /// categorical.
    pub values: Vec<String>,
    /// `invalidValueTreatment` of its `MiningField`, if set.
    pub invalid: Option<&'static str>,
    /// `missingValueTreatment` of its `MiningField`, if set.
    pub missing: Option<&'static str>,
}

impl RawField {
    /// The `DataField` element.
    pub(crate) fn data_field(&self, categorical: bool) -> El {
        let optype = if categorical || !self.values.is_empty() || !self.data_type.is_numeric() {
            "categorical"
        } else {
            "continuous"
        };
        El::new("DataField")
            .attr("name", &self.name)
            .attr("optype", optype)
            .attr("dataType", self.data_type.as_str())
            .children(
                self.values
                    .iter()
                    .map(|v| El::new("Value").attr("value", v)),
            )
    }
}

/// A `DerivedField` and the fields its expression reads.
#[derive(Debug)]
struct Derived {
    name: String,
    deps: Vec<String>,
    el: El,
}

/// Every field of the document being built.
#[derive(Debug)]
pub(crate) struct Fields {
    raw: Vec<RawField>,
    derived: Vec<Derived>,
    taken: HashSet<String>,
    /// Engine column → (PMML field, kind), in table order.
    columns: Vec<(String, String, Kind)>,
    /// The label's field name.
    label: Option<String>,
}

/// The fields the finished model needs.
pub(crate) struct Needed<'f> {
    /// The `DataField`s read, in schema order.
    pub raw: Vec<&'f RawField>,
    /// The `DerivedField` elements, in creation order (each after the
    /// fields it reads).
    pub derived: Vec<El>,
}

impl Fields {
    /// Registers the schema's inputs and label as `DataField`s; `reserved`
    /// are the output field names, which no other field may take.
    pub(crate) fn new(
        inputs: &[InputField],
        label: Option<&Label>,
        reserved: &[String],
    ) -> Result<Self, PmmlError> {
        let mut f = Fields {
            raw: Vec::new(),
            derived: Vec::new(),
            taken: HashSet::new(),
            columns: Vec::new(),
            label: label.map(|l| l.name.clone()),
        };
        for name in reserved {
            if !f.taken.insert(name.clone()) {
                return Err(err(format!("two output fields would be named `{name}`")));
            }
        }
        let add = |f: &mut Fields, name: &str, dt: DataType| -> Result<(), PmmlError> {
            if name.is_empty() {
                return Err(err("a field has an empty name"));
            }
            if dt == DataType::Float {
                return Err(err(format!(
                    "field `{name}` has type `float`; declare it as `double`"
                )));
            }
            if reserved.iter().any(|r| r == name) {
                return Err(err(format!(
                    "input field `{name}` has the name of an output field of the document; rename the column"
                )));
            }
            if !f.taken.insert(name.to_string()) {
                return Err(err(format!("field `{name}` is declared twice")));
            }
            f.raw.push(RawField {
                name: name.to_string(),
                data_type: dt,
                values: Vec::new(),
                invalid: None,
                missing: None,
            });
            let kind = if dt == DataType::String {
                Kind::Text
            } else {
                Kind::Numeric
            };
            f.columns.push((name.to_string(), name.to_string(), kind));
            Ok(())
        };
        for input in inputs {
            // The label may be listed among the inputs (a stage that read
            // every column); it is one field, declared as the label.
            if label.is_some_and(|l| l.name == input.name) {
                continue;
            }
            add(&mut f, &input.name, input.data_type)?;
        }
        if let Some(l) = label {
            add(&mut f, &l.name, l.data_type)?;
            if let Some(raw) = f.raw.last_mut() {
                raw.values = l.values.clone();
            }
        }
        // `pai-ml` reads booleans as 0/1; PMML does no arithmetic on them,
        // so a boolean input is read through `if(b, 1, 0)`.
        for input in inputs {
            if input.data_type == DataType::Boolean && label.is_none_or(|l| l.name != input.name) {
                let b = input.name.clone();
                let expr = apply("if", [field_ref(&b), constant(1.0), constant(0.0)]);
                let d = f.derive(
                    &format!("double({b})"),
                    DataType::Double,
                    expr,
                    vec![b.clone()],
                );
                f.replace(&b, d, Kind::Numeric);
            }
        }
        Ok(f)
    }

    /// A field name not used yet: `base`, else `base#2`, `base#3`, ...
    pub(crate) fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut i = 2;
        while self.taken.contains(&name) {
            name = format!("{base}#{i}");
            i += 1;
        }
        self.taken.insert(name.clone());
        name
    }

    /// The PMML field and kind holding engine column `column` now.
    pub(crate) fn column(&self, column: &str, user: &str) -> Result<(String, Kind), PmmlError> {
        self.columns
            .iter()
            .find(|(c, _, _)| c == column)
            .map(|(_, p, k)| (p.clone(), *k))
            .ok_or_else(|| {
                err(format!(
                    "`{user}` reads column `{column}`, which is neither an input field of the schema nor produced by an earlier stage"
                ))
            })
    }

    /// The PMML field holding numeric column `column`; a text column is an
    /// error naming the reader.
    pub(crate) fn numeric(&self, column: &str, user: &str) -> Result<String, PmmlError> {
        match self.column(column, user)? {
            (name, Kind::Numeric) => Ok(name),
            (_, Kind::Text) => Err(err(format!(
                "`{user}` needs numbers but column `{column}` holds text"
            ))),
        }
    }

    /// Points engine column `column` at PMML field `field` (a stage replaced
    /// it in place).
    pub(crate) fn replace(&mut self, column: &str, field: String, kind: Kind) {
        if let Some(entry) = self.columns.iter_mut().find(|(c, _, _)| c == column) {
            entry.1 = field;
            entry.2 = kind;
        }
    }

    /// Replaces engine column `column` by new columns (one-hot indicators),
    /// refusing a new column whose name another column already has.
    pub(crate) fn expand(
        &mut self,
        column: &str,
        new: Vec<(String, String)>,
        user: &str,
    ) -> Result<(), PmmlError> {
        let Some(pos) = self.columns.iter().position(|(c, _, _)| c == column) else {
            return Err(err(format!("`{user}` reads unknown column `{column}`")));
        };
        self.columns.remove(pos);
        for (i, (engine, field)) in new.into_iter().enumerate() {
            if self.columns.iter().any(|(c, _, _)| *c == engine) {
                return Err(err(format!(
                    "`{user}` would create column `{engine}`, which already exists"
                )));
            }
            self.columns.insert(pos + i, (engine, field, Kind::Numeric));
        }
        Ok(())
    }

    /// Adds a `DerivedField` named after `base` whose expression `expr`
    /// reads `deps`; returns its name.
    pub(crate) fn derive(
        &mut self,
        base: &str,
        data_type: DataType,
        expr: El,
        deps: Vec<String>,
    ) -> String {
        let name = self.fresh(base);
        let optype = if data_type.is_numeric() {
            "continuous"
        } else {
            "categorical"
        };
        let el = El::new("DerivedField")
            .attr("name", &name)
            .attr("optype", optype)
            .attr("dataType", data_type.as_str())
            .child(expr);
        self.derived.push(Derived {
            name: name.clone(),
            deps,
            el,
        });
        name
    }

    /// The input `DataField` named `name`, if `name` is one (not a derived
    /// field, nor the label).
    pub(crate) fn raw_input_mut(&mut self, name: &str) -> Option<&mut RawField> {
        if self.label.as_deref() == Some(name) {
            return None;
        }
        self.raw.iter_mut().find(|r| r.name == name)
    }

    /// The fields reachable from `refs` (the names the model reads; names
    /// that are neither raw nor derived are ignored).
    pub(crate) fn needed(&self, refs: &[String]) -> Needed<'_> {
        let index: HashMap<&str, usize> = self
            .derived
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.as_str(), i))
            .collect();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = refs.iter().map(String::as_str).collect();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if let Some(&i) = index.get(n) {
                stack.extend(self.derived[i].deps.iter().map(String::as_str));
            }
        }
        Needed {
            raw: self
                .raw
                .iter()
                .filter(|r| seen.contains(r.name.as_str()))
                .collect(),
            derived: self
                .derived
                .iter()
                .filter(|d| seen.contains(d.name.as_str()))
                .map(|d| d.el.clone())
                .collect(),
        }
    }

    /// The label's `DataField`.
    pub(crate) fn label(&self) -> Option<&RawField> {
        let l = self.label.as_deref()?;
        self.raw.iter().find(|r| r.name == l)
    }
}
