//! numpy's legacy random stream (`np.random.RandomState`), bit for bit.
//!
//! scikit-learn draws every random choice of its estimators from a
//! `RandomState`, which is the Mersenne Twister MT19937 with numpy's own
//! seeding and its own conversion of raw words to floats. [`NumpyRng`]
//! reproduces that stream exactly, so algorithms that replay
//! scikit-learn's sequence of draws (k-means initialisation, for one) pick
//! the same rows for the same integer seed.

/// Number of 32-bit words in the MT19937 state.
const N: usize = 624;
/// MT19937 middle word offset.
const M: usize = 397;
/// MT19937 twist matrix constant.
const MATRIX_A: u32 = 0x9908_b0df;
/// Most significant bit of a word.
const UPPER_MASK: u32 = 0x8000_0000;
/// Least significant 31 bits of a word.
const LOWER_MASK: u32 = 0x7fff_ffff;

/// MT19937 exactly as numpy's legacy `np.random.RandomState`.
///
/// Seeds up to `u32::MAX` are seeded like `RandomState(seed)` (numpy's
/// `mt19937_seed`, the reference `init_genrand`). numpy refuses larger
/// integer seeds; here they are seeded with the reference `init_by_array`
/// on the two words `[low 32 bits, high 32 bits]`, which is what
/// `RandomState(np.array([lo, hi], dtype=np.uint32))` does, so every `u64`
/// seed still has a numpy equivalent.
#[derive(Debug, Clone)]
pub(crate) struct NumpyRng {
    /// The generator state.
    key: Box<[u32; N]>,
    /// Index of the next word of `key` to temper; `N` means "regenerate".
    pos: usize,
}

impl NumpyRng {
    /// A generator in the state of `np.random.RandomState(seed)` (see the
    /// type's documentation for seeds above `u32::MAX`).
    pub(crate) fn new(seed: u64) -> Self {
        match u32::try_from(seed) {
            Ok(s) => Self::from_u32(s),
            // Truncations intended: the low and the high word of the seed.
            Err(_) => Self::from_key(&[seed as u32, (seed >> 32) as u32]),
        }
    }

    /// numpy's `mt19937_seed` (the reference `init_genrand`).
    fn from_u32(seed: u32) -> Self {
        let mut key = Box::new([0u32; N]);
        let mut s = seed;
        for (i, k) in key.iter_mut().enumerate() {
            *k = s;
            // `i + 1 <= N` fits in a u32.
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(i as u32 + 1);
        }
        NumpyRng { key, pos: N }
    }

