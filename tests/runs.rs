//! End-to-end tests of what a newcomer sees in the first hour: the end of
//! run summary (headline metrics, where the results are), `latest` and
//! id prefixes, a failed node's error in `runs logs`, abandoned runs
//! (killed, or aborted by a second Ctrl-C) and their resume, and output
//! without colours or repeated errors.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::{Ws, iris, manifest, repo, run_id, stderr, stdout};

fn sigint(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The pipeline `read → wait (delay) → save`.
fn slow_pipeline(ws: &Ws, seconds: f64) -> std::path::PathBuf {
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: wait\n      component: delay\n      inputs: {{ data: read.output }}\n      params: {{ seconds: {seconds} }}\n    - id: save\n      component: write_table\n      inputs: {{ data: wait.output }}\n      params: {{ path: out/saved.csv }}\n",
        iris().display()
    );
    ws.write("slow.yaml", &manifest("slow", &nodes))
}

#[test]
fn the_summary_shows_headline_metrics_and_where_results_are() {
    let ws = Ws::new();
    let copy = ws.path().join("pipelines/breast_cancer_lr.yaml");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(repo().join("pipelines/breast_cancer_lr.yaml"), &copy).unwrap();
    std::os::unix::fs::symlink(repo().join("data"), ws.path().join("data")).unwrap();
    let out = ws.run(&["run", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("run ") && last.contains(": succeeded (8 nodes, "),
        "{err}"
    );
    let eval_line = err
        .lines()
        .find(|l| l.trim_start().starts_with("evaluate") && l.contains("AUC 0."))
        .unwrap_or_else(|| panic!("no headline metrics of `evaluate` in {err}"));
    assert!(eval_line.contains("KS "), "{eval_line}");
    assert!(err.contains("results:"), "{err}");
    assert!(err.contains("out/breast_cancer_scores.csv"), "{err}");
    assert!(
        err.contains("metrics.json"),
        "the final node's output: {err}"
    );
    assert!(!err.contains('\u{1b}'), "colours off a terminal: {err}");
    // `runs show` is compact: one line per node with its headline metrics
    let show = stdout(&ws.run(&["runs", "show", "latest"]));
    assert!(show.contains("state:     succeeded"), "{show}");
    let line = show.lines().find(|l| l.starts_with("evaluate")).unwrap();
    assert!(
        line.contains("succeeded") && line.contains("AUC 0."),
        "{show}"
    );
    assert!(show.contains("breast_cancer_scores.csv"), "{show}");
    assert!(!show.contains("sha256"), "compact: {show}");
    let full = stdout(&ws.run(&["runs", "show", "latest", "--full"]));
    assert!(full.contains("\"auc\": 0."), "{full}");
    assert!(full.contains("sha256:"), "{full}");
    let json = ws.show("latest");
    assert!(
        Ws::node(&json, "evaluate")["metrics"]["auc"]
            .as_f64()
            .unwrap()
            > 0.9
    );
}

#[test]
fn latest_pipeline_latest_and_prefixes_name_runs() {
    let ws = Ws::new();
    let nodes = "    - id: wait\n      component: delay\n      params: { seconds: 0 }\n";
    let a = ws.write("a.yaml", &manifest("alpha", nodes));
    let b = ws.write("b.yaml", &manifest("beta", nodes));
    let out_a = ws.run(&["run", a.to_str().unwrap()]);
    // one node: no `1 nodes`
    assert!(
        stderr(&out_a).contains(": succeeded (1 node, "),
        "{}",
        stderr(&out_a)
    );
    let id_a = run_id(&out_a);
    let id_b = run_id(&ws.run(&["run", b.to_str().unwrap()]));
    assert_eq!(ws.show("latest")["run"]["id"], id_b.as_str());
    assert_eq!(ws.show("alpha@latest")["run"]["id"], id_a.as_str());
    assert_eq!(ws.show(&id_a[..20])["run"]["id"], id_a.as_str());
    let logs = ws.run(&["runs", "logs", &id_b[..20]]);
    assert!(logs.status.success(), "{}", stderr(&logs));
    // `--resume` takes a prefix and `latest` as well
    let resumed = ws.run(&["run", "--resume", &id_a[..20]]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(
        ws.show(&run_id(&resumed))["run"]["resumed_from"],
        id_a.as_str()
    );
    // both ids start with the year: ambiguous, with the count and a few ids
    let amb = ws.run(&["runs", "show", &id_a[..4]]);
    assert_eq!(amb.status.code(), Some(2));
    let e = stderr(&amb);
    assert!(e.contains("is ambiguous: it matches 3 runs"), "{e}");
    assert!(e.contains(&id_a) && e.contains(&id_b), "{e}");
    let out = ws.run(&["runs", "show", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("no run `nope`"), "{e}");
    assert!(e.contains("pai-engine runs list"), "{e}");
    // a pipeline without runs (a file name is often taken for its name)
    let out = ws.run(&["runs", "show", "b@latest"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("no run of pipeline `b`"), "{e}");
    assert!(e.contains("pipelines with runs: `alpha`, `beta`"), "{e}");
    let validated = stdout(&ws.run(&["validate", a.to_str().unwrap()]));
    assert!(validated.contains("ok (1 node)"), "{validated}");
}

#[test]
fn a_failed_node_is_reported_once_and_its_logs_show_the_error() {
    let ws = Ws::new();
    ws.write("out/taken.csv", "precious\n");
    let nodes = format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n    - id: taken\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/taken.csv }}\n",
        iris().display()
    );
    let m = ws.write("p.yaml", &manifest("fails", &nodes));
    let out = ws
        .cmd(&["run", m.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err.matches("already exists").count(),
        1,
        "printed more than once: {err}"
    );
    assert!(err.contains("error: node `taken` failed: "), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    let id = run_id(&out);
    let logs = ws.run(&["runs", "logs", &id, "taken"]);
    assert!(logs.status.success(), "{}", stderr(&logs));
    let text = stdout(&logs);
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.contains("error")
            && last.contains("taken: failed: ")
            && last.contains("already exists"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &ws.run(&["runs", "logs", &id, "taken", "--format", "json"])
            .stdout,
    )
    .unwrap();
    let lines = json.as_array().unwrap();
    assert_eq!(lines.last().unwrap()["level"], "error");
    let missing = ws.run(&["runs", "logs", &id, "nothere"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("has no node `nothere`"));
    // help is plain off a terminal, and with NO_COLOR
    let help = ws
        .cmd(&["run", "--help"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&help).contains('\u{1b}'));
}

#[test]
fn a_killed_run_is_abandoned_and_resume_completes_it() {
    let ws = Ws::new();
    let m = slow_pipeline(&ws, 3.0);
    let mut child = ws
        .cmd(&["run", m.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // wait until `wait` is running, then kill -9
    let deadline = Instant::now() + Duration::from_secs(20);
    let id = loop {
        assert!(Instant::now() < deadline, "the delay node never started");
        let runs: serde_json::Value =
            serde_json::from_slice(&ws.run(&["runs", "list", "--format", "json"]).stdout)
                .unwrap_or_default();
        if let Some(id) = runs.get(0).and_then(|r| r["id"].as_str())
            && Ws::node(&ws.show(id), "wait")["state"] == "running"
        {
            break id.to_string();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let list = ws.run(&["runs", "list"]);
    let text = stdout(&list);
    let row = text.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(row.contains("abandoned"), "{text}");
    assert!(
        stderr(&list).contains(&format!("`{id}`")),
        "{}",
        stderr(&list)
    );
    let show = ws.show(&id);
    assert_eq!(show["run"]["state"], "abandoned");
    assert!(show["run"]["ended_at"].is_string());
    assert!(show["run"]["error"].as_str().unwrap().contains("is gone"));
    assert_eq!(Ws::node(&show, "read")["state"], "succeeded");
    assert_eq!(Ws::node(&show, "wait")["state"], "abandoned");
    assert_eq!(Ws::node(&show, "save")["state"], "abandoned");
    // no note the second time: it is recorded
    assert!(!stderr(&ws.run(&["runs", "list"])).contains("abandoned"));
    let resumed = ws.run(&["run", "--resume", &id]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let show = ws.show(&run_id(&resumed));
    assert_eq!(show["run"]["state"], "succeeded");
    assert_eq!(Ws::node(&show, "read")["reused_from"], id.as_str());
    assert_eq!(Ws::node(&show, "wait")["attempts"], 1);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("out/saved.csv"))
            .unwrap()
            .lines()
            .count(),
        151
    );
}

#[test]
fn a_second_ctrl_c_aborts_and_the_run_is_abandoned_not_running() {
    let ws = Ws::new();
    let m = slow_pipeline(&ws, 0.0);
    // the first node freezes in a component that never checks for a cancel
    let (mut child, mut lines) =
        common::start_at(ws.cmd(&["run", m.to_str().unwrap()]), "node:running");
    sigint(child.id());
    assert!(
        lines
            .by_ref()
            .any(|l| l.unwrap().starts_with("cancelling:")),
        "the first Ctrl-C was not seen"
    );
    sigint(child.id());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    let last = rest.last().unwrap();
    assert!(
        last.starts_with("run ") && last.contains(": abandoned"),
        "{rest:?}"
    );
    let id = last
        .trim_start_matches("run ")
        .split(':')
        .next()
        .unwrap()
        .to_string();
    let show = ws.show(&id);
    assert_eq!(show["run"]["state"], "abandoned");
    assert_eq!(Ws::node(&show, "read")["state"], "abandoned");
    let resumed = ws.run(&["run", "--resume", "latest"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(ws.show("latest")["run"]["resumed_from"], id.as_str());
}
