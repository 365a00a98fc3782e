//! `split`: a reproducible random split of a table into two.

use arrow::array::{RecordBatch, UInt32Array};
use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::io::{input_table, output_table};

/// Splits the rows at random: `round(fraction × rows)` rows go to `output1`
/// and the rest to `output2`, each keeping the input's row order. The same
/// `seed` gives the same split.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// The share of rows sent to `output1`, between 0 and 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fraction: f64,
    /// The random seed.
    #[serde(default)]
    pub seed: u64,
}

impl Component for Split {
    const NAME: &'static str = "split";
    const SUMMARY: &'static str = "Split a table's rows at random into two tables";
    const INPUTS: &'static [PortSpec] = &[PortSpec::required(
        "data",
        PortType::Table,
        "the table to split",
    )];
    const OUTPUTS: &'static [PortSpec] = &[
        PortSpec::required("output1", PortType::Table, "`fraction` of the rows"),
        PortSpec::required("output2", PortType::Table, "the remaining rows"),
    ];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        if !(0.0..=1.0).contains(&self.fraction) {
            return Err(Error::invalid(format!(
                "`fraction` must be between 0 and 1, got {}",
                self.fraction
            )));
        }
        let batch = input_table(ctx, "data")?;
        let (first, second) = split_indices(batch.num_rows(), self.fraction, self.seed);
        let out1 = take(&batch, &first)?;
        let out2 = take(&batch, &second)?;
        ctx.set_metrics(serde_json::json!({ "rows": batch.num_rows(), "output1_rows": first.len(), "output2_rows": second.len() }));
        Ok(NodeOutputs::default()
            .with("output1", output_table(ctx, "output1", &out1)?)
            .with("output2", output_table(ctx, "output2", &out2)?))
    }
}

/// The sorted row indices of each side.
fn split_indices(n: usize, fraction: f64, seed: u64) -> (Vec<u32>, Vec<u32>) {
    let k = ((n as f64) * fraction).round() as usize;
    let mut idx: Vec<u32> = (0..n as u32).collect();
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    // partial Fisher–Yates: the first k slots become a uniform sample
    for i in 0..k.min(n) {
        let j = i + (splitmix64(&mut state) % (n - i) as u64) as usize;
        idx.swap(i, j);
    }
    let (a, b) = idx.split_at_mut(k.min(n));
    a.sort_unstable();
    b.sort_unstable();
    (a.to_vec(), b.to_vec())
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn take(batch: &RecordBatch, rows: &[u32]) -> Result<RecordBatch> {
    let indices = UInt32Array::from(rows.to_vec());
    arrow::compute::take_record_batch(batch, &indices).map_err(Error::invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_a_reproducible_partition() {
        let (a, b) = split_indices(1000, 0.8, 7);
        assert_eq!((a.len(), b.len()), (800, 200));
        let mut all: Vec<u32> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert_eq!(split_indices(1000, 0.8, 7), (a.clone(), b));
        assert_ne!(split_indices(1000, 0.8, 8).0, a);
        assert_eq!(split_indices(3, 0.0, 1).0.len(), 0);
        assert_eq!(split_indices(3, 1.0, 1).1.len(), 0);
    }
}
