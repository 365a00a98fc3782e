//! Ctrl-C (SIGINT) for the long-running commands. [`Interrupts::install`]
//! puts the handler in place at once, not when a task first polls it (as
//! `tokio::signal::ctrl_c()` does): a command installs it before its
//! start-up work, so an interrupt that arrives while it is still opening
//! the catalog is handled like any other instead of killing the process
//! with the default action.

use anyhow::Context;

/// The interrupts received by this process, in order.
pub struct Interrupts {
    #[cfg(unix)]
    inner: tokio::signal::unix::Signal,
    #[cfg(windows)]
    inner: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    /// Installs the handler; call it inside the runtime that will wait for
    /// the interrupts (`runtime.enter()`).
    pub fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        let inner = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        #[cfg(windows)]
        let inner = tokio::signal::windows::ctrl_c();
        Ok(Interrupts {
            inner: inner.context("cannot install the Ctrl-C handler")?,
        })
    }

    /// Waits for the next interrupt (also one that came before the call);
    /// `false` when no more can come.
    pub async fn next(&mut self) -> bool {
        self.inner.recv().await.is_some()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_before_the_wait_is_not_lost() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut interrupts = {
            let _guard = runtime.enter();
            Interrupts::install().expect("handler")
        };
        // Sent before anything waits for it: the default action would end
        // the test process; the installed handler keeps it for `next`.
        let pid = std::process::id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let got = runtime.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(10), interrupts.next()).await
        });
        assert_eq!(got.ok(), Some(true));
    }
}
