//! The long-running trigger: it holds the catalog lease, asks the planner
//! what each due slot becomes, claims the decisions in one transaction,
//! launches runs, records their ends and retries, and sleeps on the
//! [`Clock`] until the next slot, file poll or lease renewal.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use pai_manifest::ConcurrencyPolicy;
use pai_store::{ClaimOutcome, FireUpdate, NewFire, ScheduleCatalog, ScheduleRow};
use tokio::sync::{mpsc, watch};

use crate::launcher::{LaunchRequest, Launcher, RunResult};
use crate::plan::{Decision, MISSED_DEADLINE, PlanInput, plan};
use crate::{Clock, ScheduleDef, ScheduleSource, TriggerError};

/// The name of the catalog lease the trigger processes share.
pub const LEASE_NAME: &str = "trigger";

/// How a trigger process runs.
#[derive(Debug, Clone)]
pub struct TriggerConfig {
    /// This process's identity in the lease and in fire records.
    pub holder: String,
    /// How long a lease lasts without renewal (renewed every third of it).
    pub lease: Duration,
    /// How often manifests and the catalog are re-read.
    pub poll: Duration,
}

impl TriggerConfig {
    /// The defaults, with `[scheduler] lease_seconds` (default 15).
    pub fn new(lease_seconds: Option<u64>) -> Self {
        TriggerConfig {
            holder: holder_id(),
            lease: Duration::from_secs(lease_seconds.unwrap_or(15).max(1)),
            poll: Duration::from_secs(1),
        }
    }
}

/// A process-unique holder id: `pid<PID>-<random>`.
pub fn holder_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128);
    format!("pid{}-{:06x}", std::process::id(), h.finish() & 0xff_ffff)
}

/// The trigger: schedules from a [`ScheduleSource`], runs through a
/// [`Launcher`], state in a [`ScheduleCatalog`], time from a [`Clock`].
pub struct Trigger {
    catalog: Arc<dyn ScheduleCatalog>,
    launcher: Arc<dyn Launcher>,
    clock: Arc<dyn Clock>,
    source: Box<dyn ScheduleSource>,
    cfg: TriggerConfig,
}

impl Trigger {
    /// A trigger; nothing happens until [`Trigger::run`] or [`Trigger::spawn`].
    pub fn new(
        catalog: Arc<dyn ScheduleCatalog>,
        launcher: Arc<dyn Launcher>,
        clock: Arc<dyn Clock>,
        source: Box<dyn ScheduleSource>,
        cfg: TriggerConfig,
    ) -> Self {
        Trigger {
            catalog,
            launcher,
            clock,
            source,
            cfg,
        }
    }

