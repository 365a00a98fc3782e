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
use crate::signals::Interrupts;
use crate::summary::{self, plural};

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manifest to run (optional with `--resume`: the resumed run's manifest).
    file: Option<PathBuf>,
    /// Resume a run (its id, a unique prefix, `latest` or `PIPELINE@latest`):
    /// re-execute only the nodes that did not succeed, reusing the outputs of
    /// those that did.
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // One listener for both Ctrl-Cs, in place before any start-up work, so
    // that neither is lost whenever it comes.
    let mut interrupts = {
        let _runtime = runtime.enter();
        Interrupts::install()?
    };
    let ws = super::workspace()?;
    if args.dry_run {
        return dry_run(&ws, &args);
    }
    // an invalid or missing manifest leaves no workspace behind
    let existing = ws.existing_catalog()?;
    if let Some(c) = &existing {
        super::reap(c);
    }
    let file = manifest_file(&args, existing.as_ref())?;
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
    let run_id = pai_scheduler::new_run_id();
    let outcome = runtime.block_on(async {
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        let (abort_catalog, abort_id) = (catalog.clone(), run_id.clone());
        tokio::spawn(async move {
            if interrupts.next().await {
                eprintln!(
                    "\ncancelling: waiting for running nodes to stop (Ctrl-C again to abort)"
                );
                let _ = cancel_tx.send(true);
                if interrupts.next().await {
                    abort(abort_catalog.as_ref(), &abort_id);
                }
            }
        });
        scheduler
            .run_with_id(run_id, pipeline.clone(), project, opts, cancel_rx)
            .await
            .map_err(anyhow::Error::from)
    })?;
    if let Some(p) = &progress {
        p.finish();
    }
    if interactive {
        print_states(&outcome.nodes);
    }
    if !args.quiet {
        let is_final = |id: &str| {
            pipeline
                .index_of(id)
                .is_some_and(|i| !pipeline.nodes.iter().any(|n| n.upstream.contains(&i)))
        };
        for line in summary::lines(&outcome.nodes, &is_final) {
            eprintln!("{line}");
        }
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
        eprintln!(
            "run {}: {} ({}, {:.2}s)",
            outcome.run_id,
            outcome.state,
            plural(outcome.nodes.len(), "node", "nodes"),
            outcome.elapsed.as_secs_f64()
        );
    }
    Ok(match outcome.state {
        RunState::Succeeded => ExitCode::SUCCESS,
        RunState::Cancelled => ExitCode::from(130),
        RunState::Failed | RunState::Running | RunState::Abandoned => ExitCode::from(1),
    })
}

/// A second Ctrl-C: records the run `abandoned` (its nodes may still be
/// inside a component that does not stop) and exits at once with 130.
fn abort(catalog: &dyn Catalog, run_id: &str) -> ! {
    let reason = "abandoned: aborted by a second Ctrl-C";
    if let Err(e) = catalog.abandon_run(run_id, reason) {
        eprintln!("error: cannot record run `{run_id}` abandoned: {e}");
    }
    eprintln!("run {run_id}: abandoned (aborted; `pai-engine run --resume {run_id}` continues it)");
    std::process::exit(130);
}

/// The summary table of a run on a terminal: each node's state and
/// duration (errors follow once, below it).
fn print_states(nodes: &[pai_store::NodeRecord]) {
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            vec![
                n.node_id.clone(),
                n.component.clone(),
                summary::state_label(n),
                n.attempts.to_string(),
                human_ms(n.duration_ms),
            ]
        })
        .collect();
    print_table(
        &["NODE", "COMPONENT", "STATE", "ATTEMPTS", "DURATION"],
        &rows,
    );
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
