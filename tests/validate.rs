//! End-to-end tests of `pai-engine validate` and `pai-engine schema`: the
//! exact diagnostics for each validation rule, the committed schema, and
//! the example pipelines.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Ws, example_pipelines, repo, stderr, stdout};

/// Validates one negative manifest and returns its diagnostic lines.
fn diagnostics(name: &str) -> Vec<String> {
    let ws = Ws::new();
    let file = repo().join("tests/manifests/invalid").join(name);
    let out = ws
        .cmd(&["validate", file.to_str().unwrap()])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let prefix = format!("error: {}", file.display());
    stderr(&out)
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(|l| l.replace(&prefix, "error: FILE"))
        .collect()
}

/// The registered component names, comma-separated, as `validate` lists them.
fn component_names() -> String {
    let out = Ws::new().run(&["components", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn yaml_syntax_errors_give_line_and_column() {
    assert_eq!(
        diagnostics("yaml_syntax.yaml"),
        [
            "error: FILE:10:1: invalid YAML: found unexpected end of stream, while scanning a quoted scalar that starts at 9:23"
        ]
    );
}

#[test]
fn schema_errors_are_located_and_list_allowed_values() {
    assert_eq!(
        diagnostics("schema_errors.yaml"),
        [
            r#"error: FILE:9:38: node `read`: `params.format`: "xlsx" is not allowed (allowed: "csv", "parquet")"#,
            r#"error: FILE:10:24: node `read`: `timeout_seconds`: "soon" is not of type "integer""#,
            "error: FILE:11:26: node `read`: unknown field `backof` (allowed: limit, backoff_seconds)",
        ]
    );
}

#[test]
fn duplicate_ids() {
    assert_eq!(
        diagnostics("duplicate_ids.yaml"),
        [
            "error: FILE:10:11: node `read`: duplicate node id `read` (first defined at line 7); ids must be unique"
        ]
    );
}

#[test]
fn unknown_component_suggests_and_lists() {
    assert_eq!(
        diagnostics("unknown_component.yaml"),
        [format!(
            "error: FILE:8:18: node `read`: unknown component `read_tabel`; did you mean `read_table`? (allowed: {})",
            component_names()
        )]
    );
}

#[test]
fn unknown_parameter_suggests() {
    assert_eq!(
        diagnostics("unknown_param.yaml"),
        [
            "error: FILE:13:32: node `split`: unknown parameter `sed` of `split`; did you mean `seed`? (allowed: fraction, seed)"
        ]
    );
}

#[test]
fn missing_required_parameter() {
    assert_eq!(
        diagnostics("missing_param.yaml"),
        ["error: FILE:9:15: node `read`: missing required parameter `path` of `read_table`"]
    );
}

#[test]
fn input_to_missing_node() {
    assert_eq!(
        diagnostics("missing_node.yaml"),
        [
            "error: FILE:12:23: node `save`: input `data` refers to unknown node `raed`; did you mean `read`?"
        ]
    );
}

#[test]
fn missing_ports() {
    assert_eq!(
        diagnostics("missing_port.yaml"),
        [
            "error: FILE:12:23: node `split`: input `data` refers to `read.outputs`, but `read` (`read_table`) has no output port `outputs`; did you mean `output`? (allowed: output)",
            "error: FILE:15:18: node `save`: missing required input `data` (table) of `write_table`; wire it with `inputs: { data: NODE.PORT }`",
            "error: FILE:16:17: node `save`: `write_table` has no input port `table` (allowed: data)",
        ]
    );
}

#[test]
fn cycles_are_reported_with_their_path() {
    assert_eq!(
        diagnostics("cycle.yaml"),
        ["error: FILE:7:11: node `a`: the pipeline has a cycle: a -> b -> c -> a"]
    );
}

#[test]
fn every_problem_in_a_file_is_reported() {
    let d = diagnostics("many_errors.yaml");
    let expected = [
        "error: FILE:4:9: `metadata.name`: value does not match `^[a-z][a-z0-9-]{0,62}$`",
        "error: FILE:5:3: unknown field `colour` (allowed: name, project, description)",
        "error: FILE:7:16: `spec.parallelism`: 0 is less than the minimum of 1",
        &format!(
            "error: FILE:10:18: node `read`: unknown component `read_tabel`; did you mean `read_table`? (allowed: {})",
            component_names()
        ),
        "error: FILE:15:15: node `split`: missing required parameter `fraction` of `split`",
        "error: FILE:15:17: node `split`: unknown parameter `fractoin` of `split`; did you mean `fraction`? (allowed: fraction, seed)",
        "error: FILE:16:11: node `split`: duplicate node id `split` (first defined at line 12); ids must be unique",
        "error: FILE:18:23: node `split`: input `data` refers to unknown node `nowhere`",
        "error: FILE:19:27: node `split`: `params.fraction`: 2 is greater than the maximum of 1.0",
        "error: FILE:22:23: node `save`: input `data` refers to `split.outptu`, but `split` (`split`) has no output port `outptu`; did you mean `output1`? (allowed: output1, output2)",
        r#"error: FILE:23:38: node `save`: `params.format`: "xlsx" is not allowed (allowed: "csv", "parquet")"#,
        "error: FILE:24:26: node `save`: unknown field `backof` (allowed: limit, backoff_seconds)",
    ];
    assert_eq!(d, expected);
}

#[test]
fn validation_output_as_json() {
    let ws = Ws::new();
    let file = repo().join("tests/manifests/invalid/duplicate_ids.yaml");
    let out = ws.run(&["validate", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &v["errors"][0];
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(10), Some(11))
    );
    assert_eq!(e["node"], "read");
    assert_eq!(e["field"], "id");
}

#[test]
fn committed_schema_is_current() {
    let ws = Ws::new();
    let out = ws.run(&["schema"]);
    assert!(out.status.success());
    let generated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/pipeline.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(
        generated == committed,
        "schemas/pipeline.schema.json is stale: regenerate it with `cargo run -- schema > schemas/pipeline.schema.json` (or `just schema`)"
    );
    // one variant per component, each with its params' descriptions
    let variants = generated
        .pointer("/$defs/NodeDoc/allOf")
        .and_then(|v| v.as_array())
        .unwrap();
    let names: Vec<&str> = variants
        .iter()
        .map(|v| v["title"].as_str().unwrap())
        .collect();
    let listed = ws.run(&["components", "--format", "json"]);
    let comps: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let comp_names: Vec<&str> = comps
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, comp_names);
}

#[test]
fn examples_validate_against_the_committed_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/pipeline.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for f in example_pipelines() {
        let doc: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/pipeline.schema.json"),
            "{}",
            f.display()
        );
    }
    // and the committed schema rejects what `validate` rejects
    let bad: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo().join("tests/manifests/invalid/unknown_param.yaml"))
            .unwrap(),
    )
    .unwrap();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn examples_pass_validate() {
    let ws = Ws::new();
    for f in example_pipelines() {
        let out = ws.run(&["validate", f.to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", f.display(), stderr(&out));
        assert!(stdout(&out).contains(": ok ("));
    }
}

#[test]
fn graph_renders_dot_and_mermaid() {
    let ws = Ws::new();
    let f = repo().join("pipelines/iris_split.yaml");
    let dot = stdout(&ws.run(&["graph", f.to_str().unwrap(), "--format", "dot"]));
    assert!(dot.starts_with("digraph \"iris-split\""), "{dot}");
    assert!(
        dot.contains("\"read\" -> \"split\" [label=\"output → data\"]"),
        "{dot}"
    );
    let mm = stdout(&ws.run(&["graph", f.to_str().unwrap(), "--format", "mermaid"]));
    assert!(mm.starts_with("flowchart LR"));
    assert!(
        mm.contains("split -- \"output1 → data\" --> save_train"),
        "{mm}"
    );
}

#[test]
fn components_lists_ports_and_params() {
    let ws = Ws::new();
    let out = stdout(&ws.run(&["components", "split"]));
    assert!(out.contains("inputs:  data:table"), "{out}");
    assert!(
        out.contains("outputs: output1:table output2:table"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("fraction") && l.contains("yes")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("seed") && l.contains(" 0 ")),
        "{out}"
    );
    let bad = ws.run(&["components", "splt"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("did you mean `split`?"));
}

#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    // The schema (77 KB) is more than a pipe holds, so its writing meets the
    // closed pipe whenever the read end is closed.
    let ws = Ws::new();
    let mut child = ws
        .cmd(&["schema"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The `validate` output the README's Validation section shows.
fn readme_validate_example() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = "$ pai-engine validate pipelines/invalid/bad.yaml\n";
    let at = readme
        .find(start)
        .expect("the README shows `validate` on bad.yaml")
        + start.len();
    let len = readme[at..].find("```").unwrap();
    readme[at..at + len].to_string()
}

#[test]
fn the_invalid_example_prints_what_the_readme_shows() {
    let out = Ws::new()
        .cmd(&["validate", "pipelines/invalid/bad.yaml"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        [
            "error: pipelines/invalid/bad.yaml:21:9: node `split`: unknown parameter `sed` of `split`; did you mean `seed`? (allowed: fraction, seed)",
            "error: pipelines/invalid/bad.yaml:25:15: node `save`: input `data` refers to `split.outptu`, but `split` (`split`) has no output port `outptu`; did you mean `output1`? (allowed: output1, output2)",
            "2 errors found",
        ]
    );
    assert_eq!(printed, readme_validate_example());
}
