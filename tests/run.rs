//! End-to-end tests of `pai-engine run` and `pai-engine runs`: outputs
//! checked against the input data, resume, cancel, concurrency, retries,
//! timeouts and fail-fast.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::{Ws, iris, manifest, repo, run_id, stderr, stdout};

fn read_node(path: &std::path::Path) -> String {
    format!(
        "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n",
        path.display()
    )
}

/// The data lines of a CSV file, sorted (a multiset of rows).
fn sorted_rows(text: &str) -> Vec<String> {
    let mut rows: Vec<String> = text.lines().skip(1).map(normalize_row).collect();
    rows.sort();
    rows
}

/// Numbers compared by value (`5.0` and `5` are the same number).
fn normalize_row(line: &str) -> String {
    line.split(',')
        .map(|c| {
            c.parse::<f64>()
                .map_or_else(|_| c.to_string(), |v| v.to_string())
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn every_example_pipeline_runs() {
    let mut files: Vec<_> = std::fs::read_dir(repo().join("pipelines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        // Those that need a running server are run by their own tests.
        .filter(|p| {
            !std::fs::read_to_string(p)
                .unwrap()
                .contains("# needs: pai-engine serve")
        })
    {
        // run a copy inside a private workspace so outputs stay out of the repository
        let ws = Ws::new();
        let copy = ws.path().join("pipelines").join(f.file_name().unwrap());
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::copy(f, &copy).unwrap();
        std::os::unix::fs::symlink(repo().join("data"), ws.path().join("data")).unwrap();
        let out = ws.run(&["run", copy.to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", f.display(), stderr(&out));
        let show = ws.show(&run_id(&out));
        assert_eq!(show["run"]["state"], "succeeded");
    }
}

#[test]
fn split_outputs_partition_the_input_and_files_read_back_equal() {
    let ws = Ws::new();
    let nodes = format!(
        "{}    - id: split\n      component: split\n      inputs: {{ data: read.output }}\n      params: {{ fraction: 0.7, seed: 11 }}\n    - id: a\n      component: write_table\n      inputs: {{ data: split.output1 }}\n      params: {{ path: out/a.csv }}\n    - id: b\n      component: write_table\n      inputs: {{ data: split.output2 }}\n      params: {{ path: out/b.csv }}\n    - id: whole\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/whole.csv }}\n",
        read_node(&iris())
    );
    let m = ws.write("p.yaml", &manifest("split-check", &nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let input = std::fs::read_to_string(iris()).unwrap();
    let a = std::fs::read_to_string(ws.path().join("out/a.csv")).unwrap();
    let b = std::fs::read_to_string(ws.path().join("out/b.csv")).unwrap();
    let whole = std::fs::read_to_string(ws.path().join("out/whole.csv")).unwrap();
    assert_eq!(sorted_rows(&whole), sorted_rows(&input));
    assert_eq!(whole.lines().next(), input.lines().next());
    assert_eq!(a.lines().count() - 1, 105); // round(0.7 × 150)
    assert_eq!(b.lines().count() - 1, 45);
    let mut union = sorted_rows(&a);
    union.extend(sorted_rows(&b));
    union.sort();
    assert_eq!(union, sorted_rows(&input));
    // the same seed gives the same split
    let again = Ws::new();
    let m2 = again.write("p.yaml", &manifest("split-check", &nodes));
    assert!(again.run(&["run", m2.to_str().unwrap()]).status.success());
    assert_eq!(
        std::fs::read_to_string(again.path().join("out/a.csv")).unwrap(),
        a
    );
    // artifacts are recorded with digest, size and path
    let show = ws.show(&run_id(&out));
    let outputs = Ws::node(&show, "split")["outputs"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(outputs.len(), 2);
    for o in outputs {
        let path = std::path::PathBuf::from(o["path"].as_str().unwrap());
        assert!(path.starts_with(ws.state()), "{}", path.display());
        assert_eq!(
            o["size"].as_u64().unwrap(),
            std::fs::metadata(&path).unwrap().len()
        );
        assert!(o["digest"].as_str().unwrap().starts_with("sha256:"));
    }
    assert_eq!(Ws::node(&show, "split")["metrics"]["output1_rows"], 105);
}

#[test]
fn write_table_refuses_to_clobber_and_resume_reruns_only_what_failed() {
    let ws = Ws::new();
    ws.write("out/taken.csv", "precious\n");
    let nodes = format!(
        "{}    - id: copy\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/copy.parquet }}\n    - id: taken\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/taken.csv }}\n",
        read_node(&iris())
    );
    let m = ws.write("p.yaml", &manifest("resume-check", &nodes));
    let first = ws.run(&["run", m.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(1));
    assert!(stderr(&first).contains("error: node `taken` failed: `out/taken.csv` already exists; set `overwrite: true` to replace it") || stderr(&first).contains("taken.csv` already exists"), "{}", stderr(&first));
    assert_eq!(
        std::fs::read_to_string(ws.path().join("out/taken.csv")).unwrap(),
        "precious\n"
    );
    let id1 = run_id(&first);
    let show1 = ws.show(&id1);
    assert_eq!(show1["run"]["state"], "failed");
    assert_eq!(Ws::node(&show1, "read")["state"], "succeeded");
    assert_eq!(Ws::node(&show1, "copy")["state"], "succeeded");
    assert_eq!(Ws::node(&show1, "taken")["state"], "failed");

    std::fs::remove_file(ws.path().join("out/taken.csv")).unwrap();
    let copy_mtime = std::fs::metadata(ws.path().join("out/copy.parquet"))
        .unwrap()
        .modified()
        .unwrap();
    let second = ws.run(&["run", "--resume", &id1]);
    assert!(second.status.success(), "{}", stderr(&second));
    let show2 = ws.show(&run_id(&second));
    assert_eq!(show2["run"]["resumed_from"], id1.as_str());
    for reused in ["read", "copy"] {
        let n = Ws::node(&show2, reused);
        assert_eq!(n["state"], "succeeded");
        assert_eq!(n["attempts"], 0, "{reused} must not run again");
        assert_eq!(n["reused_from"], id1.as_str());
    }
    let taken = Ws::node(&show2, "taken");
    assert_eq!(
        (taken["state"].as_str(), taken["attempts"].as_u64()),
        (Some("succeeded"), Some(1))
    );
    assert_eq!(
        std::fs::metadata(ws.path().join("out/copy.parquet"))
            .unwrap()
            .modified()
            .unwrap(),
        copy_mtime
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("out/taken.csv"))
            .unwrap()
            .lines()
            .count(),
        151
    );
}

#[test]
fn independent_branches_run_at_the_same_time() {
    let ws = Ws::new();
    let nodes = "    - id: left\n      component: delay\n      params: { seconds: 1.0 }\n    - id: right\n      component: delay\n      params: { seconds: 1.0 }\n    - id: top\n      component: delay\n      params: { seconds: 0 }\n    - id: join\n      component: delay\n      depends_on: [left, right]\n      params: { seconds: 0 }\n";
    // diamond: top -> left, right -> join
    let nodes = nodes.replace(
        "params: { seconds: 1.0 }",
        "depends_on: [top]\n      params: { seconds: 1.0 }",
    );
    let m = ws.write(
        "p.yaml",
        &manifest("diamond", &nodes).replace("spec:\n", "spec:\n  parallelism: 2\n"),
    );
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let show = ws.show(&run_id(&out));
    let span = |id: &str| {
        let n = Ws::node(&show, id);
        (
            n["started_at"].as_str().unwrap().to_string(),
            n["ended_at"].as_str().unwrap().to_string(),
        )
    };
    let (l0, l1) = span("left");
    let (r0, r1) = span("right");
    assert!(
        l0 < r1 && r0 < l1,
        "left {l0}..{l1} and right {r0}..{r1} did not overlap"
    );
    // the recorded spans prove the overlap; the wall clock of a loaded
    // machine would prove nothing more
    assert!(span("join").0 >= l1.clone().max(r1.clone()));
    // with parallelism 1 they are serialized
    let m1 = ws.write(
        "p1.yaml",
        &manifest("diamond", &nodes).replace("spec:\n", "spec:\n  parallelism: 1\n"),
    );
    let out = ws.run(&["run", m1.to_str().unwrap()]);
    let show = ws.show(&run_id(&out));
    let (l0, l1) = (
        Ws::node(&show, "left")["started_at"]
            .as_str()
            .unwrap()
            .to_string(),
        Ws::node(&show, "left")["ended_at"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let (r0, r1) = (
        Ws::node(&show, "right")["started_at"]
            .as_str()
            .unwrap()
            .to_string(),
        Ws::node(&show, "right")["ended_at"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    assert!(l1 <= r0 || r1 <= l0, "parallelism 1 overlapped");
}

#[test]
fn ctrl_c_cancels_cleanly_without_partial_outputs() {
    let ws = Ws::new();
    let nodes = format!(
        "{}    - id: wait\n      component: delay\n      inputs: {{ data: read.output }}\n      params: {{ seconds: 30 }}\n    - id: save\n      component: write_table\n      inputs: {{ data: wait.output }}\n      params: {{ path: out/never.csv }}\n",
        read_node(&iris())
    );
    let m = ws.write("p.yaml", &manifest("cancel-check", &nodes));
    let child = ws
        .cmd(&["run", m.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait until `wait` is running
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the delay node never started");
        let runs: serde_json::Value =
            serde_json::from_slice(&ws.run(&["runs", "list", "--format", "json"]).stdout)
                .unwrap_or_default();
        if let Some(id) = runs.get(0).and_then(|r| r["id"].as_str()) {
            let show = ws.show(id);
            if Ws::node(&show, "wait")["state"] == "running" {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let t = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "cancel took {:?}",
        t.elapsed()
    );
    let show = ws.show(&run_id(&out));
    assert_eq!(show["run"]["state"], "cancelled");
    assert_eq!(Ws::node(&show, "read")["state"], "succeeded");
    assert_eq!(Ws::node(&show, "wait")["state"], "cancelled");
    assert_eq!(Ws::node(&show, "save")["state"], "cancelled");
    assert!(
        Ws::node(&show, "wait")["outputs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!ws.path().join("out/never.csv").exists());
    let run_dir = ws
        .state()
        .join("artifacts")
        .join(show["run"]["id"].as_str().unwrap());
    assert!(
        !run_dir.join("wait").exists(),
        "a cancelled node published outputs"
    );
    assert!(
        !run_dir.join(".staging").exists(),
        "staging files were left behind"
    );
}

#[test]
fn retries_timeouts_and_failure_propagation() {
    let ws = Ws::new();
    ws.write("out/exists.csv", "x\n");
    let nodes = format!(
        "{}    - id: clobber\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/exists.csv }}\n      retry: {{ limit: 2, backoff_seconds: 0.1 }}\n    - id: after\n      component: delay\n      depends_on: [clobber]\n      params: {{ seconds: 0 }}\n    - id: slow\n      component: delay\n      params: {{ seconds: 20 }}\n      timeout_seconds: 1\n    - id: fine\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/fine.csv }}\n",
        read_node(&iris())
    );
    let m = ws.write("p.yaml", &manifest("failures", &nodes));
    let t = Instant::now();
    let out = ws.run(&["run", m.to_str().unwrap(), "--parallelism", "4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(t.elapsed() < Duration::from_secs(10));
    let show = ws.show(&run_id(&out));
    let clobber = Ws::node(&show, "clobber");
    assert_eq!(
        (clobber["state"].as_str(), clobber["attempts"].as_u64()),
        (Some("failed"), Some(3))
    );
    assert!(
        clobber["error"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    assert_eq!(Ws::node(&show, "after")["state"], "upstream_failed");
    let slow = Ws::node(&show, "slow");
    assert_eq!(slow["state"], "failed");
    assert_eq!(slow["error"], "timed out after 1 s (`timeout_seconds`)");
    assert!(slow["duration_ms"].as_u64().unwrap() < 3000);
    assert_eq!(Ws::node(&show, "fine")["state"], "succeeded");
    assert!(ws.path().join("out/fine.csv").exists());
}

#[test]
fn fail_fast_stops_everything() {
    let ws = Ws::new();
    ws.write("out/exists.csv", "x\n");
    let nodes = format!(
        "{}    - id: clobber\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/exists.csv }}\n    - id: long\n      component: delay\n      params: {{ seconds: 20 }}\n    - id: later\n      component: delay\n      depends_on: [long]\n      params: {{ seconds: 0 }}\n",
        read_node(&iris())
    );
    let m = ws.write("p.yaml", &manifest("fail-fast", &nodes));
    let t = Instant::now();
    let out = ws.run(&[
        "run",
        m.to_str().unwrap(),
        "--fail-fast",
        "--parallelism",
        "4",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "fail-fast took {:?}",
        t.elapsed()
    );
    let show = ws.show(&run_id(&out));
    assert_eq!(Ws::node(&show, "clobber")["state"], "failed");
    assert_eq!(Ws::node(&show, "long")["state"], "cancelled");
    assert_eq!(Ws::node(&show, "later")["state"], "skipped");
}

#[test]
fn runs_list_show_and_logs() {
    let ws = Ws::new();
    let nodes = format!(
        "{}    - id: save\n      component: write_table\n      inputs: {{ data: read.output }}\n      params: {{ path: out/x.csv }}\n",
        read_node(&iris())
    );
    let m = ws.write("p.yaml", &manifest("listing", &nodes));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    let id = run_id(&out);
    let list = stdout(&ws.run(&["runs", "list"]));
    assert!(list.lines().nth(1).unwrap().starts_with(&id), "{list}");
    let show = stdout(&ws.run(&["runs", "show", &id[..18]]));
    assert!(show.contains("state:     succeeded"), "{show}");
    let full = stdout(&ws.run(&["runs", "show", &id[..18], "--full"]));
    assert!(full.contains("state:     succeeded"), "{full}");
    assert!(full.contains("\"rows\": 150"), "{full}");
    let logs = stdout(&ws.run(&["runs", "logs", &id, "read"]));
    assert!(logs.contains("read: read 150 rows x 5 columns"), "{logs}");
    assert!(!logs.contains("save:"));
    let unknown = ws.run(&["runs", "show", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no run `nope` in the catalog"));
}

#[test]
fn bad_data_fails_the_node_with_file_and_line() {
    let ws = Ws::new();
    let csv = ws.write("ragged.csv", "a,b\n1,2\n3\n");
    let m = ws.write("p.yaml", &manifest("ragged", &read_node(&csv)));
    let out = ws.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("ragged.csv`:3: ragged row: expected 2 got 1 fields"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn runs_record_the_git_commit_and_dirty_flag() {
    let ws = Ws::new();
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .args(args)
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    let nodes = "    - id: wait\n      component: delay\n      params: { seconds: 0 }\n";
    let m = ws.write("p.yaml", &manifest("git-check", nodes));
    git(&["add", "p.yaml"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qm",
        "m",
    ]);
    let head = git(&["rev-parse", "HEAD"]);
    let out = ws.run(&["run", m.to_str().unwrap()]);
    let clean = ws.show(&run_id(&out));
    assert_eq!(clean["run"]["git_commit"], head.as_str());
    assert_eq!(clean["run"]["git_dirty"], false);
    ws.write(
        "p.yaml",
        &manifest("git-check", &nodes.replace("seconds: 0", "seconds: 0.01")),
    );
    let out = ws.run(&["run", m.to_str().unwrap()]);
    let show = ws.show(&run_id(&out));
    assert_eq!(show["run"]["git_dirty"], true);
    assert_eq!(show["run"]["git_commit"], head.as_str());
    assert_ne!(
        show["run"]["manifest_sha256"],
        clean["run"]["manifest_sha256"]
    );
}
