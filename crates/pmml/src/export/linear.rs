//! The linear models: logistic regression (binary `logit`, multinomial
//! `softmax`) and linear regression as `RegressionModel`s, and the linear
//! SVM as a `TreeModel` choosing the class with the largest decision value
//! (computed by local derived fields in `pai-ml`'s summation order).

use super::fields::Fields;
use super::writer::El;
use super::{
    Label, Model, apply, check_len, class_outputs, constant, decision_name, err, field_ref,
    numeric_features, prediction_output,
};
use crate::error::PmmlError;
use crate::value::DataType;

/// Checks a coefficient matrix: `rows` rows of `d` values and `rows`
/// intercepts.
fn check_rows(
    coefficients: &[Vec<f64>],
    intercepts: &[f64],
    rows: usize,
    d: usize,
    component: &str,
) -> Result<(), PmmlError> {
    check_len("`coefficients`", coefficients.len(), rows, component)?;
    check_len("`intercepts`", intercepts.len(), rows, component)?;
    for w in coefficients {
        check_len("a coefficient row", w.len(), d, component)?;
    }
    Ok(())
}

/// A `RegressionTable` (for `category`, when classifying).
fn table(category: Option<&str>, intercept: f64, xs: &[String], w: &[f64], sign: f64) -> El {
    let mut t = El::new("RegressionTable").num("intercept", sign * intercept);
    if let Some(c) = category {
        t.set("targetCategory", c);
    }
    t.children(xs.iter().zip(w).map(|(x, c)| {
        El::new("NumericPredictor")
            .attr("name", x)
            .num("coefficient", sign * c)
    }))
}

/// A logistic regression. Binary: `P(classes[1]) = sigmoid(w·x + b)`, so
/// the first table (for `classes[0]`, which wins ties as in `pai-ml`) holds
/// `-w` and `-b` under `logit`. Multinomial: a `softmax` table per class.
pub(crate) fn logistic(
    m: &pai_ml::LogisticRegressionModel,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "logistic_regression";
    let k = m.classes.len();
    if k < 2 {
        return Err(err(format!("the `{C}` model has fewer than two classes")));
    }
    let rows = if k == 2 { 1 } else { k };
    check_rows(&m.coefficients, &m.intercepts, rows, m.features.len(), C)?;
    let mut model = Model::new("RegressionModel", "classification", C);
    let xs = numeric_features(&m.features, fields, &mut model, C)?;
    model.output = class_outputs(label);
    if k == 2 {
        model.el.set("normalizationMethod", "logit");
        let v = &label.values;
        model.body.push(table(
            Some(&v[0]),
            m.intercepts[0],
            &xs,
            &m.coefficients[0],
            -1.0,
        ));
        model.body.push(table(Some(&v[1]), 0.0, &[], &[], 1.0));
    } else {
        model.el.set("normalizationMethod", "softmax");
        for ((value, w), &b) in label.values.iter().zip(&m.coefficients).zip(&m.intercepts) {
            model.body.push(table(Some(value), b, &xs, w, 1.0));
        }
    }
    Ok(model)
}

/// A linear regression: one table.
pub(crate) fn linear_regression(
    m: &pai_ml::LinearRegressionModel,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "linear_regression";
    check_len("`coefficients`", m.coefficients.len(), m.features.len(), C)?;
    let mut model = Model::new("RegressionModel", "regression", C);
    let xs = numeric_features(&m.features, fields, &mut model, C)?;
    model.output = vec![prediction_output(label)];
    model
        .body
        .push(table(None, m.intercept, &xs, &m.coefficients, 1.0));
    Ok(model)
}

/// `((b + w0·x0) + w1·x1) + …`: `pai-ml`'s order of operations.
fn linear_expr(b: f64, w: &[f64], xs: &[String]) -> El {
    let mut acc = constant(b);
    for (wj, x) in w.iter().zip(xs) {
        acc = apply("+", [acc, apply("*", [constant(*wj), field_ref(x)])]);
    }
    acc
}

/// An integer `Constant`.
fn int_constant(i: usize) -> El {
    El::new("Constant")
        .attr("dataType", "integer")
        .text(i.to_string())
}

