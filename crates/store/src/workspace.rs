//! The workspace: the state directory and configuration a command works in.

use std::path::{Path, PathBuf};

use crate::{Config, SqliteCatalog, StoreError};

/// The config file name looked up from the current directory upwards.
pub const CONFIG_FILE: &str = "pai-engine.toml";

/// A located workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The state directory (`.pai/`).
    pub state_dir: PathBuf,
    /// The parsed `pai-engine.toml`, or defaults.
    pub config: Config,
    /// Where the config came from, if a file was found.
    pub config_path: Option<PathBuf>,
}

impl Workspace {
    /// Finds the workspace for `cwd`: `PAI_HOME` if set, else `.pai/` beside
    /// the nearest `pai-engine.toml` above `cwd`, else `cwd/.pai`.
    pub fn discover(cwd: &Path) -> Result<Self, StoreError> {
        let config_path = cwd
            .ancestors()
            .map(|d| d.join(CONFIG_FILE))
            .find(|p| p.is_file());
        let config = match &config_path {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        let state_dir = match std::env::var_os("PAI_HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home),
            None => config_path
                .as_ref()
                .and_then(|p| p.parent())
                .unwrap_or(cwd)
                .join(".pai"),
        };
        Ok(Workspace {
            state_dir,
            config,
            config_path,
        })
    }

    /// The project to use when a manifest names none.
    pub fn default_project(&self) -> &str {
        self.config.default_project.as_deref().unwrap_or("default")
    }

    /// Opens (creating and migrating on first use) the catalog.
    pub fn catalog(&self) -> Result<SqliteCatalog, StoreError> {
        std::fs::create_dir_all(&self.state_dir).map_err(|e| StoreError::io(&self.state_dir, e))?;
        SqliteCatalog::open(&self.catalog_path())
    }

    /// The catalog file, `catalog.db` in the state directory.
    pub fn catalog_path(&self) -> PathBuf {
        self.state_dir.join("catalog.db")
    }

    /// Opens the catalog when it exists, and `None` when nothing was ever
    /// recorded here: read-only commands use this so that they create
    /// neither the state directory nor the catalog.
    pub fn existing_catalog(&self) -> Result<Option<SqliteCatalog>, StoreError> {
        let path = self.catalog_path();
        if !path.is_file() {
            return Ok(None);
        }
        SqliteCatalog::open(&path).map(Some)
    }

    /// The directory that relative paths in `pai-engine.toml` start from:
    /// the file's directory, else the state directory's parent.
    pub fn config_dir(&self) -> PathBuf {
        self.config_path
            .as_ref()
            .and_then(|p| p.parent())
            .or_else(|| self.state_dir.parent())
            .map(PathBuf::from)
            .unwrap_or_default()
    }

    /// The directory holding one run's artifacts.
    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.state_dir.join("artifacts").join(run_id)
    }
}
