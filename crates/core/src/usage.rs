//! Usage metering vocabulary: the billable classes, who made a request
//! ([`UsageContext`]) and one ledger entry ([`UsageEntry`]). The ledger
//! itself lives in `pai-store`.

use serde::{Deserialize, Serialize};

/// A billable class of requests, priced and given a free tier on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageClass {
    /// OfflineModel operations: copy, read, export, general-purpose export.
    OfflineModel,
    /// Lorenz Curve evaluations.
    LorenzCurve,
    /// Model service updates.
    ServiceUpdate,
}

impl UsageClass {
    /// Every class, in report order.
    pub const ALL: [UsageClass; 3] = [
        UsageClass::OfflineModel,
        UsageClass::LorenzCurve,
        UsageClass::ServiceUpdate,
    ];

    /// The class's name in reports and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageClass::OfflineModel => "offline_model",
            UsageClass::LorenzCurve => "lorenz_curve",
            UsageClass::ServiceUpdate => "service_update",
        }
    }

    /// Parses a class name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for UsageClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a request: a node of a pipeline run, or the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageContext {
    /// The project the request is charged to.
    pub project: String,
    /// The pipeline, or `None` for the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// The run id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The node id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl UsageContext {
    /// A request made from the command line.
    pub fn cli(project: &str) -> Self {
        UsageContext {
            project: project.to_string(),
            pipeline: None,
            run_id: None,
            node: None,
        }
    }

    /// `pipeline/run/node`, or `cli`.
    pub fn origin(&self) -> String {
        match (&self.pipeline, &self.run_id, &self.node) {
            (Some(p), Some(r), Some(n)) => format!("{p}/{r}/{n}"),
            _ => "cli".to_string(),
        }
    }
}

/// One request, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEntry {
    /// Its class.
    pub class: UsageClass,
    /// The operation: the component name (`copy_offline_model`) or the
    /// command (`models copy`).
    pub operation: String,
    /// Who made it.
    pub context: UsageContext,
    /// Whether it succeeded; only succeeded requests are billed.
    pub succeeded: bool,
}

/// A metered operation a component reports, recorded with the node's
/// record in one transaction when the attempt ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered {
    /// Its class.
    pub class: UsageClass,
    /// The operation (the component's name).
    pub operation: String,
    /// `Some(false)` for a failure already known; `None` takes the
    /// attempt's outcome.
    pub outcome: Option<bool>,
}
