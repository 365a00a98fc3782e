//! What `deploy_eas` and `update_eas_service` share: the admin client of
//! the serving process this workspace points at, and the `model_path` and
//! processor a model input is served as.

use std::path::Path;

use pai_client::{AdminClient, Processor};
use pai_core::{Error, Result, RunContext};

use crate::offline_model::store;

/// The admin client, configured from `PAI_SERVER` / `pai-engine.toml` and
/// the admin token the server wrote into the state directory.
pub fn client(ctx: &RunContext) -> Result<AdminClient> {
    let st = store(ctx)?;
    AdminClient::resolve(None, &st.config.server, &st.state_dir).map_err(client_error)
}

/// A client error as a component error.
pub fn client_error(e: pai_client::ClientError) -> Error {
    Error::invalid(e)
}

/// The processor that serves a model file: `pmml` for a PMML document,
/// `pai-pipeline` for the native format.
pub fn processor_of(path: &Path) -> Processor {
    match path.extension().and_then(|e| e.to_str()) {
        Some("pmml" | "xml") => Processor::Pmml,
        _ => Processor::PaiPipeline,
    }
}

/// The `model_path` of the model on input `model` for `processor`: the
/// artifact's `.meta` for `pai-pipeline`, its PMML document for `pmml`.
pub fn model_path_of(ctx: &RunContext, processor: Processor) -> Result<String> {
    let path = ctx.input("model")?.path.clone();
    let path = std::fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
    let is_pmml = processor_of(&path) == Processor::Pmml;
    let served = match (processor, is_pmml) {
        (Processor::Pmml, true) | (Processor::PaiPipeline, false) => path,
        (Processor::Pmml, false) => {
            let xml = path.with_extension("xml");
            if !xml.is_file() {
                return Err(Error::invalid(
                    "`processor: pmml` needs the model as PMML, and this model has no PMML document; train it with `generate_pmml: true`, or serve it with `processor: pai-pipeline`",
                ));
            }
            xml
        }
        (Processor::PaiPipeline, true) => {
            return Err(Error::invalid(
                "a PMML document is served by `processor: pmml`, not `pai-pipeline`",
            ));
        }
    };
    Ok(served.display().to_string())
}
