//! OSS: the configured buckets behind the `object_store` crate (a local
//! directory by default, an S3-compatible endpoint when configured), with
//! every access checked against the RAM roles first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::config::{BucketConfig, BucketKind, Config};
use crate::roles::{Access, authorize};
use crate::{OssUri, StoreError};

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ObjectEntry {
    /// Its address.
    pub uri: String,
    /// Its size in bytes.
    pub size: u64,
    /// RFC 3339 time of the last write.
    pub last_modified: String,
}

/// The object storage of a workspace.
pub struct Oss {
    config: Arc<Config>,
    config_dir: PathBuf,
    state_dir: PathBuf,
    runtime: tokio::runtime::Runtime,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl std::fmt::Debug for Oss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oss")
            .field("state_dir", &self.state_dir)
            .finish()
    }
}

impl Oss {
    /// Storage for a workspace: `config_dir` anchors relative bucket paths,
    /// `state_dir/oss/NAME` holds unconfigured buckets.
    pub fn new(
        config: Arc<Config>,
        config_dir: PathBuf,
        state_dir: PathBuf,
    ) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::io(&state_dir, e))?;
        Ok(Oss {
            config,
            config_dir,
            state_dir,
            runtime,
            stores: Mutex::new(HashMap::new()),
        })
    }

    /// Writes `bytes` to `uri` in one atomic step. Without `overwrite` an
    /// existing object is an error and nothing is written, also when
    /// several writers race: exactly one wins.
    pub fn put(
        &self,
        uri: &OssUri,
        bytes: Vec<u8>,
        overwrite: bool,
        role: Option<&str>,
    ) -> Result<(), StoreError> {
        authorize(&self.config, uri, Access::Write, role)?;
        let (store, path) = self.locate(uri)?;
        let mode = if overwrite {
            PutMode::Overwrite
        } else {
            PutMode::Create
        };
        let opts = PutOptions {
            mode,
            ..Default::default()
        };
        let fut = store.put_opts(&path, PutPayload::from(bytes), opts);
        match self.runtime.block_on(fut) {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => {
                Err(StoreError::ObjectExists(uri.to_string()))
            }
            Err(e) => Err(oss_error(uri, e)),
        }
    }

    /// Reads a whole object.
    pub fn get(&self, uri: &OssUri, role: Option<&str>) -> Result<Vec<u8>, StoreError> {
        authorize(&self.config, uri, Access::Read, role)?;
        if self.absent_local_bucket(&uri.bucket)? {
            return Err(StoreError::ObjectNotFound(uri.to_string()));
        }
        let (store, path) = self.locate(uri)?;
        let fut = async move { store.get(&path).await?.bytes().await };
        match self.runtime.block_on(fut) {
            Ok(b) => Ok(b.to_vec()),
            Err(object_store::Error::NotFound { .. }) => {
                Err(StoreError::ObjectNotFound(uri.to_string()))
            }
            Err(e) => Err(oss_error(uri, e)),
        }
    }

    /// Whether an object exists (needs read access).
    pub fn exists(&self, uri: &OssUri, role: Option<&str>) -> Result<bool, StoreError> {
        authorize(&self.config, uri, Access::Read, role)
            .or_else(|_| authorize(&self.config, uri, Access::Write, role))?;
        if self.local_dir_missing(&uri.bucket) {
            return Ok(false);
        }
        let (store, path) = self.locate(uri)?;
        match self.runtime.block_on(store.head(&path)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(oss_error(uri, e)),
        }
    }

    /// Deletes an object; deleting a missing object is not an error.
    pub fn delete(&self, uri: &OssUri, role: Option<&str>) -> Result<(), StoreError> {
        authorize(&self.config, uri, Access::Write, role)?;
        self.delete_unchecked(uri)
    }

    /// Deletes an object without a role check (crash recovery acting for
    /// a writer that was authorized).
    pub(crate) fn delete_unchecked(&self, uri: &OssUri) -> Result<(), StoreError> {
        let (store, path) = self.locate(uri)?;
        match self.runtime.block_on(store.delete(&path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(oss_error(uri, e)),
        }
    }

    /// Every object below `uri` (a prefix), sorted by key.
    pub fn list(&self, uri: &OssUri, role: Option<&str>) -> Result<Vec<ObjectEntry>, StoreError> {
        authorize(&self.config, uri, Access::Read, role)?;
        if self.absent_local_bucket(&uri.bucket)? {
            return Ok(Vec::new());
        }
        let (store, path) = self.locate(uri)?;
        let prefix = (!uri.key.is_empty()).then_some(path);
        let fut = async move { store.list(prefix.as_ref()).try_collect::<Vec<_>>().await };
        let metas = match self.runtime.block_on(fut) {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(oss_error(uri, e)),
        };
        let mut out: Vec<ObjectEntry> = metas
            .into_iter()
            .map(|m| ObjectEntry {
                uri: format!("oss://{}/{}", uri.bucket, m.location),
                size: m.size,
                last_modified: m
                    .last_modified
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
            .collect();
        out.sort_by(|a, b| a.uri.cmp(&b.uri));
        Ok(out)
    }

    /// For a read: whether `bucket` is a configured local bucket whose
    /// directory is not there yet (it holds nothing; reading must not
    /// create it). An unconfigured bucket without its directory is
    /// [`StoreError::NoSuchBucket`], naming the buckets there are.
    fn absent_local_bucket(&self, bucket: &str) -> Result<bool, StoreError> {
        if !self.local_dir_missing(bucket) {
            return Ok(false);
        }
        if self.config.buckets.contains_key(bucket) {
            return Ok(true);
        }
        let names = self.bucket_names();
        let known = if names.is_empty() {
            "there are no buckets yet; configure one as `[buckets.NAME]` in pai-engine.toml, or write to it (an export creates a local bucket)".to_string()
        } else {
            let list = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = pai_core::suggest(bucket, names.iter().map(String::as_str))
                .map_or(String::new(), |s| format!("did you mean `{s}`? "));
            format!("{hint}(buckets: {list})")
        };
        Err(StoreError::NoSuchBucket {
            bucket: bucket.to_string(),
            known,
        })
    }

    /// Whether `bucket` is local and its directory is not there (yet).
    fn local_dir_missing(&self, bucket: &str) -> bool {
        self.local_dir(bucket).is_some_and(|dir| !dir.is_dir())
    }

    /// The configured buckets and the local ones present under the state
    /// directory, sorted.
    pub fn bucket_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.config.buckets.keys().cloned().collect();
        if let Ok(entries) = std::fs::read_dir(self.state_dir.join("oss")) {
            names.extend(
                entries
                    .flatten()
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().to_str().map(String::from)),
            );
        }
        names.sort();
        names.dedup();
        names
    }

    /// The store of a bucket and the object path of a key.
    fn locate(&self, uri: &OssUri) -> Result<(Arc<dyn ObjectStore>, ObjectPath), StoreError> {
        let path = ObjectPath::parse(uri.key.trim_end_matches('/'))
            .map_err(|e| StoreError::Invalid(format!("`{uri}`: not a valid object key: {e}")))?;
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = stores.get(&uri.bucket) {
            return Ok((s.clone(), path));
        }
        let default = BucketConfig::default();
        let bucket = self.config.buckets.get(&uri.bucket).unwrap_or(&default);
        let store = match bucket.kind {
            BucketKind::Local => self.local_store(&uri.bucket, bucket)?,
            BucketKind::S3 => s3_store(&uri.bucket, bucket)?,
        };
        stores.insert(uri.bucket.clone(), store.clone());
        Ok((store, path))
    }

    fn local_store(
        &self,
        name: &str,
        bucket: &BucketConfig,
    ) -> Result<Arc<dyn ObjectStore>, StoreError> {
        let dir = match &bucket.path {
            Some(p) if p.is_absolute() => p.clone(),
            Some(p) => self.config_dir.join(p),
            None => self.state_dir.join("oss").join(name),
        };
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| StoreError::Oss {
                uri: format!("oss://{name}/"),
                message: e.to_string(),
            })?
            .with_automatic_cleanup(true);
        Ok(Arc::new(store))
    }

    /// The directory of a local bucket (for tests and `oss` listings).
    pub fn local_dir(&self, name: &str) -> Option<PathBuf> {
        let default = BucketConfig::default();
        let bucket = self.config.buckets.get(name).unwrap_or(&default);
        (bucket.kind == BucketKind::Local).then(|| match &bucket.path {
            Some(p) if p.is_absolute() => p.clone(),
            Some(p) => self.config_dir.join(p),
            None => self.state_dir.join("oss").join(name),
        })
    }

    /// The state directory this storage belongs to.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }
}

