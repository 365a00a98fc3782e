//! Stored models as PMML: maps a [`LoadedModel`] (the fitted model and its
//! `.meta`: input schema and label) — or a chain of them, preprocessing
//! stages then a predictive model — onto `pai-pmml`'s exporter, and writes
//! a trainer's `model.xml` beside its `model.meta`. The document's fields
//! and output names are described in `pai_pmml::export`.

use std::path::{Path, PathBuf};

use pai_core::{Error, Result, RunContext};
use pai_pmml::DataType;
use pai_pmml::export::{ExportSchema, InputField, LabelField, Stage, export};

use crate::fitted_model::FittedModel;
use crate::frame::ValueType;
use crate::model_file::{LoadedModel, read_model};

/// The export stage of a fitted model (`None` for a pipeline model, whose
/// stages are exported one by one).
fn stage(model: &FittedModel) -> Option<Stage<'_>> {
    Some(match model {
        FittedModel::LogisticRegressionModel(m) => Stage::LogisticRegression(m),
        FittedModel::LinearRegressionModel(m) => Stage::LinearRegression(m),
        FittedModel::LinearSvmModel(m) => Stage::LinearSvm(m),
        FittedModel::DecisionTreeModel(m) => Stage::DecisionTree(m),
        FittedModel::GbdtBinaryClassifierModel(m) => Stage::GbdtBinaryClassifier(m),
        FittedModel::GbdtRegressorModel(m) => Stage::GbdtRegressor(m),
        FittedModel::KMeansModel(m) => Stage::KMeans(m),
        FittedModel::NaiveBayesModel(m) => Stage::NaiveBayes(m),
        FittedModel::StandardScalerModel(m) => Stage::StandardScaler(m),
        FittedModel::MinMaxScalerModel(m) => Stage::MinMaxScaler(m),
        FittedModel::OneHotEncoderModel(m) => Stage::OneHotEncoder(m),
        FittedModel::ImputerModel(m) => Stage::Imputer(m),
        FittedModel::PipelineModel(_) => return None,
    })
}

/// The stages of `stages` with pipeline models expanded into theirs.
fn flatten<'a>(stages: &[&'a LoadedModel]) -> Vec<&'a LoadedModel> {
    let mut out = Vec::new();
    for s in stages {
        match &s.model {
            FittedModel::PipelineModel(p) => out.extend(p.stages.iter()),
            _ => out.push(*s),
        }
    }
    out
}

/// The PMML type of a column type.
fn data_type(ty: ValueType) -> DataType {
    match ty {
        ValueType::Int64 => DataType::Integer,
        ValueType::Float64 => DataType::Double,
        ValueType::Bool => DataType::Boolean,
        ValueType::String => DataType::String,
    }
}

