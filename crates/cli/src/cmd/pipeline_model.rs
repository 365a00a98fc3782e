//! `pai-engine pipeline-model create`: packages selected canvas nodes —
//! a serial path of fitted stages that succeeded in the pipeline's latest
//! run — into one deployable pipeline model, as a batch task
//! `model-combination-<id>` whose other nodes are reused from that run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use pai_components::ComponentConfig;
use pai_components::make_pipeline_model::MakePipelineModel;
use pai_core::{NodeState, PortType};
use pai_manifest::{InputEdge, InputRef, NewNode, ValidatedNode, ValidatedPipeline};
use pai_scheduler::{ComponentExecutor, RunOptions, Scheduler, new_run_id};
use pai_store::{Catalog, RunRecord};

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PipelineModelCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PipelineModelCommand {
    /// Package the nodes `--nodes a,b,c` of a pipeline's latest run as one
    /// pipeline model.
    Create {
        /// The pipeline manifest.
        file: PathBuf,
        /// The nodes, comma-separated: a serial path of up to four fitted
        /// stages (preprocessing, then a trained model).
        #[arg(long, value_delimiter = ',', required = true)]
        nodes: Vec<String>,
        /// Register the pipeline model as this OfflineModel.
        #[arg(long)]
        name: Option<String>,
    },
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let PipelineModelCommand::Create { file, nodes, name } = args.command;
    let Some(pipeline) = super::load_manifest(&file) else {
        return Ok(ExitCode::from(1));
    };
    if let Some(n) = &name {
        pai_core::ModelName::check(n)?;
    }
    let ws = super::workspace()?;
    let catalog = Arc::new(ws.catalog()?);
    let problems = check_selection(&pipeline, &nodes);
    let (path, latest) = match problems {
        Ok(path) => match latest_run(catalog.as_ref(), &pipeline, &path) {
            Ok(run) => (path, run),
            Err(errs) => return report(&errs),
        },
        Err(errs) => return report(&errs),
    };
    let task = build_task(&pipeline, &path, name)?;
    let project = pipeline
        .project
        .clone()
        .unwrap_or_else(|| ws.default_project().to_string());
    let manifest_path = std::fs::canonicalize(&file).unwrap_or(file);
    let opts = RunOptions {
        parallelism: 1,
        fail_fast: true,
        resume_from: Some(latest.id.clone()),
        manifest_path: manifest_path.display().to_string(),
        git: crate::git::describe(&manifest_path),
        kind: "model-combination".into(),
    };
    let store: pai_core::Services = Arc::new(pai_store::Store::open(&ws)?);
    let scheduler = Scheduler::new(catalog, Arc::new(ComponentExecutor), ws.state_dir.clone())
        .with_services(store);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (_tx, cancel) = tokio::sync::watch::channel(false);
    let task = Arc::new(task);
    let outcome = runtime.block_on(scheduler.run(task.clone(), project, opts, cancel))?;
    let combine = outcome.nodes.iter().find(|n| n.node_id == COMBINE);
    match combine {
        Some(n) if n.state == NodeState::Succeeded => {
            if let Some(a) = n.outputs.first() {
                println!("pipeline model: {}", a.path.display());
            }
            println!(
                "stages: {} (outputs of run {})",
                path.join(" → "),
                latest.id
            );
            eprintln!("run {}: {}", outcome.run_id, outcome.state);
            Ok(ExitCode::SUCCESS)
        }
        other => {
            let error = other.and_then(|n| n.error.clone()).unwrap_or_default();
            eprintln!("error: `{}`: {error}", task.name);
            eprintln!("run {}: {}", outcome.run_id, outcome.state);
            Ok(ExitCode::from(1))
        }
    }
}

/// The id of the packaging node.
const COMBINE: &str = "make_pipeline_model";

fn report(errors: &[String]) -> anyhow::Result<ExitCode> {
    for e in errors {
        eprintln!("error: {e}");
    }
    Ok(ExitCode::from(1))
}

/// Whether a component fits a stage: it reads a table on `data` and
/// outputs a fitted `model`.
fn pipeline_capable(node: &ValidatedNode) -> bool {
    let info = node.config.info();
    info.input("data").is_some_and(|p| p.ty == PortType::Table)
        && info
            .output("model")
            .is_some_and(|p| p.ty == PortType::Model)
}

/// The node that feeds `node`'s `data` input, with its port.
fn data_source(node: &ValidatedNode) -> Option<&InputEdge> {
    node.inputs.iter().find(|e| e.port == "data")
}

