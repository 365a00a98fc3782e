//! The metric math of the evaluation components and of training metrics:
//! binary classification (exact AUC with tied scores, KS, confusion counts,
//! log-loss), multi-class (accuracy, macro/micro F1, confusion matrix) and
//! regression (MSE, RMSE, MAE, R², explained variance).

use std::collections::BTreeMap;

use serde::Serialize;

/// Binary classification metrics; the predicted class is positive when its
/// probability is at least 0.5.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinaryMetrics {
    /// Rows evaluated.
    pub count: usize,
    /// Area under the ROC curve (tied scores count one half).
    pub auc: f64,
    /// Kolmogorov–Smirnov statistic: the largest gap between the true and
    /// false positive rates over all thresholds.
    pub ks: f64,
    /// Share of rows classified correctly.
    pub accuracy: f64,
    /// True positives over predicted positives (0 when none is predicted).
    pub precision: f64,
    /// True positives over actual positives.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15].
    pub log_loss: f64,
    /// `[[tn, fp], [fn, tp]]`: rows are the actual class (negative,
    /// positive), columns the predicted one.
    pub confusion_matrix: [[u64; 2]; 2],
}

/// Computes [`BinaryMetrics`] from the probability of the positive class
/// and whether each row is positive. Needs both classes present.
pub fn binary_metrics(scores: &[f64], positive: &[bool]) -> Result<BinaryMetrics, String> {
    let n = scores.len();
    let n_pos = positive.iter().filter(|p| **p).count();
    let n_neg = n - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(format!(
            "the labels hold {n_pos} positive and {n_neg} negative rows; AUC and KS need both classes"
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    // walk groups of tied scores from the highest down
    let (mut tp, mut fp) = (0u64, 0u64);
    let (mut auc2, mut ks) = (0u64, 0.0f64);
    let mut i = 0;
    while i < n {
        let mut j = i;
        let (mut gp, mut gn) = (0u64, 0u64);
        while j < n && scores[order[j]] == scores[order[i]] {
            if positive[order[j]] {
                gp += 1;
            } else {
                gn += 1;
            }
            j += 1;
        }
        // each negative in the group ranks below the positives seen before
        // it (all of them) and ties with the positives of the group
        auc2 += gn * (2 * tp + gp);
        tp += gp;
        fp += gn;
        let gap = (tp as f64 / n_pos as f64 - fp as f64 / n_neg as f64).abs();
        ks = ks.max(gap);
        i = j;
    }
    let auc = auc2 as f64 / (2.0 * n_pos as f64 * n_neg as f64);
    let mut cm = [[0u64; 2]; 2];
    let mut loss = 0.0;
    for (&s, &p) in scores.iter().zip(positive) {
        cm[usize::from(p)][usize::from(s >= 0.5)] += 1;
        let q = s.clamp(1e-15, 1.0 - 1e-15);
        loss -= if p { q.ln() } else { (1.0 - q).ln() };
    }
    let [[tn, fpc], [fnc, tpc]] = cm;
    let precision = ratio(tpc, tpc + fpc);
    let recall = ratio(tpc, tpc + fnc);
    Ok(BinaryMetrics {
        count: n,
        auc,
        ks,
        accuracy: ratio(tpc + tn, n as u64),
        precision,
        recall,
        f1: f1(precision, recall),
        log_loss: loss / n as f64,
        confusion_matrix: cm,
    })
}

/// Multi-class metrics over the union of actual and predicted labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiClassMetrics {
    /// Rows evaluated.
    pub count: usize,
    /// Share of rows classified correctly.
    pub accuracy: f64,
    /// Mean over labels of each label's precision.
    pub macro_precision: f64,
    /// Mean over labels of each label's recall.
    pub macro_recall: f64,
    /// Mean over labels of each label's F1.
    pub macro_f1: f64,
    /// F1 of the pooled counts (equals the accuracy for single-label data).
    pub micro_f1: f64,
    /// The labels, sorted; they index the confusion matrix.
    pub labels: Vec<String>,
    /// Rows are the actual label, columns the predicted one.
    pub confusion_matrix: Vec<Vec<u64>>,
    /// Precision, recall, F1 and support of each label.
    pub per_label: BTreeMap<String, LabelMetrics>,
}

/// The metrics of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelMetrics {
    /// True positives over predicted positives.
    pub precision: f64,
    /// True positives over actual positives.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Rows with this actual label.
    pub support: u64,
}

/// Computes [`MultiClassMetrics`] of equally long label lists.
pub fn multi_class_metrics(actual: &[String], predicted: &[String]) -> MultiClassMetrics {
    let mut labels: Vec<String> = actual.iter().chain(predicted).cloned().collect();
    labels.sort();
    labels.dedup();
    let code = |s: &String| labels.binary_search(s).unwrap_or(0) as u32;
    let actual: Vec<u32> = actual.iter().map(code).collect();
    let predicted: Vec<u32> = predicted.iter().map(code).collect();
    multi_class_metrics_of_codes(labels, &actual, &predicted)
}

