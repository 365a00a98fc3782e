//! The trigger under a simulated clock: a month of schedules in well
//! under a second, with the exact fire list asserted — across daylight
//! saving in Europe/Berlin, across downtime with each catch-up mode, with
//! slow runs under each concurrency policy, with retries, and with two
//! triggers sharing one catalog.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pai_store::{FireRecord, ScheduleCatalog, SqliteCatalog};
use pai_trigger::{
    Clock, LaunchRequest, Launcher, RunHandle, RunResult, ScheduleDef, SimClock, StaticSource,
    Trigger, TriggerConfig,
};
use tokio::sync::{oneshot, watch};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Schedules of a tiny pipeline; `schedules` is the YAML list body.
fn defs(schedules: &str) -> Vec<Arc<ScheduleDef>> {
    let text = format!(
        "apiVersion: pai-engine/v1\nkind: Pipeline\nmetadata: {{ name: sim }}\nspec:\n  nodes:\n    - {{ id: wait, component: delay, params: {{ seconds: 0 }} }}\n  schedules:\n{schedules}"
    );
    let path = Path::new("/virtual/sim.yaml");
    let sp = pai_manifest::validate_scheduled(path, &text, None).unwrap();
    ScheduleDef::from_manifest(path, &text, &sp)
        .into_iter()
        .map(Arc::new)
        .collect()
}

/// What a fake run does: how long it takes and how each attempt ends.
type Behaviour = Arc<dyn Fn(&str, u32) -> (Duration, RunResult) + Send + Sync>;

/// A recorded start: schedule name, slot, attempt, when.
type Start = (String, String, u32, DateTime<Utc>);

/// Runs that only take simulated time; records every start.
struct FakeLauncher {
    clock: Arc<dyn Clock>,
    behaviour: Behaviour,
    starts: Mutex<Vec<Start>>,
    ids: AtomicU64,
}

impl FakeLauncher {
    fn new(clock: Arc<dyn Clock>, behaviour: Behaviour) -> Arc<Self> {
        Arc::new(FakeLauncher {
            clock,
            behaviour,
            starts: Mutex::new(Vec::new()),
            ids: AtomicU64::new(0),
        })
    }

    fn starts(&self, schedule: &str) -> Vec<String> {
        self.starts
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.0 == schedule)
            .map(|s| format!("{} #{} at {}", s.1, s.2, s.3.format("%d %H:%M:%S")))
            .collect()
    }
}

impl Launcher for FakeLauncher {
    fn new_run_id(&self) -> String {
        format!("run-{}", self.ids.fetch_add(1, Ordering::SeqCst))
    }

    fn start(&self, req: LaunchRequest) -> Result<RunHandle, String> {
        let cron = &req.schedule.schedule.cron;
        self.starts.lock().unwrap().push((
            req.schedule.schedule.name.clone(),
            cron.format(req.slot),
            req.attempt,
            self.clock.now(),
        ));
        let (took, result) = (self.behaviour)(&req.schedule.schedule.name, req.attempt);
        let (cancel, mut cancel_rx) = watch::channel(false);
        let (tx, done) = oneshot::channel();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(took) => { let _ = tx.send(result); }
                _ = cancel_rx.changed() => { let _ = tx.send(RunResult::Cancelled); }
            }
        });
        Ok(RunHandle { cancel, done })
    }
}

fn quick(_: &str, _: u32) -> (Duration, RunResult) {
    (Duration::from_secs(60), RunResult::Succeeded)
}

struct Sim {
    _dir: tempfile::TempDir,
    catalog: Arc<SqliteCatalog>,
    clock: Arc<SimClock>,
}

impl Sim {
    fn new(start: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Arc::new(SqliteCatalog::open(&dir.path().join("catalog.db")).unwrap());
        Sim {
            _dir: dir,
            catalog,
            clock: Arc::new(SimClock::starting_at(t(start))),
        }
    }

    fn config(holder: &str) -> TriggerConfig {
        TriggerConfig {
            holder: holder.into(),
            lease: Duration::from_secs(3 * 3600),
            poll: Duration::from_secs(3600),
        }
    }

