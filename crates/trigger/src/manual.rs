//! Fires outside the trigger loop: one slot by hand (`schedule trigger`),
//! a range of slots (`schedule backfill`), and the record of the slots a
//! suspension skipped (`schedule resume`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pai_manifest::ConcurrencyPolicy;
use pai_store::{ClaimOutcome, FireUpdate, NewFire, ScheduleCatalog};
use tokio::task::JoinSet;

use crate::driver::ms;
use crate::launcher::{LaunchRequest, Launcher, RunResult};
use crate::plan::MAX_SLOTS_PER_STEP;
use crate::{Clock, ScheduleDef, TriggerError};

/// Why resumed slots were skipped.
pub const SKIPPED_SUSPENDED: &str = "the schedule was suspended";

/// The record of the slots in `(after, until]` skipped by a suspension,
/// or `None` when there are none.
pub fn skipped_range(
    def: &ScheduleDef,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<NewFire> {
    let cron = &def.schedule.cron;
    let slots = cron.slots_between(after, until, MAX_SLOTS_PER_STEP);
    let (first, last) = (*slots.first()?, *slots.last()?);
    Some(NewFire {
        schedule: def.id.clone(),
        slot_ms: ms(first),
        slot: cron.format(first),
        until_ms: (slots.len() > 1).then(|| ms(last)),
        count: slots.len() as u64,
        trigger: "schedule".into(),
        state: "skipped".into(),
        reason: Some(SKIPPED_SUSPENDED.into()),
        run_id: None,
        started_at: None,
        advance: false,
    })
}

/// What became of a slot fired by hand or by a backfill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FireOutcome {
    /// The slot.
    pub slot: DateTime<Utc>,
    /// The fire's row id, `None` when the slot had already been fired.
    pub fire: Option<i64>,
    /// Each attempt's run id.
    pub run_ids: Vec<String>,
    /// The last attempt's result (`None` when the slot had already been fired).
    pub result: Option<RunResult>,
}

/// Everything a fire outside the loop needs.
#[derive(Clone)]
pub struct Firing {
    /// The catalog.
    pub catalog: Arc<dyn ScheduleCatalog>,
    /// Starts runs.
    pub launcher: Arc<dyn Launcher>,
    /// Time, for retry backoff.
    pub clock: Arc<dyn Clock>,
    /// Who fires (recorded as the holder).
    pub holder: String,
}

impl Firing {
    /// Fires `slot` of `def` now, under the schedule's retries, and waits
    /// for the end. `trigger` is `manual` or `backfill`. A slot that
    /// already has a record is refused with [`TriggerError::AlreadyFired`].
    pub async fn fire(
        &self,
        def: Arc<ScheduleDef>,
        slot: DateTime<Utc>,
        trigger: &str,
    ) -> Result<FireOutcome, TriggerError> {
        let cron = &def.schedule.cron;
        let now = self.clock.now();
        let mut run_id = self.launcher.new_run_id();
        let claim = NewFire {
            schedule: def.id.clone(),
            slot_ms: ms(slot),
            slot: cron.format(slot),
            until_ms: None,
            count: 1,
            trigger: trigger.into(),
            state: "running".into(),
            reason: None,
            run_id: Some(run_id.clone()),
            started_at: Some(pai_core::now_rfc3339()),
            advance: false,
        };
        self.catalog
            .register_schedules(&[def.registration()], ms(now))?;
        let outcome = self
            .catalog
            .claim_fires(None, &self.holder, ms(now), &[claim])?
            .and_then(|o| o.first().copied());
        let fire = match outcome {
            Some(ClaimOutcome::Claimed(id)) => id,
            _ => {
                return Err(TriggerError::AlreadyFired {
                    schedule: def.id.clone(),
                    slot: cron.format(slot),
                });
            }
        };
        let retries = def.schedule.retries;
        let mut run_ids = vec![run_id.clone()];
        let mut attempt = 1;
        loop {
            tracing::info!(schedule = %def.id, slot = %cron.format(slot), run = %run_id, attempt, "firing by hand");
            let result = match self.launcher.start(LaunchRequest {
                schedule: def.clone(),
                slot,
                run_id: run_id.clone(),
                attempt,
            }) {
                Ok(handle) => {
                    let cancel = handle.cancel;
                    let r = handle.done.await.unwrap_or_else(|_| {
                        RunResult::Failed("the run ended without reporting a result".into())
                    });
                    drop(cancel);
                    r
                }
                Err(e) => RunResult::Failed(format!("cannot start the run: {e}")),
            };
            let (state, error) = match &result {
                RunResult::Succeeded => ("succeeded", None),
                RunResult::Cancelled => ("cancelled", None),
                RunResult::Failed(e) => ("failed", Some(e.clone())),
            };
            if state == "failed" && attempt <= retries.limit {
                self.catalog.update_fires(&[FireUpdate {
                    id: fire,
                    state: "retrying".into(),
                    error,
                    ..Default::default()
                }])?;
                let wake = self.clock.now()
                    + chrono::TimeDelta::from_std(retries.backoff).unwrap_or_default();
                self.clock.sleep_until(wake).await;
                attempt += 1;
                run_id = self.launcher.new_run_id();
                run_ids.push(run_id.clone());
                self.catalog.update_fires(&[FireUpdate {
                    id: fire,
                    state: "running".into(),
                    new_run_id: Some(run_id.clone()),
                    attempts: Some(attempt),
                    ..Default::default()
                }])?;
                continue;
            }
            self.catalog.update_fires(&[FireUpdate {
                id: fire,
                state: state.into(),
                ended_at: Some(pai_core::now_rfc3339()),
                error,
                ..Default::default()
            }])?;
            return Ok(FireOutcome {
                slot,
                fire: Some(fire),
                run_ids,
                result: Some(result),
            });
        }
    }

    /// Fires every slot of `def` in `[from, to]`, oldest first: one after
    /// the other under `forbid` and `replace` (a backfill never cancels its
    /// own runs), all at once under `allow`. Slots already fired are
    /// reported with `fire: None` and not run again.
    pub async fn backfill(
        &self,
        def: Arc<ScheduleDef>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FireOutcome>, TriggerError> {
        let slots = def.schedule.cron.slots_between(
            from - chrono::TimeDelta::milliseconds(1),
            to,
            MAX_SLOTS_PER_STEP,
        );
        let skipped = |slot| FireOutcome {
            slot,
            fire: None,
            run_ids: Vec::new(),
            result: None,
        };
        let mut out = Vec::with_capacity(slots.len());
        match def.schedule.concurrency_policy {
            ConcurrencyPolicy::Forbid | ConcurrencyPolicy::Replace => {
                for slot in slots {
                    match self.fire(def.clone(), slot, "backfill").await {
                        Ok(o) => out.push(o),
                        Err(TriggerError::AlreadyFired { .. }) => out.push(skipped(slot)),
                        Err(e) => return Err(e),
                    }
                }
            }
            ConcurrencyPolicy::Allow => {
                let mut set = JoinSet::new();
                for slot in slots {
                    let me = self.clone();
                    let def = def.clone();
                    set.spawn(async move { (slot, me.fire(def, slot, "backfill").await) });
                }
                while let Some(joined) = set.join_next().await {
                    let Ok((slot, r)) = joined else { continue };
                    match r {
                        Ok(o) => out.push(o),
                        Err(TriggerError::AlreadyFired { .. }) => out.push(skipped(slot)),
                        Err(e) => return Err(e),
                    }
                }
                out.sort_by_key(|o| o.slot);
            }
        }
        Ok(out)
    }
}
