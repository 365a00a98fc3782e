//! Read-only commands (listings, `oss ls`, `run --dry-run`) change
//! nothing: outside a workspace they create no `.pai/`, and in one they
//! leave the catalog as it was.

#![allow(clippy::unwrap_used)]

use crate::common::{Ws, iris, manifest, stderr, stdout};

const SCHEDULED: &str = r#"apiVersion: pai-engine/v1
kind: Pipeline
metadata: { name: nightly }
spec:
  nodes:
    - id: wait
      component: delay
      params: { seconds: 0 }
  schedules:
    - name: at-two
      cron: "0 2 * * *"
"#;

#[test]
fn reading_commands_create_no_workspace() {
    let ws = Ws::new();
    let runs = ws.run(&["runs", "list"]);
    assert!(runs.status.success(), "{}", stderr(&runs));
    assert!(stderr(&runs).contains("no runs yet"), "{}", stderr(&runs));
    let json = ws.run(&["runs", "list", "--format", "json"]);
    assert_eq!(stdout(&json).trim(), "[]");
    let show = ws.run(&["runs", "show", "abc"]);
    assert_eq!(show.status.code(), Some(2));
    assert!(stderr(&show).contains("no run `abc`"), "{}", stderr(&show));
    for args in [
        &["models", "list"][..],
        &["models", "list", "--format", "json"],
        &["usage"],
        &["usage", "--format", "json"],
        &["schedule", "list"],
    ] {
        let out = ws.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let plan_file = ws.write(
        "plan.yaml",
        &manifest(
            "plan",
            &format!(
                "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n",
                iris().display()
            ),
        ),
    );
    let plan = ws.run(&["run", plan_file.to_str().unwrap(), "--dry-run"]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    assert!(stdout(&plan).contains("dry run: nothing was run or changed"));
    let missing = ws.run(&["run", "nosuch.yaml"]);
    assert_eq!(missing.status.code(), Some(1));
    let show = ws.run(&["models", "show", "bc_lr"]);
    assert_eq!(show.status.code(), Some(1));
    assert!(
        stderr(&show).contains("no model `bc_lr`"),
        "{}",
        stderr(&show)
    );
    // no server runs: the error names the command, and nothing is created
    let services = ws
        .cmd(&["services", "--server", "http://127.0.0.1:9", "list"])
        .output()
        .unwrap();
    assert!(!services.status.success());
    assert!(!ws.state().exists(), "a read-only command created `.pai/`");
}

#[test]
fn oss_ls_of_a_missing_bucket_names_it_and_creates_nothing() {
    let ws = Ws::new();
    let out = ws.run(&["oss", "ls", "oss://nosuchbucket/"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "error: no bucket `nosuchbucket`: there are no buckets yet; configure one as `[buckets.NAME]` in pai-engine.toml, or write to it (an export creates a local bucket)"
    );
    assert!(!ws.state().exists());

    ws.write("pai-engine.toml", "[buckets.models]\n");
    let out = ws.run(&["oss", "ls", "oss://modles/"]);
    assert_eq!(
        stderr(&out).trim(),
        "error: no bucket `modles`: did you mean `models`? (buckets: `models`)"
    );
    // a configured bucket lists empty before its first write
    let out = ws.run(&["oss", "ls", "oss://models/"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!ws.state().exists());
}

#[test]
fn schedule_list_reads_the_manifests_without_registering_them() {
    let ws = Ws::new();
    ws.write("pai-engine.toml", "");
    ws.write("pipelines/nightly.yaml", SCHEDULED);
    let out = ws.run(&["schedule", "list", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["schedule"], "nightly/at-two");
    assert_eq!(v[0]["state"], "not registered");
    assert!(v[0]["next_fire"].as_str().unwrap().contains("T02:00:00"));
    assert!(!ws.state().exists());

    // with a catalog: listing leaves it byte for byte as it was
    let file = ws.write(
        "copy.yaml",
        &manifest(
            "copy",
            &format!(
                "    - id: read\n      component: read_table\n      params: {{ path: {} }}\n",
                iris().display()
            ),
        ),
    );
    assert!(ws.run(&["run", file.to_str().unwrap()]).status.success());
    let db = ws.state().join("catalog.db");
    let before = std::fs::read(&db).unwrap();
    for args in [
        &["schedule", "list"][..],
        &["schedule", "list", "-f", "pipelines"],
        &["runs", "list"],
        &["models", "list"],
        &["usage"],
        &["oss", "ls", "oss://nosuchbucket/"],
        &["run", file.to_str().unwrap(), "--dry-run"],
    ] {
        ws.run(args);
    }
    assert_eq!(std::fs::read(&db).unwrap(), before, "the catalog changed");
    let wal = ws.state().join("catalog.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
}
