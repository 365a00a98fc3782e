//! `pai-engine pmml score`: scores a CSV or Parquet table with a PMML
//! document written by any producer.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use pai_components::table::{TableFormat, read_table, write_table};

/// The `pmml` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PmmlCommand {
    /// Score a table with a PMML model; output columns are named as JPMML-Evaluator names them.
    Score {
        /// The PMML document (versions 4.0 to 4.4).
        model: PathBuf,
        /// The input table (CSV with a header, or Parquet).
        #[arg(long, short)]
        input: PathBuf,
        /// Where to write the results (CSV or Parquet, by extension).
        #[arg(long, short)]
        output: PathBuf,
        /// Also copy the input columns into the output, before the results.
        #[arg(long)]
        keep_input: bool,
        /// Replace an existing output file.
        #[arg(long)]
        overwrite: bool,
    },
}

/// Runs a `pmml` subcommand.
pub fn run(cmd: PmmlCommand) -> anyhow::Result<ExitCode> {
    let PmmlCommand::Score {
        model,
        input,
        output,
        keep_input,
        overwrite,
    } = cmd;
    let t = Instant::now();
    let compiled = pai_components::pmml_table::load_pmml(&model)?;
    let loaded = t.elapsed();
    let in_format = TableFormat::guess(&input).with_context(|| {
        format!(
            "cannot tell the format of `{}`; use a .csv or .parquet file",
            input.display()
        )
    })?;
    let Some(out_format) = TableFormat::guess(&output) else {
        bail!(
            "cannot tell the format of `{}`; use a .csv or .parquet file",
            output.display()
        )
    };
    let table = read_table(&input, in_format)?;
    check_shared_fields(&compiled, &table, &model, &input)?;
    let t = Instant::now();
    let mut scored = pai_components::pmml_table::score_table(&compiled, &table)?;
    let elapsed = t.elapsed();
    if keep_input {
        let mut fields: Vec<_> = table.schema().fields().iter().cloned().collect();
        let mut cols = table.columns().to_vec();
        fields.extend(scored.schema().fields().iter().cloned());
        cols.extend(scored.columns().iter().cloned());
        scored = arrow::array::RecordBatch::try_new(
            std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
            cols,
        )?;
    }
    write_table(&scored, &output, out_format, overwrite)?;
    eprintln!(
        "scored {} in {:.1} ms (model loaded in {:.1} ms) -> {}",
        crate::summary::plural(table.num_rows(), "row", "rows"),
        elapsed.as_secs_f64() * 1e3,
        loaded.as_secs_f64() * 1e3,
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A table that shares no column with the model's input fields would score
/// every row as all-missing: almost surely the wrong table, so an error
/// naming the fields the model reads.
fn check_shared_fields(
    model: &pai_pmml::PmmlModel,
    table: &arrow::array::RecordBatch,
    model_path: &Path,
    input: &Path,
) -> anyhow::Result<()> {
    let inputs = model.input_fields();
    if inputs.is_empty()
        || inputs
            .iter()
            .any(|f| table.schema().column_with_name(&f.name).is_some())
    {
        return Ok(());
    }
    let list = |names: Vec<&str>| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let schema = table.schema();
    bail!(
        "`{}` has none of the input fields of the model `{}`: it reads {}; the table has {}",
        input.display(),
        model_path.display(),
        list(inputs.iter().map(|f| f.name.as_str()).collect()),
        list(schema.fields().iter().map(|f| f.name().as_str()).collect())
    )
}
