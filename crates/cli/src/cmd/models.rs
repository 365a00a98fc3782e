//! `pai-engine models list|show|copy|export`: OfflineModels from the
//! command line, and the platform's Model List of a pipeline's last run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pai_components::export::ExportFormat;
use pai_components::model_file::read_model;
use pai_core::PortType;
use pai_store::{Catalog, ModelVersion, OssUri, Store};
use serde_json::json;

use crate::output::{Format, print_json, print_table};

/// The `models` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// List OfflineModels (latest versions), or with `--pipeline` the
    /// deployable models the pipeline's latest run produced (Model List).
    List {
        /// Only this project.
        #[arg(long)]
        project: Option<String>,
        /// The Model List of this manifest's latest run.
        #[arg(long, value_name = "FILE", conflicts_with = "project")]
        pipeline: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show a model's metadata, lineage and every version.
    Show {
        /// `NAME` or `NAME@VERSION`.
        model: String,
        /// The project (default: the workspace's).
        #[arg(long)]
        project: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Copy a model version to a new name or project.
    Copy {
        /// `NAME` or `NAME@VERSION`.
        model: String,
        /// The name of the copy.
        target: String,
        /// The source project (default: the workspace's).
        #[arg(long)]
        project: Option<String>,
        /// The destination project (default: the source project).
        #[arg(long)]
        dest_project: Option<String>,
        /// Add the copy as a new version when the target exists.
        #[arg(long)]
        overwrite: bool,
    },
    /// Export a model version to OSS.
    Export {
        /// `NAME` or `NAME@VERSION`.
        model: String,
        /// The target prefix, `oss://bucket/prefix/`.
        #[arg(long, value_name = "OSS_PATH")]
        to: String,
        /// `original` (`.meta` + `.model`) or `pmml` (`.xml`).
        #[arg(long, value_enum, default_value = "original")]
        format: ExportFormatArg,
        /// The file name without extension (default: the model name).
        #[arg(long)]
        rename: Option<String>,
        /// The RAM role to write with.
        #[arg(long)]
        role: Option<String>,
        /// Replace existing objects.
        #[arg(long)]
        overwrite: bool,
        /// The project (default: the workspace's).
        #[arg(long)]
        project: Option<String>,
    },
}

/// `--format` of `models export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormatArg {
    /// `.meta` + `.model`.
    Original,
    /// `.xml`.
    Pmml,
}

/// Runs a `models` subcommand; an operation that fails prints its error
/// and exits 1.
pub fn run(cmd: ModelsCommand) -> anyhow::Result<ExitCode> {
    let ws = super::workspace()?;
    let reads_only = matches!(cmd, ModelsCommand::List { .. } | ModelsCommand::Show { .. });
    if reads_only && !ws.catalog_path().is_file() {
        // nothing was ever recorded here, and reading creates nothing
        return no_models_yet(&ws, cmd);
    }
    let store = Store::open(&ws)?;
    let default_project = ws.default_project().to_string();
    let project = |p: Option<String>| p.unwrap_or_else(|| default_project.clone());
    let result = match cmd {
        ModelsCommand::List {
            pipeline: Some(file),
            format,
            ..
        } => model_list(&ws, &file, format),
        ModelsCommand::List {
            project: p, format, ..
        } => list(&store, p.as_deref(), format),
        ModelsCommand::Show {
            model,
            project: p,
            format,
        } => show(&store, &project(p), &model, format),
        ModelsCommand::Copy {
            model,
            target,
            project: p,
            dest_project,
            overwrite,
        } => {
            let src_project = project(p);
            let dest = dest_project.unwrap_or_else(|| src_project.clone());
            copy(&store, &src_project, &model, &dest, &target, overwrite)
        }
        ModelsCommand::Export {
            model,
            to,
            format,
            rename,
            role,
            overwrite,
            project: p,
        } => export(
            &store,
            &project(p),
            &model,
            &to,
            format,
            rename.as_deref(),
            role.as_deref(),
            overwrite,
        ),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {}", crate::report::Report(&e));
            Ok(ExitCode::from(1))
        }
    }
}

