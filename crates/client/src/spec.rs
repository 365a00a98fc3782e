//! [`ServiceSpec`]: the service description, following EAS's fields
//! (`name`, `model_path`, `processor`, `metadata.instance/cpu/memory`,
//! `token`) plus `missing_values`. Unknown top-level and `metadata` fields
//! are kept and returned as they were given, but not interpreted.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How a service's model is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Processor {
    /// A PMML 4.x document (`.pmml` / `.xml`).
    #[serde(rename = "pmml")]
    Pmml,
    /// The engine's native format: `NAME.meta` beside `NAME.model`.
    #[serde(rename = "pai-pipeline")]
    PaiPipeline,
}

impl Processor {
    /// `pmml` or `pai-pipeline`.
    pub fn as_str(self) -> &'static str {
        match self {
            Processor::Pmml => "pmml",
            Processor::PaiPipeline => "pai-pipeline",
        }
    }
}

/// What a missing input field becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingValues {
    /// The model's own treatment (PMML: its `MiningField` settings; native
    /// models: a missing value, as batch `predict` reads a null).
    #[default]
    Model,
    /// EAS's type defaults: 0 for numbers, `false` for booleans, `""` for
    /// strings.
    EasDefaults,
}

/// `metadata`: the resources of a service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceMetadata {
    /// Parallel workers: at most this many requests are scored at once
    /// (unlimited when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    /// CPU cores per instance (recorded, not enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// Memory per instance in MB (recorded, not enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    /// Other EAS metadata fields, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A service description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// The service name: `[a-z][a-z0-9_]{0,63}`.
    pub name: String,
    /// `oss://bucket/key`, a filesystem path, or
    /// `offline-model://project/NAME[@V]`. For `pai-pipeline` a path or
    /// OSS key names the `.meta` file; the `.model` file lies beside it.
    pub model_path: String,
    /// `pmml` or `pai-pipeline`.
    pub processor: Processor,
    /// Resources.
    #[serde(default)]
    pub metadata: ServiceMetadata,
    /// The token predictions must carry; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// What a missing input field becomes.
    #[serde(default)]
    pub missing_values: MissingValues,
    /// Other EAS fields, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServiceSpec {
    /// A description with default metadata.
    pub fn new(name: &str, model_path: &str, processor: Processor) -> Self {
        ServiceSpec {
            name: name.to_string(),
            model_path: model_path.to_string(),
            processor,
            metadata: ServiceMetadata::default(),
            token: None,
            missing_values: MissingValues::Model,
            extra: Map::new(),
        }
    }

    /// Parses a description from JSON, with a message naming the problem.
    pub fn from_json(value: Value) -> Result<Self, String> {
        let spec: ServiceSpec = serde_json::from_value(value)
            .map_err(|e| format!("invalid service description: {e}"))?;
        spec.check()?;
        Ok(spec)
    }

    /// Checks the fields' values.
    pub fn check(&self) -> Result<(), String> {
        check_service_name(&self.name)?;
        if self.model_path.trim().is_empty() {
            return Err("`model_path` is empty; give `oss://bucket/key`, a file path, or `offline-model://project/NAME[@V]`".into());
        }
        if self.metadata.instance == Some(0) {
            return Err("`metadata.instance` must be at least 1".into());
        }
        if self
            .metadata
            .cpu
            .is_some_and(|c| !(c.is_finite() && c > 0.0))
        {
            return Err("`metadata.cpu` must be a positive number".into());
        }
        if self.metadata.memory == Some(0) {
            return Err("`metadata.memory` must be a positive number of MB".into());
        }
        if let Some(t) = &self.token
            && (t.is_empty()
                || t.len() > 256
                || t.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err("`token` must be 1 to 256 characters without spaces".into());
        }
        Ok(())
    }
}

/// Checks a service name: a lowercase letter, then lowercase letters,
/// digits or `_`, at most 64 characters.
pub fn check_service_name(name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "service name `{}` is invalid: it must match `[a-z][a-z0-9_]{{0,63}}`",
            name.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_eas_descriptions_and_explains_errors() {
        let s = ServiceSpec::from_json(serde_json::json!({
            "name": "lr", "model_path": "oss://m/lr.pmml", "processor": "pmml",
            "metadata": {"instance": 2, "cpu": 1, "memory": 2000, "region": "x"},
            "missing_values": "eas_defaults", "cloud": {"a": 1}
        }))
        .unwrap();
        assert_eq!(s.metadata.instance, Some(2));
        assert_eq!(s.missing_values, MissingValues::EasDefaults);
        assert_eq!(s.extra["cloud"]["a"], 1);
        assert_eq!(s.metadata.extra["region"], "x");
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["processor"], "pmml");
        assert_eq!(back["metadata"]["region"], "x");

        let e = ServiceSpec::from_json(serde_json::json!({
            "name": "lr", "model_path": "x", "processor": "tensorflow"
        }))
        .unwrap_err();
        assert!(e.contains("pai-pipeline"), "{e}");
        let e = ServiceSpec::from_json(serde_json::json!({
            "name": "Bad-Name", "model_path": "x", "processor": "pmml"
        }))
        .unwrap_err();
        assert!(e.contains("`Bad-Name`"), "{e}");
        let e = ServiceSpec::from_json(serde_json::json!({"name": "a", "processor": "pmml"}))
            .unwrap_err();
        assert!(e.contains("model_path"), "{e}");
        let e = ServiceSpec::from_json(serde_json::json!({
            "name": "a", "model_path": "x", "processor": "pmml", "metadata": {"instance": 0}
        }))
        .unwrap_err();
        assert!(e.contains("instance"), "{e}");
    }
}