/// Whether [`model_to_pmml`] can write `model` as a document of its own;
/// the error says why not (a preprocessing stage alone, or parameters PMML
/// cannot carry).
pub fn pmml_supported(model: &FittedModel) -> std::result::Result<(), String> {
    let Some(s) = stage(model) else {
        return match model {
            FittedModel::PipelineModel(p) => {
                if p.last().is_some_and(|l| l.model.is_transformer()) {
                    return Err("this pipeline model has no predictive model last; add one to export it as PMML".into());
                }
                let stages: Vec<&LoadedModel> = p.stages.iter().collect();
                pipeline_to_pmml(&stages)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            _ => Ok(()),
        };
    };
    if !s.is_predictor() {
        return Err(format!(
            "`{}` is a preprocessing stage; export it in a pipeline, in front of a predictive model",
            model.class_name()
        ));
    }
    // A dry run on the model's own columns: text for the features naive
    // Bayes treats as categories, numbers otherwise.
    let text: Vec<&str> = match model {
        FittedModel::NaiveBayesModel(m) => {
            m.categorical.iter().map(|c| c.column.as_str()).collect()
        }
        _ => Vec::new(),
    };
    let schema = ExportSchema {
        inputs: model
            .input_columns()
            .into_iter()
            .map(|name| InputField {
                data_type: if text.contains(&name.as_str()) {
                    DataType::String
                } else {
                    DataType::Double
                },
                name,
            })
            .collect(),
        label: None,
    };
    export(&[s], &schema).map(|_| ()).map_err(|e| e.to_string())
}

/// The label of a model's metadata as the exporter takes it.
fn label_field(loaded: &LoadedModel) -> Option<LabelField> {
    loaded.meta.label.as_ref().map(|l| LabelField {
        name: l.name.clone(),
        data_type: data_type(l.ty),
        classes: l.classes.clone(),
    })
}

/// Writes a stored predictive model as a PMML 4.4 document, with its
/// training input schema as the `DataDictionary` and its label as the
/// target.
pub fn model_to_pmml(loaded: &LoadedModel) -> Result<String> {
    pipeline_to_pmml(&[loaded])
}

/// Writes stored models as one PMML 4.4 document: `stages` in apply
/// order, preprocessing stages first and one predictive model last. The
/// raw inputs are every stage's input columns that no earlier stage
/// produced, typed as in that stage's training table; the label is the
/// model's.
pub fn pipeline_to_pmml(stages: &[&LoadedModel]) -> Result<String> {
    let stages = flatten(stages);
    let mut inputs: Vec<InputField> = Vec::new();
    let mut made: Vec<String> = Vec::new();
    for s in &stages {
        for f in &s.meta.input_schema {
            if !made.contains(&f.name) && !inputs.iter().any(|i| i.name == f.name) {
                inputs.push(InputField {
                    name: f.name.clone(),
                    data_type: data_type(f.ty),
                });
            }
        }
        if s.model.is_transformer() {
            made.extend(crate::pipeline_model::produced_columns(&s.model));
        }
    }
    let schema = ExportSchema {
        inputs,
        label: stages.last().and_then(|m| label_field(m)),
    };
    let refs: Vec<Stage<'_>> = stages.iter().filter_map(|s| stage(&s.model)).collect();
    export(&refs, &schema).map_err(Error::invalid)
}

/// The `model.xml` beside a model's `.meta` file.
pub fn pmml_path(meta_path: &Path) -> PathBuf {
    meta_path.with_extension("xml")
}

/// Reads back the model stored at `meta_path` and writes it as PMML to
/// `model.xml` beside it, atomically; returns that path.
pub fn write_pmml_beside(ctx: &RunContext, meta_path: &Path) -> Result<PathBuf> {
    let xml = model_to_pmml(&read_model(meta_path)?)?;
    let path = pmml_path(meta_path);
    pai_store::fsutil::write_atomic(&path, xml.as_bytes(), true)
        .map_err(|e| Error::io(&path, e))?;
    ctx.log(
        "info",
        format!("wrote the model as PMML 4.4 to `{}`", path.display()),
    );
    Ok(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use pai_ml::{ColumnData, Frame, Predictor};
    use pai_pmml::{PmmlModel, Value};

    use super::*;
    use crate::model_file::{FieldInfo, LabelInfo, ModelInfo, write_model};

    /// Columns `a` (doubles), `n` (integers), `size` (text), label `y`.
    type Columns = (Vec<f64>, Vec<f64>, Vec<Option<&'static str>>, Vec<f64>);

    fn columns() -> Columns {
        let a = vec![0.5, 1.5, -0.5, 2.0, 3.5, -1.0, 0.0, 2.5, 1.0, -2.0];
        let n = vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0];
        let size = vec![
            Some("s"),
            Some("l"),
            Some("m"),
            Some("s"),
            Some("l"),
            Some("m"),
            Some("s"),
            Some("l"),
            Some("m"),
            Some("m"),
        ];
        let y = vec![0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
        (a, n, size, y)
    }

    fn frame<'a>(a: &'a [f64], n: &'a [f64], size: &[Option<&'a str>], y: &'a [f64]) -> Frame<'a> {
        Frame {
            columns: vec![
                ("a".into(), ColumnData::Numeric(a)),
                ("n".into(), ColumnData::Numeric(n)),
                ("size".into(), ColumnData::Text(size.to_vec())),
                ("y".into(), ColumnData::Numeric(y)),
            ],
            n_rows: a.len(),
        }
    }

    /// Stores `model` as a trainer or stage would and reads it back.
    fn stored(
        dir: &Path,
        node: &str,
        model: FittedModel,
        schema: &[(&str, ValueType)],
        label: Option<LabelInfo>,
    ) -> LoadedModel {
        let ctx = RunContext::new(
            Default::default(),
            node,
            dir.into(),
            dir.into(),
            dir.join(node),
        );
        let info = ModelInfo {
            input_schema: schema
                .iter()
                .map(|(n, ty)| FieldInfo {
                    name: (*n).into(),
                    ty: *ty,
                })
                .collect(),
            label,
            params: serde_json::json!({}),
            metrics: serde_json::json!({}),
        };
        let path = write_model(&ctx, "model", "model", &model, info).unwrap();
        read_model(&path).unwrap()
    }

    #[test]
    fn a_pipeline_scores_like_its_stages() {
        let dir = tempfile::tempdir().unwrap();
        let (a, n, size, y) = columns();
        let f = frame(&a, &n, &size, &y);
        let enc = pai_ml::fit_one_hot_encoder(
            &f,
            &pai_ml::OneHotEncoderParams {
                selected_cols: vec!["size".into()],
                ..Default::default()
            },
        )
        .unwrap();
        let ind = enc.transform(&f).unwrap();
        let mut cols = vec![
            ("a".to_string(), ColumnData::Numeric(&a)),
            ("n".to_string(), ColumnData::Numeric(&n)),
        ];
        for (name, c) in &ind {
            cols.push((name.clone(), c.as_column_data()));
        }
        cols.push(("y".into(), ColumnData::Numeric(&y)));
        let f2 = Frame {
            columns: cols,
            n_rows: a.len(),
        };
        let target = pai_ml::class_target(&f2, "y").unwrap();
        let lr = pai_ml::fit_logistic_regression(&f2, &[], &target, &Default::default()).unwrap();
        let want = lr.predict(&f2).unwrap();
        let label = LabelInfo {
            name: "y".into(),
            ty: ValueType::Int64,
            classes: vec!["0".into(), "1".into()],
        };
        let s1 = stored(
            dir.path(),
            "enc",
            FittedModel::OneHotEncoderModel(enc),
            &[("size", ValueType::String)],
            None,
        );
        let s2 = stored(
            dir.path(),
            "lr",
            FittedModel::LogisticRegressionModel(lr),
            &[
                ("a", ValueType::Float64),
                ("n", ValueType::Int64),
                ("size_l", ValueType::Float64),
                ("size_m", ValueType::Float64),
                ("size_s", ValueType::Float64),
            ],
            Some(label),
        );
        let xml = pipeline_to_pmml(&[&s1, &s2]).unwrap();
        assert!(xml.contains("<DataField name=\"n\" optype=\"continuous\" dataType=\"integer\"/>"));
        assert!(
            xml.contains("<DataField name=\"size\" optype=\"categorical\" dataType=\"string\">")
        );
        let pmml = PmmlModel::parse(&xml).unwrap();
        let detail = want.detail.unwrap();
        for r in 0..a.len() {
            let out = pmml
                .evaluate_by_name(&|name| match name {
                    "a" => Value::Number(a[r]),
                    "n" => Value::Number(n[r]),
                    "size" => size[r].map_or(Value::Missing, Value::str),
                    _ => Value::Missing,
                })
                .unwrap();
            // y, prediction_result, p_0, p_1
            let pai_ml::PredictedValues::Labels(codes) = &want.values else {
                panic!("labels expected")
            };
            assert_eq!(out[1], Value::Number(f64::from(codes[r])));
            for k in 0..2 {
                let Value::Number(p) = out[2 + k] else {
                    panic!("a probability expected")
                };
                assert!((p - detail.values[2 * r + k]).abs() <= 1e-12);
            }
        }
        // a model alone needs every feature as an input
        assert!(model_to_pmml(&s2).is_ok());
        // a preprocessing stage alone is not a document
        let e = model_to_pmml(&s1).unwrap_err().to_string();
        assert!(e.contains("preprocessing stage"), "{e}");
        assert!(
            pmml_supported(&s1.model)
                .unwrap_err()
                .contains("preprocessing stage")
        );
        assert_eq!(pmml_supported(&s2.model), Ok(()));
        // the wrong order
        let e = pipeline_to_pmml(&[&s2, &s1]).unwrap_err().to_string();
        assert!(e.contains("only the last stage"), "{e}");
    }

    #[test]
    fn unsupported_parameters_are_explained() {
        let (a, n, size, y) = columns();
        let f = frame(&a, &n, &size, &y);
        let target = pai_ml::class_target(&f, "y").unwrap();
        let mut nb = pai_ml::fit_naive_bayes(
            &f,
            &["a".into(), "size".into()],
            &target,
            &Default::default(),
        )
        .unwrap();
        assert_eq!(
            pmml_supported(&FittedModel::NaiveBayesModel(nb.clone())),
            Ok(())
        );
        nb.gaussian[0].variances[1] = 0.0;
        let e = pmml_supported(&FittedModel::NaiveBayesModel(nb)).unwrap_err();
        assert!(e.contains("positive variance"), "{e}");
    }
}
