//! End-to-end tests of `pai-engine schedule`: the next fire times (across a
//! daylight-saving change), schedule validation errors with line:column,
//! firing by hand with `${bizdate}`, listing, and real `schedule run`
//! processes sharing one catalog: every slot exactly once, a crashed
//! trigger taken over, and a restart caught up per `catchup`.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{Ws, repo};
use pai_store::{FireRecord, ScheduleCatalog, SqliteCatalog};

const NIGHTLY: &str = r#"apiVersion: pai-engine/v1
kind: Pipeline
metadata: { name: nightly-copy }
spec:
  nodes:
    - id: read
      component: read_table
      params: { path: iris.csv }
    - id: save
      component: write_table
      inputs: { data: read.output }
      params: { path: "out/iris_${bizdate}.csv" }
    - id: unrelated
      component: delay
      params: { seconds: 0 }
  schedules:
    - name: nightly
      cron: "0 30 2 * * *"
      timezone: Europe/Berlin
      nodes: [save]
    - name: hourly
      cron: "0 * * * *"
"#;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn next_prints_fire_times_across_the_autumn_dst_change() {
    let ws = Ws::new();
    let file = ws.write("nightly.yaml", NIGHTLY);
    let out = ws.run(&[
        "schedule",
        "next",
        file.to_str().unwrap(),
        "--schedule",
        "nightly",
        "--count",
        "4",
        "--from",
        "2024-10-25T12:00:00+02:00",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "nightly 2024-10-26T02:30:00+02:00\n\
         nightly 2024-10-27T02:30:00+02:00\n\
         nightly 2024-10-27T02:30:00+01:00\n\
         nightly 2024-10-28T02:30:00+01:00\n"
    );
    // both schedules, merged in time order; a bare date is read in each schedule's zone
    let out = ws.run(&[
        "schedule",
        "next",
        file.to_str().unwrap(),
        "--count",
        "2",
        "--from",
        "2024-03-31",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            { "schedule": "hourly", "time": "2024-03-31T01:00:00+00:00" },
            { "schedule": "hourly", "time": "2024-03-31T02:00:00+00:00" },
            // 02:30 does not exist in Berlin on 2024-03-31: skipped
            { "schedule": "nightly", "time": "2024-04-01T02:30:00+02:00" },
            { "schedule": "nightly", "time": "2024-04-02T02:30:00+02:00" },
        ])
    );
}

#[test]
fn schedule_errors_are_located() {
    let ws = Ws::new();
    let file = ws.write(
        "bad.yaml",
        r#"apiVersion: pai-engine/v1
kind: Pipeline
metadata: { name: bad-schedules }
spec:
  nodes:
    - id: read
      component: read_table
      params: { path: iris.csv }
    - id: save
      component: write_table
      inputs: { data: read.output }
      params: { path: "out/${bizdat}.csv" }
  schedules:
    - name: nightly
      cron: "0 0 24 * * *"
      timezone: Asia/Shangai
      nodes: [sav]
    - name: nightly
      cron: "* * *"
      catchup: sometimes
"#,
    );
    let out = ws.run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let f = file.display().to_string();
    let expected = [
        format!(
            "error: {f}:12:23: node `save`: `params.path`: unknown variable `${{bizdat}}` (known: bizdate, slot_time; write `$${{` for a literal `${{`)"
        ),
        format!(
            "error: {f}:15:13: schedule `nightly`: invalid cron expression `0 0 24 * * *`: hour `24` is out of range 0-23"
        ),
        format!(
            "error: {f}:16:17: schedule `nightly`: unknown timezone `Asia/Shangai`; did you mean `Asia/Shanghai`? (an IANA name such as `Asia/Shanghai` or `UTC`)"
        ),
        format!(
            "error: {f}:17:15: schedule `nightly`: unknown node `sav` in `nodes`; did you mean `save`? (allowed: read, save)"
        ),
        format!(
            "error: {f}:18:13: schedule `nightly`: duplicate schedule name (also schedule 1 of `spec.schedules`)"
        ),
        format!(
            "error: {f}:19:13: schedule `nightly`: invalid cron expression `* * *`: expected 5 fields (minute hour day month weekday) or 6–7 (second minute hour day month weekday [year]), got 3"
        ),
        format!(
            "error: {f}:20:16: `spec.schedules.1.catchup`: \"sometimes\" is not allowed (allowed: \"none\", \"latest\", \"all\")"
        ),
    ];
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), expected.len() + 1, "{err}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(line.starts_with(want.as_str()), "got  {line}\nwant {want}");
    }
    assert_eq!(lines[expected.len()], "7 errors found");
}

