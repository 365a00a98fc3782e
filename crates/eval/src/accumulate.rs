//! One pass over the sorted sequence that yields the value total `S`, the Gini numerator `T`
//! and the exact Lorenz value at every quantile point.
//!
//! The sorted sequence is cut into fixed segments of [`SEGMENT`] ranks. Each segment is reduced
//! on its own (in parallel when the sorted data is in memory, one after the other when it
//! streams out of a spill merge) and the segment results are combined in order. Because the cut
//! depends only on ranks and every reduction runs the same code in the same order, the result is
//! bit-for-bit the same for any thread count and with or without spilling.
//!
//! With `v_i = w_i·x_i`, cumulative weights `W_i` and total `W`, the Gini numerator is
//! `T = Σ v_i·(W_{i-1} + W_i − W)`. Inside a segment starting after weight `B` this splits into
//! `Σ v_i·(lw_{i-1} + lw_i) + (2B − W)·Σ v_i` with segment-local cumulative weights `lw`, so each
//! segment only needs `B`, which comes from a cheap first pass over segment weights.

use rayon::ThreadPool;
use rayon::prelude::*;

use crate::item::{Item, value_of};
use crate::sum::Neumaier;

/// Ranks per segment.
pub(crate) const SEGMENT: usize = 1 << 15;

/// Quantile target `k`: the cumulative weight `k·W/q`.
#[inline]
fn target(k: u32, total_w: f64, q: u32) -> f64 {
    (f64::from(k) * total_w) / f64::from(q)
}

/// Smallest `k` in `1..q` whose target exceeds `w` (`q` when none does).
fn first_target_after(w: f64, total_w: f64, q: u32) -> u32 {
    let guess = ((w / total_w) * f64::from(q)).floor();
    let mut k = if guess.is_finite() {
        guess.clamp(1.0, f64::from(q)) as u32
    } else {
        1
    };
    while k > 1 && target(k - 1, total_w, q) > w {
        k -= 1;
    }
    while k < q && target(k, total_w, q) <= w {
        k += 1;
    }
    k
}

/// The Lorenz value at quantile `k` is `(S_before + s_local + dt·x) / S`.
#[derive(Clone, Copy, Debug)]
struct Capture {
    k: u32,
    s_local: f64,
    x: f64,
    dt: f64,
}

/// What one segment contributes.
#[derive(Debug, Default)]
pub(crate) struct SegmentOut {
    s: Neumaier,
    a: Neumaier,
    captures: Vec<Capture>,
}

/// Total weight of a segment (the first, cheap pass).
pub(crate) fn segment_weight<I: Item>(parts: &[&[I]]) -> Neumaier {
    let mut w = Neumaier::ZERO;
    if I::WEIGHTED {
        for part in parts {
            for it in part.iter() {
                w.add(it.weight());
            }
        }
    } else {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        w.add(n as f64);
    }
    w
}

/// Reduces one segment whose items follow cumulative weight `w_before`; targets up to
/// `w_next` (the cumulative weight after the segment, `+∞` for the last one) that are not
/// reached inside are attributed to the segment's last positively weighted item.
pub(crate) fn process_segment<I: Item>(
    parts: &[&[I]],
    w_before: f64,
    w_next: f64,
    total_w: f64,
    q: u32,
) -> SegmentOut {
    let mut lw = Neumaier::ZERO;
    let mut s = Neumaier::ZERO;
    let mut a = Neumaier::ZERO;
    let mut captures = Vec::new();
    let mut k = first_target_after(w_before, total_w, q);
    let target_or_inf = |k: u32| {
        if k < q {
            target(k, total_w, q)
        } else {
            f64::INFINITY
        }
    };
    let mut next_t = target_or_inf(k);
    // (s_local before, x, global cumulative weight before, w) of the last item with w > 0.
    let mut last: Option<(Neumaier, f64, f64, f64)> = None;
    let mut local_rank = 0u64;
    for part in parts {
        for &it in part.iter() {
            let x = value_of(it.key());
            let w = it.weight();
            let v = w * x;
            let (lw_prev, lw_cur) = if I::WEIGHTED {
                let prev = lw.value();
                lw.add(w);
                (prev, lw.value())
            } else {
                local_rank += 1;
                ((local_rank - 1) as f64, local_rank as f64)
            };
            if w > 0.0 {
                let g_prev = w_before + lw_prev;
                while next_t <= w_before + lw_cur {
                    captures.push(Capture {
                        k,
                        s_local: s.value(),
                        x,
                        dt: (next_t - g_prev).clamp(0.0, w),
                    });
                    k += 1;
                    next_t = target_or_inf(k);
                }
                last = Some((s, x, g_prev, w));
            }
            a.add(v * (lw_prev + lw_cur));
            s.add(v);
        }
    }
    if let Some((s_prev, x, g_prev, w)) = last {
        while k < q && next_t <= w_next {
            captures.push(Capture {
                k,
                s_local: s_prev.value(),
                x,
                dt: (next_t - g_prev).clamp(0.0, w),
            });
            k += 1;
            next_t = target_or_inf(k);
        }
    }
    SegmentOut { s, a, captures }
}

