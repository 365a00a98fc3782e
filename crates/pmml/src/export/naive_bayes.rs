//! Naive Bayes as a PMML `NaiveBayesModel`: class priors as the
//! `BayesOutput` counts, a `GaussianDistribution` per class for each
//! numeric feature (its variance already smoothed), and for each text
//! feature `PairCounts` holding `count + alpha`, so that PMML's
//! `count / class total` is `pai-ml`'s Laplace-smoothed likelihood.
//!
//! PMML floors each likelihood at the model's `threshold` (the smallest
//! positive double here); only a Gaussian density that underflows to
//! below it (an input hundreds of standard deviations from a class mean)
//! is scored differently from `pai-ml`'s log-space computation.

use super::fields::{Fields, Kind};
use super::writer::El;
use super::{Label, Model, check_len, class_outputs, err};
use crate::error::PmmlError;

/// PMML's probability floor: the smallest positive (subnormal) double.
const THRESHOLD: f64 = 5e-324;

/// A naive Bayes classifier over Gaussian and categorical features.
pub(crate) fn naive_bayes(
    m: &pai_ml::NaiveBayesModel,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "naive_bayes";
    let k = m.classes.len();
    if k < 2 {
        return Err(err(format!("the `{C}` model has fewer than two classes")));
    }
    check_len("`class_counts`", m.class_counts.len(), k, C)?;
    let alpha_ok = m.alpha.is_finite() && m.alpha >= f64::EPSILON;
    if !m.categorical.is_empty() && !alpha_ok {
        return Err(err(format!(
            "the `{C}` model's `alpha` is {}; PMML reads a smoothed count below 2.2e-16 as a zero count, so export needs `alpha` >= 2.2e-16",
            m.alpha
        )));
    }
    let mut model = Model::new("NaiveBayesModel", "classification", C);
    model.el.set("threshold", format!("{THRESHOLD:?}"));
    model.output = class_outputs(label);
    let mut inputs = El::new("BayesInputs");
    for feature in &m.features {
        let (x, kind) = fields.column(feature, C)?;
        model.read(&x);
        if let Some(g) = m.gaussian.iter().find(|g| &g.column == feature) {
            if kind != Kind::Numeric {
                return Err(err(format!(
                    "`{C}` models column `{feature}` as numeric, but it holds text here"
                )));
            }
            check_len("a feature's `means`", g.means.len(), k, C)?;
            check_len("a feature's `variances`", g.variances.len(), k, C)?;
            let mut stats = El::new("TargetValueStats");
            for ((value, &mean), &var) in label.values.iter().zip(&g.means).zip(&g.variances) {
                if var.is_nan() || var <= 0.0 {
                    return Err(err(format!(
                        "feature `{feature}` of the `{C}` model has variance {var} in a class; PMML needs a positive variance (raise `var_smoothing`)"
                    )));
                }
                stats.push(
                    El::new("TargetValueStat").attr("value", value).child(
                        El::new("GaussianDistribution")
                            .num("mean", mean)
                            .num("variance", var),
                    ),
                );
            }
            inputs.push(El::new("BayesInput").attr("fieldName", &x).child(stats));
        } else if let Some(c) = m.categorical.iter().find(|c| &c.column == feature) {
            if kind != Kind::Text {
                return Err(err(format!(
                    "`{C}` models column `{feature}` as text, but it holds numbers here"
                )));
            }
            check_len("a feature's `counts`", c.counts.len(), k, C)?;
            for row in &c.counts {
                check_len("a row of `counts`", row.len(), c.categories.len(), C)?;
            }
            // An unseen category counts as missing: the feature is skipped,
            // as `pai-ml` does.
            if let Some(raw) = fields.raw_input_mut(&x) {
                raw.values = c.categories.clone();
                raw.invalid = Some("asMissing");
            }
            let mut input = El::new("BayesInput").attr("fieldName", &x);
            for (j, cat) in c.categories.iter().enumerate() {
                let mut counts = El::new("TargetValueCounts");
                for (value, row) in label.values.iter().zip(&c.counts) {
                    counts.push(
                        El::new("TargetValueCount")
                            .attr("value", value)
                            .num("count", row[j] as f64 + m.alpha),
                    );
                }
                input.push(El::new("PairCounts").attr("value", cat).child(counts));
            }
            inputs.push(input);
        } else {
            return Err(err(format!(
                "the `{C}` model has no parameters for its feature `{feature}`"
            )));
        }
    }
    let mut priors = El::new("TargetValueCounts");
    for (value, &n) in label.values.iter().zip(&m.class_counts) {
        priors.push(
            El::new("TargetValueCount")
                .attr("value", value)
                .attr("count", n.to_string()),
        );
    }
    model.body.push(inputs);
    model.body.push(
        El::new("BayesOutput")
            .attr("fieldName", &label.name)
            .child(priors),
    );
    Ok(model)
}
