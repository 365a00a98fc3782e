//! The catalog's side of cron schedules: which schedules exist and the
//! newest slot each has decided, one record per decided slot (fired,
//! queued, skipped or missed) with its runs, and the lease that lets only
//! one trigger process fire at a time. Times are Unix milliseconds.

use serde::Serialize;

use crate::StoreError;

/// A schedule as the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleRow {
    /// `pipeline/name`.
    pub id: String,
    /// The pipeline's `metadata.name`.
    pub pipeline: String,
    /// The schedule's name in its manifest.
    pub name: String,
    /// The manifest file (absolute).
    pub manifest_path: String,
    /// The cron expression.
    pub cron: String,
    /// The IANA timezone.
    pub timezone: String,
    /// The newest slot decided, in Unix milliseconds (the registration time
    /// before the first slot).
    pub last_slot_ms: i64,
    /// Suspended by `pai-engine schedule suspend`.
    pub suspended: bool,
    /// RFC 3339 time of registration.
    pub registered_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// A schedule to register (or refresh) in the catalog.
#[derive(Debug, Clone)]
pub struct RegisterSchedule {
    /// `pipeline/name`.
    pub id: String,
    /// The pipeline's `metadata.name`.
    pub pipeline: String,
    /// The schedule's name.
    pub name: String,
    /// The manifest file.
    pub manifest_path: String,
    /// The cron expression.
    pub cron: String,
    /// The IANA timezone.
    pub timezone: String,
}

/// One decided slot (or run of missed slots) and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FireRecord {
    /// Row id.
    pub id: i64,
    /// The schedule id.
    pub schedule: String,
    /// The slot, Unix milliseconds.
    pub slot_ms: i64,
    /// The slot, RFC 3339 in the schedule's timezone.
    pub slot: String,
    /// For a run of missed or skipped slots: the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
    /// How many slots the row stands for (1 unless a run of missed slots).
    pub count: u64,
    /// What fired it: `schedule`, `catchup`, `manual` or `backfill`.
    pub trigger: String,
    /// `queued`, `running`, `retrying`, `succeeded`, `failed`, `cancelled`,
    /// `skipped` or `missed`.
    pub state: String,
    /// Why it was skipped, missed or cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The trigger process that decided it.
    pub holder: String,
    /// The latest attempt's run id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Every attempt's run id, in order.
    pub run_ids: Vec<String>,
    /// Attempts started.
    pub attempts: u32,
    /// RFC 3339 time of the decision.
    pub decided_at: String,
    /// RFC 3339 start of the first attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// RFC 3339 end of the last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// The last attempt's error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A slot decision to record.
#[derive(Debug, Clone)]
pub struct NewFire {
    /// The schedule id.
    pub schedule: String,
    /// The slot, Unix milliseconds.
    pub slot_ms: i64,
    /// The slot, RFC 3339 in the schedule's timezone.
    pub slot: String,
    /// The last slot of a run of missed or skipped slots.
    pub until_ms: Option<i64>,
    /// How many slots the record stands for.
    pub count: u64,
    /// `schedule`, `catchup`, `manual` or `backfill`.
    pub trigger: String,
    /// The initial state.
    pub state: String,
    /// Why (for skipped and missed).
    pub reason: Option<String>,
    /// The run id of the first attempt, when it starts at once.
    pub run_id: Option<String>,
    /// RFC 3339 start, when it starts at once.
    pub started_at: Option<String>,
    /// Advance the schedule's `last_slot_ms` to this record's last slot
    /// (the trigger's decisions do; manual fires and backfills do not).
    pub advance: bool,
}

/// What became of one [`NewFire`] in a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Recorded with this row id.
    Claimed(i64),
    /// The slot already has a record (fired by hand or by another trigger).
    AlreadyFired,
    /// The schedule already decided this slot (`last_slot_ms` is at or
    /// past it), or the schedule is unknown.
    Stale,
}

/// A change to a recorded fire.
#[derive(Debug, Clone, Default)]
pub struct FireUpdate {
    /// Row id.
    pub id: i64,
    /// The new state.
    pub state: String,
    /// A new attempt's run id (appended to `run_ids`).
    pub new_run_id: Option<String>,
    /// Attempts started so far.
    pub attempts: Option<u32>,
    /// RFC 3339 start of the first attempt (kept if already set).
    pub started_at: Option<String>,
    /// RFC 3339 end.
    pub ended_at: Option<String>,
    /// The error, if failed.
    pub error: Option<String>,
    /// Why (for cancelled, missed).
    pub reason: Option<String>,
}

/// The catalog of schedules, fires and trigger leases.
pub trait ScheduleCatalog: Send + Sync {
    /// Registers schedules: new ones start at `now_ms` (no slot before
    /// their registration fires); known ones get their manifest path, cron
    /// and timezone refreshed and keep their state. Returns every row.
    fn register_schedules(
        &self,
        schedules: &[RegisterSchedule],
        now_ms: i64,
    ) -> Result<Vec<ScheduleRow>, StoreError>;

    /// Every registered schedule, by id.
    fn schedules(&self) -> Result<Vec<ScheduleRow>, StoreError>;

    /// Takes or renews the lease `name` for `holder` until `now_ms + ttl_ms`;
    /// false when another holder's lease has not expired.
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Gives the lease up if `holder` has it.
    fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Records slot decisions in one `IMMEDIATE` transaction. With `lease`
    /// (`(name, holder)`), nothing is written and `None` is returned unless
    /// the holder's lease is valid at `now_ms`. Each record is inserted
    /// under the unique (schedule, slot) constraint; records with `advance`
    /// must lie after the schedule's `last_slot_ms`, which then moves to
    /// their last slot.
    fn claim_fires(
        &self,
        lease: Option<(&str, &str)>,
        holder: &str,
        now_ms: i64,
        fires: &[NewFire],
    ) -> Result<Option<Vec<ClaimOutcome>>, StoreError>;

    /// Applies changes to recorded fires, in one transaction.
    fn update_fires(&self, updates: &[FireUpdate]) -> Result<(), StoreError>;

    /// Recorded fires, newest slot first: of one schedule or all, at most
    /// `limit`.
    fn fires(&self, schedule: Option<&str>, limit: usize) -> Result<Vec<FireRecord>, StoreError>;

    /// Fires still queued, running or retrying.
    fn open_fires(&self) -> Result<Vec<FireRecord>, StoreError>;

    /// Suspends a schedule; false when it is not registered.
    fn suspend_schedule(&self, id: &str) -> Result<bool, StoreError>;

    /// Resumes a schedule: records `skipped` (the slots that came due while
    /// it was suspended) and moves `last_slot_ms` to `now_ms`, in one
    /// transaction; false when it is not registered.
    fn resume_schedule(
        &self,
        id: &str,
        holder: &str,
        now_ms: i64,
        skipped: Option<&NewFire>,
    ) -> Result<bool, StoreError>;
}
