//! The `Component` trait that every YAML component implements.

use serde::Serialize;

use crate::{NodeOutputs, PortSpec, Result, RunContext, UsageClass};

/// A pipeline component: a typed config (its `params`) plus a runner.
///
/// Components are registered in the closed enum of `pai-components`; this
/// trait is what that enum dispatches to.
pub trait Component {
    /// The YAML `component` name.
    const NAME: &'static str;
    /// One line on what the component does.
    const SUMMARY: &'static str;
    /// The input ports.
    const INPUTS: &'static [PortSpec];
    /// The output ports.
    const OUTPUTS: &'static [PortSpec];
    /// The billable class each run of the component counts one request
    /// of, if any.
    const BILLING: Option<UsageClass> = None;

    /// Runs the component. Outputs are written below
    /// [`RunContext::output_dir`] and listed in the returned [`NodeOutputs`];
    /// the scheduler then records and publishes them atomically.
    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs>;
}

/// A component's description for listings and the schema.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentInfo {
    /// The YAML `component` name.
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The input ports.
    pub inputs: &'static [PortSpec],
    /// The output ports.
    pub outputs: &'static [PortSpec],
    /// The billable class of each run, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing: Option<UsageClass>,
}

impl ComponentInfo {
    /// The description of component `C`.
    pub fn of<C: Component>() -> Self {
        ComponentInfo {
            name: C::NAME,
            summary: C::SUMMARY,
            inputs: C::INPUTS,
            outputs: C::OUTPUTS,
            billing: C::BILLING,
        }
    }

    /// Looks up an input port.
    pub fn input(&self, name: &str) -> Option<&'static PortSpec> {
        self.inputs.iter().find(|p| p.name == name)
    }

    /// Looks up an output port.
    pub fn output(&self, name: &str) -> Option<&'static PortSpec> {
        self.outputs.iter().find(|p| p.name == name)
    }
}
