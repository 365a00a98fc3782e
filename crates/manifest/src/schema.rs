//! The JSON Schema (draft 2020-12) of manifests, generated from the Rust
//! types: the document types here plus every component's params type.
//!
//! A node's `component` is an `enum` of the component names (each with its
//! one-line description), and the node gets one `if`/`then` entry per
//! component in an `allOf`: when `component` is that name, `params` and
//! `inputs` are that component's. An editor so offers the component names
//! and then that component's parameters and ports, and an unknown
//! component is one problem (the enum), not one per variant.

use pai_core::ComponentInfo;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::model::ManifestDoc;

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "https://pai-engine.dev/schemas/pipeline.schema.json";

/// The pattern of an input's source, `NODE.PORT`.
const INPUT_REF_PATTERN: &str = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$";

/// The full schema, as committed in `schemas/pipeline.schema.json`.
pub fn manifest_schema() -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let params = pai_components::params_schemas(&mut generator);
    let root = generator.into_root_schema_for::<ManifestDoc>();
    let mut root = root.to_value();
    if let Some(obj) = root.as_object_mut() {
        obj.insert("$id".into(), json!(SCHEMA_ID));
    }
    let names: Vec<&str> = params.iter().map(|(info, _)| info.name).collect();
    let summaries: Vec<String> = params
        .iter()
        .map(|(info, _)| component_summary(info))
        .collect();
    let variants: Vec<Value> = params
        .iter()
        .map(|(info, schema)| variant(info, schema.as_value(), &root))
        .collect();
    if let Some(component) = root
        .pointer_mut("/$defs/NodeDoc/properties/component")
        .and_then(Value::as_object_mut)
    {
        component.insert("enum".into(), json!(names));
        component.insert("markdownEnumDescriptions".into(), json!(summaries));
    }
    if let Some(node) = root
        .pointer_mut("/$defs/NodeDoc")
        .and_then(Value::as_object_mut)
    {
        node.insert("allOf".into(), Value::Array(variants));
    }
    crate::editor_hints::apply(&mut root);
    root
}

/// The `$ref` of component `component`'s params schema in `schema` (a
/// schema made by [`manifest_schema`]).
pub fn params_ref<'s>(schema: &'s Value, component: &str) -> Option<&'s str> {
    schema
        .pointer("/$defs/NodeDoc/allOf")
        .and_then(Value::as_array)?
        .iter()
        .find(|v| v["title"] == component)?
        .pointer("/then/properties/params/$ref")
        .and_then(Value::as_str)
}

/// The one-line description of a component with its ports.
fn component_summary(info: &ComponentInfo) -> String {
    let ports = |ports: &[pai_core::PortSpec]| {
        if ports.is_empty() {
            return "none".to_string();
        }
        ports
            .iter()
            .map(|p| format!("`{}` ({})", p.name, p.ty))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{}. Inputs: {}. Outputs: {}.",
        info.summary,
        ports(info.inputs),
        ports(info.outputs),
    )
}

/// The `if`/`then` entry of a node running component `info`; `root` holds
/// the params definitions (a component with required params requires
/// `params`).
fn variant(info: &ComponentInfo, params_ref: &Value, root: &Value) -> Value {
    let ports: serde_json::Map<String, Value> = info
        .inputs
        .iter()
        .map(|p| {
            let need = if p.required { "required" } else { "optional" };
            let doc = format!(
                "{} ({need}; a `{}` output, written `NODE.PORT`).",
                p.doc.trim_end_matches('.'),
                p.ty
            );
            let schema = json!({
                "type": "string",
                "pattern": INPUT_REF_PATTERN,
                "description": doc,
            });
            (p.name.to_string(), schema)
        })
        .collect();
    let needs_params = params_ref
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| root.pointer(r.trim_start_matches('#')))
        .and_then(|def| def.get("required"))
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    let mut then = json!({
        "properties": {
            "params": params_ref,
            "inputs": {
                "type": "object",
                "properties": ports,
                "additionalProperties": false
            }
        }
    });
    if needs_params {
        then["required"] = json!(["params"]);
    }
    json!({
        "title": info.name,
        "description": component_summary(info),
        "if": {
            "properties": { "component": { "const": info.name } },
            "required": ["component"]
        },
        "then": then
    })
}

