//! [`Billing`]: the prices, free tiers, billing timezone and budget in
//! force, from the defaults and `pai-engine.toml`; calendar months in the
//! billing timezone.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use pai_core::UsageClass;
use serde::Serialize;

use crate::money::Money;
use crate::{Config, DecimalText};

/// The price of one request of a class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Price {
    /// The input price.
    pub input: Money,
    /// The output price.
    pub output: Money,
    /// Requests free each calendar month (per account).
    pub free_per_month: u64,
}

impl Price {
    /// What one billed request costs: input + output.
    pub fn unit(&self) -> Money {
        self.input + self.output
    }
}

/// The billing rules in force.
#[derive(Debug, Clone)]
pub struct Billing {
    /// The timezone whose calendar months bound the free tier.
    pub timezone: Tz,
    /// The currency code.
    pub currency: String,
    /// The price of each class.
    pub prices: BTreeMap<UsageClass, Price>,
    /// The monthly spending limit, if any.
    pub monthly_limit: Option<Money>,
}

impl Default for Billing {
    fn default() -> Self {
        let price = |p: &str, free| Price {
            input: Money::parse(p).unwrap_or_default(),
            output: Money::parse(p).unwrap_or_default(),
            free_per_month: free,
        };
        Billing {
            timezone: Tz::UTC,
            currency: "CNY".into(),
            prices: BTreeMap::from([
                (UsageClass::OfflineModel, price("0.001", 100)),
                (UsageClass::LorenzCurve, price("0.001", 100)),
                (UsageClass::ServiceUpdate, price("0.0001", 100)),
            ]),
            monthly_limit: None,
        }
    }
}

fn money(key: &str, text: &DecimalText) -> Result<Money, String> {
    let m = Money::parse(&text.text()).map_err(|e| format!("`{key}`: {e}"))?;
    if m.is_negative() {
        return Err(format!("`{key}` must not be negative"));
    }
    Ok(m)
}

impl Billing {
    /// The defaults with the config's `[billing]` and `[budget]` applied;
    /// errors name the key.
    pub fn from_config(config: &Config) -> Result<Billing, String> {
        let mut b = Billing::default();
        let c = &config.billing;
        if let Some(tz) = &c.timezone {
            b.timezone = tz.parse::<Tz>().map_err(|_| {
                format!("`billing.timezone`: unknown timezone `{tz}` (use an IANA name such as `Asia/Shanghai` or `UTC`)")
            })?;
        }
        if let Some(cur) = &c.currency {
            b.currency = cur.clone();
        }
        for (name, over) in &c.prices {
            let class = UsageClass::parse(name).ok_or_else(|| {
                format!("`billing.prices.{name}`: unknown class (expected one of `offline_model`, `lorenz_curve`, `service_update`)")
            })?;
            let Some(price) = b.prices.get_mut(&class) else {
                continue;
            };
            if let Some(v) = &over.input {
                price.input = money(&format!("billing.prices.{name}.input"), v)?;
            }
            if let Some(v) = &over.output {
                price.output = money(&format!("billing.prices.{name}.output"), v)?;
            }
            if let Some(v) = over.free_per_month {
                price.free_per_month = v;
            }
        }
        if let Some(limit) = &config.budget.monthly_limit {
            b.monthly_limit = Some(money("budget.monthly_limit", limit)?);
        }
        Ok(b)
    }

    /// The price of a class.
    pub fn price(&self, class: UsageClass) -> Price {
        self.prices.get(&class).cloned().unwrap_or(Price {
            input: Money::ZERO,
            output: Money::ZERO,
            free_per_month: 0,
        })
    }

    /// `YYYY-MM` of an instant, in the billing timezone.
    pub fn month_of(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.timezone);
        format!("{:04}-{:02}", local.year(), local.month())
    }

    /// The month `YYYY-MM` as `[start, end)` in Unix milliseconds.
    pub fn month_bounds(&self, month: &str) -> Result<(i64, i64), String> {
        let bad = || format!("`{month}` is not a month (write `YYYY-MM`)");
        let (y, m) = month.split_once('-').ok_or_else(bad)?;
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if y.to_string().len() != 4 || !(1..=12).contains(&m) {
            return Err(bad());
        }
        let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        Ok((self.midnight(y, m)?, self.midnight(next.0, next.1)?))
    }

    /// The first instant of day 1 of a month, in the billing timezone.
    fn midnight(&self, y: i32, m: u32) -> Result<i64, String> {
        let day = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| format!("no month {y}-{m}"))?;
        // A zone whose clocks skip midnight starts the day at the first
        // minute that exists.
        (0..24 * 60)
            .find_map(|minute| {
                let t = day.and_hms_opt(minute / 60, minute % 60, 0)?;
                self.timezone.from_local_datetime(&t).earliest()
            })
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| format!("no start of {y}-{m:02} in `{}`", self.timezone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_follow_the_billing_timezone() {
        let b = Billing {
            timezone: "Asia/Shanghai".parse().unwrap(),
            ..Billing::default()
        };
        // 2026-01-31 23:59:59 and 2026-02-01 00:00:00 in Shanghai.
        let before = Utc.with_ymd_and_hms(2026, 1, 31, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 1, 31, 16, 0, 0).unwrap();
        assert_eq!(b.month_of(before), "2026-01");
        assert_eq!(b.month_of(after), "2026-02");
        let (start, end) = b.month_bounds("2026-02").unwrap();
        assert_eq!(start, after.timestamp_millis());
        assert_eq!(
            end,
            Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0)
                .unwrap()
                .timestamp_millis()
        );
        assert!(b.month_bounds("2026-13").is_err());
        assert!(b.month_bounds("26-01").is_err());
    }

    #[test]
    fn config_overrides_prices_and_rejects_bad_keys() {
        let mut c = Config::default();
        c.billing.prices.insert(
            "offline_model".into(),
            crate::PriceConfig {
                input: Some(DecimalText::Text("0.002".into())),
                output: Some(DecimalText::Number(0.003)),
                free_per_month: Some(10),
            },
        );
        let b = Billing::from_config(&c).unwrap();
        let p = b.price(UsageClass::OfflineModel);
        assert_eq!(p.unit().to_string(), "0.005");
        assert_eq!(p.free_per_month, 10);
        c.billing
            .prices
            .insert("gpu".into(), crate::PriceConfig::default());
        assert!(
            Billing::from_config(&c)
                .unwrap_err()
                .contains("billing.prices.gpu")
        );
        let mut c = Config::default();
        c.billing.timezone = Some("Mars/Olympus".into());
        assert!(
            Billing::from_config(&c)
                .unwrap_err()
                .contains("Mars/Olympus")
        );
    }
}
