//! `read_table`: reads a CSV or Parquet file into a table.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::io::TableWriter;
use crate::table::{BatchSink, ColumnType, TableFormat, parquet_reader, read_csv_into};

/// Reads a CSV (with a header row) or Parquet file. Column types are
/// inferred; `columns` forces the type of named columns.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadTable {
    /// The file to read, relative to the manifest.
    pub path: PathBuf,
    /// The file format; guessed from the extension (`.csv`, `.parquet`) when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TableFormat>,
    /// Column types to force, by column name (`int64`, `float64`, `string`, `bool`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, ColumnType>,
    /// The CSV field delimiter: one ASCII character.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
}

fn default_delimiter() -> String {
    ",".into()
}

impl Component for ReadTable {
    const NAME: &'static str = "read_table";
    const SUMMARY: &'static str = "Read a CSV or Parquet file into a table";
    const INPUTS: &'static [PortSpec] = &[];
    const OUTPUTS: &'static [PortSpec] = &[PortSpec::required(
        "output",
        PortType::Table,
        "the table read",
    )];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let path = ctx.resolve(&self.path);
        if !path.is_file() {
            return Err(Error::invalid(format!(
                "`path`: no file at `{}` (paths are relative to the manifest)",
                path.display()
            )));
        }
        let format = match self.format.or_else(|| TableFormat::guess(&path)) {
            Some(f) => f,
            None => {
                return Err(Error::invalid(format!(
                    "`format`: cannot tell the format of `{}` from its extension; set `format: csv` or `format: parquet`",
                    path.display()
                )));
            }
        };
        let (columns, rows, file) = match format {
            TableFormat::Csv => {
                let delimiter = match self.delimiter.as_bytes() {
                    [b] if b.is_ascii() => *b,
                    _ => {
                        return Err(Error::invalid(
                            "`delimiter` must be exactly one ASCII character",
                        ));
                    }
                };
                let overrides: Vec<(String, ColumnType)> =
                    self.columns.iter().map(|(k, v)| (k.clone(), *v)).collect();
                // stream: each parsed batch goes to the artifact while the
                // next ones are parsed
                let mut out = ArtifactSink {
                    ctx,
                    writer: None,
                    columns: 0,
                    rows: 0,
                };
                read_csv_into(&path, delimiter, &overrides, &mut out)?;
                let writer = out
                    .writer
                    .ok_or_else(|| Error::invalid("the CSV reader produced no table"))?;
                (out.columns, out.rows, writer.finish()?)
            }
            TableFormat::Parquet => {
                if !self.columns.is_empty() {
                    return Err(Error::invalid(
                        "`columns` applies to CSV files only; Parquet files carry their own types",
                    ));
                }
                // stream: each decoded batch goes straight to the artifact
                let reader = parquet_reader(&path)?;
                let schema = arrow::array::RecordBatchReader::schema(&reader);
                let mut out = TableWriter::create(ctx, "output", &schema)?;
                let mut rows = 0;
                for batch in reader {
                    let batch =
                        batch.map_err(|e| Error::invalid(format!("`{}`: {e}", path.display())))?;
                    ctx.check_cancelled()?;
                    rows += batch.num_rows();
                    out.write(&batch)?;
                }
                (schema.fields().len(), rows, out.finish()?)
            }
        };
        ctx.log(
            "info",
            format!(
                "read {rows} rows x {columns} columns from `{}`",
                path.display()
            ),
        );
        ctx.set_metrics(serde_json::json!({ "rows": rows, "columns": columns }));
        Ok(NodeOutputs::default().with("output", file))
    }
}

/// Writes the table being read to the node's `output` artifact.
struct ArtifactSink<'a> {
    ctx: &'a RunContext,
    writer: Option<TableWriter>,
    columns: usize,
    rows: usize,
}

impl BatchSink for ArtifactSink<'_> {
    fn begin(&mut self, schema: &arrow::datatypes::SchemaRef) -> Result<()> {
        // a restart: the old writer goes before the file is created again
        drop(self.writer.take());
        self.writer = Some(TableWriter::create(self.ctx, "output", schema)?);
        self.columns = schema.fields().len();
        self.rows = 0;
        Ok(())
    }

    fn batch(&mut self, batch: arrow::array::RecordBatch) -> Result<()> {
        self.ctx.check_cancelled()?;
        self.rows += batch.num_rows();
        match &mut self.writer {
            Some(w) => w.write(&batch),
            None => Err(Error::invalid("a batch before the table's schema")),
        }
    }
}
