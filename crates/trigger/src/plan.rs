//! The pure decision step: given a schedule, the newest slot it decided,
//! when this trigger became the one that fires, the time and whether a run
//! is going, what happens to each slot that came due. No I/O and no clock,
//! so every rule is tested exactly.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pai_manifest::{Catchup, ConcurrencyPolicy, CronSpec};

/// At most this many slots are decided in one step; the rest follow in
/// the next.
pub const MAX_SLOTS_PER_STEP: usize = 100_000;

/// What the planner is told.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The schedule's slots.
    pub cron: &'a CronSpec,
    /// Its concurrency policy.
    pub policy: ConcurrencyPolicy,
    /// Its catch-up mode.
    pub catchup: Catchup,
    /// Its starting deadline.
    pub deadline: Option<Duration>,
    /// The newest slot already decided.
    pub last_slot: DateTime<Utc>,
    /// Since when this trigger has been firing: slots before it came due
    /// while no trigger ran (they are caught up per `catchup`).
    pub active_since: DateTime<Utc>,
    /// The time now.
    pub now: DateTime<Utc>,
    /// A run of the schedule is going (or caught-up slots wait their turn).
    pub busy: bool,
}

/// What happens to a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Start a run now.
    Start(DateTime<Utc>),
    /// Cancel the running run (and drop waiting ones), then start a run.
    Replace(DateTime<Utc>),
    /// A caught-up slot: it runs when its turn comes (one at a time under
    /// `forbid` and `replace`, at once under `allow`).
    Queue(DateTime<Utc>),
    /// Not run, recorded as skipped.
    Skip(DateTime<Utc>, &'static str),
    /// A run of consecutive slots not run, recorded as missed.
    Missed {
        /// The first.
        first: DateTime<Utc>,
        /// The last.
        last: DateTime<Utc>,
        /// How many.
        count: u64,
        /// Why.
        reason: &'static str,
    },
}

impl Decision {
    /// The decision's last slot.
    pub fn last_slot(&self) -> DateTime<Utc> {
        match self {
            Decision::Start(s)
            | Decision::Replace(s)
            | Decision::Queue(s)
            | Decision::Skip(s, _) => *s,
            Decision::Missed { last, .. } => *last,
        }
    }
}

/// Why a slot was missed while no trigger ran.
pub const MISSED_DOWN: &str = "no trigger was running at its time";
/// Why a slot was missed past its deadline.
pub const MISSED_DEADLINE: &str = "it could not start within `starting_deadline_seconds`";
/// Why `forbid` skipped a slot.
pub const SKIPPED_BUSY: &str = "the previous run was still going (`concurrency_policy: forbid`)";
/// Why `replace` skipped a slot.
pub const SKIPPED_SUPERSEDED: &str =
    "a newer slot came due at the same time (`concurrency_policy: replace`)";

/// Decides every slot in `(last_slot, now]`, oldest first.
pub fn plan(input: &PlanInput<'_>) -> Vec<Decision> {
    let slots = input
        .cron
        .slots_between(input.last_slot, input.now, MAX_SLOTS_PER_STEP);
    let late = |s: DateTime<Utc>| {
        input
            .deadline
            .is_some_and(|d| (input.now - s).to_std().unwrap_or_default() > d)
    };
    let (down, live): (Vec<_>, Vec<_>) = slots.iter().partition(|s| **s < input.active_since);
    let mut out = Vec::new();
    let mut busy = input.busy;
    let catch_up: &[DateTime<Utc>] = match input.catchup {
        Catchup::None => &[],
        Catchup::Latest => down.last().map_or(&[][..], std::slice::from_ref),
        Catchup::All => &down,
    };
    for s in &down {
        if !catch_up.contains(s) {
            missed(&mut out, *s, MISSED_DOWN);
        } else if late(*s) {
            missed(&mut out, *s, MISSED_DEADLINE);
        } else {
            out.push(Decision::Queue(*s));
            busy = true;
        }
    }
    let last_live = live.iter().rev().find(|s| !late(**s)).copied();
    for s in live {
        if late(s) {
            missed(&mut out, s, MISSED_DEADLINE);
            continue;
        }
        out.push(match input.policy {
            ConcurrencyPolicy::Allow => Decision::Start(s),
            ConcurrencyPolicy::Forbid if busy => Decision::Skip(s, SKIPPED_BUSY),
            ConcurrencyPolicy::Forbid => {
                busy = true;
                Decision::Start(s)
            }
            ConcurrencyPolicy::Replace if Some(s) != last_live => {
                Decision::Skip(s, SKIPPED_SUPERSEDED)
            }
            ConcurrencyPolicy::Replace if busy => Decision::Replace(s),
            ConcurrencyPolicy::Replace => Decision::Start(s),
        });
    }
    out
}

