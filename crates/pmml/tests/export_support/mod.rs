//! Shared by the export tests: fits every `pai-ml` model class (alone and
//! behind preprocessing stages) on the repository's datasets, exports it,
//! and records what `pai-ml` itself predicts for every row, so that a
//! scorer's output (this crate's evaluator, or JPMML) can be compared with
//! it: numbers within 1e-9, labels identical.

#![allow(dead_code, clippy::unwrap_used)] // shared by several test binaries; a failed unwrap is a failed test

use std::path::PathBuf;

use pai_ml::{ColumnData, Frame, PredictedValues, Predictor};
use pai_pmml::export::{ExportSchema, InputField, LabelField, Stage, export};
use pai_pmml::{DataType, Value};

use crate::common::{Csv, read_csv};

/// The repository's `data/` directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// An owned column of a test table.
#[derive(Debug, Clone)]
pub enum Col {
    /// Numbers; NaN is missing.
    Num(Vec<f64>),
    /// Text; `None` is missing.
    Text(Vec<Option<String>>),
}

/// A table read from a CSV (or built in code).
#[derive(Debug, Clone)]
pub struct Table {
    pub names: Vec<String>,
    pub cols: Vec<Col>,
    pub n: usize,
}

impl Table {
    /// Reads `data/<name>.csv`, typing columns as numbers when every present
    /// cell is numeric.
    pub fn load(name: &str) -> Table {
        Table::from_csv(&read_csv(&data_dir().join(format!("{name}.csv"))))
    }

    pub fn from_csv(csv: &Csv) -> Table {
        let mut cols = Vec::new();
        for i in 0..csv.header.len() {
            let typed = csv.typed_column(i);
            let numeric = typed
                .iter()
                .all(|v| matches!(v, Value::Number(_) | Value::Missing));
            cols.push(if numeric {
                Col::Num(
                    typed
                        .iter()
                        .map(|v| match v {
                            Value::Number(x) => *x,
                            _ => f64::NAN,
                        })
                        .collect(),
                )
            } else {
                Col::Text(
                    typed
                        .iter()
                        .map(|v| match v {
                            Value::Missing => None,
                            v => Some(v.to_string()),
                        })
                        .collect(),
                )
            });
        }
        Table {
            names: csv.header.clone(),
            cols,
            n: csv.rows.len(),
        }
    }

