//! Decision trees as `TreeModel`s, and the node writer the GBDT shares.
//!
//! A split node's children are `x <= threshold` (left) and `True` (right):
//! exactly `pai-ml`'s routing, which sends every row that is not `<=` to
//! the right. Leaves carry `recordCount`s; classification leaves also carry
//! a `ScoreDistribution` per class whose `probability` is `pai-ml`'s
//! `count / total`.

use pai_ml::Split;

use super::fields::Fields;
use super::writer::El;
use super::{Label, Model, check_len, class_outputs, err, numeric_features, prediction_output};
use crate::error::PmmlError;

/// The deepest tree written (the writer and evaluators recurse per level).
const MAX_DEPTH: usize = 1000;

/// Builds the `Node` tree of a pre-order node array: `split(i)` is node
/// `i`'s test, `leaf(i, node)` completes a leaf element.
pub(crate) fn nodes(
    n: usize,
    split: &dyn Fn(usize) -> Option<Split>,
    leaf: &dyn Fn(usize, El) -> Result<El, PmmlError>,
    xs: &[String],
    component: &str,
) -> Result<El, PmmlError> {
    build(0, El::new("True"), 0, n, split, leaf, xs, component)
}

#[allow(clippy::too_many_arguments)]
fn build(
    i: usize,
    predicate: El,
    depth: usize,
    n: usize,
    split: &dyn Fn(usize) -> Option<Split>,
    leaf: &dyn Fn(usize, El) -> Result<El, PmmlError>,
    xs: &[String],
    component: &str,
) -> Result<El, PmmlError> {
    if depth > MAX_DEPTH {
        return Err(err(format!(
            "the `{component}` tree is deeper than {MAX_DEPTH} levels; limit `max_depth` to export it"
        )));
    }
    let node = El::new("Node").attr("id", i.to_string());
    match split(i) {
        None => leaf(i, node.child(predicate)),
        Some(s) => {
            if s.left <= i || s.right <= i || s.left >= n || s.right >= n {
                return Err(err(format!(
                    "the `{component}` tree is corrupt: node {i} links to children {} and {}",
                    s.left, s.right
                )));
            }
            let x = xs.get(s.feature).ok_or_else(|| {
                err(format!(
                    "the `{component}` tree is corrupt: node {i} splits on feature {}",
                    s.feature
                ))
            })?;
            let test = El::new("SimplePredicate")
                .attr("field", x)
                .attr("operator", "lessOrEqual")
                .num("value", s.threshold);
            let left = build(s.left, test, depth + 1, n, split, leaf, xs, component)?;
            let right = build(
                s.right,
                El::new("True"),
                depth + 1,
                n,
                split,
                leaf,
                xs,
                component,
            )?;
            Ok(node.child(predicate).child(left).child(right))
        }
    }
}

/// A `TreeModel` element with the attributes every exported tree shares.
pub(crate) fn tree_model(function: &str, component: &str) -> Model {
    let mut m = Model::new("TreeModel", function, component);
    m.el.set("missingValueStrategy", "none");
    m.el.set("noTrueChildStrategy", "returnNullPrediction");
    m.el.set("splitCharacteristic", "binarySplit");
    m
}

/// A classification tree: leaves predict their most frequent class (the
/// first on ties) with `pai-ml`'s probabilities.
pub(crate) fn classifier(
    m: &pai_ml::DecisionTreeClassifier,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "decision_tree";
    let k = m.classes.len();
    if m.nodes.is_empty() {
        return Err(err(format!("the `{C}` model has no nodes")));
    }
    for node in &m.nodes {
        check_len("a node's `class_counts`", node.class_counts.len(), k, C)?;
    }
    let mut model = tree_model("classification", C);
    let xs = numeric_features(&m.features, fields, &mut model, C)?;
    model.output = class_outputs(label);
    let split = |i: usize| m.nodes.get(i).and_then(|n| n.split);
    let leaf = |i: usize, node: El| -> Result<El, PmmlError> {
        let counts = m
            .nodes
            .get(i)
            .map(|n| n.class_counts.as_slice())
            .unwrap_or_default();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Err(err(format!(
                "leaf {i} of the `{C}` model has no training rows"
            )));
        }
        let mut best = 0;
        for (c, &count) in counts.iter().enumerate() {
            if count > counts[best] {
                best = c;
            }
        }
        let mut node = node
            .attr("score", &label.values[best])
            .attr("recordCount", total.to_string());
        for (value, &count) in label.values.iter().zip(counts) {
            node.push(
                El::new("ScoreDistribution")
                    .attr("value", value)
                    .attr("recordCount", count.to_string())
                    .num("probability", count as f64 / total as f64),
            );
        }
        Ok(node)
    };
    model
        .body
        .push(nodes(m.nodes.len(), &split, &leaf, &xs, C)?);
    Ok(model)
}

/// A regression tree: leaves predict their mean label.
pub(crate) fn regressor(
    m: &pai_ml::DecisionTreeRegressor,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "decision_tree";
    if m.nodes.is_empty() {
        return Err(err(format!("the `{C}` model has no nodes")));
    }
    let mut model = tree_model("regression", C);
    let xs = numeric_features(&m.features, fields, &mut model, C)?;
    model.output = vec![prediction_output(label)];
    let split = |i: usize| m.nodes.get(i).and_then(|n| n.split);
    let leaf = |i: usize, node: El| -> Result<El, PmmlError> {
        let n = m
            .nodes
            .get(i)
            .ok_or_else(|| err(format!("the `{C}` model has no node {i}")))?;
        Ok(node
            .num("score", n.value)
            .attr("recordCount", n.n_samples.to_string()))
    };
    model
        .body
        .push(nodes(m.nodes.len(), &split, &leaf, &xs, C)?);
    Ok(model)
}
