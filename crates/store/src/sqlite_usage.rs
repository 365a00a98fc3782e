//! [`UsageLedger`] on SQLite, and the two steps other catalog writes run
//! inside their own transactions: the budget check before an effect and
//! the ledger entry beside it, so that an entry exists if and only if
//! the effect was committed.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use pai_core::{UsageClass, UsageContext, UsageEntry};
use rusqlite::{Connection, params};

use crate::billing::Billing;
use crate::usage::{CountRow, LedgerRow, UsageLedger, bill_after_one_more};
use crate::{SqliteCatalog, StoreError};

/// A metered effect: the entry to append and the rules to check it by.
#[derive(Debug, Clone, Copy)]
pub struct Meter<'a> {
    /// The entry (its `succeeded` is ignored: a committed effect
    /// succeeded).
    pub entry: &'a UsageEntry,
    /// The billing rules (for the budget).
    pub billing: &'a Billing,
}

/// Appends `entry` at `at` within the caller's transaction.
pub(crate) fn record_in_tx(
    conn: &Connection,
    entry: &UsageEntry,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO usage_ledger (ts, ts_ms, project, pipeline, run_id, node, operation, class, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let c = &entry.context;
    stmt.execute(params![
        at.to_rfc3339_opts(SecondsFormat::Millis, true),
        at.timestamp_millis(),
        c.project,
        c.pipeline,
        c.run_id,
        c.node,
        entry.operation,
        entry.class.as_str(),
        if entry.succeeded {
            "succeeded"
        } else {
            "failed"
        },
    ])?;
    Ok(())
}

/// The month's counts as seen by `conn` (inside a transaction when the
/// caller holds one).
fn counts(
    conn: &Connection,
    billing: &Billing,
    start_ms: i64,
    end_ms: i64,
) -> rusqlite::Result<Vec<CountRow>> {
    let free = |c| billing.price(c).free_per_month as i64;
    let mut stmt = conn.prepare_cached(
        "WITH ranked AS (
           SELECT class, project, outcome,
                  CASE WHEN outcome = 'succeeded'
                       THEN ROW_NUMBER() OVER (PARTITION BY class, outcome ORDER BY ts_ms, id) END AS rn
           FROM usage_ledger WHERE ts_ms >= ?1 AND ts_ms < ?2)
         SELECT class, project,
                SUM(outcome = 'succeeded'),
                SUM(outcome = 'succeeded' AND rn <= CASE class WHEN 'offline_model' THEN ?3
                                                              WHEN 'lorenz_curve' THEN ?4 ELSE ?5 END),
                SUM(outcome = 'failed')
         FROM ranked GROUP BY class, project ORDER BY class, project",
    )?;
    let rows = stmt.query_map(
        params![
            start_ms,
            end_ms,
            free(UsageClass::OfflineModel),
            free(UsageClass::LorenzCurve),
            free(UsageClass::ServiceUpdate)
        ],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (class, project, succeeded, free, failed) = row?;
        // Rows of a class this engine does not know are not billed.
        let Some(class) = UsageClass::parse(&class) else {
            continue;
        };
        out.push(CountRow {
            class,
            project,
            succeeded: succeeded as u64,
            free: free as u64,
            failed: failed as u64,
        });
    }
    Ok(out)
}