/// An S3-compatible bucket; credentials come from environment variables.
fn s3_store(name: &str, bucket: &BucketConfig) -> Result<Arc<dyn ObjectStore>, StoreError> {
    // Building an HTTP client needs a process-wide crypto provider; a second
    // install attempt fails harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config_error = |message: String| StoreError::Invalid(format!("bucket `{name}`: {message}"));
    let endpoint = bucket.endpoint.clone().ok_or_else(|| {
        config_error("`kind = \"s3\"` needs `endpoint` in pai-engine.toml".into())
    })?;
    let key_var = bucket
        .access_key_id_env
        .clone()
        .unwrap_or_else(|| "AWS_ACCESS_KEY_ID".into());
    let secret_var = bucket
        .secret_access_key_env
        .clone()
        .unwrap_or_else(|| "AWS_SECRET_ACCESS_KEY".into());
    let var = |v: &str| {
        std::env::var(v).map_err(|_| {
            config_error(format!(
                "the credentials are read from the environment variable `{v}`, which is not set"
            ))
        })
    };
    let retry = object_store::RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(15),
        ..Default::default()
    };
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_allow_http(endpoint.starts_with("http://"))
        .with_virtual_hosted_style_request(false)
        .with_region(bucket.region.as_deref().unwrap_or("us-east-1"))
        .with_bucket_name(bucket.bucket.as_deref().unwrap_or(name))
        .with_access_key_id(var(&key_var)?)
        .with_secret_access_key(var(&secret_var)?)
        .with_retry(retry)
        .build()
        .map_err(|e| config_error(e.to_string()))?;
    Ok(Arc::new(store))
}

