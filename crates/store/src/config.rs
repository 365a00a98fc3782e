//! `pai-engine.toml`: the workspace configuration.

use std::path::Path;

use serde::Deserialize;

use crate::StoreError;

/// The workspace configuration. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The project used when a manifest names none.
    pub default_project: Option<String>,
}

impl Config {
    /// Reads and parses a config file; errors carry line and column.
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
        let config: Config = toml::from_str(&text).map_err(|e| StoreError::Config {
            path: path.to_path_buf(),
            message: describe_toml_error(&text, &e),
        })?;
        if let Some(p) = &config.default_project {
            pai_core::check_model_name("project", p).map_err(|message| StoreError::Config {
                path: path.to_path_buf(),
                message: format!("`default_project`: {message}"),
            })?;
        }
        Ok(config)
    }
}

/// `line:column: message` for a TOML error.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{line}:{col}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pai-engine.toml");
        std::fs::write(&p, "default_project = \"demo\"\ndefault_projet = 1\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("2:1"), "{err}");
        assert!(err.contains("default_projet"), "{err}");
    }

    #[test]
    fn bad_project_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pai-engine.toml");
        std::fs::write(&p, "default_project = \"../etc\"\n").unwrap();
        assert!(Config::load(&p).is_err());
    }
}
