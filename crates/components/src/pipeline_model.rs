//! [`PipelineModel`]: up to four stored models applied in order —
//! preprocessing stages, then at most one predictive model, last — kept
//! as one model in the original format. Owns the rules that make a chain
//! valid and the columns it reads.

use serde::{Deserialize, Serialize};

use crate::fitted_model::FittedModel;
use crate::model_file::{FieldInfo, LoadedModel};

/// The most stages a pipeline model holds.
pub const MAX_STAGES: usize = 4;

/// A chain of stored models, each with its own metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineModel {
    /// The stages in apply order.
    pub stages: Vec<LoadedModel>,
}

impl PipelineModel {
    /// Checks a chain: 1 to 4 stages, no nested pipelines, a predictive
    /// model only last, and each preprocessing stage's output columns
    /// feeding the next stage. Errors name the stage (1-based) and say
    /// what to change.
    pub fn new(stages: Vec<LoadedModel>) -> Result<Self, String> {
        if stages.is_empty() {
            return Err("a pipeline model needs at least one model (`model1`)".into());
        }
        if stages.len() > MAX_STAGES {
            return Err(format!(
                "a pipeline model holds at most {MAX_STAGES} models, got {}",
                stages.len()
            ));
        }
        for (i, s) in stages.iter().enumerate() {
            let n = i + 1;
            if matches!(s.model, FittedModel::PipelineModel(_)) {
                return Err(format!(
                    "stage {n} is itself a pipeline model; connect its models one by one"
                ));
            }
            if !s.model.is_transformer() && n < stages.len() {
                return Err(format!(
                    "stage {n} (`{}`) is a predictive model, so it must be the last stage; its predictions cannot feed stage {}",
                    s.meta.model_class,
                    n + 1
                ));
            }
        }
        let mut removed: Vec<String> = Vec::new();
        for (i, pair) in stages.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            let made = produced_columns(&a.model);
            let needs = b.model.input_columns();
            if !needs.iter().any(|c| made.contains(c)) {
                return Err(format!(
                    "stage {} (`{}`) outputs [{}], but stage {} (`{}`) reads none of them (it reads [{}]); connect models whose outputs feed each other",
                    i + 1,
                    a.meta.model_class,
                    made.join(", "),
                    i + 2,
                    b.meta.model_class,
                    needs.join(", ")
                ));
            }
            for c in a.model.input_columns() {
                if !made.contains(&c) {
                    removed.push(c);
                }
            }
            if let Some(gone) = needs
                .iter()
                .find(|c| removed.contains(c) && !made.contains(c))
            {
                return Err(format!(
                    "stage {} (`{}`) reads column `{gone}`, which an earlier stage replaced; train it on the transformed columns",
                    i + 2,
                    b.meta.model_class
                ));
            }
        }
        Ok(PipelineModel { stages })
    }

    /// The raw input columns: every stage's inputs that no earlier stage
    /// produced, typed as in that stage's training table, in first-use
    /// order.
    pub fn input_schema(&self) -> Vec<FieldInfo> {
        let mut inputs: Vec<FieldInfo> = Vec::new();
        let mut made: Vec<String> = Vec::new();
        for s in &self.stages {
            for f in &s.meta.input_schema {
                let needed = s.model.input_columns().contains(&f.name);
                if needed && !made.contains(&f.name) && !inputs.iter().any(|i| i.name == f.name) {
                    inputs.push(f.clone());
                }
            }
            if s.model.is_transformer() {
                made.extend(produced_columns(&s.model));
            }
        }
        inputs
    }

    /// The last stage.
    pub fn last(&self) -> Option<&LoadedModel> {
        self.stages.last()
    }
}

/// The columns a preprocessing model leaves after it has run (the
/// indicators of a one-hot encoder; the same names otherwise).
pub fn produced_columns(model: &FittedModel) -> Vec<String> {
    match model {
        FittedModel::OneHotEncoderModel(m) => m
            .columns
            .iter()
            .flat_map(|c| {
                let keep = c.categories.len().saturating_sub(usize::from(m.drop_last));
                c.categories[..keep]
                    .iter()
                    .map(move |cat| format!("{}_{cat}", c.column))
            })
            .collect(),
        other => other.input_columns(),
    }
}