fn oss_error(uri: &OssUri, e: object_store::Error) -> StoreError {
    StoreError::Oss {
        uri: uri.to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oss(dir: &Path) -> Oss {
        Oss::new(Arc::new(Config::default()), dir.into(), dir.join(".pai")).unwrap()
    }

    #[test]
    fn put_get_list_delete_on_a_local_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let oss = oss(dir.path());
        let a = OssUri::parse("oss://models/exports/a.xml").unwrap();
        oss.put(&a, b"<PMML/>".to_vec(), false, None).unwrap();
        assert_eq!(oss.get(&a, None).unwrap(), b"<PMML/>");
        assert!(dir.path().join(".pai/oss/models/exports/a.xml").is_file());
        let e = oss.put(&a, b"x".to_vec(), false, None).unwrap_err();
        assert!(matches!(e, StoreError::ObjectExists(_)), "{e}");
        assert_eq!(oss.get(&a, None).unwrap(), b"<PMML/>");
        oss.put(&a, b"new".to_vec(), true, None).unwrap();
        assert_eq!(oss.get(&a, None).unwrap(), b"new");
        let listed = oss
            .list(&OssUri::parse("oss://models/exports/").unwrap(), None)
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].uri, "oss://models/exports/a.xml");
        assert_eq!(listed[0].size, 3);
        assert!(oss.exists(&a, None).unwrap());
        oss.delete(&a, None).unwrap();
        assert!(!oss.exists(&a, None).unwrap());
        let e = oss.get(&a, None).unwrap_err();
        assert!(matches!(e, StoreError::ObjectNotFound(_)), "{e}");
        let e = oss
            .list(&OssUri::parse("oss://empty/").unwrap(), None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "no bucket `empty`: (buckets: `models`)",
            "listing a missing bucket names the ones there are"
        );
        assert!(!dir.path().join(".pai/oss/empty").exists());
    }

    #[test]
    fn a_configured_bucket_lists_empty_before_its_first_write() {
        let dir = tempfile::tempdir().unwrap();
        let config: Config = toml::from_str("[buckets.models]\n").unwrap();
        let oss = Oss::new(Arc::new(config), dir.path().into(), dir.path().join(".pai")).unwrap();
        let uri = OssUri::parse("oss://models/prod/").unwrap();
        assert!(oss.list(&uri, None).unwrap().is_empty());
        assert!(
            !oss.exists(&OssUri::parse("oss://models/a").unwrap(), None)
                .unwrap()
        );
        assert!(!dir.path().join(".pai").exists());
        let e = oss
            .list(&OssUri::parse("oss://modles/").unwrap(), None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "no bucket `modles`: did you mean `models`? (buckets: `models`)"
        );
    }

    #[test]
    fn racing_creates_have_one_winner() {
        let dir = tempfile::tempdir().unwrap();
        let oss = oss(dir.path());
        let a = OssUri::parse("oss://models/race.bin").unwrap();
        let wins: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8u8)
                .map(|i| {
                    let (oss, a) = (&oss, &a);
                    s.spawn(move || oss.put(a, vec![i; 1 << 16], false, None).is_ok())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(wins, 1);
        let bytes = oss.get(&a, None).unwrap();
        assert!(bytes.iter().all(|&b| b == bytes[0]) && bytes.len() == 1 << 16);
    }
}
