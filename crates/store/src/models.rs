//! OfflineModels on disk: `.pai/projects/<project>/models/<name>/v<N>/`
//! holds `<name>.meta`, `<name>.model` and, when exported as PMML too,
//! `<name>.xml`. A version's files are staged, moved into place and
//! recorded in the catalog in one transaction: a crash leaves either the
//! whole version or no recorded version.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Meter;
use crate::model_catalog::{IfExists, ModelCatalog, ModelVersion, NewModelVersion};
use crate::{StoreError, fsutil};
use pai_core::{ModelName, ModelRef, ProjectName};

/// A file of a model version: its source path and its extension
/// (`meta`, `model` or `xml`).
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// Where the bytes are now.
    pub source: PathBuf,
    /// The extension it gets in the version directory.
    pub extension: &'static str,
}

/// The OfflineModels of a workspace.
#[derive(Clone)]
pub struct ModelStore {
    catalog: Arc<dyn ModelCatalog>,
    root: PathBuf,
}

impl std::fmt::Debug for ModelStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelStore")
            .field("root", &self.root)
            .finish()
    }
}

impl ModelStore {
    /// Models below `state_dir/projects`, recorded in `catalog`.
    pub fn new(catalog: Arc<dyn ModelCatalog>, state_dir: &Path) -> Self {
        ModelStore {
            catalog,
            root: state_dir.join("projects"),
        }
    }

    /// The catalog behind the store.
    pub fn catalog(&self) -> &Arc<dyn ModelCatalog> {
        &self.catalog
    }

    fn model_dir(&self, project: &str, name: &str) -> PathBuf {
        self.root.join(project).join("models").join(name)
    }

    /// The directory of a version.
    pub fn version_dir(&self, v: &ModelVersion) -> PathBuf {
        self.model_dir(&v.project, &v.name)
            .join(format!("v{}", v.version))
    }

    /// The path of a version's file with `extension`.
    pub fn file(&self, v: &ModelVersion, extension: &str) -> PathBuf {
        self.version_dir(v).join(format!("{}.{extension}", v.name))
    }

