//! Prometheus metrics: requests, errors, rows and a latency histogram per
//! service and version, and a gauge per service state. The counters are
//! atomics a request updates without any lock; the registry's lock is
//! taken only when a version is loaded and when `/metrics` is scraped.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pai_store::ServiceState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The counters of one service version.
#[derive(Debug, Default)]
pub struct VersionMetrics {
    requests: AtomicU64,
    errors: AtomicU64,
    rows: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    sum_nanos: AtomicU64,
}

impl VersionMetrics {
    /// Records one request: its latency, the rows it scored and whether it
    /// failed.
    pub fn observe(&self, elapsed: Duration, rows: usize, failed: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.rows.fetch_add(rows as u64, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos.fetch_add(
            elapsed.as_nanos().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    /// Requests recorded so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Failed requests recorded so far.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

/// Every version's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    versions: Mutex<BTreeMap<(String, u32), Arc<VersionMetrics>>>,
}

impl Metrics {
    /// The counters of `service` version `version` (created on first use;
    /// a version loaded again keeps counting where it was).
    pub fn version(&self, service: &str, version: u32) -> Arc<VersionMetrics> {
        let mut map = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((service.to_string(), version))
            .or_default()
            .clone()
    }

    /// Forgets a deleted service's counters.
    pub fn forget(&self, service: &str) {
        let mut map = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|(s, _), _| s != service);
    }

    /// The Prometheus text exposition, with `states` (service, state).
    pub fn render(&self, states: &[(String, ServiceState)]) -> String {
        let map = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let counter =
            |out: &mut String, name: &str, help: &str, get: &dyn Fn(&VersionMetrics) -> u64| {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                for ((s, v), m) in map.iter() {
                    let _ = writeln!(
                        out,
                        "{name}{{service=\"{}\",version=\"{v}\"}} {}",
                        escape(s),
                        get(m)
                    );
                }
            };
        counter(
            &mut out,
            "pai_serve_requests_total",
            "Prediction requests answered.",
            &|m| m.requests(),
        );
        counter(
            &mut out,
            "pai_serve_errors_total",
            "Prediction requests that failed.",
            &|m| m.errors(),
        );
        counter(&mut out, "pai_serve_rows_total", "Rows scored.", &|m| {
            m.rows.load(Ordering::Relaxed)
        });
        let name = "pai_serve_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Prediction latency.\n# TYPE {name} histogram"
        );
        for ((s, v), m) in map.iter() {
            let labels = format!("service=\"{}\",version=\"{v}\"", escape(s));
            let mut cumulative = 0u64;
            for (b, count) in BUCKETS.iter().zip(&m.buckets) {
                cumulative += count.load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{b}\"}} {cumulative}");
            }
            let total = m.requests();
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {total}");
            let sum = m.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "{name}_count{{{labels}}} {total}");
        }
        let name = "pai_serve_service_state";
        let _ = writeln!(
            out,
            "# HELP {name} 1 for the state each service is in.\n# TYPE {name} gauge"
        );
        for (s, state) in states {
            for st in ServiceState::ALL {
                let _ = writeln!(
                    out,
                    "{name}{{service=\"{}\",state=\"{}\"}} {}",
                    escape(s),
                    st.as_str(),
                    u8::from(st == *state)
                );
            }
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_states() {
        let m = Metrics::default();
        let v = m.version("lr", 2);
        v.observe(Duration::from_micros(700), 3, false);
        v.observe(Duration::from_millis(30), 1, true);
        let text = m.render(&[("lr".into(), ServiceState::Running)]);
        assert!(
            text.contains("pai_serve_requests_total{service=\"lr\",version=\"2\"} 2"),
            "{text}"
        );
        assert!(text.contains("pai_serve_errors_total{service=\"lr\",version=\"2\"} 1"));
        assert!(text.contains("pai_serve_rows_total{service=\"lr\",version=\"2\"} 4"));
        assert!(text.contains("le=\"0.001\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("pai_serve_service_state{service=\"lr\",state=\"Running\"} 1"));
        assert!(text.contains("pai_serve_service_state{service=\"lr\",state=\"Failed\"} 0"));
    }
}