    /// Runs on the current tokio runtime as a task; see [`Trigger::run`].
    pub fn spawn(
        self,
        shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<Result<(), TriggerError>> {
        tokio::spawn(self.run(shutdown))
    }

    /// Fires schedules until `shutdown` turns true (or its sender is
    /// dropped); then cancels the runs it started, records them and gives
    /// the lease up. Catalog errors are logged and retried, not returned.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), TriggerError> {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel();
        let now = self.clock.now();
        let mut d = Driver {
            catalog: self.catalog,
            launcher: self.launcher,
            clock: self.clock.clone(),
            cfg: self.cfg,
            entries: BTreeMap::new(),
            leader: false,
            active_since: now,
            next_poll: now,
            next_lease: now,
            done_tx,
            updates: Vec::new(),
            ticks: 0,
        };
        let mut source = self.source;
        tracing::info!(holder = %d.cfg.holder, "trigger started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = d.clock.now();
            d.ticks += 1;
            if let Err(e) = d.tick(source.as_mut(), now) {
                tracing::error!(error = %e, "trigger step failed; retrying");
                d.next_poll = d.next_poll.max(now + chrono::TimeDelta::seconds(1));
            }
            let wake = d.wake();
            tokio::select! {
                _ = d.clock.sleep_until(wake) => {}
                done = done_rx.recv() => {
                    if let Some(done) = done {
                        let now = d.clock.now();
                        d.finish(done, now, false);
                        while let Ok(more) = done_rx.try_recv() {
                            d.finish(more, now, false);
                        }
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        d.stop(&mut done_rx).await;
        Ok(())
    }
}

/// A run of a schedule that ended.
struct Done {
    schedule: String,
    fire: i64,
    attempt: u32,
    result: RunResult,
}

/// A fire this process is running (or will retry).
struct Active {
    fire: i64,
    slot: DateTime<Utc>,
    attempt: u32,
    cancel: Option<watch::Sender<bool>>,
    retry_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
}

/// A caught-up fire waiting its turn.
struct Queued {
    fire: i64,
    slot: DateTime<Utc>,
}

struct Entry {
    def: Arc<ScheduleDef>,
    removed: bool,
    last_slot: DateTime<Utc>,
    next_slot: Option<DateTime<Utc>>,
    catalog_suspended: bool,
    manifest_suspended: bool,
    active: Vec<Active>,
    queue: VecDeque<Queued>,
}

impl Entry {
    fn suspended(&self) -> bool {
        self.def.schedule.suspend || self.catalog_suspended
    }

    fn set_last(&mut self, t: DateTime<Utc>) {
        if t > self.last_slot {
            self.last_slot = t;
        }
        self.next_slot = self.def.schedule.cron.next_after(self.last_slot);
    }
}

struct Driver {
    catalog: Arc<dyn ScheduleCatalog>,
    launcher: Arc<dyn Launcher>,
    clock: Arc<dyn Clock>,
    cfg: TriggerConfig,
    entries: BTreeMap<String, Entry>,
    leader: bool,
    active_since: DateTime<Utc>,
    next_poll: DateTime<Utc>,
    next_lease: DateTime<Utc>,
    done_tx: mpsc::UnboundedSender<Done>,
    updates: Vec<FireUpdate>,
    /// Loop iterations, for the stop log.
    ticks: u64,
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

impl Driver {
    fn tick(
        &mut self,
        source: &mut dyn ScheduleSource,
        now: DateTime<Utc>,
    ) -> Result<(), TriggerError> {
        // due slots first (the claim itself checks the lease), so that a
        // file poll or lease renewal falling on a slot does not delay it
        if self.leader {
            self.step(now)?;
        }
        if now >= self.next_poll {
            self.poll(source, now)?;
            self.next_poll = now + delta(self.cfg.poll);
        }
        if now >= self.next_lease {
            self.lease(now)?;
        }
        self.flush()
    }

    fn flush(&mut self) -> Result<(), TriggerError> {
        if !self.updates.is_empty() {
            let updates = std::mem::take(&mut self.updates);
            if let Err(e) = self.catalog.update_fires(&updates) {
                self.updates = updates;
                return Err(e.into());
            }
        }
        Ok(())
    }

    fn poll(
        &mut self,
        source: &mut dyn ScheduleSource,
        now: DateTime<Utc>,
    ) -> Result<(), TriggerError> {
        let rows = match source.poll() {
            Some(defs) => {
                let regs: Vec<_> = defs.iter().map(|d| d.registration()).collect();
                let rows = self.catalog.register_schedules(&regs, ms(now))?;
                let ids: HashSet<&str> = defs.iter().map(|d| d.id.as_str()).collect();
                for e in self.entries.values_mut() {
                    e.removed = !ids.contains(e.def.id.as_str());
                }
                for def in defs {
                    match self.entries.get_mut(&def.id) {
                        Some(e) => {
                            e.removed = false;
                            e.def = def;
                            e.next_slot = e.def.schedule.cron.next_after(e.last_slot);
                        }
                        None => {
                            let last = rows
                                .iter()
                                .find(|r| r.id == def.id)
                                .map_or(now, |r| from_ms(r.last_slot_ms));
                            let next_slot = def.schedule.cron.next_after(last);
                            tracing::info!(schedule = %def.id, next = ?next_slot.map(|n| def.schedule.cron.format(n)), "schedule added");
                            let manifest_suspended = def.schedule.suspend;
                            self.entries.insert(
                                def.id.clone(),
                                Entry {
                                    def,
                                    removed: false,
                                    last_slot: last,
                                    next_slot,
                                    catalog_suspended: false,
                                    manifest_suspended,
                                    active: Vec::new(),
                                    queue: VecDeque::new(),
                                },
                            );
                        }
                    }
                }
                self.entries
                    .retain(|_, e| !(e.removed && e.active.is_empty() && e.queue.is_empty()));
                rows
            }
            None => self.catalog.schedules()?,
        };
        self.apply_rows(&rows);
        Ok(())
    }

    fn apply_rows(&mut self, rows: &[ScheduleRow]) {
        for row in rows {
            if let Some(e) = self.entries.get_mut(&row.id) {
                e.catalog_suspended = row.suspended;
                let last = from_ms(row.last_slot_ms);
                if last > e.last_slot {
                    e.set_last(last);
                }
            }
        }
    }

    fn lease(&mut self, now: DateTime<Utc>) -> Result<(), TriggerError> {
        let ttl = delta(self.cfg.lease).num_milliseconds();
        let ok = self
            .catalog
            .acquire_lease(LEASE_NAME, &self.cfg.holder, ms(now), ttl)?;
        if ok && !self.leader {
            tracing::info!(holder = %self.cfg.holder, "this trigger now fires the schedules");
            self.leader = true;
            self.active_since = now;
            self.adopt(now)?;
        } else if !ok && self.leader {
            tracing::warn!(holder = %self.cfg.holder, "lost the trigger lease; another process fires now");
            self.leader = false;
        }
        self.next_lease = now
            + if self.leader {
                delta(self.cfg.lease) / 3
            } else {
                delta(self.cfg.poll)
            };
        Ok(())
    }

    /// On taking the lease: queued fires are taken over, fires whose
    /// process stopped are recorded as failed.
    fn adopt(&mut self, now: DateTime<Utc>) -> Result<(), TriggerError> {
        let rows = self.catalog.schedules()?;
        self.apply_rows(&rows);
        let ours: HashSet<i64> = self
            .entries
            .values()
            .flat_map(|e| {
                e.active
                    .iter()
                    .map(|a| a.fire)
                    .chain(e.queue.iter().map(|q| q.fire))
            })
            .collect();
        for f in self.catalog.open_fires()? {
            if ours.contains(&f.id) {
                continue;
            }
            match (f.state.as_str(), self.entries.get_mut(&f.schedule)) {
                ("queued", Some(e)) => e.queue.push_back(Queued {
                    fire: f.id,
                    slot: from_ms(f.slot_ms),
                }),
                ("queued", None) => {}
                _ => self.updates.push(FireUpdate {
                    id: f.id,
                    state: "failed".into(),
                    ended_at: Some(text(now)),
                    error: Some(format!(
                        "interrupted: trigger `{}` stopped while the run was going",
                        f.holder
                    )),
                    ..Default::default()
                }),
            }
        }
        Ok(())
    }

    fn step(&mut self, now: DateTime<Utc>) -> Result<(), TriggerError> {
        let mut planned: Vec<(String, Decision, Option<String>)> = Vec::new();
        let mut fires: Vec<NewFire> = Vec::new();
        let ids: Vec<String> = self.entries.keys().cloned().collect();
        for id in &ids {
            let Some(mut e) = self.entries.remove(id) else {
                continue;
            };
            if !e.removed {
                self.prepare(&mut e, now, &mut planned, &mut fires)?;
            }
            self.entries.insert(id.clone(), e);
        }
        if fires.is_empty() {
            return Ok(());
        }
        let lease = Some((LEASE_NAME, self.cfg.holder.as_str()));
        let Some(outcomes) = self
            .catalog
            .claim_fires(lease, &self.cfg.holder, ms(now), &fires)?
        else {
            tracing::warn!(holder = %self.cfg.holder, "the lease expired before the claim; stepping back");
            self.leader = false;
            self.next_lease = now;
            return Ok(());
        };
        let mut stale = false;
        for ((id, decision, run_id), outcome) in planned.into_iter().zip(outcomes) {
            let Some(mut e) = self.entries.remove(&id) else {
                continue;
            };
            match outcome {
                ClaimOutcome::Claimed(fire) => {
                    e.set_last(decision.last_slot());
                    self.apply(&mut e, fire, &decision, run_id, now);
                }
                ClaimOutcome::AlreadyFired => {
                    tracing::info!(schedule = %id, slot = %e.def.schedule.cron.format(decision.last_slot()), "slot already fired elsewhere");
                    e.set_last(decision.last_slot());
                }
                ClaimOutcome::Stale => stale = true,
            }
            self.drain(&mut e, now);
            self.entries.insert(id, e);
        }
        if stale {
            // another process decided some slots: re-read the catalog first
            self.next_poll = now;
        }
        Ok(())
    }

    /// Retries and queued fires of one schedule, then its due slots.
    fn prepare(
        &mut self,
        e: &mut Entry,
        now: DateTime<Utc>,
        planned: &mut Vec<(String, Decision, Option<String>)>,
        fires: &mut Vec<NewFire>,
    ) -> Result<(), TriggerError> {
        if e.manifest_suspended && !e.def.schedule.suspend {
            self.resume(e, now)?;
        }
        e.manifest_suspended = e.def.schedule.suspend;
        if e.suspended() {
            return Ok(());
        }
        let due: Vec<usize> = (0..e.active.len())
            .filter(|&i| e.active[i].retry_at.is_some_and(|r| r <= now))
            .collect();
        for i in due {
            let (fire, slot, attempt) =
                (e.active[i].fire, e.active[i].slot, e.active[i].attempt + 1);
            e.active[i].retry_at = None;
            e.active[i].attempt = attempt;
            let run_id = self.launcher.new_run_id();
            self.updates.push(FireUpdate {
                id: fire,
                state: "running".into(),
                new_run_id: Some(run_id.clone()),
                attempts: Some(attempt),
                ..Default::default()
            });
            self.launch(e, i, slot, run_id, attempt, now);
        }
        self.drain(e, now);
        if e.next_slot.is_none_or(|n| n > now) {
            return Ok(());
        }
        let s = &e.def.schedule;
        let decisions = plan(&PlanInput {
            cron: &s.cron,
            policy: s.concurrency_policy,
            catchup: s.catchup,
            deadline: s.starting_deadline,
            last_slot: e.last_slot,
            active_since: self.active_since,
            now,
            busy: !e.active.is_empty() || !e.queue.is_empty(),
        });
        for d in decisions {
            let cron = &e.def.schedule.cron;
            let slot_fire = |slot: DateTime<Utc>, trigger: &str, state: &str| NewFire {
                schedule: e.def.id.clone(),
                slot_ms: ms(slot),
                slot: cron.format(slot),
                until_ms: None,
                count: 1,
                trigger: trigger.into(),
                state: state.into(),
                reason: None,
                run_id: None,
                started_at: None,
                advance: true,
            };
            let (fire, run_id) = match &d {
                Decision::Start(s) | Decision::Replace(s) => {
                    let run_id = self.launcher.new_run_id();
                    let mut f = slot_fire(*s, "schedule", "running");
                    f.run_id = Some(run_id.clone());
                    f.started_at = Some(text(now));
                    (f, Some(run_id))
                }
                Decision::Queue(s) => (slot_fire(*s, "catchup", "queued"), None),
                Decision::Skip(s, why) => {
                    let mut f = slot_fire(*s, "schedule", "skipped");
                    f.reason = Some((*why).into());
                    (f, None)
                }
                Decision::Missed {
                    first,
                    last,
                    count,
                    reason,
                } => {
                    let mut f = slot_fire(*first, "schedule", "missed");
                    f.until_ms = (count > &1).then(|| ms(*last));
                    f.count = *count;
                    f.reason = Some((*reason).into());
                    (f, None)
                }
            };
            fires.push(fire);
            planned.push((e.def.id.clone(), d, run_id));
        }
        Ok(())
    }

    /// The manifest stopped suspending the schedule: the slots of the
    /// suspension are recorded as skipped and firing resumes from now.
    fn resume(&mut self, e: &mut Entry, now: DateTime<Utc>) -> Result<(), TriggerError> {
        let skipped = crate::manual::skipped_range(&e.def, e.last_slot, now);
        self.catalog
            .resume_schedule(&e.def.id, &self.cfg.holder, ms(now), skipped.as_ref())?;
        e.catalog_suspended = false;
        e.set_last(now);
        tracing::info!(schedule = %e.def.id, "schedule resumed by its manifest");
        Ok(())
    }

    /// Acts on a claimed decision.
    fn apply(
        &mut self,
        e: &mut Entry,
        fire: i64,
        d: &Decision,
        run_id: Option<String>,
        now: DateTime<Utc>,
    ) {
        match (d, run_id) {
            (Decision::Start(slot), Some(run_id)) => {
                e.active.push(Active {
                    fire,
                    slot: *slot,
                    attempt: 1,
                    cancel: None,
                    retry_at: None,
                    cancel_reason: None,
                });
                self.launch(e, e.active.len() - 1, *slot, run_id, 1, now);
            }
            (Decision::Replace(slot), Some(run_id)) => {
                let reason = format!("replaced by slot {}", e.def.schedule.cron.format(*slot));
                for a in &mut e.active {
                    a.cancel_reason = Some(reason.clone());
                    match &a.cancel {
                        Some(c) => {
                            let _ = c.send(true);
                        }
                        None => {
                            // waiting for a retry: nothing runs, so it ends here
                            a.retry_at = None;
                            self.updates.push(FireUpdate {
                                id: a.fire,
                                state: "cancelled".into(),
                                ended_at: Some(text(now)),
                                reason: Some(reason.clone()),
                                ..Default::default()
                            });
                        }
                    }
                }
                e.active.retain(|a| a.cancel.is_some());
                for q in e.queue.drain(..) {
                    self.updates.push(FireUpdate {
                        id: q.fire,
                        state: "cancelled".into(),
                        ended_at: Some(text(now)),
                        reason: Some(reason.clone()),
                        ..Default::default()
                    });
                }
                e.active.push(Active {
                    fire,
                    slot: *slot,
                    attempt: 1,
                    cancel: None,
                    retry_at: None,
                    cancel_reason: None,
                });
                self.launch(e, e.active.len() - 1, *slot, run_id, 1, now);
            }
            (Decision::Queue(slot), _) => e.queue.push_back(Queued { fire, slot: *slot }),
            _ => {}
        }
    }

    /// Starts queued fires whose turn has come.
    fn drain(&mut self, e: &mut Entry, now: DateTime<Utc>) {
        while !e.queue.is_empty() {
            let may = match e.def.schedule.concurrency_policy {
                ConcurrencyPolicy::Allow => true,
                ConcurrencyPolicy::Forbid | ConcurrencyPolicy::Replace => e.active.is_empty(),
            };
            if !may {
                break;
            }
            let Some(q) = e.queue.pop_front() else { break };
            let late = e
                .def
                .schedule
                .starting_deadline
                .is_some_and(|d| (now - q.slot).to_std().unwrap_or_default() > d);
            if late {
                self.updates.push(FireUpdate {
                    id: q.fire,
                    state: "missed".into(),
                    reason: Some(MISSED_DEADLINE.into()),
                    ..Default::default()
                });
                continue;
            }
            let run_id = self.launcher.new_run_id();
            self.updates.push(FireUpdate {
                id: q.fire,
                state: "running".into(),
                new_run_id: Some(run_id.clone()),
                attempts: Some(1),
                started_at: Some(text(now)),
                ..Default::default()
            });
            e.active.push(Active {
                fire: q.fire,
                slot: q.slot,
                attempt: 1,
                cancel: None,
                retry_at: None,
                cancel_reason: None,
            });
            self.launch(e, e.active.len() - 1, q.slot, run_id, 1, now);
        }
    }

    /// Starts attempt `attempt` of `e.active[i]`.
    fn launch(
        &mut self,
        e: &mut Entry,
        i: usize,
        slot: DateTime<Utc>,
        run_id: String,
        attempt: u32,
        now: DateTime<Utc>,
    ) {
        let fire = e.active[i].fire;
        let req = LaunchRequest {
            schedule: e.def.clone(),
            slot,
            run_id: run_id.clone(),
            attempt,
        };
        tracing::info!(schedule = %e.def.id, slot = %e.def.schedule.cron.format(slot), run = %run_id, attempt, "firing");
        match self.launcher.start(req) {
            Ok(handle) => {
                e.active[i].cancel = Some(handle.cancel);
                let tx = self.done_tx.clone();
                let schedule = e.def.id.clone();
                tokio::spawn(async move {
                    let result = handle.done.await.unwrap_or_else(|_| {
                        RunResult::Failed("the run ended without reporting a result".into())
                    });
                    let _ = tx.send(Done {
                        schedule,
                        fire,
                        attempt,
                        result,
                    });
                });
            }
            Err(message) => {
                let _ = self.done_tx.send(Done {
                    schedule: e.def.id.clone(),
                    fire,
                    attempt,
                    result: RunResult::Failed(format!("cannot start the run: {message}")),
                });
                e.active[i].cancel = None;
                let _ = now;
            }
        }
    }

    /// Records the end of an attempt; schedules a retry when allowed.
    fn finish(&mut self, done: Done, now: DateTime<Utc>, stopping: bool) {
        let Some(e) = self.entries.get_mut(&done.schedule) else {
            return;
        };
        let Some(i) = e
            .active
            .iter()
            .position(|a| a.fire == done.fire && a.attempt == done.attempt)
        else {
            return;
        };
        let retries = e.def.schedule.retries;
        let a = &mut e.active[i];
        let end = |state: &str, error: Option<String>, reason: Option<String>| FireUpdate {
            id: done.fire,
            state: state.into(),
            ended_at: Some(text(now)),
            error,
            reason,
            ..Default::default()
        };
        let update = match done.result {
            RunResult::Succeeded => end("succeeded", None, None),
            RunResult::Cancelled => end(
                "cancelled",
                None,
                Some(
                    a.cancel_reason
                        .clone()
                        .unwrap_or_else(|| "cancelled".into()),
                ),
            ),
            RunResult::Failed(err) => {
                if a.attempt <= retries.limit && a.cancel_reason.is_none() && !stopping {
                    a.cancel = None;
                    a.retry_at = Some(now + delta(retries.backoff));
                    tracing::warn!(schedule = %done.schedule, attempt = a.attempt, error = %err, "scheduled run failed; retrying");
                    self.updates.push(FireUpdate {
                        id: done.fire,
                        state: "retrying".into(),
                        error: Some(err),
                        ..Default::default()
                    });
                    return;
                }
                end("failed", Some(err), None)
            }
        };
        self.updates.push(update);
        e.active.remove(i);
        if e.removed && e.active.is_empty() && e.queue.is_empty() {
            self.entries.remove(&done.schedule);
        }
    }

    /// When the loop must wake next.
    fn wake(&self) -> DateTime<Utc> {
        let mut wake = self.next_poll.min(self.next_lease);
        if self.leader {
            for e in self
                .entries
                .values()
                .filter(|e| !e.removed && !e.suspended())
            {
                if let Some(n) = e.next_slot {
                    wake = wake.min(n);
                }
                for r in e.active.iter().filter_map(|a| a.retry_at) {
                    wake = wake.min(r);
                }
            }
        }
        wake
    }

    /// Cancels what runs, waits for it to be recorded, gives the lease up.
    async fn stop(&mut self, done_rx: &mut mpsc::UnboundedReceiver<Done>) {
        let now = self.clock.now();
        let mut waiting = 0usize;
        for e in self.entries.values_mut() {
            for a in &mut e.active {
                a.cancel_reason = Some("the trigger stopped".into());
                match &a.cancel {
                    Some(c) => {
                        let _ = c.send(true);
                        waiting += 1;
                    }
                    None => self.updates.push(FireUpdate {
                        id: a.fire,
                        state: "cancelled".into(),
                        ended_at: Some(text(now)),
                        reason: Some("the trigger stopped".into()),
                        ..Default::default()
                    }),
                }
            }
            e.active.retain(|a| a.cancel.is_some());
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while waiting > 0 {
            match tokio::time::timeout_at(deadline, done_rx.recv()).await {
                Ok(Some(done)) => {
                    waiting -= 1;
                    let now = self.clock.now();
                    self.finish(done, now, true);
                }
                _ => break,
            }
        }
        if let Err(e) = self.flush() {
            tracing::error!(error = %e, "cannot record the last run states");
        }
        if self.leader
            && let Err(e) = self.catalog.release_lease(LEASE_NAME, &self.cfg.holder)
        {
            tracing::error!(error = %e, "cannot release the trigger lease");
        }
        tracing::info!(holder = %self.cfg.holder, ticks = self.ticks, "trigger stopped");
    }
}
