//! The run loop: which node runs when, and what state everything ends in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pai_core::{
    Artifact, CancelFlag, NodeState, RunContext, RunInfo, RunState, Services, UsageEntry,
    now_rfc3339,
};
use pai_manifest::ValidatedPipeline;
use pai_store::{Catalog, NodeRecord, RunRecord};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::events::{Event, Observer, Silent};
use crate::publish::{discard, publish};
use crate::recorder::Recorder;
use crate::{NodeExecutor, SchedulerError};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Nodes that may run at once.
    pub parallelism: usize,
    /// Stop everything at the first failure.
    pub fail_fast: bool,
    /// A previous run whose succeeded nodes are reused.
    pub resume_from: Option<String>,
    /// The manifest path recorded for the run.
    pub manifest_path: String,
    /// The git commit and dirty flag of the manifest, if in a repository.
    pub git: Option<(String, bool)>,
    /// The run's kind (`pipeline`, or a task name such as
    /// `model-combination`). A task may resume from (reuse the outputs
    /// of) a run of another pipeline; a pipeline only from its own.
    pub kind: String,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The run id.
    pub run_id: String,
    /// The final state.
    pub state: RunState,
    /// The final node records, in manifest order.
    pub nodes: Vec<NodeRecord>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Executes pipelines and records them.
pub struct Scheduler {
    catalog: Arc<dyn Catalog>,
    executor: Arc<dyn NodeExecutor>,
    observer: Arc<dyn Observer>,
    artifacts_root: PathBuf,
    state_dir: PathBuf,
    services: Option<Services>,
}

/// A new, sortable, unique run id: `YYYYMMDD-HHMMSS-xxxxxxxx` (32 random
/// bits per second, so that even a thousand runs a second rarely collide;
/// the catalog's primary key refuses a collision rather than mixing runs).
pub fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = chrono::Utc::now();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now.timestamp_nanos_opt().unwrap_or_default() as u128);
    h.write_u32(std::process::id());
    format!(
        "{}-{:08x}",
        now.format("%Y%m%d-%H%M%S"),
        h.finish() & 0xffff_ffff
    )
}

struct Attempted {
    node: usize,
    state: NodeState,
    attempts: u32,
    error: Option<String>,
    outputs: Vec<Artifact>,
    metrics: Option<serde_json::Value>,
    usage: Vec<(UsageEntry, chrono::DateTime<chrono::Utc>)>,
    elapsed: Duration,
}

impl Scheduler {
    /// A scheduler writing to `catalog` and storing artifacts below
    /// `state_dir/artifacts`.
    pub fn new(
        catalog: Arc<dyn Catalog>,
        executor: Arc<dyn NodeExecutor>,
        state_dir: PathBuf,
    ) -> Self {
        Scheduler {
            catalog,
            executor,
            observer: Arc::new(Silent),
            artifacts_root: state_dir.join("artifacts"),
            state_dir,
            services: None,
        }
    }

    /// Gives every node the workspace's stores.
    pub fn with_services(mut self, services: Services) -> Self {
        self.services = Some(services);
        self
    }

    /// Sends run events to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// Runs `pipeline` to completion. `cancel` turning true cancels the run.
    pub async fn run(
        &self,
        pipeline: Arc<ValidatedPipeline>,
        project: String,
        opts: RunOptions,
        cancel: watch::Receiver<bool>,
    ) -> Result<RunOutcome, SchedulerError> {
        self.run_with_id(new_run_id(), pipeline, project, opts, cancel)
            .await
    }

    /// Like [`Scheduler::run`], under a run id chosen by the caller (from
    /// [`new_run_id`]), so that it can be recorded before the run starts.
    pub async fn run_with_id(
        &self,
        run_id: String,
        pipeline: Arc<ValidatedPipeline>,
        project: String,
        opts: RunOptions,
        cancel: watch::Receiver<bool>,
    ) -> Result<RunOutcome, SchedulerError> {
        self.executor.run_started();
        let outcome = self
            .run_nodes(run_id, pipeline, project, opts, cancel)
            .await;
        self.executor.run_ended();
        outcome
    }

