//! `pai-engine services`: manage online services through the admin API of
//! a running `pai-engine serve` (address from `--server`, `PAI_SERVER`,
//! `[server] url`, else `http://127.0.0.1:8080`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use pai_client::{AdminClient, ClientError, ServiceSpec, ServiceState, ServiceStatus};

use crate::output::{Format, print_json, print_table};

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's address (default: `PAI_SERVER`, `[server] url`, else
    /// `http://127.0.0.1:8080`).
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// The subcommand.
    #[command(subcommand)]
    pub command: ServicesCommand,
}

/// The `services` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ServicesCommand {
    /// List the services.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show a service: state, version, endpoint, token and versions.
    Show {
        /// The service name.
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Create a service from an EAS-style description and wait until it runs.
    Create {
        /// The description (JSON); a relative `model_path` is relative to it.
        #[arg(long, value_name = "FILE")]
        json: PathBuf,
        /// Return at once, without waiting for `Running`.
        #[arg(long)]
        no_wait: bool,
        /// How long to wait, in seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Update a running service with a partial description (e.g. a new `model_path`).
    Update {
        /// The service name.
        name: String,
        /// The fields to change (JSON); a relative `model_path` is relative to it.
        #[arg(long, value_name = "FILE")]
        json: PathBuf,
    },
    /// Make an earlier version current again (default: the one before).
    Rollback {
        /// The service name.
        name: String,
        /// The version to return to.
        #[arg(long, value_name = "V")]
        to: Option<u32>,
    },
    /// Stop a service.
    Stop {
        /// The service name.
        name: String,
    },
    /// Start a stopped or failed service and wait until it runs.
    Start {
        /// The service name.
        name: String,
        /// Return at once.
        #[arg(long)]
        no_wait: bool,
    },
    /// Delete a service and its versions.
    Delete {
        /// The service name.
        name: String,
    },
}

/// Runs a `services` subcommand; an operation the server refuses prints
/// its message and exits 1.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ws = super::workspace()?;
    let client = AdminClient::resolve(args.server.as_deref(), &ws.config.server, &ws.state_dir)?;
    match execute(&client, args.command) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => match e.downcast_ref::<ClientError>() {
            Some(_) => {
                eprintln!("error: {}", crate::report::Report(&e));
                Ok(ExitCode::from(1))
            }
            None => Err(e),
        },
    }
}

fn execute(client: &AdminClient, cmd: ServicesCommand) -> anyhow::Result<()> {
    match cmd {
        ServicesCommand::List { format } => {
            let list = client.list()?;
            match format {
                Format::Json => print_json(&list)?,
                Format::Table => print_table(
                    &["NAME", "STATE", "VERSION", "PROCESSOR", "ENDPOINT"],
                    &list
                        .iter()
                        .map(|s| {
                            vec![
                                s.name.clone(),
                                s.state.to_string(),
                                s.version.to_string(),
                                s.processor.as_str().to_string(),
                                s.endpoint.clone(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
            }
        }
        ServicesCommand::Show { name, format } => {
            let s = client.get(&name)?;
            match format {
                Format::Json => print_json(&s)?,
                Format::Table => print_status(&s),
            }
        }
        ServicesCommand::Create {
            json,
            no_wait,
            timeout,
        } => {
            let value = read_json(&json)?;
            let spec = ServiceSpec::from_json(value)
                .map_err(|e| anyhow::anyhow!("`{}`: {e}", json.display()))?;
            let created = client.create(&spec)?;
            eprintln!("service `{}` created (version 1)", created.name);
            let s = if no_wait {
                created
            } else {
                client.wait_for_state(
                    &spec.name,
                    ServiceState::Running,
                    Duration::from_secs(timeout),
                )?
            };
            print_status(&s);
        }
        ServicesCommand::Update { name, json } => {
            let patch = read_json(&json)?;
            let s = client.update(&name, &patch, None)?;
            eprintln!("service `{name}` updated to version {}", s.version);
            print_status(&s);
        }
        ServicesCommand::Rollback { name, to } => {
            let s = client.rollback(&name, to)?;
            eprintln!("service `{name}` now serves version {}", s.version);
            print_status(&s);
        }
        ServicesCommand::Stop { name } => {
            let s = client.stop(&name)?;
            eprintln!("service `{name}` stopped");
            print_status(&s);
        }
        ServicesCommand::Start { name, no_wait } => {
            let mut s = client.start(&name)?;
            if !no_wait {
                s = client.wait_for_state(
                    &name,
                    ServiceState::Running,
                    Duration::from_secs(120),
                )?;
            }
            eprintln!("service `{name}` is {}", s.state);
            print_status(&s);
        }
        ServicesCommand::Delete { name } => {
            client.delete(&name)?;
            eprintln!("service `{name}` deleted");
        }
    }
    Ok(())
}

/// Reads a JSON file; a relative filesystem `model_path` in it becomes
/// relative to the file.
fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not valid JSON", path.display()))?;
    if let Some(serde_json::Value::String(mp)) = value.get_mut("model_path") {
        let is_path = !mp.contains("://");
        if is_path && Path::new(mp.as_str()).is_relative() {
            let base = path.parent().unwrap_or(Path::new("."));
            let joined = base.join(mp.as_str());
            let abs = joined.canonicalize().unwrap_or(joined);
            *mp = abs.display().to_string();
        }
    }
    Ok(value)
}

fn print_status(s: &ServiceStatus) {
    let mut rows = vec![
        vec!["name".to_string(), s.name.clone()],
        vec!["state".to_string(), s.state.to_string()],
        vec![
            "version".to_string(),
            format!("{} (latest {})", s.version, s.latest_version),
        ],
        vec!["endpoint".to_string(), s.endpoint.clone()],
        vec!["token".to_string(), s.token.clone()],
        vec!["processor".to_string(), s.processor.as_str().to_string()],
        vec!["model_path".to_string(), s.model_path.clone()],
    ];
    if let Some(r) = &s.reason {
        rows.push(vec!["reason".to_string(), r.clone()]);
    }
    print_table(&["FIELD", "VALUE"], &rows);
    println!();
    print_table(
        &["VERSION", "CURRENT", "SOURCE", "CREATED", "MODEL_PATH"],
        &s.versions
            .iter()
            .map(|v| {
                vec![
                    v.version.to_string(),
                    if v.current { "*".into() } else { String::new() },
                    v.source.clone(),
                    v.created_at.clone(),
                    v.model_path.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    );
}
