//! What a model produces for one record before outputs are derived from it:
//! a value, a class distribution or a cluster assignment.

use crate::value::Value;

const INLINE: usize = 8;

/// A short vector of numbers kept inline (no allocation) up to eight entries.
#[derive(Debug, Clone)]
pub(crate) struct Probs {
    len: usize,
    inline: [f64; INLINE],
    heap: Vec<f64>,
}

impl Probs {
    /// `n` zeros.
    pub(crate) fn zeros(n: usize) -> Self {
        Probs {
            len: n,
            inline: [0.0; INLINE],
            heap: if n > INLINE { vec![0.0; n] } else { Vec::new() },
        }
    }

    /// The numbers.
    pub(crate) fn as_slice(&self) -> &[f64] {
        if self.len > INLINE {
            &self.heap
        } else {
            &self.inline[..self.len]
        }
    }

    /// The numbers, mutably.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [f64] {
        if self.len > INLINE {
            &mut self.heap
        } else {
            &mut self.inline[..self.len]
        }
    }

    /// Index of the largest number (first one on ties).
    pub(crate) fn argmax(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, &p) in self.as_slice().iter().enumerate() {
            if best.is_none_or(|(_, b)| p > b) {
                best = Some((i, p));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Index of the smallest number (first one on ties).
    pub(crate) fn argmin(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, &p) in self.as_slice().iter().enumerate() {
            if best.is_none_or(|(_, b)| p < b) {
                best = Some((i, p));
            }
        }
        best.map(|(i, _)| i)
    }
}

/// A class distribution.
#[derive(Debug, Clone)]
pub(crate) struct ClassResult<'m> {
    /// The predicted class.
    pub label: Value,
    /// The classes, aligned with `probs`.
    pub cats: &'m [Value],
    /// Probability of each class.
    pub probs: Probs,
    /// Id of the tree node that made the prediction.
    pub entity: Option<&'m str>,
    /// False for a bare vote (a tree node without `ScoreDistribution`).
    pub has_probabilities: bool,
}

impl<'m> ClassResult<'m> {
    /// Builds a result whose label is the most probable class.
    pub(crate) fn from_probs(cats: &'m [Value], probs: Probs) -> Self {
        let label = probs
            .argmax()
            .and_then(|i| cats.get(i).cloned())
            .unwrap_or(Value::Missing);
        ClassResult {
            label,
            cats,
            probs,
            entity: None,
            has_probabilities: true,
        }
    }

    /// Probability of a class (0 when the class is unknown to the model).
    pub(crate) fn probability(&self, cat: &Value) -> f64 {
        self.cats
            .iter()
            .position(|c| c.same(cat))
            .map_or(0.0, |i| self.probs.as_slice()[i])
    }

    /// Probability of the predicted class.
    pub(crate) fn label_probability(&self) -> f64 {
        self.probability(&self.label)
    }
}

/// A cluster assignment.
#[derive(Debug, Clone)]
pub(crate) struct ClusterResult<'m> {
    /// Index of the winning cluster.
    pub index: usize,
    /// Ids of all clusters.
    pub ids: &'m [Value],
    /// Distance (or similarity) to each cluster.
    pub values: Probs,
}

/// The result of one model for one record.
#[derive(Debug, Clone)]
pub(crate) enum Prediction<'m> {
    /// The model could not produce a result.
    Missing,
    /// A regression value (or a tree node's score).
    Value {
        value: Value,
        entity: Option<&'m str>,
    },
    /// A classification.
    Class(ClassResult<'m>),
    /// A clustering.
    Cluster(ClusterResult<'m>),
}

impl Prediction<'_> {
    /// The predicted value: number, class label or cluster id.
    pub(crate) fn value(&self) -> Value {
        match self {
            Prediction::Missing => Value::Missing,
            Prediction::Value { value, .. } => value.clone(),
            Prediction::Class(c) => c.label.clone(),
            Prediction::Cluster(c) => c.ids.get(c.index).cloned().unwrap_or(Value::Missing),
        }
    }
}
