//! Evaluation statistics over prediction tables: the Lorenz curve and the Gini coefficient.
//!
//! This crate owns the pure computation behind the `lorenz_curve` pipeline component: exact
//! Lorenz curves and Gini coefficients over columns of `f64` values (optionally with frequency
//! weights), computed with several threads and within a memory budget (spilling sorted runs to
//! disk when the data does not fit), plus an SVG rendering of the curves. Reading tables is the
//! caller's job: it feeds each field's values batch by batch into a [`LorenzBuilder`].
//!
//! ```
//! use pai_eval::{LorenzBuilder, LorenzOptions, render_svg};
//!
//! let opts = LorenzOptions { quantile: 4, ..LorenzOptions::default() };
//! let mut b = LorenzBuilder::new("score", false, &opts)?;
//! b.push(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], None, None)?;
//! b.push(&[6.0, 7.0, 8.0, 9.0, 10.0], None, None)?;
//! let r = b.finish()?;
//! assert!((r.gini - 4.0 / 11.0).abs() < 1e-12);
//! assert_eq!(r.points.len(), 5);
//! let svg = render_svg(&[r]);
//! assert!(svg.contains("score (Gini 0.3636)"));
//! # Ok::<(), pai_eval::EvalError>(())
//! ```
//!
//! # Definitions
//!
//! Drop nulls and NaN (they are counted), sort the remaining values ascending
//! `x₁ ≤ x₂ ≤ … ≤ xₙ` with their weights `wᵢ` (all 1 without a weight field), and let
//! `Wᵢ = w₁ + … + wᵢ`, `Sᵢ = w₁x₁ + … + wᵢxᵢ`, `W = Wₙ` (the total weight, `n` when unweighted)
//! and `S = Sₙ` (the reported `sum`; `mean = S / W`).
//!
//! **Lorenz curve.** The piecewise-linear curve `L` through `(0, 0)` and every `(Wᵢ/W, Sᵢ/S)`.
//! On the segment of value `xᵢ`, i.e. for `W_{i−1} ≤ pW ≤ Wᵢ`:
//! `L(p) = (S_{i−1} + (pW − W_{i−1})·xᵢ) / S`.
//! The result holds `quantile + 1` points `(k/q, L(k/q))`, `k = 0..=q`, from `(0, 0)` to
//! `(1, 1)`; with fewer rows than `q` the points interpolate linearly between data points.
//! Ties do not matter: equal values lie on one straight piece whatever their order.
//!
//! **Gini coefficient.** Exactly one minus twice the area under `L` (not a trapezoid rule over
//! the quantile points):
//!
//! ```text
//! G = 1 − 2·∫₀¹ L(p) dp
//!   = Σᵢ wᵢ·xᵢ·(W_{i−1} + Wᵢ − W) / (W·S)
//!   = Σᵢ Σⱼ wᵢ·wⱼ·|xᵢ − xⱼ| / (2·W·S)          (weighted mean absolute difference)
//! ```
//!
//! Unweighted (`wᵢ = 1`, `W = n`) this is
//!
//! ```text
//! G = Σᵢ (2i − n − 1)·xᵢ / (n·S) = 2·Σᵢ i·xᵢ / (n·S) − (n + 1)/n = Σᵢ Σⱼ |xᵢ − xⱼ| / (2·n·S)
//! ```
//!
//! so `0, 1, …, 10` gives `4/11`, a constant column `0` and one non-zero value among `n`
//! gives `(n − 1)/n`. Integer frequency weights give exactly the curve and Gini of the
//! repeated rows. The engine evaluates the centred form `Σ (2i − n − 1)·xᵢ` (weighted:
//! `Σ wᵢxᵢ·(W_{i−1} + Wᵢ − W)`) with compensated (Neumaier) sums, which avoids the
//! cancellation of the `− (n + 1)/n` form.
//!
//! **Edge cases.**
//! - No usable row, or total weight 0: an error. Zero weights are allowed (the row is counted
//!   in `count` but adds nothing); negative, NaN or infinite weights are errors.
//! - Infinite values are errors. Negative values are errors naming the field and the row unless
//!   `allow_negative` is set; then everything is computed as defined (the Gini may leave
//!   `[0, 1]`, and a total of exactly 0 is an error because shares are undefined).
//! - All values zero (`S = 0` without negatives): shares are undefined; the curve is defined as
//!   the line of equality `L(p) = p`, the Gini as 0, and [`LorenzResult::all_zero`] is set so
//!   the caller can log a warning.
//! - A single row (or a constant column) gives the line of equality and Gini 0.
//!
//! # How it is computed
//!
//! Values are validated and buffered as order-preserving `u64` keys (16-byte key/weight pairs
//! when weighted) in fixed-size blocks, so the column is held once (large batches are converted
//! by all threads). When the buffer would exceed `memory_budget_bytes`, it is sorted and written
//! as a sorted run to an anonymous file in `spill_dir`. Sorting is a parallel sample sort:
//! blocks are scattered into key-range buckets by a table lookup (consumed blocks are recycled
//! as scatter chunks), each bucket is radix-sorted on the varying key bits with per-thread
//! scratch buffers and written back into its own chunks, so peak memory stays close to the
//! column's size. When everything fits, the sorted chunks are reduced in parallel over fixed
//! rank segments; otherwise the runs and the in-memory remainder are merged by a streaming
//! k-way merge (at most 64 runs at a time) into the same segment reduction. Results are
//! therefore bit-for-bit identical for any thread count and with or without spilling. Worker
//! pools are shared by all builders that ask for the same number of threads.

mod accumulate;
mod builder;
mod classify;
mod error;
mod ingest;
mod item;
mod options;
mod pool;
mod result;
mod sort;
mod spill;
mod state;
mod sum;
mod svg;
#[cfg(test)]
mod tests;

pub use builder::{LorenzBuilder, lorenz_curve};
pub use error::EvalError;
pub use options::{DEFAULT_QUANTILE, LorenzOptions, MAX_QUANTILE};
pub use result::LorenzResult;
pub use svg::render_svg;
