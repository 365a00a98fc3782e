//! PMML export, checked with this crate's own evaluator: every `pai-ml`
//! model class (and pipelines of preprocessing stages in front of one),
//! fitted on the repository's datasets, exported, parsed back and scored
//! on every row must give `pai-ml`'s own predictions — numbers within
//! 1e-9, identical labels. Also: the document's shape and the export
//! errors. (`export_oracle.rs` scores the same documents with JPMML.)

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;
mod export_support;

use export_support::{Algo, Case, Table, case, cases, compare};
use pai_pmml::export::{ExportSchema, InputField, LabelField, Stage, export};
use pai_pmml::{DataType, PmmlError, PmmlModel, Value};

/// Scores a case's input with this crate's evaluator.
fn score_with_crate(case: &Case) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let model = PmmlModel::parse(&case.pmml).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let header = model
        .output_columns()
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let rows = common::score(&model, &case.input.csv())
        .into_iter()
        .enumerate()
        .map(|(r, res)| {
            res.unwrap_or_else(|e| panic!("{} row {r}: {e}", case.name))
                .into_iter()
                .map(|v| match v {
                    Value::Missing => None,
                    Value::Number(x) => Some(format!("{x:?}")),
                    v => Some(v.to_string()),
                })
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn every_model_and_pipeline_scores_like_pai_ml() {
    let mut bad = Vec::new();
    let all = cases();
    assert!(all.len() >= 20);
    for case in &all {
        let (header, rows) = score_with_crate(case);
        bad.extend(compare(case, &header, &rows));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn case_named(name: &str) -> Case {
    cases().into_iter().find(|c| c.name == name).unwrap()
}

#[test]
fn outputs_are_named_like_pai_designer() {
    let c = case_named("lr_binary");
    let model = PmmlModel::parse(&c.pmml).unwrap();
    let names: Vec<&str> = model
        .output_columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["diagnosis", "prediction_result", "p_0", "p_1"]);
    assert_eq!(model.version(), "4.4");
    assert!(c.pmml.contains("xmlns=\"http://www.dmg.org/PMML-4_4\""));
    let target = model.target_field().unwrap();
    assert_eq!(target.data_type, DataType::Integer);
    assert_eq!(target.values, [Value::Number(0.0), Value::Number(1.0)]);

    let c = case_named("kmeans_euclidean");
    let model = PmmlModel::parse(&c.pmml).unwrap();
    let names: Vec<&str> = model
        .output_columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "",
            "prediction_result",
            "distance_0",
            "distance_1",
            "distance_2"
        ]
    );
    let c = case_named("svm_multiclass");
    let model = PmmlModel::parse(&c.pmml).unwrap();
    let names: Vec<&str> = model
        .output_columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "species",
            "prediction_result",
            "decision_0",
            "decision_1",
            "decision_2"
        ]
    );
}

#[test]
fn pipeline_fields_get_new_names_and_unused_ones_are_left_out() {
    let c = case_named("scaler_gbdt");
    // both scalers chain on new names; the min-max scaler also scaled the
    // label column, which the model does not read, so it is left out
    assert!(
        c.pmml
            .contains("name=\"min_max_scaler(standard_scaler(mean_radius))\"")
    );
    assert!(
        c.pmml
            .contains("<FieldRef field=\"standard_scaler(mean_radius)\"/>")
    );
    assert!(!c.pmml.contains("min_max_scaler(diagnosis)"));
    let doc = roxmltree::Document::parse(&c.pmml).unwrap();
    let ms = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("MiningModel"))
        .unwrap()
        .children()
        .find(|n| n.has_tag_name("MiningSchema"))
        .unwrap();
    let fields: Vec<(&str, &str)> = ms
        .children()
        .filter(|n| n.is_element())
        .map(|n| {
            (
                n.attribute("name").unwrap(),
                n.attribute("usageType").unwrap(),
            )
        })
        .collect();
    assert_eq!(fields.len(), 31);
    assert_eq!(fields[0], ("mean_radius", "active"));
    assert_eq!(fields[30], ("diagnosis", "target"));

    let c = case_named("one_hot_ignore_lr");
    for name in [
        "imputer(sepal_length_cm)",
        "petal_size_large",
        "standard_scaler(petal_size_large)",
    ] {
        assert!(c.pmml.contains(&format!("name=\"{name}\"")), "{name}");
    }
    // drop_last: no indicator for the last category
    assert!(!c.pmml.contains("name=\"petal_size_small\""));
}

#[test]
fn unseen_categories_follow_handle_unknown() {
    let mut input = Table::load("iris_onehot");
    let error = case_named("one_hot_kmeans");
    let model = PmmlModel::parse(&error.pmml).unwrap();
    if let export_support::Col::Text(v) = &mut input.cols[2] {
        v[0] = Some("huge".into());
        v[1] = None;
    }
    let out = common::score(&model, &input.csv());
    // `handle_unknown: error`: unseen and missing categories are invalid
    assert!(
        matches!(out[0], Err(PmmlError::InvalidValue { .. })),
        "{:?}",
        out[0]
    );
    assert!(
        matches!(out[1], Err(PmmlError::MissingValue { .. })),
        "{:?}",
        out[1]
    );
    assert!(out[2].is_ok());
}

fn iris_lr() -> (Table, pai_ml::LogisticRegressionModel) {
    let t = Table::load("iris");
    let f = t.frame();
    let target = pai_ml::class_target(&f, "species").unwrap();
    let m = pai_ml::fit_logistic_regression(&f, &[], &target, &Default::default()).unwrap();
    (t, m)
}

