//! The editor experience, measured with the real yaml-language-server (the
//! server behind VS Code's YAML extension, Neovim, Helix, Zed…), pinned in
//! `tests/lsp/package.json`: completion of components, params, enum values
//! and ports, hover, one diagnostic per classic mistake, no diagnostic on
//! the examples, and completion items that insert valid YAML. Documents get
//! the schema through the modeline; they are opened under `pipelines/` (they
//! need not exist on disk) so that `../schemas/pipeline.schema.json`
//! resolves to the repository's schema.
//!
//! Skipped visibly without Node.js or the installed package.

#![allow(clippy::unwrap_used)]

#[path = "lsp/client.rs"]
mod client;
#[path = "lsp/edit.rs"]
mod edit;

use std::collections::BTreeSet;

use client::Client;
use serde_json::Value;

use crate::common::{Ws, repo};

/// LSP `CompletionItemKind`s.
const KIND_CLASS: u64 = 7;
const KIND_PROPERTY: u64 = 10;

const MODELINE: &str = "# yaml-language-server: $schema=../schemas/pipeline.schema.json\n";

/// A document with the header and `nodes` (lines 0-6 are the header, the
/// first node starts on line 7).
fn doc(nodes: &str) -> String {
    format!(
        "{MODELINE}apiVersion: pai-engine/v1\nkind: Pipeline\nmetadata:\n  name: lsp-check\nspec:\n  nodes:\n{nodes}"
    )
}

/// Node.js and the server, or `None` (after a visible skip).
fn server() -> Option<Client> {
    let node = pai_testkit::find_program("node");
    let script = client::server_script(&repo());
    let missing = match &node {
        None => Some("`node` was not found".to_string()),
        Some(_) if !script.is_file() => Some(format!("`{}` is not installed", script.display())),
        Some(_) => None,
    };
    let enable = "`npm ci --prefix tests/lsp` (needs Node.js 18+)";
    if !pai_testkit::require("yaml-language-server", missing, enable) {
        return None;
    }
    Some(Client::start(&node?, &repo()))
}

/// A URI under `pipelines/` for a document that need not exist.
fn uri(name: &str) -> String {
    client::file_uri(&repo().join("pipelines").join(format!("lsp-{name}.yaml")))
}

/// The text without its `|` cursor marker, and the cursor's line and column.
fn cursor(marked: &str) -> (String, usize, usize) {
    let at = marked.find('|').unwrap();
    let before = &marked[..at];
    let line = before.matches('\n').count();
    let col = at - before.rfind('\n').map_or(0, |n| n + 1);
    (marked.replacen('|', "", 1), line, col)
}

