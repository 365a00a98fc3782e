//! `Core`: the per-field state behind a [`LorenzBuilder`](crate::LorenzBuilder) — counters,
//! the block buffer, spilled runs and the worker pool — and finishing: sorting (in memory or
//! through the spill merge), reducing, and assembling the [`LorenzResult`].

use std::sync::Arc;

use rayon::ThreadPool;

use crate::accumulate::{Totals, accumulate_sorted, accumulate_stream};
use crate::error::EvalError;
use crate::item::Item;
use crate::options::LorenzOptions;
use crate::pool::shared_pool;
use crate::result::LorenzResult;
use crate::sort::sort_blocks;
use crate::spill::Spill;
use crate::sum::Neumaier;

/// The state of one field's builder for one item type.
#[derive(Debug)]
pub(crate) struct Core<I: Item> {
    /// The field name, for messages and the result.
    pub(crate) field: String,
    /// The validated options.
    pub(crate) opts: LorenzOptions,
    /// Items that fit the memory budget.
    pub(crate) budget_items: usize,
    /// Full buffered blocks.
    pub(crate) blocks: Vec<Vec<I>>,
    /// The block being filled (never grows past its capacity).
    pub(crate) current: Vec<I>,
    /// Items in `blocks` and `current`.
    pub(crate) buffered: usize,
    /// Rows seen, including dropped ones (the next row's index).
    pub(crate) rows: u64,
    /// Rows kept.
    pub(crate) count: u64,
    /// Null rows dropped.
    pub(crate) nulls: u64,
    /// NaN rows dropped.
    pub(crate) nans: u64,
    /// Total weight of the rows kept, in row order (weighted fields).
    pub(crate) weight: Neumaier,
    /// A negative value was kept (`allow_negative`).
    pub(crate) has_negative: bool,
    /// Some kept row has a positive value and a positive weight.
    pub(crate) positive_mass: bool,
    /// Sorted runs on disk.
    pub(crate) spill: Spill<I>,
    /// Runs written, as reported in the result.
    pub(crate) spilled_runs: usize,
    /// The worker pool, looked up on first use.
    pub(crate) pool: Option<Arc<ThreadPool>>,
}

impl<I: Item> Core<I> {
    /// A fresh state for `field`, validating the options.
    pub(crate) fn new(field: &str, opts: &LorenzOptions) -> Result<Self, EvalError> {
        let budget_items = opts.budget_items(I::BYTES)?;
        Ok(Core {
            field: field.to_string(),
            opts: opts.clone(),
            budget_items,
            blocks: Vec::new(),
            current: Vec::new(),
            buffered: 0,
            rows: 0,
            count: 0,
            nulls: 0,
            nans: 0,
            weight: Neumaier::ZERO,
            has_negative: false,
            positive_mass: false,
            spill: Spill::new(&opts.spill_dir),
            spilled_runs: 0,
            pool: None,
        })
    }

    /// Takes every buffered block out of the builder.
    fn take_buffer(&mut self) -> Vec<Vec<I>> {
        let mut blocks = std::mem::take(&mut self.blocks);
        if !self.current.is_empty() {
            blocks.push(std::mem::take(&mut self.current));
        }
        self.current = Vec::new();
        self.buffered = 0;
        blocks
    }

    /// The worker pool (shared with other builders using as many threads).
    pub(crate) fn pool(&mut self) -> Result<Arc<ThreadPool>, EvalError> {
        if let Some(pool) = &self.pool {
            return Ok(Arc::clone(pool));
        }
        let pool = shared_pool(self.opts.threads)?;
        self.pool = Some(Arc::clone(&pool));
        Ok(pool)
    }

    /// Sorts the buffer and writes it as a spilled run.
    pub(crate) fn spill_now(&mut self) -> Result<(), EvalError> {
        let blocks = self.take_buffer();
        let threads = self.opts.threads;
        let sorted = sort_blocks(blocks, &*self.pool()?, threads);
        self.spill.write_run(&sorted)
    }

    /// Sorts everything and computes the result.
    pub(crate) fn finish(mut self) -> Result<LorenzResult, EvalError> {
        if self.count == 0 {
            return Err(EvalError::NoValues {
                field: self.field.clone(),
                nulls: self.nulls,
                nans: self.nans,
            });
        }
        let total_w = if I::WEIGHTED {
            self.weight.value()
        } else {
            self.count as f64
        };
        if total_w <= 0.0 {
            return Err(EvalError::ZeroTotalWeight {
                field: self.field.clone(),
            });
        }
        let q = self.opts.quantile;
        self.spilled_runs = self.spill.runs_written();
        if !self.has_negative && !self.positive_mass {
            return Ok(self.all_zero(total_w));
        }
        let blocks = self.take_buffer();
        let threads = self.opts.threads;
        let totals = if self.spill.is_empty() {
            let pool = self.pool()?;
            let sorted = sort_blocks(blocks, &pool, threads);
            accumulate_sorted(&sorted, total_w, q, &pool)
        } else {
            let sorted = sort_blocks(blocks, &*self.pool()?, threads);
            let spill = std::mem::replace(&mut self.spill, Spill::new(&self.opts.spill_dir));
            let (mut merger, dir) = spill.into_merger(sorted)?;
            accumulate_stream(self.count, total_w, q, |buf: &mut Vec<I>, max| {
                let mut added = 0;
                while added < max {
                    match merger.next_item()? {
                        Some(it) => buf.push(it),
                        None => break,
                    }
                    added += 1;
                }
                Ok(added)
            })
            .map_err(|source: std::io::Error| EvalError::Spill { dir, source })?
        };
        self.assemble(total_w, totals)
    }

    /// The result for a field whose every (positively weighted) value is zero.
    fn all_zero(&self, total_w: f64) -> LorenzResult {
        let q = self.opts.quantile;
        let points = (0..=q)
            .map(|k| {
                let p = f64::from(k) / f64::from(q);
                (p, p)
            })
            .collect();
        self.result(points, 0.0, total_w, 0.0, true)
    }

    fn assemble(&self, total_w: f64, totals: Totals) -> Result<LorenzResult, EvalError> {
        let s = totals.sum;
        if s == 0.0 {
            if self.has_negative {
                return Err(EvalError::ZeroSum {
                    field: self.field.clone(),
                });
            }
            return Ok(self.all_zero(total_w));
        }
        let q = self.opts.quantile;
        let mut points = Vec::with_capacity(q as usize + 1);
        points.push((0.0, 0.0));
        let mut prev = 0.0;
        for k in 1..q {
            let numer = totals.numer[k as usize];
            let share = if numer.is_nan() { prev } else { numer / s };
            points.push((f64::from(k) / f64::from(q), share));
            prev = share;
        }
        points.push((1.0, 1.0));
        let gini = totals.gini_numerator / (total_w * s);
        Ok(self.result(points, gini, total_w, s, false))
    }

    fn result(
        &self,
        points: Vec<(f64, f64)>,
        gini: f64,
        total_w: f64,
        sum: f64,
        all_zero: bool,
    ) -> LorenzResult {
        LorenzResult {
            field: self.field.clone(),
            weighted: I::WEIGHTED,
            points,
            gini,
            count: self.count,
            total_weight: total_w,
            dropped_null: self.nulls,
            dropped_nan: self.nans,
            sum,
            mean: sum / total_w,
            all_zero,
            spilled_runs: self.spilled_runs,
        }
    }
}
