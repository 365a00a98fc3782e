//! The text of `pai-engine runs show`: compact by default (one line per
//! node with its state, duration and headline metrics, then where the
//! results are), every detail with `--full`.

use pai_store::{NodeRecord, RunRecord};

use crate::output::{human_ms, print_table};
use crate::summary;

/// One line per fact: states, durations, headline metrics, results.
pub fn print_compact(run: &RunRecord, nodes: &[NodeRecord]) {
    println!("run:       {} ({})", run.id, run.pipeline);
    println!("state:     {}", run.state);
    println!(
        "started:   {}{}",
        run.started_at,
        took(run)
            .map(|t| format!(" (took {t})"))
            .unwrap_or_default()
    );
    print_resumed_and_error(run);
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            vec![
                n.node_id.clone(),
                summary::state_label(n),
                human_ms(n.duration_ms),
                summary::headline(n.metrics.as_ref()).unwrap_or_default(),
            ]
        })
        .collect();
    print_table(&["NODE", "STATE", "DURATION", "METRICS"], &rows);
    let finals = final_nodes(run, nodes);
    let is_final = |id: &str| finals.as_ref().is_none_or(|f| f.iter().any(|n| n == id));
    let lines = summary::result_lines(nodes, &is_final);
    if !lines.is_empty() {
        println!();
        for l in lines {
            println!("{l}");
        }
    }
    println!("\n(`--full` shows every output, metric and error)");
}

/// The run's wall time, from its recorded start and end (unknown for an
/// abandoned run).
fn took(run: &RunRecord) -> Option<String> {
    if run.state == pai_core::RunState::Abandoned {
        // it ended when it was found abandoned, not when its process died
        return None;
    }
    let start = chrono::DateTime::parse_from_rfc3339(&run.started_at).ok()?;
    let end = chrono::DateTime::parse_from_rfc3339(run.ended_at.as_deref()?).ok()?;
    let ms = (end - start).num_milliseconds();
    Some(human_ms(u64::try_from(ms).ok()))
}

/// The ids of the run's final nodes (those no other node reads), from its
/// manifest when that is unchanged since the run; `None` when unknown.
fn final_nodes(run: &RunRecord, nodes: &[NodeRecord]) -> Option<Vec<String>> {
    let pipeline = pai_manifest::load(std::path::Path::new(&run.manifest_path)).ok()?;
    if pipeline.sha256 != run.manifest_sha256 || pipeline.nodes.len() != nodes.len() {
        return None;
    }
    Some(
        pipeline
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| !pipeline.nodes.iter().any(|n| n.upstream.contains(i)))
            .map(|(_, n)| n.id.clone())
            .collect(),
    )
}

/// Everything: provenance, attempts and errors, each output with its size
/// and digest, and all metrics.
pub fn print_full(run: &RunRecord, nodes: &[NodeRecord]) -> anyhow::Result<()> {
    println!("run:       {}", run.id);
    println!("pipeline:  {} ({})", run.pipeline, run.manifest_path);
    println!("project:   {}", run.project);
    println!("state:     {}", run.state);
    println!("started:   {}", run.started_at);
    println!("ended:     {}", run.ended_at.as_deref().unwrap_or("-"));
    if let Some(c) = &run.git_commit {
        println!(
            "git:       {c}{}",
            if run.git_dirty { " (dirty)" } else { "" }
        );
    }
    println!("manifest:  sha256:{}", run.manifest_sha256);
    if let Some(o) = &run.owner {
        println!("owner:     {o}");
    }
    print_resumed_and_error(run);
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            vec![
                n.node_id.clone(),
                n.component.clone(),
                n.state.to_string(),
                n.attempts.to_string(),
                human_ms(n.duration_ms),
                n.reused_from
                    .clone()
                    .map(|r| format!("reused from {r}"))
                    .unwrap_or_else(|| n.error.clone().unwrap_or_default()),
            ]
        })
        .collect();
    print_table(
        &[
            "NODE",
            "COMPONENT",
            "STATE",
            "ATTEMPTS",
            "DURATION",
            "ERROR / NOTE",
        ],
        &rows,
    );
    for n in nodes {
        if n.outputs.is_empty() && n.metrics.is_none() {
            continue;
        }
        println!("\n{}:", n.node_id);
        for a in &n.outputs {
            println!(
                "  output {} ({}): {} [{}, {}]",
                a.port,
                a.kind,
                a.path.display(),
                summary::plural(
                    usize::try_from(a.size).unwrap_or(usize::MAX),
                    "byte",
                    "bytes"
                ),
                a.digest
            );
        }
        if let Some(m) = &n.metrics {
            println!(
                "  metrics: {}",
                serde_json::to_string_pretty(m)?.replace('\n', "\n  ")
            );
        }
    }
    Ok(())
}

/// The lines both views end the header with: where a resumed run came
/// from, and the run's error; then a blank line.
fn print_resumed_and_error(run: &RunRecord) {
    if let Some(r) = &run.resumed_from {
        println!("resumed:   from {r}");
    }
    if let Some(e) = &run.error {
        println!("error:     {e}");
    }
    println!();
}
