//! The README's crate graph matches the workspace: the block between
//! `<!-- crate-graph:start -->` and `<!-- crate-graph:end -->` is built here
//! from `cargo metadata` exactly as `scripts/crate_graph.py` builds it (one
//! node per workspace crate, one edge per workspace-internal normal
//! dependency, `xtask` and `pai-testkit` left out, both sorted by name).

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::repo;

const START: &str = "<!-- crate-graph:start -->";
const END: &str = "<!-- crate-graph:end -->";
const SKIPPED: [&str; 2] = ["xtask", "pai-testkit"];

/// A Mermaid node id: the crate name with `-` as `_`.
fn node_id(name: &str) -> String {
    name.replace('-', "_")
}

/// The ```mermaid block (ending with a newline), as `crate_graph.py` prints it.
fn graph(metadata: &serde_json::Value) -> String {
    let packages = metadata["packages"].as_array().unwrap();
    let names: BTreeSet<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .filter(|n| !SKIPPED.contains(n))
        .collect();
    let mut edges = BTreeSet::new();
    for package in packages {
        let name = package["name"].as_str().unwrap();
        if !names.contains(name) {
            continue;
        }
        for dep in package["dependencies"].as_array().unwrap() {
            let dep_name = dep["name"].as_str().unwrap();
            let normal = dep["kind"].is_null();
            let local = dep["path"].as_str().is_some_and(|p| !p.is_empty());
            if normal && local && names.contains(dep_name) {
                edges.insert((name, dep_name));
            }
        }
    }
    let mut lines = vec!["```mermaid".to_string(), "graph TD".to_string()];
    lines.extend(names.iter().map(|n| format!("    {}[\"{n}\"]", node_id(n))));
    lines.extend(
        edges
            .iter()
            .map(|(a, b)| format!("    {} --> {}", node_id(a), node_id(b))),
    );
    lines.push("```".to_string());
    lines.join("\n") + "\n"
}

#[test]
fn readme_crate_graph_is_current() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = graph(&metadata);

    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find(START)
        .unwrap_or_else(|| panic!("README.md has no {START} marker"))
        + START.len();
    let end = readme
        .find(END)
        .unwrap_or_else(|| panic!("README.md has no {END} marker"));
    assert!(
        start <= end,
        "README.md's crate-graph markers are out of order"
    );
    let found = readme[start..end]
        .strip_prefix('\n')
        .unwrap_or(&readme[start..end]);
    assert!(
        found == want,
        "README.md's crate graph is out of date: run `python3 scripts/crate_graph.py --write`\n\
         --- README.md\n{found}--- cargo metadata\n{want}"
    );
}