    async fn run_nodes(
        &self,
        run_id: String,
        pipeline: Arc<ValidatedPipeline>,
        project: String,
        opts: RunOptions,
        mut cancel: watch::Receiver<bool>,
    ) -> Result<RunOutcome, SchedulerError> {
        let started = Instant::now();
        let n = pipeline.nodes.len();
        let mut records: Vec<NodeRecord> = pipeline
            .nodes
            .iter()
            .map(|node| NodeRecord::pending(&run_id, &node.id, node.config.info().name))
            .collect();
        if let Some(prev) = &opts.resume_from {
            self.apply_resume(prev, &pipeline, &mut records, opts.kind != "pipeline")?;
        }
        let (git_commit, git_dirty) = opts
            .git
            .clone()
            .map_or((None, false), |(c, d)| (Some(c), d));
        let run = RunRecord {
            id: run_id.clone(),
            kind: opts.kind.clone(),
            pipeline: pipeline.name.clone(),
            project: project.clone(),
            manifest_path: opts.manifest_path.clone(),
            manifest_sha256: pipeline.sha256.clone(),
            git_commit: git_commit.clone(),
            git_dirty,
            state: RunState::Running,
            started_at: now_rfc3339(),
            ended_at: None,
            error: None,
            resumed_from: opts.resume_from.clone(),
            owner: Some(pai_store::RunOwner::current()),
        };
        self.catalog.create_run(&run, &records)?;
        let run_dir = self.artifacts_root.join(&run_id);
        std::fs::create_dir_all(&run_dir).map_err(|source| SchedulerError::Io {
            path: run_dir.clone(),
            source,
        })?;
        let info = Arc::new(RunInfo {
            run_id: run_id.clone(),
            pipeline: pipeline.name.clone(),
            project,
            manifest_sha256: pipeline.sha256.clone(),
            git_commit,
        });
        let recorder = Recorder::start(self.catalog.clone());

        // remaining upstream count per node; reused nodes are already done
        let mut waiting: Vec<usize> = pipeline
            .nodes
            .iter()
            .map(|node| node.upstream.len())
            .collect();
        let mut downstream: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in pipeline.nodes.iter().enumerate() {
            for &u in &node.upstream {
                downstream[u].push(i);
            }
        }
        let mut ready: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
        let mut done = 0usize;
        for i in pipeline.order.iter().copied() {
            if records[i].state == NodeState::Succeeded {
                done += 1;
                for &d in &downstream[i] {
                    waiting[d] -= 1;
                }
            }
        }
        for i in pipeline.order.iter().copied() {
            if records[i].state == NodeState::Pending && waiting[i] == 0 {
                ready.push_back(i);
            }
        }
        let parallelism = opts.parallelism.max(1);
        let threads_per_node =
            (std::thread::available_parallelism().map_or(1, |p| p.get()) / parallelism).max(1);
        let mut running: JoinSet<Attempted> = JoinSet::new();
        let mut flags: BTreeMap<usize, Stop> = BTreeMap::new();
        let mut cancelled = *cancel.borrow();
        let mut stopping = false; // fail-fast or cancel: start nothing new

        while done < n {
            while !stopping && running.len() < parallelism {
                let Some(i) = ready.pop_front() else { break };
                // upstream failure decided when the node becomes ready
                let node = &pipeline.nodes[i];
                if node
                    .upstream
                    .iter()
                    .any(|&u| records[u].state != NodeState::Succeeded)
                {
                    self.finish_node(
                        &recorder,
                        &mut records[i],
                        NodeState::UpstreamFailed,
                        None,
                        Duration::ZERO,
                        i,
                    );
                    done += 1;
                    for &d in &downstream[i] {
                        waiting[d] -= 1;
                        if waiting[d] == 0 {
                            ready.push_back(d);
                        }
                    }
                    continue;
                }
                let mut inputs = BTreeMap::new();
                for e in &node.inputs {
                    if let Some(a) = records[e.from]
                        .outputs
                        .iter()
                        .find(|a| a.port == e.from_port)
                    {
                        inputs.insert(e.port.clone(), a.clone());
                    }
                }
                let flag = Stop::default();
                flags.insert(i, flag.clone());
                records[i].state = NodeState::Running;
                records[i].started_at = Some(now_rfc3339());
                recorder.node(records[i].clone());
                self.observer.on_event(&Event::NodeStarted {
                    node: i,
                    attempt: 1,
                });
                let job = NodeJob {
                    pipeline: pipeline.clone(),
                    index: i,
                    info: info.clone(),
                    inputs,
                    flag,
                    executor: self.executor.clone(),
                    run_dir: run_dir.clone(),
                    state_dir: self.state_dir.clone(),
                    threads: threads_per_node,
                    observer: self.observer.clone(),
                    services: self.services.clone(),
                };
                let logs = recorder.log_sink();
                running.spawn(job.run(logs));
            }
            if running.is_empty() {
                if ready.is_empty() || stopping {
                    break;
                }
                continue;
            }
            tokio::select! {
                joined = running.join_next() => {
                    let Some(joined) = joined else { continue };
                    let a = match joined {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::error!(error = %e, "a node task ended abnormally");
                            continue;
                        }
                    };
                    flags.remove(&a.node);
                    let i = a.node;
                    records[i].attempts = a.attempts;
                    records[i].outputs = a.outputs;
                    records[i].metrics = a.metrics;
                    records[i].usage = a.usage;
                    let state = if cancelled && a.state != NodeState::Succeeded { NodeState::Cancelled } else { a.state };
                    if state == NodeState::Failed && opts.fail_fast {
                        stopping = true;
                        for f in flags.values() {
                            f.cancel();
                        }
                    }
                    self.finish_node(&recorder, &mut records[i], state, a.error, a.elapsed, i);
                    done += 1;
                    for &d in &downstream[i] {
                        waiting[d] -= 1;
                        if waiting[d] == 0 {
                            ready.push_back(d);
                        }
                    }
                }
                changed = cancel.changed(), if !cancelled => {
                    if changed.is_err() || *cancel.borrow() {
                        cancelled = true;
                        stopping = true;
                        for f in flags.values() {
                            f.cancel();
                        }
                    }
                }
            }
        }
        // nodes never started
        let leftover = if cancelled {
            NodeState::Cancelled
        } else {
            NodeState::Skipped
        };
        for (i, r) in records.iter_mut().enumerate() {
            if !r.state.is_terminal() {
                let state = leftover;
                r.state = state;
                r.ended_at = Some(now_rfc3339());
                recorder.node(r.clone());
                self.observer.on_event(&Event::NodeFinished {
                    node: i,
                    state,
                    elapsed: Duration::ZERO,
                });
            }
        }
        recorder.finish()?;
        let state = if cancelled {
            RunState::Cancelled
        } else if records.iter().all(|r| r.state == NodeState::Succeeded) {
            RunState::Succeeded
        } else {
            RunState::Failed
        };
        let error = records
            .iter()
            .find(|r| r.state == NodeState::Failed)
            .map(|r| {
                format!(
                    "node `{}` failed: {}",
                    r.node_id,
                    r.error.as_deref().unwrap_or("")
                )
            });
        self.catalog
            .finish_run(&run_id, state, &now_rfc3339(), error.as_deref())?;
        discard(&run_dir.join(".staging"));
        Ok(RunOutcome {
            run_id,
            state,
            nodes: records,
            elapsed: started.elapsed(),
        })
    }

    fn finish_node(
        &self,
        recorder: &Recorder,
        record: &mut NodeRecord,
        state: NodeState,
        error: Option<String>,
        elapsed: Duration,
        index: usize,
    ) {
        record.state = state;
        record.error = error;
        record.ended_at = Some(now_rfc3339());
        if state != NodeState::UpstreamFailed {
            record.duration_ms = Some(elapsed.as_millis() as u64);
        }
        if state != NodeState::Succeeded {
            record.outputs.clear();
        }
        recorder.node(record.clone());
        // Each metered request is appended once, with this record.
        record.usage.clear();
        self.observer.on_event(&Event::NodeFinished {
            node: index,
            state,
            elapsed,
        });
    }

    /// Marks the nodes that succeeded in run `prev` as reused.
    fn apply_resume(
        &self,
        prev: &str,
        pipeline: &ValidatedPipeline,
        records: &mut [NodeRecord],
        any_pipeline: bool,
    ) -> Result<(), SchedulerError> {
        let old_run = self.catalog.get_run(prev)?;
        if old_run.pipeline != pipeline.name && !any_pipeline {
            return Err(SchedulerError::Resume {
                run: old_run.id,
                reason: format!(
                    "it ran pipeline `{}`, not `{}`",
                    old_run.pipeline, pipeline.name
                ),
            });
        }
        if old_run.manifest_sha256 != pipeline.sha256 && !any_pipeline {
            tracing::warn!(run = %old_run.id, "the manifest changed since the resumed run; reusing outputs of unchanged node ids");
        }
        let old = self.catalog.node_runs(&old_run.id)?;
        for r in records.iter_mut() {
            if let Some(o) = old
                .iter()
                .find(|o| o.node_id == r.node_id && o.component == r.component)
            {
                let files_exist = o.outputs.iter().all(|a| a.path.exists());
                if o.state == NodeState::Succeeded && files_exist {
                    r.state = NodeState::Succeeded;
                    r.outputs = o.outputs.clone();
                    r.metrics = o.metrics.clone();
                    r.attempts = 0;
                    r.reused_from =
                        Some(o.reused_from.clone().unwrap_or_else(|| old_run.id.clone()));
                }
            }
        }
        Ok(())
    }
}