/// `models list` and `models show` where the workspace has no catalog.
fn no_models_yet(ws: &pai_store::Workspace, cmd: ModelsCommand) -> anyhow::Result<ExitCode> {
    let result = match cmd {
        ModelsCommand::List {
            pipeline: Some(file),
            format,
            ..
        } => model_list(ws, &file, format),
        ModelsCommand::List { format, .. } => {
            if format == Format::Json {
                print_json(&Vec::<()>::new())
            } else {
                eprintln!(
                    "no models yet; a trainer with `output_model_name` registers one when its pipeline runs"
                );
                Ok(())
            }
        }
        ModelsCommand::Show { model, .. } => Err(anyhow::anyhow!(
            "no model `{model}`: no models yet in this workspace; `pai-engine models list` shows the models once a pipeline registers one"
        )),
        _ => Ok(()),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {}", crate::report::Report(&e));
            Ok(ExitCode::from(1))
        }
    }
}

fn list(store: &Store, project: Option<&str>, format: Format) -> anyhow::Result<()> {
    if let Some(p) = project {
        pai_core::ProjectName::check(p)?;
    }
    let models = store.models.catalog().latest_models(project)?;
    if format == Format::Json {
        return print_json(&models);
    }
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|m| {
            vec![
                m.project.clone(),
                m.name.clone(),
                m.version.to_string(),
                m.class.clone(),
                m.formats.join(","),
                m.created_at.clone(),
            ]
        })
        .collect();
    print_table(
        &["PROJECT", "NAME", "LATEST", "CLASS", "FORMATS", "CREATED"],
        &rows,
    );
    Ok(())
}