/// Combines segment results in rank order.
#[derive(Debug)]
pub(crate) struct Combiner {
    weight: Neumaier,
    s: Neumaier,
    t: Neumaier,
    total_w: f64,
    /// Numerators `S_before + s_local + dt·x` per quantile `k` (index `k`, NaN while unset).
    numer: Vec<f64>,
}

/// The combined outcome of all segments.
#[derive(Debug)]
pub(crate) struct Totals {
    /// `S = Σ w_i·x_i`.
    pub(crate) sum: f64,
    /// `T = Σ w_i·x_i·(W_{i-1} + W_i − W)`.
    pub(crate) gini_numerator: f64,
    /// Numerators of the inner quantile points `k = 1..q` (index `k`; index 0 unused).
    pub(crate) numer: Vec<f64>,
}

impl Combiner {
    /// A combiner for `q` quantiles over total weight `total_w`.
    pub(crate) fn new(total_w: f64, q: u32) -> Self {
        Combiner {
            weight: Neumaier::ZERO,
            s: Neumaier::ZERO,
            t: Neumaier::ZERO,
            total_w,
            numer: vec![f64::NAN; q as usize],
        }
    }

    /// Cumulative weight of the segments registered so far.
    pub(crate) fn weight_so_far(&self) -> f64 {
        self.weight.value()
    }

    /// Registers the next segment's weight.
    pub(crate) fn add_weight(&mut self, w: Neumaier) {
        self.weight.add_sum(w);
    }

    /// Adds the next segment's result; `w_before` is what [`Self::weight_so_far`] returned
    /// before that segment's weight was registered.
    pub(crate) fn add_segment(&mut self, w_before: f64, out: SegmentOut) {
        let s_before = self.s.value();
        for c in out.captures {
            let slot = &mut self.numer[c.k as usize];
            if slot.is_nan() {
                *slot = s_before + (c.s_local + c.dt * c.x);
            }
        }
        self.t.add_sum(out.a);
        self.t.add_scaled(2.0 * w_before - self.total_w, out.s);
        self.s.add_sum(out.s);
    }

    /// The totals once every segment was added.
    pub(crate) fn finish(self) -> Totals {
        Totals {
            sum: self.s.value(),
            gini_numerator: self.t.value(),
            numer: self.numer,
        }
    }
}

