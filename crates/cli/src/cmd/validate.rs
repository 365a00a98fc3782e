//! `pai-engine validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::{Format, print_json};

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest files to validate.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format for the diagnostics.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Validates every file; exit status 1 when any has errors.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut all = Vec::new();
    let mut ok_files = Vec::new();
    for f in &args.files {
        match pai_manifest::load(f) {
            Ok(p) => ok_files.push((f.clone(), p.nodes.len())),
            Err(e) => all.extend(e.0),
        }
    }
    match args.format {
        Format::Json => print_json(&serde_json::json!({
            "valid": ok_files.iter().map(|(f, _)| f).collect::<Vec<_>>(),
            "errors": all,
        }))?,
        Format::Table => {
            for d in &all {
                eprintln!("error: {d}");
            }
            for (f, n) in &ok_files {
                println!(
                    "{}: ok ({})",
                    f.display(),
                    crate::summary::plural(*n, "node", "nodes")
                );
            }
            if !all.is_empty() {
                eprintln!(
                    "{} error{} found",
                    all.len(),
                    if all.len() == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(if all.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