    /// Starts a trigger; returns its shutdown sender and task.
    fn start(
        &self,
        holder: &str,
        defs: Vec<Arc<ScheduleDef>>,
        launcher: Arc<FakeLauncher>,
    ) -> (
        watch::Sender<bool>,
        tokio::task::JoinHandle<Result<(), pai_trigger::TriggerError>>,
    ) {
        let (tx, rx) = watch::channel(false);
        let trigger = Trigger::new(
            self.catalog.clone(),
            launcher,
            self.clock.clone(),
            Box::new(StaticSource::new(defs)),
            Self::config(holder),
        );
        (tx, trigger.spawn(rx))
    }

    async fn until(&self, at: &str) {
        self.clock.sleep_until(t(at)).await;
    }

    /// The fires of a schedule, oldest first, as `slot state [count] [trigger]`.
    fn fires(&self, schedule: &str) -> Vec<String> {
        let mut fires: Vec<FireRecord> = self
            .catalog
            .fires(Some(&format!("sim/{schedule}")), 1_000_000)
            .unwrap();
        fires.reverse();
        fires
            .iter()
            .map(|f| {
                let mut s = format!("{} {}", f.slot, f.state);
                if f.count > 1 {
                    s.push_str(&format!(" x{}", f.count));
                }
                if f.trigger != "schedule" {
                    s.push_str(&format!(" ({})", f.trigger));
                }
                s
            })
            .collect()
    }
}

