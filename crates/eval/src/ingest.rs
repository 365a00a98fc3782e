//! Ingesting batches into a field's `Core`: checking batch shapes, dropping and counting nulls
//! and NaN, rejecting invalid values and weights with their row, and buffering the rest —
//! a vectorized path for clean runs, a parallel one for large clean batches, and a row-by-row
//! path for everything else.

use rayon::prelude::*;

use crate::error::EvalError;
use crate::item::{Item, key_of};
use crate::sort::CHUNK_ITEMS;
use crate::state::Core;

/// Batches at least this long are buffered by all threads together.
const PARALLEL_PUSH_MIN: usize = 4 * CHUNK_ITEMS;

/// `0 ≤ x < ∞` (false for NaN).
#[inline]
fn finite_non_negative(x: f64) -> bool {
    (0.0..f64::INFINITY).contains(&x)
}

impl<I: Item> Core<I> {
    /// Counts `n` null rows.
    pub(crate) fn push_nulls(&mut self, n: u64) {
        self.rows += n;
        self.nulls += n;
    }

    /// Validates and buffers one batch.
    pub(crate) fn push(
        &mut self,
        values: &[f64],
        weights: Option<&[f64]>,
        valid: Option<&[bool]>,
    ) -> Result<(), EvalError> {
        let n = values.len();
        if I::WEIGHTED != weights.is_some() {
            let (expected, got) = if I::WEIGHTED {
                ("with weights", "without weights")
            } else {
                ("without weights", "with weights")
            };
            return Err(EvalError::WeightsMismatch {
                field: self.field.clone(),
                expected,
                got,
            });
        }
        if let Some(w) = weights
            && w.len() != n
        {
            return Err(self.length_mismatch("weight", n, w.len()));
        }
        if let Some(m) = valid
            && m.len() != n
        {
            return Err(self.length_mismatch("validity", n, m.len()));
        }
        let row0 = self.rows;
        if valid.is_none()
            && self.opts.threads > 1
            && n >= PARALLEL_PUSH_MIN
            && n <= self.budget_items - self.buffered
            && self.push_parallel(values, weights)?
        {
            self.rows = row0 + n as u64;
            return Ok(());
        }
        let mut i = 0;
        while i < n {
            let end = (i + self.make_room()?).min(n);
            let fast =
                valid.is_none() && self.push_plain(&values[i..end], weights.map(|w| &w[i..end]));
            if !fast {
                for j in i..end {
                    self.push_one(
                        values[j],
                        weights.map(|w| w[j]),
                        valid.is_none_or(|m| m[j]),
                        row0 + j as u64,
                    )?;
                }
            }
            i = end;
        }
        self.rows = row0 + n as u64;
        Ok(())
    }

    /// Buffers a run of rows that fits the current block when every value is finite and
    /// non-negative and every weight valid (the common case, vectorized); returns `false`
    /// without buffering anything otherwise.
    fn push_plain(&mut self, xs: &[f64], ws: Option<&[f64]>) -> bool {
        let ok = xs.iter().fold(true, |ok, &x| ok & finite_non_negative(x))
            && ws.is_none_or(|ws| ws.iter().fold(true, |ok, &w| ok & finite_non_negative(w)));
        if !ok {
            return false;
        }
        // `+ 0.0` turns `-0.0` into `+0.0` so equal values get equal keys.
        match ws {
            None => {
                self.current
                    .extend(xs.iter().map(|&x| I::make(key_of(x + 0.0), 1.0)));
                if !self.positive_mass {
                    self.positive_mass = xs.iter().any(|&x| x > 0.0);
                }
            }
            Some(ws) => {
                self.current.extend(
                    xs.iter()
                        .zip(ws)
                        .map(|(&x, &w)| I::make(key_of(x + 0.0), w + 0.0)),
                );
                for &w in ws {
                    self.weight.add(w + 0.0);
                }
                if !self.positive_mass {
                    self.positive_mass = xs.iter().zip(ws).any(|(&x, &w)| x > 0.0 && w > 0.0);
                }
            }
        }
        self.count += xs.len() as u64;
        self.buffered += xs.len();
        true
    }

