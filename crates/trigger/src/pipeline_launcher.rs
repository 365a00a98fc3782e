//! The real [`Launcher`]: validates the schedule's manifest text with the
//! slot's `${bizdate}` and `${slot_time}`, keeps the schedule's `nodes` and
//! their ancestors, and runs it on pai-scheduler under the fire's run id.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pai_core::{RunState, Services};
use pai_scheduler::{ComponentExecutor, RunOptions, Scheduler};
use pai_store::Catalog;
use tokio::sync::{oneshot, watch};

use crate::launcher::{LaunchRequest, Launcher, RunHandle, RunResult};

/// Finds the git commit and dirty flag of a manifest.
pub type GitDescribe = Arc<dyn Fn(&Path) -> Option<(String, bool)> + Send + Sync>;

/// Runs scheduled pipelines on pai-scheduler.
pub struct PipelineLauncher {
    catalog: Arc<dyn Catalog>,
    state_dir: PathBuf,
    default_project: String,
    services: Option<Services>,
    git: Option<GitDescribe>,
    issued: Mutex<HashSet<String>>,
}

impl PipelineLauncher {
    /// Runs into `catalog`, with artifacts below `state_dir`; pipelines
    /// without a project use `default_project`.
    pub fn new(catalog: Arc<dyn Catalog>, state_dir: PathBuf, default_project: String) -> Self {
        PipelineLauncher {
            catalog,
            state_dir,
            default_project,
            services: None,
            git: None,
            issued: Mutex::new(HashSet::new()),
        }
    }

    /// Gives every run the workspace's stores (models, OSS).
    pub fn with_services(mut self, services: Services) -> Self {
        self.services = Some(services);
        self
    }

    /// Records each run's git commit with `describe`.
    pub fn with_git(mut self, describe: GitDescribe) -> Self {
        self.git = Some(describe);
        self
    }
}

impl Launcher for PipelineLauncher {
    fn new_run_id(&self) -> String {
        // run ids carry 24 random bits per second: redraw the rare repeat
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        if issued.len() > 100_000 {
            issued.clear();
        }
        loop {
            let id = pai_scheduler::new_run_id();
            if issued.insert(id.clone()) {
                return id;
            }
        }
    }

    fn start(&self, req: LaunchRequest) -> Result<RunHandle, String> {
        let def = &req.schedule;
        let local = req.slot.with_timezone(&def.schedule.cron.timezone());
        let vars = pai_manifest::slot_vars(&local);
        let sp =
            pai_manifest::validate_scheduled(&def.manifest_path, &def.manifest_text, Some(&vars))
                .map_err(|e| e.to_string())?;
        let pipeline = match &def.schedule.nodes {
            Some(nodes) => sp.pipeline.subset(nodes).map_err(|e| e.to_string())?,
            None => sp.pipeline,
        };
        let parallelism = pipeline.parallelism.map_or_else(
            || std::thread::available_parallelism().map_or(2, |n| n.get()),
            |p| p as usize,
        );
        let opts = RunOptions {
            parallelism,
            fail_fast: false,
            resume_from: None,
            manifest_path: def.manifest_path.display().to_string(),
            git: self.git.as_ref().and_then(|g| g(&def.manifest_path)),
            kind: "pipeline".into(),
        };
        let project = def
            .project
            .clone()
            .unwrap_or_else(|| self.default_project.clone());
        let mut scheduler = Scheduler::new(
            self.catalog.clone(),
            Arc::new(ComponentExecutor),
            self.state_dir.clone(),
        );
        if let Some(s) = &self.services {
            scheduler = scheduler.with_services(s.clone());
        }
        let (cancel, cancel_rx) = watch::channel(false);
        let (done_tx, done) = oneshot::channel();
        let run_id = req.run_id.clone();
        let schedule = def.id.clone();
        tokio::spawn(async move {
            let result = match scheduler
                .run_with_id(run_id.clone(), Arc::new(pipeline), project, opts, cancel_rx)
                .await
            {
                Ok(outcome) => match outcome.state {
                    RunState::Succeeded => RunResult::Succeeded,
                    RunState::Cancelled => RunResult::Cancelled,
                    RunState::Failed | RunState::Running | RunState::Abandoned => {
                        let failed: Vec<String> = outcome
                            .nodes
                            .iter()
                            .filter(|n| n.error.is_some())
                            .map(|n| {
                                format!(
                                    "node `{}`: {}",
                                    n.node_id,
                                    n.error.as_deref().unwrap_or("")
                                )
                            })
                            .collect();
                        RunResult::Failed(format!("run `{run_id}` failed: {}", failed.join("; ")))
                    }
                },
                Err(e) => RunResult::Failed(e.to_string()),
            };
            tracing::info!(schedule = %schedule, run = %run_id, result = ?result, "scheduled run ended");
            let _ = done_tx.send(result);
        });
        Ok(RunHandle { cancel, done })
    }
}