async fn stop(
    (tx, task): (
        watch::Sender<bool>,
        tokio::task::JoinHandle<Result<(), pai_trigger::TriggerError>>,
    ),
) {
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_month_across_the_autumn_dst_change_in_berlin() {
    let wall = std::time::Instant::now();
    let sim = Sim::new("2024-10-01T00:00:00Z");
    let launcher = FakeLauncher::new(sim.clock.clone(), Arc::new(quick));
    let d = defs(
        "    - { name: daily, cron: '0 30 2 * * *', timezone: Europe/Berlin }\n\
         \x20   - { name: hourly, cron: '0 * * * *', timezone: Europe/Berlin }\n\
         \x20   - { name: three-hourly, cron: '0 */3 * * *', timezone: UTC }\n\
         \x20   - { name: weekly, cron: '0 0 9 * * MON', timezone: Asia/Shanghai }\n",
    );
    let h = sim.start("a", d, launcher.clone());
    sim.until("2024-10-30T23:20:00Z").await;
    stop(h).await;

    // daily at 02:30 Berlin: every day once, and twice on the 27th (02:30 happens twice)
    let mut expected = Vec::new();
    for day in 1..=30 {
        let offset = if day < 27 { "+02:00" } else { "+01:00" };
        if day == 27 {
            expected.push("2024-10-27T02:30:00+02:00 succeeded".to_string());
        }
        expected.push(format!("2024-10-{day:02}T02:30:00{offset} succeeded"));
    }
    assert_eq!(sim.fires("daily"), expected);

    // hourly: one per hour of instants (the repeated local hour has its own
    // slot, the day is 25 hours long), from 03:00 Berlin on the 1st to
    // 00:00 Berlin on the 31st
    let hourly = sim.fires("hourly");
    assert_eq!(hourly.len(), 30 * 24 - 1);
    assert_eq!(
        hourly.last().unwrap(),
        "2024-10-31T00:00:00+01:00 succeeded"
    );
    assert_eq!(hourly[0], "2024-10-01T03:00:00+02:00 succeeded");
    let fold: Vec<&String> = hourly
        .iter()
        .filter(|f| f.starts_with("2024-10-27T0"))
        .take(5)
        .collect();
    assert_eq!(
        fold,
        [
            "2024-10-27T00:00:00+02:00 succeeded",
            "2024-10-27T01:00:00+02:00 succeeded",
            "2024-10-27T02:00:00+02:00 succeeded",
            "2024-10-27T02:00:00+01:00 succeeded",
            "2024-10-27T03:00:00+01:00 succeeded",
        ]
    );
    // 03:00 on the 1st to 21:00 UTC on the 30th
    assert_eq!(sim.fires("three-hourly").len(), 30 * 8 - 1);
    assert_eq!(
        sim.fires("weekly"),
        [
            "2024-10-07T09:00:00+08:00 succeeded",
            "2024-10-14T09:00:00+08:00 succeeded",
            "2024-10-21T09:00:00+08:00 succeeded",
            "2024-10-28T09:00:00+08:00 succeeded",
        ]
    );
    // each run started at its slot, to the millisecond of simulated time
    for s in launcher.starts.lock().unwrap().iter() {
        assert_eq!(
            DateTime::parse_from_rfc3339(&s.1)
                .unwrap()
                .with_timezone(&Utc),
            s.3
        );
    }
    eprintln!("a simulated month took {:?}", wall.elapsed());
    assert!(
        wall.elapsed() < Duration::from_secs(5),
        "took {:?}",
        wall.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn spring_forward_skips_the_missing_local_time() {
    let sim = Sim::new("2024-03-29T00:00:00Z");
    let launcher = FakeLauncher::new(sim.clock.clone(), Arc::new(quick));
    let d = defs("    - { name: daily, cron: '0 30 2 * * *', timezone: Europe/Berlin }\n");
    let h = sim.start("a", d, launcher);
    sim.until("2024-04-02T00:00:00Z").await;
    stop(h).await;
    assert_eq!(
        sim.fires("daily"),
        [
            "2024-03-29T02:30:00+01:00 succeeded",
            "2024-03-30T02:30:00+01:00 succeeded",
            // no 2024-03-31T02:30: that local time does not exist
            "2024-04-01T02:30:00+02:00 succeeded",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn downtime_is_caught_up_per_catchup_mode_and_never_fired_twice() {
    let sim = Sim::new("2024-01-01T00:00:00Z");
    let launcher = FakeLauncher::new(
        sim.clock.clone(),
        Arc::new(|_: &str, _| (Duration::from_secs(600), RunResult::Succeeded)),
    );
    let d = defs(
        "    - { name: none, cron: '0 * * * *', catchup: none }\n\
         \x20   - { name: latest, cron: '0 * * * *', catchup: latest }\n\
         \x20   - { name: all, cron: '0 * * * *', catchup: all }\n\
         \x20   - { name: deadline, cron: '0 * * * *', catchup: all, starting_deadline_seconds: 7200 }\n",
    );
    let h = sim.start("first", d.clone(), launcher.clone());
    sim.until("2024-01-01T02:30:00Z").await;
    stop(h).await;
    // down from 02:30 to 07:30: slots 03:00..07:00 are missed
    sim.until("2024-01-01T07:30:00Z").await;
    let h = sim.start("second", d, launcher.clone());
    sim.until("2024-01-01T09:30:00Z").await;
    stop(h).await;

    assert_eq!(
        sim.fires("none"),
        [
            "2024-01-01T01:00:00+00:00 succeeded",
            "2024-01-01T02:00:00+00:00 succeeded",
            "2024-01-01T03:00:00+00:00 missed x5",
            "2024-01-01T08:00:00+00:00 succeeded",
            "2024-01-01T09:00:00+00:00 succeeded",
        ]
    );
    assert_eq!(
        sim.fires("latest"),
        [
            "2024-01-01T01:00:00+00:00 succeeded",
            "2024-01-01T02:00:00+00:00 succeeded",
            "2024-01-01T03:00:00+00:00 missed x4",
            "2024-01-01T07:00:00+00:00 succeeded (catchup)",
            "2024-01-01T08:00:00+00:00 succeeded",
            "2024-01-01T09:00:00+00:00 succeeded",
        ]
    );
    assert_eq!(
        sim.fires("all"),
        [
            "2024-01-01T01:00:00+00:00 succeeded",
            "2024-01-01T02:00:00+00:00 succeeded",
            "2024-01-01T03:00:00+00:00 succeeded (catchup)",
            "2024-01-01T04:00:00+00:00 succeeded (catchup)",
            "2024-01-01T05:00:00+00:00 succeeded (catchup)",
            "2024-01-01T06:00:00+00:00 succeeded (catchup)",
            "2024-01-01T07:00:00+00:00 succeeded (catchup)",
            // came due while the catch-up still ran: forbid skips it
            "2024-01-01T08:00:00+00:00 skipped",
            "2024-01-01T09:00:00+00:00 succeeded",
        ]
    );
    // caught-up runs go one after another (forbid), oldest first
    assert_eq!(
        &launcher.starts("all")[2..7],
        [
            "2024-01-01T03:00:00+00:00 #1 at 01 07:30:00",
            "2024-01-01T04:00:00+00:00 #1 at 01 07:40:00",
            "2024-01-01T05:00:00+00:00 #1 at 01 07:50:00",
            "2024-01-01T06:00:00+00:00 #1 at 01 08:00:00",
            "2024-01-01T07:00:00+00:00 #1 at 01 08:10:00",
        ]
    );
    // 03:00..05:00 are more than two hours late when the trigger comes back
    assert_eq!(
        sim.fires("deadline"),
        [
            "2024-01-01T01:00:00+00:00 succeeded",
            "2024-01-01T02:00:00+00:00 succeeded",
            "2024-01-01T03:00:00+00:00 missed x3",
            "2024-01-01T06:00:00+00:00 succeeded (catchup)",
            "2024-01-01T07:00:00+00:00 succeeded (catchup)",
            "2024-01-01T08:00:00+00:00 succeeded",
            "2024-01-01T09:00:00+00:00 succeeded",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn slow_runs_under_each_concurrency_policy() {
    let sim = Sim::new("2024-01-01T00:00:00Z");
    let launcher = FakeLauncher::new(
        sim.clock.clone(),
        Arc::new(|_: &str, _| (Duration::from_secs(25 * 60), RunResult::Succeeded)),
    );
    let d = defs(
        "    - { name: forbid, cron: '*/10 * * * *', concurrency_policy: forbid }\n\
         \x20   - { name: allow, cron: '*/10 * * * *', concurrency_policy: allow }\n\
         \x20   - { name: replace, cron: '*/10 * * * *', concurrency_policy: replace }\n",
    );
    let h = sim.start("a", d, launcher.clone());
    sim.until("2024-01-01T01:34:00Z").await;
    stop(h).await;
    let slots = |s: &[&str]| -> Vec<String> { s.iter().map(|x| x.to_string()).collect() };
    assert_eq!(
        sim.fires("forbid"),
        slots(&[
            "2024-01-01T00:10:00+00:00 succeeded",
            "2024-01-01T00:20:00+00:00 skipped",
            "2024-01-01T00:30:00+00:00 skipped",
            "2024-01-01T00:40:00+00:00 succeeded",
            "2024-01-01T00:50:00+00:00 skipped",
            "2024-01-01T01:00:00+00:00 skipped",
            "2024-01-01T01:10:00+00:00 cancelled",
            "2024-01-01T01:20:00+00:00 skipped",
            "2024-01-01T01:30:00+00:00 skipped",
        ])
    );
    // allow: every slot runs; the last two were still going at the stop
    assert_eq!(
        sim.fires("allow"),
        slots(&[
            "2024-01-01T00:10:00+00:00 succeeded",
            "2024-01-01T00:20:00+00:00 succeeded",
            "2024-01-01T00:30:00+00:00 succeeded",
            "2024-01-01T00:40:00+00:00 succeeded",
            "2024-01-01T00:50:00+00:00 succeeded",
            "2024-01-01T01:00:00+00:00 succeeded",
            "2024-01-01T01:10:00+00:00 cancelled",
            "2024-01-01T01:20:00+00:00 cancelled",
            "2024-01-01T01:30:00+00:00 cancelled",
        ])
    );
    // replace: each slot cancels the run before it
    let replace = sim.fires("replace");
    assert_eq!(replace.len(), 9);
    assert!(
        replace.iter().all(|f| f.ends_with("cancelled")),
        "{replace:?}"
    );
    let reasons: Vec<Option<String>> = {
        let mut f = sim.catalog.fires(Some("sim/replace"), 100).unwrap();
        f.reverse();
        f.into_iter().map(|f| f.reason).collect()
    };
    assert_eq!(
        reasons[0].as_deref(),
        Some("replaced by slot 2024-01-01T00:20:00+00:00")
    );
    assert_eq!(reasons[8].as_deref(), Some("the trigger stopped"));
}

#[tokio::test(start_paused = true)]
async fn failed_runs_are_retried_with_backoff() {
    let sim = Sim::new("2024-01-01T00:00:00Z");
    // the first two attempts of every run fail after 30 s
    let launcher = FakeLauncher::new(
        sim.clock.clone(),
        Arc::new(|_: &str, attempt| {
            if attempt <= 2 {
                (Duration::from_secs(30), RunResult::Failed("boom".into()))
            } else {
                (Duration::from_secs(30), RunResult::Succeeded)
            }
        }),
    );
    let d = defs(
        "    - { name: ok, cron: '0 0 * * * *', retries: { limit: 2, backoff_seconds: 60 } }\n\
         \x20   - { name: short, cron: '0 0 * * * *', retries: { limit: 1, backoff_seconds: 60 } }\n",
    );
    let h = sim.start("a", d, launcher.clone());
    sim.until("2024-01-01T01:30:00Z").await;
    stop(h).await;
    assert_eq!(
        launcher.starts("ok"),
        [
            "2024-01-01T01:00:00+00:00 #1 at 01 01:00:00",
            "2024-01-01T01:00:00+00:00 #2 at 01 01:01:30",
            "2024-01-01T01:00:00+00:00 #3 at 01 01:03:00",
        ]
    );
    let ok = &sim.catalog.fires(Some("sim/ok"), 1).unwrap()[0];
    assert_eq!(ok.state, "succeeded");
    assert_eq!(ok.attempts, 3);
    assert_eq!(ok.run_ids.len(), 3);
    let short = &sim.catalog.fires(Some("sim/short"), 1).unwrap()[0];
    assert_eq!((short.state.as_str(), short.attempts), ("failed", 2));
    assert_eq!(short.error.as_deref(), Some("boom"));
}

#[tokio::test(start_paused = true)]
async fn two_triggers_on_one_catalog_fire_each_slot_once() {
    let sim = Sim::new("2024-01-01T00:00:00Z");
    let launcher = FakeLauncher::new(sim.clock.clone(), Arc::new(quick));
    let d = defs(
        "    - { name: minutely, cron: '0 * * * * *', catchup: all, concurrency_policy: allow }\n",
    );
    let a = sim.start("a", d.clone(), launcher.clone());
    let b = sim.start("b", d, launcher.clone());
    sim.until("2024-01-01T03:00:30Z").await;
    // a crashes (its task is dropped: no lease release); b takes over when the lease expires
    a.1.abort();
    sim.until("2024-01-01T09:00:30Z").await;
    stop(b).await;
    let fires = sim.catalog.fires(Some("sim/minutely"), 1_000_000).unwrap();
    let mut per_slot: BTreeMap<i64, usize> = BTreeMap::new();
    for f in &fires {
        for k in 0..f.count as i64 {
            *per_slot.entry(f.slot_ms + k * 60_000).or_default() += 1;
        }
    }
    // every minute from 00:01 to 09:00 decided exactly once
    assert_eq!(per_slot.len(), 9 * 60);
    assert!(per_slot.values().all(|&n| n == 1));
    assert_eq!(
        *per_slot.keys().next().unwrap(),
        t("2024-01-01T00:01:00Z").timestamp_millis()
    );
    let starts = launcher.starts.lock().unwrap().len();
    assert_eq!(starts, 9 * 60, "every slot ran once (catch-up all)");
    // the runs a started and never finished are recorded as interrupted
    let interrupted: Vec<&FireRecord> = fires
        .iter()
        .filter(|f| {
            f.error
                .as_deref()
                .is_some_and(|e| e.contains("interrupted"))
        })
        .collect();
    assert!(interrupted.len() <= 1);
}