use crate::recorder::LogSink;

/// A node's stop signal: a flag the job can test, and a notification it
/// can await.
#[derive(Clone, Default)]
struct Stop {
    flag: CancelFlag,
    notify: Arc<tokio::sync::Notify>,
}

impl Stop {
    fn cancel(&self) {
        self.flag.cancel();
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    fn is_cancelled(&self) -> bool {
        self.flag.is_cancelled()
    }

    async fn wait(&self) {
        while !self.flag.is_cancelled() {
            self.notify.notified().await;
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// One node's attempts, run as a tokio task.
struct NodeJob {
    pipeline: Arc<ValidatedPipeline>,
    index: usize,
    info: Arc<RunInfo>,
    inputs: BTreeMap<String, Artifact>,
    flag: Stop,
    executor: Arc<dyn NodeExecutor>,
    run_dir: PathBuf,
    state_dir: PathBuf,
    threads: usize,
    observer: Arc<dyn Observer>,
    services: Option<Services>,
}

impl NodeJob {
    async fn run(self, logs: LogSink) -> Attempted {
        let node = &self.pipeline.nodes[self.index];
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut usage = Vec::new();
        loop {
            attempt += 1;
            if attempt > 1 {
                self.observer.on_event(&Event::NodeStarted {
                    node: self.index,
                    attempt,
                });
            }
            let staging = self
                .run_dir
                .join(".staging")
                .join(format!("{}-{attempt}", node.id));
            let mut ctx = RunContext::new(
                self.info.clone(),
                &node.id,
                self.pipeline.dir.clone(),
                self.state_dir.clone(),
                staging.clone(),
            );
            ctx.attempt = attempt;
            ctx.inputs = self.inputs.clone();
            ctx.threads = self.threads;
            ctx.services = self.services.clone();
            let ctx = Arc::new(ctx);
            let (exec, pipeline, index, ctx2) = (
                self.executor.clone(),
                self.pipeline.clone(),
                self.index,
                ctx.clone(),
            );
            let attempt_flag = ctx.cancel.clone();
            let mut handle = tokio::task::spawn_blocking(move || {
                pai_core::failpoint("node:running");
                exec.execute(&pipeline.nodes[index], &ctx2)
            });
            let deadline = node.timeout.map(|t| tokio::time::Instant::now() + t);
            let mut timed_out = false;
            // Wait for the attempt, relaying a run cancel or a timeout to the
            // component, which stops at its next check.
            let joined = loop {
                tokio::select! {
                    r = &mut handle => break r,
                    () = self.flag.wait(), if !attempt_flag.is_cancelled() => attempt_flag.cancel(),
                    () = sleep_until(deadline), if !attempt_flag.is_cancelled() => {
                        timed_out = true;
                        attempt_flag.cancel();
                    }
                }
            };
            let timed = (joined, timed_out);
            let (lines, metrics) = ctx.take_records();
            for l in &lines {
                tracing::info!(node = %node.id, level = %l.level, "{}", l.message);
            }
            logs(
                lines
                    .into_iter()
                    .map(|l| (self.info.run_id.clone(), node.id.clone(), l))
                    .collect(),
            );
            let result = match timed {
                (_, true) => Err(format!(
                    "timed out after {} s (`timeout_seconds`)",
                    node.timeout.map_or(0, |t| t.as_secs())
                )),
                (Ok(Ok(outputs)), false) => {
                    let final_dir = self.run_dir.join(&node.id);
                    publish(&staging, &final_dir, outputs, node.config.info().outputs)
                }
                (Ok(Err(pai_core::Error::Cancelled)), false) => Err("cancelled".into()),
                (Ok(Err(e)), false) => Err(e.to_string()),
                (Err(join), false) => Err(format!("the component crashed: {join}")),
            };
            discard(&staging);
            let at = pai_store::now();
            for m in ctx.take_metered() {
                let entry = UsageEntry {
                    class: m.class,
                    operation: m.operation,
                    context: ctx.usage_context(),
                    succeeded: m.outcome.unwrap_or(result.is_ok()),
                };
                usage.push((entry, at));
            }
            match result {
                Ok(outputs) => {
                    return Attempted {
                        node: self.index,
                        state: NodeState::Succeeded,
                        attempts: attempt,
                        error: None,
                        outputs,
                        metrics,
                        usage: std::mem::take(&mut usage),
                        elapsed: started.elapsed(),
                    };
                }
                Err(error) => {
                    let cancelled = self.flag.is_cancelled();
                    if cancelled || attempt > node.retry.limit {
                        // the last attempt's error is the node's, which the
                        // caller reports once
                        tracing::debug!(node = %node.id, attempt, error = %error, "attempt failed");
                        return Attempted {
                            node: self.index,
                            state: if cancelled {
                                NodeState::Cancelled
                            } else {
                                NodeState::Failed
                            },
                            attempts: attempt,
                            error: Some(error),
                            outputs: Vec::new(),
                            metrics,
                            usage: std::mem::take(&mut usage),
                            elapsed: started.elapsed(),
                        };
                    }
                    let wait = node
                        .retry
                        .backoff
                        .saturating_mul(1 << (attempt - 1).min(16));
                    tracing::warn!(node = %node.id, attempt, error = %error, "attempt failed; retrying in {wait:?}");
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = self.flag.wait() => {
                            return Attempted {
                                node: self.index,
                                state: NodeState::Cancelled,
                                attempts: attempt,
                                error: Some("cancelled while waiting to retry".into()),
                                outputs: Vec::new(),
                                metrics,
                                usage: std::mem::take(&mut usage),
                                elapsed: started.elapsed(),
                            };
                        }
                    }
                }
            }
        }
    }
}
