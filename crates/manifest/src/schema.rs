//! The JSON Schema (draft 2020-12) of manifests, generated from the Rust
//! types: the document types here plus every component's params type.
//!
//! Nodes get one `oneOf` variant per component, keyed by a `const`
//! `component`, so an editor offers the component names and then that
//! component's parameters.

use pai_core::ComponentInfo;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::model::ManifestDoc;

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "https://pai-engine.dev/schemas/pipeline.schema.json";

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
    let variants: Vec<Value> = params
        .iter()
        .map(|(info, schema)| variant(info, schema.as_value()))
        .collect();
    if let Some(component) = root
        .pointer_mut("/$defs/NodeDoc/properties/component")
        .and_then(Value::as_object_mut)
    {
        component.insert("enum".into(), json!(names));
    }
    if let Some(node) = root
        .pointer_mut("/$defs/NodeDoc")
        .and_then(Value::as_object_mut)
    {
        node.insert("oneOf".into(), Value::Array(variants));
    }
    root
}

/// The variant of a node running component `info`.
fn variant(info: &ComponentInfo, params_ref: &Value) -> Value {
    let ports = |ports: &[pai_core::PortSpec]| {
        ports
            .iter()
            .map(|p| format!("`{}` ({})", p.name, p.ty))
            .collect::<Vec<_>>()
            .join(", ")
    };
    json!({
        "title": info.name,
        "description": format!(
            "{}. Inputs: {}. Outputs: {}.",
            info.summary,
            if info.inputs.is_empty() { "none".into() } else { ports(info.inputs) },
            if info.outputs.is_empty() { "none".into() } else { ports(info.outputs) },
        ),
        "properties": {
            "component": { "const": info.name },
            "params": params_ref,
            "inputs": {
                "properties": info.inputs.iter().map(|p| (p.name.to_string(), json!({"description": p.doc}))).collect::<serde_json::Map<_, _>>(),
                "additionalProperties": false
            }
        },
        "required": ["component"]
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
        node.remove("oneOf");
    }
    if let Some(component) = env
        .pointer_mut("/$defs/NodeDoc/properties/component")
        .and_then(Value::as_object_mut)
    {
        component.remove("enum");
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
            .pointer("/$defs/NodeDoc/oneOf")
            .and_then(Value::as_array)
            .unwrap();
        assert_eq!(variants.len(), pai_components::all().len());
        let split = variants.iter().find(|v| v["title"] == "split").unwrap();
        let r = split
            .pointer("/properties/params/$ref")
            .and_then(Value::as_str)
            .unwrap();
        let def = s.pointer(r.trim_start_matches('#')).unwrap();
        assert!(def.pointer("/properties/fraction/description").is_some());
        assert_eq!(def["additionalProperties"], false);
    }
}
