//! PMML export: writes `pai-ml`'s fitted models, alone or behind
//! preprocessing stages, as PMML 4.4 documents
//! (namespace `http://www.dmg.org/PMML-4_4`) that score like `pai-ml`.
//!
//! [`export`] takes the stages in apply order — zero or more preprocessing
//! stages and exactly one predictive model last — and an [`ExportSchema`]
//! (the raw input fields with their types, and the label). The document has
//! a `DataDictionary` of the fields the model reads (plus the label, with
//! its classes) and one model element whose `MiningSchema` marks the
//! inputs `active` and the label `target`; the preprocessing stages are
//! `DerivedField`s at the head of the model's `LocalTransformations` (as
//! sklearn2pmml writes them; JPMML does not resolve a
//! `TransformationDictionary` field from a nested segment's model).
//!
//! # Models
//!
//! | stage | PMML |
//! |---|---|
//! | `LogisticRegressionModel`, binary | `RegressionModel`, `normalizationMethod="logit"`: the table of `classes[0]` holds `-w`, `-b`, the other is empty |
//! | `LogisticRegressionModel`, multinomial | `RegressionModel`, `normalizationMethod="softmax"`, a table per class |
//! | `LinearRegressionModel` | `RegressionModel`, `functionName="regression"` |
//! | `LinearSvmModel` | `TreeModel`: each class's decision value `b + Σ w·x` is a local `DerivedField` (summed in `pai-ml`'s order), the leaves pick the largest (`f > 0` for two classes) |
//! | `DecisionTree` | `TreeModel` (`binarySplit`: `x <= t` left, the rest right), leaves with `recordCount`s and, for classes, `ScoreDistribution`s with their probabilities |
//! | `GbdtRegressor` | `MiningModel` summing one `TreeModel` per tree (the base score is folded into the first tree's leaves, so the sum runs in `pai-ml`'s order) |
//! | `GbdtBinaryClassifier` | `MiningModel` `modelChain`: the sum above, then a `logit` `RegressionModel` on it, which carries the output fields |
//! | `KMeansModel` | `ClusteringModel` (`euclidean`); cosine k-means clusters unit-length inputs around unit-length centres (`squaredEuclidean`, which is `2 - 2·cos`) and outputs `1 - cos` from local derived fields |
//! | `NaiveBayesModel` | `NaiveBayesModel`: `GaussianDistribution` per class for numeric features, Laplace-smoothed `PairCounts` for text |
//! | `StandardScalerModel` | `Apply` `(x - mean) / scale` |
//! | `MinMaxScalerModel` | `Apply` `x * scale + offset`, with `pai-ml`'s `scale` and `offset` |
//! | `OneHotEncoderModel` | one `NormDiscrete` per indicator |
//! | `ImputerModel` | `Apply` `if(isMissing(x), fill, x)` |
//!
//! A stage replaces columns in place in `pai-ml`; here every transformed
//! column becomes a new `DerivedField` (`standard_scaler(x)`,
//! `imputer(x)`, `<column>_<category>` for one-hot indicators, with `#2`,
//! … appended when a name is taken), and later stages and the model read
//! that field. Fields no stage or model reads are left out.
//!
//! The scalers are `Apply` expressions rather than `NormContinuous`:
//! `NormContinuous` evaluates `b1 + (x - a1) / (a2 - a1) · (b2 - b1)`, which
//! cannot reproduce `(x - mean) / scale` bit for bit, and a one-ulp
//! difference sends rows that lie exactly on a tree threshold down the
//! other branch.
//!
//! # Output fields
//!
//! Besides the target (the label for supervised models), every document
//! declares these `Output` fields:
//!
//! | model | fields |
//! |---|---|
//! | classifiers (logistic regression, tree, GBDT, naive Bayes) | `prediction_result` (the predicted class, typed like the label) and `p_<class>` (the probability of each class, in class order; PAI Designer's naming) |
//! | `linear_svm` | `prediction_result` and `decision_<class>`: each class's decision value (for two classes `-f` and `f`), a margin, not a probability — what `predict` puts in `prediction_detail` |
//! | regressors | `prediction_result` (a double) |
//! | `kmeans` | `prediction_result` (the cluster id, `0`..`k-1`, a string) and `distance_<id>` (the distance to each centre: Euclidean, or `1 - cos` for cosine k-means) |
//!
//! Ties between classes go to the first class, as in `pai-ml`; that is why
//! a binary logistic regression's (and the GBDT's) first table belongs to
//! `classes[0]`.
//!
//! Unseen categories and missing values: a one-hot encoder reading a raw
//! input declares the categories as the field's valid values; with
//! `handle_unknown: error` an unseen or missing value is invalid (an error,
//! as in `pai-ml`), with `ignore` every indicator is 0. A naive Bayes text
//! feature treats an unseen category as missing (the feature is skipped,
//! as in `pai-ml`).
//!
//! Input types: `double` and `integer` fields are continuous, `string`
//! fields categorical; a `boolean` input (which `pai-ml` reads as 0/1) is
//! read through a derived `double(<name>)` = `if(b, 1, 0)`, since PMML does
//! no arithmetic on booleans.
//!
//! Numbers are written in Rust's shortest round-trip form, so every
//! parameter reads back bit-exactly; a non-finite parameter is an error.
//! The output is deterministic (no timestamp).
//!
//! What cannot match `pai-ml` exactly: a naive Bayes Gaussian density that
//! underflows below the model's `threshold` (PMML floors it there; `pai-ml`
//! works with logarithms), and inputs exactly on a tie between classes in
//! the last bit, where PMML's summation order differs from `pai-ml`'s
//! (sums are written in `pai-ml`'s order wherever PMML lets them be).

