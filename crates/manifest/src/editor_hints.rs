//! Rewrites of the generated schema for editors (yaml-language-server and
//! the VS Code YAML extension), which complete and hover from the schema:
//!
//! - an enum that schemars writes as a `oneOf` of `const`s becomes an
//!   `enum` with one `markdownEnumDescriptions` entry per value, so that
//!   choosing the key inserts a value and hover shows the key's own
//!   description;
//! - a property with a `default` says it in its description
//!   (`default: 100`);
//! - a number with a positive minimum and no default gets that minimum as an
//!   `examples` entry, so that the inserted placeholder is a valid value
//!   instead of `0`;
//! - a string default that YAML would not read back when written plain
//!   (`,`) gets a `defaultSnippets` entry with its quoted form, since the
//!   server inserts defaults unquoted.

use serde_json::{Map, Value, json};

/// Applies every rewrite to `schema`, recursively.
pub fn apply(schema: &mut Value) {
    match schema {
        Value::Object(obj) => {
            const_one_of_to_enum(obj);
            if let Some(Value::Object(props)) = obj.get_mut("properties") {
                for prop in props.values_mut() {
                    if let Value::Object(p) = prop {
                        default_in_description(p);
                        minimum_as_example(p);
                        quoted_default_snippet(p);
                    }
                }
            }
            for child in obj.values_mut() {
                apply(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(apply),
        _ => {}
    }
}

/// `oneOf: [{const: a, description: A}, …]` → `enum: [a, …]` with
/// `markdownEnumDescriptions: [A, …]`.
fn const_one_of_to_enum(obj: &mut Map<String, Value>) {
    let Some(Value::Array(branches)) = obj.get("oneOf") else {
        return;
    };
    if branches.is_empty()
        || !branches
            .iter()
            .all(|b| b.get("const").is_some_and(Value::is_string))
    {
        return;
    }
    let values: Vec<Value> = branches.iter().map(|b| b["const"].clone()).collect();
    let docs: Vec<Value> = branches
        .iter()
        .map(|b| json!(b.get("description").and_then(Value::as_str).unwrap_or("")))
        .collect();
    obj.remove("oneOf");
    obj.insert("type".into(), json!("string"));
    obj.insert("enum".into(), Value::Array(values));
    obj.insert("markdownEnumDescriptions".into(), Value::Array(docs));
}

/// Appends `(default: X)` to the description of a property with a default.
fn default_in_description(prop: &mut Map<String, Value>) {
    let Some(default) = prop.get("default") else {
        return;
    };
    let shown = match default {
        Value::String(s) => format!("`{s}`"),
        Value::Array(a) if a.is_empty() => "none".to_string(),
        other => other.to_string(),
    };
    let note = format!("default: {shown}");
    let text = match prop.get("description").and_then(Value::as_str) {
        Some(d) if d.contains(&note) => return,
        Some(d) => format!("{} ({note})", d.trim_end()),
        None => note,
    };
    prop.insert("description".into(), json!(text));
}

/// `examples: [minimum]` for a number with a positive minimum and neither
/// a default nor examples.
fn minimum_as_example(prop: &mut Map<String, Value>) {
    if prop.contains_key("default") || prop.contains_key("examples") {
        return;
    }
    let numeric = match prop.get("type") {
        Some(Value::String(t)) => t == "integer" || t == "number",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer" || t == "number"),
        _ => false,
    };
    let Some(min) = prop.get("minimum").cloned() else {
        return;
    };
    if numeric && min.as_f64().is_some_and(|m| m > 0.0) {
        prop.insert("examples".into(), json!([min]));
    }
}

/// `defaultSnippets: [{body: "\",\""}]` for a string default that plain
/// YAML would read as something else (or not at all).
fn quoted_default_snippet(prop: &mut Map<String, Value>) {
    let Some(Value::String(default)) = prop.get("default") else {
        return;
    };
    if prop.contains_key("defaultSnippets") || reads_back_plain(default) {
        return;
    }
    // a JSON string is a YAML double-quoted scalar; the body is a snippet
    let quoted = Value::String(default.clone()).to_string();
    let body = quoted
        .replace('\\', "\\\\")
        .replace('$', "\\$")
        .replace('}', "\\}");
    prop.insert(
        "defaultSnippets".into(),
        json!([{ "label": quoted, "description": "the default", "body": body }]),
    );
}

/// Whether `key: TEXT` reads back as the string `text`.
fn reads_back_plain(text: &str) -> bool {
    serde_yaml::from_str::<serde_yaml::Value>(&format!("key: {text}"))
        .ok()
        .and_then(|doc| doc.get("key").and_then(|v| v.as_str().map(|s| s == text)))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_branches_become_an_enum_with_descriptions() {
        let mut s = json!({"description": "the format", "oneOf": [
            {"const": "csv", "description": "comma-separated"},
            {"const": "parquet"}
        ]});
        apply(&mut s);
        assert_eq!(
            s,
            json!({"description": "the format", "type": "string",
                "enum": ["csv", "parquet"],
                "markdownEnumDescriptions": ["comma-separated", ""]})
        );
    }

    #[test]
    fn defaults_are_shown_and_minimums_become_examples() {
        let mut s = json!({"properties": {
            "n": {"type": "integer", "default": 100, "description": "Rounds."},
            "cores": {"type": ["integer", "null"], "minimum": 1},
            "seed": {"type": "integer", "minimum": 0},
        }});
        apply(&mut s);
        assert_eq!(
            s["properties"]["n"]["description"],
            "Rounds. (default: 100)"
        );
        assert_eq!(s["properties"]["cores"]["examples"], json!([1]));
        assert!(s["properties"]["seed"].get("examples").is_none());
    }

    #[test]
    fn string_defaults_that_need_quotes_get_a_quoted_snippet() {
        let mut s = json!({"properties": {
            "delimiter": {"type": "string", "default": ","},
            "label": {"type": "string", "default": "1"},
            "col": {"type": "string", "default": "prediction_result"},
        }});
        apply(&mut s);
        let p = &s["properties"];
        assert_eq!(p["delimiter"]["defaultSnippets"][0]["body"], "\",\"");
        assert_eq!(p["label"]["defaultSnippets"][0]["body"], "\"1\"");
        assert!(p["col"].get("defaultSnippets").is_none());
    }
}
