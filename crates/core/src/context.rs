//! The context a component runner gets: where its inputs are, where to
//! write outputs, the run's identity, cancellation, logs and metrics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::{Artifact, Error, Metered, Result, UsageClass, UsageContext};

/// Identity of the run a node belongs to; recorded in model lineage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// The run id.
    pub run_id: String,
    /// The pipeline's `metadata.name`.
    pub pipeline: String,
    /// The project that models and tables belong to.
    pub project: String,
    /// sha256 of the manifest file's bytes.
    pub manifest_sha256: String,
    /// The git commit of the manifest's repository, if any.
    pub git_commit: Option<String>,
}

/// A shared handle on the stores a component may use. `pai-core` knows
/// nothing of storage, so the handle is opaque here.
pub type Services = Arc<dyn std::any::Any + Send + Sync>;

/// A cancellation flag shared between the scheduler and a running component.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// One line a component logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// RFC 3339 timestamp.
    pub ts: String,
    /// `info` or `warn`.
    pub level: String,
    /// The message.
    pub message: String,
}

/// What a runner produced: for each output port, its main file inside
/// [`RunContext::output_dir`].
#[derive(Debug, Default)]
pub struct NodeOutputs {
    /// `(port, main file)` pairs.
    pub files: Vec<(String, PathBuf)>,
}

impl NodeOutputs {
    /// Adds the main file of an output port.
    pub fn with(mut self, port: &str, file: PathBuf) -> Self {
        self.files.push((port.to_string(), file));
        self
    }
}

/// Everything a runner may use. Built by the scheduler for each attempt.
#[derive(Debug)]
pub struct RunContext {
    /// The run this node belongs to.
    pub run: Arc<RunInfo>,
    /// The node id.
    pub node_id: String,
    /// The 1-based attempt number.
    pub attempt: u32,
    /// The directory of the manifest; relative paths resolve against it.
    pub manifest_dir: PathBuf,
    /// The workspace's state directory (`.pai/`).
    pub state_dir: PathBuf,
    /// A fresh, private directory for this attempt's outputs.
    pub output_dir: PathBuf,
    /// The connected inputs, by port name.
    pub inputs: BTreeMap<String, Artifact>,
    /// Set when the run is cancelled or the node times out.
    pub cancel: CancelFlag,
    /// Worker threads the component may use for CPU-heavy work (set by the
    /// scheduler from the machine's cores and the run's parallelism).
    pub threads: usize,
    /// The workspace's stores (models, OSS), set by the command that runs
    /// the pipeline; components downcast it to the store type they know.
    pub services: Option<Services>,
    logs: Mutex<Vec<LogLine>>,
    metrics: Mutex<Option<serde_json::Value>>,
    metered: Mutex<Vec<Metered>>,
}

impl RunContext {
    /// A context for one attempt of a node.
    pub fn new(
        run: Arc<RunInfo>,
        node_id: &str,
        manifest_dir: PathBuf,
        state_dir: PathBuf,
        output_dir: PathBuf,
    ) -> Self {
        RunContext {
            run,
            node_id: node_id.to_string(),
            attempt: 1,
            manifest_dir,
            state_dir,
            output_dir,
            inputs: BTreeMap::new(),
            cancel: CancelFlag::default(),
            threads: 1,
            services: None,
            logs: Mutex::new(Vec::new()),
            metrics: Mutex::new(None),
            metered: Mutex::new(Vec::new()),
        }
    }

    /// The artifact connected to input `port`.
    pub fn input(&self, port: &str) -> Result<&Artifact> {
        self.inputs
            .get(port)
            .ok_or_else(|| Error::invalid(format!("input `{port}` has no data: it is not connected, or the upstream node did not produce that output")))
    }

    /// The artifact connected to input `port`, if any.
    pub fn optional_input(&self, port: &str) -> Option<&Artifact> {
        self.inputs.get(port)
    }

    /// A path for a file of output `port`, creating the port's directory.
    pub fn output_file(&self, port: &str, file_name: &str) -> Result<PathBuf> {
        let dir = self.output_dir.join(port);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(dir.join(file_name))
    }

    /// Resolves a user path: relative paths are relative to the manifest.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.manifest_dir.join(path)
        }
    }

    /// Returns `Err(Cancelled)` once cancellation was requested; call it
    /// between chunks of long work.
    pub fn check_cancelled(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Records a log line for `pai-engine runs logs`.
    pub fn log(&self, level: &str, message: impl Into<String>) {
        let line = LogLine {
            ts: now_rfc3339(),
            level: level.to_string(),
            message: message.into(),
        };
        if let Ok(mut logs) = self.logs.lock() {
            logs.push(line);
        }
    }

    /// Reports the node's metrics (shown by `pai-engine runs show`).
    pub fn set_metrics(&self, metrics: serde_json::Value) {
        if let Ok(mut m) = self.metrics.lock() {
            *m = Some(metrics);
        }
    }

    /// Reports a metered operation whose effect is this attempt's outputs
    /// (a read, an evaluation): the ledger entry is written with the
    /// node's record, succeeded if and only if the attempt succeeds.
    pub fn meter(&self, class: UsageClass, operation: &str) {
        self.push_metered(class, operation, None);
    }

    fn push_metered(&self, class: UsageClass, operation: &str, outcome: Option<bool>) {
        if let Ok(mut m) = self.metered.lock() {
            m.push(Metered {
                class,
                operation: operation.to_string(),
                outcome,
            });
        }
    }

    /// Takes the reported metered operations.
    pub fn take_metered(&self) -> Vec<Metered> {
        self.metered
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }

    /// The usage context of this node: its project, pipeline, run and id.
    pub fn usage_context(&self) -> UsageContext {
        UsageContext {
            project: self.run.project.clone(),
            pipeline: Some(self.run.pipeline.clone()),
            run_id: Some(self.run.run_id.clone()),
            node: Some(self.node_id.clone()),
        }
    }

    /// Takes the logged lines and reported metrics.
    pub fn take_records(&self) -> (Vec<LogLine>, Option<serde_json::Value>) {
        let logs = self
            .logs
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default();
        let metrics = self
            .metrics
            .lock()
            .map(|mut m| m.take())
            .unwrap_or_default();
        (logs, metrics)
    }
}

/// The current UTC time as RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