/// [`multi_class_metrics`] over class codes: `labels[c]` names code `c`
/// (codes out of range are not counted).
pub fn multi_class_metrics_of_codes(
    labels: Vec<String>,
    actual: &[u32],
    predicted: &[u32],
) -> MultiClassMetrics {
    let k = labels.len();
    let mut cm = vec![vec![0u64; k]; k];
    for (&a, &p) in actual.iter().zip(predicted) {
        if let Some(cell) = cm
            .get_mut(a as usize)
            .and_then(|row| row.get_mut(p as usize))
        {
            *cell += 1;
        }
    }
    let n = actual.len().min(predicted.len());
    let correct: u64 = (0..k).map(|i| cm[i][i]).sum();
    let mut per_label = BTreeMap::new();
    let (mut sp, mut sr, mut sf) = (0.0, 0.0, 0.0);
    for (i, label) in labels.iter().enumerate() {
        let tp = cm[i][i];
        let predicted_i: u64 = cm.iter().map(|row| row[i]).sum();
        let actual_i: u64 = cm[i].iter().sum();
        let precision = ratio(tp, predicted_i);
        let recall = ratio(tp, actual_i);
        let f = f1(precision, recall);
        sp += precision;
        sr += recall;
        sf += f;
        per_label.insert(
            label.clone(),
            LabelMetrics {
                precision,
                recall,
                f1: f,
                support: actual_i,
            },
        );
    }
    let kf = k.max(1) as f64;
    // pooled: tp = correct, fp = fn = wrong, so micro P = R = F1 = accuracy
    let micro = ratio(correct, n as u64);
    MultiClassMetrics {
        count: n,
        accuracy: micro,
        macro_precision: sp / kf,
        macro_recall: sr / kf,
        macro_f1: sf / kf,
        micro_f1: micro,
        labels,
        confusion_matrix: cm,
        per_label,
    }
}

/// Regression metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionMetrics {
    /// Rows evaluated.
    pub count: usize,
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination, `1 - SS_res / SS_tot` (0 for a constant
    /// label predicted exactly is reported as 1, otherwise as 0).
    pub r2: f64,
    /// `1 - Var(y - ŷ) / Var(y)`.
    pub explained_variance: f64,
}

/// Computes [`RegressionMetrics`] of equally long, non-empty slices.
pub fn regression_metrics(y: &[f64], p: &[f64]) -> RegressionMetrics {
    let n = y.len().min(p.len());
    let nf = n.max(1) as f64;
    let mean_y = y.iter().sum::<f64>() / nf;
    let (mut ss_res, mut ss_tot, mut abs) = (0.0, 0.0, 0.0);
    let mut mean_r = 0.0;
    for (a, b) in y.iter().zip(p) {
        let r = a - b;
        ss_res += r * r;
        ss_tot += (a - mean_y) * (a - mean_y);
        abs += r.abs();
        mean_r += r;
    }
    mean_r /= nf;
    let var_r = y
        .iter()
        .zip(p)
        .map(|(a, b)| (a - b - mean_r) * (a - b - mean_r))
        .sum::<f64>()
        / nf;
    let var_y = ss_tot / nf;
    let score = |num: f64, den: f64| {
        if den > 0.0 {
            1.0 - num / den
        } else if num == 0.0 {
            1.0
        } else {
            0.0
        }
    };
    let mse = ss_res / nf;
    RegressionMetrics {
        count: n,
        mse,
        rmse: mse.sqrt(),
        mae: abs / nf,
        r2: score(ss_res, ss_tot),
        explained_variance: score(var_r, var_y),
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn binary_by_hand_with_ties() {
        // pairs (positive, negative): 0.4>0.1, 0.4=0.4 (half), 0.8>0.1, 0.8>0.4
        let m = binary_metrics(&[0.1, 0.4, 0.4, 0.8], &[false, false, true, true]).unwrap();
        assert!(close(m.auc, 3.5 / 4.0), "{}", m.auc);
        assert!(close(m.ks, 0.5));
        assert_eq!(m.confusion_matrix, [[2, 0], [1, 1]]);
        assert!(close(m.accuracy, 0.75));
        assert!(close(m.precision, 1.0));
        assert!(close(m.recall, 0.5));
        assert!(close(m.f1, 2.0 / 3.0));
        let ll = -(0.9f64.ln() + 0.6f64.ln() + 0.4f64.ln() + 0.8f64.ln()) / 4.0;
        assert!(close(m.log_loss, ll));
        // all scores tied: AUC is exactly one half
        let m = binary_metrics(&[0.3; 4], &[true, false, true, false]).unwrap();
        assert!(close(m.auc, 0.5) && close(m.ks, 0.0));
        // perfect ranking
        let m = binary_metrics(&[0.9, 0.2, 0.7], &[true, false, true]).unwrap();
        assert!(close(m.auc, 1.0) && close(m.ks, 1.0));
        assert!(binary_metrics(&[0.1, 0.2], &[true, true]).is_err());
    }

    #[test]
    fn multi_class_by_hand() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let m = multi_class_metrics(&s(&["a", "a", "b", "c"]), &s(&["a", "b", "b", "a"]));
        assert_eq!(m.labels, s(&["a", "b", "c"]));
        assert_eq!(
            m.confusion_matrix,
            vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 0]]
        );
        assert!(close(m.accuracy, 0.5) && close(m.micro_f1, 0.5));
        // a: p 1/2 r 1/2 f 1/2; b: p 1/2 r 1 f 2/3; c: 0
        assert!(close(m.macro_f1, (0.5 + 2.0 / 3.0) / 3.0));
        assert!(close(m.macro_precision, 1.0 / 3.0));
        assert!(close(m.macro_recall, 0.5));
        assert_eq!(m.per_label["b"].support, 1);
    }

    #[test]
    fn regression_by_hand() {
        let m = regression_metrics(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0]);
        assert!(close(m.mse, 1.0 / 3.0) && close(m.rmse, (1.0f64 / 3.0).sqrt()));
        assert!(close(m.mae, 1.0 / 3.0));
        assert!(close(m.r2, 1.0 - 1.0 / 2.0));
        // residuals 0, 0, -1: mean -1/3, variance 2/9; Var(y) = 2/3
        assert!(close(m.explained_variance, 1.0 - (2.0 / 9.0) / (2.0 / 3.0)));
        let m = regression_metrics(&[2.0, 2.0], &[2.0, 2.0]);
        assert!(close(m.r2, 1.0));
    }
}
