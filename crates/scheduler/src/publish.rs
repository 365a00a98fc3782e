//! Publishing a successful attempt's outputs: the attempt's private
//! directory is renamed into place in one step, then each output is
//! digested. A failed or cancelled attempt's directory is removed, so no
//! partial output is ever visible.

use std::path::{Path, PathBuf};

use pai_core::{Artifact, NodeOutputs, PortSpec};

/// Moves `staging` to `final_dir` and describes each output.
pub fn publish(
    staging: &Path,
    final_dir: &Path,
    outputs: NodeOutputs,
    specs: &[PortSpec],
) -> Result<Vec<Artifact>, String> {
    for spec in specs.iter().filter(|s| s.required) {
        if !outputs.files.iter().any(|(p, _)| p == spec.name) {
            return Err(format!(
                "the component did not produce its output `{}`",
                spec.name
            ));
        }
    }
    if staging.exists() {
        if final_dir.exists() {
            std::fs::remove_dir_all(final_dir)
                .map_err(|e| format!("`{}`: {e}", final_dir.display()))?;
        }
        std::fs::rename(staging, final_dir)
            .map_err(|e| format!("publishing outputs to `{}`: {e}", final_dir.display()))?;
    }
    let mut artifacts = Vec::with_capacity(outputs.files.len());
    for (port, file) in outputs.files {
        let kind = specs
            .iter()
            .find(|s| s.name == port)
            .map(|s| s.ty)
            .ok_or_else(|| format!("the component produced an undeclared output `{port}`"))?;
        let rel = file.strip_prefix(staging).map_err(|_| {
            format!("output `{port}` was written outside the node's output directory")
        })?;
        let path: PathBuf = final_dir.join(rel);
        let port_dir = final_dir.join(&port);
        let (digest, size) = pai_store::fsutil::digest_path(&port_dir)
            .map_err(|e| format!("`{}`: {e}", port_dir.display()))?;
        artifacts.push(Artifact {
            port,
            kind,
            path,
            digest,
            size,
        });
    }
    Ok(artifacts)
}

/// Removes an attempt's private directory, ignoring a missing one.
pub fn discard(staging: &Path) {
    if staging.exists() {
        let _ = std::fs::remove_dir_all(staging);
    }
}