mod fields;
mod gbdt;
mod kmeans;
mod linear;
mod model;
mod naive_bayes;
mod preprocess;
mod tree;
mod writer;

use fields::Fields;
pub(crate) use model::{Model, apply, constant, field_ref, mining_field, real_array};
use writer::El;

use crate::error::PmmlError;
use crate::value::DataType;

/// The PMML namespace of the documents written.
pub const NAMESPACE: &str = "http://www.dmg.org/PMML-4_4";

/// The output field holding the predicted class, value or cluster id.
pub const PREDICTION_FIELD: &str = "prediction_result";

/// One stage of a pipeline to export, borrowing a fitted `pai-ml` model.
#[derive(Debug, Clone, Copy)]
pub enum Stage<'a> {
    /// A `standard_scaler` stage.
    StandardScaler(&'a pai_ml::StandardScalerModel),
    /// A `min_max_scaler` stage.
    MinMaxScaler(&'a pai_ml::MinMaxScalerModel),
    /// A `one_hot_encoder` stage.
    OneHotEncoder(&'a pai_ml::OneHotEncoderModel),
    /// An `imputer` stage.
    Imputer(&'a pai_ml::ImputerModel),
    /// A logistic regression (binary or multinomial).
    LogisticRegression(&'a pai_ml::LogisticRegressionModel),
    /// A linear regression.
    LinearRegression(&'a pai_ml::LinearRegressionModel),
    /// A linear SVM.
    LinearSvm(&'a pai_ml::LinearSvmModel),
    /// A decision tree (classifier or regressor).
    DecisionTree(&'a pai_ml::DecisionTree),
    /// A GBDT binary classifier.
    GbdtBinaryClassifier(&'a pai_ml::GbdtBinaryClassifier),
    /// A GBDT regressor.
    GbdtRegressor(&'a pai_ml::GbdtRegressor),
    /// A k-means clustering.
    KMeans(&'a pai_ml::KMeansModel),
    /// A naive Bayes classifier.
    NaiveBayes(&'a pai_ml::NaiveBayesModel),
}

impl Stage<'_> {
    /// The component that produces this kind of model.
    pub fn component(&self) -> &'static str {
        match self {
            Stage::StandardScaler(_) => "standard_scaler",
            Stage::MinMaxScaler(_) => "min_max_scaler",
            Stage::OneHotEncoder(_) => "one_hot_encoder",
            Stage::Imputer(_) => "imputer",
            Stage::LogisticRegression(_) => "logistic_regression",
            Stage::LinearRegression(_) => "linear_regression",
            Stage::LinearSvm(_) => "linear_svm",
            Stage::DecisionTree(_) => "decision_tree",
            Stage::GbdtBinaryClassifier(_) => "gbdt_binary_classifier",
            Stage::GbdtRegressor(_) => "gbdt_regressor",
            Stage::KMeans(_) => "kmeans",
            Stage::NaiveBayes(_) => "naive_bayes",
        }
    }

    /// Whether the stage is a predictive model (not a preprocessing stage).
    pub fn is_predictor(&self) -> bool {
        !matches!(
            self,
            Stage::StandardScaler(_)
                | Stage::MinMaxScaler(_)
                | Stage::OneHotEncoder(_)
                | Stage::Imputer(_)
        )
    }

    /// What the model predicts: `None` for a preprocessing stage.
    fn task(&self) -> Option<Task<'_>> {
        Some(match self {
            Stage::LogisticRegression(m) => Task::Classes(&m.label, &m.classes),
            Stage::LinearSvm(m) => Task::Classes(&m.label, &m.classes),
            Stage::DecisionTree(pai_ml::DecisionTree::Classifier(m)) => {
                Task::Classes(&m.label, &m.classes)
            }
            Stage::GbdtBinaryClassifier(m) => Task::Classes(&m.label, &m.classes),
            Stage::NaiveBayes(m) => Task::Classes(&m.label, &m.classes),
            Stage::LinearRegression(m) => Task::Value(&m.label),
            Stage::DecisionTree(pai_ml::DecisionTree::Regressor(m)) => Task::Value(&m.label),
            Stage::GbdtRegressor(m) => Task::Value(&m.label),
            Stage::KMeans(_) => Task::Clusters,
            _ => return None,
        })
    }
}

/// What a predictive model outputs.
enum Task<'m> {
    /// Classes of the label column.
    Classes(&'m str, &'m [String]),
    /// A continuous value of the label column.
    Value(&'m str),
    /// Cluster ids.
    Clusters,
}

/// An input field of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct InputField {
    /// The column name.
    pub name: String,
    /// Its type: `Double`, `Integer`, `String` or `Boolean`.
    pub data_type: DataType,
}

/// The label a supervised model was trained on.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelField {
    /// The label column.
    pub name: String,
    /// Its type; classes are written as values of this type (a boolean
    /// label's classes `0`/`1` become `false`/`true`). Ignored for
    /// regressors, whose target is always a double.
    pub data_type: DataType,
    /// The class names in `pai-ml`'s order (empty for regressors, or to take
    /// them from the model).
    pub classes: Vec<String>,
}

/// The fields of a document: the pipeline's raw inputs and the label.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportSchema {
    /// The raw input fields the stages and the model read (extra ones are
    /// left out of the document).
    pub inputs: Vec<InputField>,
    /// The label; when `None`, a supervised model's label name and classes
    /// come from the model, typed `integer` when every class is an
    /// integer, `double` when every class is a number, else `string`.
    pub label: Option<LabelField>,
}

/// Writes `stages` (preprocessing stages in apply order, then one
/// predictive model) as a PMML 4.4 document.
///
/// Errors ([`PmmlError::Export`]): no stage, a predictive model before the
/// last stage or a preprocessing stage last, a column that no input or
/// earlier stage provides (or of the wrong kind), a label that differs
/// from the model's, clashing field names, and model parameters that PMML
/// cannot carry (non-finite numbers, a zero Gaussian variance, ...).
pub fn export(stages: &[Stage<'_>], schema: &ExportSchema) -> Result<String, PmmlError> {
    let Some((model, pre)) = stages.split_last() else {
        return Err(err(
            "there is no stage to export; give at least a predictive model",
        ));
    };
    if let Some((i, s)) = pre.iter().enumerate().find(|(_, s)| s.is_predictor()) {
        return Err(err(format!(
            "stage {} (`{}`) is a predictive model, but only the last stage may be one",
            i + 1,
            s.component()
        )));
    }
    let Some(task) = model.task() else {
        return Err(err(format!(
            "the last stage, `{}`, is a preprocessing stage; a document ends with a predictive model",
            model.component()
        )));
    };
    let label = Label::new(&task, schema, model.component())?;
    let reserved = output_names(model, label.as_ref());
    let mut fields = Fields::new(&schema.inputs, label.as_ref(), &reserved)?;
    for stage in pre {
        preprocess::apply_stage(stage, &mut fields)?;
    }
    let built = match model {
        Stage::LogisticRegression(m) => linear::logistic(m, &mut fields, req(&label)?)?,
        Stage::LinearRegression(m) => linear::linear_regression(m, &mut fields, req(&label)?)?,
        Stage::LinearSvm(m) => linear::svm(m, &mut fields, req(&label)?)?,
        Stage::DecisionTree(pai_ml::DecisionTree::Classifier(m)) => {
            tree::classifier(m, &mut fields, req(&label)?)?
        }
        Stage::DecisionTree(pai_ml::DecisionTree::Regressor(m)) => {
            tree::regressor(m, &mut fields, req(&label)?)?
        }
        Stage::GbdtBinaryClassifier(m) => gbdt::classifier(m, &mut fields, req(&label)?)?,
        Stage::GbdtRegressor(m) => gbdt::regressor(m, &mut fields, req(&label)?)?,
        Stage::KMeans(m) => kmeans::kmeans(m, &mut fields)?,
        Stage::NaiveBayes(m) => naive_bayes::naive_bayes(m, &mut fields, req(&label)?)?,
        _ => return Err(err("internal: a preprocessing stage as the model")),
    };
    document(stages, built, &fields, label.as_ref())
}

/// The label of a supervised model; the builders of supervised models
/// need one.
fn req(label: &Option<Label>) -> Result<&Label, PmmlError> {
    label
        .as_ref()
        .ok_or_else(|| err("a supervised model needs a label"))
}

/// The label of the exported model as PMML writes it.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    /// The label column (the target field).
    pub name: String,
    /// PMML data type of the target.
    pub data_type: DataType,
    /// The class names (`pai-ml`'s), empty for a regression.
    pub classes: Vec<String>,
    /// The classes as PMML values of `data_type`.
    pub values: Vec<String>,
}

impl Label {
    fn new(
        task: &Task<'_>,
        schema: &ExportSchema,
        component: &str,
    ) -> Result<Option<Self>, PmmlError> {
        let given = schema.label.as_ref();
        let (name, classes) = match task {
            Task::Clusters => return Ok(None),
            Task::Value(name) => (*name, &[][..]),
            Task::Classes(name, classes) => (*name, *classes),
        };
        if let Some(g) = given
            && g.name != name
        {
            return Err(err(format!(
                "the schema's label is `{}` but the `{component}` model was trained on `{name}`",
                g.name
            )));
        }
        if matches!(task, Task::Value(_)) {
            return Ok(Some(Label {
                name: name.to_string(),
                data_type: DataType::Double,
                classes: Vec::new(),
                values: Vec::new(),
            }));
        }
        if let Some(g) = given
            && !g.classes.is_empty()
            && g.classes != classes
        {
            return Err(err(format!(
                "the schema's label classes ({}) differ from the `{component}` model's ({})",
                g.classes.join(", "),
                classes.join(", ")
            )));
        }
        let data_type = match given {
            Some(g) => g.data_type,
            None if classes.iter().all(|c| c.parse::<i64>().is_ok()) => DataType::Integer,
            None if classes.iter().all(|c| c.parse::<f64>().is_ok()) => DataType::Double,
            None => DataType::String,
        };
        let values = classes
            .iter()
            .map(|c| class_value(c, data_type, name))
            .collect::<Result<_, _>>()?;
        Ok(Some(Label {
            name: name.to_string(),
            data_type,
            classes: classes.to_vec(),
            values,
        }))
    }
}

/// A class name as a PMML value of the label's type.
fn class_value(class: &str, dt: DataType, label: &str) -> Result<String, PmmlError> {
    let bad = || {
        err(format!(
            "class `{class}` of label `{label}` is not a valid {}",
            dt.as_str()
        ))
    };
    match dt {
        DataType::Boolean => match class {
            "0" | "false" => Ok("false".into()),
            "1" | "true" => Ok("true".into()),
            _ => Err(bad()),
        },
        DataType::Integer => class
            .parse::<i64>()
            .map(|_| class.to_string())
            .map_err(|_| bad()),
        DataType::Double | DataType::Float => class
            .parse::<f64>()
            .map(|_| class.to_string())
            .map_err(|_| bad()),
        DataType::String => Ok(class.to_string()),
    }
}

/// The name of the probability output of `class`.
pub(crate) fn probability_name(class: &str) -> String {
    format!("p_{class}")
}

/// The name of the decision-value output of `class` (linear SVM).
pub(crate) fn decision_name(class: &str) -> String {
    format!("decision_{class}")
}

/// The name of the distance output of cluster `id`.
pub(crate) fn distance_name(id: usize) -> String {
    format!("distance_{id}")
}

/// The output field names of the model, reserved before anything else is
/// named.
fn output_names(model: &Stage<'_>, label: Option<&Label>) -> Vec<String> {
    let mut names = vec![PREDICTION_FIELD.to_string()];
    match (model, label) {
        (Stage::KMeans(m), _) => names.extend((0..m.centers.len()).map(distance_name)),
        (Stage::LinearSvm(_), Some(l)) => names.extend(l.classes.iter().map(|c| decision_name(c))),
        (_, Some(l)) => names.extend(l.classes.iter().map(|c| probability_name(c))),
        (_, None) => {}
    }
    names
}

/// The `prediction_result` output field of a supervised model.
pub(crate) fn prediction_output(label: &Label) -> El {
    let optype = if label.classes.is_empty() {
        "continuous"
    } else {
        "categorical"
    };
    El::new("OutputField")
        .attr("name", PREDICTION_FIELD)
        .attr("optype", optype)
        .attr("dataType", label.data_type.as_str())
        .attr("feature", "predictedValue")
}

/// `prediction_result` and one `p_<class>` per class.
pub(crate) fn class_outputs(label: &Label) -> Vec<El> {
    let mut out = vec![prediction_output(label)];
    for (class, value) in label.classes.iter().zip(&label.values) {
        out.push(
            El::new("OutputField")
                .attr("name", probability_name(class))
                .attr("optype", "continuous")
                .attr("dataType", "double")
                .attr("feature", "probability")
                .attr("value", value),
        );
    }
    out
}

/// Assembles the document around the finished model.
fn document(
    stages: &[Stage<'_>],
    built: Model,
    fields: &Fields,
    label: Option<&Label>,
) -> Result<String, PmmlError> {
    let needed = fields.needed(&built.refs);
    let label_name = label.map(|l| l.name.as_str());
    if let Some(l) = label_name
        && needed.raw.iter().any(|r| r.name == l)
    {
        return Err(err(format!(
            "the model reads its own label `{l}` as an input"
        )));
    }
    let mut dd = El::new("DataDictionary");
    let mut ms = El::new("MiningSchema");
    for r in &needed.raw {
        let mut mf = mining_field(&r.name, "active");
        if let Some(t) = r.invalid {
            mf = mf.attr("invalidValueTreatment", t);
        }
        if let Some(t) = r.missing {
            mf = mf.attr("missingValueTreatment", t);
        }
        ms.push(mf);
    }
    let label_field = fields.label();
    let mut dd_fields: Vec<El> = Vec::new();
    for r in &needed.raw {
        dd_fields.push(r.data_field(false));
    }
    if let (Some(l), Some(lf)) = (label, label_field) {
        dd_fields.push(lf.data_field(!l.classes.is_empty()));
        ms.push(mining_field(&l.name, "target"));
    }
    dd = dd
        .attr("numberOfFields", dd_fields.len().to_string())
        .children(dd_fields);
    let description = stages
        .iter()
        .map(Stage::component)
        .collect::<Vec<_>>()
        .join(" -> ");
    let mut root = El::new("PMML")
        .attr("xmlns", NAMESPACE)
        .attr("version", "4.4")
        .child(
            El::new("Header").attr("description", description).child(
                El::new("Application")
                    .attr("name", "pai-engine")
                    .attr("version", env!("CARGO_PKG_VERSION")),
            ),
        )
        .child(dd);
    // The stages' fields go first in the model's `LocalTransformations`
    // (not a `TransformationDictionary`, which JPMML does not resolve from
    // the nested models of a GBDT), before the model's own.
    let mut built = built;
    let mut local = needed.derived;
    local.append(&mut built.local);
    built.local = local;
    root.push(built.finish(ms));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    root.write(&mut out, 0)?;
    Ok(out)
}

/// An export error.
pub(crate) fn err(message: impl Into<String>) -> PmmlError {
    PmmlError::Export {
        message: message.into(),
    }
}

/// The PMML field of each feature of a numeric model, recording the reads.
pub(crate) fn numeric_features(
    features: &[String],
    fields: &Fields,
    model: &mut Model,
    component: &str,
) -> Result<Vec<String>, PmmlError> {
    features
        .iter()
        .map(|f| {
            let name = fields.numeric(f, component)?;
            model.read(&name);
            Ok(name)
        })
        .collect()
}

/// Checks that a model's parameter vectors have the expected lengths.
pub(crate) fn check_len(
    what: &str,
    got: usize,
    want: usize,
    component: &str,
) -> Result<(), PmmlError> {
    if got != want {
        return Err(err(format!(
            "the `{component}` model is inconsistent: {what} has {got} entries, expected {want}"
        )));
    }
    Ok(())
}
