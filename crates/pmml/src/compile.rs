//! The compiler state shared by all element compilers: field slots, nested
//! name scopes (MiningSchema, TransformationDictionary, LocalTransformations,
//! outputs of earlier segments) and `DefineFunction` inlining.

use std::collections::HashMap;
use std::sync::Arc;

use crate::FieldInfo;
use crate::error::PmmlError;
use crate::eval::{Slot, SlotDef};
use crate::expr::{self, Expr};
use crate::schema::{DataFieldDef, FieldPrep};
use crate::value::{DataType, OpType, Value};
use crate::xml::{self, Node};

/// What a field name resolves to.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub name: Arc<str>,
    pub slot: Slot,
    pub data_type: DataType,
    pub op_type: OpType,
    /// Declared valid categories (empty when not declared).
    pub values: Arc<[Value]>,
}

/// Compilation state for one document.
pub(crate) struct Compiler<'a, 'i> {
    pub slots: Vec<SlotDef>,
    pub dd: HashMap<String, DataFieldDef>,
    pub inputs: Vec<FieldInfo>,
    input_slots: HashMap<String, Slot>,
    scopes: Vec<HashMap<String, Binding>>,
    functions: HashMap<String, Node<'a, 'i>>,
    inline_depth: usize,
    /// Targets of the enclosing models, innermost last (segments without a
    /// target field of their own inherit their parent's).
    pub targets: Vec<crate::model::Target>,
}

impl<'a, 'i> Compiler<'a, 'i> {
    /// A compiler for a document with the given data dictionary.
    pub(crate) fn new(dd: HashMap<String, DataFieldDef>) -> Self {
        Compiler {
            slots: Vec::new(),
            dd,
            inputs: Vec::new(),
            input_slots: HashMap::new(),
            scopes: vec![HashMap::new()],
            functions: HashMap::new(),
            inline_depth: 0,
            targets: Vec::new(),
        }
    }

    /// Allocates a slot.
    pub(crate) fn new_slot(&mut self, def: SlotDef) -> Slot {
        self.slots.push(def);
        self.slots.len() - 1
    }

