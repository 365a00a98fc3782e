//! Runtime choice of wider vector instructions. Builds target baseline
//! x86-64, whose vectors are SSE2's 128 bits; the hot k-means kernels run
//! through [`with_avx2`], which compiles them a second time with AVX2
//! enabled (256-bit vectors) and picks that copy when the CPU has it.
//!
//! Both copies are the same Rust code: only the vector width differs, and
//! the kernels fix their summation orders per value, so both compute the
//! same bits (no fused multiply-add is enabled). This module holds the
//! crate's only `unsafe`: calling the AVX2 copy, after the check.

/// Runs `f`, compiled with AVX2 enabled when the CPU has it.
///
/// `f` and what it inlines are compiled into the AVX2 copy; functions it
/// calls without inlining keep the baseline build, so callers mark their
/// kernels `#[inline(always)]`.
#[inline(always)]
pub(crate) fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `avx2` only enables AVX2 instructions, and the CPU has
        // them (checked just above).
        #[allow(unsafe_code)]
        return unsafe { avx2(f) };
    }
    f()
}

/// Calls `f` inlined into a function compiled with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_copies_compute_the_same_bits() {
        // A kernel whose result depends on the order of its additions.
        #[inline(always)]
        fn kernel(x: &[f32]) -> [f32; 8] {
            let mut acc = [0.0f32; 8];
            for c in x.chunks_exact(8) {
                for (a, v) in acc.iter_mut().zip(c) {
                    *a += v * 1.000_1;
                }
            }
            acc
        }
        let x: Vec<f32> = (0..4096).map(|i| (i as f32).sin() * 1e3).collect();
        assert_eq!(with_avx2(|| kernel(&x)), kernel(&x));
    }
}