    pub fn frame(&self) -> Frame<'_> {
        Frame {
            columns: self
                .names
                .iter()
                .zip(&self.cols)
                .map(|(n, c)| {
                    (
                        n.clone(),
                        match c {
                            Col::Num(v) => ColumnData::Numeric(v),
                            Col::Text(v) => {
                                ColumnData::Text(v.iter().map(Option::as_deref).collect())
                            }
                        },
                    )
                })
                .collect(),
            n_rows: self.n,
        }
    }

    pub fn col(&self, name: &str) -> &Col {
        &self.cols[self.names.iter().position(|n| n == name).unwrap()]
    }

    /// Blanks the cells of `column` in the rows `row % every == offset`.
    pub fn blank(&mut self, column: &str, every: usize, offset: usize) {
        let i = self.names.iter().position(|n| n == column).unwrap();
        match &mut self.cols[i] {
            Col::Num(v) => {
                for (r, x) in v.iter_mut().enumerate() {
                    if r % every == offset {
                        *x = f64::NAN;
                    }
                }
            }
            Col::Text(v) => {
                for (r, x) in v.iter_mut().enumerate() {
                    if r % every == offset {
                        *x = None;
                    }
                }
            }
        }
    }

    /// The cells of row `r` (`None` for missing values).
    fn row(&self, r: usize) -> Vec<Option<String>> {
        self.cols
            .iter()
            .map(|c| match c {
                Col::Num(v) if v[r].is_nan() => None,
                // integral values without a fraction, so that they read in
                // integer fields
                Col::Num(v) if v[r].fract() == 0.0 && v[r].abs() < 1e15 => {
                    Some(format!("{}", v[r] as i64))
                }
                Col::Num(v) => Some(format!("{:?}", v[r])),
                Col::Text(v) => v[r].clone(),
            })
            .collect()
    }

    /// The table as CSV text (empty cells for missing values).
    pub fn to_csv(&self) -> String {
        let mut s = self.names.join(",");
        s.push('\n');
        for r in 0..self.n {
            let cells: Vec<String> = self
                .row(r)
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        s
    }

    /// As a `Csv` for the evaluator helpers.
    pub fn csv(&self) -> Csv {
        Csv {
            header: self.names.clone(),
            rows: (0..self.n).map(|r| self.row(r)).collect(),
        }
    }

    /// The schema of the raw input columns (every column except `label`).
    pub fn inputs(&self, label: Option<&str>) -> Vec<InputField> {
        self.names
            .iter()
            .zip(&self.cols)
            .filter(|(n, _)| Some(n.as_str()) != label)
            .map(|(n, c)| InputField {
                name: n.clone(),
                data_type: match c {
                    Col::Num(_) => DataType::Double,
                    Col::Text(_) => DataType::String,
                },
            })
            .collect()
    }

    /// Replaces columns as a preprocessing stage does: each transformed
    /// column replaces its input in place (one-hot indicators take its
    /// position).
    pub fn replaced(&self, stage: &Fitted) -> Table {
        let frame = self.frame();
        let (inputs, out): (Vec<String>, Vec<(String, pai_ml::OwnedColumn)>) = match stage {
            Fitted::Standard(m) => (m.columns.clone(), m.transform(&frame).unwrap()),
            Fitted::MinMax(m) => (m.columns.clone(), m.transform(&frame).unwrap()),
            Fitted::Imputer(m) => (m.columns.clone(), m.transform(&frame).unwrap()),
            Fitted::OneHot(m) => (
                m.columns.iter().map(|c| c.column.clone()).collect(),
                m.transform(&frame).unwrap(),
            ),
            _ => panic!("not a preprocessing stage"),
        };
        let mut names = Vec::new();
        let mut cols = Vec::new();
        for (name, col) in self.names.iter().zip(&self.cols) {
            if !inputs.contains(name) {
                names.push(name.clone());
                cols.push(col.clone());
                continue;
            }
            let prefix_match = |o: &str| match stage {
                Fitted::OneHot(m) => {
                    let c = m.columns.iter().find(|c| &c.column == name).unwrap();
                    c.categories.iter().any(|cat| o == format!("{name}_{cat}"))
                }
                _ => o == name,
            };
            for (o, c) in out.iter().filter(|(o, _)| prefix_match(o)) {
                names.push(o.clone());
                cols.push(match c {
                    pai_ml::OwnedColumn::Numeric(v) => Col::Num(v.clone()),
                    pai_ml::OwnedColumn::Text(v) => Col::Text(v.clone()),
                });
            }
        }
        Table {
            names,
            cols,
            n: self.n,
        }
    }
}

/// A fitted stage, owned.
pub enum Fitted {
    Standard(pai_ml::StandardScalerModel),
    MinMax(pai_ml::MinMaxScalerModel),
    OneHot(pai_ml::OneHotEncoderModel),
    Imputer(pai_ml::ImputerModel),
    Lr(pai_ml::LogisticRegressionModel),
    Linear(pai_ml::LinearRegressionModel),
    Svm(pai_ml::LinearSvmModel),
    Tree(pai_ml::DecisionTree),
    GbdtC(pai_ml::GbdtBinaryClassifier),
    GbdtR(pai_ml::GbdtRegressor),
    KMeans(pai_ml::KMeansModel),
    Nb(pai_ml::NaiveBayesModel),
}