    /// Opens a nested name scope (a model).
    pub(crate) fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    /// Closes the innermost name scope.
    pub(crate) fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// Binds a name in the innermost scope.
    pub(crate) fn bind(&mut self, b: Binding) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(b.name.to_string(), b);
        }
    }

    /// Looks a name up in the scopes, without creating inputs.
    pub(crate) fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).cloned())
    }

    /// Resolves a field reference made by `node`.
    pub(crate) fn resolve(&mut self, name: &str, node: Node) -> Result<Binding, PmmlError> {
        if let Some(b) = self.lookup(name) {
            return Ok(b);
        }
        if self.dd.contains_key(name) {
            let b = self.data_field(name, None)?;
            // Cache in the outermost scope so later references share the slot.
            self.scopes[0].insert(name.to_string(), b.clone());
            return Ok(b);
        }
        Err(xml::unknown_field(node, name))
    }

    /// The binding of a `DataField`, prepared as `mining_field` says (or by default).
    pub(crate) fn data_field(
        &mut self,
        name: &str,
        mining_field: Option<Node>,
    ) -> Result<Binding, PmmlError> {
        let Some(def) = self.dd.get(name).cloned() else {
            return Err(PmmlError::NotPmml {
                message: format!("field `{name}` is not in the `DataDictionary`"),
            });
        };
        let raw = match self.input_slots.get(name) {
            Some(s) => *s,
            None => {
                let index = self.inputs.len();
                self.inputs.push(FieldInfo {
                    name: def.name.clone(),
                    data_type: def.data_type,
                    op_type: def.op_type,
                    values: def.valid.to_vec(),
                });
                let s = self.new_slot(SlotDef::Input {
                    index,
                    name: Arc::from(name),
                    data_type: def.data_type,
                });
                self.input_slots.insert(name.to_string(), s);
                s
            }
        };
        let prep = FieldPrep::new(Some(&def), name, def.data_type, def.op_type, mining_field)?;
        let op_type = prep.op_type;
        let slot = if prep.is_trivial() {
            raw
        } else {
            self.new_slot(SlotDef::View {
                source: raw,
                prep: Box::new(prep),
            })
        };
        Ok(Binding {
            name: Arc::from(name),
            slot,
            data_type: def.data_type,
            op_type,
            values: def.valid.clone(),
        })
    }

    /// Registers and compiles `DerivedField` children of `node`
    /// (`TransformationDictionary` or `LocalTransformations`) in the innermost scope.
    pub(crate) fn derived_fields(&mut self, node: Node<'a, 'i>) -> Result<(), PmmlError> {
        let mut pending = Vec::new();
        for d in xml::elements(node) {
            match xml::name(d) {
                "DerivedField" => {
                    let name = xml::req_attr(d, "name")?;
                    let dt = xml::data_type(d)?;
                    let slot = self.new_slot(SlotDef::Assigned);
                    let data_type = dt.unwrap_or(DataType::Double);
                    let values: Vec<Value> = xml::children(d, "Value")
                        .filter_map(|v| {
                            xml::attr(v, "value").and_then(|t| data_type.parse_value(t))
                        })
                        .collect();
                    self.bind(Binding {
                        name: Arc::from(name),
                        slot,
                        data_type,
                        op_type: xml::op_type(d)?.unwrap_or(OpType::default_for(data_type)),
                        values: values.into(),
                    });
                    pending.push((d, slot, dt, name));
                }
                "DefineFunction" => {
                    let name = xml::req_attr(d, "name")?;
                    self.functions.insert(name.to_string(), d);
                }
                _ => return Err(xml::unsupported(d)),
            }
        }
        for (d, slot, dt, name) in pending {
            let (e, et) = expr::compile_child(self, d)?;
            self.slots[slot] = SlotDef::Derived {
                expr: e,
                data_type: dt.or(et),
                name: Arc::from(name),
            };
        }
        Ok(())
    }

    /// Whether a `DefineFunction` of that name exists.
    pub(crate) fn has_function(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    /// Inlines a call of a `DefineFunction`: each parameter becomes a lazily computed slot.
    pub(crate) fn inline_function(
        &mut self,
        fname: &str,
        call: Node,
        args: Vec<Expr>,
        _types: Vec<Option<DataType>>,
    ) -> Result<(Expr, Option<DataType>), PmmlError> {
        let Some(def) = self.functions.get(fname).copied() else {
            return Err(xml::bad_attr(call, "function", fname));
        };
        if self.inline_depth > 32 {
            return Err(xml::invalid(def, "functions nest too deeply (recursion?)"));
        }
        let params: Vec<Node> = xml::children(def, "ParameterField").collect();
        if params.len() != args.len() {
            return Err(xml::invalid(
                call,
                format!(
                    "function `{fname}` takes {} arguments, found {}",
                    params.len(),
                    args.len()
                ),
            ));
        }
        self.push_scope();
        for (p, a) in params.iter().zip(args) {
            let pname = xml::req_attr(*p, "name")?;
            let dt = xml::data_type(*p)?;
            let slot = self.new_slot(SlotDef::Derived {
                expr: a,
                data_type: dt,
                name: Arc::from(pname),
            });
            let data_type = dt.unwrap_or(DataType::Double);
            self.bind(Binding {
                name: Arc::from(pname),
                slot,
                data_type,
                op_type: xml::op_type(*p)?.unwrap_or(OpType::default_for(data_type)),
                values: Arc::from(Vec::new()),
            });
        }
        self.inline_depth += 1;
        let body = xml::elements(def)
            .find(|e| expr::EXPRESSIONS.contains(&xml::name(*e)))
            .ok_or_else(|| PmmlError::MissingElement {
                element: "DefineFunction".into(),
                child: "an expression".into(),
                line: xml::line(def),
            });
        let r = body.and_then(|b| expr::compile(self, b));
        self.inline_depth -= 1;
        self.pop_scope();
        let (e, t) = r?;
        let dt = xml::data_type(def)?.or(t);
        // Cast the result to the declared type through a derived slot.
        let slot = self.new_slot(SlotDef::Derived {
            expr: e,
            data_type: dt,
            name: Arc::from(fname),
        });
        Ok((
            Expr::Field {
                slot,
                map_missing_to: None,
            },
            dt,
        ))
    }
}