/// Checks the selection and returns it in path order; otherwise every
/// violation, each on its own.
fn check_selection(p: &ValidatedPipeline, names: &[String]) -> Result<Vec<String>, Vec<String>> {
    let mut errors = Vec::new();
    let mut picked: Vec<usize> = Vec::new();
    let ids: Vec<&str> = p.nodes.iter().map(|n| n.id.as_str()).collect();
    for name in names {
        match p.index_of(name) {
            Some(i) if picked.contains(&i) => {
                errors.push(format!("node `{name}` is selected twice"))
            }
            Some(i) => picked.push(i),
            None => {
                let hint = pai_core::suggest(name, ids.iter().copied())
                    .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
                errors.push(format!("`{}` has no node `{name}`{hint}", p.path.display()));
            }
        }
    }
    if picked.len() > pai_components::pipeline_model::MAX_STAGES {
        errors.push(format!(
            "{} nodes are selected; a pipeline model holds at most {}",
            picked.len(),
            pai_components::pipeline_model::MAX_STAGES
        ));
    }
    for &i in &picked {
        let n = &p.nodes[i];
        if !pipeline_capable(n) {
            errors.push(format!(
                "node `{}` (`{}`) is not pipeline-capable: only components that fit on a `data` table and output a `model` (preprocessing and training) can be stages",
                n.id,
                n.config.info().name
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // The path: each selected node's `data` comes from the previous one.
    let fed_by_selection = |i: usize| {
        data_source(&p.nodes[i])
            .map(|e| e.from)
            .filter(|from| picked.contains(from))
    };
    let heads: Vec<usize> = picked
        .iter()
        .copied()
        .filter(|&i| fed_by_selection(i).is_none())
        .collect();
    if heads.len() != 1 {
        let names: Vec<String> = heads
            .iter()
            .map(|&i| format!("`{}`", p.nodes[i].id))
            .collect();
        return Err(vec![format!(
            "the selected nodes must form one serial path with one input, but {} read from outside the selection; select nodes that each feed the next",
            names.join(" and ")
        )]);
    }
    let mut order = vec![heads[0]];
    while order.len() < picked.len() {
        let last = order[order.len() - 1];
        let next: Vec<usize> = picked
            .iter()
            .copied()
            .filter(|&i| fed_by_selection(i) == Some(last))
            .collect();
        match next.as_slice() {
            [one] => order.push(*one),
            [] => {
                return Err(vec![format!(
                    "the selected nodes do not form a serial path: no selected node reads the output of `{}`",
                    p.nodes[last].id
                )]);
            }
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|&i| format!("`{}`", p.nodes[i].id))
                    .collect();
                return Err(vec![format!(
                    "the selected nodes branch: {} all read from `{}`; a pipeline model is one serial path with one output",
                    names.join(" and "),
                    p.nodes[last].id
                )]);
            }
        }
    }
    Ok(order.into_iter().map(|i| p.nodes[i].id.clone()).collect())
}

/// The pipeline's latest run, in which every node of `path` succeeded.
fn latest_run(
    catalog: &dyn Catalog,
    p: &ValidatedPipeline,
    path: &[String],
) -> Result<RunRecord, Vec<String>> {
    let runs = catalog.list_runs(10_000).map_err(|e| vec![e.to_string()])?;
    let Some(run) = runs
        .into_iter()
        .filter(|r| r.pipeline == p.name && r.kind == "pipeline")
        .max_by(|a, b| a.started_at.cmp(&b.started_at))
    else {
        return Err(vec![format!(
            "pipeline `{}` has never run; run it first (`pai-engine run {}`)",
            p.name,
            p.path.display()
        )]);
    };
    let nodes = catalog
        .node_runs(&run.id)
        .map_err(|e| vec![e.to_string()])?;
    let errors: Vec<String> = path
        .iter()
        .filter_map(|id| {
            let state = nodes
                .iter()
                .find(|n| &n.node_id == id)
                .map_or("absent".to_string(), |n| n.state.to_string());
            (state != NodeState::Succeeded.to_string()).then(|| {
                format!(
                    "node `{id}` is {state} in the latest run {} of `{}`; it must have succeeded (re-run the pipeline)",
                    run.id, p.name
                )
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(run)
    } else {
        Err(errors)
    }
}

/// The task's pipeline: the path and its ancestors (reused from the
/// latest run) in run order, and the packaging node.
fn build_task(
    p: &ValidatedPipeline,
    path: &[String],
    name: Option<String>,
) -> anyhow::Result<ValidatedPipeline> {
    let mut inputs: Vec<InputRef> = path
        .iter()
        .enumerate()
        .map(|(k, id)| InputRef {
            port: format!("model{}", k + 1),
            from: id.clone(),
            from_port: "model".into(),
        })
        .collect();
    if let Some(first) = path.first().and_then(|id| p.index_of(id))
        && let Some(src) = data_source(&p.nodes[first])
    {
        inputs.push(InputRef {
            port: "train_data".into(),
            from: p.nodes[src.from].id.clone(),
            from_port: src.from_port.clone(),
        });
    }
    let config = ComponentConfig::MakePipelineModel(MakePipelineModel {
        class_names: None,
        params_array: None,
        oss_dir: None,
        file_name: None,
        overwrite: false,
        output_model_name: name,
    });
    let mut task = p
        .subset(path)?
        .in_run_order()
        .with_node(NewNode::new(COMBINE, config, inputs))?;
    let id = new_run_id();
    let suffix = id.rsplit('-').next().unwrap_or(&id);
    task.name = format!("model-combination-{suffix}");
    task.description = Some(format!(
        "pipeline model of `{}`: {}",
        p.name,
        path.join(", ")
    ));
    Ok(task)
}