    /// Records `files` as a new version of `new.project/new.name`.
    pub fn register(
        &self,
        new: &NewModelVersion,
        files: &[ModelFile],
        if_exists: IfExists,
        meter: Option<&Meter<'_>>,
    ) -> Result<ModelVersion, StoreError> {
        ProjectName::check(&new.project)?;
        ModelName::check(&new.name)?;
        let dir = self.model_dir(&new.project, &new.name);
        let staging = dir.join(".staging").join(unique_suffix());
        std::fs::create_dir_all(&staging).map_err(|e| StoreError::io(&staging, e))?;
        let staged = stage(&staging, &new.name, files);
        let result = staged.and_then(|()| {
            pai_core::failpoint("model:staged");
            self.catalog
                .commit_model_version(new, if_exists, meter, &mut |version| {
                    let target = dir.join(format!("v{version}"));
                    if target.exists() {
                        // Left by a process that died before its commit:
                        // the catalog, which is the truth, never recorded it.
                        std::fs::remove_dir_all(&target).map_err(|e| StoreError::io(&target, e))?;
                    }
                    std::fs::rename(&staging, &target).map_err(|e| StoreError::io(&target, e))?;
                    fsutil::sync_dir(&dir);
                    Ok(())
                })
        });
        if staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    /// Copies a version to `dest_project/target` as a new model or, with
    /// `overwrite`, as the new latest version of an existing one; a
    /// `meter` is recorded with the new version.
    pub fn copy(
        &self,
        source: &ModelVersion,
        dest_project: &str,
        target: &str,
        overwrite: bool,
        meter: Option<&Meter<'_>>,
    ) -> Result<ModelVersion, StoreError> {
        if source.project == dest_project && source.name == target {
            return Err(StoreError::Model(format!(
                "cannot copy OfflineModel `{}/{}` onto itself: choose another `target_model_name` or `dest_project`",
                source.project, source.name
            )));
        }
        let files: Vec<ModelFile> = ["meta", "model", "xml"]
            .into_iter()
            .map(|ext| ModelFile {
                source: self.file(source, ext),
                extension: ext,
            })
            .filter(|f| f.source.is_file())
            .collect();
        let new = NewModelVersion {
            project: dest_project.to_string(),
            name: target.to_string(),
            class: source.class.clone(),
            formats: source.formats.clone(),
            lineage: source.lineage.clone(),
            metrics: source.metrics.clone(),
            copied_from: Some(source.reference()),
        };
        let if_exists = if overwrite {
            IfExists::AddVersion
        } else {
            IfExists::Refuse
        };
        self.register(&new, &files, if_exists, meter)
    }

    /// Every version of a model, oldest first; an unknown model or project
    /// is an error listing the close names.
    pub fn versions(&self, project: &str, name: &str) -> Result<Vec<ModelVersion>, StoreError> {
        ProjectName::check(project)?;
        let versions = self.catalog.model_versions(project, name)?;
        if versions.is_empty() {
            return Err(self.unknown_model(project, name)?);
        }
        Ok(versions)
    }

    /// Resolves `NAME` or `NAME@V` in `project`.
    pub fn resolve(&self, project: &str, reference: &str) -> Result<ModelVersion, StoreError> {
        let r = ModelRef::parse(reference)?;
        let versions = self.versions(project, &r.name)?;
        match r.version {
            None => versions.into_iter().last().ok_or_else(|| {
                StoreError::Model(format!(
                    "OfflineModel `{project}/{}` has no versions",
                    r.name
                ))
            }),
            Some(v) => {
                let listed: Vec<String> = versions.iter().map(|m| m.version.to_string()).collect();
                versions
                    .into_iter()
                    .find(|m| m.version == v)
                    .ok_or_else(|| {
                        StoreError::Model(format!(
                            "OfflineModel `{project}/{}` has no version {v}; its versions are {}",
                            r.name,
                            listed.join(", ")
                        ))
                    })
            }
        }
    }

    fn unknown_model(&self, project: &str, name: &str) -> Result<StoreError, StoreError> {
        let all = self.catalog.latest_models(None)?;
        let mut projects: Vec<&str> = all.iter().map(|m| m.project.as_str()).collect();
        projects.dedup();
        if !projects.contains(&project) {
            let hint = pai_core::suggest(project, projects.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            let known = if projects.is_empty() {
                "no project has OfflineModels yet".to_string()
            } else {
                format!("projects with OfflineModels: {}", projects.join(", "))
            };
            return Ok(StoreError::Model(format!(
                "unknown project `{project}` (it has no OfflineModels); {hint}{known}"
            )));
        }
        let names: Vec<&str> = all
            .iter()
            .filter(|m| m.project == project)
            .map(|m| m.name.as_str())
            .collect();
        let hint = pai_core::suggest(name, names.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        Ok(StoreError::Model(format!(
            "project `{project}` has no OfflineModel `{name}`; {hint}its models: {}",
            names.join(", ")
        )))
    }
}

/// Copies `files` into `staging` as `name.EXT`, durably.
fn stage(staging: &Path, name: &str, files: &[ModelFile]) -> Result<(), StoreError> {
    for f in files {
        let bytes = std::fs::read(&f.source).map_err(|e| StoreError::io(&f.source, e))?;
        let target = staging.join(format!("{name}.{}", f.extension));
        fsutil::write_atomic(&target, &bytes, true).map_err(|e| StoreError::io(&target, e))?;
    }
    Ok(())
}

/// A name no other staging directory has: pid, time and a counter.
fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteCatalog;

    fn store(dir: &Path) -> ModelStore {
        let catalog = SqliteCatalog::open(&dir.join("catalog.db")).unwrap();
        ModelStore::new(Arc::new(catalog), dir)
    }

    fn new(project: &str, name: &str) -> NewModelVersion {
        NewModelVersion {
            project: project.into(),
            name: name.into(),
            class: "LogisticRegressionModel".into(),
            formats: vec!["original".into()],
            lineage: serde_json::json!({"run_id": "r1"}),
            metrics: serde_json::json!({"auc": 0.9}),
            copied_from: None,
        }
    }

    fn files(dir: &Path, body: &str) -> Vec<ModelFile> {
        std::fs::write(dir.join("model.meta"), format!("meta {body}")).unwrap();
        std::fs::write(dir.join("model.model"), format!("model {body}")).unwrap();
        vec![
            ModelFile {
                source: dir.join("model.meta"),
                extension: "meta",
            },
            ModelFile {
                source: dir.join("model.model"),
                extension: "model",
            },
        ]
    }

    #[test]
    fn versions_copies_and_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let v1 = s
            .register(
                &new("dev", "churn"),
                &files(dir.path(), "a"),
                IfExists::AddVersion,
                None,
            )
            .unwrap();
        let v2 = s
            .register(
                &new("dev", "churn"),
                &files(dir.path(), "b"),
                IfExists::AddVersion,
                None,
            )
            .unwrap();
        assert_eq!((v1.version, v2.version), (1, 2));
        assert_eq!(
            std::fs::read_to_string(s.file(&v1, "model")).unwrap(),
            "model a"
        );
        assert_eq!(s.resolve("dev", "churn").unwrap().version, 2);
        assert_eq!(s.resolve("dev", "churn@1").unwrap().version, 1);
        let e = s.resolve("dev", "churn@7").unwrap_err().to_string();
        assert!(e.contains("no version 7") && e.contains("1, 2"), "{e}");
        let e = s.resolve("dev", "chrn").unwrap_err().to_string();
        assert!(e.contains("did you mean `churn`"), "{e}");
        let e = s.resolve("deve", "churn").unwrap_err().to_string();
        assert!(
            e.contains("unknown project `deve`") && e.contains("did you mean `dev`"),
            "{e}"
        );
        assert!(s.resolve("dev", "../x").is_err());
        assert!(s.resolve("dev", "churn@0").is_err());

        let c = s.copy(&v1, "prod", "churn", false, None).unwrap();
        assert_eq!(c.reference(), "prod/churn@1");
        assert_eq!(c.copied_from.as_deref(), Some("dev/churn@1"));
        assert_eq!(
            std::fs::read_to_string(s.file(&c, "meta")).unwrap(),
            "meta a"
        );
        let e = s
            .copy(&v2, "prod", "churn", false, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("already exists") && e.contains("overwrite"),
            "{e}"
        );
        assert_eq!(s.resolve("prod", "churn").unwrap().version, 1);
        let c2 = s.copy(&v2, "prod", "churn", true, None).unwrap();
        assert_eq!(c2.version, 2);
        assert_eq!(s.versions("prod", "churn").unwrap().len(), 2);
        let e = s
            .copy(&v2, "dev", "churn", true, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("onto itself"), "{e}");
        assert!(
            !dir.path()
                .join("projects/prod/models/churn/.staging")
                .read_dir()
                .unwrap()
                .any(|_| true)
        );
    }

    #[test]
    fn racing_copies_without_overwrite_have_one_winner() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let v1 = s
            .register(
                &new("dev", "m"),
                &files(dir.path(), "a"),
                IfExists::AddVersion,
                None,
            )
            .unwrap();
        let wins: usize = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..6)
                .map(|_| {
                    let path = dir.path().to_path_buf();
                    let v1 = v1.clone();
                    sc.spawn(move || {
                        usize::from(store(&path).copy(&v1, "prod", "m", false, None).is_ok())
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(wins, 1);
        assert_eq!(s.versions("prod", "m").unwrap().len(), 1);
    }

    #[test]
    fn an_orphaned_version_directory_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let orphan = dir.path().join("projects/dev/models/m/v1");
        std::fs::create_dir_all(&orphan).unwrap();
        std::fs::write(orphan.join("m.model"), "half").unwrap();
        let v = s
            .register(
                &new("dev", "m"),
                &files(dir.path(), "a"),
                IfExists::AddVersion,
                None,
            )
            .unwrap();
        assert_eq!(v.version, 1);
        assert_eq!(
            std::fs::read_to_string(s.file(&v, "model")).unwrap(),
            "model a"
        );
    }
}
