//! The scheduled service update end to end: `pai-engine serve
//! --with-scheduler` fires `pipelines/scheduled_update.yaml` every few
//! seconds; each slot retrains, exports to OSS and updates the running
//! service, whose version rises with each slot while predictions under a
//! light load keep succeeding, and `schedule list` reports every fire.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::server::*;
use common::{Ws, repo, stderr};
use serde_json::{Value, json};

/// Copies example `name` into the workspace, with `edit` applied.
fn example(ws: &Ws, name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let dir = ws.path().join("pipelines");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(repo().join("pipelines").join(name)).unwrap();
    let copy = dir.join(name);
    std::fs::write(&copy, edit(text)).unwrap();
    let data = ws.path().join("data");
    if !data.exists() {
        std::os::unix::fs::symlink(repo().join("data"), data).unwrap();
    }
    copy
}

/// The succeeded fires of `refresh` in `schedule list`.
fn succeeded_fires(ws: &Ws) -> (u64, Value) {
    let out = ws.run(&["schedule", "list", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = ws.run(&["runs", "list", "--format", "json", "--limit", "1000"]);
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["pipeline"] == "scheduled-update" && r["state"] == "succeeded")
        .count() as u64;
    (n, list)
}

#[test]
fn scheduled_updates_raise_the_version_with_each_slot_under_load() {
    let ws = Ws::new();
    // The service to keep fresh, from a first model.
    let first = example(&ws, "pipeline_model.yaml", |t| t);
    let out = ws.run(&["run", "-q", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    {
        let srv = start(&ws);
        create(
            &ws,
            &srv,
            &json!({"name": "bc_sched", "model_path": "offline-model://dev/bc_pipeline", "processor": "pai-pipeline", "token": "t0k3n"}),
        );
    }
    // Every 3 seconds instead of every 10 minutes.
    let m = example(&ws, "scheduled_update.yaml", |t| {
        t.replace("cron: \"0 */10 * * * *\"", "cron: \"*/3 * * * * *\"")
    });
    let srv = start_with(&ws, &["--with-scheduler", m.to_str().unwrap()]);
    // The service comes back from the catalog.
    let svc = (0..100)
        .find_map(|_| {
            let s = show(&ws, &srv, "bc_sched");
            if s["state"] == "Running" {
                Some(s)
            } else {
                std::thread::sleep(Duration::from_millis(100));
                None
            }
        })
        .unwrap();
    let start_version = svc["version"].as_u64().unwrap();
    let row = {
        let text = std::fs::read_to_string(repo().join("data/requests/bc_one.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, ok, failed, addr) = (stop.clone(), ok.clone(), failed.clone(), srv.addr.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (s, body) = post_json(&addr, "/api/predict/bc_sched", "t0k3n", &row);
                if s == 200 {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    eprintln!("{s}: {body}");
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // Wait for three successful slots.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while succeeded_fires(&ws).0 < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than 3 fires in 60 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let (before, _) = succeeded_fires(&ws);
    let version = show(&ws, &srv, "bc_sched")["version"].as_u64().unwrap();
    let (after, list) = succeeded_fires(&ws);
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    // One new version per successful slot.
    assert!(
        start_version + before <= version && version <= start_version + after,
        "version {version}, started at {start_version}, {before}..{after} fires"
    );
    assert_eq!(failed.load(Ordering::Relaxed), 0);
    assert!(ok.load(Ordering::Relaxed) > 20);
    // `schedule list` reports the fires.
    let text = list.to_string();
    assert!(text.contains("refresh"), "{text}");
    let listed = ws.run(&["schedule", "list"]);
    let table = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        table.contains("refresh") && table.contains("succeeded"),
        "{table}"
    );
    // Each update was metered once.
    let out = ws.run(&["usage", "--format", "json"]);
    let bill: Value = serde_json::from_slice(&out.stdout).unwrap();
    let su = bill["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "service_update")
        .unwrap()
        .clone();
    assert!(su["requests"].as_u64().unwrap() >= before, "{su}");
}
