//! Helpers for the end-to-end tests: run the real `pai-engine` binary in a
//! private workspace.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod server;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A private workspace: its own directory and state directory.
pub struct Ws {
    pub dir: tempfile::TempDir,
}

impl Ws {
    pub fn new() -> Self {
        Ws {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join(".pai")
    }

    /// A command for the binary, in this workspace.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pai-engine"));
        c.args(args)
            .current_dir(self.path())
            .env("PAI_HOME", self.state())
            .env_remove("RUST_LOG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Writes a file into the workspace and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `runs show --format json` of a run.
    pub fn show(&self, run_id: &str) -> serde_json::Value {
        let out = self.run(&["runs", "show", run_id, "--format", "json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The node record `id` of a `show` document.
    pub fn node<'a>(show: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
        show["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node_id"] == id)
            .unwrap()
    }
}

/// The run id printed on the last line of `run`'s stderr.
pub fn run_id(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .rev()
        .find(|l| l.starts_with("run "))
        .unwrap_or_else(|| panic!("no run line in {err}"));
    line.trim_start_matches("run ")
        .split(':')
        .next()
        .unwrap()
        .to_string()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A manifest header followed by `nodes` (YAML list items, indented 4).
pub fn manifest(name: &str, nodes: &str) -> String {
    format!(
        "apiVersion: pai-engine/v1\nkind: Pipeline\nmetadata:\n  name: {name}\nspec:\n  nodes:\n{nodes}"
    )
}

/// The iris dataset committed in the repository.
pub fn iris() -> PathBuf {
    repo().join("data/iris.csv")
}

/// Splits one CSV line, honouring double-quoted fields.
pub fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A CSV file as its header and rows (quoted fields honoured).
pub fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap());
    (
        header,
        lines.filter(|l| !l.is_empty()).map(csv_fields).collect(),
    )
}

/// Starts `cmd` with `PAI_FAILPOINT=point` and waits until it reaches the
/// failpoint; returns the child and the rest of its stderr.
pub fn start_at(
    mut cmd: std::process::Command,
    point: &str,
) -> (
    std::process::Child,
    std::io::Lines<BufReader<std::process::ChildStderr>>,
) {
    let mut child = cmd
        .env("PAI_FAILPOINT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let name = point.split(['=', '@']).next().unwrap();
    let reached = lines.any(|l| l.unwrap().contains(&format!("failpoint `{name}` reached")));
    assert!(reached, "never reached `{point}`");
    (child, lines)
}

/// Runs `args` until failpoint `point`, then kills it with SIGKILL.
pub fn kill_at(ws: &Ws, point: &str, args: &[&str]) {
    let (mut child, _) = start_at(ws.cmd(args), point);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The example manifests, `pipelines/*.yaml` (not the deliberately
/// invalid ones below it), sorted.
pub fn example_pipelines() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(repo().join("pipelines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}
