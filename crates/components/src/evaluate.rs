//! The plumbing the evaluation components share: their ports, reading a
//! label column without nulls, and writing `metrics.json`.

use pai_core::{Error, NodeOutputs, PortSpec, PortType, Result, RunContext};

/// The input port of every evaluation component.
pub const EVAL_INPUT: &[PortSpec] = &[PortSpec::required(
    "data",
    PortType::Table,
    "a table with the label and the prediction (the output of `predict`)",
)];

/// The output port of every evaluation component.
pub const METRICS_OUTPUT: &[PortSpec] = &[PortSpec::required(
    "metrics",
    PortType::Metrics,
    "the metrics as `metrics.json`",
)];

/// Values of column `name` as class names; a null is an error naming the row.
pub fn labels(batch: &arrow::array::RecordBatch, name: &str) -> Result<Vec<String>> {
    crate::frame::column_as_labels(batch, name)?
        .into_iter()
        .enumerate()
        .map(|(row, v)| {
            v.ok_or_else(|| {
                Error::invalid(format!(
                    "column `{name}`, row {row}: null value; every row needs a value to be evaluated"
                ))
            })
        })
        .collect()
}

/// Writes `metrics` as output `metrics` (`metrics.json`) and reports them.
pub fn write_metrics(ctx: &RunContext, metrics: serde_json::Value) -> Result<NodeOutputs> {
    let path = ctx.output_file("metrics", "metrics.json")?;
    let bytes = serde_json::to_vec_pretty(&metrics).map_err(Error::invalid)?;
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    ctx.set_metrics(metrics);
    Ok(NodeOutputs::default().with("metrics", path))
}
