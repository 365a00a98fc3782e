//! Renders a pipeline's DAG as Graphviz DOT or Mermaid.

use std::fmt::Write;

use crate::ValidatedPipeline;

/// Graphviz DOT: one box per node (`id\ncomponent`), edges labelled with ports.
pub fn dot(p: &ValidatedPipeline) -> String {
    let mut s = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, style=rounded];\n",
        p.name
    );
    for n in &p.nodes {
        let _ = writeln!(
            s,
            "  \"{}\" [label=\"{}\\n{}\"];",
            n.id,
            n.id,
            n.config.info().name
        );
    }
    for (i, n) in p.nodes.iter().enumerate() {
        for e in &n.inputs {
            let _ = writeln!(
                s,
                "  \"{}\" -> \"{}\" [label=\"{} → {}\"];",
                p.nodes[e.from].id, n.id, e.from_port, e.port
            );
        }
        for &u in n
            .upstream
            .iter()
            .filter(|&&u| !n.inputs.iter().any(|e| e.from == u))
        {
            let _ = writeln!(
                s,
                "  \"{}\" -> \"{}\" [style=dashed];",
                p.nodes[u].id, p.nodes[i].id
            );
        }
    }
    s.push_str("}\n");
    s
}

/// Mermaid flowchart.
pub fn mermaid(p: &ValidatedPipeline) -> String {
    let mut s = String::from("flowchart LR\n");
    for n in &p.nodes {
        let _ = writeln!(
            s,
            "  {}[\"{}<br/><i>{}</i>\"]",
            n.id,
            n.id,
            n.config.info().name
        );
    }
    for n in &p.nodes {
        for e in &n.inputs {
            let _ = writeln!(
                s,
                "  {} -- \"{} → {}\" --> {}",
                p.nodes[e.from].id, e.from_port, e.port, n.id
            );
        }
        for &u in n
            .upstream
            .iter()
            .filter(|&&u| !n.inputs.iter().any(|e| e.from == u))
        {
            let _ = writeln!(s, "  {} -.-> {}", p.nodes[u].id, n.id);
        }
    }
    s
}
