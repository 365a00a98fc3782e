//! [`ScheduleCatalog`] on SQLite. Claims run in one `IMMEDIATE`
//! transaction that checks the lease, inserts under the unique
//! (schedule, slot) constraint and advances `last_slot_ms`, so two trigger
//! processes sharing a catalog never record the same slot twice.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::schedules::{
    ClaimOutcome, FireRecord, FireUpdate, NewFire, RegisterSchedule, ScheduleCatalog, ScheduleRow,
};
use crate::{SqliteCatalog, StoreError};

const SCHEDULE_COLS: &str = "id, pipeline, name, manifest_path, cron, timezone, last_slot_ms, suspended, registered_at, updated_at";
const FIRE_COLS: &str = "id, schedule, slot_ms, slot, until_ms, count, trigger, state, reason, holder, run_id, run_ids, attempts, decided_at, started_at, ended_at, error";

fn schedule_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScheduleRow> {
    Ok(ScheduleRow {
        id: r.get(0)?,
        pipeline: r.get(1)?,
        name: r.get(2)?,
        manifest_path: r.get(3)?,
        cron: r.get(4)?,
        timezone: r.get(5)?,
        last_slot_ms: r.get(6)?,
        suspended: r.get::<_, i64>(7)? != 0,
        registered_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn fire_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FireRecord> {
    let run_ids: String = r.get(11)?;
    Ok(FireRecord {
        id: r.get(0)?,
        schedule: r.get(1)?,
        slot_ms: r.get(2)?,
        slot: r.get(3)?,
        until_ms: r.get(4)?,
        count: r.get::<_, i64>(5)?.max(0) as u64,
        trigger: r.get(6)?,
        state: r.get(7)?,
        reason: r.get(8)?,
        holder: r.get(9)?,
        run_id: r.get(10)?,
        run_ids: serde_json::from_str(&run_ids).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Text, Box::new(e))
        })?,
        attempts: r.get(12)?,
        decided_at: r.get(13)?,
        started_at: r.get(14)?,
        ended_at: r.get(15)?,
        error: r.get(16)?,
    })
}

fn now_text() -> String {
    pai_core::now_rfc3339()
}

/// Inserts one fire; `None` when the (schedule, slot) already has one.
fn insert_fire(tx: &Transaction<'_>, holder: &str, f: &NewFire) -> rusqlite::Result<Option<i64>> {
    let run_ids = match &f.run_id {
        Some(id) => serde_json::json!([id]).to_string(),
        None => "[]".to_string(),
    };
    let mut stmt = tx.prepare_cached(
        "INSERT INTO schedule_fires (schedule, slot_ms, slot, until_ms, count, trigger, state, reason, holder, run_id, run_ids, attempts, decided_at, started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(schedule, slot_ms) DO NOTHING",
    )?;
    let n = stmt.execute(params![
        f.schedule,
        f.slot_ms,
        f.slot,
        f.until_ms,
        f.count as i64,
        f.trigger,
        f.state,
        f.reason,
        holder,
        f.run_id,
        run_ids,
        i64::from(f.run_id.is_some()),
        now_text(),
        f.started_at,
    ])?;
    Ok((n == 1).then(|| tx.last_insert_rowid()))
}