    /// Buffers a large batch that fits the budget with all threads (so that converting it and
    /// touching fresh memory run in parallel) when every value is finite and non-negative and
    /// every weight valid; returns `false` without buffering anything otherwise.
    fn push_parallel(&mut self, xs: &[f64], ws: Option<&[f64]>) -> Result<bool, EvalError> {
        let pool = self.pool()?;
        let ok = pool.install(|| {
            xs.par_chunks(CHUNK_ITEMS)
                .all(|c| c.iter().fold(true, |ok, &x| ok & finite_non_negative(x)))
                && ws.is_none_or(|ws| {
                    ws.par_chunks(CHUNK_ITEMS)
                        .all(|c| c.iter().fold(true, |ok, &w| ok & finite_non_negative(w)))
                })
        });
        if !ok {
            return Ok(false);
        }
        // Top up the current block, then convert the rest into new blocks in parallel.
        let head = (self.current.capacity() - self.current.len()).min(xs.len());
        if head > 0 && !self.push_plain(&xs[..head], ws.map(|w| &w[..head])) {
            return Ok(false);
        }
        let (xs, ws) = (&xs[head..], ws.map(|w| &w[head..]));
        // Thread `t` of the pool converts the `t`-th share of the batch into blocks it allocates
        // itself: page faults on the fresh memory then run in parallel, and each thread's share
        // (so what its allocator arena keeps for the next builder) is the same on every run.
        let convert = |c: &[f64], w: Option<&[f64]>| -> Vec<I> {
            let mut block = Vec::with_capacity(CHUNK_ITEMS);
            // `+ 0.0` turns `-0.0` into `+0.0` so equal values get equal keys.
            match w {
                None => block.extend(c.iter().map(|&x| I::make(key_of(x + 0.0), 1.0))),
                Some(w) => block.extend(
                    c.iter()
                        .zip(w)
                        .map(|(&x, &w)| I::make(key_of(x + 0.0), w + 0.0)),
                ),
            }
            block
        };
        let share = xs
            .len()
            .div_ceil(CHUNK_ITEMS)
            .div_ceil(pool.current_num_threads())
            * CHUNK_ITEMS;
        let parts: Vec<Vec<Vec<I>>> = pool.broadcast(|ctx| {
            let lo = (ctx.index() * share).min(xs.len());
            let hi = (lo + share).min(xs.len());
            xs[lo..hi]
                .chunks(CHUNK_ITEMS)
                .enumerate()
                .map(|(j, c)| {
                    let from = lo + j * CHUNK_ITEMS;
                    convert(c, ws.map(|w| &w[from..from + c.len()]))
                })
                .collect()
        });
        let blocks = parts.into_iter().flatten();
        if let Some(ws) = ws {
            for &w in ws {
                self.weight.add(w + 0.0);
            }
        }
        if !self.positive_mass {
            self.positive_mass = match ws {
                None => xs.iter().any(|&x| x > 0.0),
                Some(ws) => xs.iter().zip(ws).any(|(&x, &w)| x > 0.0 && w > 0.0),
            };
        }
        self.count += xs.len() as u64;
        self.buffered += xs.len();
        for block in blocks {
            if !self.current.is_empty() {
                self.blocks.push(std::mem::take(&mut self.current));
            }
            self.current = block;
        }
        Ok(true)
    }

    /// Validates and buffers one row.
    fn push_one(
        &mut self,
        x: f64,
        weight: Option<f64>,
        valid: bool,
        row: u64,
    ) -> Result<(), EvalError> {
        if !valid {
            self.nulls += 1;
            return Ok(());
        }
        if x.is_nan() {
            self.nans += 1;
            return Ok(());
        }
        let w = match weight {
            Some(w) => {
                if !finite_non_negative(w) {
                    return Err(EvalError::InvalidWeight {
                        field: self.field.clone(),
                        row,
                        weight: w,
                    });
                }
                w + 0.0
            }
            None => 1.0,
        };
        if !finite_non_negative(x) {
            self.check_unusual(x, row)?;
        }
        if x > 0.0 && w > 0.0 {
            self.positive_mass = true;
        }
        self.count += 1;
        if I::WEIGHTED {
            self.weight.add(w);
        }
        self.make_room()?;
        self.current.push(I::make(key_of(x + 0.0), w));
        self.buffered += 1;
        Ok(())
    }

    fn length_mismatch(&self, what: &'static str, expected: usize, got: usize) -> EvalError {
        EvalError::LengthMismatch {
            field: self.field.clone(),
            what,
            expected,
            got,
        }
    }

    /// Handles a negative or infinite (non-NaN) value.
    #[cold]
    fn check_unusual(&mut self, x: f64, row: u64) -> Result<(), EvalError> {
        if x.is_infinite() {
            return Err(EvalError::InfiniteValue {
                field: self.field.clone(),
                row,
            });
        }
        if !self.opts.allow_negative {
            return Err(EvalError::NegativeValue {
                field: self.field.clone(),
                row,
                value: x,
            });
        }
        self.has_negative = true;
        Ok(())
    }

    /// Makes sure one more item can be buffered — spilling first when the buffer holds the
    /// whole budget, starting a new block when the current one is full — and returns how many
    /// items fit without either.
    #[inline]
    pub(crate) fn make_room(&mut self) -> Result<usize, EvalError> {
        if self.buffered == self.budget_items {
            self.spill_now()?;
        }
        if self.current.len() == self.current.capacity() {
            let room = (self.budget_items - self.buffered).min(CHUNK_ITEMS);
            let full = std::mem::replace(&mut self.current, Vec::with_capacity(room));
            if !full.is_empty() {
                self.blocks.push(full);
            }
        }
        Ok((self.current.capacity() - self.current.len()).min(self.budget_items - self.buffered))
    }
}
