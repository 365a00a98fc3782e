//! `pai-engine runs list|show|logs`

use std::process::ExitCode;

use pai_store::Catalog;
use serde_json::json;

use crate::output::{Format, print_json, print_table};

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
    /// Show a run: each node's state, duration and headline metrics, and
    /// where the results are (`--full`: every detail).
    Show {
        /// The run: its id, a unique prefix of it, `latest`, or
        /// `PIPELINE@latest`.
        run_id: String,
        /// Everything: run provenance, attempts, errors, every output with
        /// size and digest, all metrics.
        #[arg(long)]
        full: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the logs of a run, or of one node, with the errors of its
    /// failed nodes.
    Logs {
        /// The run: its id, a unique prefix of it, `latest`, or
        /// `PIPELINE@latest`.
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
    super::reap(&catalog);
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
        RunsCommand::Show {
            run_id,
            format,
            full,
        } => {
            let run = catalog.get_run(&run_id)?;
            let nodes = catalog.node_runs(&run.id)?;
            if format == Format::Json {
                print_json(&json!({ "run": run, "nodes": nodes }))?;
            } else if full {
                super::runs_show::print_full(&run, &nodes)?;
            } else {
                super::runs_show::print_compact(&run, &nodes);
            }
        }
        RunsCommand::Logs {
            run_id,
            node,
            format,
        } => {
            let run = catalog.get_run(&run_id)?;
            if let Some(n) = &node
                && !catalog.node_runs(&run.id)?.iter().any(|r| &r.node_id == n)
            {
                anyhow::bail!(
                    "run `{}` has no node `{n}`; `pai-engine runs show {}` lists its nodes",
                    run.id,
                    run.id
                );
            }
            let mut lines = catalog.logs(&run.id, node.as_deref())?;
            // the recorded error of each failed node, as its last line
            for n in catalog.node_runs(&run.id)? {
                if node.as_ref().is_some_and(|only| only != &n.node_id) {
                    continue;
                }
                if let Some(error) = n
                    .error
                    .filter(|_| n.state != pai_core::NodeState::Succeeded)
                {
                    let ts = n.ended_at.unwrap_or_default();
                    let line = pai_core::LogLine {
                        ts,
                        level: "error".into(),
                        message: format!("{}: {error}", n.state),
                    };
                    lines.push((n.node_id, line));
                }
            }
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
