//! [`LorenzOptions`]: the knobs of a Lorenz computation (quantile count, threads, memory budget,
//! negative-value policy, spill directory) and their validation.

use std::path::PathBuf;

use crate::error::EvalError;

/// Default number of equal-probability intervals.
pub const DEFAULT_QUANTILE: u32 = 100;
/// Largest accepted number of intervals.
pub const MAX_QUANTILE: u32 = 1_000_000;

/// How to compute a Lorenz curve.
#[derive(Clone, Debug, PartialEq)]
pub struct LorenzOptions {
    /// Number of equal-probability intervals; each field gets `quantile + 1` points.
    pub quantile: u32,
    /// Worker threads for sorting and reducing (`computing_cores`).
    pub threads: usize,
    /// Bytes of buffered values kept in memory before a sorted run is spilled to disk
    /// (8 bytes per value, 16 with weights), e.g. `computing_cores × memory_size_per_core_mb`.
    pub memory_budget_bytes: u64,
    /// Accept negative values instead of failing (the Gini may then leave `[0, 1]`).
    pub allow_negative: bool,
    /// Directory for spill files; they are removed automatically, also on error.
    pub spill_dir: PathBuf,
}

impl Default for LorenzOptions {
    fn default() -> Self {
        LorenzOptions {
            quantile: DEFAULT_QUANTILE,
            threads: 1,
            memory_budget_bytes: 1 << 30,
            allow_negative: false,
            spill_dir: std::env::temp_dir(),
        }
    }
}

impl LorenzOptions {
    /// Checks the options and returns how many items of `item_bytes` fit the budget.
    pub(crate) fn budget_items(&self, item_bytes: usize) -> Result<usize, EvalError> {
        if self.quantile == 0 || self.quantile > MAX_QUANTILE {
            return Err(EvalError::InvalidQuantile {
                quantile: self.quantile,
                max: MAX_QUANTILE,
            });
        }
        if self.threads == 0 {
            return Err(EvalError::InvalidThreads);
        }
        let items = self.memory_budget_bytes / item_bytes as u64;
        if items == 0 {
            return Err(EvalError::BudgetTooSmall {
                budget: self.memory_budget_bytes,
                needed: item_bytes as u64,
            });
        }
        Ok(usize::try_from(items).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let ok = LorenzOptions::default();
        assert_eq!(ok.budget_items(8).expect("valid"), (1 << 30) / 8);
        let bad_q = LorenzOptions {
            quantile: 0,
            ..ok.clone()
        };
        assert!(
            bad_q
                .budget_items(8)
                .expect_err("q")
                .to_string()
                .contains("`quantile`")
        );
        let bad_q = LorenzOptions {
            quantile: MAX_QUANTILE + 1,
            ..ok.clone()
        };
        assert!(bad_q.budget_items(8).is_err());
        let max_q = LorenzOptions {
            quantile: MAX_QUANTILE,
            ..ok.clone()
        };
        assert!(max_q.budget_items(8).is_ok());
        let bad_t = LorenzOptions {
            threads: 0,
            ..ok.clone()
        };
        assert!(
            bad_t
                .budget_items(8)
                .expect_err("t")
                .to_string()
                .contains("`threads`")
        );
        let tiny = LorenzOptions {
            memory_budget_bytes: 15,
            ..ok
        };
        assert_eq!(tiny.budget_items(8).expect("one item"), 1);
        assert!(
            tiny.budget_items(16)
                .expect_err("budget")
                .to_string()
                .contains("memory budget")
        );
    }
}
