//! `delay`: waits, then passes its optional input through. It orders work
//! in time (for example, to let an upstream service settle) and makes
//! scheduling behaviour observable.

use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::io::{input_table, output_table};

/// Waits for `seconds` (cancellable), then forwards the `data` table, if
/// connected, to `output`. Without `data` it only orders work in time
/// (use `depends_on` to wait for it).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    /// How long to wait, in seconds (fractions allowed, at most one day).
    #[schemars(range(min = 0.0, max = 86400.0))]
    pub seconds: f64,
}

impl Component for Delay {
    const NAME: &'static str = "delay";
    const SUMMARY: &'static str = "Wait for a number of seconds, then pass the input table through";
    const INPUTS: &'static [PortSpec] = &[PortSpec::optional(
        "data",
        PortType::Table,
        "a table to forward",
    )];
    const OUTPUTS: &'static [PortSpec] = &[PortSpec::optional(
        "output",
        PortType::Table,
        "the input table; produced only when `data` is connected",
    )];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        if !(0.0..=86_400.0).contains(&self.seconds) {
            return Err(Error::invalid(format!(
                "`seconds` must be between 0 and 86400, got {}",
                self.seconds
            )));
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(self.seconds);
        while std::time::Instant::now() < deadline {
            ctx.check_cancelled()?;
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            std::thread::sleep(left.min(std::time::Duration::from_millis(20)));
        }
        match ctx.optional_input("data") {
            Some(_) => {
                let batch = input_table(ctx, "data")?;
                Ok(NodeOutputs::default().with("output", output_table(ctx, "output", &batch)?))
            }
            None => Ok(NodeOutputs::default()),
        }
    }
}
