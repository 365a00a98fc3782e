//! Gradient-boosted trees as `MiningModel`s: a `sum` of one `TreeModel`
//! per tree, the base score folded into the first tree's leaves (so the
//! sum `((base + t1) + t2) + …` runs in `pai-ml`'s order), and for the
//! binary classifier a `modelChain` ending in a `logit` `RegressionModel`
//! on that sum.

use pai_ml::BoostedTree;

use super::fields::Fields;
use super::tree::{nodes, tree_model};
use super::writer::El;
use super::{Label, Model, class_outputs, err, numeric_features, prediction_output};
use crate::error::PmmlError;

/// The `sum` `Segmentation` of the trees; records the features they read
/// in `parent`.
fn sum_of_trees(
    trees: &[BoostedTree],
    base: f64,
    xs: &[String],
    parent: &mut Model,
    component: &str,
) -> Result<El, PmmlError> {
    if trees.is_empty() {
        return Err(err(format!("the `{component}` model has no trees")));
    }
    let mut seg = El::new("Segmentation").attr("multipleModelMethod", "sum");
    for (t, tree) in trees.iter().enumerate() {
        let mut model = tree_model("regression", component);
        for node in &tree.nodes {
            if let Some(x) = node.split.and_then(|s| xs.get(s.feature)) {
                model.read(x);
                parent.read(x);
            }
        }
        let offset = if t == 0 { base } else { 0.0 };
        let split = |i: usize| tree.nodes.get(i).and_then(|n| n.split);
        let leaf = |i: usize, node: El| -> Result<El, PmmlError> {
            let n = tree.nodes.get(i).ok_or_else(|| {
                err(format!(
                    "tree {t} of the `{component}` model has no node {i}"
                ))
            })?;
            // The first tree's leaves hold `base + value`, the model's
            // first partial sum.
            let score = if t == 0 { offset + n.value } else { n.value };
            Ok(node
                .num("score", score)
                .attr("recordCount", n.n_samples.to_string()))
        };
        model
            .body
            .push(nodes(tree.nodes.len(), &split, &leaf, xs, component)?);
        let fallback = xs.first().cloned().unwrap_or_default();
        seg.push(
            El::new("Segment")
                .attr("id", (t + 1).to_string())
                .child(El::new("True"))
                .child(model.nested(None, &fallback)),
        );
    }
    Ok(seg)
}

/// A GBDT regressor: the sum of its trees.
pub(crate) fn regressor(
    m: &pai_ml::GbdtRegressor,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "gbdt_regressor";
    let mut model = Model::new("MiningModel", "regression", C);
    let xs = resolve(&m.features, fields, C)?;
    model.output = vec![prediction_output(label)];
    let seg = sum_of_trees(&m.trees, m.base_score, &xs, &mut model, C)?;
    model.body.push(seg);
    Ok(model)
}

/// A GBDT binary classifier: the raw score (the sum of the trees, an
/// intermediate output), then `P(classes[0]) = logit(-raw)`; the first
/// table is `classes[0]`'s, which wins ties as in `pai-ml`. The output
/// fields belong to that last `RegressionModel`.
pub(crate) fn classifier(
    m: &pai_ml::GbdtBinaryClassifier,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "gbdt_binary_classifier";
    if m.classes.len() != 2 {
        return Err(err(format!(
            "the `{C}` model has {} classes; it needs two",
            m.classes.len()
        )));
    }
    let mut model = Model::new("MiningModel", "classification", C);
    let xs = resolve(&m.features, fields, C)?;
    let raw = fields.fresh("gbdt_raw_score");
    let mut sum = Model::new("MiningModel", "regression", C);
    sum.output = vec![
        El::new("OutputField")
            .attr("name", &raw)
            .attr("optype", "continuous")
            .attr("dataType", "double")
            .attr("feature", "predictedValue")
            .attr("isFinalResult", "false"),
    ];
    let seg = sum_of_trees(&m.trees, m.base_score, &xs, &mut sum, C)?;
    sum.body.push(seg);
    for r in sum.refs.clone() {
        model.read(&r);
    }
    let fallback = xs.first().cloned().unwrap_or_default();
    let mut logit = Model::new("RegressionModel", "classification", C);
    logit.el.set("normalizationMethod", "logit");
    // The outputs sit on the chain's last model, whose prediction is the
    // chain's (JPMML reports no probabilities for a top-level `Output` of
    // a `modelChain`).
    logit.output = class_outputs(label);
    logit.read(&raw);
    logit.body.push(
        El::new("RegressionTable")
            .num("intercept", 0.0)
            .attr("targetCategory", &label.values[0])
            .child(
                El::new("NumericPredictor")
                    .attr("name", &raw)
                    .num("coefficient", -1.0),
            ),
    );
    logit.body.push(
        El::new("RegressionTable")
            .num("intercept", 0.0)
            .attr("targetCategory", &label.values[1]),
    );
    let chain = El::new("Segmentation")
        .attr("multipleModelMethod", "modelChain")
        .child(
            El::new("Segment")
                .attr("id", "1")
                .child(El::new("True"))
                .child(sum.nested(None, &fallback)),
        )
        .child(
            El::new("Segment")
                .attr("id", "2")
                .child(El::new("True"))
                .child(logit.nested(Some(&label.name), &raw)),
        );
    model.body.push(chain);
    Ok(model)
}

/// The PMML fields of the features (recorded by the trees that split on
/// them).
fn resolve(
    features: &[String],
    fields: &Fields,
    component: &str,
) -> Result<Vec<String>, PmmlError> {
    let mut scratch = Model::new("MiningModel", "regression", component);
    numeric_features(features, fields, &mut scratch, component)
}
