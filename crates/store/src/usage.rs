//! The usage ledger's trait and the monthly bill computed from it: free
//! tier per class and account (the month's first N succeeded requests of
//! a class are free, whoever made them), billed requests charged to the
//! project that made them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pai_core::{UsageClass, UsageEntry};
use serde::Serialize;

use crate::StoreError;
use crate::billing::Billing;
use crate::money::Money;

/// Succeeded, free and failed requests of one class by one project in a
/// month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    /// The class.
    pub class: UsageClass,
    /// The project.
    pub project: String,
    /// Succeeded requests.
    pub succeeded: u64,
    /// Of those, how many fell in the account's free tier.
    pub free: u64,
    /// Failed requests (never billed).
    pub failed: u64,
}

/// One ledger row.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    /// RFC 3339 time.
    pub ts: String,
    /// The request.
    #[serde(flatten)]
    pub entry: UsageEntry,
}

/// The append-only ledger of metered requests.
pub trait UsageLedger: Send + Sync {
    /// Appends one entry at time `at`, in its own transaction.
    fn record_at(&self, entry: &UsageEntry, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Refuses (with [`StoreError::BudgetExceeded`]) when one more
    /// succeeded request of `class` at `now` would pass the budget.
    fn check_budget(
        &self,
        billing: &Billing,
        class: UsageClass,
        operation: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The counts of `[start_ms, end_ms)`, by class and project, with
    /// each class's free tier applied in time order.
    fn month_counts(
        &self,
        billing: &Billing,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<CountRow>, StoreError>;
    /// The entries of `[start_ms, end_ms)`, oldest first.
    fn entries(&self, start_ms: i64, end_ms: i64) -> Result<Vec<LedgerRow>, StoreError>;
}

/// The current time: the real clock, or `PAI_NOW` (RFC 3339) when set, so
/// that billing months can be replayed and tested.
pub fn now() -> DateTime<Utc> {
    std::env::var("PAI_NOW")
        .ok()
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// One class's line of the bill.
#[derive(Debug, Clone, Serialize)]
pub struct ClassBill {
    /// The class.
    pub class: UsageClass,
    /// Succeeded requests.
    pub requests: u64,
    /// Free requests used.
    pub free: u64,
    /// Billed requests.
    pub billable: u64,
    /// Failed requests (recorded, not billed).
    pub failed: u64,
    /// The input price per request.
    pub input_price: Money,
    /// The output price per request.
    pub output_price: Money,
    /// `billable × (input + output)`.
    pub cost: Money,
}

/// One project's line of the breakdown.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectBill {
    /// The project.
    pub project: String,
    /// The class.
    pub class: UsageClass,
    /// Succeeded requests.
    pub requests: u64,
    /// Of those, free.
    pub free: u64,
    /// Billed.
    pub billable: u64,
    /// Their cost.
    pub cost: Money,
}

/// A month's bill.
#[derive(Debug, Clone, Serialize)]
pub struct Bill {
    /// `YYYY-MM`.
    pub month: String,
    /// The project the bill is narrowed to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// One line per class.
    pub classes: Vec<ClassBill>,
    /// The per-project breakdown.
    pub projects: Vec<ProjectBill>,
    /// The sum of the classes' costs.
    pub total: Money,
    /// The currency.
    pub currency: String,
}

impl Bill {
    /// Builds the bill of `month` from its counts; `project` narrows the
    /// lines to that project's requests (the free tier stays the
    /// account's).
    pub fn new(billing: &Billing, month: &str, counts: &[CountRow], project: Option<&str>) -> Bill {
        let mut projects: Vec<ProjectBill> = counts
            .iter()
            .filter(|r| project.is_none_or(|p| p == r.project))
            .map(|r| {
                let billable = r.succeeded - r.free;
                ProjectBill {
                    project: r.project.clone(),
                    class: r.class,
                    requests: r.succeeded,
                    free: r.free,
                    billable,
                    cost: billing.price(r.class).unit().times(billable),
                }
            })
            .collect();
        projects.sort_by(|a, b| (&a.project, a.class).cmp(&(&b.project, b.class)));
        let mut classes = Vec::new();
        let mut total = Money::ZERO;
        let mut used_scale = None::<u32>;
        for class in UsageClass::ALL {
            let price = billing.price(class);
            let rows = counts
                .iter()
                .filter(|r| r.class == class && project.is_none_or(|p| p == r.project));
            let (mut requests, mut free, mut failed) = (0, 0, 0);
            for r in rows {
                requests += r.succeeded;
                free += r.free;
                failed += r.failed;
            }
            let billable = requests - free;
            let cost = price.unit().times(billable);
            if requests > 0 {
                used_scale = Some(used_scale.unwrap_or(0).max(cost.scale()));
            }
            total = total + cost;
            classes.push(ClassBill {
                class,
                requests,
                free,
                billable,
                failed,
                input_price: price.input,
                output_price: price.output,
                cost,
            });
        }
        // The total prints with the precision of the classes in use.
        let total = match used_scale {
            Some(s) => total.narrowed_to(s),
            None => total,
        };
        Bill {
            month: month.to_string(),
            project: project.map(str::to_string),
            classes,
            projects,
            total,
            currency: billing.currency.clone(),
        }
    }
}

/// What planned requests would add to the month: per class, how many are
/// free, billed, and their cost, given the succeeded requests so far.
pub fn estimate(
    billing: &Billing,
    so_far: &BTreeMap<UsageClass, u64>,
    planned: &BTreeMap<UsageClass, u64>,
) -> Vec<(UsageClass, u64, u64, u64, Money)> {
    planned
        .iter()
        .map(|(&class, &n)| {
            let price = billing.price(class);
            let used = so_far.get(&class).copied().unwrap_or(0);
            let free_left = price.free_per_month.saturating_sub(used);
            let free = n.min(free_left);
            let billable = n - free;
            (class, n, free, billable, price.unit().times(billable))
        })
        .collect()
}

/// The month's bill so far plus the cost of one more succeeded request of
/// `class`: what the budget is compared against.
pub fn bill_after_one_more(billing: &Billing, counts: &[CountRow], class: UsageClass) -> Money {
    let bill = Bill::new(billing, "", counts, None);
    let used: u64 = counts
        .iter()
        .filter(|r| r.class == class)
        .map(|r| r.succeeded)
        .sum();
    let price = billing.price(class);
    let extra = if used >= price.free_per_month {
        price.unit()
    } else {
        Money::ZERO
    };
    bill.total + extra
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(class: UsageClass, project: &str, succeeded: u64, free: u64) -> CountRow {
        CountRow {
            class,
            project: project.into(),
            succeeded,
            free,
            failed: 0,
        }
    }

    #[test]
    fn free_tier_and_cost_are_exact() {
        let b = Billing::default();
        let counts = [row(UsageClass::OfflineModel, "p", 150, 100)];
        let bill = Bill::new(&b, "2026-11", &counts, None);
        let om = &bill.classes[0];
        assert_eq!((om.requests, om.free, om.billable), (150, 100, 50));
        assert_eq!(om.cost.to_string(), "0.100");
        assert_eq!(bill.total.to_string(), "0.100");
        assert_eq!(bill.total, Money::parse("0.1").unwrap());
    }

    #[test]
    fn projects_split_the_bill_and_narrowing_keeps_the_account_tier() {
        let b = Billing::default();
        let counts = [
            row(UsageClass::OfflineModel, "a", 120, 100),
            row(UsageClass::OfflineModel, "b", 30, 0),
            row(UsageClass::ServiceUpdate, "b", 101, 100),
        ];
        let bill = Bill::new(&b, "2026-11", &counts, None);
        assert_eq!(bill.total.to_string(), "0.1002");
        let only_b = Bill::new(&b, "2026-11", &counts, Some("b"));
        assert_eq!(only_b.classes[0].billable, 30);
        assert_eq!(only_b.total.to_string(), "0.0602");
        assert_eq!(only_b.projects.len(), 2);
    }

    #[test]
    fn estimates_use_the_remaining_free_tier() {
        let b = Billing::default();
        let so_far = BTreeMap::from([(UsageClass::OfflineModel, 98)]);
        let planned = BTreeMap::from([(UsageClass::OfflineModel, 5), (UsageClass::LorenzCurve, 1)]);
        let e = estimate(&b, &so_far, &planned);
        assert_eq!(e[0].2, 2);
        assert_eq!(e[0].3, 3);
        assert_eq!(e[0].4.to_string(), "0.006");
        assert_eq!(e[1].3, 0);
    }
}
