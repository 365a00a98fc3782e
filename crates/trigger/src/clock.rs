//! Time, injectable: the trigger reads the time and sleeps only through a
//! [`Clock`], so tests can drive it through simulated days.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

/// A sleep that a [`Clock`] hands out.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The trigger's source of time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
    /// Completes at `t` (at once if `t` has passed).
    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep;
}

/// The system's wall clock; sleeps on tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep {
        let d = (t - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock that starts at a chosen time and advances with tokio's time.
/// Under a paused tokio runtime (`#[tokio::test(start_paused = true)]`)
/// time jumps to the next timer whenever every task is idle, so a month of
/// schedules plays out in milliseconds, deterministically.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl SimClock {
    /// A clock reading `base` now; create it inside the runtime.
    pub fn starting_at(base: DateTime<Utc>) -> Self {
        SimClock {
            base,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.start;
        self.base + chrono::TimeDelta::from_std(elapsed).unwrap_or_default()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep {
        let offset = (t - self.base).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep_until(self.start + offset))
    }
}
