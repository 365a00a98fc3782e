//! `pai-engine init [DIR]`: a workspace a newcomer can run at once: a
//! commented `pai-engine.toml`, an example pipeline, the data it reads and
//! the JSON Schema its editor modeline points at.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to create the workspace in (created when missing).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Replace files that already exist instead of refusing.
    #[arg(long)]
    force: bool,
}

/// The example pipeline, relative to the workspace.
const EXAMPLE: &str = "pipelines/iris.yaml";

/// The files `init` writes: relative path and content.
fn files() -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut schema = serde_json::to_string_pretty(&pai_manifest::manifest_schema())
        .context("cannot render the manifest schema")?;
    schema.push('\n');
    Ok(vec![
        (
            pai_store::CONFIG_FILE,
            include_str!("init/pai-engine.toml").to_string(),
        ),
        (EXAMPLE, include_str!("init/iris.yaml").to_string()),
        (
            "data/iris.csv",
            include_str!("../../../../data/iris.csv").to_string(),
        ),
        ("schemas/pipeline.schema.json", schema),
    ])
}

/// Writes the workspace; refuses, before writing anything, when one of its
/// files exists (unless `--force`).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let files = files()?;
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(rel, _)| args.dir.join(rel))
        .filter(|p| p.exists())
        .collect();
    if !args.force && !existing.is_empty() {
        let names = existing
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect::<Vec<_>>()
            .join(", ");
        let verb = if existing.len() == 1 {
            "exists"
        } else {
            "exist"
        };
        anyhow::bail!(
            "not initializing `{}`: {names} already {verb}; nothing was written (`--force` replaces existing files)",
            args.dir.display()
        );
    }
    for (rel, content) in &files {
        let path = args.dir.join(rel);
        pai_store::fsutil::write_atomic(&path, content.as_bytes(), args.force)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        println!("created {}", path.display());
    }
    println!("\nnext:\n  {}", next_command(&args.dir));
    Ok(ExitCode::SUCCESS)
}

/// The command that runs the example from where the user is.
fn next_command(dir: &Path) -> String {
    let run = format!("pai-engine run {EXAMPLE}");
    if dir == Path::new(".") {
        run
    } else {
        format!("cd {} && {run}", dir.display())
    }
}
