//! `lorenz_curve`: how unequally numeric columns are distributed — the
//! Lorenz curve at equal population steps, the exact Gini coefficient, and
//! an SVG plot. The input streams through batch by batch; the sorting
//! spills to disk when the data does not fit the memory budget.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Int64Type, Schema, UInt32Type};
use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use pai_eval::{LorenzBuilder, LorenzOptions, LorenzResult, render_svg};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::io::{input_batches, output_table};

/// Computes the Lorenz curve and the Gini coefficient of each selected
/// numeric column (for example a model's prediction score). Nulls and NaN
/// are dropped and counted; the Gini is exact over all values.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LorenzCurve {
    /// The numeric columns to evaluate (at least one).
    #[schemars(length(min = 1))]
    pub select_fields: Vec<String>,
    /// The number of equal-probability intervals: each field gets `quantile + 1` curve points.
    #[serde(default = "default_quantile")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub quantile: u32,
    /// Threads used for sorting and summing (default: the cores available to the node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 256))]
    pub computing_cores: Option<u32>,
    /// Memory per core, in MiB; data beyond `computing_cores × memory_size_per_core_mb` is sorted in runs spilled to disk, and the result stays exact.
    #[serde(default = "default_memory")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub memory_size_per_core_mb: u32,
    /// A numeric column of frequency weights (a weight of 2 counts the row twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_field: Option<String>,
    /// Accept negative values; the curve is computed as defined and the Gini can leave [0, 1].
    #[serde(default)]
    pub allow_negative: bool,
}

fn default_quantile() -> u32 {
    100
}

fn default_memory() -> u32 {
    1024
}

impl Component for LorenzCurve {
    const NAME: &'static str = "lorenz_curve";
    const SUMMARY: &'static str =
        "Lorenz curve and exact Gini coefficient of numeric columns, with an SVG plot";
    const INPUTS: &'static [PortSpec] = &[PortSpec::required(
        "data",
        PortType::Table,
        "the table holding the columns",
    )];
    const OUTPUTS: &'static [PortSpec] = &[
        PortSpec::required(
            "output",
            PortType::Table,
            "the curve points: `field`, `quantile_index`, `population_share`, `value_share`",
        ),
        PortSpec::required(
            "metrics",
            PortType::Metrics,
            "per field: Gini, count, nulls and NaN dropped, sum, mean",
        ),
        PortSpec::required(
            "plot",
            PortType::File,
            "an SVG plot of the curves against the line of equality",
        ),
    ];
    const BILLING: Option<pai_core::UsageClass> = Some(pai_core::UsageClass::LorenzCurve);

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        crate::metering::meter_node(ctx, pai_core::UsageClass::LorenzCurve, Self::NAME)?;
        let mut stream = input_batches(ctx, "data")?;
        let schema = stream.schema();
        let mut columns = Vec::with_capacity(self.select_fields.len());
        for name in &self.select_fields {
            columns.push(numeric_column(&schema, name, "select_fields")?);
        }
        let weight = self
            .weight_field
            .as_deref()
            .map(|w| numeric_column(&schema, w, "weight_field"))
            .transpose()?;
        let threads = self
            .computing_cores
            .map_or(ctx.threads.max(1), |c| c as usize);
        let budget = threads as u64 * u64::from(self.memory_size_per_core_mb) * 1024 * 1024;
        let spill_dir = ctx.state_dir.join("tmp");
        std::fs::create_dir_all(&spill_dir).map_err(|e| Error::io(&spill_dir, e))?;
        let opts = LorenzOptions {
            quantile: self.quantile,
            threads,
            // the budget is shared by the fields, which are buffered side by side
            memory_budget_bytes: (budget / self.select_fields.len() as u64).max(1),
            allow_negative: self.allow_negative,
            spill_dir,
        };
        let mut builders = self
            .select_fields
            .iter()
            .map(|f| LorenzBuilder::new(f, weight.is_some(), &opts))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(Error::invalid)?;
        let mut rows = 0usize;
        let started = std::time::Instant::now();
        for batch in stream.by_ref() {
            let batch = batch?;
            ctx.check_cancelled()?;
            rows += batch.num_rows();
            let w = weight.map(|i| as_f64(batch.column(i)));
            for (b, &i) in builders.iter_mut().zip(&columns) {
                let col = batch.column(i);
                let values = as_f64(col);
                let valid = validity(col, w.as_ref().map(|(_, a)| a));
                let weights = w.as_ref().map(|(v, _)| v.as_ref());
                b.push(&values.0, weights, valid.as_deref())
                    .map_err(Error::invalid)?;
            }
        }
        if rows == 0 {
            return Err(Error::invalid(
                "the input table is empty: there is nothing to evaluate",
            ));
        }
        let read = started.elapsed();
        let started = std::time::Instant::now();
        let mut results = Vec::with_capacity(builders.len());
        for b in builders {
            ctx.check_cancelled()?;
            let r = b.finish().map_err(Error::invalid)?;
            if r.all_zero {
                tracing::warn!(field = %r.field, "every value is zero; the Gini is 0");
                ctx.log("warn", format!("field `{}`: every value is zero; the curve is the line of equality and the Gini is 0", r.field));
            }
            ctx.log(
                "info",
                format!(
                    "field `{}`: gini {:.6} over {} values ({} dropped)",
                    r.field,
                    r.gini,
                    r.count,
                    r.dropped()
                ),
            );
            results.push(r);
        }
        ctx.log(
            "info",
            format!(
                "read and buffered {rows} rows in {:.1} ms; sorted and reduced in {:.1} ms with {threads} threads",
                read.as_secs_f64() * 1e3,
                started.elapsed().as_secs_f64() * 1e3
            ),
        );
        let metrics = metrics_json(&results);
        ctx.set_metrics(metrics.clone());
        let metrics_path = ctx.output_file("metrics", "metrics.json")?;
        let text = serde_json::to_vec_pretty(&metrics).map_err(Error::invalid)?;
        std::fs::write(&metrics_path, text).map_err(|e| Error::io(&metrics_path, e))?;
        let plot_path = ctx.output_file("plot", "lorenz.svg")?;
        std::fs::write(&plot_path, render_svg(&results)).map_err(|e| Error::io(&plot_path, e))?;
        let table = curve_table(&results)?;
        Ok(NodeOutputs::default()
            .with("output", output_table(ctx, "output", &table)?)
            .with("metrics", metrics_path)
            .with("plot", plot_path))
    }
}

