//! `pai-engine oss ls|cat`: look into OSS buckets.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use pai_store::{Oss, OssUri, Store};

use crate::output::{Format, print_json, print_table};

/// The `oss` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum OssCommand {
    /// List the objects below a prefix.
    Ls {
        /// `oss://bucket/prefix`.
        uri: String,
        /// The RAM role to read with.
        #[arg(long)]
        role: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print an object's bytes.
    Cat {
        /// `oss://bucket/key`.
        uri: String,
        /// The RAM role to read with.
        #[arg(long)]
        role: Option<String>,
    },
}

/// Runs an `oss` subcommand; a failed access prints its error and exits 1.
/// Both only read: without a catalog (nothing recorded, so no export to
/// recover) they open the buckets alone and create nothing.
pub fn run(cmd: OssCommand) -> anyhow::Result<ExitCode> {
    let ws = super::workspace()?;
    let oss = if ws.catalog_path().is_file() {
        Store::open(&ws)?.oss
    } else {
        Oss::new(
            Arc::new(ws.config.clone()),
            ws.config_dir(),
            ws.state_dir.clone(),
        )?
    };
    let result = match cmd {
        OssCommand::Ls { uri, role, format } => ls(&oss, &uri, role.as_deref(), format),
        OssCommand::Cat { uri, role } => cat(&oss, &uri, role.as_deref()),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {}", crate::report::Report(&e));
            Ok(ExitCode::from(1))
        }
    }
}

fn ls(oss: &Oss, uri: &str, role: Option<&str>, format: Format) -> anyhow::Result<()> {
    let uri = OssUri::parse(uri).map_err(anyhow::Error::msg)?;
    let objects = oss.list(&uri, role)?;
    if format == Format::Json {
        return print_json(&objects);
    }
    let rows: Vec<Vec<String>> = objects
        .iter()
        .map(|o| vec![o.size.to_string(), o.last_modified.clone(), o.uri.clone()])
        .collect();
    print_table(&["SIZE", "MODIFIED", "OBJECT"], &rows);
    Ok(())
}

fn cat(oss: &Oss, uri: &str, role: Option<&str>) -> anyhow::Result<()> {
    let uri = OssUri::parse(uri).map_err(anyhow::Error::msg)?;
    let bytes = oss.get(&uri, role)?;
    std::io::stdout().write_all(&bytes)?;
    Ok(())
}
