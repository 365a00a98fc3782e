//! The items that are buffered, sorted, spilled and merged: an order-preserving `u64` key for
//! each value (the IEEE-754 total-order trick) and, for weighted fields, the key paired with
//! its frequency weight.

/// The sign bit of an `f64` bit pattern.
const SIGN: u64 = 1 << 63;

/// Maps a non-NaN `f64` to a `u64` whose unsigned order is the numeric order of the values.
///
/// `-0.0` must have been normalized to `+0.0` beforehand so that equal values get equal keys.
#[inline]
pub(crate) fn key_of(x: f64) -> u64 {
    let b = x.to_bits();
    if b & SIGN != 0 { !b } else { b | SIGN }
}

/// Inverse of [`key_of`].
#[inline]
pub(crate) fn value_of(key: u64) -> f64 {
    f64::from_bits(if key & SIGN != 0 { key & !SIGN } else { !key })
}

/// A sortable, spillable item.
///
/// Items are totally ordered by `(key, tie)`; two items with equal `(key, tie)` are identical,
/// so every correct sort yields the same sequence, which is what makes results independent of
/// the thread count and of spilling.
pub(crate) trait Item: Copy + Default + Send + Sync + 'static {
    /// Encoded size in bytes (also the budget cost of one buffered item).
    const BYTES: usize;
    /// Whether the item carries a weight.
    const WEIGHTED: bool;
    /// Builds an item from a key and a (normalized, non-negative) weight.
    fn make(key: u64, weight: f64) -> Self;
    /// Rebuilds an item from its sort parts.
    fn from_parts(key: u64, tie: u64) -> Self;
    /// The order-preserving value key.
    fn key(self) -> u64;
    /// Tie-breaker among equal keys.
    fn tie(self) -> u64;
    /// The frequency weight (1 when unweighted).
    fn weight(self) -> f64;
    /// Appends the little-endian encoding.
    fn encode(self, out: &mut Vec<u8>);
    /// Decodes `BYTES` bytes.
    fn decode(bytes: &[u8]) -> Self;
}

#[inline]
fn read_u64(bytes: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(a)
}

impl Item for u64 {
    const BYTES: usize = 8;
    const WEIGHTED: bool = false;
    #[inline]
    fn make(key: u64, _weight: f64) -> Self {
        key
    }
    #[inline]
    fn from_parts(key: u64, _tie: u64) -> Self {
        key
    }
    #[inline]
    fn key(self) -> u64 {
        self
    }
    #[inline]
    fn tie(self) -> u64 {
        0
    }
    #[inline]
    fn weight(self) -> f64 {
        1.0
    }
    fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        read_u64(bytes)
    }
}

/// A value key with its frequency weight.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Pair {
    key: u64,
    weight: f64,
}

impl Item for Pair {
    const BYTES: usize = 16;
    const WEIGHTED: bool = true;
    #[inline]
    fn make(key: u64, weight: f64) -> Self {
        Pair { key, weight }
    }
    #[inline]
    fn from_parts(key: u64, tie: u64) -> Self {
        Pair {
            key,
            weight: f64::from_bits(tie),
        }
    }
    #[inline]
    fn key(self) -> u64 {
        self.key
    }
    #[inline]
    fn tie(self) -> u64 {
        // Weights are finite, non-negative and `-0.0`-normalized, so bit order is numeric order.
        self.weight.to_bits()
    }
    #[inline]
    fn weight(self) -> f64 {
        self.weight
    }
    fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&self.weight.to_bits().to_le_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        Pair {
            key: read_u64(bytes),
            weight: f64::from_bits(read_u64(&bytes[8..])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_preserve_order_and_round_trip() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1.0000000000000002,
            3.0,
            1e300,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(key_of(w[0]) < key_of(w[1]), "{} vs {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(value_of(key_of(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn encode_decode() {
        let p = Pair::make(key_of(2.5), 3.0);
        let mut buf = Vec::new();
        p.encode(&mut buf);
        assert_eq!(buf.len(), Pair::BYTES);
        assert_eq!(Pair::decode(&buf), p);
        assert_eq!(Pair::from_parts(p.key(), p.tie()), p);
        let k = key_of(7.0);
        let mut buf = Vec::new();
        k.encode(&mut buf);
        assert_eq!(<u64 as Item>::decode(&buf), k);
    }
}