/// Appends a missed slot, merging it into the previous decision when that
/// is a run of missed slots for the same reason.
fn missed(out: &mut Vec<Decision>, s: DateTime<Utc>, why: &'static str) {
    if let Some(Decision::Missed {
        last,
        count,
        reason,
        ..
    }) = out.last_mut()
        && *reason == why
    {
        *last = s;
        *count += 1;
        return;
    }
    out.push(Decision::Missed {
        first: s,
        last: s,
        count: 1,
        reason: why,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn input<'a>(cron: &'a CronSpec, catchup: Catchup, policy: ConcurrencyPolicy) -> PlanInput<'a> {
        PlanInput {
            cron,
            policy,
            catchup,
            deadline: None,
            last_slot: t("2024-01-01T00:30:00Z"),
            active_since: t("2024-01-01T04:10:00Z"),
            now: t("2024-01-01T05:00:00Z"),
            busy: false,
        }
    }

    #[test]
    fn catchup_modes_after_downtime() {
        let hourly = CronSpec::parse("0 0 * * * *", "UTC").unwrap();
        let none = plan(&input(&hourly, Catchup::None, ConcurrencyPolicy::Forbid));
        assert_eq!(
            none,
            [
                Decision::Missed {
                    first: t("2024-01-01T01:00:00Z"),
                    last: t("2024-01-01T04:00:00Z"),
                    count: 4,
                    reason: MISSED_DOWN
                },
                // the live slot while the trigger ran is fired normally
                Decision::Start(t("2024-01-01T05:00:00Z")),
            ]
        );
        let latest = plan(&input(&hourly, Catchup::Latest, ConcurrencyPolicy::Allow));
        assert_eq!(latest[1], Decision::Queue(t("2024-01-01T04:00:00Z")));
        assert_eq!(latest[2], Decision::Start(t("2024-01-01T05:00:00Z")));
        let all = plan(&input(&hourly, Catchup::All, ConcurrencyPolicy::Forbid));
        assert_eq!(
            all,
            [
                Decision::Queue(t("2024-01-01T01:00:00Z")),
                Decision::Queue(t("2024-01-01T02:00:00Z")),
                Decision::Queue(t("2024-01-01T03:00:00Z")),
                Decision::Queue(t("2024-01-01T04:00:00Z")),
                Decision::Skip(t("2024-01-01T05:00:00Z"), SKIPPED_BUSY),
            ]
        );
    }

    #[test]
    fn the_deadline_turns_late_slots_into_missed_ones() {
        let hourly = CronSpec::parse("0 0 * * * *", "UTC").unwrap();
        let mut i = input(&hourly, Catchup::All, ConcurrencyPolicy::Allow);
        i.deadline = Some(Duration::from_secs(3 * 3600 - 1));
        let d = plan(&i);
        assert_eq!(
            d[0],
            Decision::Missed {
                first: t("2024-01-01T01:00:00Z"),
                last: t("2024-01-01T02:00:00Z"),
                count: 2,
                reason: MISSED_DEADLINE
            }
        );
        assert_eq!(d[1], Decision::Queue(t("2024-01-01T03:00:00Z")));
    }

    #[test]
    fn policies_for_live_slots() {
        let every_min = CronSpec::parse("0 * * * * *", "UTC").unwrap();
        let mut i = input(&every_min, Catchup::None, ConcurrencyPolicy::Forbid);
        i.last_slot = t("2024-01-01T04:58:00Z");
        i.active_since = i.last_slot;
        i.busy = true;
        assert_eq!(
            plan(&i),
            [
                Decision::Skip(t("2024-01-01T04:59:00Z"), SKIPPED_BUSY),
                Decision::Skip(t("2024-01-01T05:00:00Z"), SKIPPED_BUSY)
            ]
        );
        i.policy = ConcurrencyPolicy::Replace;
        assert_eq!(
            plan(&i),
            [
                Decision::Skip(t("2024-01-01T04:59:00Z"), SKIPPED_SUPERSEDED),
                Decision::Replace(t("2024-01-01T05:00:00Z"))
            ]
        );
        i.policy = ConcurrencyPolicy::Allow;
        assert_eq!(
            plan(&i),
            [
                Decision::Start(t("2024-01-01T04:59:00Z")),
                Decision::Start(t("2024-01-01T05:00:00Z"))
            ]
        );
        i.busy = false;
        i.policy = ConcurrencyPolicy::Forbid;
        assert_eq!(
            plan(&i),
            [
                Decision::Start(t("2024-01-01T04:59:00Z")),
                Decision::Skip(t("2024-01-01T05:00:00Z"), SKIPPED_BUSY)
            ]
        );
    }
}
