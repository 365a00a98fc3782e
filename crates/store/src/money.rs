//! [`Money`]: exact decimal amounts (an integer count of `10^-scale`
//! units). Prices, costs and budgets never touch floating point.

use std::cmp::Ordering;
use std::fmt;

/// The most fraction digits an amount may have.
pub const MAX_SCALE: u32 = 12;

/// An exact decimal amount.
#[derive(Debug, Clone, Copy, Default)]
pub struct Money {
    units: i128,
    scale: u32,
}

impl Money {
    /// Zero, with no fraction digits.
    pub const ZERO: Money = Money { units: 0, scale: 0 };

    /// Parses `123`, `0.001`, `-1.50`; keeps the written scale.
    pub fn parse(text: &str) -> Result<Money, String> {
        let t = text.trim();
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !valid(int) || !valid(frac) {
            return Err(format!(
                "`{text}` is not a decimal number (write e.g. `0.001`)"
            ));
        }
        let scale = u32::try_from(frac.len()).unwrap_or(u32::MAX);
        if scale > MAX_SCALE {
            return Err(format!(
                "`{text}` has more than {MAX_SCALE} digits after the decimal point"
            ));
        }
        let mut units: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            units = units
                .checked_mul(10)
                .and_then(|u| u.checked_add(i128::from(b - b'0')))
                .ok_or_else(|| format!("`{text}` is too large"))?;
        }
        Ok(Money {
            units: if neg { -units } else { units },
            scale,
        })
    }

    /// The number of fraction digits it prints with.
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// Whether it is below zero.
    pub fn is_negative(self) -> bool {
        self.units < 0
    }

    /// The same amount written with `scale` fraction digits (only ever
    /// widened, so nothing is lost).
    pub fn rescale(self, scale: u32) -> Money {
        if scale <= self.scale {
            return self;
        }
        Money {
            units: self.units * 10i128.pow(scale - self.scale),
            scale,
        }
    }

    /// The same amount written with fewer fraction digits, down to
    /// `scale`, as far as that loses nothing.
    pub fn narrowed_to(self, scale: u32) -> Money {
        let mut m = self;
        while m.scale > scale && m.units % 10 == 0 {
            m = Money {
                units: m.units / 10,
                scale: m.scale - 1,
            };
        }
        m
    }

    /// The exact product with a count.
    pub fn times(self, n: u64) -> Money {
        Money {
            units: self.units * i128::from(n),
            scale: self.scale,
        }
    }
}

impl std::ops::Add for Money {
    type Output = Money;

    /// The exact sum, with the larger scale.
    fn add(self, other: Money) -> Money {
        let scale = self.scale.max(other.scale);
        Money {
            units: self.rescale(scale).units + other.rescale(scale).units,
            scale,
        }
    }
}

impl PartialEq for Money {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Money {}

impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Money {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.rescale(scale).units.cmp(&other.rescale(scale).units)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let abs = self.units.unsigned_abs();
        if self.scale == 0 {
            return write!(f, "{sign}{abs}");
        }
        let div = 10u128.pow(self.scale);
        write!(
            f,
            "{sign}{}.{:0width$}",
            abs / div,
            abs % div,
            width = self.scale as usize
        )
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        for t in ["0", "0.001", "0.0001", "12.50", "-3.125", "100"] {
            assert_eq!(Money::parse(t).unwrap().to_string(), t);
        }
        assert!(Money::parse("1e-3").is_err());
        assert!(Money::parse("").is_err());
        assert!(Money::parse(".").is_err());
        assert!(Money::parse("0.0000000000001").is_err());
    }

    #[test]
    fn arithmetic_is_exact() {
        let p = Money::parse("0.001").unwrap();
        let unit = p + p;
        assert_eq!(unit.times(50).to_string(), "0.100");
        // 0.1 + 0.2 is exactly 0.3, unlike f64.
        let s = Money::parse("0.1").unwrap() + Money::parse("0.2").unwrap();
        assert_eq!(s, Money::parse("0.3").unwrap());
        assert_eq!(s.to_string(), "0.3");
        let small = Money::parse("0.0001").unwrap().times(3);
        assert_eq!((unit + small).to_string(), "0.0023");
        assert!(Money::parse("0.1000").unwrap() == Money::parse("0.1").unwrap());
        assert!(Money::parse("0.101").unwrap() > Money::parse("0.1").unwrap());
        let t = Money::parse("0.1000").unwrap();
        assert_eq!(t.narrowed_to(3).to_string(), "0.100");
        assert_eq!(t.narrowed_to(0).to_string(), "0.1");
        assert_eq!(
            Money::parse("0.1002").unwrap().narrowed_to(3).to_string(),
            "0.1002"
        );
    }
}
