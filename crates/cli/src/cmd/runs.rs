//! `pai-engine runs list|show|logs`

use std::process::ExitCode;

use pai_store::Catalog;
use serde_json::json;

use crate::output::{Format, human_ms, print_json, print_table};

/// The `runs` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// List recent runs, newest first.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// How many runs to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show a run: each node's state, duration, error, outputs and metrics.
    Show {
        /// The run id (a unique prefix is enough).
        run_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the logs of a run, or of one node.
    Logs {
        /// The run id (a unique prefix is enough).
        run_id: String,
        /// Only this node.
        node: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Runs a `runs` subcommand.
pub fn run(cmd: RunsCommand) -> anyhow::Result<ExitCode> {
    // reading changes nothing: without a catalog there is no run to show
    let Some(catalog) = super::workspace()?.existing_catalog()? else {
        return no_runs_yet(cmd);
    };
    match cmd {
        RunsCommand::List { format, limit } => {
            let runs = catalog.list_runs(limit)?;
            if format == Format::Json {
                print_json(&runs)?;
            } else {
                let rows: Vec<Vec<String>> = runs
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.clone(),
                            r.pipeline.clone(),
                            r.kind.clone(),
                            r.state.to_string(),
                            r.started_at.clone(),
                            r.resumed_from.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "RUN",
                        "PIPELINE",
                        "KIND",
                        "STATE",
                        "STARTED",
                        "RESUMED FROM",
                    ],
                    &rows,
                );
            }
        }
        RunsCommand::Show { run_id, format } => {
            let run = catalog.get_run(&run_id)?;
            let nodes = catalog.node_runs(&run.id)?;
            if format == Format::Json {
                print_json(&json!({ "run": run, "nodes": nodes }))?;
            } else {
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
                if let Some(r) = &run.resumed_from {
                    println!("resumed:   from {r}");
                }
                if let Some(e) = &run.error {
                    println!("error:     {e}");
                }
                println!();
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
                for n in &nodes {
                    if n.outputs.is_empty() && n.metrics.is_none() {
                        continue;
                    }
                    println!("\n{}:", n.node_id);
                    for a in &n.outputs {
                        println!(
                            "  output {} ({}): {} [{} bytes, {}]",
                            a.port,
                            a.kind,
                            a.path.display(),
                            a.size,
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
            }
        }
        RunsCommand::Logs {
            run_id,
            node,
            format,
        } => {
            let run = catalog.get_run(&run_id)?;
            let lines = catalog.logs(&run.id, node.as_deref())?;
            if format == Format::Json {
                print_json(&lines.iter().map(|(n, l)| json!({"node": n, "ts": l.ts, "level": l.level, "message": l.message})).collect::<Vec<_>>())?;
            } else {
                for (n, l) in &lines {
                    println!("{} {:<5} {n}: {}", l.ts, l.level, l.message);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What the `runs` subcommands say where nothing was ever recorded.
fn no_runs_yet(cmd: RunsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RunsCommand::List { format, .. } => {
            if format == Format::Json {
                print_json(&Vec::<()>::new())?;
            } else {
                eprintln!("no runs yet; run a pipeline with `pai-engine run FILE`");
            }
            Ok(ExitCode::SUCCESS)
        }
        RunsCommand::Show { run_id, .. } | RunsCommand::Logs { run_id, .. } => {
            anyhow::bail!(
                "no run `{run_id}`: no runs yet in this workspace; run a pipeline with `pai-engine run FILE`"
            )
        }
    }
}