fn export_err(stages: &[Stage<'_>], schema: &ExportSchema) -> String {
    match export(stages, schema) {
        Err(e @ PmmlError::Export { .. }) => e.to_string(),
        other => panic!("expected an export error, got {other:?}"),
    }
}

#[test]
fn bad_pipelines_and_models_are_refused_clearly() {
    let (t, lr) = iris_lr();
    let schema = ExportSchema {
        inputs: t.inputs(Some("species")),
        label: None,
    };
    let scaler = pai_ml::fit_standard_scaler(&t.frame(), &Default::default()).unwrap();
    let e = export_err(&[], &schema);
    assert!(e.contains("no stage"), "{e}");
    let e = export_err(&[Stage::StandardScaler(&scaler)], &schema);
    assert!(
        e.contains("`standard_scaler`, is a preprocessing stage"),
        "{e}"
    );
    let e = export_err(
        &[
            Stage::LogisticRegression(&lr),
            Stage::LogisticRegression(&lr),
        ],
        &schema,
    );
    assert!(
        e.contains("stage 1 (`logistic_regression`) is a predictive model"),
        "{e}"
    );
    // a feature that no input provides
    let few = ExportSchema {
        inputs: t.inputs(Some("species"))[..3].to_vec(),
        label: None,
    };
    let e = export_err(&[Stage::LogisticRegression(&lr)], &few);
    assert!(e.contains("column `petal_width_cm`"), "{e}");
    // a text column where numbers are needed
    let mut text = schema.clone();
    text.inputs[0].data_type = DataType::String;
    let e = export_err(&[Stage::LogisticRegression(&lr)], &text);
    assert!(e.contains("`sepal_length_cm` holds text"), "{e}");
    // a label that differs from the model's
    let mut other = schema.clone();
    other.label = Some(LabelField {
        name: "kind".into(),
        data_type: DataType::String,
        classes: Vec::new(),
    });
    let e = export_err(&[Stage::LogisticRegression(&lr)], &other);
    assert!(e.contains("`kind`") && e.contains("`species`"), "{e}");
    other.label = Some(LabelField {
        name: "species".into(),
        data_type: DataType::Integer,
        classes: vec!["0".into(), "1".into()],
    });
    let e = export_err(&[Stage::LogisticRegression(&lr)], &other);
    assert!(e.contains("classes (0, 1) differ"), "{e}");
    other.label = Some(LabelField {
        name: "species".into(),
        data_type: DataType::Boolean,
        classes: Vec::new(),
    });
    let e = export_err(&[Stage::LogisticRegression(&lr)], &other);
    assert!(
        e.contains("class `2` of label `species` is not a valid boolean"),
        "{e}"
    );
    // an input named like an output field
    let mut clash = schema.clone();
    clash.inputs.push(InputField {
        name: "p_1".into(),
        data_type: DataType::Double,
    });
    let e = export_err(&[Stage::LogisticRegression(&lr)], &clash);
    assert!(e.contains("`p_1`"), "{e}");
    // a non-finite parameter
    let mut broken = lr.clone();
    broken.coefficients[1][2] = f64::NAN;
    let e = export_err(&[Stage::LogisticRegression(&broken)], &schema);
    assert!(
        e.contains("non-finite") && e.contains("NumericPredictor"),
        "{e}"
    );
    broken.coefficients[1].pop();
    let e = export_err(&[Stage::LogisticRegression(&broken)], &schema);
    assert!(e.contains("inconsistent"), "{e}");
}

#[test]
fn labels_are_typed_from_the_schema() {
    let (t, lr) = iris_lr();
    // without a schema label: the classes are integers
    let schema = ExportSchema {
        inputs: t.inputs(Some("species")),
        label: None,
    };
    let doc = export(&[Stage::LogisticRegression(&lr)], &schema).unwrap();
    assert!(
        doc.contains("<DataField name=\"species\" optype=\"categorical\" dataType=\"integer\">")
    );
    // a text label keeps its names
    let mut t2 = t.clone();
    let names = ["setosa", "versicolor", "virginica"];
    if let export_support::Col::Num(v) = &t.cols[4] {
        t2.cols[4] = export_support::Col::Text(
            v.iter()
                .map(|x| Some(names[*x as usize].to_string()))
                .collect(),
        );
    }
    let c = case("text_label", t2, Some("species"), &[], Algo::Nb);
    assert!(c.pmml.contains("<Value value=\"virginica\"/>"));
    assert!(c.pmml.contains("name=\"p_versicolor\""));
    let (header, rows) = score_with_crate(&c);
    assert!(compare(&c, &header, &rows).is_empty());
    // a boolean label: classes 0/1 are written false/true
    let tie = export_support::tie_table();
    let f = tie.frame();
    let target = pai_ml::class_target(&f, "y").unwrap();
    let m = pai_ml::fit_logistic_regression(&f, &[], &target, &Default::default()).unwrap();
    let schema = ExportSchema {
        inputs: tie.inputs(Some("y")),
        label: Some(LabelField {
            name: "y".into(),
            data_type: DataType::Boolean,
            classes: vec!["0".into(), "1".into()],
        }),
    };
    let doc = export(&[Stage::LogisticRegression(&m)], &schema).unwrap();
    assert!(doc.contains("targetCategory=\"false\""), "{doc}");
    let model = PmmlModel::parse(&doc).unwrap();
    let out = model
        .evaluate(&[Value::Number(3.0), Value::Number(1.0)])
        .unwrap();
    assert_eq!(out[1], Value::Bool(true));
}

#[test]
fn documents_are_deterministic() {
    let (t, lr) = iris_lr();
    let schema = ExportSchema {
        inputs: t.inputs(Some("species")),
        label: None,
    };
    let a = export(&[Stage::LogisticRegression(&lr)], &schema).unwrap();
    let b = export(&[Stage::LogisticRegression(&lr)], &schema).unwrap();
    assert_eq!(a, b);
    assert!(a.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PMML"));
}