#[test]
fn trigger_fires_a_slot_by_hand_with_its_bizdate_and_list_shows_it() {
    let ws = Ws::new();
    std::fs::copy(repo().join("data/iris.csv"), ws.path().join("iris.csv")).unwrap();
    let file = ws.write("nightly.yaml", NIGHTLY);
    let out = ws.run(&[
        "schedule",
        "trigger",
        "nightly",
        "--slot",
        "2024-05-01T02:30:00+02:00",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    assert!(
        line.starts_with("nightly-copy/nightly 2024-05-01T02:30:00+02:00: succeeded (run "),
        "{line}"
    );
    // bizdate is the slot's date minus one day; only `save` and its ancestor ran
    assert!(ws.path().join("out/iris_20240430.csv").is_file());
    let run_id = line.rsplit("(run ").next().unwrap().trim_end_matches(")\n");
    let show = ws.show(run_id);
    let nodes: Vec<&str> = show["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node_id"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["read", "save"]);

    // the same slot again is refused
    let again = ws.run(&[
        "schedule",
        "trigger",
        "nightly-copy/nightly",
        "--slot",
        "2024-05-01T02:30:00+02:00",
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("was already fired"),
        "{}",
        stderr(&again)
    );

    let list = ws.run(&["schedule", "list", "--format", "json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let nightly = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["schedule"] == "nightly-copy/nightly")
        .unwrap();
    assert_eq!(nightly["state"], "active");
    assert_eq!(nightly["last_run"]["state"], "succeeded");
    assert_eq!(nightly["last_run"]["trigger"], "manual");
    assert_eq!(nightly["last_run"]["run_id"], run_id);
    assert!(
        nightly["next_fire"]
            .as_str()
            .unwrap()
            .contains("T02:30:00+0")
    );

    // suspend and resume show up in the list
    assert!(ws.run(&["schedule", "suspend", "hourly"]).status.success());
    let table = stdout(&ws.run(&["schedule", "list"]));
    let hourly = table
        .lines()
        .find(|l| l.contains("nightly-copy/hourly"))
        .unwrap();
    assert!(hourly.contains("suspended"), "{table}");
    let resumed = ws.run(&["schedule", "resume", "hourly"]);
    assert!(stdout(&resumed).starts_with("nightly-copy/hourly: resumed"));
    let table = stdout(&ws.run(&["schedule", "list"]));
    let hourly = table
        .lines()
        .find(|l| l.contains("nightly-copy/hourly"))
        .unwrap();
    assert!(hourly.contains("active"), "{table}");
}

const EVERY_SECOND: &str = r#"apiVersion: pai-engine/v1
kind: Pipeline
metadata: { name: tick }
spec:
  nodes:
    - id: wait
      component: delay
      params: { seconds: 0 }
  schedules:
    - name: every-second
      cron: "* * * * * *"
      concurrency_policy: allow
      catchup: all
    - name: no-catchup
      cron: "* * * * * *"
      concurrency_policy: allow
      catchup: none
"#;

/// A `schedule run` process; its standard error goes to a file of the
/// workspace, `trigger-<pid>.log`, shown when it fails.
fn spawn_trigger(ws: &Ws, file: &Path) -> Child {
    let log = tempfile::NamedTempFile::new_in(ws.path()).unwrap();
    let child = ws
        .cmd(&["schedule", "run", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let path = ws.path().join(format!("trigger-{}.log", child.id()));
    log.persist(&path).unwrap();
    // Started means its Ctrl-C handler is in place and it is firing.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&path)
        .unwrap_or_default()
        .contains("trigger running")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "`schedule run` did not start within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Sends SIGINT once and expects a clean exit.
fn interrupt(ws: &Ws, child: &mut Child) {
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let log =
        std::fs::read_to_string(ws.path().join(format!("trigger-{pid}.log"))).unwrap_or_default();
    assert!(status.success(), "{status:?}; its standard error:\n{log}");
}

fn fires(ws: &Ws, schedule: &str) -> Vec<FireRecord> {
    let c = SqliteCatalog::open(&ws.state().join("catalog.db")).unwrap();
    let mut f = c.fires(Some(schedule), 100_000).unwrap();
    f.reverse();
    f
}

/// Slot (Unix seconds) → how many records cover it.
fn coverage(fires: &[FireRecord]) -> BTreeMap<i64, usize> {
    let mut per_slot = BTreeMap::new();
    for f in fires {
        for k in 0..f.count as i64 {
            *per_slot.entry(f.slot_ms / 1000 + k).or_insert(0) += 1;
        }
    }
    per_slot
}

fn assert_each_slot_once(fires: &[FireRecord]) {
    let cov = coverage(fires);
    let (first, last) = (*cov.keys().next().unwrap(), *cov.keys().last().unwrap());
    assert_eq!(
        cov.len() as i64,
        last - first + 1,
        "a slot is missing: {cov:?}"
    );
    assert!(
        cov.values().all(|&n| n == 1),
        "a slot was decided twice: {cov:?}"
    );
}

#[test]
fn two_trigger_processes_fire_each_slot_once_and_take_over_after_a_crash() {
    let ws = Ws::new();
    ws.write("pai-engine.toml", "[scheduler]\nlease_seconds = 2\n");
    let file = ws.write("tick.yaml", EVERY_SECOND);
    let a = spawn_trigger(&ws, &file);
    let b = spawn_trigger(&ws, &file);
    std::thread::sleep(Duration::from_secs(4));
    // kill -9 whichever holds the lease; the other takes over once it expires
    let c = SqliteCatalog::open(&ws.state().join("catalog.db")).unwrap();
    let holder = fires(&ws, "tick/every-second")
        .last()
        .map(|f| f.holder.clone())
        .unwrap();
    drop(c);
    let (mut leader, mut other) = if holder.starts_with(&format!("pid{}-", a.id())) {
        (a, b)
    } else {
        (b, a)
    };
    leader.kill().unwrap();
    leader.wait().unwrap();
    std::thread::sleep(Duration::from_secs(5));
    interrupt(&ws, &mut other);

    let all = fires(&ws, "tick/every-second");
    assert_each_slot_once(&all);
    let holders: std::collections::BTreeSet<&str> = all.iter().map(|f| f.holder.as_str()).collect();
    assert_eq!(
        holders.len(),
        2,
        "both processes fired, one after the other: {holders:?}"
    );
    // with catchup: all, the slots of the takeover gap ran as catch-up
    assert!(all.iter().any(|f| f.trigger == "catchup"));
    assert!(all.iter().all(|f| f.state != "missed"));
    assert!(
        all.iter().filter(|f| f.state == "succeeded").count() >= 6,
        "{all:?}"
    );
    assert_each_slot_once(&fires(&ws, "tick/no-catchup"));
}

#[test]
fn a_restart_catches_up_per_catchup_mode() {
    let ws = Ws::new();
    let file = ws.write("tick.yaml", EVERY_SECOND);
    let mut first = spawn_trigger(&ws, &file);
    std::thread::sleep(Duration::from_secs(3));
    interrupt(&ws, &mut first);
    std::thread::sleep(Duration::from_secs(3));
    let mut second = spawn_trigger(&ws, &file);
    std::thread::sleep(Duration::from_secs(3));
    interrupt(&ws, &mut second);

    let all = fires(&ws, "tick/every-second");
    assert_each_slot_once(&all);
    let caught_up = all.iter().filter(|f| f.trigger == "catchup").count();
    assert!(caught_up >= 2, "{all:?}");
    assert!(all.iter().all(|f| f.state != "missed"));

    let none = fires(&ws, "tick/no-catchup");
    assert_each_slot_once(&none);
    let missed: Vec<&FireRecord> = none.iter().filter(|f| f.state == "missed").collect();
    assert_eq!(
        missed.len(),
        1,
        "one record for the whole downtime: {none:?}"
    );
    assert!(missed[0].count >= 2);
    assert!(none.iter().all(|f| f.trigger != "catchup"));
}