/// A `Node` with `predicate` predicting `score`.
fn leaf(predicate: El, score: &str) -> El {
    El::new("Node").attr("score", score).child(predicate)
}

/// A linear SVM: local fields hold each class's decision value (`-f` and
/// `f` for two classes); a `TreeModel` predicts the class with the largest
/// one, the first on ties (`f > 0` for two classes), and the decision
/// values are output as `decision_<class>`.
pub(crate) fn svm(
    m: &pai_ml::LinearSvmModel,
    fields: &mut Fields,
    label: &Label,
) -> Result<Model, PmmlError> {
    const C: &str = "linear_svm";
    let k = m.classes.len();
    if k < 2 {
        return Err(err(format!("the `{C}` model has fewer than two classes")));
    }
    let rows = if k == 2 { 1 } else { k };
    check_rows(&m.coefficients, &m.intercepts, rows, m.features.len(), C)?;
    let mut model = Model::new("TreeModel", "classification", C);
    let xs = numeric_features(&m.features, fields, &mut model, C)?;
    let values = &label.values;
    let mut margins = Vec::with_capacity(k);
    let root = El::new("Node").child(El::new("True"));
    let root = if k == 2 {
        let f = model.local_field(
            fields,
            &format!("margin({})", m.classes[1]),
            DataType::Double,
            linear_expr(m.intercepts[0], &m.coefficients[0], &xs),
            &xs,
        );
        let neg = model.local_field(
            fields,
            &format!("margin({})", m.classes[0]),
            DataType::Double,
            apply("*", [constant(-1.0), field_ref(&f)]),
            std::slice::from_ref(&f),
        );
        margins.push(neg);
        margins.push(f.clone());
        model.el.set("splitCharacteristic", "binarySplit");
        root.child(leaf(
            El::new("SimplePredicate")
                .attr("field", &f)
                .attr("operator", "greaterThan")
                .attr("value", "0"),
            &values[1],
        ))
        .child(leaf(El::new("True"), &values[0]))
    } else {
        for (c, (w, &b)) in m.coefficients.iter().zip(&m.intercepts).enumerate() {
            let name = model.local_field(
                fields,
                &format!("margin({})", m.classes[c]),
                DataType::Double,
                linear_expr(b, w, &xs),
                &xs,
            );
            margins.push(name);
        }
        // best_c / max_c: the first largest margin among classes 0..=c.
        let mut best = int_constant(0);
        let mut max = margins[0].clone();
        let mut best_name = String::new();
        for (c, margin) in margins.iter().enumerate().skip(1) {
            let cond = apply("greaterThan", [field_ref(margin), field_ref(&max)]);
            best_name = model.local_field(
                fields,
                &format!("argmax_margin_{c}"),
                DataType::Integer,
                apply("if", [cond.clone(), int_constant(c), best]),
                &[margin.clone(), max.clone()],
            );
            best = field_ref(&best_name);
            if c + 1 < k {
                max = model.local_field(
                    fields,
                    &format!("max_margin_{c}"),
                    DataType::Double,
                    apply("if", [cond, field_ref(margin), field_ref(&max)]),
                    &[margin.clone(), max.clone()],
                );
            }
        }
        model.el.set("splitCharacteristic", "multiSplit");
        let mut root = root;
        for (c, value) in values.iter().enumerate() {
            let predicate = if c + 1 < k {
                El::new("SimplePredicate")
                    .attr("field", &best_name)
                    .attr("operator", "equal")
                    .attr("value", c.to_string())
            } else {
                El::new("True")
            };
            root.push(leaf(predicate, value));
        }
        root
    };
    let mut output = vec![prediction_output(label)];
    for (class, margin) in m.classes.iter().zip(&margins) {
        output.push(
            El::new("OutputField")
                .attr("name", decision_name(class))
                .attr("optype", "continuous")
                .attr("dataType", "double")
                .attr("feature", "transformedValue")
                .child(field_ref(margin)),
        );
    }
    model.output = output;
    model.body.push(root);
    Ok(model)
}