/// Checks the budget within the caller's transaction: `Ok(Err(..))` when
/// one more request of `class` would pass it.
pub(crate) fn check_budget_in_tx(
    conn: &Connection,
    billing: &Billing,
    class: UsageClass,
    operation: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Result<(), StoreError>> {
    let Some(limit) = billing.monthly_limit else {
        return Ok(Ok(()));
    };
    let month = billing.month_of(now);
    let Ok((start, end)) = billing.month_bounds(&month) else {
        return Ok(Ok(()));
    };
    let rows = counts(conn, billing, start, end)?;
    let would = bill_after_one_more(billing, &rows, class);
    if would > limit {
        return Ok(Err(StoreError::BudgetExceeded(Box::new(
            crate::error::BudgetRefusal {
                class,
                operation: operation.to_string(),
                month,
                would,
                limit,
                currency: billing.currency.clone(),
            },
        ))));
    }
    Ok(Ok(()))
}

/// Within the caller's transaction: the budget check then the entry.
/// `Ok(Err(..))` when the budget refuses (the caller rolls back).
pub(crate) fn meter_in_tx(
    conn: &Connection,
    meter: Option<&Meter<'_>>,
) -> rusqlite::Result<Result<(), StoreError>> {
    let Some(m) = meter else {
        return Ok(Ok(()));
    };
    let now = crate::usage::now();
    if let Err(e) = check_budget_in_tx(conn, m.billing, m.entry.class, &m.entry.operation, now)? {
        return Ok(Err(e));
    }
    let entry = UsageEntry {
        succeeded: true,
        ..m.entry.clone()
    };
    record_in_tx(conn, &entry, now)?;
    Ok(Ok(()))
}

impl UsageLedger for SqliteCatalog {
    fn record_at(&self, entry: &UsageEntry, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            record_in_tx(&tx, entry, at)?;
            tx.commit()
        })
    }

    fn check_budget(
        &self,
        billing: &Billing,
        class: UsageClass,
        operation: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|conn| check_budget_in_tx(conn, billing, class, operation, now))?
    }

    fn month_counts(
        &self,
        billing: &Billing,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<CountRow>, StoreError> {
        self.with(|conn| counts(conn, billing, start_ms, end_ms))
    }

    fn entries(&self, start_ms: i64, end_ms: i64) -> Result<Vec<LedgerRow>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT ts, project, pipeline, run_id, node, operation, class, outcome
                 FROM usage_ledger WHERE ts_ms >= ?1 AND ts_ms < ?2 ORDER BY ts_ms, id",
            )?;
            let rows = stmt.query_map(params![start_ms, end_ms], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    UsageContext {
                        project: r.get(1)?,
                        pipeline: r.get(2)?,
                        run_id: r.get(3)?,
                        node: r.get(4)?,
                    },
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (ts, context, operation, class, outcome) = row?;
                if let Some(class) = UsageClass::parse(&class) {
                    out.push(LedgerRow {
                        ts,
                        entry: UsageEntry {
                            class,
                            operation,
                            context,
                            succeeded: outcome == "succeeded",
                        },
                    });
                }
            }
            Ok(out)
        })
    }
}

/// Succeeded requests so far in `[start, end)`, per class.
pub fn succeeded_by_class(rows: &[CountRow]) -> BTreeMap<UsageClass, u64> {
    let mut m = BTreeMap::new();
    for r in rows {
        *m.entry(r.class).or_insert(0) += r.succeeded;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(project: &str, succeeded: bool) -> UsageEntry {
        UsageEntry {
            class: UsageClass::OfflineModel,
            operation: "copy_offline_model".into(),
            context: UsageContext::cli(project),
            succeeded,
        }
    }

    #[test]
    fn free_tier_is_applied_in_time_order_across_projects() {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        let b = Billing::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        for i in 0..150 {
            let p = if i < 120 { "a" } else { "b" };
            cat.record_at(&entry(p, true), t0 + chrono::Duration::seconds(i))
                .unwrap();
        }
        cat.record_at(&entry("b", false), t0).unwrap();
        let (s, e) = b.month_bounds("2026-11").unwrap();
        let rows = cat.month_counts(&b, s, e).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].succeeded, rows[0].free, rows[0].failed),
            (120, 100, 0)
        );
        assert_eq!(
            (rows[1].succeeded, rows[1].free, rows[1].failed),
            (30, 0, 1)
        );
        // The ledger refuses changes.
        let err = cat
            .with(|c| c.execute("DELETE FROM usage_ledger", []))
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        assert_eq!(cat.entries(s, e).unwrap().len(), 151);
    }

    #[test]
    fn budget_refuses_the_request_that_would_pass_it() {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        let b = Billing {
            monthly_limit: Some(crate::Money::parse("0.004").unwrap()),
            ..Billing::default()
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        for _ in 0..102 {
            cat.record_at(&entry("p", true), now).unwrap();
        }
        // 2 billed = 0.004; the next would make 0.006.
        let err = cat
            .check_budget(&b, UsageClass::OfflineModel, "copy_offline_model", now)
            .unwrap_err();
        assert!(err.to_string().contains("0.006"), "{err}");
        // Other classes still have their free tier.
        cat.check_budget(&b, UsageClass::LorenzCurve, "lorenz_curve", now)
            .unwrap();
        // Next month starts afresh.
        let next = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        cat.check_budget(&b, UsageClass::OfflineModel, "copy_offline_model", next)
            .unwrap();
    }
}
