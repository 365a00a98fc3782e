//! Fire latency and CPU of the trigger: N schedules firing every second
//! for S seconds on the system clock, runs that end at once, a real SQLite
//! catalog; then the same schedules idle (no slot due) for S/3 seconds.
//! `cargo run --profile dist -p pai-trigger --example trigger_bench -- 1000 60`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use pai_store::SqliteCatalog;
use pai_trigger::{
    LaunchRequest, Launcher, RunHandle, RunResult, ScheduleDef, StaticSource, SystemClock, Trigger,
    TriggerConfig,
};
use tokio::sync::{oneshot, watch};

/// Records slot → start latency; every run succeeds at once.
struct Recorder(Mutex<Vec<f64>>);

impl Launcher for Recorder {
    fn new_run_id(&self) -> String {
        String::new()
    }

    fn start(&self, req: LaunchRequest) -> Result<RunHandle, String> {
        let late = (Utc::now() - req.slot).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        self.0.lock().unwrap().push(late);
        let (cancel, _) = watch::channel(false);
        let (tx, done) = oneshot::channel();
        let _ = tx.send(RunResult::Succeeded);
        Ok(RunHandle { cancel, done })
    }
}

/// User + system CPU seconds of this process, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn defs(n: usize, cron: &str) -> Vec<Arc<ScheduleDef>> {
    let mut text = String::from(
        "apiVersion: pai-engine/v1\nkind: Pipeline\nmetadata: { name: bench }\nspec:\n  nodes:\n    - { id: wait, component: delay, params: { seconds: 0 } }\n  schedules:\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "    - {{ name: s{i}, cron: '{cron}', concurrency_policy: allow }}\n"
        ));
    }
    let path = Path::new("bench.yaml");
    let sp = pai_manifest::validate_scheduled(path, &text, None).expect("valid");
    ScheduleDef::from_manifest(path, &text, &sp)
        .into_iter()
        .map(Arc::new)
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn phase(n: usize, cron: &str, secs: u64) -> (Vec<f64>, f64) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Arc::new(SqliteCatalog::open(&dir.path().join("catalog.db")).unwrap());
    let rec = Arc::new(Recorder(Mutex::new(Vec::new())));
    let (tx, rx) = watch::channel(false);
    let trigger = Trigger::new(
        catalog,
        rec.clone(),
        Arc::new(SystemClock),
        Box::new(StaticSource::new(defs(n, cron))),
        TriggerConfig::new(None),
    );
    let task = trigger.spawn(rx);
    // let it register and take the lease, then measure
    tokio::time::sleep(Duration::from_millis(1500)).await;
    rec.0.lock().unwrap().clear();
    let cpu0 = cpu_seconds();
    let wall0 = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let cpu = (cpu_seconds() - cpu0) / wall0.elapsed().as_secs_f64();
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();
    let mut lat = rec.0.lock().unwrap().clone();
    lat.sort_by(f64::total_cmp);
    (lat, cpu)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1000);
    let secs = args.get(1).copied().unwrap_or(60) as u64;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (lat, cpu) = phase(n, "* * * * * *", secs).await;
        println!(
            "{n} schedules firing every second for {secs} s: {} fires, latency slot->start p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; CPU {:.1}% of one core",
            lat.len(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(f64::NAN),
            cpu * 100.0
        );
        let idle_secs = (secs / 3).max(5);
        let (_, idle) = phase(n, "0 0 0 1 1 * 2099", idle_secs).await;
        println!("{n} schedules idle between slots for {idle_secs} s: CPU {:.2}% of one core", idle * 100.0);
    });
}