fn show(store: &Store, project: &str, model: &str, format: Format) -> anyhow::Result<()> {
    let v = store.models.resolve(project, model)?;
    let versions = store.models.versions(project, &v.name)?;
    let meta_path = store.models.file(&v, "meta");
    let meta = read_model(&meta_path)?.meta;
    if format == Format::Json {
        return print_json(&json!({
            "project": v.project,
            "name": v.name,
            "version": v.version,
            "class": v.class,
            "formats": v.formats,
            "meta": meta,
            "lineage": v.lineage,
            "metrics": v.metrics,
            "copied_from": v.copied_from,
            "path": store.models.version_dir(&v),
            "versions": versions,
        }));
    }
    println!("model:       {}/{}@{}", v.project, v.name, v.version);
    println!("class:       {}", v.class);
    println!("formats:     {}", v.formats.join(", "));
    println!("created:     {}", v.created_at);
    if let Some(c) = &v.copied_from {
        println!("copied from: {c}");
    }
    println!("path:        {}", store.models.version_dir(&v).display());
    let inputs: Vec<String> = meta.input_schema.iter().map(|f| f.name.clone()).collect();
    println!("inputs:      {}", inputs.join(", "));
    if let Some(l) = &meta.label {
        println!(
            "label:       {} (classes: {})",
            l.name,
            l.classes.join(", ")
        );
    }
    println!("lineage:     {}", v.lineage);
    println!("metrics:     {}", v.metrics);
    println!();
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|m| {
            vec![
                m.version.to_string(),
                m.created_at.clone(),
                m.formats.join(","),
                lineage_of(m),
                m.copied_from.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &["VERSION", "CREATED", "FORMATS", "RUN/NODE", "COPIED FROM"],
        &rows,
    );
    Ok(())
}

fn lineage_of(m: &ModelVersion) -> String {
    let field = |k: &str| {
        m.lineage
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("-")
            .to_string()
    };
    format!("{}/{}", field("run_id"), field("node"))
}

/// An OfflineModel request made from the command line, charged to
/// `project`.
fn cli_entry(project: &str, operation: &str) -> pai_core::UsageEntry {
    pai_core::UsageEntry {
        class: pai_core::UsageClass::OfflineModel,
        operation: operation.to_string(),
        context: pai_core::UsageContext::cli(project),
        succeeded: true,
    }
}

fn copy(
    store: &Store,
    project: &str,
    model: &str,
    dest: &str,
    target: &str,
    overwrite: bool,
) -> anyhow::Result<()> {
    pai_core::ProjectName::check(dest)?;
    pai_core::ModelName::check(target)?;
    let source = store.models.resolve(project, model)?;
    let entry = cli_entry(project, "models copy");
    let copy = store.metered(&entry, |m| {
        store.models.copy(&source, dest, target, overwrite, Some(m))
    })?;
    println!("copied {} to {}", source.reference(), copy.reference());
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn export(
    store: &Store,
    project: &str,
    model: &str,
    to: &str,
    format: ExportFormatArg,
    rename: Option<&str>,
    role: Option<&str>,
    overwrite: bool,
) -> anyhow::Result<()> {
    let v = store.models.resolve(project, model)?;
    let dir = OssUri::parse(to).map_err(anyhow::Error::msg)?;
    let name = rename.unwrap_or(&v.name);
    pai_core::check_name(pai_core::NameKind::Export, name)?;
    let format = match format {
        ExportFormatArg::Original => ExportFormat::Original,
        ExportFormatArg::Pmml => ExportFormat::Pmml,
    };
    let objects =
        pai_components::export::objects(&store.models.file(&v, "meta"), format, &dir, name)?;
    let entry = cli_entry(project, "models export");
    store.metered(&entry, |m| store.export(&objects, overwrite, role, Some(m)))?;
    for o in &objects {
        println!("exported {}", o.uri);
    }
    Ok(())
}

/// The Model List: every model output of the latest run of `file`'s
/// pipeline, with the formats it exports and deploys in.
fn model_list(
    ws: &pai_store::Workspace,
    file: &std::path::Path,
    format: Format,
) -> anyhow::Result<()> {
    let Some(pipeline) = super::load_manifest(file) else {
        anyhow::bail!("`{}` is not a valid manifest", file.display());
    };
    let no_runs = || {
        format!(
            "pipeline `{}` has no runs yet; run it with `pai-engine run {}`",
            pipeline.name,
            file.display()
        )
    };
    let catalog = ws.existing_catalog()?.with_context(no_runs)?;
    let run = catalog
        .list_runs(10_000)?
        .into_iter()
        .find(|r| r.pipeline == pipeline.name && r.kind == "pipeline")
        .with_context(no_runs)?;
    let mut entries = Vec::new();
    for node in catalog.node_runs(&run.id)? {
        for a in node.outputs.iter().filter(|a| a.kind == PortType::Model) {
            let (class, formats, processors) = if a.path.extension().is_some_and(|e| e == "pmml") {
                ("PMML".to_string(), vec!["pmml"], vec!["pmml"])
            } else {
                let loaded = read_model(&a.path)?;
                let pmml = pai_components::pmml_export::pmml_supported(&loaded.model).is_ok();
                let mut formats = vec!["original"];
                let mut processors = vec!["pai-pipeline"];
                if pmml {
                    formats.push("pmml");
                    processors.push("pmml");
                }
                (loaded.meta.model_class, formats, processors)
            };
            entries.push(json!({
                "node": node.node_id,
                "component": node.component,
                "port": a.port,
                "class": class,
                "export_formats": formats,
                "deploy_processors": processors,
                "path": a.path,
            }));
        }
    }
    if format == Format::Json {
        return print_json(&json!({ "pipeline": pipeline.name, "run": run.id, "models": entries }));
    }
    println!(
        "pipeline {} — run {} ({})",
        pipeline.name, run.id, run.state
    );
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let join = |v: &serde_json::Value, k: &str| {
        v[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                s(e, "node"),
                s(e, "component"),
                s(e, "class"),
                join(e, "export_formats"),
                join(e, "deploy_processors"),
            ]
        })
        .collect();
    print_table(&["NODE", "COMPONENT", "CLASS", "EXPORT", "DEPLOY"], &rows);
    Ok(())
}
