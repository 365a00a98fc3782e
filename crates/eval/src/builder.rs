//! [`LorenzBuilder`]: the public streaming front end (and the one-shot [`lorenz_curve`]). It
//! takes a field's values batch by batch and hands them to the per-field state
//! (`state.rs`, `ingest.rs`), which buffers, spills, sorts and reduces them into a
//! [`LorenzResult`].

use crate::error::EvalError;
use crate::item::Pair;
use crate::options::LorenzOptions;
use crate::result::LorenzResult;
use crate::state::Core;

/// Accumulates one field's values and computes its Lorenz curve and Gini coefficient.
///
/// Feed it with [`push`](Self::push) (and [`push_nulls`](Self::push_nulls)) in row order, then
/// call [`finish`](Self::finish). After an error the builder should be dropped. Spill files are
/// removed when the builder is finished or dropped.
#[derive(Debug)]
pub struct LorenzBuilder {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Plain(Core<u64>),
    Weighted(Core<Pair>),
}

impl LorenzBuilder {
    /// A builder for `field`; `weighted` says whether every batch comes with frequency weights.
    pub fn new(field: &str, weighted: bool, opts: &LorenzOptions) -> Result<Self, EvalError> {
        let inner = if weighted {
            Inner::Weighted(Core::new(field, opts)?)
        } else {
            Inner::Plain(Core::new(field, opts)?)
        };
        Ok(LorenzBuilder { inner })
    }

    /// The field name.
    pub fn field(&self) -> &str {
        match &self.inner {
            Inner::Plain(c) => &c.field,
            Inner::Weighted(c) => &c.field,
        }
    }

    /// Rows seen so far (including dropped ones); errors count rows from 0 across batches.
    pub fn rows(&self) -> u64 {
        match &self.inner {
            Inner::Plain(c) => c.rows,
            Inner::Weighted(c) => c.rows,
        }
    }

    /// Adds one batch of rows.
    ///
    /// `weights` must be given exactly when the builder is weighted. `valid[i] == false` marks
    /// row `i` as null (Arrow validity semantics); mark a row null when its value or its weight
    /// is null. NaN values are dropped and counted; weights are only checked on rows kept.
    pub fn push(
        &mut self,
        values: &[f64],
        weights: Option<&[f64]>,
        valid: Option<&[bool]>,
    ) -> Result<(), EvalError> {
        match &mut self.inner {
            Inner::Plain(c) => c.push(values, weights, valid),
            Inner::Weighted(c) => c.push(values, weights, valid),
        }
    }

    /// Counts `n` null rows (e.g. a batch whose column is entirely null).
    pub fn push_nulls(&mut self, n: u64) {
        match &mut self.inner {
            Inner::Plain(c) => c.push_nulls(n),
            Inner::Weighted(c) => c.push_nulls(n),
        }
    }

    /// Sorts everything and computes the curve and the metrics.
    pub fn finish(self) -> Result<LorenzResult, EvalError> {
        match self.inner {
            Inner::Plain(c) => c.finish(),
            Inner::Weighted(c) => c.finish(),
        }
    }
}

/// Computes the Lorenz curve of one in-memory column (a convenience over [`LorenzBuilder`]).
pub fn lorenz_curve(
    field: &str,
    values: &[f64],
    weights: Option<&[f64]>,
    opts: &LorenzOptions,
) -> Result<LorenzResult, EvalError> {
    let mut b = LorenzBuilder::new(field, weights.is_some(), opts)?;
    b.push(values, weights, None)?;
    b.finish()
}
