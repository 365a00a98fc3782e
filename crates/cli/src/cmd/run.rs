//! `pai-engine run FILE`

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use pai_core::{NodeState, RunState};
use pai_scheduler::{ComponentExecutor, RunOptions, Scheduler};
use pai_store::{Catalog, SqliteCatalog};

use crate::output::{human_ms, print_table};
use crate::progress::Progress;

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manifest to run (optional with `--resume`: the resumed run's manifest).
    file: Option<PathBuf>,
    /// Resume a run: re-execute only the nodes that did not succeed, reusing the outputs of those that did.
    #[arg(long, value_name = "RUN_ID")]
    resume: Option<String>,
    /// Stop everything at the first failed node.
    #[arg(long)]
    fail_fast: bool,
    /// No progress display and no summary.
    #[arg(short, long)]
    quiet: bool,
    /// How many nodes may run at once (overrides `spec.parallelism`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    parallelism: Option<u32>,
    /// Print the plan — the nodes it would run and the billable requests
    /// with their estimated cost given this month's usage — and change
    /// nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Runs a manifest; exit status 0 on success, 1 on failure, 130 on cancel.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ws = super::workspace()?;
    if args.dry_run {
        return dry_run(&ws, &args);
    }
    // an invalid or missing manifest leaves no workspace behind
    let file = manifest_file(&args, ws.existing_catalog()?.as_ref())?;
    let Some(pipeline) = super::load_manifest(&file) else {
        return Ok(ExitCode::from(1));
    };
    let catalog = Arc::new(ws.catalog()?);
    let project = pipeline
        .project
        .clone()
        .unwrap_or_else(|| ws.default_project().to_string());
    let parallelism = args.parallelism.or(pipeline.parallelism).map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |p| p as usize,
    );
    let manifest_path = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
    let opts = RunOptions {
        parallelism,
        fail_fast: args.fail_fast,
        resume_from: args
            .resume
            .as_ref()
            .map(|r| catalog.get_run(r).map(|r| r.id))
            .transpose()?,
        manifest_path: manifest_path.display().to_string(),
        git: crate::git::describe(&manifest_path),
        kind: "pipeline".into(),
    };
    let interactive = !args.quiet && std::io::stderr().is_terminal();
    let pipeline = Arc::new(pipeline);
    let progress = interactive.then(|| Arc::new(Progress::new(&pipeline)));
    if let Some(p) = &progress {
        p.start_ticker();
    }
    let mut scheduler = Scheduler::new(
        catalog.clone(),
        Arc::new(ComponentExecutor),
        ws.state_dir.clone(),
    );
    let store: pai_core::Services = Arc::new(pai_store::Store::open(&ws)?);
    scheduler = scheduler.with_services(store);
    if let Some(p) = &progress {
        scheduler = scheduler.with_observer(p.clone());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\ncancelling: waiting for running nodes to stop (Ctrl-C again to abort)"
                );
                let _ = cancel_tx.send(true);
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        scheduler
            .run(pipeline.clone(), project, opts, cancel_rx)
            .await
    })?;
    if let Some(p) = &progress {
        p.finish();
    }
    if interactive {
        let rows: Vec<Vec<String>> = outcome
            .nodes
            .iter()
            .map(|n| {
                let mut state = n.state.to_string();
                if n.reused_from.is_some() {
                    state.push_str(" (reused)");
                }
                vec![
                    n.node_id.clone(),
                    n.component.clone(),
                    state,
                    n.attempts.to_string(),
                    human_ms(n.duration_ms),
                    n.error.clone().unwrap_or_default(),
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
                "ERROR",
            ],
            &rows,
        );
    }
    if !args.quiet {
        for n in outcome
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Failed)
        {
            eprintln!(
                "error: node `{}` failed: {}",
                n.node_id,
                n.error.as_deref().unwrap_or("")
            );
        }
        print_metrics(&outcome.nodes);
        eprintln!(
            "run {}: {} ({} nodes, {:.2}s)",
            outcome.run_id,
            outcome.state,
            outcome.nodes.len(),
            outcome.elapsed.as_secs_f64()
        );
    }
    Ok(match outcome.state {
        RunState::Succeeded => ExitCode::SUCCESS,
        RunState::Cancelled => ExitCode::from(130),
        RunState::Failed | RunState::Running => ExitCode::from(1),
    })
}

/// The manifest to run: the file given, or the one of the run resumed.
fn manifest_file(args: &Args, catalog: Option<&SqliteCatalog>) -> anyhow::Result<PathBuf> {
    match (&args.file, &args.resume, catalog) {
        (Some(f), _, _) => Ok(f.clone()),
        (None, Some(id), Some(c)) => Ok(PathBuf::from(c.get_run(id)?.manifest_path)),
        (None, Some(id), None) => Err(pai_store::StoreError::UnknownRun(id.clone()).into()),
        (None, None, _) => bail!("give a manifest file to run, or `--resume RUN_ID`"),
    }
}

/// `--dry-run`: prints the plan; reads the catalog only when there is one,
/// and creates nothing.
fn dry_run(ws: &pai_store::Workspace, args: &Args) -> anyhow::Result<ExitCode> {
    let catalog = ws.existing_catalog()?;
    let file = manifest_file(args, catalog.as_ref())?;
    let Some(pipeline) = super::load_manifest(&file) else {
        return Ok(ExitCode::from(1));
    };
    let project = pipeline
        .project
        .clone()
        .unwrap_or_else(|| ws.default_project().to_string());
    let reused = match (&args.resume, &catalog) {
        (Some(id), Some(c)) => super::dry_run::succeeded_nodes(c, id)?,
        _ => Default::default(),
    };
    let (billing, usage) = match catalog {
        Some(_) => {
            let store = pai_store::Store::open(ws)?;
            (store.billing.clone(), Some(store.usage))
        }
        None => {
            let billing = pai_store::Billing::from_config(&ws.config).map_err(|message| {
                let path = ws.config_path.clone().unwrap_or_default();
                anyhow::anyhow!("`{}`: {message}", path.display())
            })?;
            (billing, None)
        }
    };
    super::dry_run::print_plan(&billing, usage.as_deref(), &pipeline, &project, &reused)
}

/// One line per evaluation node with its scalar metrics (`runs show` has
/// them all).
fn print_metrics(nodes: &[pai_store::NodeRecord]) {
    for n in nodes.iter().filter(|n| {
        n.state == NodeState::Succeeded
            && n.reused_from.is_none()
            && n.component.starts_with("eval_")
    }) {
        let Some(metrics) = n.metrics.as_ref().and_then(|m| m.as_object()) else {
            continue;
        };
        let scalars: Vec<String> = metrics
            .iter()
            .filter_map(|(k, v)| v.as_f64().map(|x| format!("{k} {}", round4(x))))
            .collect();
        if !scalars.is_empty() {
            eprintln!("metrics of `{}`: {}", n.node_id, scalars.join(", "));
        }
    }
}

/// At most four decimals, without trailing zeros.
fn round4(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}
