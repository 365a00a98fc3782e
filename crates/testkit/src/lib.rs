//! Test support shared by the workspace's test suites: suites that need a
//! tool a user may not have (Java and the JPMML oracle, `xmllint`, an S3
//! server, `tritonclient`, a language server, …) ask [`require`] first.
//!
//! Without the tool the suite is **skipped visibly**: a `SKIPPED` line goes
//! straight to the terminal (past the test harness's output capture), and
//! the skip is recorded in a directory that `cargo xtask test` reads to end
//! the run with a summary of every skipped suite and how to enable it.
//!
//! With `PAI_TEST_NO_SKIP=1` (`.ci/run` sets it) a skip is a failure
//! instead, so CI never skips.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Set (to anything but `0` or empty) to turn every skip into a failure.
pub const NO_SKIP_VAR: &str = "PAI_TEST_NO_SKIP";

/// Where skips are recorded, one file per suite; `cargo xtask test` sets it.
pub const SKIP_DIR_VAR: &str = "PAI_TEST_SKIP_DIR";

/// Decides whether the suite `suite` can run.
///
/// `missing` is `None` when every tool the suite needs is there, and
/// otherwise says what is missing. `enable` says how to enable the suite
/// (what to install, which variable to set). Returns `true` when the suite
/// should run; on `false` the caller returns at once (the test passes as a
/// recorded skip). Panics, failing the test, when [`NO_SKIP_VAR`] is set.
pub fn require(suite: &str, missing: Option<String>, enable: &str) -> bool {
    let Some(why) = missing else {
        return true;
    };
    if no_skip() {
        panic!(
            "suite `{suite}` cannot run: {why}; to enable it: {enable} \
             ({NO_SKIP_VAR} is set, so a skip is a failure)"
        );
    }
    // Straight to the file descriptor: `eprintln!` would be captured by the
    // test harness and shown only for failing tests.
    let line = format!("\nSKIPPED suite `{suite}`: {why}; to enable it: {enable}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    record(suite, &why, enable);
    false
}

/// [`require`] for one program: the suite runs when `program` (a name
/// looked up on `PATH`, or a path) can be found.
pub fn require_program(suite: &str, program: &str, enable: &str) -> bool {
    let missing = find_program(program)
        .is_none()
        .then(|| format!("`{program}` was not found"));
    require(suite, missing, enable)
}

/// [`require`] for a path given by an environment variable: the suite runs
/// when `var` names an existing file; returns that path.
pub fn require_env_path(suite: &str, var: &str, enable: &str) -> Option<PathBuf> {
    let value = std::env::var_os(var).filter(|v| !v.is_empty());
    let missing = match &value {
        None => Some(format!("`{var}` is not set")),
        Some(v) if !Path::new(v).exists() => Some(format!(
            "`{var}` names `{}`, which does not exist",
            Path::new(v).display()
        )),
        Some(_) => None,
    };
    require(suite, missing, enable).then(|| value.map(PathBuf::from))?
}

/// `program` itself when it contains a `/`, otherwise the first match on
/// `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn no_skip() -> bool {
    std::env::var(NO_SKIP_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The directory skips are recorded in: [`SKIP_DIR_VAR`], else
/// `target/pai-test-skips` beside the running test binary.
pub fn skip_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(SKIP_DIR_VAR).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    // target/<profile>/deps/<test binary>
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("pai-test-skips"))
}

/// One file per suite, `<why>\t<enable>`, written whole (a temporary file,
/// then a rename), so concurrent skips of the same suite leave one line.
fn record(suite: &str, why: &str, enable: &str) {
    if let Some(dir) = skip_dir() {
        record_in(&dir, suite, why, enable);
    }
}

fn record_in(dir: &Path, suite: &str, why: &str, enable: &str) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let name: String = suite
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    if std::fs::write(&tmp, format!("{suite}\t{why}\t{enable}\n")).is_ok() {
        let _ = std::fs::rename(&tmp, dir.join(format!("{name}.skip")));
    }
}

/// The skips recorded in `dir`: `(suite, why, enable)`, sorted by suite.
pub fn recorded_skips(dir: &Path) -> Vec<(String, String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut skips: Vec<(String, String, String)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "skip"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|text| {
            let mut parts = text.trim_end().splitn(3, '\t');
            Some((
                parts.next()?.to_string(),
                parts.next()?.to_string(),
                parts.next()?.to_string(),
            ))
        })
        .collect();
    skips.sort();
    skips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_present_tool_runs_the_suite() {
        assert!(require("x", None, "nothing"));
        assert!(find_program("sh").is_some());
        assert!(find_program("/no/such/program").is_none());
    }

    #[test]
    fn skips_are_recorded_one_per_suite_and_read_back_sorted() {
        let dir = std::env::temp_dir().join(format!("pai-testkit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        record_in(&dir, "zeta suite", "`z` was not found", "install z");
        record_in(&dir, "alpha", "`a` is not set", "set A");
        record_in(&dir, "alpha", "`a` is not set", "set A");
        let got = recorded_skips(&dir);
        assert_eq!(
            got,
            vec![
                ("alpha".into(), "`a` is not set".into(), "set A".into()),
                (
                    "zeta suite".into(),
                    "`z` was not found".into(),
                    "install z".into()
                ),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
