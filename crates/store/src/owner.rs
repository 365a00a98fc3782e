//! The owner of a run: the process that executes it, recorded so that a
//! later command can tell a run whose process is gone (killed, or aborted
//! by a second Ctrl-C) from one that is still going.
//!
//! An owner is the host name, the pid and the process's start time. The
//! start time (`<boot id>:<clock ticks since boot>` from `/proc`) tells a
//! reused pid apart from the original process, and the boot id a pid from
//! before a reboot. A run owned by another host, or recorded where `/proc`
//! is missing, is never judged gone: only a process on this host that
//! is provably absent (no such pid, a zombie, or another start time)
//! abandons its run.

use serde::Serialize;

/// The process that runs a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunOwner {
    /// The host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The process's start time as `<boot id>:<ticks>`, empty when unknown.
    pub started: String,
}

impl RunOwner {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        RunOwner {
            host: host_name(),
            pid,
            started: process_start(pid).unwrap_or_default(),
        }
    }

    /// Whether the owner is known to be gone: it ran on this host and no
    /// process with its pid and start time exists now.
    pub fn is_gone(&self) -> bool {
        if self.host != host_name() || !proc_available() {
            return false;
        }
        match process_start(self.pid) {
            None => true,
            Some(now) => !self.started.is_empty() && now != self.started,
        }
    }
}

impl std::fmt::Display for RunOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} on `{}`", self.pid, self.host)
    }
}

/// The host name, from the kernel, `HOSTNAME`, or `unknown`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Whether a process with this pid runs on this host now (a zombie has
/// died and only awaits its parent); `true` where that cannot be told (no
/// `/proc`), so that nothing of a live process is taken for dead.
pub(crate) fn pid_alive(pid: u32) -> bool {
    pid == std::process::id() || !proc_available() || process_start(pid).is_some()
}

fn proc_available() -> bool {
    std::path::Path::new("/proc/self/stat").exists()
}

/// `<boot id>:<start ticks>` of a live process `pid`, or `None` when no
/// such process runs (a zombie counts as gone).
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name is in parentheses and may hold spaces: split after it
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is the state (field 3 of proc(5)), fields[19] the start time (field 22)
    if matches!(fields.first(), Some(&"Z") | Some(&"X") | None) {
        return None;
    }
    let ticks = fields.get(19)?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    Some(format!("{}:{ticks}", boot.trim()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn this_process_is_alive_and_an_exited_one_is_gone() {
        let me = RunOwner::current();
        assert!(!me.is_gone());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = RunOwner { pid, ..me.clone() };
        if proc_available() {
            assert!(dead.is_gone());
            // the same pid with another start time is a reused pid
            let reused = RunOwner {
                started: "other:1".into(),
                ..me.clone()
            };
            assert!(reused.is_gone());
        }
        let elsewhere = RunOwner {
            host: "another-host".into(),
            ..dead
        };
        assert!(!elsewhere.is_gone());
    }
}
