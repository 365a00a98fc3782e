//! `pai-engine init`: a workspace that runs at once, validates, and is
//! never overwritten; and `pai-engine completions`.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{Ws, stderr, stdout};

/// The binary in `dir`, finding its workspace as a user's shell would
/// (no `PAI_HOME`).
fn in_dir(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pai-engine"))
        .args(args)
        .current_dir(dir)
        .env_remove("PAI_HOME")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn init_makes_a_workspace_whose_example_runs_and_validates() {
    let ws = Ws::new();
    let dir = ws.path().join("first");
    let out = in_dir(ws.path(), &["init", "first"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for f in [
        "pai-engine.toml",
        "pipelines/iris.yaml",
        "data/iris.csv",
        "schemas/pipeline.schema.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
        assert!(text.contains(&format!("created first/{f}")), "{text}");
    }
    assert!(
        text.contains("cd first && pai-engine run pipelines/iris.yaml"),
        "{text}"
    );

    // the modeline's schema resolves, and is the binary's own schema
    let yaml = std::fs::read_to_string(dir.join("pipelines/iris.yaml")).unwrap();
    let modeline = yaml.lines().next().unwrap();
    let rel = modeline
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap();
    let schema = std::fs::read_to_string(dir.join("pipelines").join(rel)).unwrap();
    let printed = stdout(&in_dir(ws.path(), &["schema"]));
    assert_eq!(schema, printed);
    assert!(!yaml.contains('{'), "block style only:\n{yaml}");

    let valid = in_dir(&dir, &["validate", "pipelines/iris.yaml"]);
    assert!(valid.status.success(), "{}", stderr(&valid));

    let run = in_dir(&dir, &["run", "pipelines/iris.yaml"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let err = stderr(&run);
    let metrics = err
        .lines()
        .find(|l| l.trim_start().starts_with("evaluate "))
        .unwrap_or_else(|| panic!("no metrics line of `evaluate` in {err}"));
    assert!(metrics.contains("accuracy 0."), "{metrics}");
    assert!(
        dir.join(".pai/catalog.db").is_file(),
        "the state lives beside pai-engine.toml"
    );
    let runs = in_dir(&dir, &["runs", "list"]);
    assert!(stdout(&runs).contains("iris-tree"), "{}", stdout(&runs));
}

#[test]
fn init_never_overwrites_a_file() {
    let ws = Ws::new();
    let dir = ws.path();
    std::fs::write(dir.join("pai-engine.toml"), "# mine\n").unwrap();
    let out = in_dir(dir, &["init"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("`./pai-engine.toml` already exists; nothing was written"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("pai-engine.toml")).unwrap(),
        "# mine\n"
    );
    assert!(!dir.join("pipelines").exists());

    // a second init into a fresh workspace refuses every file it would replace
    let fresh = dir.join("w");
    assert!(in_dir(dir, &["init", "w"]).status.success());
    let again = in_dir(dir, &["init", "w"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("`w/pipelines/iris.yaml`"),
        "{}",
        stderr(&again)
    );
    std::fs::write(fresh.join("pipelines/iris.yaml"), "# edited\n").unwrap();
    assert!(in_dir(dir, &["init", "w", "--force"]).status.success());
    let restored = std::fs::read_to_string(fresh.join("pipelines/iris.yaml")).unwrap();
    assert!(restored.starts_with("# yaml-language-server"));
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    let ws = Ws::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = ws.run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for sub in ["validate", "runs", "services", "init", "completions"] {
            assert!(script.contains(sub), "{shell} script lacks `{sub}`");
        }
        assert!(!ws.state().exists());
    }
    let file = ws.path().join("pai-engine.bash");
    std::fs::write(&file, ws.run(&["completions", "bash"]).stdout).unwrap();
    let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
}
