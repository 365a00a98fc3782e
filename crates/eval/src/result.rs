//! [`LorenzResult`]: the curve points and metrics computed for one field.

use serde::Serialize;

/// The Lorenz curve and Gini coefficient of one field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LorenzResult {
    /// The field name.
    pub field: String,
    /// Whether frequency weights were applied.
    pub weighted: bool,
    /// `quantile + 1` points `(population_share, value_share)` from `(0, 0)` to `(1, 1)`.
    pub points: Vec<(f64, f64)>,
    /// The exact Gini coefficient over all values (see the crate docs for the formula).
    pub gini: f64,
    /// Non-null, non-NaN rows used.
    pub count: u64,
    /// Sum of the weights of the rows used (`count` when unweighted).
    pub total_weight: f64,
    /// Null rows dropped.
    pub dropped_null: u64,
    /// NaN rows dropped.
    pub dropped_nan: u64,
    /// `Σ wᵢ·xᵢ` (`Σ xᵢ` when unweighted).
    pub sum: f64,
    /// `sum / total_weight`.
    pub mean: f64,
    /// Every (positively weighted) value is zero: the curve is defined as the line of equality
    /// and the Gini as 0; the caller should log a warning.
    pub all_zero: bool,
    /// Sorted runs spilled to disk because the data exceeded the memory budget (0 = in memory).
    pub spilled_runs: usize,
}

impl LorenzResult {
    /// Rows dropped in total (null or NaN).
    pub fn dropped(&self) -> u64 {
        self.dropped_null + self.dropped_nan
    }
}