impl Fitted {
    pub fn stage(&self) -> Stage<'_> {
        match self {
            Fitted::Standard(m) => Stage::StandardScaler(m),
            Fitted::MinMax(m) => Stage::MinMaxScaler(m),
            Fitted::OneHot(m) => Stage::OneHotEncoder(m),
            Fitted::Imputer(m) => Stage::Imputer(m),
            Fitted::Lr(m) => Stage::LogisticRegression(m),
            Fitted::Linear(m) => Stage::LinearRegression(m),
            Fitted::Svm(m) => Stage::LinearSvm(m),
            Fitted::Tree(m) => Stage::DecisionTree(m),
            Fitted::GbdtC(m) => Stage::GbdtBinaryClassifier(m),
            Fitted::GbdtR(m) => Stage::GbdtRegressor(m),
            Fitted::KMeans(m) => Stage::KMeans(m),
            Fitted::Nb(m) => Stage::NaiveBayes(m),
        }
    }

    fn predictor(&self) -> &dyn Predictor {
        match self {
            Fitted::Lr(m) => m,
            Fitted::Linear(m) => m,
            Fitted::Svm(m) => m,
            Fitted::Tree(m) => m,
            Fitted::GbdtC(m) => m,
            Fitted::GbdtR(m) => m,
            Fitted::KMeans(m) => m,
            Fitted::Nb(m) => m,
            _ => panic!("not a predictor"),
        }
    }
}

/// A predictive model, which label it needs, and how to fit it.
#[derive(Clone, Copy)]
pub enum Algo {
    Lr,
    Linear,
    Svm,
    TreeGini,
    TreeEntropy3,
    TreeMse,
    GbdtC,
    GbdtR,
    KMeans(pai_ml::KMeansDistance),
    Nb,
}

/// A preprocessing stage to fit.
#[derive(Clone)]
pub enum Pre {
    Standard(Vec<String>),
    MinMax(Vec<String>, f64, f64),
    OneHot(Vec<String>, bool, pai_ml::HandleUnknown),
    Imputer(Vec<String>, pai_ml::ImputeStrategy),
}

