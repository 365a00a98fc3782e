//! Compensated (Neumaier) summation, used for every running total so that sums over tens of
//! millions of values keep close to full `f64` precision whatever the summation order.

/// A running sum with a Neumaier error-compensation term.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    /// The empty sum.
    pub(crate) const ZERO: Neumaier = Neumaier {
        sum: 0.0,
        comp: 0.0,
    };

    /// Adds one term.
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// Adds another compensated sum (both its parts).
    pub(crate) fn add_sum(&mut self, other: Neumaier) {
        self.add(other.sum);
        self.add(other.comp);
    }

    /// Adds `factor · other`, scaling both parts of `other`.
    pub(crate) fn add_scaled(&mut self, factor: f64, other: Neumaier) {
        self.add(factor * other.sum);
        self.add(factor * other.comp);
    }

    /// The best `f64` estimate of the sum.
    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_what_naive_summation_loses() {
        let mut s = Neumaier::ZERO;
        let mut naive = 0.0;
        for x in [1.0, 1e100, 1.0, -1e100] {
            s.add(x);
            naive += x;
        }
        assert_eq!(s.value(), 2.0);
        assert_eq!(naive, 0.0);
    }

    #[test]
    fn many_small_terms() {
        let mut s = Neumaier::ZERO;
        for _ in 0..10_000_000 {
            s.add(0.1);
        }
        assert!((s.value() - 1_000_000.0).abs() < 1e-9, "{}", s.value());
    }

    #[test]
    fn add_sum_and_scaled() {
        let mut a = Neumaier::ZERO;
        a.add(3.0);
        let mut b = Neumaier::ZERO;
        b.add(4.0);
        b.add_sum(a);
        assert_eq!(b.value(), 7.0);
        b.add_scaled(-2.0, a);
        assert_eq!(b.value(), 1.0);
    }
}