    /// numpy's `mt19937_init_by_array` (the reference `init_by_array`),
    /// for a non-empty `init_key`.
    fn from_key(init_key: &[u32]) -> Self {
        let mut rng = Self::from_u32(19_650_218);
        let mt = &mut rng.key;
        let len = init_key.len().max(1);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(len) {
            let prev = mt[i - 1];
            let word = init_key.get(j).copied().unwrap_or(0);
            // `j < len`, a handful of words: fits in a u32.
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(word)
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= len {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            // `i < N`: fits in a u32.
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = UPPER_MASK;
        rng.pos = N;
        rng
    }

    /// Regenerates the whole state (the MT19937 "twist").
    fn twist(&mut self) {
        let mt = &mut self.key;
        let mix = |a: u32, b: u32, far: u32| {
            let y = (a & UPPER_MASK) | (b & LOWER_MASK);
            far ^ (y >> 1) ^ if y & 1 == 1 { MATRIX_A } else { 0 }
        };
        for i in 0..N - M {
            mt[i] = mix(mt[i], mt[i + 1], mt[i + M]);
        }
        for i in N - M..N - 1 {
            mt[i] = mix(mt[i], mt[i + 1], mt[i + M - N]);
        }
        mt[N - 1] = mix(mt[N - 1], mt[0], mt[M - 1]);
        self.pos = 0;
    }

    /// The next raw 32-bit output (the reference `genrand_int32`).
    pub(crate) fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.twist();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A uniform double in `[0, 1)` with 53 random bits, as numpy's
    /// `random_sample` (two consecutive words, the first one's top 27 bits
    /// above the second one's top 26).
    pub(crate) fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first outputs of `init_genrand(5489)`, from the reference
    /// implementation's published output (`mt19937ar.out`) and the C++
    /// standard (`std::mt19937`'s 10000th output is 4123659995).
    #[test]
    fn reference_stream_for_5489() {
        let mut rng = NumpyRng::new(5489);
        let first: Vec<u32> = (0..3).map(|_| rng.next_u32()).collect();
        assert_eq!(first, [3_499_211_612, 581_869_302, 3_890_346_734]);
        let mut rng = NumpyRng::new(5489);
        let ten_thousandth = (0..10_000).map(|_| rng.next_u32()).last();
        assert_eq!(ten_thousandth, Some(4_123_659_995));
    }

    /// The reference `init_by_array({0x123, 0x234, 0x345, 0x456})` stream
    /// (`mt19937ar.out`), through the private array seeding.
    #[test]
    fn reference_stream_for_array_seed() {
        let mut rng = NumpyRng::from_key(&[0x123, 0x234, 0x345, 0x456]);
        let first: Vec<u32> = (0..5).map(|_| rng.next_u32()).collect();
        assert_eq!(
            first,
            [
                1_067_595_299,
                955_945_823,
                477_289_528,
                4_107_218_783,
                4_228_976_476
            ]
        );
    }

    /// Raw words, from numpy 2.4.6:
    /// `np.random.RandomState(s).randint(0, 2**32, size=5, dtype=np.uint64)`
    /// (a range of exactly 2**32 values returns the raw 32-bit draws).
    #[test]
    fn raw_words_match_numpy() {
        let cases: [(u64, [u32; 5]); 3] = [
            (
                0,
                [
                    2_357_136_044,
                    2_546_248_239,
                    3_071_714_933,
                    3_626_093_760,
                    2_588_848_963,
                ],
            ),
            (
                42,
                [
                    1_608_637_542,
                    3_421_126_067,
                    4_083_286_876,
                    787_846_414,
                    3_143_890_026,
                ],
            ),
            (
                u64::from(u32::MAX),
                [
                    419_326_371,
                    479_346_978,
                    3_918_654_476,
                    2_416_749_639,
                    3_388_880_820,
                ],
            ),
        ];
        for (seed, want) in cases {
            let mut rng = NumpyRng::new(seed);
            let got: Vec<u32> = (0..5).map(|_| rng.next_u32()).collect();
            assert_eq!(got, want, "seed {seed}");
        }
    }

    /// From numpy 2.4.6: `np.random.RandomState(s).random_sample(5)` for
    /// `s` in 0, 42 and 2**32 - 1, and
    /// `np.random.RandomState(np.array([12345, 256], dtype=np.uint32))
    /// .random_sample(5)` for the seed 2**40 + 12345.
    #[test]
    fn random_sample_matches_numpy() {
        let cases: [(u64, [f64; 5]); 4] = [
            (
                0,
                [
                    0.5488135039273248,
                    0.7151893663724195,
                    0.6027633760716439,
                    0.5448831829968969,
                    0.4236547993389047,
                ],
            ),
            (
                42,
                [
                    0.3745401188473625,
                    0.9507143064099162,
                    0.7319939418114051,
                    0.5986584841970366,
                    0.15601864044243652,
                ],
            ),
            (
                u64::from(u32::MAX),
                [
                    0.0976320289940138,
                    0.9123828453026218,
                    0.78903530185164,
                    0.7800035981134678,
                    0.01793967398674523,
                ],
            ),
            (
                (1 << 40) + 12345,
                [
                    0.31036222241287226,
                    0.1148930862836336,
                    0.5335990945925775,
                    0.20403672857712885,
                    0.8113406885080037,
                ],
            ),
        ];
        for (seed, want) in cases {
            let mut rng = NumpyRng::new(seed);
            for (i, w) in want.iter().enumerate() {
                let got = rng.random_sample();
                assert_eq!(got.to_bits(), w.to_bits(), "seed {seed}, draw {i}");
            }
        }
    }
}
