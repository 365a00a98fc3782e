//! `pai-engine serve`: the online serving process (EAS predict API,
//! KServe V2, admin API, metrics) over the workspace's catalog.

use std::process::ExitCode;
use std::time::Duration;

use pai_serve::token::{TokenSource, admin_token};
use pai_serve::{DEFAULT_MAX_BODY_BYTES, ServeOptions};

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (default: `[server] listen`, else
    /// `127.0.0.1:8080`; port 0 picks a free port).
    #[arg(long)]
    pub listen: Option<String>,
    /// The largest request body accepted, in bytes (default:
    /// `[server] max_body_bytes`, else 16 MiB).
    #[arg(long)]
    pub max_body_bytes: Option<u64>,
    /// How often the catalog is polled for desired states, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
    /// Worker threads (default: the CPU cores).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Runs the server until Ctrl-C.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ws = super::workspace()?;
    let server = &ws.config.server;
    let listen = args
        .listen
        .or_else(|| server.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let max_body = args
        .max_body_bytes
        .or(server.max_body_bytes)
        .map_or(DEFAULT_MAX_BODY_BYTES, |b| {
            b.min(usize::MAX as u64) as usize
        });
    let (token, source) = admin_token(&ws.config, &ws.state_dir)?;
    match source {
        TokenSource::Env => eprintln!("admin token: from `PAI_ADMIN_TOKEN`"),
        TokenSource::Config => eprintln!("admin token: from `[server] admin_token`"),
        TokenSource::File {
            path,
            generated: true,
        } => eprintln!(
            "admin token: generated and stored in `{}` (mode 0600); clients of this workspace read it from there",
            path.display()
        ),
        TokenSource::File { path, .. } => {
            eprintln!("admin token: read from `{}`", path.display())
        }
    }
    let opts = ServeOptions {
        listen,
        admin_token: token,
        max_body_bytes: max_body,
        poll_interval: Duration::from_millis(args.poll_ms.max(50)),
        workers: args.workers,
    };
    pai_serve::run(&ws, opts, |addr| {
        eprintln!("listening on http://{addr}");
    })?;
    Ok(ExitCode::SUCCESS)
}
