//! `read_pmml_model`: brings a PMML document written by any producer
//! (scikit-learn/sklearn2pmml, R, PAI Designer, …) into a pipeline as a
//! model that `predict` scores.

use std::path::PathBuf;

use pai_core::{Component, Error, NodeOutputs, PortSpec, PortType, Result, RunContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Reads and compiles a PMML 4.0–4.4 document; an unsupported element is an
/// error naming it and its line. The document becomes the `model` output.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadPmmlModel {
    /// The PMML file, relative to the manifest.
    pub path: PathBuf,
}

impl Component for ReadPmmlModel {
    const NAME: &'static str = "read_pmml_model";
    const SUMMARY: &'static str = "Read a PMML document (any producer) as a model for `predict`";
    const INPUTS: &'static [PortSpec] = &[];
    const OUTPUTS: &'static [PortSpec] = &[PortSpec::required(
        "model",
        PortType::Model,
        "the compiled-and-checked PMML document",
    )];

    fn run(&self, ctx: &RunContext) -> Result<NodeOutputs> {
        let path = ctx.resolve(&self.path);
        if !path.is_file() {
            return Err(Error::invalid(format!(
                "`path`: no file at `{}` (paths are relative to the manifest)",
                path.display()
            )));
        }
        // compile once now, so that a bad document fails here and not in `predict`
        let model = crate::pmml_table::load_pmml(&path)?;
        let out = ctx.output_file("model", "model.pmml")?;
        std::fs::copy(&path, &out).map_err(|e| Error::io(&out, e))?;
        let inputs: Vec<&str> = model
            .input_fields()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let outputs: Vec<&str> = model
            .output_columns()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        ctx.log(
            "info",
            format!(
                "PMML {}: inputs [{}], outputs [{}]",
                model.version(),
                inputs.join(", "),
                outputs.join(", ")
            ),
        );
        ctx.set_metrics(serde_json::json!({ "pmml_version": model.version(), "inputs": inputs, "outputs": outputs }));
        Ok(NodeOutputs::default().with("model", out))
    }
}
