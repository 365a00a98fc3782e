//! k-means as a center-based `ClusteringModel`. Euclidean k-means compares
//! the inputs with the centres directly (the affinity is the distance).
//! Cosine k-means divides the inputs (local derived fields) and the
//! centres by their norms and compares them with `squaredEuclidean`, which
//! is `2 - 2·cos` and so picks the same nearest centre; the reported
//! distances `1 - x·c / (|x|·|c|)` are local derived fields as well.

use pai_ml::KMeansDistance;

use super::fields::Fields;
use super::writer::El;
use super::{
    Model, PREDICTION_FIELD, apply, check_len, constant, distance_name, err, field_ref,
    numeric_features, real_array,
};
use crate::error::PmmlError;
use crate::value::DataType;

/// A k-means model; outputs the cluster id and the distance to each centre.
pub(crate) fn kmeans(m: &pai_ml::KMeansModel, fields: &mut Fields) -> Result<Model, PmmlError> {
    const C: &str = "kmeans";
    let k = m.centers.len();
    if k == 0 {
        return Err(err(format!("the `{C}` model has no centres")));
    }
    for c in &m.centers {
        check_len("a centre", c.len(), m.features.len(), C)?;
    }
    let mut model = Model::new("ClusteringModel", "clustering", C);
    model.el.set("modelClass", "centerBased");
    model.el.set("numberOfClusters", k.to_string());
    let xs = numeric_features(&m.features, fields, &mut model, C)?;
    let mut output = vec![
        El::new("OutputField")
            .attr("name", PREDICTION_FIELD)
            .attr("optype", "categorical")
            .attr("dataType", "string")
            .attr("feature", "predictedValue"),
    ];
    let cosine = m.distance == KMeansDistance::Cosine;
    let (inputs, centers, measure) = if cosine {
        let mut sum: Option<El> = None;
        for x in &xs {
            let sq = apply("*", [field_ref(x), field_ref(x)]);
            sum = Some(match sum {
                None => sq,
                Some(acc) => apply("+", [acc, sq]),
            });
        }
        let sum = sum.ok_or_else(|| err(format!("the `{C}` model has no features")))?;
        let norm = model.local_field(
            fields,
            "kmeans_input_norm",
            DataType::Double,
            apply("sqrt", [sum]),
            &xs,
        );
        let mut unit = Vec::with_capacity(xs.len());
        for x in &xs {
            unit.push(model.local_field(
                fields,
                &format!("unit({x})"),
                DataType::Double,
                apply("/", [field_ref(x), field_ref(&norm)]),
                &[x.clone(), norm.clone()],
            ));
        }
        let mut centers = Vec::with_capacity(k);
        for (j, c) in m.centers.iter().enumerate() {
            let n = c.iter().map(|v| v * v).sum::<f64>().sqrt();
            if n == 0.0 || !n.is_finite() {
                return Err(err(format!(
                    "centre {j} of the cosine `{C}` model has norm {n}; its cosine distance is undefined"
                )));
            }
            // `1 - x·c / (|x|·|c|)`, as `pai-ml` reports it.
            let mut dot: Option<El> = None;
            for (x, v) in xs.iter().zip(c) {
                let term = apply("*", [field_ref(x), constant(*v)]);
                dot = Some(match dot {
                    None => term,
                    Some(acc) => apply("+", [acc, term]),
                });
            }
            let dot = dot.ok_or_else(|| err(format!("the `{C}` model has no features")))?;
            let mut deps = xs.clone();
            deps.push(norm.clone());
            let distance = model.local_field(
                fields,
                &format!("cosine_distance_{j}"),
                DataType::Double,
                apply(
                    "-",
                    [
                        constant(1.0),
                        apply("/", [dot, apply("*", [field_ref(&norm), constant(n)])]),
                    ],
                ),
                &deps,
            );
            output.push(
                El::new("OutputField")
                    .attr("name", distance_name(j))
                    .attr("optype", "continuous")
                    .attr("dataType", "double")
                    .attr("feature", "transformedValue")
                    .child(field_ref(&distance)),
            );
            centers.push(c.iter().map(|v| v / n).collect::<Vec<f64>>());
        }
        (unit, centers, "squaredEuclidean")
    } else {
        for j in 0..k {
            output.push(
                El::new("OutputField")
                    .attr("name", distance_name(j))
                    .attr("optype", "continuous")
                    .attr("dataType", "double")
                    .attr("feature", "affinity")
                    .attr("value", j.to_string()),
            );
        }
        (xs.clone(), m.centers.clone(), "euclidean")
    };
    model.output = output;
    model.body.push(
        El::new("ComparisonMeasure")
            .attr("kind", "distance")
            .child(El::new(measure)),
    );
    for x in &inputs {
        model.body.push(El::new("ClusteringField").attr("field", x));
    }
    for (j, c) in centers.iter().enumerate() {
        let mut cluster = El::new("Cluster").attr("id", j.to_string());
        if let Some(size) = m.sizes.get(j).filter(|_| m.sizes.len() == k) {
            cluster.set("size", size.to_string());
        }
        model
            .body
            .push(cluster.child(real_array(c, &format!("centre {j}"))?));
    }
    Ok(model)
}