/// The schema without the per-component variants: what the document is
/// checked against before each node's params are checked on their own,
/// so that each problem is reported once and precisely.
pub fn envelope_schema(full: &Value) -> Value {
    let mut env = full.clone();
    if let Some(node) = env
        .pointer_mut("/$defs/NodeDoc")
        .and_then(Value::as_object_mut)
    {
        node.remove("allOf");
    }
    if let Some(component) = env
        .pointer_mut("/$defs/NodeDoc/properties/component")
        .and_then(Value::as_object_mut)
    {
        component.remove("enum");
        component.remove("markdownEnumDescriptions");
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_has_a_variant_with_its_params() {
        let s = manifest_schema();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let variants = s
            .pointer("/$defs/NodeDoc/allOf")
            .and_then(Value::as_array)
            .unwrap();
        assert_eq!(variants.len(), pai_components::all().len());
        for info in pai_components::all() {
            assert!(params_ref(&s, info.name).is_some(), "{}", info.name);
        }
        let r = params_ref(&s, "split").unwrap();
        let def = s.pointer(r.trim_start_matches('#')).unwrap();
        assert!(def.pointer("/properties/fraction/description").is_some());
        assert_eq!(def["additionalProperties"], false);
    }

    /// Every `oneOf` of `const`s anywhere in `v`, as JSON pointers.
    fn const_one_ofs(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Array(b)) = o.get("oneOf")
                    && b.iter().all(|b| b.get("const").is_some())
                {
                    out.push(at.to_string());
                }
                for (k, c) in o {
                    const_one_ofs(c, &format!("{at}/{k}"), out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    const_one_ofs(c, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn enums_are_enums_with_descriptions_for_editors() {
        let s = manifest_schema();
        let mut found = Vec::new();
        const_one_ofs(&s, "", &mut found);
        assert!(found.is_empty(), "{found:?}");
        let api = &s["properties"]["apiVersion"];
        let def = s
            .pointer(api["$ref"].as_str().unwrap().trim_start_matches('#'))
            .unwrap();
        assert_eq!(def["enum"], json!(["pai-engine/v1"]));
        assert_eq!(def["markdownEnumDescriptions"], json!(["Version 1."]));
        let component = s.pointer("/$defs/NodeDoc/properties/component").unwrap();
        let names = component["enum"].as_array().unwrap();
        let docs = component["markdownEnumDescriptions"].as_array().unwrap();
        assert_eq!(names.len(), pai_components::all().len());
        assert_eq!(docs.len(), names.len());
        assert!(
            docs[0].as_str().unwrap().starts_with("Read a CSV"),
            "{docs:?}"
        );
    }

    #[test]
    fn input_ports_are_typed_and_placeholders_valid() {
        let s = manifest_schema();
        let variants = s
            .pointer("/$defs/NodeDoc/allOf")
            .and_then(Value::as_array)
            .unwrap();
        for v in variants {
            let ports = v.pointer("/then/properties/inputs/properties").unwrap();
            for (name, port) in ports.as_object().unwrap() {
                assert_eq!(port["type"], "string", "{} {name}", v["title"]);
                assert!(port["pattern"].is_string());
                assert!(port["description"].as_str().unwrap().contains("NODE.PORT"));
            }
        }
        let node = s.pointer("/$defs/NodeDoc/properties").unwrap();
        assert_eq!(node["timeout_seconds"]["examples"], json!([600]));
        let split = s
            .pointer("/$defs/Split/properties/seed/description")
            .unwrap();
        assert!(split.as_str().unwrap().ends_with("(default: 0)"), "{split}");
    }
}
