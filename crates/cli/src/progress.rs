//! The terminal progress display of `pai-engine run`: nodes done out of the
//! total, and the running nodes with their elapsed time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pai_manifest::ValidatedPipeline;
use pai_scheduler::{Event, Observer};

/// A progress bar fed by run events.
pub struct Progress {
    bar: ProgressBar,
    ids: Vec<String>,
    running: Mutex<Vec<(usize, Instant, u32)>>,
    done: AtomicBool,
}

impl Progress {
    /// A bar for `pipeline`'s nodes, drawn on stderr.
    pub fn new(pipeline: &ValidatedPipeline) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(pipeline.nodes.len() as u64),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template(if pipeline.nodes.len() == 1 {
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} node  {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} nodes  {msg}"
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar,
            ids: pipeline.nodes.iter().map(|n| n.id.clone()).collect(),
            running: Mutex::new(Vec::new()),
            done: AtomicBool::new(false),
        }
    }

    /// Starts a thread that refreshes the running nodes' elapsed times
    /// until [`Progress::finish`].
    pub fn start_ticker(self: &Arc<Self>) {
        let me = Arc::clone(self);
        std::thread::spawn(move || {
            while !me.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if let Ok(running) = me.running.lock() {
                    me.refresh(&running);
                }
            }
        });
    }

    fn refresh(&self, running: &[(usize, Instant, u32)]) {
        let msg: Vec<String> = running
            .iter()
            .map(|(i, t, a)| {
                let retry = if *a > 1 {
                    format!(" (attempt {a})")
                } else {
                    String::new()
                };
                format!("{} {:.1}s{retry}", self.ids[*i], t.elapsed().as_secs_f64())
            })
            .collect();
        self.bar.set_message(if msg.is_empty() {
            String::new()
        } else {
            format!("running: {}", msg.join(", "))
        });
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn on_event(&self, event: &Event) {
        let Ok(mut running) = self.running.lock() else {
            return;
        };
        match event {
            Event::NodeStarted { node, attempt } => {
                running.retain(|(i, _, _)| i != node);
                running.push((*node, Instant::now(), *attempt));
            }
            Event::NodeFinished { node, .. } => {
                running.retain(|(i, _, _)| i != node);
                self.bar.inc(1);
            }
        }
        self.refresh(&running);
    }
}