impl ScheduleCatalog for SqliteCatalog {
    fn register_schedules(
        &self,
        schedules: &[RegisterSchedule],
        now_ms: i64,
    ) -> Result<Vec<ScheduleRow>, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = now_text();
            for s in schedules {
                tx.prepare_cached(
                    "INSERT INTO schedules (id, pipeline, name, manifest_path, cron, timezone, last_slot_ms, suspended, registered_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8)
                     ON CONFLICT(id) DO UPDATE SET manifest_path = excluded.manifest_path, cron = excluded.cron,
                       timezone = excluded.timezone, updated_at = excluded.updated_at
                     WHERE manifest_path <> excluded.manifest_path OR cron <> excluded.cron OR timezone <> excluded.timezone",
                )?
                .execute(params![s.id, s.pipeline, s.name, s.manifest_path, s.cron, s.timezone, now_ms, now])?;
            }
            tx.commit()?;
            let mut stmt = conn.prepare_cached(&format!("SELECT {SCHEDULE_COLS} FROM schedules ORDER BY id"))?;
            let rows = stmt
                .query_map([], schedule_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn schedules(&self) -> Result<Vec<ScheduleRow>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SCHEDULE_COLS} FROM schedules ORDER BY id"
            ))?;
            let rows = stmt
                .query_map([], schedule_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let current: Option<(String, i64)> = tx
                .query_row(
                    "SELECT holder, expires_ms FROM schedule_leases WHERE name = ?1",
                    params![name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let ours = match &current {
                Some((h, _)) if h == holder => true,
                Some((_, expires)) => *expires <= now_ms,
                None => true,
            };
            if ours {
                let fresh = current.as_ref().is_none_or(|(h, _)| h != holder);
                if fresh {
                    tx.execute(
                        "INSERT INTO schedule_leases (name, holder, expires_ms, acquired_at) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms, acquired_at = excluded.acquired_at",
                        params![name, holder, now_ms + ttl_ms, now_text()],
                    )?;
                } else {
                    tx.execute(
                        "UPDATE schedule_leases SET expires_ms = ?3 WHERE name = ?1 AND holder = ?2",
                        params![name, holder, now_ms + ttl_ms],
                    )?;
                }
            }
            tx.commit()?;
            Ok(ours)
        })
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "DELETE FROM schedule_leases WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )
            .map(|_| ())
        })
    }

    fn claim_fires(
        &self,
        lease: Option<(&str, &str)>,
        holder: &str,
        now_ms: i64,
        fires: &[NewFire],
    ) -> Result<Option<Vec<ClaimOutcome>>, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if let Some((name, lease_holder)) = lease {
                let valid: Option<i64> = tx
                    .query_row(
                        "SELECT expires_ms FROM schedule_leases WHERE name = ?1 AND holder = ?2",
                        params![name, lease_holder],
                        |r| r.get(0),
                    )
                    .optional()?;
                if valid.is_none_or(|expires| expires <= now_ms) {
                    return Ok(None);
                }
            }
            let mut outcomes = Vec::with_capacity(fires.len());
            for f in fires {
                let last = f.until_ms.unwrap_or(f.slot_ms);
                if f.advance {
                    let current: Option<i64> = tx
                        .prepare_cached("SELECT last_slot_ms FROM schedules WHERE id = ?1")?
                        .query_row(params![f.schedule], |r| r.get(0))
                        .optional()?;
                    match current {
                        Some(c) if c < f.slot_ms => {}
                        _ => {
                            outcomes.push(ClaimOutcome::Stale);
                            continue;
                        }
                    }
                    tx.prepare_cached(
                        "UPDATE schedules SET last_slot_ms = ?2 WHERE id = ?1 AND last_slot_ms < ?2",
                    )?
                    .execute(params![f.schedule, last])?;
                }
                outcomes.push(match insert_fire(&tx, holder, f)? {
                    Some(id) => ClaimOutcome::Claimed(id),
                    None => ClaimOutcome::AlreadyFired,
                });
            }
            tx.commit()?;
            Ok(Some(outcomes))
        })
    }

    fn update_fires(&self, updates: &[FireUpdate]) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for u in updates {
                if let Some(run_id) = &u.new_run_id {
                    tx.prepare_cached(
                        "UPDATE schedule_fires SET run_id = ?2, run_ids = json_insert(run_ids, '$[#]', ?2) WHERE id = ?1",
                    )?
                    .execute(params![u.id, run_id])?;
                }
                tx.prepare_cached(
                    "UPDATE schedule_fires SET state = ?2, attempts = COALESCE(?3, attempts),
                       started_at = COALESCE(started_at, ?4), ended_at = COALESCE(?5, ended_at),
                       error = COALESCE(?6, error), reason = COALESCE(?7, reason) WHERE id = ?1",
                )?
                .execute(params![
                    u.id,
                    u.state,
                    u.attempts,
                    u.started_at,
                    u.ended_at,
                    u.error,
                    u.reason
                ])?;
            }
            tx.commit()
        })
    }

    fn fires(&self, schedule: Option<&str>, limit: usize) -> Result<Vec<FireRecord>, StoreError> {
        self.with(|conn| {
            let limit = limit.min(i64::MAX as usize) as i64;
            let rows = match schedule {
                Some(s) => {
                    let mut stmt = conn.prepare_cached(&format!(
                        "SELECT {FIRE_COLS} FROM schedule_fires WHERE schedule = ?1 ORDER BY slot_ms DESC, id DESC LIMIT ?2"
                    ))?;
                    stmt.query_map(params![s, limit], fire_from_row)?
                        .collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let mut stmt = conn.prepare_cached(&format!(
                        "SELECT {FIRE_COLS} FROM schedule_fires ORDER BY slot_ms DESC, id DESC LIMIT ?1"
                    ))?;
                    stmt.query_map(params![limit], fire_from_row)?
                        .collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(rows)
        })
    }

    fn open_fires(&self) -> Result<Vec<FireRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {FIRE_COLS} FROM schedule_fires WHERE state IN ('queued', 'running', 'retrying') ORDER BY slot_ms, id"
            ))?;
            let rows = stmt
                .query_map([], fire_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn suspend_schedule(&self, id: &str) -> Result<bool, StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE schedules SET suspended = 1, updated_at = ?2 WHERE id = ?1",
                params![id, now_text()],
            )
            .map(|n| n == 1)
        })
    }

    fn resume_schedule(
        &self,
        id: &str,
        holder: &str,
        now_ms: i64,
        skipped: Option<&NewFire>,
    ) -> Result<bool, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let last: Option<i64> = tx
                .query_row(
                    "SELECT last_slot_ms FROM schedules WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(last) = last else {
                return Ok(false);
            };
            if let Some(f) = skipped.filter(|f| f.slot_ms > last) {
                insert_fire(&tx, holder, f)?;
            }
            tx.execute(
                "UPDATE schedules SET suspended = 0, last_slot_ms = MAX(last_slot_ms, ?2), updated_at = ?3 WHERE id = ?1",
                params![id, now_ms, now_text()],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fire(schedule: &str, slot_ms: i64) -> NewFire {
        NewFire {
            schedule: schedule.into(),
            slot_ms,
            slot: slot_ms.to_string(),
            until_ms: None,
            count: 1,
            trigger: "schedule".into(),
            state: "running".into(),
            reason: None,
            run_id: Some(format!("run-{slot_ms}")),
            started_at: None,
            advance: true,
        }
    }

    fn catalog() -> (tempfile::TempDir, SqliteCatalog) {
        let dir = tempfile::tempdir().unwrap();
        let c = SqliteCatalog::open(&dir.path().join("catalog.db")).unwrap();
        let reg = RegisterSchedule {
            id: "p/s".into(),
            pipeline: "p".into(),
            name: "s".into(),
            manifest_path: "/m.yaml".into(),
            cron: "* * * * * *".into(),
            timezone: "UTC".into(),
        };
        c.register_schedules(&[reg], 1_000).unwrap();
        (dir, c)
    }

    #[test]
    fn a_slot_is_claimed_once_and_only_under_a_valid_lease() {
        let (_d, c) = catalog();
        assert!(c.acquire_lease("trigger", "a", 1_000, 10_000).unwrap());
        assert!(!c.acquire_lease("trigger", "b", 5_000, 10_000).unwrap());
        let lease = Some(("trigger", "a"));
        let out = c
            .claim_fires(lease, "a", 2_000, &[fire("p/s", 2_000)])
            .unwrap()
            .unwrap();
        assert!(matches!(out[0], ClaimOutcome::Claimed(_)));
        // the same slot again: already decided
        let again = c
            .claim_fires(lease, "a", 2_000, &[fire("p/s", 2_000)])
            .unwrap()
            .unwrap();
        assert_eq!(again, [ClaimOutcome::Stale]);
        // a slot fired by hand first is refused by the unique constraint, and the schedule moves on
        let mut manual = fire("p/s", 3_000);
        manual.advance = false;
        manual.trigger = "manual".into();
        c.claim_fires(None, "cli", 2_500, &[manual])
            .unwrap()
            .unwrap();
        let out = c
            .claim_fires(lease, "a", 3_000, &[fire("p/s", 3_000)])
            .unwrap()
            .unwrap();
        assert_eq!(out, [ClaimOutcome::AlreadyFired]);
        assert_eq!(c.schedules().unwrap()[0].last_slot_ms, 3_000);
        // b cannot claim while a's lease is valid, and takes it over once it expired
        assert!(
            c.claim_fires(Some(("trigger", "b")), "b", 4_000, &[fire("p/s", 4_000)])
                .unwrap()
                .is_none()
        );
        assert!(
            c.claim_fires(lease, "a", 11_000, &[fire("p/s", 11_000)])
                .unwrap()
                .is_none()
        );
        assert!(c.acquire_lease("trigger", "b", 11_001, 10_000).unwrap());
        let out = c
            .claim_fires(Some(("trigger", "b")), "b", 12_000, &[fire("p/s", 12_000)])
            .unwrap()
            .unwrap();
        assert!(matches!(out[0], ClaimOutcome::Claimed(_)));
        let fires = c.fires(Some("p/s"), 10).unwrap();
        let slots: Vec<i64> = fires.iter().map(|f| f.slot_ms).collect();
        assert_eq!(slots, [12_000, 3_000, 2_000]);
        assert_eq!(fires[0].run_ids, ["run-12000"]);
    }

    #[test]
    fn updates_append_attempts_and_resume_records_the_suspended_slots() {
        let (_d, c) = catalog();
        let out = c
            .claim_fires(None, "a", 2_000, &[fire("p/s", 2_000)])
            .unwrap()
            .unwrap();
        let ClaimOutcome::Claimed(id) = out[0] else {
            panic!()
        };
        c.update_fires(&[FireUpdate {
            id,
            state: "retrying".into(),
            new_run_id: Some("run-2".into()),
            attempts: Some(2),
            ..Default::default()
        }])
        .unwrap();
        assert_eq!(c.open_fires().unwrap()[0].run_ids, ["run-2000", "run-2"]);
        assert!(c.suspend_schedule("p/s").unwrap());
        assert!(c.schedules().unwrap()[0].suspended);
        let mut skipped = fire("p/s", 3_000);
        skipped.until_ms = Some(9_000);
        skipped.count = 7;
        skipped.state = "skipped".into();
        skipped.run_id = None;
        assert!(
            c.resume_schedule("p/s", "cli", 9_500, Some(&skipped))
                .unwrap()
        );
        let row = &c.schedules().unwrap()[0];
        assert!(!row.suspended);
        assert_eq!(row.last_slot_ms, 9_500);
        assert_eq!(c.fires(Some("p/s"), 1).unwrap()[0].count, 7);
        assert!(!c.resume_schedule("p/x", "cli", 1, None).unwrap());
    }
}
