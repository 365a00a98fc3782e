//! Where schedules come from: manifests on disk, watched for added,
//! changed and removed files without a restart ([`ManifestWatcher`]), or a
//! fixed list ([`StaticSource`], for tests and embedding).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use pai_manifest::{ManifestError, Schedule, ScheduledPipeline};
use pai_store::RegisterSchedule;

use crate::TriggerError;

/// One schedule with the manifest it comes from.
#[derive(Debug, Clone)]
pub struct ScheduleDef {
    /// `pipeline/name`, unique across manifests.
    pub id: String,
    /// The pipeline's `metadata.name`.
    pub pipeline: String,
    /// The pipeline's project, if the manifest names one.
    pub project: Option<String>,
    /// The schedule.
    pub schedule: Schedule,
    /// The manifest file (absolute when it could be resolved).
    pub manifest_path: PathBuf,
    /// The manifest text the schedule was read from (runs use this text).
    pub manifest_text: Arc<str>,
    /// sha256 hex of the text.
    pub manifest_sha256: String,
}

impl ScheduleDef {
    /// The schedules of a validated manifest.
    pub fn from_manifest(path: &Path, text: &str, sp: &ScheduledPipeline) -> Vec<ScheduleDef> {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let text: Arc<str> = Arc::from(text);
        sp.schedules
            .iter()
            .map(|s| ScheduleDef {
                id: format!("{}/{}", sp.pipeline.name, s.name),
                pipeline: sp.pipeline.name.clone(),
                project: sp.pipeline.project.clone(),
                schedule: s.clone(),
                manifest_path: path.clone(),
                manifest_text: text.clone(),
                manifest_sha256: sp.pipeline.sha256.clone(),
            })
            .collect()
    }

    /// What the catalog records of it.
    pub fn registration(&self) -> RegisterSchedule {
        RegisterSchedule {
            id: self.id.clone(),
            pipeline: self.pipeline.clone(),
            name: self.schedule.name.clone(),
            manifest_path: self.manifest_path.display().to_string(),
            cron: self.schedule.cron.expression().to_string(),
            timezone: self.schedule.cron.timezone().name().to_string(),
        }
    }
}

/// Reads and validates one manifest; its schedules.
pub fn load_defs(path: &Path) -> Result<Vec<ScheduleDef>, TriggerError> {
    let text = std::fs::read_to_string(path).map_err(|source| TriggerError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let sp = pai_manifest::validate_scheduled(path, &text, None)?;
    Ok(ScheduleDef::from_manifest(path, &text, &sp))
}

/// A set of schedules that may change over time.
pub trait ScheduleSource: Send {
    /// The current schedules when they changed since the last call (the
    /// first call always returns them), else `None`.
    fn poll(&mut self) -> Option<Vec<Arc<ScheduleDef>>>;
}

/// A fixed list of schedules.
#[derive(Debug)]
pub struct StaticSource(Option<Vec<Arc<ScheduleDef>>>);

impl StaticSource {
    /// The source that always holds `defs`.
    pub fn new(defs: Vec<Arc<ScheduleDef>>) -> Self {
        StaticSource(Some(defs))
    }
}

impl ScheduleSource for StaticSource {
    fn poll(&mut self) -> Option<Vec<Arc<ScheduleDef>>> {
        self.0.take()
    }
}

struct Watched {
    stamp: (Option<SystemTime>, u64),
    sha256: String,
    defs: Vec<Arc<ScheduleDef>>,
}

/// Manifest files and directories (their `*.yaml` and `*.yml` files),
/// polled by modification time and size, then by content hash. A manifest
/// that turns invalid keeps its last valid schedules (its errors are
/// logged); a removed file drops its schedules.
pub struct ManifestWatcher {
    paths: Vec<PathBuf>,
    files: BTreeMap<PathBuf, Watched>,
    first: bool,
}

impl ManifestWatcher {
    /// Watches `paths` (files or directories).
    pub fn new(paths: Vec<PathBuf>) -> Self {
        ManifestWatcher {
            paths,
            files: BTreeMap::new(),
            first: true,
        }
    }

    fn list(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for p in &self.paths {
            if p.is_dir() {
                match std::fs::read_dir(p) {
                    Ok(entries) => {
                        for e in entries.flatten() {
                            let f = e.path();
                            let yaml = f.extension().is_some_and(|x| x == "yaml" || x == "yml");
                            if yaml && f.is_file() {
                                out.push(f);
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(path = %p.display(), error = %e, "cannot list the directory")
                    }
                }
            } else {
                out.push(p.clone());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn read(path: &Path) -> Result<(String, Vec<ScheduleDef>), Result<String, ManifestError>> {
        let text = std::fs::read_to_string(path).map_err(|e| Ok(e.to_string()))?;
        let sp = pai_manifest::validate_scheduled(path, &text, None).map_err(Err)?;
        let defs = ScheduleDef::from_manifest(path, &text, &sp);
        Ok((text, defs))
    }
}

impl ScheduleSource for ManifestWatcher {
    fn poll(&mut self) -> Option<Vec<Arc<ScheduleDef>>> {
        let mut changed = std::mem::take(&mut self.first);
        let listed = self.list();
        let present: HashSet<&PathBuf> = listed.iter().collect();
        let before = self.files.len();
        self.files.retain(|p, _| {
            let keep = present.contains(p);
            if !keep {
                tracing::info!(path = %p.display(), "manifest removed: its schedules stop");
            }
            keep
        });
        changed |= self.files.len() != before;
        for path in &listed {
            let meta = std::fs::metadata(path);
            let stamp = match &meta {
                Ok(m) => (m.modified().ok(), m.len()),
                Err(_) => (None, 0),
            };
            if self.files.get(path).is_some_and(|w| w.stamp == stamp) {
                continue;
            }
            let text = std::fs::read(path).unwrap_or_default();
            let sha256 = pai_core::sha256_hex(&text);
            if let Some(w) = self.files.get_mut(path)
                && w.sha256 == sha256
            {
                w.stamp = stamp;
                continue;
            }
            match Self::read(path) {
                Ok((_, defs)) => {
                    tracing::info!(path = %path.display(), schedules = defs.len(), "manifest loaded");
                    self.files.insert(
                        path.clone(),
                        Watched {
                            stamp,
                            sha256,
                            defs: defs.into_iter().map(Arc::new).collect(),
                        },
                    );
                    changed = true;
                }
                Err(e) => {
                    match e {
                        Ok(io) => {
                            tracing::warn!(path = %path.display(), error = %io, "cannot read the manifest")
                        }
                        Err(diags) => {
                            for d in &diags.0 {
                                tracing::error!(diagnostic = %d, "invalid manifest: its last valid schedules stay");
                            }
                        }
                    }
                    // remember the stamp so the errors are logged once per change
                    let w = self.files.entry(path.clone()).or_insert(Watched {
                        stamp,
                        sha256: String::new(),
                        defs: Vec::new(),
                    });
                    w.stamp = stamp;
                    w.sha256 = sha256;
                }
            }
        }
        if !changed {
            return None;
        }
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        for (path, w) in &self.files {
            for d in &w.defs {
                if seen.insert(d.id.clone()) {
                    all.push(d.clone());
                } else {
                    tracing::error!(schedule = %d.id, path = %path.display(), "duplicate schedule id across manifests: only the first is used");
                }
            }
        }
        Some(all)
    }
}
