//! The split link shared by every fitted tree node, and the structural check
//! run on deserialized node arrays before they are walked.

use serde::{Deserialize, Serialize};

use crate::MlError;

/// The test of an internal node: rows with `x[feature] <= threshold` go to
/// `left`, the others to `right`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Split {
    /// Index into the model's `features`.
    pub feature: usize,
    /// The cut point (`<=` goes left).
    pub threshold: f64,
    /// Index of the left child in the node array.
    pub left: usize,
    /// Index of the right child in the node array.
    pub right: usize,
}

/// Checks that a pre-order node array is walkable: children come after
/// their parent and inside the array, and features index into the model's
/// feature list. Walking a checked array always ends at a leaf.
pub(crate) fn check_nodes<'a>(
    splits: impl Iterator<Item = Option<&'a Split>>,
    n_nodes: usize,
    n_features: usize,
) -> Result<(), MlError> {
    if n_nodes == 0 {
        return Err(MlError::Corrupt("a tree has no nodes".into()));
    }
    for (i, split) in splits.enumerate() {
        if let Some(s) = split {
            if s.left <= i || s.right <= i || s.left >= n_nodes || s.right >= n_nodes {
                return Err(MlError::Corrupt(format!(
                    "node {i} links to children {} and {} outside the tree of {n_nodes} nodes",
                    s.left, s.right
                )));
            }
            if s.feature >= n_features {
                return Err(MlError::Corrupt(format!(
                    "node {i} splits on feature {} but the model has {n_features} features",
                    s.feature
                )));
            }
        }
    }
    Ok(())
}