/// `pai-engine components --format json`.
fn components() -> Vec<Value> {
    let out = Ws::new().run(&["components", "--format", "json"]);
    assert!(out.status.success());
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The text of a hover or an item's documentation, without the
/// backslashes that escape Markdown.
fn text_of(v: &Value) -> String {
    client::text_of(v).replace('\\', "")
}

fn labels(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

fn item<'a>(items: &'a [Value], label: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no completion `{label}` in {:?}", labels(items)))
}

/// Completes at the cursor of `marked` and checks that every item inserts
/// valid YAML; returns the items and, for each, the document it makes.
fn complete(lsp: &mut Client, name: &str, marked: &str) -> Vec<(Value, serde_yaml::Value)> {
    let (text, line, col) = cursor(marked);
    let uri = uri(name);
    lsp.open(&uri, &text);
    let items = lsp.completion(&uri, line, col);
    assert!(!items.is_empty(), "no completion in {name}:\n{marked}");
    items
        .into_iter()
        .map(|item| {
            let applied = edit::apply(&text, line, col, &item);
            let parsed = serde_yaml::from_str(&applied).unwrap_or_else(|e| {
                panic!(
                    "{name}: completion `{}` makes invalid YAML ({e}):\n{applied}",
                    item["label"]
                )
            });
            (item, parsed)
        })
        .collect()
}

fn only_items(pairs: &[(Value, serde_yaml::Value)]) -> Vec<Value> {
    pairs.iter().map(|(i, _)| i.clone()).collect()
}

#[test]
fn top_level_keys_and_api_version_complete_with_values() {
    let Some(mut lsp) = server() else { return };
    let pairs = complete(&mut lsp, "top", &format!("{MODELINE}|"));
    let got = labels(&only_items(&pairs));
    for key in ["apiVersion", "kind", "metadata", "spec"] {
        assert!(got.contains(key), "{got:?}");
    }
    let (_, api) = pairs
        .iter()
        .find(|(i, _)| i["label"] == "apiVersion")
        .unwrap();
    assert_eq!(api["apiVersion"], "pai-engine/v1", "{api:?}");
    let (_, kind) = pairs.iter().find(|(i, _)| i["label"] == "kind").unwrap();
    assert_eq!(kind["kind"], "Pipeline", "{kind:?}");
    let values = complete(&mut lsp, "api", &format!("{MODELINE}apiVersion: |\n"));
    assert_eq!(
        labels(&only_items(&values)),
        BTreeSet::from(["pai-engine/v1".to_string()])
    );
    // the key's own description, not its value's
    let text = doc("    - id: a\n      component: delay\n");
    lsp.open(&uri("hover-api"), &text);
    let hover = lsp.hover(&uri("hover-api"), 1, 3).replace('\\', "");
    assert!(hover.contains("The manifest format version"), "{hover}");
}

#[test]
fn components_params_enums_and_ports_complete_with_descriptions() {
    let Some(mut lsp) = server() else { return };
    let comps = components();
    // the component names, each with its one-line description
    let pairs = complete(
        &mut lsp,
        "component",
        &doc("    - id: a\n      component: |\n"),
    );
    let items = only_items(&pairs);
    let names: BTreeSet<String> = comps
        .iter()
        .map(|c| c["name"].as_str().unwrap().into())
        .collect();
    assert_eq!(labels(&items), names);
    for c in &comps {
        let docs = text_of(&item(&items, c["name"].as_str().unwrap())["documentation"]);
        assert!(
            docs.contains(c["summary"].as_str().unwrap()),
            "{}: {docs}",
            c["name"]
        );
    }
    for c in &comps {
        let name = c["name"].as_str().unwrap();
        // inside `params`, exactly the component's params, with their descriptions
        let marked = doc(&format!(
            "    - id: a\n      component: {name}\n      params:\n        |\n"
        ));
        let pairs = complete(&mut lsp, &format!("params-{name}"), &marked);
        let params: BTreeSet<String> = c["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().into())
            .collect();
        let required: BTreeSet<String> = c["params"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["required"] == true)
            .map(|p| p["name"].as_str().unwrap().into())
            .collect();
        // besides one item per param, the server offers the skeleton of the
        // required params (an item of kind Class) when there are some
        let (skeletons, properties): (Vec<_>, Vec<_>) =
            pairs.iter().partition(|(i, _)| i["kind"] == KIND_CLASS);
        let items: Vec<Value> = properties.iter().map(|(i, _)| i.clone()).collect();
        assert_eq!(labels(&items), params, "params of `{name}`");
        assert!(
            items.iter().all(|i| i["kind"] == KIND_PROPERTY),
            "{items:?}"
        );
        assert!(
            skeletons.len() <= usize::from(!required.is_empty()),
            "{skeletons:?}"
        );
        for (_, applied) in skeletons {
            let keys: BTreeSet<String> = applied["spec"]["nodes"][0]["params"]
                .as_mapping()
                .unwrap()
                .keys()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            assert_eq!(keys, required, "the required params of `{name}`");
        }
        for p in c["params"].as_array().unwrap() {
            let label = p["name"].as_str().unwrap();
            let i = item(&items, label);
            let docs = text_of(&i["documentation"]);
            assert!(
                docs.contains(p["description"].as_str().unwrap()),
                "{name}.{label}: {docs}"
            );
            let (_, applied) = pairs.iter().find(|(i, _)| i["label"] == label).unwrap();
            let params = &applied["spec"]["nodes"][0]["params"];
            assert!(params.get(label).is_some(), "{name}.{label}: {params:?}");
        }
        // inside `inputs`, exactly its input ports, each inserted as a key
        let ports: BTreeSet<String> = c["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().into())
            .collect();
        if ports.is_empty() {
            continue;
        }
        let marked = doc(&format!(
            "    - id: a\n      component: {name}\n      inputs:\n        |\n"
        ));
        let pairs = complete(&mut lsp, &format!("inputs-{name}"), &marked);
        assert_eq!(labels(&only_items(&pairs)), ports, "inputs of `{name}`");
        for (i, applied) in &pairs {
            let port = i["label"].as_str().unwrap();
            assert!(
                text_of(&i["documentation"]).contains("NODE.PORT"),
                "{name}.{port}"
            );
            let inputs = &applied["spec"]["nodes"][0]["inputs"];
            assert!(inputs.get(port).is_some(), "{name}.{port}: {inputs:?}");
        }
    }
    // a node's own fields insert valid values
    let marked = doc("    - id: a\n      component: split\n      |\n");
    let pairs = complete(&mut lsp, "node-fields", &marked);
    let (_, t) = pairs
        .iter()
        .find(|(i, _)| i["label"] == "timeout_seconds")
        .unwrap();
    assert!(
        t["spec"]["nodes"][0]["timeout_seconds"].as_u64().unwrap() >= 1,
        "{t:?}"
    );
    // enum values of params
    for (component, param, values) in [
        ("model_export", "export_type", ["original", "pmml"]),
        ("read_table", "format", ["csv", "parquet"]),
    ] {
        let marked = doc(&format!(
            "    - id: a\n      component: {component}\n      params:\n        {param}: |\n"
        ));
        let pairs = complete(&mut lsp, &format!("enum-{param}"), &marked);
        // an optional param (`format`) may also be written `null`
        let mut got = labels(&only_items(&pairs));
        got.remove("null");
        assert_eq!(
            got,
            values.iter().map(|v| v.to_string()).collect(),
            "{component}.{param}"
        );
    }
}

#[test]
fn hover_on_a_param_shows_its_description() {
    let Some(mut lsp) = server() else { return };
    let text = doc("    - id: a\n      component: split\n      params:\n        fraction: 0.5\n");
    lsp.open(&uri("hover"), &text);
    let hover = lsp.hover(&uri("hover"), 10, 10).replace('\\', "");
    assert!(
        hover.contains("The share of rows sent to `output1`"),
        "{hover}"
    );
}

/// A valid two-node document; each classic mistake below changes one line.
const VALID: &str = "    - id: read
      component: read_table
      params:
        path: ../data/iris.csv
        format: csv
    - id: split
      component: split
      inputs:
        data: read.output
      params:
        fraction: 0.8
        seed: 7
";

#[test]
fn each_classic_mistake_is_one_diagnostic_at_its_line() {
    let Some(mut lsp) = server() else { return };
    let valid = doc(VALID);
    assert_eq!(lsp.open(&uri("valid"), &valid), Vec::<Value>::new());
    // (name, line to replace, replacement, 0-based line of the diagnostic)
    let mistakes = [
        ("unknown-param", "        seed: 7\n", "        sed: 7\n", 18),
        (
            "wrong-type",
            "        fraction: 0.8\n",
            "        fraction: lots\n",
            17,
        ),
        (
            "unknown-component",
            "      component: split\n",
            "      component: splt\n",
            13,
        ),
        (
            "bad-enum",
            "        format: csv\n",
            "        format: xlsx\n",
            11,
        ),
        ("missing-required", "        fraction: 0.8\n", "", 16),
    ];
    for (name, from, to, line) in mistakes {
        let text = valid.replacen(from, to, 1);
        assert_ne!(text, valid);
        let diags = lsp.open(&uri(name), &text);
        assert_eq!(diags.len(), 1, "{name}: {diags:#?}");
        assert_eq!(
            diags[0]["range"]["start"]["line"], line,
            "{name}: {diags:#?}"
        );
    }
}

#[test]
fn example_manifests_have_no_diagnostics() {
    let Some(mut lsp) = server() else { return };
    for f in &crate::common::example_pipelines() {
        let diags = lsp.open(&client::file_uri(f), &std::fs::read_to_string(f).unwrap());
        assert!(diags.is_empty(), "{}: {diags:#?}", f.display());
    }
    // and the deliberately invalid one has its unknown parameter flagged
    let bad = repo().join("pipelines/invalid/bad.yaml");
    let diags = lsp.open(
        &client::file_uri(&bad),
        &std::fs::read_to_string(&bad).unwrap(),
    );
    assert!(
        diags
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("sed")),
        "{diags:#?}"
    );
}
