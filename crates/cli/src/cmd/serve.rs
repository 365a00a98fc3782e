//! `pai-engine serve`: the online serving process (EAS predict API,
//! KServe V2, admin API, metrics) over the workspace's catalog.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

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
    /// Also run the cron trigger in this process, over these manifests or
    /// directories (as `pai-engine schedule run PATH...` would); its runs'
    /// service components reach this server unless `PAI_SERVER` or
    /// `[server] url` says otherwise.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub with_scheduler: Option<Vec<PathBuf>>,
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
    let mut scheduler: Option<SchedulerThread> = None;
    let mut scheduler_error = None;
    pai_serve::run(&ws, opts, |addr| {
        if let Some(paths) = args.with_scheduler {
            match SchedulerThread::start(&ws, paths, addr) {
                Ok(t) => scheduler = Some(t),
                Err(e) => {
                    eprintln!(
                        "error: the scheduler did not start: {}",
                        crate::report::Report(&e)
                    );
                    scheduler_error = Some(e);
                }
            }
        }
        eprintln!("listening on http://{addr}");
    })?;
    if let Some(t) = scheduler {
        t.stop()?;
    }
    match scheduler_error {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The cron trigger of `serve --with-scheduler`, on a thread and runtime of
/// its own so that a busy server and the trigger do not slow each other.
struct SchedulerThread {
    stop: tokio::sync::watch::Sender<bool>,
    thread: std::thread::JoinHandle<anyhow::Result<()>>,
}

impl SchedulerThread {
    fn start(
        ws: &pai_store::Workspace,
        paths: Vec<PathBuf>,
        addr: std::net::SocketAddr,
    ) -> anyhow::Result<Self> {
        // The runs' service components call this server by default.
        let mut ws = ws.clone();
        ws.config
            .server
            .url
            .get_or_insert_with(|| format!("http://{addr}"));
        let services: pai_core::Services = Arc::new(pai_store::Store::open(&ws)?);
        let git: pai_trigger::GitDescribe = Arc::new(|p: &std::path::Path| crate::git::describe(p));
        let trigger =
            pai_trigger::workspace_trigger(&ws, paths, Some(services.clone()), Some(git))?;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("pai-trigger".into())
            .spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .context("cannot start the scheduler's runtime")?;
                let result = runtime.block_on(trigger.run(stop_rx));
                drop(runtime);
                // the store owns a runtime: drop it outside any async context
                drop(services);
                Ok(result?)
            })
            .context("cannot start the scheduler thread")?;
        eprintln!("scheduler: running the schedules of the given manifests in this process");
        Ok(SchedulerThread { stop, thread })
    }

    fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        match self.thread.join() {
            Ok(r) => r,
            Err(_) => anyhow::bail!("the scheduler thread stopped abnormally"),
        }
    }
}
