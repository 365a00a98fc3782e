//! The git commit and dirty flag of a manifest, when it is in a repository.

use std::path::Path;
use std::process::Command;

/// `(commit, dirty)` for the repository holding `file`, if any.
pub fn describe(file: &Path) -> Option<(String, bool)> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_string();
    let name = file.file_name()?;
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain", "--"])
        .arg(name)
        .output()
        .ok()?;
    Some((commit, !status.stdout.is_empty()))
}
