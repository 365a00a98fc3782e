//! `write_table`: writes a table to a CSV or Parquet file, atomically.

use std::path::PathBuf;

use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::io::input_table;
use crate::table::{TableFormat, write_table};

/// Writes the input table to a file. The write is atomic: readers see the
/// old file or the whole new one, never a partial file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteTable {
    /// The file to write, relative to the manifest.
    pub path: PathBuf,
    /// The file format; guessed from the extension when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TableFormat>,
    /// Replace an existing file. When false, an existing file is an error and is left untouched.
    #[serde(default)]
    pub overwrite: bool,
}

impl Component for WriteTable {
    const NAME: &'static str = "write_table";
    const SUMMARY: &'static str = "Write a table to a CSV or Parquet file";
    const INPUTS: &'static [PortSpec] = &[PortSpec::required(
        "data",
        PortType::Table,
        "the table to write",
    )];
    const OUTPUTS: &'static [PortSpec] = &[];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let path = ctx.resolve(&self.path);
        let format = self.format.or_else(|| TableFormat::guess(&path)).ok_or_else(|| {
            Error::invalid(format!(
                "`format`: cannot tell the format of `{}` from its extension; set `format: csv` or `format: parquet`",
                path.display()
            ))
        })?;
        let batch = input_table(ctx, "data")?;
        ctx.check_cancelled()?;
        write_table(&batch, &path, format, self.overwrite)?;
        // recorded as a full path, so that it reads the same from anywhere
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        ctx.log(
            "info",
            format!("wrote {} rows to `{}`", batch.num_rows(), path.display()),
        );
        ctx.set_metrics(
            serde_json::json!({ "rows": batch.num_rows(), "path": path.display().to_string() }),
        );
        Ok(NodeOutputs::default())
    }
}
