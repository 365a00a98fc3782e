//! Ports: the typed, named inputs and outputs of a component.

use serde::{Deserialize, Serialize};

/// The type of data that flows through a port. An input may only be wired
/// to an output of the same type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortType {
    /// An Arrow table, stored as Parquet.
    Table,
    /// A fitted model in the original format (`.meta` + `.model`).
    Model,
    /// A JSON document of metrics.
    Metrics,
    /// A rendered file (for example an SVG plot).
    File,
}

impl PortType {
    /// The lowercase name used in messages and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            PortType::Table => "table",
            PortType::Model => "model",
            PortType::Metrics => "metrics",
            PortType::File => "file",
        }
    }
}

impl std::fmt::Display for PortType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One declared port of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortSpec {
    /// The port name, as written in `inputs:` (`NODE.PORT`).
    pub name: &'static str,
    /// What flows through it.
    #[serde(rename = "type")]
    pub ty: PortType,
    /// For an input, whether it must be connected; for an output, whether
    /// it is always produced (optional outputs depend on optional inputs).
    pub required: bool,
    /// One line on what the port carries.
    pub doc: &'static str,
}

impl PortSpec {
    /// A required port.
    pub const fn required(name: &'static str, ty: PortType, doc: &'static str) -> Self {
        PortSpec {
            name,
            ty,
            required: true,
            doc,
        }
    }

    /// An optional input, or an output produced only in some cases.
    pub const fn optional(name: &'static str, ty: PortType, doc: &'static str) -> Self {
        PortSpec {
            name,
            ty,
            required: false,
            doc,
        }
    }
}