fn fit_pre(pre: &Pre, t: &Table) -> Fitted {
    let f = t.frame();
    match pre {
        Pre::Standard(cols) => Fitted::Standard(
            pai_ml::fit_standard_scaler(
                &f,
                &pai_ml::StandardScalerParams {
                    selected_cols: cols.clone(),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        Pre::MinMax(cols, min, max) => Fitted::MinMax(
            pai_ml::fit_min_max_scaler(
                &f,
                &pai_ml::MinMaxScalerParams {
                    selected_cols: cols.clone(),
                    min: *min,
                    max: *max,
                },
            )
            .unwrap(),
        ),
        Pre::OneHot(cols, drop_last, handle_unknown) => Fitted::OneHot(
            pai_ml::fit_one_hot_encoder(
                &f,
                &pai_ml::OneHotEncoderParams {
                    selected_cols: cols.clone(),
                    drop_last: *drop_last,
                    handle_unknown: *handle_unknown,
                },
            )
            .unwrap(),
        ),
        Pre::Imputer(cols, strategy) => Fitted::Imputer(
            pai_ml::fit_imputer(
                &f,
                &pai_ml::ImputerParams {
                    selected_cols: cols.clone(),
                    strategy: *strategy,
                    fill_value: None,
                },
            )
            .unwrap(),
        ),
    }
}

fn fit_algo(algo: Algo, t: &Table, label: Option<&str>, features: &[String]) -> Fitted {
    let f = t.frame();
    let classes = || pai_ml::class_target(&f, label.unwrap()).unwrap();
    let continuous = || pai_ml::continuous_target(&f, label.unwrap()).unwrap();
    match algo {
        Algo::Lr => Fitted::Lr(
            pai_ml::fit_logistic_regression(&f, features, &classes(), &Default::default()).unwrap(),
        ),
        Algo::Linear => Fitted::Linear(
            pai_ml::fit_linear_regression(&f, features, &continuous(), &Default::default())
                .unwrap(),
        ),
        Algo::Svm => Fitted::Svm(
            pai_ml::fit_linear_svm(&f, features, &classes(), &Default::default()).unwrap(),
        ),
        Algo::TreeGini => Fitted::Tree(
            pai_ml::fit_decision_tree(&f, features, &classes(), &Default::default()).unwrap(),
        ),
        Algo::TreeEntropy3 => Fitted::Tree(
            pai_ml::fit_decision_tree(
                &f,
                features,
                &classes(),
                &pai_ml::DecisionTreeParams {
                    criterion: Some(pai_ml::Criterion::Entropy),
                    max_depth: Some(3),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        Algo::TreeMse => Fitted::Tree(
            pai_ml::fit_decision_tree(&f, features, &continuous(), &Default::default()).unwrap(),
        ),
        Algo::GbdtC => Fitted::GbdtC(
            pai_ml::fit_gbdt_binary_classifier(&f, features, &classes(), &gbdt_params()).unwrap(),
        ),
        Algo::GbdtR => Fitted::GbdtR(
            pai_ml::fit_gbdt_regressor(&f, features, &continuous(), &gbdt_params()).unwrap(),
        ),
        Algo::KMeans(distance) => Fitted::KMeans(
            pai_ml::fit_kmeans(
                &f,
                features,
                &pai_ml::KMeansParams {
                    k: 3,
                    distance,
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        Algo::Nb => Fitted::Nb(
            pai_ml::fit_naive_bayes(&f, features, &classes(), &Default::default()).unwrap(),
        ),
    }
}

fn gbdt_params() -> pai_ml::GbdtParams {
    pai_ml::GbdtParams {
        num_trees: 30,
        max_depth: 4,
        min_samples_leaf: 5,
        subsample: 0.8,
        seed: 3,
        ..Default::default()
    }
}

/// An expected output cell.
#[derive(Debug, Clone)]
pub enum Cell {
    /// A class name or cluster id.
    Label(String),
    /// A number.
    Num(f64),
}

/// One exported document with `pai-ml`'s own outputs for its input rows.
pub struct Case {
    pub name: String,
    pub pmml: String,
    /// The raw rows to score (the input of the first stage).
    pub input: Table,
    /// Expected output columns by name.
    pub expected: Vec<(String, Vec<Cell>)>,
}

/// Fits `pre` then `algo` on `data` (the label `label`), exports the
/// pipeline, and predicts every row with `pai-ml`.
pub fn case(name: &str, data: Table, label: Option<&str>, pre: &[Pre], algo: Algo) -> Case {
    case_scoring(name, data.clone(), data, label, pre, algo)
}

/// Like [`case`], fitting on `data` and scoring `score` (the same columns).
pub fn case_scoring(
    name: &str,
    data: Table,
    score: Table,
    label: Option<&str>,
    pre: &[Pre],
    algo: Algo,
) -> Case {
    let mut stages = Vec::new();
    let mut t = data.clone();
    let mut s_t = score.clone();
    for p in pre {
        let s = fit_pre(p, &t);
        t = t.replaced(&s);
        s_t = s_t.replaced(&s);
        stages.push(s);
    }
    let model = fit_algo(algo, &t, label, &[]);
    let out = model.predictor().predict(&s_t.frame()).unwrap();
    let t = s_t;
    stages.push(model);
    let label_type = label.map(|l| match data.col(l) {
        Col::Num(_) => DataType::Integer,
        Col::Text(_) => DataType::String,
    });
    let classes = out.classes.clone();
    let schema = ExportSchema {
        inputs: data.inputs(label),
        label: label.map(|l| LabelField {
            name: l.to_string(),
            data_type: if matches!(algo, Algo::Linear | Algo::TreeMse | Algo::GbdtR) {
                DataType::Double
            } else {
                label_type.unwrap()
            },
            classes: if matches!(algo, Algo::Linear | Algo::TreeMse | Algo::GbdtR) {
                Vec::new()
            } else {
                classes.clone()
            },
        }),
    };
    let stage_refs: Vec<Stage<'_>> = stages.iter().map(Fitted::stage).collect();
    let pmml = export(&stage_refs, &schema).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut expected = Vec::new();
    match &out.values {
        PredictedValues::Labels(codes) => expected.push((
            "prediction_result".to_string(),
            codes
                .iter()
                .map(|&c| Cell::Label(out.classes[c as usize].clone()))
                .collect(),
        )),
        PredictedValues::Numbers(v) => expected.push((
            "prediction_result".to_string(),
            v.iter().map(|&x| Cell::Num(x)).collect(),
        )),
    }
    if let Some(d) = &out.detail {
        let prefix = match algo {
            Algo::Svm => "decision_",
            Algo::KMeans(_) => "distance_",
            _ => "p_",
        };
        let k = d.keys.len();
        for (j, key) in d.keys.iter().enumerate() {
            expected.push((
                format!("{prefix}{key}"),
                (0..t.n).map(|r| Cell::Num(d.values[r * k + j])).collect(),
            ));
        }
    }
    Case {
        name: name.to_string(),
        pmml,
        input: score,
        expected,
    }
}

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// `iris_onehot` with missing cells in a numeric and the text column.
pub fn iris_onehot_gaps() -> Table {
    let mut t = Table::load("iris_onehot");
    t.blank("sepal_length_cm", 7, 3);
    t.blank("petal_size", 11, 5);
    t
}

/// A small table whose row `(0, 0)` scores exactly 0 in a logistic
/// regression without intercept: a tie, which goes to the first class.
pub fn tie_table() -> Table {
    let a: Vec<f64> = vec![0.0, 1.0, 2.0, -1.0, -2.0, 0.5, -0.5, 1.5, 0.0, 3.0, -3.0];
    let b: Vec<f64> = vec![0.0, 0.5, -1.0, 2.0, 0.5, 1.0, -2.0, 0.25, 0.0, 1.0, -1.0];
    let y: Vec<f64> = vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0];
    Table {
        names: cols(&["a", "b", "y"]),
        n: a.len(),
        cols: vec![Col::Num(a), Col::Num(b), Col::Num(y)],
    }
}

/// Every case: each model class on a real dataset, and pipelines.
pub fn cases() -> Vec<Case> {
    use pai_ml::{HandleUnknown, ImputeStrategy, KMeansDistance};
    let bc = || Table::load("breast_cancer");
    let iris = || Table::load("iris");
    let diabetes = || Table::load("diabetes");
    let bc_features: Vec<String> = bc()
        .names
        .iter()
        .filter(|n| *n != "diagnosis")
        .cloned()
        .collect();
    let mut out = vec![
        case("lr_binary", bc(), Some("diagnosis"), &[], Algo::Lr),
        case("lr_multinomial", iris(), Some("species"), &[], Algo::Lr),
        case(
            "linear_regression",
            diabetes(),
            Some("progression"),
            &[],
            Algo::Linear,
        ),
        case("svm_binary", bc(), Some("diagnosis"), &[], Algo::Svm),
        case("svm_multiclass", iris(), Some("species"), &[], Algo::Svm),
        case(
            "tree_classifier",
            bc(),
            Some("diagnosis"),
            &[],
            Algo::TreeGini,
        ),
        case(
            "tree_classifier_entropy",
            iris(),
            Some("species"),
            &[],
            Algo::TreeEntropy3,
        ),
        case(
            "tree_regressor",
            diabetes(),
            Some("progression"),
            &[],
            Algo::TreeMse,
        ),
        case("gbdt_binary", bc(), Some("diagnosis"), &[], Algo::GbdtC),
        case(
            "gbdt_regressor",
            diabetes(),
            Some("progression"),
            &[],
            Algo::GbdtR,
        ),
        case(
            "kmeans_euclidean",
            iris(),
            None,
            &[],
            Algo::KMeans(KMeansDistance::Euclidean),
        ),
        case(
            "kmeans_cosine",
            iris(),
            None,
            &[],
            Algo::KMeans(KMeansDistance::Cosine),
        ),
        case(
            "naive_bayes_gaussian",
            bc(),
            Some("diagnosis"),
            &[],
            Algo::Nb,
        ),
        case(
            "naive_bayes_mixed",
            Table::load("iris_onehot"),
            Some("is_virginica"),
            &[],
            Algo::Nb,
        ),
        case(
            "scaler_lr",
            bc(),
            Some("diagnosis"),
            &[Pre::Standard(bc_features.clone())],
            Algo::Lr,
        ),
        case(
            "min_max_svm",
            bc(),
            Some("diagnosis"),
            &[Pre::MinMax(bc_features.clone(), -1.0, 2.0)],
            Algo::Svm,
        ),
        case(
            "scaler_gbdt",
            bc(),
            Some("diagnosis"),
            &[
                Pre::Standard(bc_features),
                Pre::MinMax(Vec::new(), 0.0, 1.0),
            ],
            Algo::GbdtC,
        ),
        case(
            "imputer_one_hot_tree",
            iris_onehot_gaps(),
            Some("is_virginica"),
            &[
                Pre::Imputer(cols(&["sepal_length_cm"]), ImputeStrategy::Mean),
                Pre::Imputer(cols(&["petal_size"]), ImputeStrategy::MostFrequent),
                Pre::OneHot(cols(&["petal_size"]), false, HandleUnknown::Error),
            ],
            Algo::TreeGini,
        ),
        case_scoring(
            "one_hot_ignore_lr",
            Table::load("iris_onehot"),
            iris_onehot_gaps(),
            Some("is_virginica"),
            &[
                Pre::Imputer(cols(&["sepal_length_cm"]), ImputeStrategy::Median),
                Pre::OneHot(cols(&["petal_size"]), true, HandleUnknown::Ignore),
                Pre::Standard(cols(&[
                    "sepal_length_cm",
                    "petal_size_large",
                    "petal_size_medium",
                ])),
            ],
            Algo::Lr,
        ),
        case(
            "one_hot_kmeans",
            Table::load("iris_onehot"),
            None,
            &[Pre::OneHot(
                cols(&["petal_size"]),
                false,
                HandleUnknown::Error,
            )],
            Algo::KMeans(KMeansDistance::Euclidean),
        ),
        case(
            "imputer_naive_bayes",
            iris_onehot_gaps(),
            Some("is_virginica"),
            &[Pre::Imputer(
                cols(&["sepal_length_cm", "petal_size"]),
                ImputeStrategy::MostFrequent,
            )],
            Algo::Nb,
        ),
    ];
    // The tie case: refit without intercept so that row (0, 0) scores 0.
    let t = tie_table();
    let f = t.frame();
    let target = pai_ml::class_target(&f, "y").unwrap();
    let lr = pai_ml::fit_logistic_regression(
        &f,
        &[],
        &target,
        &pai_ml::LogisticRegressionParams {
            fit_intercept: false,
            ..Default::default()
        },
    )
    .unwrap();
    let p = lr.predict(&f).unwrap();
    let PredictedValues::Labels(codes) = &p.values else {
        unreachable!()
    };
    assert_eq!(codes[0], 0, "a tie at z = 0 is classes[0] in pai-ml");
    let schema = ExportSchema {
        inputs: t.inputs(Some("y")),
        label: None,
    };
    let pmml = export(&[Stage::LogisticRegression(&lr)], &schema).unwrap();
    let d = p.detail.as_ref().unwrap();
    out.push(Case {
        name: "lr_tie".into(),
        pmml,
        input: t.clone(),
        expected: vec![
            (
                "prediction_result".into(),
                codes
                    .iter()
                    .map(|&c| Cell::Label(p.classes[c as usize].clone()))
                    .collect(),
            ),
            (
                "p_0".into(),
                (0..t.n).map(|r| Cell::Num(d.values[2 * r])).collect(),
            ),
            (
                "p_1".into(),
                (0..t.n).map(|r| Cell::Num(d.values[2 * r + 1])).collect(),
            ),
        ],
    });
    out.push(typed_inputs_case());
    out
}

/// Boolean and integer inputs (the boolean read as 0/1, the integer
/// column imputed) in front of a logistic regression.
pub fn typed_inputs_case() -> Case {
    let n = 40;
    let flag: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i % 3 == 0))).collect();
    let count: Vec<f64> = (0..n)
        .map(|i| {
            if i % 7 == 2 {
                f64::NAN
            } else {
                f64::from((i * 5) % 9)
            }
        })
        .collect();
    let x: Vec<f64> = (0..n).map(|i| f64::from(i) * 0.37 - 4.0).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| f64::from(u8::from((i * 7) % 5 < 2 || i % 3 == 0)))
        .collect();
    let data = Table {
        names: cols(&["flag", "count", "x", "y"]),
        n: n as usize,
        cols: vec![
            Col::Num(flag.clone()),
            Col::Num(count),
            Col::Num(x),
            Col::Num(y),
        ],
    };
    let imputer = fit_pre(
        &Pre::Imputer(cols(&["count"]), pai_ml::ImputeStrategy::Mean),
        &data,
    );
    let t = data.replaced(&imputer);
    let f = t.frame();
    let target = pai_ml::class_target(&f, "y").unwrap();
    let lr = pai_ml::fit_logistic_regression(&f, &[], &target, &Default::default()).unwrap();
    let p = lr.predict(&f).unwrap();
    let schema = ExportSchema {
        inputs: vec![
            InputField {
                name: "flag".into(),
                data_type: DataType::Boolean,
            },
            InputField {
                name: "count".into(),
                data_type: DataType::Integer,
            },
            InputField {
                name: "x".into(),
                data_type: DataType::Double,
            },
        ],
        label: Some(LabelField {
            name: "y".into(),
            data_type: DataType::Integer,
            classes: p.classes.clone(),
        }),
    };
    let pmml = export(&[imputer.stage(), Stage::LogisticRegression(&lr)], &schema).unwrap();
    let PredictedValues::Labels(codes) = &p.values else {
        unreachable!()
    };
    let d = p.detail.as_ref().unwrap();
    let mut input = data.clone();
    input.cols[0] = Col::Text(
        flag.iter()
            .map(|v| Some(if *v == 1.0 { "true" } else { "false" }.to_string()))
            .collect(),
    );
    Case {
        name: "typed_inputs".into(),
        pmml,
        input,
        expected: vec![
            (
                "prediction_result".into(),
                codes
                    .iter()
                    .map(|&c| Cell::Label(p.classes[c as usize].clone()))
                    .collect(),
            ),
            (
                "p_0".into(),
                (0..t.n).map(|r| Cell::Num(d.values[2 * r])).collect(),
            ),
            (
                "p_1".into(),
                (0..t.n).map(|r| Cell::Num(d.values[2 * r + 1])).collect(),
            ),
        ],
    }
}

/// Compares a scorer's output (header and rows of text cells; empty is
/// missing) with the case's expectations; returns the mismatches.
pub fn compare(case: &Case, header: &[String], rows: &[Vec<Option<String>>]) -> Vec<String> {
    let mut bad = Vec::new();
    if rows.len() != case.input.n {
        bad.push(format!(
            "{}: {} rows scored, expected {}",
            case.name,
            rows.len(),
            case.input.n
        ));
        return bad;
    }
    for (col, cells) in &case.expected {
        let Some(i) = header.iter().position(|h| h == col) else {
            bad.push(format!("{}: no column `{col}` in {header:?}", case.name));
            continue;
        };
        for (r, want) in cells.iter().enumerate() {
            let got = rows[r].get(i).cloned().flatten();
            let ok = match (want, got.as_deref()) {
                (_, None) => false,
                (Cell::Num(w), Some(g)) => g.parse::<f64>().is_ok_and(|g| (g - w).abs() <= 1e-9),
                (Cell::Label(w), Some(g)) => same_label(w, g),
            };
            if !ok && bad.len() < 10 {
                bad.push(format!(
                    "{} row {r} column `{col}`: got {got:?}, pai-ml says {want:?}",
                    case.name
                ));
            }
        }
    }
    bad
}

/// Labels are equal as text, as numbers (`1` and `1.0`), or as booleans.
fn same_label(want: &str, got: &str) -> bool {
    let norm = |s: &str| match s {
        "true" => "1".to_string(),
        "false" => "0".to_string(),
        s => s.to_string(),
    };
    let (w, g) = (norm(want), norm(got));
    w == g || matches!((w.parse::<f64>(), g.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}