/// Reduces sorted in-memory buckets (concatenated in order) in parallel.
pub(crate) fn accumulate_sorted<I: Item>(
    buckets: &[Vec<I>],
    total_w: f64,
    q: u32,
    pool: &ThreadPool,
) -> Totals {
    let mut starts = Vec::with_capacity(buckets.len());
    let mut n = 0usize;
    for b in buckets {
        starts.push(n);
        n += b.len();
    }
    let segments = n.div_ceil(SEGMENT);
    let parts_of = |j: usize| -> Vec<&[I]> {
        let lo = j * SEGMENT;
        let hi = (lo + SEGMENT).min(n);
        let first = starts.partition_point(|&s| s <= lo).saturating_sub(1);
        let mut parts = Vec::new();
        for (b, &s) in buckets[first..].iter().zip(&starts[first..]) {
            if s >= hi {
                break;
            }
            let from = lo.saturating_sub(s).min(b.len());
            let to = (hi - s).min(b.len());
            if from < to {
                parts.push(&b[from..to]);
            }
        }
        parts
    };
    let mut comb = Combiner::new(total_w, q);
    let weights: Vec<Neumaier> = pool.install(|| {
        (0..segments)
            .into_par_iter()
            .map(|j| segment_weight(&parts_of(j)))
            .collect()
    });
    let mut bounds = Vec::with_capacity(segments + 1);
    for w in weights {
        bounds.push(comb.weight_so_far());
        comb.add_weight(w);
    }
    bounds.push(f64::INFINITY);
    let outs: Vec<SegmentOut> = pool.install(|| {
        (0..segments)
            .into_par_iter()
            .map(|j| {
                let w_next = if j + 1 == segments {
                    f64::INFINITY
                } else {
                    bounds[j + 1]
                };
                process_segment(&parts_of(j), bounds[j], w_next, total_w, q)
            })
            .collect()
    });
    for (j, out) in outs.into_iter().enumerate() {
        comb.add_segment(bounds[j], out);
    }
    comb.finish()
}

/// Reduces a sorted stream segment by segment (used after a spill merge). `fill` appends up to
/// `max` next items to the buffer and returns how many it added (0 at the end).
pub(crate) fn accumulate_stream<I: Item, E>(
    n: u64,
    total_w: f64,
    q: u32,
    mut fill: impl FnMut(&mut Vec<I>, usize) -> Result<usize, E>,
) -> Result<Totals, E> {
    let mut comb = Combiner::new(total_w, q);
    let mut buf: Vec<I> = Vec::with_capacity(SEGMENT.min(n as usize));
    let mut seen = 0u64;
    loop {
        buf.clear();
        while buf.len() < SEGMENT {
            let room = SEGMENT - buf.len();
            if fill(&mut buf, room)? == 0 {
                break;
            }
        }
        if buf.is_empty() {
            break;
        }
        seen += buf.len() as u64;
        let parts = [&buf[..]];
        let w_before = comb.weight_so_far();
        comb.add_weight(segment_weight(&parts));
        let w_next = if seen >= n {
            f64::INFINITY
        } else {
            comb.weight_so_far()
        };
        let out = process_segment(&parts, w_before, w_next, total_w, q);
        comb.add_segment(w_before, out);
    }
    Ok(comb.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::key_of;

    #[test]
    fn first_target_after_is_exact() {
        for &(w, total, q, want) in &[
            (0.0, 10.0, 4, 1),
            (2.5, 10.0, 4, 2),
            (2.4, 10.0, 4, 1),
            (9.9, 10.0, 4, 4),
            (10.0, 10.0, 4, 4),
            (0.0, 1.0, 1, 1),
        ] {
            assert_eq!(
                first_target_after(w, total, q),
                want,
                "w {w} total {total} q {q}"
            );
        }
    }

    #[test]
    fn stream_and_parallel_paths_agree_bitwise() {
        let mut s = 1u64;
        let mut v: Vec<u64> = (0..100_000)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                key_of((s >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect();
        v.sort_unstable();
        let n = v.len();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool");
        let buckets: Vec<Vec<u64>> = v.chunks(7777).map(<[u64]>::to_vec).collect();
        let a = accumulate_sorted(&buckets, n as f64, 1000, &pool);
        let mut pos = 0;
        let b = accumulate_stream::<u64, ()>(n as u64, n as f64, 1000, |buf, max| {
            let take = max.min(123).min(n - pos);
            buf.extend_from_slice(&v[pos..pos + take]);
            pos += take;
            Ok(take)
        })
        .expect("stream");
        assert_eq!(a.sum.to_bits(), b.sum.to_bits());
        assert_eq!(a.gini_numerator.to_bits(), b.gini_numerator.to_bits());
        assert_eq!(a.numer.len(), b.numer.len());
        for (x, y) in a.numer.iter().zip(&b.numer).skip(1) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }
}
