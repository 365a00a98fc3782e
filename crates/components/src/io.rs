//! How components exchange tables: each table output is one Parquet file in
//! the node's output directory, and each table input is read back from it.

use std::path::PathBuf;

use arrow::array::RecordBatch;
use pai_core::{Result, RunContext};

use crate::table::{TableFormat, read_parquet, write_table};

/// The file name of a table artifact.
pub const TABLE_FILE: &str = "data.parquet";

/// Reads the table connected to input `port`.
pub fn input_table(ctx: &RunContext, port: &str) -> Result<RecordBatch> {
    read_parquet(&ctx.input(port)?.path)
}

/// Writes `batch` as output `port` and returns the file to list in the
/// node's outputs.
pub fn output_table(ctx: &RunContext, port: &str, batch: &RecordBatch) -> Result<PathBuf> {
    let path = ctx.output_file(port, TABLE_FILE)?;
    write_table(batch, &path, TableFormat::Parquet, false)?;
    Ok(path)
}
