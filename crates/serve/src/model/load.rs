//! Loading a service's model from its `model_path`:
//! `offline-model://project/NAME[@V]` (the OfflineModel's `.meta` for
//! `pai-pipeline`, its exported `.xml` for `pmml`), `oss://bucket/key`
//! (for `pai-pipeline` the key names the `.meta` object and the `.model`
//! object lies beside it), or a filesystem path (relative paths are
//! relative to the workspace root; `file://` is accepted). Every load ends
//! with a check: the model scores a probe row built from its input schema.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pai_client::{Processor, ServiceSpec};
use pai_store::{OssUri, Store};

use super::native::NativeServing;
use super::pmml::PmmlServing;
use super::{ServingModel, probe_batch};

/// Loads models for services.
pub struct Loader {
    store: Arc<Store>,
    base_dir: PathBuf,
    tmp_dir: PathBuf,
}

/// Where a model's bytes are.
enum Source {
    File(PathBuf),
    Oss(OssUri),
}

impl Loader {
    /// A loader resolving OfflineModels and OSS through `store`, relative
    /// paths against `base_dir`, staging OSS downloads in `tmp_dir`.
    pub fn new(store: Arc<Store>, base_dir: PathBuf, tmp_dir: PathBuf) -> Self {
        Loader {
            store,
            base_dir,
            tmp_dir,
        }
    }

    /// Loads and checks the model of `spec`; the error says what failed.
    pub fn load(&self, spec: &ServiceSpec) -> Result<Arc<dyn ServingModel>, String> {
        let path = spec.model_path.trim();
        let model: Arc<dyn ServingModel> =
            match (self.source(path, spec.processor)?, spec.processor) {
                (Source::File(p), Processor::Pmml) => {
                    let xml = std::fs::read_to_string(&p)
                        .map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
                    Arc::new(PmmlServing::parse(&xml).map_err(|e| format!("`{path}`: {e}"))?)
                }
                (Source::File(p), Processor::PaiPipeline) => Arc::new(native(&p, path)?),
                (Source::Oss(uri), Processor::Pmml) => {
                    let bytes = self.store.oss.get(&uri, None).map_err(|e| e.to_string())?;
                    let xml = String::from_utf8(bytes).map_err(|_| {
                        format!("`{path}` is not UTF-8 text, so not a PMML document")
                    })?;
                    Arc::new(PmmlServing::parse(&xml).map_err(|e| format!("`{path}`: {e}"))?)
                }
                (Source::Oss(uri), Processor::PaiPipeline) => {
                    Arc::new(self.native_from_oss(&uri, path)?)
                }
            };
        let probe = probe_batch(model.inputs());
        model
            .score(&probe)
            .map_err(|e| format!("`{path}` loaded but failed its check on a probe row: {e}"))?;
        Ok(model)
    }

    fn source(&self, path: &str, processor: Processor) -> Result<Source, String> {
        if let Some(rest) = path.strip_prefix("offline-model://") {
            let (project, reference) = rest.split_once('/').ok_or_else(|| {
                format!(
                    "`{path}`: an OfflineModel address is `offline-model://PROJECT/NAME[@VERSION]`"
                )
            })?;
            let v = self
                .store
                .models
                .resolve(project, reference)
                .map_err(|e| e.to_string())?;
            let ext = match processor {
                Processor::Pmml => "xml",
                Processor::PaiPipeline => "meta",
            };
            let file = self.store.models.file(&v, ext);
            if !file.is_file() {
                return Err(match processor {
                    Processor::Pmml => format!(
                        "OfflineModel `{}` has no PMML document (formats: {}); register it with PMML export, or use processor `pai-pipeline`",
                        v.reference(),
                        v.formats.join(", ")
                    ),
                    Processor::PaiPipeline => format!(
                        "OfflineModel `{}` has no native model files (formats: {}); use processor `pmml`",
                        v.reference(),
                        v.formats.join(", ")
                    ),
                });
            }
            return Ok(Source::File(file));
        }
        if path.starts_with("oss://") {
            return OssUri::parse(path)
                .map(Source::Oss)
                .map_err(|e| format!("`{path}`: {e}"));
        }
        let p = Path::new(path.strip_prefix("file://").unwrap_or(path));
        Ok(Source::File(if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }))
    }

    fn native_from_oss(&self, meta: &OssUri, path: &str) -> Result<NativeServing, String> {
        let Some(stem) = meta.key.strip_suffix(".meta") else {
            return Err(format!(
                "`{path}`: for processor `pai-pipeline` an OSS address names the `.meta` object (the `.model` object lies beside it)"
            ));
        };
        let model_uri = OssUri {
            bucket: meta.bucket.clone(),
            key: format!("{stem}.model"),
        };
        let meta_bytes = self.store.oss.get(meta, None).map_err(|e| e.to_string())?;
        let model_bytes = self
            .store
            .oss
            .get(&model_uri, None)
            .map_err(|e| e.to_string())?;
        let dir = self.tmp_dir.join(crate::token::generate_token());
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        let meta_file = dir.join("model.meta");
        let result = std::fs::write(&meta_file, meta_bytes)
            .and_then(|()| std::fs::write(dir.join("model.model"), model_bytes))
            .map_err(|e| format!("cannot stage `{path}`: {e}"))
            .and_then(|()| native(&meta_file, path));
        let _ = std::fs::remove_dir_all(&dir);
        result
    }
}

fn native(meta: &Path, path: &str) -> Result<NativeServing, String> {
    if meta.extension().is_some_and(|e| e == "pmml" || e == "xml") {
        return Err(format!(
            "`{path}` looks like a PMML document; use processor `pmml` for it"
        ));
    }
    let loaded = pai_components::model_file::read_model(meta).map_err(|e| e.to_string())?;
    NativeServing::new(loaded).map_err(|e| format!("`{path}`: {e}"))
}