/// The index of a numeric column, or an error naming it and its type.
fn numeric_column(schema: &Schema, name: &str, param: &str) -> Result<usize> {
    let Ok(i) = schema.index_of(name) else {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let hint = pai_core::suggest(name, names.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(Error::invalid(format!(
            "`{param}`: no column `{name}`{hint} (columns: {})",
            names.join(", ")
        )));
    };
    let dt = schema.field(i).data_type();
    if dt.is_numeric() {
        Ok(i)
    } else {
        Err(Error::invalid(format!(
            "`{param}`: column `{name}` has type {dt}, not a numeric type; select numeric columns"
        )))
    }
}

/// A numeric column as f64 (borrowed when it already is), and the array.
fn as_f64(col: &ArrayRef) -> (std::borrow::Cow<'_, [f64]>, ArrayRef) {
    let values: std::borrow::Cow<'_, [f64]> = match col.data_type() {
        DataType::Float64 => std::borrow::Cow::Borrowed(col.as_primitive::<Float64Type>().values()),
        DataType::Int64 => col
            .as_primitive::<Int64Type>()
            .values()
            .iter()
            .map(|&v| v as f64)
            .collect(),
        DataType::Int32 => col
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|&v| f64::from(v))
            .collect(),
        DataType::UInt32 => col
            .as_primitive::<UInt32Type>()
            .values()
            .iter()
            .map(|&v| f64::from(v))
            .collect(),
        _ => match arrow::compute::cast(col, &DataType::Float64) {
            Ok(c) => c.as_primitive::<Float64Type>().values().to_vec().into(),
            Err(_) => vec![f64::NAN; col.len()].into(),
        },
    };
    (values, col.clone())
}

/// Per-row validity (`true` = usable): the value and, if any, its weight are not null.
fn validity(col: &ArrayRef, weight: Option<&ArrayRef>) -> Option<Vec<bool>> {
    let nulls = col.null_count() > 0 || weight.is_some_and(|w| w.null_count() > 0);
    nulls.then(|| {
        (0..col.len())
            .map(|i| col.is_valid(i) && weight.is_none_or(|w| w.is_valid(i)))
            .collect()
    })
}

fn metrics_json(results: &[LorenzResult]) -> serde_json::Value {
    let mut fields = serde_json::Map::new();
    for r in results {
        let mut m = serde_json::json!({
            "gini": r.gini,
            "count": r.count,
            "nulls_dropped": r.dropped_null,
            "nan_dropped": r.dropped_nan,
            "sum": r.sum,
            "mean": r.mean,
        });
        if r.weighted {
            m["total_weight"] = serde_json::json!(r.total_weight);
        }
        if r.all_zero {
            m["all_zero"] = serde_json::json!(true);
        }
        fields.insert(r.field.clone(), m);
    }
    serde_json::json!({ "fields": fields })
}

fn curve_table(results: &[LorenzResult]) -> Result<RecordBatch> {
    let n: usize = results.iter().map(|r| r.points.len()).sum();
    let mut field = Vec::with_capacity(n);
    let mut index = Vec::with_capacity(n);
    let mut pop = Vec::with_capacity(n);
    let mut val = Vec::with_capacity(n);
    for r in results {
        for (k, &(p, v)) in r.points.iter().enumerate() {
            field.push(r.field.as_str());
            index.push(k as i64);
            pop.push(p);
            val.push(v);
        }
    }
    let schema = Schema::new(vec![
        Field::new("field", DataType::Utf8, false),
        Field::new("quantile_index", DataType::Int64, false),
        Field::new("population_share", DataType::Float64, false),
        Field::new("value_share", DataType::Float64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(field)),
        Arc::new(Int64Array::from(index)),
        Arc::new(Float64Array::from(pop)),
        Arc::new(Float64Array::from(val)),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).map_err(Error::invalid)
}
