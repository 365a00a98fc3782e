//! `pai-engine schema`, `graph` and `components`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::ValueEnum;
use serde_json::{Value, json};

use crate::output::{Format, print_json, print_table};

/// Prints the manifest JSON Schema.
pub fn schema() -> anyhow::Result<ExitCode> {
    print_json(&pai_manifest::manifest_schema())?;
    Ok(ExitCode::SUCCESS)
}

/// Graph output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// Arguments of `graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The manifest.
    file: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
}

/// Prints the DAG of a manifest.
pub fn graph(args: &GraphArgs) -> anyhow::Result<ExitCode> {
    let Some(p) = super::load_manifest(&args.file) else {
        return Ok(ExitCode::from(1));
    };
    print!(
        "{}",
        match args.format {
            GraphFormat::Dot => pai_manifest::render::dot(&p),
            GraphFormat::Mermaid => pai_manifest::render::mermaid(&p),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `components`.
#[derive(Debug, clap::Args)]
pub struct ComponentsArgs {
    /// A component to describe in full.
    name: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Lists components with their ports and parameters, from the schema types.
pub fn components(args: &ComponentsArgs) -> anyhow::Result<ExitCode> {
    let schema = pai_manifest::manifest_schema();
    let mut list: Vec<Value> = pai_components::all()
        .iter()
        .map(|c| {
            let params = params_of(&schema, c.name);
            json!({ "name": c.name, "summary": c.summary, "inputs": c.inputs, "outputs": c.outputs, "params": params })
        })
        .collect();
    if let Some(name) = &args.name {
        list.retain(|c| c["name"] == name.as_str());
        if list.is_empty() {
            let names: Vec<&str> = pai_components::all().iter().map(|c| c.name).collect();
            let hint = pai_core::suggest(name, names.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            bail!(
                "unknown component `{name}`{hint} (available: {})",
                names.join(", ")
            );
        }
    }
    if args.format == Format::Json {
        print_json(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.name.is_none() {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|c| {
                vec![
                    str_of(&c["name"]),
                    ports(&c["inputs"]),
                    ports(&c["outputs"]),
                    str_of(&c["summary"]),
                ]
            })
            .collect();
        print_table(&["COMPONENT", "INPUTS", "OUTPUTS", "SUMMARY"], &rows);
        return Ok(ExitCode::SUCCESS);
    }
    for c in &list {
        println!("{} — {}\n", str_of(&c["name"]), str_of(&c["summary"]));
        println!("inputs:  {}", ports(&c["inputs"]));
        println!("outputs: {}\n", ports(&c["outputs"]));
        let rows: Vec<Vec<String>> = c["params"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        vec![
                            str_of(&p["name"]),
                            str_of(&p["type"]),
                            if p["required"] == true {
                                "yes".into()
                            } else {
                                "no".into()
                            },
                            p.get("default")
                                .map_or_else(|| "-".into(), Value::to_string),
                            str_of(&p["description"]),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default();
        print_table(
            &["PARAM", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"],
            &rows,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn str_of(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn ports(v: &Value) -> String {
    let list: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    format!(
                        "{}:{}{}",
                        str_of(&p["name"]),
                        str_of(&p["type"]),
                        if p["required"] == true { "" } else { "?" }
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() {
        "-".into()
    } else {
        list.join(" ")
    }
}

/// The params of a component, read from the generated schema.
fn params_of(schema: &Value, component: &str) -> Vec<Value> {
    let Some(r) = pai_manifest::params_ref(schema, component) else {
        return Vec::new();
    };
    let Some(def) = schema.pointer(r.trim_start_matches('#')) else {
        return Vec::new();
    };
    let required: Vec<&str> = def["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    def["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| {
                    let mut o = json!({
                        "name": name,
                        "type": type_of(schema, p),
                        "required": required.contains(&name.as_str()),
                        "description": description_of(p),
                    });
                    if let Some(d) = p.get("default") {
                        o["default"] = d.clone();
                    }
                    o
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A param's description without the `(default: …)` the schema adds for
/// editors: the listing has a column for the default.
fn description_of(p: &Value) -> Value {
    let Some(d) = p.get("description").and_then(Value::as_str) else {
        return Value::Null;
    };
    let plain = match d.rsplit_once(" (default: ") {
        Some((head, tail)) if p.get("default").is_some() && tail.ends_with(')') => head,
        _ => d,
    };
    Value::String(plain.to_string())
}

fn type_of(schema: &Value, p: &Value) -> String {
    if let Some(r) = p.get("$ref").and_then(Value::as_str)
        && let Some(def) = schema.pointer(r.trim_start_matches('#'))
    {
        if let Some(e) = def.get("enum").and_then(Value::as_array) {
            return e.iter().map(str_of).collect::<Vec<_>>().join("|");
        }
        return type_of(schema, def);
    }
    if let Some(any) = p.get("anyOf").and_then(Value::as_array) {
        return any
            .iter()
            .map(|s| type_of(schema, s))
            .filter(|t| t != "null")
            .collect::<Vec<_>>()
            .join("|");
    }
    match p.get("type") {
        Some(Value::Array(ts)) => ts
            .iter()
            .map(str_of)
            .filter(|t| t != "null")
            .collect::<Vec<_>>()
            .join("|"),
        Some(t) => str_of(t),
        None => "any".into(),
    }
}
